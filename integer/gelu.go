package integer

import (
	"fmt"
	"math"
	"math/bits"

	"t2c/graph"
	"t2c/tensor"
)

func init() { graph.Register(OpIntGELU, buildIntGELU) }

// Constants of IntGELU (docs/INTEGER.md §5.2).
const (
	// I-BERT's second-order fit of erf on [0, −b]:
	// erf(x) ≈ sgn(x)·(a(min(|x|, −b) + b)² + 1).
	ierfA, ierfB = -0.2888, -1.769
	// geluWorkBits fixes the integer mode's working grid S_w = 2⁻¹²: fine
	// enough that flooring b/S and 1/(a·S²) to integers costs nothing
	// measurable, coarse enough that inputs up to |x| ≈ 2²³ keep every
	// product in int64.
	geluWorkBits = 12
	// geluNarrowBits is the width the polynomial's product is narrowed to
	// before the output multiply, so that product and multiplier (< 2³¹)
	// stay below 2⁶².
	geluNarrowBits = 30
	// maxLutInputBits bounds the lut mode to tables of every 16-bit code.
	maxLutInputBits = 16
)

// NewGELU builds the GELU of a value on the per-tensor signed inGrid,
// written on outGrid (the next layer's quantizer grid, signed or unsigned,
// any zero point). Float and integer modes are IntGELU nodes; the lut mode
// is a Lut node holding the float mode's output for every input code, so
// it is bit-identical to the float mode (inGrid must have at most 16 bits).
func NewGELU(name, in, out string, inGrid, outGrid Grid, mode Mode) (*graph.Node, error) {
	if _, err := ParseMode(string(mode)); err != nil {
		return nil, err
	}
	inGrid, outGrid = nlF32Grid(inGrid), nlF32Grid(outGrid)
	for _, g := range []Grid{inGrid, outGrid} {
		if err := g.Validate(); err != nil || len(g.Scale) != 1 {
			return nil, fmt.Errorf("gelu %q: grid %+v must be valid and per-tensor (%v)", name, g, err)
		}
	}
	if !inGrid.Signed {
		return nil, fmt.Errorf("gelu %q: the input grid must be signed", name)
	}
	if mode == ModeLUT {
		return geluLut(name, in, out, inGrid, outGrid)
	}
	attrs := outGrid.Attrs(map[string]graph.Attr{
		attrMode:        graph.StringAttr(string(mode)),
		"in_scale":      graph.FloatAttr(float32(inGrid.Scale[0])),
		"in_zero_point": graph.IntAttr(inGrid.ZeroPoint),
	})
	if mode == ModeInteger {
		if err := igeluConstants(inGrid, outGrid, attrs); err != nil {
			return nil, fmt.Errorf("gelu %q: %w", name, err)
		}
	}
	return &graph.Node{Name: name, Op: OpIntGELU, Inputs: []string{in}, Outputs: []string{out}, Attrs: attrs}, nil
}

// geluCode is the float mode for one code: dequantize, exact-erf GELU in
// float64, quantize with round half to even.
func geluCode(q int64, s float64, zp int64, out Grid) int64 {
	x := float64(q-zp) * s
	return nlQuantize(0.5*x*(1+math.Erf(x/math.Sqrt2)), out)
}

// geluLut tabulates geluCode over every code of inGrid.
func geluLut(name, in, out string, inGrid, outGrid Grid) (*graph.Node, error) {
	if inGrid.Bits > maxLutInputBits {
		return nil, fmt.Errorf("gelu %q: a lut needs an input of at most %d bits, got %d", name, maxLutInputBits, inGrid.Bits)
	}
	table := make([]int64, inGrid.QMax()-inGrid.QMin()+1)
	for i := range table {
		table[i] = geluCode(inGrid.QMin()+int64(i), inGrid.Scale[0], inGrid.ZeroPoint, outGrid)
	}
	return NewLut(name, in, out, table, inGrid.QMin(), outGrid, "gelu")
}

