package integer

import (
	"fmt"
	"math"
	"math/bits"

	"t2c/graph"
	"t2c/tensor"
)

func init() { graph.Register(OpIntSoftmax, buildIntSoftmax) }

// Constants of IntSoftmax (docs/INTEGER.md §5.1).
const (
	// I-BERT's second-order fit of exp on (−ln2, 0]:
	// exp(p) ≈ a(p + b)² + c.
	iexpA, iexpB, iexpC = 0.3585, 1.353, 0.344
	// softmaxWorkBits fixes the integer mode's working grid
	// S_w = ln2/2^10: then q_ln2 = ⌊ln2/S_w⌋ = 2^10 exactly, so the range
	// reduction carries no error from rounding ln2, and S_w is fine enough
	// that re-gridding the input moves exp by at most S_w/2 ≈ 3.4·10⁻⁴.
	softmaxWorkBits = 10
	// softmaxOneLog2 is the lut mode's table precision: E[0] = 2^16.
	softmaxOneLog2 = 16
	// maxSoftmaxLutBits bounds the table to 2^20 entries.
	maxSoftmaxLutBits = 20
	// softmaxKBits is the precision of K ≈ 2^k_shift/s_out:
	// 2^23 ≤ K ≤ 2^24, so K is within 2⁻²⁴ of the exact factor.
	softmaxKBits = 24
)

// NewSoftmax builds an IntSoftmax node (softmax along the last axis) reading
// signed integers in on the per-tensor grid of scale inScale and zero point
// 0, stored as inBits-bit integers (int8, int16 or int32), and writing codes
// on outGrid (the following quantizer's grid). lutBits sets the lut mode's
// table length 2^lutBits; 0 picks the shortest table that reaches exp ≈ 0 or
// covers every difference of inBits-bit codes. Every integer constant is
// computed here and stored as an attribute.
func NewSoftmax(name, in, out string, inScale float64, inBits int, outGrid Grid, mode Mode, lutBits int) (*graph.Node, error) {
	if _, err := ParseMode(string(mode)); err != nil {
		return nil, err
	}
	if !(inScale > 0) || math.IsInf(inScale, 0) {
		return nil, fmt.Errorf("softmax %q: input scale %v is not positive and finite", name, inScale)
	}
	if inBits < 2 || inBits > 32 {
		return nil, fmt.Errorf("softmax %q: input bits %d outside 2–32", name, inBits)
	}
	outGrid = nlF32Grid(outGrid)
	if err := outGrid.Validate(); err != nil || len(outGrid.Scale) != 1 {
		return nil, fmt.Errorf("softmax %q: output grid %+v must be valid and per-tensor (%v)", name, outGrid, err)
	}
	s := nlF32(inScale)
	attrs := outGrid.Attrs(map[string]graph.Attr{
		attrMode:   graph.StringAttr(string(mode)),
		"in_scale": graph.FloatAttr(float32(s)),
		"in_bits":  graph.IntAttr(int64(inBits)),
	})
	if mode != ModeFloat {
		kMul, kShift, err := softmaxK(outGrid.Scale[0])
		if err != nil {
			return nil, fmt.Errorf("softmax %q: %w", name, err)
		}
		attrs["k_multiplier"], attrs["k_shift"] = graph.IntAttr(kMul), graph.IntAttr(int64(kShift))
	}
	switch mode {
	case ModeLUT:
		table, err := softmaxTable(s, inBits, lutBits)
		if err != nil {
			return nil, fmt.Errorf("softmax %q: %w", name, err)
		}
		attrs["table"] = graph.IntsAttr(table...)
	case ModeInteger:
		if err := iexpConstants(s, attrs); err != nil {
			return nil, fmt.Errorf("softmax %q: %w", name, err)
		}
	}
	return &graph.Node{Name: name, Op: OpIntSoftmax, Inputs: []string{in}, Outputs: []string{out}, Attrs: attrs}, nil
}

