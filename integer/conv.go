package integer

import (
	"fmt"

	"t2c/graph"
	"t2c/kernels"
	"t2c/tensor"
)

func init() { graph.Register(OpIntConv, buildIntConv) }

// IntConvParams are the Go values of an IntConv node (docs/INTEGER.md §4).
type IntConvParams struct {
	// Strides, Pads and Dilations are ONNX's (Pads: all begins, then all
	// ends — top, left, bottom, right in 2-D); nil means 1s, 0s and 1s.
	Strides, Pads, Dilations []int
	Group                    int // 0 or 1: dense
	XZeroPoint               int64
	Out                      Grid   // accumulator grid (metadata); Bits = 0 leaves it out
	Layer                    string // module path, metadata only
}

// NewIntConv builds an IntConv node of activation x and weight parameter w.
func NewIntConv(name, x, w, out string, p IntConvParams) *graph.Node {
	attrs := map[string]graph.Attr{
		"group":        graph.IntAttr(int64(max(p.Group, 1))),
		"x_zero_point": graph.IntAttr(p.XZeroPoint),
	}
	for attr, v := range map[string][]int{"strides": p.Strides, "pads": p.Pads, "dilations": p.Dilations} {
		if v != nil {
			attrs[attr] = intsAttr(v)
		}
	}
	if p.Out.Bits != 0 {
		p.Out.Attrs(attrs)
	}
	return newNode(name, OpIntConv, []string{x, w}, out, p.Layer, attrs)
}

// convKernel is IntConv: the exact int32 accumulator of a convolution of
// x − x_zero_point (padding contributes 0) with signed weights.
type convKernel struct {
	strides, pads, dilations, kernelShape []int
	group                                 int
	xzp                                   int64
	cache                                 weightCache
}

func buildIntConv(_ *graph.Node, a *graph.Attrs, _ int) (graph.Kernel, error) {
	readLayer(a)
	readOperandWidths(a, "x", "w")
	readAccGrid(a)
	k := &convKernel{
		strides:     a.Ints("strides", nil),
		pads:        a.Ints("pads", nil),
		dilations:   a.Ints("dilations", nil),
		kernelShape: a.Ints("kernel_shape", nil),
		group:       int(a.Int("group", 1)),
		xzp:         a.Int("x_zero_point", 0),
	}
	if k.group < 1 {
		a.Fail("group", "must be ≥ 1, got %d", k.group)
	}
	checkZeroPoint(a, "x_zero_point", k.xzp)
	return k, nil
}

// params resolves the convolution for input and weight shapes (N×C×W or
// N×C×H×W; a 1-D convolution runs as 2-D with height 1).
func (k *convKernel) params(x, w []int) (kernels.ConvParams, error) {
	nd := len(x) - 2
	if nd < 1 || nd > 2 || len(w) != len(x) {
		return kernels.ConvParams{}, fmt.Errorf("input %v and weight %v must both be N×C×W or N×C×H×W", x, w)
	}
	for name, v := range map[string][]int{"strides": k.strides, "dilations": k.dilations, "kernel_shape": k.kernelShape} {
		if v != nil && len(v) != nd {
			return kernels.ConvParams{}, fmt.Errorf("%s has %d values for %d spatial dimensions", name, len(v), nd)
		}
	}
	if k.pads != nil && len(k.pads) != 2*nd {
		return kernels.ConvParams{}, fmt.Errorf("pads has %d values for %d spatial dimensions", len(k.pads), nd)
	}
	if k.kernelShape != nil && fmt.Sprint(k.kernelShape) != fmt.Sprint(w[2:]) {
		return kernels.ConvParams{}, fmt.Errorf("kernel_shape %v does not match weight %v", k.kernelShape, w)
	}
	get := func(v []int, i, def int) int {
		if v == nil {
			return def
		}
		return v[i]
	}
	// dims[0] is height, dims[1] width; 1-D fills only the width.
	var st, dil, pb, pe, in, ker [2]int
	st, dil, in, ker = [2]int{1, 1}, [2]int{1, 1}, [2]int{1, 1}, [2]int{1, 1}
	for i := 0; i < nd; i++ {
		d := 2 - nd + i
		st[d], dil[d] = get(k.strides, i, 1), get(k.dilations, i, 1)
		pb[d], pe[d] = get(k.pads, i, 0), get(k.pads, nd+i, 0)
		in[d], ker[d] = x[2+i], w[2+i]
	}
	p := kernels.ConvParams{N: x[0], C: x[1], H: in[0], W: in[1], K: w[0], R: ker[0], S: ker[1], Groups: k.group,
		StrideH: st[0], StrideW: st[1], DilH: dil[0], DilW: dil[1], PadT: pb[0], PadL: pb[1], PadB: pe[0], PadR: pe[1]}
	if w[1]*k.group != x[1] {
		return p, fmt.Errorf("weight %v with group %d does not match %d input channels", w, k.group, x[1])
	}
	return p, p.Validate()
}

