package quant

import (
	"fmt"
	"math"

	"t2c/graph"
	"t2c/tensor"
)

// MXINT (OCP Microscaling integer formats): blocks of Block consecutive
// elements along Axis share an exponent e = floor(log2(max|x| in block)),
// and each element is an n-bit integer q with implicit scale 2^−(n−2):
//
//	q = clamp(round_half_away(x / 2^e / 2^−(n−2)), −2ⁿ⁻¹, 2ⁿ⁻¹−1),  x̂ = q·2^(e−(n−2))
//
// so the block maximum maps to [2ⁿ⁻², 2ⁿ⁻¹). Exponents are clamped to the
// E8M0 range [−127, 127]; an all-zero block gets −127. The placement pass
// runs blocks along the reduction axis of the consuming op, so the two
// blocks multiplied in a dot product each carry one exponent.

func init() {
	Register("mxint", newMXINT)
	Register("mxint_quant", newMXINT) // Torch2Chip's weight-quantizer name
}

const (
	mxExpMin = -127
	mxExpMax = 127
)

type mxint struct{ s Spec }

func newMXINT(s Spec, a *graph.Attrs) (Quantizer, error) {
	if s.Block == 0 {
		s.Block = 32
	}
	s.Signed = true
	s, err := s.withDefault("mxint", PerBlock)
	if err != nil {
		return nil, err
	}
	if s.Bits != 4 && s.Bits != 8 {
		return nil, fmt.Errorf("MXINT elements are 4 or 8 bits, got %d", s.Bits)
	}
	if s.Block != 16 && s.Block != 32 {
		return nil, fmt.Errorf("MXINT blocks hold 16 or 32 elements, got %d", s.Block)
	}
	return mxint{s}, nil
}

func (m mxint) Spec() Spec                                   { return m.s }
func (m mxint) Init([]int) ([]Param, error)                  { return nil, nil }
func (m mxint) Observe(*tensor.Tensor, State) error          { return nil }
func (m mxint) qrange() (int32, int32)                       { return int32(m.s.QMin()), int32(m.s.QMax()) }
func (m mxint) layout(x *tensor.Tensor) (blockLayout, error) { return blockLayoutFor(m.s, x.Shape()) }

func (m mxint) Forward(ctx *graph.Ctx, x *tensor.Tensor, _ State, _ bool) (*tensor.Tensor, *tensor.Tensor, error) {
	bl, err := m.layout(x)
	if err != nil {
		return nil, nil, err
	}
	y := ctx.Alloc(tensor.Float32, x.Shape()...)
	xs, ys := x.Float32(), y.Float32()
	qmin, qmax := m.qrange()
	bl.each(func(_, base, stride, n int) {
		e := mxExponent(xs, base, stride, n)
		for j := 0; j < n; j++ {
			i := base + j*stride
			q, _ := mxQuantize1(xs[i], e, m.s.Bits, qmin, qmax)
			ys[i] = float32(math.Ldexp(float64(q), int(e)-(m.s.Bits-2)))
		}
	})
	return y, nil, nil
}

// Backward is the straight-through estimator: the gradient passes where the
// element was not clamped (the shared exponent is treated as a constant).
func (m mxint) Backward(_ *graph.Ctx, x *tensor.Tensor, _ State, _ bool, _, dy *tensor.Tensor) (*tensor.Tensor, []*tensor.Tensor, error) {
	bl, err := m.layout(x)
	if err != nil {
		return nil, nil, err
	}
	dx := tensor.Zeros(tensor.Float32, x.Shape()...)
	xs, ds, gs := x.Float32(), dx.Float32(), dy.Float32()
	qmin, qmax := m.qrange()
	bl.each(func(_, base, stride, n int) {
		e := mxExponent(xs, base, stride, n)
		for j := 0; j < n; j++ {
			i := base + j*stride
			if _, in := mxQuantize1(xs[i], e, m.s.Bits, qmin, qmax); in {
				ds[i] = gs[i]
			}
		}
	})
	return dx, nil, nil
}

// QParams returns the shared exponent (and the equivalent power-of-two
// scale) of every block of x; x is required.
func (m mxint) QParams(x *tensor.Tensor, _ State) (*QParams, error) {
	if x == nil {
		return nil, fmt.Errorf("mxint: exponents depend on the data; pass the operand")
	}
	bl, err := m.layout(x)
	if err != nil {
		return nil, err
	}
	p := &QParams{Spec: m.s, Shape: append([]int(nil), x.Shape()...)}
	p.Exponent = make([]int32, bl.count())
	p.Scale = make([]float32, bl.count())
	p.ZeroPoint = make([]int32, bl.count())
	xs := x.Float32()
	bl.each(func(b, base, stride, n int) {
		e := mxExponent(xs, base, stride, n)
		p.Exponent[b] = e
		p.Scale[b] = float32(math.Ldexp(1, int(e)-(m.s.Bits-2)))
	})
	return p, nil
}

// mxExponent is floor(log2(max|x|)) over a block, clamped to E8M0.
func mxExponent(xs []float32, base, stride, n int) int32 {
	var m float32
	for j := 0; j < n; j++ {
		m = max(m, float32(math.Abs(float64(xs[base+j*stride]))))
	}
	if m == 0 || m != m {
		return mxExpMin
	}
	_, exp := math.Frexp(float64(m)) // m = f·2^exp, f in [0.5, 1)
	return int32(min(max(exp-1, mxExpMin), mxExpMax))
}

// mxQuantize1 quantizes one element with shared exponent e and reports
// whether it was inside the range before clamping.
func mxQuantize1(x float32, e int32, bits int, qmin, qmax int32) (int32, bool) {
	r := math.Round(math.Ldexp(float64(x), bits-2-int(e))) // half away from zero
	switch {
	case r < float64(qmin):
		return qmin, false
	case r > float64(qmax):
		return qmax, false
	case r != r:
		return 0, false
	}
	return int32(r), true
}

// blockLayout views a tensor as [outer, dim, inner] with blocks of block
// elements along dim (the last block may be short).
type blockLayout struct{ outer, dim, inner, block int }

func blockLayoutFor(s Spec, shape []int) (blockLayout, error) {
	if s.Block < 1 {
		return blockLayout{}, fmt.Errorf("block size must be positive, got %d", s.Block)
	}
	ax, err := normAxis(s.Axis, len(shape))
	if err != nil {
		return blockLayout{}, fmt.Errorf("block axis: %w", err)
	}
	outer, dim, inner := tensor.SplitAxis(shape, ax)
	return blockLayout{outer, dim, inner, s.Block}, nil
}

func (b blockLayout) blocks() int { return (b.dim + b.block - 1) / b.block }

// count is the number of blocks.
func (b blockLayout) count() int { return b.outer * b.blocks() * b.inner }

// each calls f for every block with its index, the flat index of its first
// element, the stride between its elements and its length.
func (b blockLayout) each(f func(blk, base, stride, n int)) {
	nb := b.blocks()
	for o := 0; o < b.outer; o++ {
		for bi := 0; bi < nb; bi++ {
			start := bi * b.block
			n := min(b.block, b.dim-start)
			for k := 0; k < b.inner; k++ {
				f((o*nb+bi)*b.inner+k, (o*b.dim+start)*b.inner+k, b.inner, n)
			}
		}
	}
}
