package ops

import (
	"fmt"

	"t2c/graph"
	"t2c/tensor"
)

func init() {
	graph.Register("Equal", func(*graph.Node, *graph.Attrs, int) (graph.Kernel, error) { return equalKernel{}, nil })
	graph.Register("Where", func(*graph.Node, *graph.Attrs, int) (graph.Kernel, error) { return whereKernel{}, nil })
}

// equalKernel is Equal: elementwise a == b with broadcasting, to bool.
type equalKernel struct{}

func (equalKernel) InferShapes(in []graph.ValueInfo, _ []*tensor.Tensor) ([]graph.ValueInfo, error) {
	if len(in) < 2 {
		return nil, fmt.Errorf("needs 2 inputs")
	}
	if err := sameDTypes(in, 0, 1); err != nil {
		return nil, err
	}
	return broadcastInfo(tensor.Bool, in[0], in[1])
}

func (equalKernel) Run(ctx *graph.Ctx, in []*tensor.Tensor) ([]*tensor.Tensor, error) {
	if err := need(in, 2); err != nil {
		return nil, err
	}
	a, b := in[0], in[1]
	if a.DType() != b.DType() {
		return nil, fmt.Errorf("Equal of %v and %v: input types differ", a.DType(), b.DType())
	}
	shape, err := tensor.BroadcastShapes(a.Shape(), b.Shape())
	if err != nil {
		return nil, err
	}
	out := ctx.Alloc(tensor.Bool, shape...)
	switch a.DType() {
	case tensor.Float32:
		bcast2(out, a, b, eq[float32])
	case tensor.Float64:
		bcast2(out, a, b, eq[float64])
	case tensor.Int8:
		bcast2(out, a, b, eq[int8])
	case tensor.Uint8:
		bcast2(out, a, b, eq[uint8])
	case tensor.Int16:
		bcast2(out, a, b, eq[int16])
	case tensor.Uint16:
		bcast2(out, a, b, eq[uint16])
	case tensor.Int32:
		bcast2(out, a, b, eq[int32])
	case tensor.Uint32:
		bcast2(out, a, b, eq[uint32])
	case tensor.Int64:
		bcast2(out, a, b, eq[int64])
	case tensor.Uint64:
		bcast2(out, a, b, eq[uint64])
	case tensor.Bool:
		bcast2(out, a, b, eq[bool])
	default:
		return nil, fmt.Errorf("Equal does not support %v", a.DType())
	}
	return []*tensor.Tensor{out}, nil
}

func eq[T tensor.Elem](x, y T) bool { return x == y }

// whereKernel is Where(cond, x, y) with three-way broadcasting.
type whereKernel struct{}

func (whereKernel) InferShapes(in []graph.ValueInfo, _ []*tensor.Tensor) ([]graph.ValueInfo, error) {
	if len(in) < 3 {
		return nil, fmt.Errorf("needs 3 inputs")
	}
	if in[0].DType != tensor.Bool {
		return nil, fmt.Errorf("condition is %v, want bool", in[0].DType)
	}
	if err := sameDTypes(in, 1, 2); err != nil {
		return nil, err
	}
	return broadcastInfo(in[1].DType, in[0], in[1], in[2])
}

func (whereKernel) Run(_ *graph.Ctx, in []*tensor.Tensor) ([]*tensor.Tensor, error) {
	if err := need(in, 3); err != nil {
		return nil, err
	}
	return one(tensor.Where(in[0], in[1], in[2]))
}
