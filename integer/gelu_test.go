package integer

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

// geluRef is the float64 GELU of codes on inGrid, quantized to out with
// round half to even, written out directly from the definition.
func geluRef(v []int64, in, out Grid) []int64 {
	in, out = nlF32Grid(in), nlF32Grid(out)
	res := make([]int64, len(v))
	for i, q := range v {
		x := float64(q-in.ZeroPoint) * in.Scale[0]
		y := x * 0.5 * (1 + math.Erf(x/math.Sqrt(2)))
		r := math.RoundToEven(y/out.Scale[0]) + float64(out.ZeroPoint)
		res[i] = int64(min(max(r, float64(out.QMin())), float64(out.QMax())))
	}
	return res
}

func runGELU(t *testing.T, in, out Grid, mode Mode, v []int64) []int64 {
	t.Helper()
	n, err := NewGELU("gelu", "x", "y", in, out, mode)
	if err != nil {
		t.Fatal(err)
	}
	return runNL(t, n, codesTensor(in.Bits, true, []int{len(v)}, v))
}

// allCodes lists every code of a grid.
func allCodes(g Grid) []int64 {
	var v []int64
	for q := g.QMin(); q <= g.QMax(); q++ {
		v = append(v, q)
	}
	return v
}

func TestIntGELUHandWorked(t *testing.T) {
	in := Grid{Bits: 8, Signed: true, Scale: []float64{0.5}}
	out := Grid{Bits: 8, Signed: true, Scale: []float64{1.0 / 64}}
	v := []int64{-4, -1, 0, 1, 4}
	// GELU(−2, −0.5, 0, 0.5, 2) = −0.0455, −0.1543, 0, 0.3457, 1.9545;
	// times 64: −2.91, −9.87, 0, 22.13, 125.09.
	want := []int64{-3, -10, 0, 22, 125}
	for _, mode := range []Mode{ModeFloat, ModeLUT} {
		if got := runGELU(t, in, out, mode, v); !slices.Equal(got, want) {
			t.Errorf("%s: GELU codes %v, want %v", mode, got, want)
		}
	}
	// integer: S_w = 2⁻¹², so x_w = 2048·q exactly; S_e = S_w/√2 gives
	// q_b = ⌊−1.769/S_e⌋ = −10248 and q_c = q_1 = ⌊1/(−0.2888·S_e²)⌋ =
	// −116185707. For q = 4: x_w = 8192 < 10248, t = 8192 − 10248 = −2056,
	// erf = 2056² − 116185707 = −111958571 (erf(√2) ≈ 0.9636 against the
	// exact 0.9545), g = 8192·(erf + q_1) = −1868957925376, which is
	// g·S_w·S_erf/2 = 1.96362 → 125.67 codes → 126. Likewise q = −4, −1, 1
	// give −2.33, −9.26, 22.74: the parabola's error shows as one code.
	n, err := NewGELU("gelu", "x", "y", in, out, ModeInteger)
	if err != nil {
		t.Fatal(err)
	}
	for name, want := range map[string]int64{"q_b": -10248, "q_c": -116185707, "q_1": -116185707, "in_multiplier": 1 << 30, "in_shift": 19} {
		if got := n.Attrs[name].Int; got != want {
			t.Errorf("%s = %d, want %d", name, got, want)
		}
	}
	if got := runNL(t, n, codesTensor(8, true, []int{5}, v)); !slices.Equal(got, []int64{-2, -9, 0, 23, 126}) {
		t.Errorf("integer: GELU codes %v, want [-2 -9 0 23 126]", got)
	}
}