// softmaxK is the integer normalisation factor K = round(2^k / s_out),
// with k chosen so that 2^23 ≤ K ≤ 2^24.
func softmaxK(sOut float64) (kMul int64, kShift int, err error) {
	_, e := math.Frexp(1 / sOut) // 1/s_out = f·2^e, f ∈ [0.5, 1)
	kShift = softmaxKBits - e
	if kShift < 0 || kShift > 40 {
		return 0, 0, fmt.Errorf("output scale %v is outside the range the normalisation supports (2⁻²⁴, 2¹⁷]", sOut)
	}
	return int64(math.Round(math.Ldexp(1/sOut, kShift))), kShift, nil
}

// softmaxTable is the lut mode's E[d] = round(2^16·exp(−d·S_in)) for
// d = 0 … 2^bits − 1.
func softmaxTable(s float64, inBits, lutBits int) ([]int64, error) {
	entry := func(d int) int64 { return int64(math.Round(math.Ldexp(math.Exp(-float64(d)*s), softmaxOneLog2))) }
	covers := func(b int) bool { return b >= inBits || entry(1<<b-1) == 0 }
	if lutBits == 0 {
		for lutBits = 1; !covers(lutBits) && lutBits <= maxSoftmaxLutBits; lutBits++ {
		}
	}
	if lutBits < 1 || lutBits > maxSoftmaxLutBits {
		return nil, fmt.Errorf("the lut needs %d index bits to reach exp ≈ 0 at input scale %v; at most %d are supported (use a coarser input grid or integer mode)", lutBits, s, maxSoftmaxLutBits)
	}
	if !covers(lutBits) {
		return nil, fmt.Errorf("a %d-bit lut ends at exp(−%d·%v)·2^16 = %d, not 0, and differences beyond it would be overestimated; use more bits or 0 for automatic", lutBits, 1<<lutBits-1, s, entry(1<<lutBits-1))
	}
	table := make([]int64, 1<<lutBits)
	for d := range table {
		table[d] = entry(d)
	}
	return table, nil
}

// iexpConstants adds the integer mode's attributes: the rescale of
// differences to the working grid S_w = ln2/2^10 and I-BERT's i-exp
// constants at S_w.
func iexpConstants(s float64, attrs map[string]graph.Attr) error {
	sw := math.Ldexp(math.Ln2, -softmaxWorkBits)
	fx, err := Format{Kind: FormatDyadic}.Encode(s/sw, 0)
	if err != nil {
		return fmt.Errorf("input rescale to the working grid: %w", err)
	}
	// Beyond a real difference of 64·ln2, exp < 2⁻⁶⁴ is 0 in any width:
	// capping d there keeps d·m in int64 for every input type.
	dCap := int64(math.Ceil(64 * math.Ln2 / s))
	if !nlFits(uint64(dCap), uint64(fx.Multiplier), uint64(roundingHalf(fx.Shift))) {
		return fmt.Errorf("input scale %v is too fine for the working grid (rescale overflows int64)", s)
	}
	attrs["in_multiplier"] = graph.IntAttr(fx.Multiplier)
	attrs["in_shift"] = graph.IntAttr(int64(fx.Shift))
	attrs["d_cap"] = graph.IntAttr(dCap)
	attrs["q_ln2"] = graph.IntAttr(int64(math.Floor(math.Ln2 / sw)))
	attrs["q_b"] = graph.IntAttr(int64(math.Floor(iexpB / sw)))
	attrs["q_c"] = graph.IntAttr(int64(math.Floor(iexpC / (iexpA * sw * sw))))
	return nil
}

// intSoftmaxKernel holds an IntSoftmax node's checked attributes.
type intSoftmaxKernel struct {
	mode    Mode
	inScale float64
	inBits  int
	out     Grid
	kMul    int64 // K ≈ 2^kShift/s_out (lut, integer)
	kShift  int
	eMax    int64   // largest E a row element can get (lut, integer)
	table   []int64 // lut
	// integer mode: d_w = rshift(min(d, dCap)·inMul, inShift), i-exp at S_w
	inMul, dCap  int64
	inShift      int
	qLn2, qB, qC int64
}

