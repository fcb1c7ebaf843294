package integer

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"t2c/graph"
)

var uint8Probs = Grid{Bits: 8, Scale: []float64{1.0 / 255}}

// softmaxRef is the float64 softmax of a row of codes on scale s, quantized
// to g with round half to even: the definition the float mode must meet
// exactly and the other modes are measured against.
func softmaxRef(row []int64, s float64, g Grid) []int64 {
	mx := slices.Max(row)
	p := make([]float64, len(row))
	sum := 0.0
	for j, v := range row {
		p[j] = math.Exp(float64(v-mx) * s)
		sum += p[j]
	}
	out := make([]int64, len(row))
	for j := range p {
		q := math.RoundToEven(p[j]/sum/g.Scale[0]) + float64(g.ZeroPoint)
		out[j] = int64(min(max(q, float64(g.QMin())), float64(g.QMax())))
	}
	return out
}

func newSoftmaxT(t *testing.T, s float64, bits int, out Grid, mode Mode, lutBits int) (n *graph.Node, run func([]int, []int64) []int64) {
	t.Helper()
	node, err := NewSoftmax("sm", "x", "y", s, bits, out, mode, lutBits)
	if err != nil {
		t.Fatal(err)
	}
	return node, func(shape []int, v []int64) []int64 { return runNL(t, node, codesTensor(bits, true, shape, v)) }
}

func TestIntSoftmaxHandWorked(t *testing.T) {
	// A flat row: every mode gives 1/4 → 63.75 → 64.
	for _, mode := range []Mode{ModeFloat, ModeLUT, ModeInteger} {
		_, run := newSoftmaxT(t, 1.0/256, 16, uint8Probs, mode, 0)
		if got := run([]int{1, 4}, []int64{-7, -7, -7, -7}); !slices.Equal(got, []int64{64, 64, 64, 64}) {
			t.Errorf("%s: flat row gave %v, want all 64", mode, got)
		}
	}
	// lut, S = 2⁻⁸, row [0, −177]: E = [65536, round(65536·e^−0.69140625)
	// = 32825], sum 98361, K = 255·2¹⁶ at k_shift 16: codes
	// round(255·65536/98361 = 169.90) = 170 and round(85.099) = 85.
	_, run := newSoftmaxT(t, 1.0/256, 16, uint8Probs, ModeLUT, 0)
	if got := run([]int{1, 2}, []int64{0, -177}); !slices.Equal(got, []int64{170, 85}) {
		t.Errorf("lut [0, −177] gave %v, want [170 85]", got)
	}
	// integer, S = ln2/1024 (the working grid itself): q_ln2 = 1024,
	// q_b = ⌊1.353/S⌋ = 1998, q_c = ⌊0.344/(0.3585·S²)⌋ = 2094200, so
	// L(0) = 1998² + 2094200 = 6086204; K = round(2¹⁶/s_out) = 16711679
	// since s_out is stored as float32(1/255) = 1/254.99998. Row [0, −1024] is d_w = [0, 1024]:
	// z = [0, 1], r = 0, E = [6086204, 3043102]: exactly 2:1, codes 170, 85.
	sm, err := NewSoftmax("sm", "x", "y", math.Ln2/1024, 16, uint8Probs, ModeInteger, 0)
	if err != nil {
		t.Fatal(err)
	}
	for name, want := range map[string]int64{"q_ln2": 1024, "q_b": 1998, "q_c": 2094200, "k_multiplier": 16711679, "k_shift": 16} {
		if got := sm.Attrs[name].Int; got != want {
			t.Errorf("%s = %d, want %d", name, got, want)
		}
	}
	if got := runNL(t, sm, codesTensor(16, true, []int{1, 2}, []int64{0, -1024})); !slices.Equal(got, []int64{170, 85}) {
		t.Errorf("integer [0, −1024] gave %v, want [170 85]", got)
	}
}

