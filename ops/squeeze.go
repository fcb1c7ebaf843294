package ops

import (
	"fmt"
	"slices"

	"t2c/graph"
	"t2c/tensor"
)

func init() {
	graph.Register("Squeeze", buildSqueeze)
	graph.Register("Unsqueeze", buildUnsqueeze)
}

// squeezeKernel is Squeeze: a view without the listed size-1 axes (all
// size-1 axes when none are given). axes is an attribute before opset 13
// and an optional input from 13.
type squeezeKernel struct {
	axes      []int
	axesInput bool
}

func buildSqueeze(_ *graph.Node, a *graph.Attrs, opset int) (graph.Kernel, error) {
	if opset >= 13 {
		return squeezeKernel{axesInput: true}, nil
	}
	return squeezeKernel{axes: a.Ints("axes", nil)}, nil
}

func (k squeezeKernel) InferShapes(in []graph.ValueInfo, consts []*tensor.Tensor) ([]graph.ValueInfo, error) {
	axes, err := constInput(in, consts, 1, false)
	if err != nil {
		return nil, err
	}
	shape, err := k.shape(in[0].Shape, axes)
	return []graph.ValueInfo{{DType: in[0].DType, Shape: shape}}, err
}

func (k squeezeKernel) Run(_ *graph.Ctx, in []*tensor.Tensor) ([]*tensor.Tensor, error) {
	if err := need(in, 1); err != nil {
		return nil, err
	}
	shape, err := k.shape(in[0].Shape(), opt(in, 1))
	if err != nil {
		return nil, err
	}
	return one(in[0].Reshape(shape...))
}

func (k squeezeKernel) shape(s []int, axesIn *tensor.Tensor) ([]int, error) {
	axes := k.axes
	if k.axesInput && axesIn != nil {
		axes = ints(axesIn)
	}
	out := []int{}
	if len(axes) == 0 {
		for _, d := range s {
			if d != 1 {
				out = append(out, d)
			}
		}
		return out, nil
	}
	axes, err := tensor.NormalizeAxes(axes, len(s))
	if err != nil {
		return nil, err
	}
	for i, d := range s {
		if !slices.Contains(axes, i) {
			out = append(out, d)
		} else if d != 1 {
			return nil, fmt.Errorf("cannot squeeze axis %d of size %d", i, d)
		}
	}
	return out, nil
}

// unsqueezeKernel is Unsqueeze: a view with size-1 axes inserted at the
// listed positions of the output. axes is an attribute before opset 13 and
// a required input from 13.
type unsqueezeKernel struct {
	axes      []int
	axesInput bool
}

func buildUnsqueeze(_ *graph.Node, a *graph.Attrs, opset int) (graph.Kernel, error) {
	if opset >= 13 {
		return unsqueezeKernel{axesInput: true}, nil
	}
	return unsqueezeKernel{axes: a.Ints("axes", nil)}, nil
}

func (k unsqueezeKernel) InferShapes(in []graph.ValueInfo, consts []*tensor.Tensor) ([]graph.ValueInfo, error) {
	axes, err := constInput(in, consts, 1, k.axesInput)
	if err != nil {
		return nil, err
	}
	shape, err := k.shape(in[0].Shape, axes)
	return []graph.ValueInfo{{DType: in[0].DType, Shape: shape}}, err
}

func (k unsqueezeKernel) Run(_ *graph.Ctx, in []*tensor.Tensor) ([]*tensor.Tensor, error) {
	n := 1
	if k.axesInput {
		n = 2
	}
	if err := need(in, n); err != nil {
		return nil, err
	}
	shape, err := k.shape(in[0].Shape(), opt(in, 1))
	if err != nil {
		return nil, err
	}
	return one(in[0].Reshape(shape...))
}

func (k unsqueezeKernel) shape(s []int, axesIn *tensor.Tensor) ([]int, error) {
	axes := k.axes
	if k.axesInput {
		axes = ints(axesIn)
	}
	r := len(s) + len(axes)
	axes, err := tensor.NormalizeAxes(axes, r)
	if err != nil {
		return nil, err
	}
	out := make([]int, 0, r)
	j := 0
	for i := range r {
		if slices.Contains(axes, i) {
			out = append(out, 1)
		} else {
			out = append(out, s[j])
			j++
		}
	}
	return out, nil
}
