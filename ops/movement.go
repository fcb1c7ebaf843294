package ops

import (
	"fmt"

	"t2c/graph"
	"t2c/tensor"
)

func init() {
	graph.Register("Transpose", buildTranspose)
	graph.Register("Concat", buildConcat)
	graph.Register("Gather", buildGather)
	graph.Register("Expand", func(*graph.Node, *graph.Attrs, int) (graph.Kernel, error) { return expandKernel{}, nil })
	graph.Register("Tile", func(*graph.Node, *graph.Attrs, int) (graph.Kernel, error) { return tileKernel{}, nil })
}

// transposeKernel is Transpose (perm defaults to reversing the axes).
type transposeKernel struct{ perm []int }

func buildTranspose(_ *graph.Node, a *graph.Attrs, _ int) (graph.Kernel, error) {
	return transposeKernel{perm: a.Ints("perm", nil)}, nil
}

func (k transposeKernel) InferShapes(in []graph.ValueInfo, _ []*tensor.Tensor) ([]graph.ValueInfo, error) {
	if len(in) == 0 || in[0].DType == tensor.Invalid {
		return nil, fmt.Errorf("input 0 is required")
	}
	s := in[0].Shape
	perm := k.perm
	if perm == nil {
		perm = make([]int, len(s))
		for i := range perm {
			perm[i] = len(s) - 1 - i
		}
	}
	if len(perm) != len(s) {
		return nil, fmt.Errorf("perm %v for rank-%d input", perm, len(s))
	}
	out := make([]int, len(s))
	seen := make([]bool, len(s))
	for i, p := range perm {
		if p < 0 || p >= len(s) || seen[p] {
			return nil, fmt.Errorf("perm %v is not a permutation of 0..%d", perm, len(s)-1)
		}
		seen[p] = true
		out[i] = s[p]
	}
	return []graph.ValueInfo{{DType: in[0].DType, Shape: out}}, nil
}

func (k transposeKernel) Run(_ *graph.Ctx, in []*tensor.Tensor) ([]*tensor.Tensor, error) {
	if err := need(in, 1); err != nil {
		return nil, err
	}
	return one(tensor.Transpose(in[0], k.perm))
}

// concatKernel is Concat along axis (negative counts from the end).
type concatKernel struct{ axis int }

func buildConcat(_ *graph.Node, a *graph.Attrs, _ int) (graph.Kernel, error) {
	if !a.Has("axis") {
		a.Fail("axis", "is required")
	}
	return concatKernel{axis: int(a.Int("axis", 0))}, nil
}

func (k concatKernel) InferShapes(in []graph.ValueInfo, _ []*tensor.Tensor) ([]graph.ValueInfo, error) {
	if len(in) == 0 || in[0].DType == tensor.Invalid {
		return nil, fmt.Errorf("input 0 is required")
	}
	r := len(in[0].Shape)
	ax, err := normAxis(k.axis, r)
	if err != nil {
		return nil, err
	}
	out := append([]int(nil), in[0].Shape...)
	out[ax] = 0
	for i, v := range in {
		if v.DType != in[0].DType || len(v.Shape) != r {
			return nil, fmt.Errorf("input %d is %v%v, input 0 is %v%v", i, v.DType, v.Shape, in[0].DType, in[0].Shape)
		}
		for d := range r {
			if d != ax && v.Shape[d] != in[0].Shape[d] {
				return nil, fmt.Errorf("input shapes %v and %v differ outside axis %d", in[0].Shape, v.Shape, ax)
			}
		}
		out[ax] += v.Shape[ax]
	}
	return []graph.ValueInfo{{DType: in[0].DType, Shape: out}}, nil
}

func (k concatKernel) Run(_ *graph.Ctx, in []*tensor.Tensor) ([]*tensor.Tensor, error) {
	if err := need(in, max(1, len(in))); err != nil {
		return nil, err
	}
	if _, err := normAxis(k.axis, in[0].Rank()); err != nil {
		return nil, err
	}
	return one(tensor.Concat(in, k.axis))
}