func TestIntSoftmaxLutLength(t *testing.T) {
	for _, c := range []struct {
		s    float64
		bits int
		want int
	}{
		{1.0 / 256, 16, 1 << 12}, // 2¹⁶·e^(−4095/256) < 0.5 first at 12 bits
		{1.0 / 1024, 16, 1 << 14},
		{1.0 / 64, 16, 1 << 10},
		{1.0 / 8, 8, 1 << 7},  // 127/8 = 15.9 > ln(2¹⁷) = 11.8
		{1.0 / 32, 8, 1 << 8}, // never reaches 0: the table covers every difference
	} {
		n, err := NewSoftmax("sm", "x", "y", c.s, c.bits, uint8Probs, ModeLUT, 0)
		if err != nil {
			t.Fatal(err)
		}
		if got := len(n.Attrs["table"].Ints); got != c.want {
			t.Errorf("S = %v, %d-bit input: table of %d entries, want %d", c.s, c.bits, got, c.want)
		}
	}
	if _, err := NewSoftmax("sm", "x", "y", 1.0/1024, 16, uint8Probs, ModeLUT, 10); err == nil {
		t.Error("a 10-bit table that does not reach exp ≈ 0 was accepted")
	}
	if _, err := NewSoftmax("sm", "x", "y", 1e-5, 32, uint8Probs, ModeLUT, 0); err == nil {
		t.Error("a lut needing more than 2²⁰ entries was accepted")
	}
}

// softmaxCase is a realistic attention input: rows of 65 tokens whose
// logits (real units) are normal with standard deviation sigma, some rows
// with one dominant token, quantized to bits on scale s.
type softmaxCase struct {
	s     float64
	bits  int
	sigma float64
}

func (c softmaxCase) codes(seed uint64) (shape []int, v []int64) {
	r := rand.New(rand.NewPCG(seed, 7))
	shape = []int{3, 65, 65}
	v = make([]int64, 3*65*65)
	lim := math.Ldexp(1, c.bits-1)
	for i := range v {
		x := r.NormFloat64() * c.sigma
		if i%65 == 0 && (i/65)%4 == 0 {
			x += 4 * c.sigma // a dominant token
		}
		v[i] = int64(min(max(math.RoundToEven(x/c.s), -lim), lim-1))
	}
	return shape, v
}

var softmaxCases = []softmaxCase{
	{1.0 / 1024, 16, 1}, {1.0 / 1024, 16, 4}, {1.0 / 256, 16, 2}, {1.0 / 256, 16, 6},
	{1.0 / 64, 16, 1}, {1.0 / 64, 16, 8}, {1.0 / 8, 8, 3}, {1.0 / 16, 8, 2},
}

// softmaxErrors runs mode on every case and returns the largest code error
// against the float64 reference and the largest fraction of codes that
// differ from it in one case.
func softmaxErrors(t *testing.T, mode Mode, cases []softmaxCase, out Grid) (worst int64, offFrac float64) {
	t.Helper()
	for i, c := range cases {
		_, run := newSoftmaxT(t, c.s, c.bits, out, mode, 0)
		shape, v := c.codes(uint64(i))
		got := run(shape, v)
		s := nlF32(c.s)
		var want []int64
		for r := 0; r < len(v); r += 65 {
			want = append(want, softmaxRef(v[r:r+65], s, nlF32Grid(out))...)
		}
		d, at := maxCodeDiff(got, want)
		off := 0
		for j := range got {
			if got[j] != want[j] {
				off++
			}
		}
		frac := float64(off) / float64(len(got))
		offFrac = max(offFrac, frac)
		t.Logf("%s S=%v %d-bit σ=%v: max error %d codes, %.3f%% of codes differ", mode, c.s, c.bits, c.sigma, d, 100*frac)
		if d > worst {
			worst = d
			if d > 3 {
				t.Logf("  at %d: got %d want %d", at, got[at], want[at])
			}
		}
	}
	return worst, offFrac
}

func TestIntSoftmaxFloatModeIsTheDefinition(t *testing.T) {
	for _, out := range []Grid{uint8Probs, {Bits: 8, Scale: []float64{0.0039}, ZeroPoint: 3}, {Bits: 16, Scale: []float64{1.0 / 65535}}} {
		if d, _ := softmaxErrors(t, ModeFloat, softmaxCases, out); d != 0 {
			t.Errorf("float mode differs from float64 softmax by %d codes (out %+v)", d, out)
		}
	}
}

