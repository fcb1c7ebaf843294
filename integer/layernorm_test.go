package integer

import (
	"math"
	"math/big"
	"math/rand/v2"
	"slices"
	"testing"
)

func TestISqrtIsExactFloor(t *testing.T) {
	check := func(n int64) {
		want := new(big.Int).Sqrt(big.NewInt(n)).Int64()
		if got := nlISqrt(n); got != want {
			t.Fatalf("isqrt(%d) = %d, want %d", n, got, want)
		}
	}
	for n := int64(0); n < 1<<20; n++ {
		check(n)
	}
	r := rand.New(rand.NewPCG(3, 4))
	for range 200000 {
		check(r.Int64N(math.MaxInt64) >> r.IntN(63))
	}
	for _, k := range []int64{1 << 16, 1<<31 - 1, 1 << 31, 3037000499} { // 3037000499² < 2⁶³ − 1
		check(k * k)
		check(k*k - 1)
		check(k*k + 1)
	}
	check(math.MaxInt64)
}

// lnRef is float64 LayerNorm of rows of codes, quantized to out with round
// half to even, written out from the definition.
func lnRef(v []int64, d int, in Grid, gamma, beta []float32, eps float64, out Grid) []int64 {
	in, out = nlF32Grid(in), nlF32Grid(out)
	eps = float64(float32(eps))
	res := make([]int64, len(v))
	for r := 0; r < len(v); r += d {
		x := make([]float64, d)
		var mean, variance float64
		for j := range x {
			x[j] = float64(v[r+j]-in.ZeroPoint) * in.Scale[0]
			mean += x[j] / float64(d)
		}
		for _, xv := range x {
			variance += (xv - mean) * (xv - mean) / float64(d)
		}
		for j, xv := range x {
			y := (xv-mean)/math.Sqrt(variance+eps)*float64(gamma[j]) + float64(beta[j])
			q := math.RoundToEven(y/out.Scale[0]) + float64(out.ZeroPoint)
			res[r+j] = int64(min(max(q, float64(out.QMin())), float64(out.QMax())))
		}
	}
	return res
}

func runLN(t *testing.T, in Grid, gamma, beta []float32, eps float64, out Grid, mode Mode, shape []int, v []int64) []int64 {
	t.Helper()
	n, err := NewLayerNorm("ln", "x", "y", in, gamma, beta, eps, out, mode)
	if err != nil {
		t.Fatal(err)
	}
	return runNL(t, n, codesTensor(in.Bits, true, shape, v))
}

func TestIntLayerNormHandWorked(t *testing.T) {
	// Row [1, 2, 3, 4] at S = 1, γ = 1, β = 0, ε = 0: mean 2.5, variance
	// 1.25, y = (x − 2.5)/1.118 = ±0.447, ±1.342; at s_out = 1/64 that is
	// ±28.62, ±85.87 → ±29, ±86.
	//
	// integer: D = 4 gives W = 30, so an int8 input works at F = 22 bits:
	// μ = 2.5·2²², d = (±0.5, ±1.5)·2²², variance 5·2⁴² exactly,
	// σ = ⌊√5·2²¹⌋ = 4689374; γ/s_out = 64 is G = 2²⁸ at P = 22, and
	// u = d·G/σ rounded, y = rshift(u, 22) = ±28.62…, ±85.87… → ±29, ±86.
	in := Grid{Bits: 8, Signed: true, Scale: []float64{1}}
	out := Grid{Bits: 8, Signed: true, Scale: []float64{1.0 / 64}}
	gamma := []float32{1, 1, 1, 1}
	want := []int64{-86, -29, 29, 86}
	for _, mode := range []Mode{ModeFloat, ModeLUT, ModeInteger} {
		if got := runLN(t, in, gamma, nil, 0, out, mode, []int{1, 4}, []int64{1, 2, 3, 4}); !slices.Equal(got, want) {
			t.Errorf("%s: %v, want %v", mode, got, want)
		}
	}
	n, err := NewLayerNorm("ln", "x", "y", in, gamma, nil, 0, out, ModeInteger)
	if err != nil {
		t.Fatal(err)
	}
	for name, want := range map[string]int64{"work_shift": 22, "shift": 22, "eps_int": 0} {
		if got := n.Attrs[name].Int; got != want {
			t.Errorf("%s = %d, want %d", name, got, want)
		}
	}
	if got := n.Attrs["gamma_int"].Ints; !slices.Equal(got, []int64{1 << 28, 1 << 28, 1 << 28, 1 << 28}) {
		t.Errorf("gamma_int = %v, want 2²⁸ each", got)
	}
	// A constant row has variance 0: σ = √(0 + ε) (or 1 when ε rounds to
	// 0) and every output is β.
	if got := runLN(t, in, gamma, []float32{0.5, 0, -0.5, 1}, 1e-5, out, ModeInteger, []int{1, 4}, []int64{7, 7, 7, 7}); !slices.Equal(got, []int64{32, 0, -32, 64}) {
		t.Errorf("constant row: %v, want β/s_out = [32 0 -32 64]", got)
	}
}