func convOutShape(p kernels.ConvParams, rank int) []int {
	if rank == 3 {
		return []int{p.N, p.K, p.OutW()}
	}
	return []int{p.N, p.K, p.OutH(), p.OutW()}
}

// checkConvTypes accepts 8/16-bit activations and signed 8/16-bit weights.
func checkConvTypes(x, w tensor.DType) error {
	switch x {
	case tensor.Int8, tensor.Uint8, tensor.Int16, tensor.Uint16:
	default:
		return fmt.Errorf("activation is %v; IntConv reads int8, uint8, int16 or uint16", x)
	}
	if w != tensor.Int8 && w != tensor.Int16 {
		return fmt.Errorf("weight is %v; IntConv reads int8 or int16 weights", w)
	}
	return nil
}

func (k *convKernel) InferShapes(in []graph.ValueInfo, _ []*tensor.Tensor) ([]graph.ValueInfo, error) {
	if err := requireInfos(in, 2); err != nil {
		return nil, err
	}
	if err := checkConvTypes(in[0].DType, in[1].DType); err != nil {
		return nil, err
	}
	p, err := k.params(in[0].Shape, in[1].Shape)
	if err != nil {
		return nil, err
	}
	return []graph.ValueInfo{{DType: tensor.Int32, Shape: convOutShape(p, len(in[0].Shape))}}, nil
}

func (k *convKernel) Run(ctx *graph.Ctx, in []*tensor.Tensor) ([]*tensor.Tensor, error) {
	if err := requireInputs(in, 2); err != nil {
		return nil, err
	}
	x, w := in[0], in[1]
	if err := checkConvTypes(x.DType(), w.DType()); err != nil {
		return nil, err
	}
	p, err := k.params(x.Shape(), w.Shape())
	if err != nil {
		return nil, err
	}
	y := ctx.Alloc(tensor.Int32, convOutShape(p, x.Rank())...)
	out := y.Int32()
	lo, hi, _ := dtypeRange(x.DType())
	cg, kg := p.C/p.Groups, p.K/p.Groups
	switch {
	case cg == 1 && kg == 1: // depthwise: a GEMM per channel would have one row
		convDirectAny(p, x, k.xzp, w, out)
	case w.DType() == tensor.Int8 && x.DType() == tensor.Uint8 && k.xzp >= lo && k.xzp <= hi:
		cw := k.cache.int8(w, p, k.xzp)
		kernels.ConvU8S8Packed(p, x.Uint8(), uint8(k.xzp), cw.packed, cw.bias, out)
	case w.DType() == tensor.Int8 && x.DType() == tensor.Int8 && k.xzp >= lo && k.xzp <= hi:
		cw := k.cache.int8(w, p, k.xzp)
		kernels.ConvS8S8Packed(p, x.Int8(), int8(k.xzp), cw.packed, cw.bias, out)
	default:
		if off, ok := s16Offset(x.DType(), k.xzp); ok {
			convS16Any(p, x, off, k.xzp, k.cache.int16(w), out)
		} else { // a zero point far outside the activations' range
			convDirectAny(p, x, k.xzp, w, out)
		}
	}
	return []*tensor.Tensor{y}, nil
}