// gatherKernel is Gather along axis with int32/int64 indices; negative
// indices count from the end of the axis.
type gatherKernel struct{ axis int }

func buildGather(_ *graph.Node, a *graph.Attrs, _ int) (graph.Kernel, error) {
	return gatherKernel{axis: int(a.Int("axis", 0))}, nil
}

func (k gatherKernel) InferShapes(in []graph.ValueInfo, _ []*tensor.Tensor) ([]graph.ValueInfo, error) {
	if len(in) < 2 || in[0].DType == tensor.Invalid || in[1].DType == tensor.Invalid {
		return nil, fmt.Errorf("needs 2 inputs")
	}
	s := in[0].Shape
	ax, err := normAxis(k.axis, len(s))
	if err != nil {
		return nil, err
	}
	out := append(append(append([]int(nil), s[:ax]...), in[1].Shape...), s[ax+1:]...)
	return []graph.ValueInfo{{DType: in[0].DType, Shape: out}}, nil
}

func (k gatherKernel) Run(_ *graph.Ctx, in []*tensor.Tensor) ([]*tensor.Tensor, error) {
	if err := need(in, 2); err != nil {
		return nil, err
	}
	x, idx := in[0], in[1]
	if !idx.DType().IsInteger() {
		return nil, fmt.Errorf("indices are %v, want an integer type", idx.DType())
	}
	ax, err := normAxis(k.axis, x.Rank())
	if err != nil {
		return nil, err
	}
	dim := x.Shape()[ax]
	ix := ints(idx)
	for i, v := range ix {
		if v < -dim || v >= dim {
			return nil, fmt.Errorf("index %d out of range for axis %d of size %d", v, ax, dim)
		}
		if v < 0 {
			ix[i] = v + dim
		}
	}
	return one(tensor.Gather(x, ax, ix, idx.Shape()))
}

// expandKernel is Expand: broadcast the input to a shape (which itself
// broadcasts with the input's shape).
type expandKernel struct{}

func (k expandKernel) InferShapes(in []graph.ValueInfo, consts []*tensor.Tensor) ([]graph.ValueInfo, error) {
	shape, err := constInput(in, consts, 1, true)
	if err != nil {
		return nil, err
	}
	out, err := tensor.BroadcastShapes(in[0].Shape, ints(shape))
	return []graph.ValueInfo{{DType: in[0].DType, Shape: out}}, err
}

func (expandKernel) Run(_ *graph.Ctx, in []*tensor.Tensor) ([]*tensor.Tensor, error) {
	if err := need(in, 2); err != nil {
		return nil, err
	}
	return one(tensor.Expand(in[0], ints(in[1])))
}

// tileKernel is Tile: repeat the input repeats[d] times along each axis d.
type tileKernel struct{}

func (k tileKernel) InferShapes(in []graph.ValueInfo, consts []*tensor.Tensor) ([]graph.ValueInfo, error) {
	reps, err := constInput(in, consts, 1, true)
	if err != nil {
		return nil, err
	}
	r := ints(reps)
	if len(r) != len(in[0].Shape) {
		return nil, fmt.Errorf("%d repeats for a rank-%d input", len(r), len(in[0].Shape))
	}
	out := make([]int, len(r))
	for d, n := range r {
		if n < 0 {
			return nil, fmt.Errorf("negative repeat %d", n)
		}
		out[d] = in[0].Shape[d] * n
	}
	return []graph.ValueInfo{{DType: in[0].DType, Shape: out}}, nil
}

func (tileKernel) Run(_ *graph.Ctx, in []*tensor.Tensor) ([]*tensor.Tensor, error) {
	if err := need(in, 2); err != nil {
		return nil, err
	}
	return one(tensor.Tile(in[0], ints(in[1])))
}