// igeluConsts are the integer mode's constants (I-BERT's i-GELU at the
// working grid), derived from the scales alone.
type igeluConsts struct {
	qB, qC, q1 int64 // ⌊b/S_e⌋, ⌊1/(a·S_e²)⌋, ⌊1/S_erf⌋ with S_e = S_w/√2, S_erf = a·S_e²
	sErf       float64
}

func newIGeluConsts() igeluConsts {
	se := math.Ldexp(1, -geluWorkBits) / math.Sqrt2
	c := igeluConsts{sErf: ierfA * se * se}
	c.qB = int64(math.Floor(ierfB / se))
	c.qC = int64(math.Floor(1 / c.sErf))
	c.q1 = int64(math.Floor(1 / c.sErf))
	return c
}

// igeluConstants adds the integer mode's attributes: the input rescale to
// S_w, the i-erf constants, and the output rescale (narrowing shift, then a
// dyadic multiplier and shift) from S_w·S_erf/2 to s_out.
func igeluConstants(inGrid, outGrid Grid, attrs map[string]graph.Attr) error {
	sw := math.Ldexp(1, -geluWorkBits)
	dyadic := Format{Kind: FormatDyadic}
	fin, err := dyadic.Encode(inGrid.Scale[0]/sw, 0)
	if err != nil {
		return fmt.Errorf("input rescale to the working grid: %w", err)
	}
	c := newIGeluConsts()
	gMax, ok := igeluBound(inGrid.DType(), inGrid.ZeroPoint, fin.Multiplier, fin.Shift, c)
	if !ok {
		return fmt.Errorf("input range %v is too large for the working grid 2^−%d (products overflow int64)", float64(inGrid.MaxAbs())*inGrid.Scale[0], geluWorkBits)
	}
	pre := max(0, bits.Len64(gMax)-geluNarrowBits)
	fout, err := dyadic.Encode(math.Ldexp(sw*c.sErf/2/outGrid.Scale[0], pre), 0)
	if err != nil {
		return fmt.Errorf("output rescale: %w", err)
	}
	for name, v := range map[string]int64{
		"in_multiplier": fin.Multiplier, "in_shift": int64(fin.Shift),
		"q_b": c.qB, "q_c": c.qC, "q_1": c.q1,
		"narrow_shift": int64(pre), "multiplier": fout.Multiplier, "shift": int64(fout.Shift),
	} {
		attrs[name] = graph.IntAttr(v)
	}
	return nil
}

// igeluBound is the largest |x_w·(erf + q_1)| for inputs of type d, and
// whether every intermediate up to it fits int64.
func igeluBound(d tensor.DType, zp, inMul int64, inShift int, c igeluConsts) (uint64, bool) {
	lo, hi, ok := dtypeRange(d)
	if !ok || inMul == 0 {
		return 0, false
	}
	off := max(uabs(zp-lo), uabs(hi-zp))
	if !nlFits(off, uabs(inMul), uint64(roundingHalf(inShift))) {
		return 0, false
	}
	xw := (off*uabs(inMul) + uint64(roundingHalf(inShift))) >> inShift // ≥ max|x_w|
	erf := max(uabs(c.qC), uabs(c.qB*c.qB+c.qC))
	if !nlFits(erf, 1, uabs(c.q1)) || !nlFits(xw, erf+uabs(c.q1), 0) {
		return 0, false
	}
	return xw * (erf + uabs(c.q1)), true
}

// intGELUKernel holds an IntGELU node's checked attributes.
type intGELUKernel struct {
	mode    Mode
	inScale float64
	inZP    int64
	out     Grid
	// integer mode
	inMul, mul     int64
	inShift, shift int
	narrow         int
	c              igeluConsts
}

