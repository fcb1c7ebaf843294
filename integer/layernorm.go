package integer

import (
	"fmt"
	"math"
	"math/bits"

	"t2c/graph"
	"t2c/tensor"
)

func init() { graph.Register(OpIntLayerNorm, buildIntLayerNorm) }

// Widths of the integer LayerNorm (docs/INTEGER.md §5.3).
const (
	// lnGammaBits bounds the folded γ_k/s_out·2^P below 2²⁹, so that
	// d·G < 2³¹·2²⁹ and the rounding division's t + σ/2 stay below 2⁶².
	lnGammaBits = 29
	// lnBetaBits bounds the folded β_k/s_out·2^P below 2⁶⁰.
	lnBetaBits = 60
)

// NewLayerNorm builds an IntLayerNorm node: LayerNorm over the last axis of
// a value on the per-tensor inGrid, with per-feature gamma and beta (beta
// may be nil) and epsilon eps, written on outGrid. The lut mode has no
// table form (a row statistic is not elementwise) and is built as the
// integer mode. γ and β are folded into integer multipliers and biases
// here; the kernel computes in integers only (except in float mode).
func NewLayerNorm(name, in, out string, inGrid Grid, gamma, beta []float32, eps float64, outGrid Grid, mode Mode) (*graph.Node, error) {
	if _, err := ParseMode(string(mode)); err != nil {
		return nil, err
	}
	inGrid, outGrid = nlF32Grid(inGrid), nlF32Grid(outGrid)
	for _, g := range []Grid{inGrid, outGrid} {
		if err := g.Validate(); err != nil || len(g.Scale) != 1 {
			return nil, fmt.Errorf("layernorm %q: grid %+v must be valid and per-tensor (%v)", name, g, err)
		}
	}
	if !inGrid.Signed {
		return nil, fmt.Errorf("layernorm %q: the input grid must be signed", name)
	}
	if beta == nil {
		beta = make([]float32, len(gamma))
	}
	if len(gamma) == 0 || len(beta) != len(gamma) {
		return nil, fmt.Errorf("layernorm %q: %d γ and %d β; want one of each per feature", name, len(gamma), len(beta))
	}
	if !(eps >= 0) || math.IsInf(eps, 0) {
		return nil, fmt.Errorf("layernorm %q: epsilon %v", name, eps)
	}
	eps = nlF32(eps)
	if mode == ModeLUT {
		mode = ModeInteger
	}
	attrs := outGrid.Attrs(map[string]graph.Attr{
		attrMode:        graph.StringAttr(string(mode)),
		"in_scale":      graph.FloatAttr(float32(inGrid.Scale[0])),
		"in_zero_point": graph.IntAttr(inGrid.ZeroPoint),
	})
	if mode == ModeFloat {
		attrs["gamma"], attrs["beta"] = graph.FloatsAttr(gamma...), graph.FloatsAttr(beta...)
		attrs["epsilon"] = graph.FloatAttr(float32(eps))
	} else if err := lnConstants(inGrid, gamma, beta, eps, outGrid, attrs); err != nil {
		return nil, fmt.Errorf("layernorm %q: %w", name, err)
	}
	return &graph.Node{Name: name, Op: OpIntLayerNorm, Inputs: []string{in}, Outputs: []string{out}, Attrs: attrs}, nil
}

// lnWorkShift is F, the shift to the working width W = ⌊(62 − ⌈log2 D⌉)/2⌋
// bits: x_w = x·2^F (or rshift(x, −F)) for an input stored in nb bits. W is
// the widest that keeps Σ d² < D·2^2W ≤ 2⁶², so the mean and the variance
// are as exact as int64 allows.
func lnWorkShift(nb, d int) int {
	return (62-bits.Len(uint(d-1)))/2 - nb
}