func buildIntSoftmax(_ *graph.Node, a *graph.Attrs, _ int) (graph.Kernel, error) {
	k := &intSoftmaxKernel{mode: nlReadMode(a, ModeFloat, ModeLUT, ModeInteger), out: nlReadOutGrid(a)}
	k.inScale = float64(a.Float("in_scale", 0))
	if !(k.inScale > 0) {
		a.Fail("in_scale", "is required and must be positive")
	}
	k.inBits = int(a.Int("in_bits", 0))
	if k.inBits < 2 || k.inBits > 32 {
		a.Fail("in_bits", "%d outside 2–32", k.inBits)
	}
	if k.mode == ModeFloat || k.mode == "" {
		return k, nil
	}
	k.kMul, k.kShift = a.Int("k_multiplier", 0), int(a.Int("k_shift", -1))
	if k.kMul <= 0 || k.kMul > nlMaxInt31 {
		a.Fail("k_multiplier", "%d must be in (0, 2³¹)", k.kMul)
	}
	if k.kShift < 0 || k.kShift > 62 {
		a.Fail("k_shift", "%d outside [0, 62]", k.kShift)
	}
	if k.mode == ModeLUT {
		k.readTable(a)
	} else {
		k.readIExp(a)
	}
	if !nlFits(uint64(k.eMax), uint64(k.kMul), 1<<62) {
		a.Fail("k_multiplier", "E·K can overflow int64 (E ≤ %d)", k.eMax)
	}
	return k, nil
}

// nlMaxInt31 is the largest magnitude of a stored multiplier: 2³¹ − 1.
const nlMaxInt31 = 1<<31 - 1

func (k *intSoftmaxKernel) readTable(a *graph.Attrs) {
	for _, v := range a.Ints("table", nil) {
		if v < 0 || v > nlMaxInt31 {
			a.Fail("table", "entry %d outside [0, 2³¹)", v)
		}
		k.table = append(k.table, int64(v))
		k.eMax = max(k.eMax, int64(v))
	}
	if len(k.table) == 0 || k.table[0] <= 0 {
		a.Fail("table", "needs at least one entry, and E[0] > 0 so that every row sum is positive")
	}
}

func (k *intSoftmaxKernel) readIExp(a *graph.Attrs) {
	k.inMul, k.inShift = a.Int("in_multiplier", 0), int(a.Int("in_shift", 0))
	k.dCap = a.Int("d_cap", 0)
	k.qLn2, k.qB, k.qC = a.Int("q_ln2", 0), a.Int("q_b", 0), a.Int("q_c", 0)
	switch {
	case k.inMul <= 0 || k.inMul > nlMaxInt31:
		a.Fail("in_multiplier", "%d must be in (0, 2³¹)", k.inMul)
	case k.inShift < 0 || k.inShift > 62:
		a.Fail("in_shift", "%d outside [0, 62]", k.inShift)
	case k.dCap <= 0 || !nlFits(uint64(k.dCap), uint64(k.inMul), uint64(roundingHalf(k.inShift))):
		a.Fail("d_cap", "%d must be positive with d_cap·in_multiplier < 2⁶³", k.dCap)
	case k.qLn2 <= 0 || k.qLn2 > nlMaxInt31:
		a.Fail("q_ln2", "%d must be in (0, 2³¹)", k.qLn2)
	case k.qB < k.qLn2 || k.qB > nlMaxInt31:
		// q_b ≥ q_ln2 keeps p + q_b > 0 on (−q_ln2, 0], where the
		// parabola is decreasing towards its vertex: L stays monotone.
		a.Fail("q_b", "%d must be in [q_ln2, 2³¹)", k.qB)
	case k.qC < 0 || k.qC > 1<<61:
		a.Fail("q_c", "%d must be in [0, 2⁶¹]", k.qC)
	default:
		k.eMax = k.qB*k.qB + k.qC // L at p = 0, its largest value
	}
}

