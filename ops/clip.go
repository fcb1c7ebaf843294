package ops

import (
	"fmt"
	"math"

	"t2c/graph"
	"t2c/tensor"
)

func init() { graph.Register("Clip", buildClip) }

// clipKernel is Clip. Before opset 11 the bounds are float attributes
// (default ∓FLT_MAX); from opset 11 they are optional scalar inputs of the
// input's type, and any numeric type is accepted. A value below min becomes
// min, then a value above max becomes max (so min > max yields max), and NaN
// passes through.
type clipKernel struct {
	attrs  bool
	lo, hi float64
}

func buildClip(_ *graph.Node, a *graph.Attrs, opset int) (graph.Kernel, error) {
	if opset >= 11 {
		return clipKernel{}, nil
	}
	return clipKernel{attrs: true, lo: float64(a.Float("min", -math.MaxFloat32)), hi: float64(a.Float("max", math.MaxFloat32))}, nil
}

func (clipKernel) InferShapes(in []graph.ValueInfo, _ []*tensor.Tensor) ([]graph.ValueInfo, error) {
	out, err := sameInfo(in)
	if err == nil && !isNumeric(in[0].DType) {
		err = fmt.Errorf("Clip does not support %v", in[0].DType)
	}
	return out, err
}

func (k clipKernel) Run(ctx *graph.Ctx, in []*tensor.Tensor) ([]*tensor.Tensor, error) {
	if err := need(in, 1); err != nil {
		return nil, err
	}
	x := in[0]
	lo, hi := opt(in, 1), opt(in, 2)
	if k.attrs {
		if !x.DType().IsFloat() {
			return nil, fmt.Errorf("Clip before opset 11 supports float inputs only, got %v", x.DType())
		}
		lo, hi = tensor.Cast(tensor.Scalar(k.lo), x.DType()), tensor.Cast(tensor.Scalar(k.hi), x.DType())
	}
	for i, b := range []*tensor.Tensor{lo, hi} {
		if b != nil && (b.DType() != x.DType() || b.Len() != 1) {
			return nil, fmt.Errorf("input %d must be a one-element %v tensor, got %v", i+1, x.DType(), b)
		}
	}
	out := ctx.Alloc(x.DType(), x.Shape()...)
	switch x.DType() {
	case tensor.Float32:
		clipT[float32](out, x, lo, hi)
	case tensor.Float64:
		clipT[float64](out, x, lo, hi)
	case tensor.Int8:
		clipT[int8](out, x, lo, hi)
	case tensor.Uint8:
		clipT[uint8](out, x, lo, hi)
	case tensor.Int16:
		clipT[int16](out, x, lo, hi)
	case tensor.Uint16:
		clipT[uint16](out, x, lo, hi)
	case tensor.Int32:
		clipT[int32](out, x, lo, hi)
	case tensor.Uint32:
		clipT[uint32](out, x, lo, hi)
	case tensor.Int64:
		clipT[int64](out, x, lo, hi)
	case tensor.Uint64:
		clipT[uint64](out, x, lo, hi)
	default:
		return nil, fmt.Errorf("Clip does not support %v", x.DType())
	}
	return []*tensor.Tensor{out}, nil
}

func clipT[T tensor.Number](out, x, loT, hiT *tensor.Tensor) {
	o, v := tensor.Data[T](out), tensor.Data[T](x)
	hasLo, hasHi := loT != nil, hiT != nil
	var lo, hi T
	if hasLo {
		lo = tensor.Data[T](loT)[0]
	}
	if hasHi {
		hi = tensor.Data[T](hiT)[0]
	}
	for i, e := range v {
		if hasLo && e < lo {
			e = lo
		}
		if hasHi && e > hi {
			e = hi
		}
		o[i] = e
	}
}