// geluGrids are realistic (input, output) grid pairs: 8- and 16-bit inputs
// covering the FC1 output, and the next quantizer's grid over GELU's range
// [−0.17, max]: asymmetric uint8, symmetric int8, and a 16-bit grid.
var geluGrids = []struct{ in, out Grid }{
	{Grid{Bits: 8, Signed: true, Scale: []float64{0.05}}, Grid{Bits: 8, Scale: []float64{6.57 / 255}, ZeroPoint: 7}},
	{Grid{Bits: 8, Signed: true, Scale: []float64{0.05}}, Grid{Bits: 8, Signed: true, Scale: []float64{6.4 / 127}}},
	{Grid{Bits: 8, Signed: true, Scale: []float64{0.031}, ZeroPoint: -5}, Grid{Bits: 8, Scale: []float64{4.1 / 255}, ZeroPoint: 11}},
	{Grid{Bits: 16, Signed: true, Scale: []float64{1.0 / 4096}}, Grid{Bits: 8, Scale: []float64{8.2 / 255}, ZeroPoint: 5}},
	{Grid{Bits: 16, Signed: true, Scale: []float64{3e-4}}, Grid{Bits: 8, Signed: true, Scale: []float64{9.8 / 127}}},
	{Grid{Bits: 16, Signed: true, Scale: []float64{1.0 / 4096}}, Grid{Bits: 16, Signed: true, Scale: []float64{8.0 / 32767}}},
}

func TestIntGELULutIsBitExactWithFloat(t *testing.T) {
	for _, c := range geluGrids {
		codes := allCodes(c.in)
		lut := runGELU(t, c.in, c.out, ModeLUT, codes)
		fl := runGELU(t, c.in, c.out, ModeFloat, codes)
		if d, at := maxCodeDiff(lut, fl); d != 0 {
			t.Errorf("%+v → %+v: lut differs from float at code %d: %d vs %d", c.in, c.out, codes[at], lut[at], fl[at])
		}
		if d, at := maxCodeDiff(fl, geluRef(codes, c.in, c.out)); d != 0 {
			t.Errorf("%+v → %+v: float mode differs from the definition at code %d", c.in, c.out, codes[at])
		}
	}
}

// intGELUBound8 is the integer mode's measured worst error on 8-bit
// outputs (docs/INTEGER.md §5.2). It comes from I-BERT's polynomial,
// whose GELU is at most ibertGELUError (real units, at x ≈ −2.35) from the
// exact one; on a fine grid that is ⌈ibertGELUError/s_out⌉ + 1 codes.
const (
	intGELUBound8  = 2
	ibertGELUError = 0.01816
)

func TestIntGELUIntegerWithinBound(t *testing.T) {
	for _, c := range geluGrids {
		codes := allCodes(c.in)
		got := runGELU(t, c.in, c.out, ModeInteger, codes)
		d, at := maxCodeDiff(got, geluRef(codes, c.in, c.out))
		t.Logf("%d-bit S=%v → %d-bit s=%v z=%d: max error %d codes (at x = %.3f)",
			c.in.Bits, c.in.Scale[0], c.out.Bits, c.out.Scale[0], c.out.ZeroPoint, d, float64(codes[at]-c.in.ZeroPoint)*c.in.Scale[0])
		bound := int64(math.Ceil(ibertGELUError/c.out.Scale[0])) + 1
		if c.out.Bits <= 8 {
			bound = intGELUBound8
		}
		if d > bound {
			t.Errorf("%+v → %+v: integer GELU is %d codes off, want ≤ %d", c.in, c.out, d, bound)
		}
	}
}

func TestIntGELUIntegerOnWideInput(t *testing.T) {
	// An int32 FC1 accumulator (s_x·s_w = 0.02·0.005), re-gridded by the op.
	in := Grid{Bits: 32, Signed: true, Scale: []float64{1e-4}}
	out := Grid{Bits: 8, Scale: []float64{6.57 / 255}, ZeroPoint: 7}
	r := rand.New(rand.NewPCG(1, 2))
	v := make([]int64, 50000)
	for i := range v {
		v[i] = int64(r.NormFloat64() * 2 / 1e-4)
	}
	v = append(v, math.MaxInt32, math.MinInt32, 0)
	n, err := NewGELU("gelu", "x", "y", in, out, ModeInteger)
	if err != nil {
		t.Fatal(err)
	}
	got := runNL(t, n, codesTensor(32, true, []int{len(v)}, v))
	d, at := maxCodeDiff(got, geluRef(v, in, out))
	t.Logf("int32 input S=1e-4 → uint8: max error %d codes", d)
	if d > intGELUBound8 {
		t.Errorf("integer GELU on int32 input is %d codes off at x = %v", d, float64(v[at])*1e-4)
	}
}