func buildIntGELU(_ *graph.Node, a *graph.Attrs, _ int) (graph.Kernel, error) {
	k := &intGELUKernel{mode: nlReadMode(a, ModeFloat, ModeInteger), out: nlReadOutGrid(a)}
	k.inScale = float64(a.Float("in_scale", 0))
	if !(k.inScale > 0) {
		a.Fail("in_scale", "is required and must be positive")
	}
	k.inZP = a.Int("in_zero_point", 0)
	if k.inZP < math.MinInt32 || k.inZP > math.MaxInt32 {
		a.Fail("in_zero_point", "%d does not fit 32 bits", k.inZP)
	}
	if k.mode != ModeInteger {
		return k, nil
	}
	k.inMul, k.inShift = a.Int("in_multiplier", 0), int(a.Int("in_shift", 0))
	k.c.qB, k.c.qC, k.c.q1 = a.Int("q_b", 0), a.Int("q_c", 0), a.Int("q_1", 0)
	k.narrow = int(a.Int("narrow_shift", 0))
	k.mul, k.shift = a.Int("multiplier", 0), int(a.Int("shift", 0))
	for name, v := range map[string]int64{"in_multiplier": k.inMul, "multiplier": k.mul} {
		if v == 0 || uabs(v) > nlMaxInt31 {
			a.Fail(name, "%d must be non-zero with |m| < 2³¹", v)
		}
	}
	for name, v := range map[string]int{"in_shift": k.inShift, "narrow_shift": k.narrow, "shift": k.shift} {
		if v < 0 || v > 62 {
			a.Fail(name, "%d outside [0, 62]", v)
		}
	}
	// I-BERT's constants are all negative (a < 0, b < 0); magnitudes below
	// 2³¹ keep the parabola inside int64.
	for name, v := range map[string]int64{"q_b": k.c.qB, "q_c": k.c.qC, "q_1": k.c.q1} {
		if v >= 0 || v < -nlMaxInt31 {
			a.Fail(name, "%d must be in (−2³¹, 0)", v)
		}
	}
	return k, nil
}

// check validates the input type and, in integer mode, that no
// intermediate can overflow for any value of it.
func (k *intGELUKernel) check(d tensor.DType) error {
	if err := nlSignedInput(d); err != nil {
		return err
	}
	if k.mode != ModeInteger {
		return nil
	}
	g, ok := igeluBound(d, k.inZP, k.inMul, k.inShift, k.c)
	if !ok || !nlFits((g>>k.narrow)+1, uabs(k.mul), uint64(roundingHalf(k.shift))) {
		return fmt.Errorf("%v input: the integer GELU's products can overflow int64 with these constants", d)
	}
	return nil
}

func (k *intGELUKernel) InferShapes(in []graph.ValueInfo, _ []*tensor.Tensor) ([]graph.ValueInfo, error) {
	return nlSameShape(in, k.out, k.check)
}

func (k *intGELUKernel) Run(ctx *graph.Ctx, in []*tensor.Tensor) ([]*tensor.Tensor, error) {
	if len(in) < 1 || in[0] == nil {
		return nil, fmt.Errorf("needs 1 input")
	}
	if err := k.check(in[0].DType()); err != nil {
		return nil, err
	}
	f := func(row []int64) {
		for j, q := range row {
			row[j] = geluCode(q, k.inScale, k.inZP, k.out)
		}
	}
	if k.mode == ModeInteger {
		f = func(row []int64) {
			for j, q := range row {
				row[j] = k.igelu(q)
			}
		}
	}
	y, err := nlRows(ctx, in[0], k.out, f)
	if err != nil {
		return nil, err
	}
	return []*tensor.Tensor{y}, nil
}

// igelu is I-BERT's i-GELU (Kim et al. 2021, Algorithm 3) of one code at the
// working grid, requantized to the output grid.
func (k *intGELUKernel) igelu(q int64) int64 {
	xw := RShift((q-k.inZP)*k.inMul, k.inShift)
	// i-erf(x_w, S_w/√2): sgn·((min(|x_w|, −q_b) + q_b)² + q_c)
	abs, sgn := xw, int64(1)
	if xw < 0 {
		abs, sgn = -xw, -1
	} else if xw == 0 {
		sgn = 0
	}
	t := min(abs, -k.c.qB) + k.c.qB
	erf := sgn * (t*t + k.c.qC)
	// x·(1 + erf)/2 at scale S_w·S_erf/2
	g := xw * (erf + k.c.q1)
	y := RShift(RShift(g, k.narrow)*k.mul, k.shift) + k.out.ZeroPoint
	return Clamp(y, k.out.QMin(), k.out.QMax())
}
