package integer

import (
	"fmt"

	"t2c/graph"
	"t2c/kernels"
	"t2c/tensor"
)

func init() { graph.Register(OpRequant, buildRequant) }

// RequantParams are the Go values of a Requant node (docs/INTEGER.md §4):
// per channel k of Axis, y = clamp(rshift((x − InZeroPoint)·m_k + b_k, s_k)
// + Out.ZeroPoint, Lo, Hi).
type RequantParams struct {
	Axis        int     // channel axis of the input (used when len(Channels) > 1)
	Channels    []Fixed // one rescale, or one per channel of Axis
	InZeroPoint int64
	Lo, Hi      int64 // clamp limits; both 0 means the limits of Out
	Out         Grid
	Layer       string // module path, metadata only
}

// NewRequant builds a Requant node reading value in and writing out.
// Multipliers, shifts and biases are written one per channel, or once when
// every channel has the same value.
func NewRequant(name, in, out string, p RequantParams) *graph.Node {
	lo, hi := clampOrGrid(p.Lo, p.Hi, p.Out)
	var m, s, b []int64
	for _, f := range p.Channels {
		m, s, b = append(m, f.Multiplier), append(s, int64(f.Shift)), append(b, f.Bias)
	}
	attrs := p.Out.Attrs(map[string]graph.Attr{
		"axis":          graph.IntAttr(int64(p.Axis)),
		"multiplier":    graph.IntsAttr(compactInts(m)...),
		"shift":         graph.IntsAttr(compactInts(s)...),
		"bias":          graph.IntsAttr(compactInts(b)...),
		"in_zero_point": graph.IntAttr(p.InZeroPoint),
		attrLo:          graph.IntAttr(lo),
		attrHi:          graph.IntAttr(hi),
	})
	return newNode(name, OpRequant, []string{in}, out, p.Layer, attrs)
}

// compactInts returns v, or its one value when all entries are equal.
func compactInts(v []int64) []int64 {
	for _, x := range v {
		if x != v[0] {
			return v
		}
	}
	return v[:min(len(v), 1)]
}

// requantKernel holds the checked attributes of a Requant node.
type requantKernel struct {
	axis     int
	m, b     []int64 // one entry, or one per channel
	s        []int
	channels int // 1 when every list has one entry
	inZP     int64
	lo, hi   int64
	out      Grid
}

func buildRequant(_ *graph.Node, a *graph.Attrs, _ int) (graph.Kernel, error) {
	readLayer(a)
	k := &requantKernel{axis: int(a.Int("axis", 1)), inZP: a.Int("in_zero_point", 0)}
	checkZeroPoint(a, "in_zero_point", k.inZP)
	k.out, _ = readOutGrid(a, true)
	k.lo, k.hi = readClamp(a, k.out)
	m := a.Ints("multiplier", nil)
	if len(m) == 0 {
		a.Fail("multiplier", "is required")
	}
	s, b := a.Ints("shift", []int{0}), a.Ints("bias", []int{0})
	k.channels = max(len(m), len(s), len(b))
	for name, v := range map[string][]int{"multiplier": m, "shift": s, "bias": b} {
		if len(v) != 1 && len(v) != k.channels {
			a.Fail(name, "has %d entries; want 1 or %d (one per channel)", len(v), k.channels)
		}
	}
	for _, v := range m {
		checkMultiplier(a, "multiplier", int64(v))
		k.m = append(k.m, int64(v))
	}
	for _, v := range s {
		checkShift(a, "shift", int64(v))
		k.s = append(k.s, v)
	}
	for _, v := range b {
		if v > maxBias || v < -maxBias {
			a.Fail("bias", "bias %d does not fit 62 bits and a sign", v)
		}
		k.b = append(k.b, int64(v))
	}
	return k, nil
}

// channelEntry returns entry c of a one-or-per-channel list.
func channelEntry[T any](v []T, c int) T {
	if len(v) == 1 {
		return v[0]
	}
	return v[c]
}

// requantPlan is a Requant specialised to one input: per channel, the
// multiplier and one additive constant b_k − z_in·m_k + 2^(s_k−1) that
// folds the zero point, the bias and the rounding half, so each element
// costs a multiply, an add and a shift.
type requantPlan struct {
	outer, ch, inner int
	mul, add         []int64
	shift            []uint
	lo, hi, zp       int64 // clamp limits relative to the output zero point, and that zero point
}