// lnConstants adds the integer mode's attributes.
func lnConstants(inGrid Grid, gamma, beta []float32, eps float64, outGrid Grid, attrs map[string]graph.Attr) error {
	s, sOut := inGrid.Scale[0], outGrid.Scale[0]
	f := lnWorkShift(nlStorageBits(inGrid.DType()), len(gamma))
	// ε in units of the working grid's squared step (S·2^−F)².
	epsW := math.Round(math.Ldexp(eps/(s*s), 2*f))
	if epsW >= 1<<62 {
		return fmt.Errorf("epsilon %v is %v in working units, beyond 2⁶²", eps, epsW)
	}
	var gMax, bMax float64
	for k := range gamma {
		gMax = max(gMax, math.Abs(float64(gamma[k])/sOut))
		bMax = max(bMax, math.Abs(float64(beta[k])/sOut))
	}
	p := 62
	if gMax > 0 {
		_, e := math.Frexp(gMax) // gMax < 2^e
		p = min(p, lnGammaBits-e)
	}
	if bMax > 0 {
		_, e := math.Frexp(bMax)
		p = min(p, lnBetaBits-e)
	}
	if p < 0 {
		return fmt.Errorf("γ/s_out up to %v and β/s_out up to %v do not fit the fixed-point constants", gMax, bMax)
	}
	g, b := make([]int64, len(gamma)), make([]int64, len(gamma))
	for k := range gamma {
		g[k] = int64(math.Round(math.Ldexp(float64(gamma[k])/sOut, p)))
		b[k] = int64(math.Round(math.Ldexp(float64(beta[k])/sOut, p)))
	}
	attrs["work_shift"] = graph.IntAttr(int64(f))
	attrs["eps_int"] = graph.IntAttr(int64(epsW))
	attrs["gamma_int"] = graph.IntsAttr(g...)
	attrs["beta_int"] = graph.IntsAttr(b...)
	attrs["shift"] = graph.IntAttr(int64(p))
	return nil
}

// nlStorageBits is the width of an integer storage type.
func nlStorageBits(d tensor.DType) int { return 8 * d.Size() }

// intLayerNormKernel holds an IntLayerNorm node's checked attributes.
type intLayerNormKernel struct {
	mode    Mode
	inScale float64
	inZP    int64
	out     Grid
	d       int // features
	// float mode
	gamma, beta []float32
	eps         float64
	// integer mode
	workShift, shift int
	epsInt           int64
	g, b             []int64
}

func buildIntLayerNorm(_ *graph.Node, a *graph.Attrs, _ int) (graph.Kernel, error) {
	k := &intLayerNormKernel{mode: nlReadMode(a, ModeFloat, ModeInteger), out: nlReadOutGrid(a)}
	k.inScale = float64(a.Float("in_scale", 0))
	if !(k.inScale > 0) {
		a.Fail("in_scale", "is required and must be positive")
	}
	k.inZP = a.Int("in_zero_point", 0)
	if k.mode == ModeFloat {
		k.gamma, k.beta = a.Floats("gamma", nil), a.Floats("beta", nil)
		k.eps = float64(a.Float("epsilon", 1e-5))
		k.d = len(k.gamma)
		if len(k.beta) != k.d {
			a.Fail("beta", "has %d entries for %d γ", len(k.beta), k.d)
		}
	} else {
		k.readInteger(a)
	}
	if k.d == 0 {
		a.Fail("gamma", "needs one entry per feature")
	}
	return k, nil
}

func (k *intLayerNormKernel) readInteger(a *graph.Attrs) {
	k.workShift, k.shift = int(a.Int("work_shift", 0)), int(a.Int("shift", 0))
	k.epsInt = a.Int("eps_int", 0)
	for _, v := range a.Ints("gamma_int", nil) {
		if uabs(int64(v)) >= 1<<lnGammaBits {
			a.Fail("gamma_int", "%d does not fit %d bits and a sign", v, lnGammaBits)
		}
		k.g = append(k.g, int64(v))
	}
	for _, v := range a.Ints("beta_int", nil) {
		if uabs(int64(v)) >= 1<<lnBetaBits {
			a.Fail("beta_int", "%d does not fit %d bits and a sign", v, lnBetaBits)
		}
		k.b = append(k.b, int64(v))
	}
	k.d = len(k.g)
	switch {
	case len(k.b) != k.d:
		a.Fail("beta_int", "has %d entries for %d γ", len(k.b), k.d)
	case k.shift < 0 || k.shift > 62:
		a.Fail("shift", "%d outside [0, 62]", k.shift)
	case k.workShift < -62 || k.workShift > 62:
		a.Fail("work_shift", "%d outside [−62, 62]", k.workShift)
	case k.epsInt < 0 || k.epsInt >= 1<<62:
		a.Fail("eps_int", "%d outside [0, 2⁶²)", k.epsInt)
	}
}

