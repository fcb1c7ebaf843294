package ops

import (
	"fmt"
	"math"

	"t2c/graph"
	"t2c/tensor"
)

func init() {
	graph.Register("Range", func(*graph.Node, *graph.Attrs, int) (graph.Kernel, error) { return rangeKernel{}, nil })
}

// rangeKernel is Range(start, limit, delta): max(ceil((limit-start)/delta),
// 0) elements start + i·delta, of the inputs' common type.
type rangeKernel struct{}

func (k rangeKernel) InferShapes(in []graph.ValueInfo, consts []*tensor.Tensor) ([]graph.ValueInfo, error) {
	return inferByRunning(k, in, consts, 0, 1, 2)
}

func (rangeKernel) Run(_ *graph.Ctx, in []*tensor.Tensor) ([]*tensor.Tensor, error) {
	if err := need(in, 3); err != nil {
		return nil, err
	}
	d := in[0].DType()
	for i, t := range in[:3] {
		if t.DType() != d || t.Len() != 1 {
			return nil, fmt.Errorf("input %d must be a scalar %v, got %v", i, d, t)
		}
	}
	switch d {
	case tensor.Float32:
		return rangeT[float32](in)
	case tensor.Float64:
		return rangeT[float64](in)
	case tensor.Int16:
		return rangeT[int16](in)
	case tensor.Int32:
		return rangeT[int32](in)
	case tensor.Int64:
		return rangeT[int64](in)
	}
	return nil, fmt.Errorf("Range does not support %v", d)
}

func rangeT[T tensor.Number](in []*tensor.Tensor) ([]*tensor.Tensor, error) {
	start, limit, delta := tensor.Data[T](in[0])[0], tensor.Data[T](in[1])[0], tensor.Data[T](in[2])[0]
	if delta == 0 {
		return nil, fmt.Errorf("Range delta is 0")
	}
	var n int
	if tensor.DTypeOf[T]().IsFloat() {
		f := math.Ceil((float64(limit) - float64(start)) / float64(delta))
		if math.IsNaN(f) || f > 1<<31 {
			return nil, fmt.Errorf("Range(%v, %v, %v) has no finite element count", start, limit, delta)
		}
		n = int(max(f, 0))
	} else {
		num, den := int64(limit)-int64(start), int64(delta)
		q := num / den
		if num%den != 0 && (num < 0) == (den < 0) {
			q++ // ceil for positive quotients
		}
		n = int(max(q, 0))
	}
	out := make([]T, n)
	for i := range out {
		out[i] = start + T(i)*delta
	}
	return []*tensor.Tensor{tensor.New([]int{n}, out)}, nil
}