// plan checks the input against the attributes, including that no
// intermediate can overflow int64 (x is nil during shape inference).
func (k *requantKernel) plan(d tensor.DType, shape []int, x *tensor.Tensor) (*requantPlan, error) {
	if err := checkIntInput("input", d); err != nil {
		return nil, err
	}
	p := &requantPlan{outer: 1, ch: 1, inner: tensor.NumElems(shape),
		lo: k.lo - k.out.ZeroPoint, hi: k.hi - k.out.ZeroPoint, zp: k.out.ZeroPoint}
	if k.channels > 1 {
		axis, err := normAxis(k.axis, len(shape))
		if err != nil {
			return nil, err
		}
		if shape[axis] != k.channels {
			return nil, fmt.Errorf("input %v has %d channels on axis %d; the node has %d rescales", shape, shape[axis], axis, k.channels)
		}
		p.outer, p.ch, p.inner = tensor.NumElems(shape[:axis]), k.channels, tensor.NumElems(shape[axis+1:])
	}
	fits := func(xmax []uint64) bool {
		for c := 0; c < p.ch; c++ {
			if !productsFit(xmax[0], uabs(channelEntry(k.m, c)), uabs(channelEntry(k.b, c)), 1, uint64(roundingHalf(channelEntry(k.s, c))), 1) {
				return false
			}
		}
		return true
	}
	if ok, decided := noOverflow(fits, operand{d, x, k.inZP}); !ok && decided {
		return nil, fmt.Errorf("(x − %d)·m + b can overflow int64 for this %v input", k.inZP, d)
	}
	for c := 0; c < p.ch; c++ {
		m, b, s := channelEntry(k.m, c), channelEntry(k.b, c), channelEntry(k.s, c)
		half := roundingHalf(s)
		// Wrapping int64 arithmetic makes x·m + add equal t + half exactly
		// whenever that fits, which noOverflow proved.
		p.mul = append(p.mul, m)
		p.add = append(p.add, b-k.inZP*m+half)
		p.shift = append(p.shift, uint(s))
	}
	return p, nil
}

func (k *requantKernel) InferShapes(in []graph.ValueInfo, _ []*tensor.Tensor) ([]graph.ValueInfo, error) {
	if err := requireInfos(in, 1); err != nil {
		return nil, err
	}
	if _, err := k.plan(in[0].DType, in[0].Shape, nil); err != nil {
		return nil, err
	}
	return []graph.ValueInfo{{DType: k.out.DType(), Shape: in[0].Shape}}, nil
}

func (k *requantKernel) Run(ctx *graph.Ctx, in []*tensor.Tensor) ([]*tensor.Tensor, error) {
	if err := requireInputs(in, 1); err != nil {
		return nil, err
	}
	x := in[0]
	p, err := k.plan(x.DType(), x.Shape(), x)
	if err != nil {
		return nil, err
	}
	y := ctx.Alloc(k.out.DType(), x.Shape()...)
	switch x.DType() {
	case tensor.Int8:
		requantTo(p, tensor.Data[int8](x), y)
	case tensor.Uint8:
		requantTo(p, tensor.Data[uint8](x), y)
	case tensor.Int16:
		requantTo(p, tensor.Data[int16](x), y)
	case tensor.Uint16:
		requantTo(p, tensor.Data[uint16](x), y)
	case tensor.Int32:
		requantTo(p, tensor.Data[int32](x), y)
	}
	return []*tensor.Tensor{y}, nil
}

// requantTo dispatches on the output storage type.
func requantTo[TI intElem](p *requantPlan, x []TI, y *tensor.Tensor) {
	switch y.DType() {
	case tensor.Int8:
		requantRun(p, x, tensor.Data[int8](y))
	case tensor.Uint8:
		requantRun(p, x, tensor.Data[uint8](y))
	case tensor.Int16:
		requantRun(p, x, tensor.Data[int16](y))
	case tensor.Uint16:
		requantRun(p, x, tensor.Data[uint16](y))
	case tensor.Int32:
		requantRun(p, x, tensor.Data[int32](y))
	}
}

// requantRun rescales x into y in parallel: over the flat array for one
// rescale, over rows when the channel axis is the last one, else over
// blocks of one channel.
func requantRun[TI, TO intElem](p *requantPlan, x []TI, y []TO) {
	lo, hi, zp := p.lo, p.hi, p.zp
	if p.inner == 1 && p.ch > 1 { // channels last: [tokens, features]
		ch := p.ch
		kernels.Parallel(p.outer, max(1, parallelGrain/ch), func(r0, r1 int) {
			for r := r0; r < r1; r++ {
				xs, ys := x[r*ch:(r+1)*ch], y[r*ch:(r+1)*ch]
				ys = ys[:len(xs)]
				mul, add, shift := p.mul[:len(xs)], p.add[:len(xs)], p.shift[:len(xs)]
				for c, v := range xs {
					t := (int64(v)*mul[c] + add[c]) >> (shift[c] & 63)
					ys[c] = TO(min(max(t, lo), hi) + zp)
				}
			}
		})
		return
	}
	if p.ch == 1 { // one rescale: split the flat array
		kernels.Parallel(len(x), parallelGrain, func(i0, i1 int) {
			requantSpan(x[i0:i1], y[i0:i1], p.mul[0], p.add[0], p.shift[0], lo, hi, zp)
		})
		return
	}
	inner := p.inner
	kernels.Parallel(p.outer*p.ch, max(1, parallelGrain/max(inner, 1)), func(b0, b1 int) {
		for blk := b0; blk < b1; blk++ {
			c := blk % p.ch
			requantSpan(x[blk*inner:(blk+1)*inner], y[blk*inner:(blk+1)*inner], p.mul[c], p.add[c], p.shift[c], lo, hi, zp)
		}
	})
}

// requantSpan rescales a run of elements sharing one channel's constants.
// It is a plain function, not a closure, so that they stay in registers.
func requantSpan[TI, TO intElem](xs []TI, ys []TO, m, add int64, s uint, lo, hi, zp int64) {
	ys = ys[:len(xs)]
	for i, v := range xs {
		t := (int64(v)*m + add) >> (s & 63)
		ys[i] = TO(min(max(t, lo), hi) + zp)
	}
}
