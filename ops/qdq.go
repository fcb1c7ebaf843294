package ops

import (
	"fmt"
	"math"

	"t2c/graph"
	"t2c/tensor"
)

func init() {
	graph.Register("QuantizeLinear", buildQuantizeLinear)
	graph.Register("DequantizeLinear", buildDequantizeLinear)
}

// This file holds the ONNX quantization pair that QDQ models (ONNX
// Runtime's quantization format, and what package qdq exports) are made of,
// with opset 10 and 13 semantics:
//
//	QuantizeLinear:   y = saturate(round_half_even(x / scale) + zero_point)
//	DequantizeLinear: y = (x − zero_point) · scale
//
// scale is one value (per tensor) or, from opset 13, a 1-D tensor with one
// value per index of axis (per axis); zero_point has scale's shape. The
// arithmetic is float32 as in ONNX Runtime and in t2c's FakeQuant
// (package quant), so a quantizer exported as this pair computes the same
// bits.

// qdqFirstOpset is the opset that introduced both ops.
const qdqFirstOpset = 10

// qdqAxisOpset is the first opset with per-axis scales (the axis attribute).
const qdqAxisOpset = 13

// qdqKernel is QuantizeLinear (quantize set) or DequantizeLinear.
type qdqKernel struct {
	quantize bool
	perAxis  bool // opset ≥ 13: 1-D scales and the axis attribute
	axis     int
}

func buildQuantizeLinear(_ *graph.Node, a *graph.Attrs, opset int) (graph.Kernel, error) {
	return buildQDQ(a, opset, true)
}

func buildDequantizeLinear(_ *graph.Node, a *graph.Attrs, opset int) (graph.Kernel, error) {
	return buildQDQ(a, opset, false)
}

func buildQDQ(a *graph.Attrs, opset int, quantize bool) (graph.Kernel, error) {
	if opset < qdqFirstOpset {
		return nil, fmt.Errorf("needs opset %d or later, the model declares %d", qdqFirstOpset, opset)
	}
	k := qdqKernel{quantize: quantize, axis: 1}
	if opset >= qdqAxisOpset {
		// Before opset 13 the attribute does not exist, so leaving it
		// unread reports it as unsupported there.
		k.perAxis = true
		k.axis = int(a.Int("axis", 1))
	}
	return k, nil
}

// outType is the output dtype given the input and zero-point dtypes
// (Invalid for an absent zero point), or an error for types the op lacks.
func (k qdqKernel) outType(x, zp tensor.DType) (tensor.DType, error) {
	if k.quantize {
		if x != tensor.Float32 && x != tensor.Int32 {
			return tensor.Invalid, fmt.Errorf("QuantizeLinear quantizes float32 or int32, got %v", x)
		}
		switch zp {
		case tensor.Invalid:
			return tensor.Uint8, nil // ONNX: no zero point means uint8, zero 0
		case tensor.Uint8, tensor.Int8:
			return zp, nil
		}
		return tensor.Invalid, fmt.Errorf("y_zero_point must be uint8 or int8, got %v", zp)
	}
	switch x {
	case tensor.Uint8, tensor.Int8, tensor.Int32:
	default:
		return tensor.Invalid, fmt.Errorf("DequantizeLinear dequantizes uint8, int8 or int32, got %v", x)
	}
	if zp != tensor.Invalid && zp != x {
		return tensor.Invalid, fmt.Errorf("x_zero_point is %v, x is %v (they must match)", zp, x)
	}
	return tensor.Float32, nil
}

// InferShapes implements graph.ShapeInferer: y is shaped like x.
func (k qdqKernel) InferShapes(in []graph.ValueInfo, _ []*tensor.Tensor) ([]graph.ValueInfo, error) {
	if len(in) < 2 || in[0].DType == tensor.Invalid || in[1].DType == tensor.Invalid {
		return nil, fmt.Errorf("inputs 0 (x) and 1 (scale) are required")
	}
	zp := tensor.Invalid
	if len(in) > 2 {
		zp = in[2].DType
	}
	d, err := k.outType(in[0].DType, zp)
	if err != nil {
		return nil, err
	}
	return []graph.ValueInfo{{DType: d, Shape: in[0].Shape}}, nil
}

