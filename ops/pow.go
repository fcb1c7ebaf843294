package ops

import (
	"fmt"
	"math"

	"t2c/graph"
	"t2c/tensor"
)

func init() { graph.Register("Pow", buildPow) }

func buildPow(*graph.Node, *graph.Attrs, int) (graph.Kernel, error) { return powKernel{}, nil }

// powKernel is Pow: base of any numeric type raised to an exponent of any
// numeric type, with broadcasting; the output has the base's type. Integer
// bases with integer exponents use exact integer powers; other cases follow
// NumPy: compute in float64 and convert to the base type.
type powKernel struct{}

func (powKernel) InferShapes(in []graph.ValueInfo, _ []*tensor.Tensor) ([]graph.ValueInfo, error) {
	if len(in) < 2 || in[0].DType == tensor.Invalid || in[1].DType == tensor.Invalid {
		return nil, fmt.Errorf("needs 2 inputs")
	}
	if !isNumeric(in[0].DType) || !isNumeric(in[1].DType) {
		return nil, fmt.Errorf("Pow of %v and %v is not supported", in[0].DType, in[1].DType)
	}
	return broadcastInfo(in[0].DType, in[0], in[1])
}

func (powKernel) Run(ctx *graph.Ctx, in []*tensor.Tensor) ([]*tensor.Tensor, error) {
	if err := need(in, 2); err != nil {
		return nil, err
	}
	x, y := in[0], in[1]
	if !isNumeric(x.DType()) || !isNumeric(y.DType()) {
		return nil, fmt.Errorf("Pow of %v and %v is not supported", x.DType(), y.DType())
	}
	shape, err := tensor.BroadcastShapes(x.Shape(), y.Shape())
	if err != nil {
		return nil, err
	}
	out := ctx.Alloc(x.DType(), shape...)
	if x.DType() == tensor.Float32 && y.DType() == tensor.Float32 {
		powSquareFast(out, x, y)
		return []*tensor.Tensor{out}, nil
	}
	if y.DType().IsFloat() {
		if y.DType() != tensor.Float64 {
			y = tensor.Cast(y, tensor.Float64)
		}
		switch x.DType() {
		case tensor.Float32:
			bcast2(out, x, y, powFloat[float32])
		case tensor.Float64:
			bcast2(out, x, y, powFloat[float64])
		case tensor.Int8:
			bcast2(out, x, y, powFloat[int8])
		case tensor.Uint8:
			bcast2(out, x, y, powFloat[uint8])
		case tensor.Int16:
			bcast2(out, x, y, powFloat[int16])
		case tensor.Uint16:
			bcast2(out, x, y, powFloat[uint16])
		case tensor.Int32:
			bcast2(out, x, y, powFloat[int32])
		case tensor.Uint32:
			bcast2(out, x, y, powFloat[uint32])
		case tensor.Int64:
			bcast2(out, x, y, powFloat[int64])
		case tensor.Uint64:
			bcast2(out, x, y, powFloat[uint64])
		}
		return []*tensor.Tensor{out}, nil
	}
	if y.DType() != tensor.Int64 {
		y = tensor.Cast(y, tensor.Int64)
	}
	switch x.DType() {
	case tensor.Float32:
		bcast2(out, x, y, powFloatInt[float32])
	case tensor.Float64:
		bcast2(out, x, y, powFloatInt[float64])
	case tensor.Int8:
		bcast2(out, x, y, powInt[int8])
	case tensor.Uint8:
		bcast2(out, x, y, powInt[uint8])
	case tensor.Int16:
		bcast2(out, x, y, powInt[int16])
	case tensor.Uint16:
		bcast2(out, x, y, powInt[uint16])
	case tensor.Int32:
		bcast2(out, x, y, powInt[int32])
	case tensor.Uint32:
		bcast2(out, x, y, powInt[uint32])
	case tensor.Int64:
		bcast2(out, x, y, powInt[int64])
	case tensor.Uint64:
		bcast2(out, x, y, powInt[uint64])
	}
	return []*tensor.Tensor{out}, nil
}

// powSquareFast handles float32^float32, squaring directly for the common
// constant exponent 2 (variance in decomposed normalisations).
func powSquareFast(out, x, y *tensor.Tensor) {
	if y.Len() == 1 && y.Float32()[0] == 2 {
		o, v := out.Float32(), x.Float32()
		if len(o) == len(v) {
			for i, e := range v {
				o[i] = e * e
			}
			return
		}
	}
	bcast2(out, x, y, func(a, b float32) float32 { return float32(math.Pow(float64(a), float64(b))) })
}

func isNumeric(d tensor.DType) bool { return d.IsFloat() || d.IsInteger() }

func powFloat[T tensor.Number](x T, y float64) T { return T(math.Pow(float64(x), y)) }

func powFloatInt[T tensor.Number](x T, y int64) T { return T(math.Pow(float64(x), float64(y))) }

// powInt is exact integer exponentiation (wrapping on overflow like C).
// Negative exponents give 1/x^-y truncated: 1 for x = 1, ±1 for x = -1, and
// 0 otherwise (x = 0 included, where the result is undefined).
func powInt[T tensor.Number](x T, y int64) T {
	if y < 0 {
		switch {
		case x == 1:
			return 1
		case x == 0:
			return 0
		case x+1 == 0: // x == -1 for signed types
			if y%2 == 0 {
				return 1
			}
			return x
		}
		return 0
	}
	r := T(1)
	for y > 0 {
		if y&1 == 1 {
			r *= x
		}
		x *= x
		y >>= 1
	}
	return r
}