func (k *intSoftmaxKernel) check(d tensor.DType) error {
	if err := nlSignedInput(d); err != nil {
		return err
	}
	if want := StorageType(k.inBits, true); d != want {
		return fmt.Errorf("input is %v; in_bits %d is stored as %v", d, k.inBits, want)
	}
	return nil
}

func (k *intSoftmaxKernel) InferShapes(in []graph.ValueInfo, _ []*tensor.Tensor) ([]graph.ValueInfo, error) {
	return nlSameShape(in, k.out, k.check)
}

func (k *intSoftmaxKernel) Run(ctx *graph.Ctx, in []*tensor.Tensor) ([]*tensor.Tensor, error) {
	if len(in) < 1 || in[0] == nil {
		return nil, fmt.Errorf("needs 1 input")
	}
	x := in[0]
	if err := k.check(x.DType()); err != nil {
		return nil, err
	}
	row := k.floatRow
	if k.mode != ModeFloat {
		// The row sum is at most D·E_max; den = sum·2^k_shift must stay
		// below 2⁶² so that E·K + den/2 cannot overflow either.
		d := uint64(1)
		if x.Rank() > 0 {
			d = uint64(max(x.Dim(x.Rank()-1), 1))
		}
		if hi, lo := bits.Mul64(d, uint64(k.eMax)); hi != 0 || lo >= 1<<(62-k.kShift) {
			return nil, fmt.Errorf("rows of %d elements are too long: the sum of E·2^%d can overflow int64", d, k.kShift)
		}
		row = k.intRow
	}
	y, err := nlRows(ctx, x, k.out, row)
	if err != nil {
		return nil, err
	}
	return []*tensor.Tensor{y}, nil
}

// floatRow is the float mode: dequantize, float64 softmax, quantize with
// round half to even.
func (k *intSoftmaxKernel) floatRow(row []int64) {
	mx := rowMax(row)
	e := make([]float64, len(row))
	sum := 0.0
	for j, v := range row {
		e[j] = math.Exp(float64(v-mx) * k.inScale)
		sum += e[j]
	}
	for j := range row {
		row[j] = nlQuantize(e[j]/sum, k.out)
	}
}

// intRow is the lut and integer modes: E per element from the difference
// to the row maximum, then the integer normalisation.
func (k *intSoftmaxKernel) intRow(row []int64) {
	mx := rowMax(row)
	var sum int64
	for j, v := range row {
		d := mx - v // ≥ 0
		var e int64
		if k.mode == ModeLUT {
			e = k.table[min(d, int64(len(k.table)-1))]
		} else {
			e = k.iexp(d)
		}
		row[j] = e
		sum += e
	}
	// q = ⌊(E·K + den/2) / den⌋ with den = sum·2^k_shift: E·K/den rounded
	// half up, exactly (den is even, or the odd-sum case rounds to nearest).
	den := sum << k.kShift
	half := den >> 1
	lo, hi := k.out.QMin(), k.out.QMax()
	for j, e := range row {
		row[j] = Clamp((e*k.kMul+half)/den+k.out.ZeroPoint, lo, hi)
	}
}

// iexp is I-BERT's i-exp of −d (Kim et al. 2021, Algorithm 2) on the
// working grid: the difference d ≥ 0 is capped and rescaled to S_w, split
// as d_w = z·q_ln2 + r with 0 ≤ r < q_ln2, so exp(−d_w·S_w) = 2^−z·exp(−r·S_w)
// and exp(p), p = −r, is the parabola (p + q_b)² + q_c in units of a·S_w².
func (k *intSoftmaxKernel) iexp(d int64) int64 {
	dw := RShift(min(d, k.dCap)*k.inMul, k.inShift)
	z := dw / k.qLn2
	r := dw - z*k.qLn2
	if z >= 63 {
		return 0
	}
	l := (k.qB-r)*(k.qB-r) + k.qC
	return l >> z
}

// rowMax is the largest element of a non-empty row.
func rowMax(row []int64) int64 {
	mx := row[0]
	for _, v := range row[1:] {
		mx = max(mx, v)
	}
	return mx
}
