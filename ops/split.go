package ops

import (
	"fmt"
	"slices"

	"t2c/graph"
	"t2c/tensor"
)

func init() { graph.Register("Split", buildSplit) }

// splitKernel is Split along axis into one piece per node output: sizes
// from the split attribute (before opset 13) or optional input (from 13),
// equal parts otherwise.
type splitKernel struct {
	axis       int
	split      []int
	splitInput bool
	nout       int
}

func buildSplit(n *graph.Node, a *graph.Attrs, opset int) (graph.Kernel, error) {
	k := splitKernel{axis: int(a.Int("axis", 0)), nout: len(n.Outputs), splitInput: opset >= 13}
	if !k.splitInput {
		k.split = a.Ints("split", nil)
	}
	if k.nout == 0 {
		return nil, fmt.Errorf("Split needs at least one output")
	}
	return k, nil
}

// sizes returns the normalised axis and the size of each piece.
func (k splitKernel) sizes(shape []int, splitIn *tensor.Tensor) (int, []int, error) {
	ax, err := normAxis(k.axis, len(shape))
	if err != nil {
		return 0, nil, err
	}
	dim := shape[ax]
	sizes := k.split
	if k.splitInput && splitIn != nil {
		sizes = ints(splitIn)
	}
	if len(sizes) == 0 {
		if dim%k.nout != 0 {
			return 0, nil, fmt.Errorf("axis %d of size %d does not split into %d equal parts", ax, dim, k.nout)
		}
		sizes = slices.Repeat([]int{dim / k.nout}, k.nout)
	}
	total := 0
	for _, s := range sizes {
		if s < 0 {
			return 0, nil, fmt.Errorf("negative split size in %v", sizes)
		}
		total += s
	}
	if len(sizes) != k.nout || total != dim {
		return 0, nil, fmt.Errorf("split %v does not cut axis %d of size %d into %d outputs", sizes, ax, dim, k.nout)
	}
	return ax, sizes, nil
}

func (k splitKernel) InferShapes(in []graph.ValueInfo, consts []*tensor.Tensor) ([]graph.ValueInfo, error) {
	var splitIn *tensor.Tensor
	var err error
	if k.splitInput {
		if splitIn, err = constInput(in, consts, 1, false); err != nil {
			return nil, err
		}
	} else if len(in) == 0 || in[0].DType == tensor.Invalid {
		return nil, fmt.Errorf("input 0 is required")
	}
	ax, sizes, err := k.sizes(in[0].Shape, splitIn)
	if err != nil {
		return nil, err
	}
	out := make([]graph.ValueInfo, len(sizes))
	for i, s := range sizes {
		shape := slices.Clone(in[0].Shape)
		shape[ax] = s
		out[i] = graph.ValueInfo{DType: in[0].DType, Shape: shape}
	}
	return out, nil
}

func (k splitKernel) Run(_ *graph.Ctx, in []*tensor.Tensor) ([]*tensor.Tensor, error) {
	if err := need(in, 1); err != nil {
		return nil, err
	}
	var splitIn *tensor.Tensor
	if k.splitInput {
		splitIn = opt(in, 1)
	}
	ax, sizes, err := k.sizes(in[0].Shape(), splitIn)
	if err != nil {
		return nil, err
	}
	out := make([]*tensor.Tensor, len(sizes))
	start := 0
	for i, s := range sizes {
		if out[i], err = tensor.Slice(in[0], []int{ax}, []int{start}, []int{start + s}, []int{1}); err != nil {
			return nil, err
		}
		start += s
	}
	return out, nil
}
