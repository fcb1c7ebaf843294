package ops

import (
	"fmt"
	"math"

	"t2c/graph"
	"t2c/kernels"
	"t2c/tensor"
)

func init() { graph.Register("Softmax", buildSoftmax) }

// softmaxKernel is Softmax. From opset 13 it normalises along one axis
// (default -1); before, the input is coerced to 2-D at axis (default 1) and
// each row of that matrix — all dimensions from axis on — is normalised.
type softmaxKernel struct {
	axis   int
	coerce bool
}

func buildSoftmax(_ *graph.Node, a *graph.Attrs, opset int) (graph.Kernel, error) {
	if opset < 13 {
		return softmaxKernel{axis: int(a.Int("axis", 1)), coerce: true}, nil
	}
	return softmaxKernel{axis: int(a.Int("axis", -1))}, nil
}

func (softmaxKernel) InferShapes(in []graph.ValueInfo, _ []*tensor.Tensor) ([]graph.ValueInfo, error) {
	out, err := sameInfo(in)
	if err == nil && !in[0].DType.IsFloat() {
		err = fmt.Errorf("Softmax supports float32 and float64, got %v", in[0].DType)
	}
	return out, err
}

func (k softmaxKernel) Run(ctx *graph.Ctx, in []*tensor.Tensor) ([]*tensor.Tensor, error) {
	if err := need(in, 1); err != nil {
		return nil, err
	}
	x := in[0]
	shape := x.Shape()
	outer, dim, inner, err := k.layout(shape)
	if err != nil {
		return nil, err
	}
	out := ctx.Alloc(x.DType(), shape...)
	switch x.DType() {
	case tensor.Float32:
		o, v := out.Float32(), x.Float32()
		kernels.Parallel(outer, 16, func(lo, hi int) {
			for b := lo; b < hi; b++ {
				softmax32(o[b*dim*inner:(b+1)*dim*inner], v[b*dim*inner:(b+1)*dim*inner], dim, inner)
			}
		})
	case tensor.Float64:
		softmax(tensor.Data[float64](out), tensor.Data[float64](x), outer, dim, inner)
	default:
		return nil, fmt.Errorf("Softmax supports float32 and float64, got %v", x.DType())
	}
	return []*tensor.Tensor{out}, nil
}

// layout views the input as (outer, dim, inner) with softmax along dim.
func (k softmaxKernel) layout(shape []int) (outer, dim, inner int, err error) {
	if k.coerce { // opset < 13: flatten to 2-D at axis
		ax := k.axis
		if ax < 0 {
			ax += len(shape)
		}
		if ax < 0 || ax > len(shape) {
			return 0, 0, 0, fmt.Errorf("axis %d out of range for rank %d", k.axis, len(shape))
		}
		return tensor.NumElems(shape[:ax]), tensor.NumElems(shape[ax:]), 1, nil
	}
	ax, err := normAxis(k.axis, len(shape))
	if err != nil {
		return 0, 0, 0, err
	}
	outer, dim, inner = tensor.SplitAxis(shape, ax)
	return outer, dim, inner, nil
}

// softmax normalises x viewed as (outer, dim, inner) along dim, subtracting
// each slice's maximum for stability and accumulating in float64.
func softmax[T float32 | float64](o, x []T, outer, dim, inner int) {
	if dim == 0 {
		return
	}
	for b := range outer {
		for i := range inner {
			base := b*dim*inner + i
			m := x[base]
			for j := 1; j < dim; j++ {
				if v := x[base+j*inner]; v > m || v != v {
					m = v
				}
			}
			sum := 0.0
			for j := range dim {
				p := base + j*inner
				e := math.Exp(float64(x[p] - m))
				o[p] = T(e)
				sum += e
			}
			inv := 1 / sum
			for j := range dim {
				p := base + j*inner
				o[p] = T(float64(o[p]) * inv)
			}
		}
	}
}

// softmax32 is softmax for float32 with exp32, for one outer slice.
func softmax32(o, x []float32, dim, inner int) {
	if inner == 1 { // the last axis: a contiguous row, exponentials 8 at a time
		m := x[0]
		for _, v := range x[1:dim] {
			if v > m || v != v {
				m = v
			}
		}
		kernels.ExpShiftF32(o[:dim], x, m)
		var sum float32
		for _, e := range o[:dim] {
			sum += e
		}
		inv := 1 / sum
		for j := range o[:dim] {
			o[j] *= inv
		}
		return
	}
	for i := 0; i < inner; i++ {
		m := x[i]
		for j := 1; j < dim; j++ {
			if v := x[i+j*inner]; v > m || v != v {
				m = v
			}
		}
		var sum float32
		for j := 0; j < dim; j++ {
			p := i + j*inner
			e := exp32(x[p] - m)
			o[p] = e
			sum += e
		}
		inv := 1 / sum
		for j := 0; j < dim; j++ {
			o[i+j*inner] *= inv
		}
	}
}
