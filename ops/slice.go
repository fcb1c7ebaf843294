package ops

import (
	"fmt"
	"slices"

	"t2c/graph"
	"t2c/tensor"
)

func init() { graph.Register("Slice", buildSlice) }

// sliceKernel is Slice. Before opset 10 starts, ends and axes are
// attributes (steps are 1); from 10 they are inputs 1–4, with optional axes
// and steps.
type sliceKernel struct {
	attrs              bool
	starts, ends, axes []int
}

func buildSlice(_ *graph.Node, a *graph.Attrs, opset int) (graph.Kernel, error) {
	if opset >= 10 {
		return sliceKernel{}, nil
	}
	k := sliceKernel{attrs: true, starts: a.Ints("starts", nil), ends: a.Ints("ends", nil), axes: a.Ints("axes", nil)}
	if k.starts == nil {
		a.Fail("starts", "is required")
	}
	if k.ends == nil {
		a.Fail("ends", "is required")
	}
	return k, nil
}

// slicePlan is a resolved Slice: per sliced axis, a clamped start and end
// and the step, ready for tensor.Slice.
type slicePlan struct {
	axes, starts, ends, steps []int
}

// plan resolves Slice arguments against shape exactly as ONNX specifies:
// negative starts/ends/axes count from the end; then, for positive steps,
// start and end are clamped to [0, dim], and for negative steps start to
// [0, dim-1] and end to [-1, dim-1].
func (k sliceKernel) plan(shape []int, args []*tensor.Tensor) (slicePlan, error) {
	starts, ends, axes := k.starts, k.ends, k.axes
	var steps []int
	if !k.attrs {
		if len(args) < 3 || args[1] == nil || args[2] == nil {
			return slicePlan{}, fmt.Errorf("starts and ends inputs are required")
		}
		starts, ends = ints(args[1]), ints(args[2])
		if t := opt(args, 3); t != nil {
			axes = ints(t)
		}
		if t := opt(args, 4); t != nil {
			steps = ints(t)
		}
	}
	r := len(shape)
	if len(starts) != len(ends) {
		return slicePlan{}, fmt.Errorf("%d starts but %d ends", len(starts), len(ends))
	}
	if axes == nil {
		axes = make([]int, len(starts))
		for i := range axes {
			axes[i] = i
		}
	}
	if steps == nil {
		steps = slices.Repeat([]int{1}, len(starts))
	}
	if len(axes) != len(starts) || len(steps) != len(starts) {
		return slicePlan{}, fmt.Errorf("starts, ends, axes and steps have %d, %d, %d and %d entries", len(starts), len(ends), len(axes), len(steps))
	}
	p := slicePlan{axes: make([]int, len(axes)), starts: make([]int, len(axes)), ends: make([]int, len(axes)), steps: steps}
	seen := make([]bool, r)
	for i, ax := range axes {
		ax, err := normAxis(ax, r)
		if err != nil {
			return slicePlan{}, err
		}
		if seen[ax] {
			return slicePlan{}, fmt.Errorf("axis %d is sliced twice", ax)
		}
		seen[ax] = true
		dim, step := shape[ax], steps[i]
		if step == 0 {
			return slicePlan{}, fmt.Errorf("step 0 on axis %d", ax)
		}
		start, end := starts[i], ends[i]
		if start < 0 {
			start += dim
		}
		if end < 0 {
			end += dim
		}
		if step > 0 {
			start, end = clampInt(start, 0, dim), clampInt(end, 0, dim)
		} else {
			start, end = clampInt(start, 0, dim-1), clampInt(end, -1, dim-1)
		}
		p.axes[i], p.starts[i], p.ends[i] = ax, start, end
	}
	return p, nil
}

func clampInt(v, lo, hi int) int { return min(max(v, lo), hi) }

// shape is the output shape of the plan applied to in.
func (p slicePlan) shape(in []int) []int {
	out := slices.Clone(in)
	for i, ax := range p.axes {
		s, e, st := p.starts[i], p.ends[i], p.steps[i]
		n := 0
		if st > 0 && e > s {
			n = (e - s + st - 1) / st
		} else if st < 0 && e < s {
			n = (s - e - st - 1) / -st
		}
		out[ax] = n
	}
	return out
}

func (k sliceKernel) InferShapes(in []graph.ValueInfo, consts []*tensor.Tensor) ([]graph.ValueInfo, error) {
	if len(in) == 0 || in[0].DType == tensor.Invalid {
		return nil, fmt.Errorf("input 0 is required")
	}
	args := make([]*tensor.Tensor, len(in))
	for i := 1; i < len(in); i++ {
		if in[i].DType != tensor.Invalid {
			if args[i] = consts[i]; args[i] == nil {
				return nil, fmt.Errorf("input %d (%q) determines the output shape and must be a compile-time constant", i, in[i].Name)
			}
		}
	}
	p, err := k.plan(in[0].Shape, args)
	if err != nil {
		return nil, err
	}
	return []graph.ValueInfo{{DType: in[0].DType, Shape: p.shape(in[0].Shape)}}, nil
}

func (k sliceKernel) Run(_ *graph.Ctx, in []*tensor.Tensor) ([]*tensor.Tensor, error) {
	if err := need(in, 1); err != nil {
		return nil, err
	}
	p, err := k.plan(in[0].Shape(), in)
	if err != nil {
		return nil, err
	}
	return one(tensor.Slice(in[0], p.axes, p.starts, p.ends, p.steps))
}