func TestIntSoftmaxLutWithinOneCode(t *testing.T) {
	for _, out := range []Grid{uint8Probs, {Bits: 8, Scale: []float64{0.0039}, ZeroPoint: 3}} {
		// Off-by-one codes come only from E's rounding to 2⁻¹⁶ near a
		// half-code boundary: they are rare (measured ≤ 0.05%).
		if d, frac := softmaxErrors(t, ModeLUT, softmaxCases, out); d > 1 || frac > 0.002 {
			t.Errorf("lut mode is up to %d codes from float64 softmax in %.3f%% of codes, want ≤ 1 in < 0.2%% (out %+v)", d, 100*frac, out)
		}
	}
	// On a 16-bit output E's 2⁻¹⁶ resolution shows: measured ≤ lutSoftmaxBound16.
	if d, _ := softmaxErrors(t, ModeLUT, softmaxCases, Grid{Bits: 16, Scale: []float64{1.0 / 65535}}); d > lutSoftmaxBound16 {
		t.Errorf("lut mode on 16-bit outputs is %d codes from float64 softmax, want ≤ %d", d, lutSoftmaxBound16)
	}
}

// lutSoftmaxBound16 is the lut mode's measured worst error on uint16
// outputs (docs/INTEGER.md §5.1).
const lutSoftmaxBound16 = 8

// intSoftmaxBound is the integer mode's measured worst error on uint8
// outputs (docs/INTEGER.md §5.1).
const intSoftmaxBound = 1

// intSoftmaxBound16 is the same on uint16 outputs.
const intSoftmaxBound16 = 64

func TestIntSoftmaxIntegerWithinBound(t *testing.T) {
	cases := append(slices.Clone(softmaxCases),
		softmaxCase{3.1e-4, 32, 3}, // an int32 Q·Kᵀ accumulator, re-gridded by the op
		softmaxCase{2.3e-3, 32, 1})
	for _, out := range []Grid{uint8Probs, {Bits: 8, Scale: []float64{0.0039}, ZeroPoint: 3}} {
		// The parabola's ≈10⁻³ relative error moves a code only near a
		// half-code boundary (measured ≤ 0.65% of codes).
		if d, frac := softmaxErrors(t, ModeInteger, cases, out); d > intSoftmaxBound || frac > 0.02 {
			t.Errorf("integer mode is up to %d codes from float64 softmax in %.3f%% of codes, want ≤ %d in < 2%% (out %+v)", d, 100*frac, intSoftmaxBound, out)
		}
	}
	// On a 16-bit output the same relative error is visible: measured
	// ≤ intSoftmaxBound16 codes of 65535.
	if d, _ := softmaxErrors(t, ModeInteger, cases, Grid{Bits: 16, Scale: []float64{1.0 / 65535}}); d > intSoftmaxBound16 {
		t.Errorf("integer mode on 16-bit outputs is %d codes from float64 softmax, want ≤ %d", d, intSoftmaxBound16)
	}
}

func TestIntSoftmaxRowsSumToOne(t *testing.T) {
	for _, mode := range []Mode{ModeFloat, ModeLUT, ModeInteger} {
		for i, c := range softmaxCases {
			_, run := newSoftmaxT(t, c.s, c.bits, uint8Probs, mode, 0)
			shape, v := c.codes(uint64(100 + i))
			got := run(shape, v)
			var totalDev float64
			for r := 0; r < len(got); r += 65 {
				var sum int64
				for _, q := range got[r : r+65] {
					sum += q
				}
				// Each code is within 1/2 (float) or 1/2 + error of its
				// exact share of 255.
				if dev := math.Abs(float64(sum - 255)); dev > 65.0/2+float64(intSoftmaxBound)*65 {
					t.Fatalf("%s case %d row %d: codes sum to %d, want ≈ 255", mode, i, r/65, sum)
				} else {
					totalDev += dev
				}
			}
			// Rounding errors cancel: on average a row is a few codes off.
			mean := totalDev / float64(len(got)/65)
			t.Logf("%s %v: rows sum to 255 ± %.2f on average", mode, c, mean)
			if mean > 6 {
				t.Errorf("%s %s: rows sum to 255 ± %.2f on average", mode, fmt.Sprint(c), mean)
			}
		}
	}
}