// check validates the input type and, in integer mode, that the working
// width W = bits + work_shift keeps Σ d² ≤ D·2^2W ≤ 2⁶² for any input.
func (k *intLayerNormKernel) check(d tensor.DType) error {
	if err := nlSignedInput(d); err != nil {
		return err
	}
	if k.mode == ModeInteger {
		if w := nlStorageBits(d) + k.workShift; w > 31 || 2*w+bits.Len(uint(k.d-1)) > 62 {
			return fmt.Errorf("%v input with work_shift %d is %d bits wide: Σ d² over %d features can overflow int64", d, k.workShift, w, k.d)
		}
	}
	return nil
}

func (k *intLayerNormKernel) InferShapes(in []graph.ValueInfo, _ []*tensor.Tensor) ([]graph.ValueInfo, error) {
	if len(in) > 0 && len(in[0].Shape) > 0 {
		if last := in[0].Shape[len(in[0].Shape)-1]; last >= 0 && last != k.d {
			return nil, fmt.Errorf("input %v has %d features, the node %d", in[0].Shape, last, k.d)
		}
	}
	return nlSameShape(in, k.out, k.check)
}

func (k *intLayerNormKernel) Run(ctx *graph.Ctx, in []*tensor.Tensor) ([]*tensor.Tensor, error) {
	if len(in) < 1 || in[0] == nil {
		return nil, fmt.Errorf("needs 1 input")
	}
	x := in[0]
	if x.Rank() == 0 || x.Dim(x.Rank()-1) != k.d {
		return nil, fmt.Errorf("input %v: want %d features on the last axis", x.Shape(), k.d)
	}
	if err := k.check(x.DType()); err != nil {
		return nil, err
	}
	row := k.intRow
	if k.mode == ModeFloat {
		row = k.floatRow
	}
	y, err := nlRows(ctx, x, k.out, row)
	if err != nil {
		return nil, err
	}
	return []*tensor.Tensor{y}, nil
}

// floatRow is the float mode: dequantize, float64 LayerNorm, quantize with
// round half to even.
func (k *intLayerNormKernel) floatRow(row []int64) {
	x := make([]float64, len(row))
	mean := 0.0
	for j, q := range row {
		x[j] = float64(q-k.inZP) * k.inScale
		mean += x[j]
	}
	mean /= float64(len(x))
	variance := 0.0
	for _, v := range x {
		variance += (v - mean) * (v - mean)
	}
	inv := 1 / math.Sqrt(variance/float64(len(x))+k.eps)
	for j, v := range x {
		row[j] = nlQuantize((v-mean)*inv*float64(k.gamma[j])+float64(k.beta[j]), k.out)
	}
}

// intRow is the integer mode (docs/INTEGER.md §5.3). The zero point needs
// no subtraction: LayerNorm is invariant to a constant offset, which the
// mean removes exactly.
func (k *intLayerNormKernel) intRow(row []int64) {
	n := int64(len(row))
	var sum int64
	for j, q := range row {
		row[j] = k.toWork(q)
		sum += row[j]
	}
	mu := nlDivRound(sum, n)
	var ss int64
	for j := range row {
		row[j] -= mu
		ss += row[j] * row[j]
	}
	variance := (ss + n/2) / n // ss ≥ 0: rounded half up
	sigma := max(nlISqrt(variance+k.epsInt), 1)
	lo, hi := k.out.QMin(), k.out.QMax()
	for j, d := range row {
		u := nlDivRound(d*k.g[j], sigma)
		row[j] = Clamp(RShift(u+k.b[j], k.shift)+k.out.ZeroPoint, lo, hi)
	}
}

// toWork puts a code on the working grid: x·2^F, or rshift(x, −F).
func (k *intLayerNormKernel) toWork(q int64) int64 {
	if k.workShift >= 0 {
		return q << k.workShift
	}
	return RShift(q, -k.workShift)
}

// nlISqrt is ⌊√n⌋ for n ≥ 0, exactly, by Newton's iteration on integers as
// in I-BERT: from x₀ = 2^⌈bits(n)/2⌉ ≥ √n, x ← ⌊(x + ⌊n/x⌋)/2⌋ decreases
// strictly while x > ⌊√n⌋ and stops at ⌊√n⌋.
func nlISqrt(n int64) int64 {
	if n < 2 {
		return max(n, 0)
	}
	x := int64(1) << ((bits.Len64(uint64(n)) + 1) / 2)
	for {
		y := (x + n/x) >> 1
		if y >= x {
			return x
		}
		x = y
	}
}
