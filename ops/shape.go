package ops

import (
	"fmt"
	"slices"

	"t2c/graph"
	"t2c/tensor"
)

func init() {
	graph.Register("Reshape", buildReshape)
	graph.Register("Flatten", buildFlatten)
	graph.Register("Shape", buildShape)
}

// reshapeKernel is Reshape: a view of the input with the shape given by the
// second input, where 0 copies the input dimension (unless allowzero) and
// one -1 is inferred.
type reshapeKernel struct{ allowZero bool }

func buildReshape(_ *graph.Node, a *graph.Attrs, opset int) (graph.Kernel, error) {
	k := reshapeKernel{}
	if opset >= 14 {
		k.allowZero = a.Int("allowzero", 0) != 0
	}
	return k, nil
}

func (k reshapeKernel) InferShapes(in []graph.ValueInfo, consts []*tensor.Tensor) ([]graph.ValueInfo, error) {
	spec, err := constInput(in, consts, 1, true)
	if err != nil {
		return nil, err
	}
	shape, err := reshapeTarget(in[0].Shape, ints(spec), k.allowZero)
	return []graph.ValueInfo{{DType: in[0].DType, Shape: shape}}, err
}

func (k reshapeKernel) Run(_ *graph.Ctx, in []*tensor.Tensor) ([]*tensor.Tensor, error) {
	if err := need(in, 2); err != nil {
		return nil, err
	}
	shape, err := reshapeTarget(in[0].Shape(), ints(in[1]), k.allowZero)
	if err != nil {
		return nil, err
	}
	return one(in[0].Reshape(shape...))
}

// reshapeTarget resolves Reshape's 0 and -1 entries against the input shape.
func reshapeTarget(in, spec []int, allowZero bool) ([]int, error) {
	out := slices.Clone(spec)
	infer := -1
	known := 1
	for i, d := range out {
		switch {
		case d == -1:
			if infer >= 0 {
				return nil, fmt.Errorf("shape %v has more than one -1", spec)
			}
			infer = i
			continue
		case d == 0 && !allowZero:
			if i >= len(in) {
				return nil, fmt.Errorf("shape %v copies dimension %d of a rank-%d input", spec, i, len(in))
			}
			out[i] = in[i]
		case d < 0:
			return nil, fmt.Errorf("shape %v has invalid dimension %d", spec, d)
		}
		known *= out[i]
	}
	total := tensor.NumElems(in)
	if infer >= 0 {
		if known == 0 || total%known != 0 {
			return nil, fmt.Errorf("cannot reshape %v to %v", in, spec)
		}
		out[infer] = total / known
	}
	if tensor.NumElems(out) != total {
		return nil, fmt.Errorf("cannot reshape %v (%d elements) to %v", in, total, spec)
	}
	return out, nil
}

// constInput returns the compile-time value of input i for shape inference:
// nil when the input is absent (an error if required), an error when it is
// computed at run time. Input 0 must be present.
func constInput(in []graph.ValueInfo, consts []*tensor.Tensor, i int, required bool) (*tensor.Tensor, error) {
	if len(in) == 0 || in[0].DType == tensor.Invalid {
		return nil, fmt.Errorf("input 0 is required")
	}
	if i >= len(in) || in[i].DType == tensor.Invalid {
		if required {
			return nil, fmt.Errorf("input %d is required", i)
		}
		return nil, nil
	}
	if consts[i] == nil {
		return nil, fmt.Errorf("input %d (%q) determines the output shape and must be a compile-time constant", i, in[i].Name)
	}
	return consts[i], nil
}

// flattenKernel is Flatten: a 2-D view (prod(dims before axis), rest).
type flattenKernel struct{ axis int }

func buildFlatten(_ *graph.Node, a *graph.Attrs, _ int) (graph.Kernel, error) {
	return flattenKernel{axis: int(a.Int("axis", 1))}, nil
}

func (k flattenKernel) shape(s []int) ([]int, error) {
	ax := k.axis
	if ax < 0 {
		ax += len(s)
	}
	if ax < 0 || ax > len(s) {
		return nil, fmt.Errorf("axis %d out of range for rank %d", k.axis, len(s))
	}
	return []int{tensor.NumElems(s[:ax]), tensor.NumElems(s[ax:])}, nil
}

func (k flattenKernel) InferShapes(in []graph.ValueInfo, _ []*tensor.Tensor) ([]graph.ValueInfo, error) {
	if len(in) == 0 || in[0].DType == tensor.Invalid {
		return nil, fmt.Errorf("input 0 is required")
	}
	shape, err := k.shape(in[0].Shape)
	return []graph.ValueInfo{{DType: in[0].DType, Shape: shape}}, err
}

func (k flattenKernel) Run(_ *graph.Ctx, in []*tensor.Tensor) ([]*tensor.Tensor, error) {
	if err := need(in, 1); err != nil {
		return nil, err
	}
	shape, err := k.shape(in[0].Shape())
	if err != nil {
		return nil, err
	}
	return one(in[0].Reshape(shape...))
}

// shapeKernel is Shape: the input's dimensions as int64, sliced by start
// and end (opset 15; clamped, negative counts from the end). Compile folds
// it once shapes are known.
type shapeKernel struct {
	start, end int
	hasEnd     bool
}

func buildShape(_ *graph.Node, a *graph.Attrs, opset int) (graph.Kernel, error) {
	k := shapeKernel{}
	if opset >= 15 {
		k.start = int(a.Int("start", 0))
		k.hasEnd = a.Has("end")
		k.end = int(a.Int("end", 0))
	}
	return k, nil
}

func (k shapeKernel) dims(s []int) *tensor.Tensor {
	r := len(s)
	clamp := func(i int) int {
		if i < 0 {
			i += r
		}
		return min(max(i, 0), r)
	}
	start, end := clamp(k.start), r
	if k.hasEnd {
		end = clamp(k.end)
	}
	out := []int64{}
	for i := start; i < end; i++ {
		out = append(out, int64(s[i]))
	}
	return tensor.FromSlice(out)
}

func (k shapeKernel) FoldTypes(in []graph.ValueInfo) ([]*tensor.Tensor, error) {
	if len(in) == 0 || in[0].DType == tensor.Invalid {
		return nil, fmt.Errorf("input 0 is required")
	}
	return []*tensor.Tensor{k.dims(in[0].Shape)}, nil
}

func (k shapeKernel) Run(_ *graph.Ctx, in []*tensor.Tensor) ([]*tensor.Tensor, error) {
	if err := need(in, 1); err != nil {
		return nil, err
	}
	return []*tensor.Tensor{k.dims(in[0].Shape())}, nil
}