func (k qdqKernel) Run(ctx *graph.Ctx, in []*tensor.Tensor) ([]*tensor.Tensor, error) {
	if err := need(in, 2); err != nil {
		return nil, err
	}
	x, scale, zpT := in[0], in[1], opt(in, 2)
	zpType := tensor.Invalid
	if zpT != nil {
		zpType = zpT.DType()
	}
	d, err := k.outType(x.DType(), zpType)
	if err != nil {
		return nil, err
	}
	l, err := k.layout(x, scale, zpT)
	if err != nil {
		return nil, err
	}
	s := scale.Float32()
	z := make([]int32, len(s)) // absent zero point: 0
	if zpT != nil {
		for i, v := range zpT.Int64s() {
			z[i] = int32(v)
		}
	}
	out := ctx.Alloc(d, x.Shape()...)
	if !k.quantize {
		switch x.DType() {
		case tensor.Int8:
			dequantizeLinear(out.Float32(), tensor.Data[int8](x), l, s, z)
		case tensor.Uint8:
			dequantizeLinear(out.Float32(), tensor.Data[uint8](x), l, s, z)
		default:
			dequantizeLinear(out.Float32(), x.Int32(), l, s, z)
		}
		return []*tensor.Tensor{out}, nil
	}
	if d == tensor.Int8 {
		quantizeLinear(tensor.Data[int8](out), x, l, s, z, math.MinInt8, math.MaxInt8)
	} else {
		quantizeLinear(tensor.Data[uint8](out), x, l, s, z, 0, math.MaxUint8)
	}
	return []*tensor.Tensor{out}, nil
}

// qdqLayout views x as [outer, groups, inner]: element
// (o·groups + g)·inner + j uses scale g.
type qdqLayout struct{ outer, groups, inner int }

// layout checks scale and zero point against x: one value per tensor
// (a scalar, or a one-element 1-D tensor as ONNX Runtime accepts), or from
// opset 13 a 1-D tensor with one value per index of axis.
func (k qdqKernel) layout(x, scale, zp *tensor.Tensor) (qdqLayout, error) {
	if scale.DType() != tensor.Float32 {
		return qdqLayout{}, fmt.Errorf("scale must be float32, got %v", scale.DType())
	}
	if zp != nil && (zp.Len() != scale.Len() || zp.Rank() != scale.Rank()) {
		return qdqLayout{}, fmt.Errorf("zero point shape %v differs from scale shape %v", zp.Shape(), scale.Shape())
	}
	n := x.Len()
	switch {
	case scale.Rank() == 0 || (scale.Rank() == 1 && scale.Len() == 1):
		return qdqLayout{1, 1, n}, nil
	case !k.perAxis:
		return qdqLayout{}, fmt.Errorf("scale must be a scalar before opset %d, got shape %v", qdqAxisOpset, scale.Shape())
	case scale.Rank() != 1:
		return qdqLayout{}, fmt.Errorf("scale must be a scalar or 1-D, got shape %v", scale.Shape())
	}
	ax, err := normAxis(k.axis, x.Rank())
	if err != nil {
		return qdqLayout{}, err
	}
	outer, c, inner := tensor.SplitAxis(x.Shape(), ax)
	if c != scale.Len() {
		return qdqLayout{}, fmt.Errorf("x %v has %d elements on axis %d, scale has %d", x.Shape(), c, k.axis, scale.Len())
	}
	return qdqLayout{outer, c, inner}, nil
}

// each calls f for every contiguous run [lo, hi) of elements sharing a group.
func (l qdqLayout) each(f func(g, lo, hi int)) {
	for o := 0; o < l.outer; o++ {
		for g := 0; g < l.groups; g++ {
			lo := (o*l.groups + g) * l.inner
			f(g, lo, lo+l.inner)
		}
	}
}

// quantizeLinear writes saturate(round_half_even(x/s) + z) into dst. For
// float32 x the quotient is float32, as in ONNX Runtime and FakeQuant (the
// bits must agree at rounding ties); int32 x divides in float64, as the
// ONNX reference does. NaN quantizes to the zero point (dequantizing to 0),
// the choice FakeQuant makes; ONNX leaves it undefined.
func quantizeLinear[T int8 | uint8](dst []T, x *tensor.Tensor, l qdqLayout, s []float32, z []int32, qmin, qmax float64) {
	q := func(v float64, g int) T {
		r := math.RoundToEven(v) + float64(z[g])
		switch {
		case r != r:
			return T(z[g])
		case r < qmin:
			return T(qmin)
		case r > qmax:
			return T(qmax)
		}
		return T(r)
	}
	if x.DType() == tensor.Float32 {
		xs := x.Float32()
		l.each(func(g, lo, hi int) {
			for i := lo; i < hi; i++ {
				dst[i] = q(float64(xs[i]/s[g]), g)
			}
		})
		return
	}
	xs := x.Int32()
	l.each(func(g, lo, hi int) {
		for i := lo; i < hi; i++ {
			dst[i] = q(float64(xs[i])/float64(s[g]), g)
		}
	})
}

// dequantizeLinear writes (x − z)·s into dst: the difference is exact in
// int64 and converted once, then multiplied in float32.
func dequantizeLinear[T int8 | uint8 | int32](dst []float32, x []T, l qdqLayout, s []float32, z []int32) {
	l.each(func(g, lo, hi int) {
		zg, sg := int64(z[g]), s[g]
		for i := lo; i < hi; i++ {
			dst[i] = float32(int64(x[i])-zg) * sg
		}
	})
}