// lnCase is a realistic transformer LayerNorm input: rows of 64 features
// whose per-feature means and spreads differ (a few outlier channels),
// quantized on in.
type lnCase struct {
	in   Grid
	outs []Grid
}

func (c lnCase) codes(seed uint64, rows, d int) []int64 {
	r := rand.New(rand.NewPCG(seed, 9))
	mean, spread := make([]float64, d), make([]float64, d)
	for j := range mean {
		mean[j], spread[j] = r.NormFloat64()*0.5, 0.3+r.Float64()
		if j%16 == 5 {
			mean[j], spread[j] = 6*r.NormFloat64(), 4 // outlier channel
		}
	}
	v := make([]int64, rows*d)
	lo, hi := float64(c.in.QMin()), float64(c.in.QMax())
	for i := range v {
		rowScale := 1 + float64(i/d%5) // rows of different magnitude
		x := (mean[i%d] + r.NormFloat64()*spread[i%d]) * rowScale
		v[i] = int64(min(max(math.RoundToEven(x/c.in.Scale[0])+float64(c.in.ZeroPoint), lo), hi))
	}
	return v
}

// lnParams are realistic γ (around 1) and β (around 0).
func lnParams(d int) (gamma, beta []float32) {
	r := rand.New(rand.NewPCG(5, 6))
	gamma, beta = make([]float32, d), make([]float32, d)
	for j := range gamma {
		gamma[j], beta[j] = float32(1+0.3*r.NormFloat64()), float32(0.2*r.NormFloat64())
	}
	return gamma, beta
}

var lnOuts = []Grid{
	{Bits: 8, Signed: true, Scale: []float64{6.0 / 127}},
	{Bits: 8, Scale: []float64{9.0 / 255}, ZeroPoint: 120},
	{Bits: 16, Signed: true, Scale: []float64{8.0 / 32767}},
}

var lnCases = []lnCase{
	{Grid{Bits: 16, Signed: true, Scale: []float64{60.0 / 32767}}, lnOuts},
	{Grid{Bits: 16, Signed: true, Scale: []float64{1.0 / 256}}, lnOuts},
	{Grid{Bits: 8, Signed: true, Scale: []float64{0.25}}, lnOuts},
	{Grid{Bits: 8, Signed: true, Scale: []float64{0.4}, ZeroPoint: 3}, lnOuts},
	{Grid{Bits: 32, Signed: true, Scale: []float64{1.0 / (1 << 24)}}, lnOuts}, // a wide residual stream
}

// intLNBound is the integer mode's measured worst error in output codes
// (docs/INTEGER.md §5.3), on 8- and 16-bit outputs alike.
const intLNBound = 1

func TestIntLayerNormModes(t *testing.T) {
	const d, rows = 64, 400
	gamma, beta := lnParams(d)
	for i, c := range lnCases {
		v := c.codes(uint64(i), rows, d)
		for _, out := range c.outs {
			want := lnRef(v, d, c.in, gamma, beta, 1e-6, out)
			for _, mode := range []Mode{ModeFloat, ModeLUT, ModeInteger} {
				got := runLN(t, c.in, gamma, beta, 1e-6, out, mode, []int{rows / 4, 4, d}, v)
				diff, at := maxCodeDiff(got, want)
				off := 0
				for j := range got {
					if got[j] != want[j] {
						off++
					}
				}
				t.Logf("%s %d-bit S=%.3g → %d-bit: max error %d codes, %.3f%% differ", mode, c.in.Bits, c.in.Scale[0], out.Bits, diff, 100*float64(off)/float64(len(got)))
				bound := int64(intLNBound)
				if mode == ModeFloat {
					bound = 0
				}
				if diff > bound || (mode != ModeFloat && float64(off) > 0.01*float64(len(got))) {
					t.Errorf("%s %+v → %+v: %d codes off at %d (got %d want %d) in %d of %d codes, want ≤ %d in < 1%%",
						mode, c.in, out, diff, at, got[at], want[at], off, len(got), bound)
				}
			}
		}
	}
}

func TestIntLayerNormChecksWidths(t *testing.T) {
	gamma, beta := lnParams(64)
	in := Grid{Bits: 8, Signed: true, Scale: []float64{0.25}}
	n, err := NewLayerNorm("ln", "x", "y", in, gamma, beta, 1e-5, lnOuts[0], ModeInteger)
	if err != nil {
		t.Fatal(err)
	}
	// Built for int8 (F = 20), the node must refuse an int32 input, whose
	// squares would overflow, and a row of the wrong length.
	if _, err := runNLErr(n, codesTensor(32, true, []int{2, 64}, make([]int64, 128))); err == nil {
		t.Error("an int32 input to a LayerNorm built for int8 was accepted")
	}
	if _, err := runNLErr(n, codesTensor(8, true, []int{2, 32}, make([]int64, 64))); err == nil {
		t.Error("rows of 32 features were accepted by a 64-feature LayerNorm")
	}
}
