package quant

import (
	"fmt"
	"math"

	"t2c/tensor"
)

// QParams are the exact integer parameters of one quantized operand: what
// a converter folds into integer kernels and what the integer runtime uses.
type QParams struct {
	Spec
	// Scale is the dequantization step per group: one (PerTensor), one per
	// channel of Axis (PerChannel), one per token row (PerToken; row r of
	// the operand uses Scale[r mod len(Scale)]), or one per block
	// (PerBlock, where Scale = 2^(Exponent − (Bits − 2))).
	Scale []float32
	// ZeroPoint is the integer that represents 0, per group (all zero for
	// symmetric formats and blocks).
	ZeroPoint []int32
	// Exponent is MXINT's shared exponent per block, in [outer, blocks,
	// inner] order for the operand viewed as [outer, Shape[Axis], inner]
	// with blocks of Block elements along Axis (the last may be short).
	Exponent []int32
	// Shape is the operand shape the parameters were computed for, when
	// they depend on the data (dynamic per-token and per-block); nil for
	// parameters that hold for any batch.
	Shape []int
}

// HalfAway reports the rounding of Quantize: round half away from zero for
// MXINT blocks (the OCP MX rule), round half to even otherwise.
func (p *QParams) HalfAway() bool { return p.Granularity == PerBlock }

// Quantize maps x to integers on these parameters, stored in
// Spec.StorageType:
//
//	affine: q = clamp(round_half_even(x/s) + z, qmin, qmax)
//	block:  q = clamp(round_half_away(x · 2^(Bits−2−e)), qmin, qmax)
func (p *QParams) Quantize(x *tensor.Tensor) (*tensor.Tensor, error) {
	if x.DType() != tensor.Float32 {
		return nil, fmt.Errorf("quantize: want float32, got %v", x.DType())
	}
	if err := p.checkShape(x.Shape()); err != nil {
		return nil, err
	}
	qs := make([]int32, x.Len())
	xs := x.Float32()
	qmin, qmax := int32(p.QMin()), int32(p.QMax())
	if p.Granularity == PerBlock {
		bl, err := blockLayoutFor(p.Spec, x.Shape())
		if err != nil {
			return nil, err
		}
		if len(p.Exponent) != bl.count() {
			return nil, fmt.Errorf("quantize: operand %v has %d blocks, parameters hold %d exponents", x.Shape(), bl.count(), len(p.Exponent))
		}
		bl.each(func(b, base, stride, n int) {
			for j := 0; j < n; j++ {
				i := base + j*stride
				qs[i], _ = mxQuantize1(xs[i], p.Exponent[b], p.Bits, qmin, qmax)
			}
		})
	} else {
		l, err := p.layout(x.Shape())
		if err != nil {
			return nil, err
		}
		l.each(func(g, lo, hi int) {
			for i := lo; i < hi; i++ {
				qs[i], _ = quantize1(xs[i], p.Scale[g], p.ZeroPoint[g], qmin, qmax)
			}
		})
	}
	return tensor.Cast(tensor.New(x.Shape(), qs), p.StorageType()), nil
}

// Dequantize maps integers back to float32: (q − z)·s, or q·2^(e−(Bits−2))
// for blocks.
func (p *QParams) Dequantize(q *tensor.Tensor) (*tensor.Tensor, error) {
	if !q.DType().IsInteger() {
		return nil, fmt.Errorf("dequantize: want an integer tensor, got %v", q.DType())
	}
	if err := p.checkShape(q.Shape()); err != nil {
		return nil, err
	}
	qs := q.Int64s()
	out := tensor.Zeros(tensor.Float32, q.Shape()...)
	ys := out.Float32()
	if p.Granularity == PerBlock {
		bl, err := blockLayoutFor(p.Spec, q.Shape())
		if err != nil {
			return nil, err
		}
		if len(p.Exponent) != bl.count() {
			return nil, fmt.Errorf("dequantize: operand %v has %d blocks, parameters hold %d exponents", q.Shape(), bl.count(), len(p.Exponent))
		}
		bl.each(func(b, base, stride, n int) {
			for j := 0; j < n; j++ {
				i := base + j*stride
				ys[i] = float32(math.Ldexp(float64(qs[i]), int(p.Exponent[b])-(p.Bits-2)))
			}
		})
		return out, nil
	}
	l, err := p.layout(q.Shape())
	if err != nil {
		return nil, err
	}
	l.each(func(g, lo, hi int) {
		for i := lo; i < hi; i++ {
			ys[i] = float32(int32(qs[i])-p.ZeroPoint[g]) * p.Scale[g]
		}
	})
	return out, nil
}

func (p *QParams) checkShape(shape []int) error {
	if p.Shape != nil && !tensor.SameShape(shape, p.Shape) {
		return fmt.Errorf("parameters were computed for shape %v, got %v", p.Shape, shape)
	}
	return nil
}

func (p *QParams) layout(shape []int) (layout, error) {
	if len(p.Scale) == 0 || len(p.Scale) != len(p.ZeroPoint) {
		return layout{}, fmt.Errorf("parameters hold %d scales and %d zero points", len(p.Scale), len(p.ZeroPoint))
	}
	return layoutFor(p.Spec, shape, len(p.Scale))
}
