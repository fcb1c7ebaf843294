package ops

import (
	"fmt"

	"t2c/graph"
	"t2c/tensor"
)

// kernelFunc adapts a function to graph.Kernel.
type kernelFunc func(ctx *graph.Ctx, in []*tensor.Tensor) ([]*tensor.Tensor, error)

func (f kernelFunc) Run(ctx *graph.Ctx, in []*tensor.Tensor) ([]*tensor.Tensor, error) {
	return f(ctx, in)
}

// one wraps a single-output result.
func one(t *tensor.Tensor, err error) ([]*tensor.Tensor, error) {
	if err != nil {
		return nil, err
	}
	return []*tensor.Tensor{t}, nil
}

// need checks that inputs 0..n-1 are present.
func need(in []*tensor.Tensor, n int) error {
	if len(in) < n {
		return fmt.Errorf("needs %d inputs, got %d", n, len(in))
	}
	for i := 0; i < n; i++ {
		if in[i] == nil {
			return fmt.Errorf("input %d is required", i)
		}
	}
	return nil
}

// opt returns input i or nil when absent.
func opt(in []*tensor.Tensor, i int) *tensor.Tensor {
	if i < len(in) {
		return in[i]
	}
	return nil
}

// normAxis maps a possibly negative axis into [0, rank).
func normAxis(axis, rank int) (int, error) {
	if axis < -rank || axis >= rank {
		return 0, fmt.Errorf("axis %d out of range for rank %d", axis, rank)
	}
	if axis < 0 {
		axis += rank
	}
	return axis, nil
}

// ints converts an integer tensor (shape/axes/indices input) to []int.
func ints(t *tensor.Tensor) []int {
	v := t.Int64s()
	out := make([]int, len(v))
	for i, x := range v {
		out[i] = int(x)
	}
	return out
}

// float32Only rejects non-float32 inputs for ops t2c implements in float32.
func float32Only(in []*tensor.Tensor, idx ...int) error {
	for _, i := range idx {
		if i < len(in) && in[i] != nil && in[i].DType() != tensor.Float32 {
			return fmt.Errorf("input %d is %v; this op supports float32 only", i, in[i].DType())
		}
	}
	return nil
}
