package ops

import (
	"fmt"

	"t2c/graph"
	"t2c/kernels"
	"t2c/tensor"
)

func init() { graph.Register("Conv", buildConv) }

// window holds the spatial attributes shared by Conv and the pooling ops,
// for 1-D and 2-D windows (1-D runs as 2-D with height 1).
type window struct {
	autoPad   string
	kernel    []int // from kernel_shape, may be nil for Conv (taken from W)
	strides   []int
	dilations []int
	pads      []int // begin..., end...
}

func readWindow(a *graph.Attrs) window {
	w := window{
		autoPad:   a.String("auto_pad", "NOTSET"),
		kernel:    a.Ints("kernel_shape", nil),
		strides:   a.Ints("strides", nil),
		dilations: a.Ints("dilations", nil),
		pads:      a.Ints("pads", nil),
	}
	a.OneOf("auto_pad", w.autoPad, "NOTSET", "SAME_UPPER", "SAME_LOWER", "VALID")
	return w
}

// resolve fills defaults and computes explicit pads for spatial input dims
// in, returning 2-D (height, width) parameters. ceil selects ceil-mode output
// sizes for pooling (affects SAME padding only through the output size).
func (w window) resolve(in, kernel []int) (k, stride, dil, padBegin, padEnd [2]int, err error) {
	nd := len(in)
	if nd < 1 || nd > 2 {
		err = fmt.Errorf("%d spatial dimensions; only 1-D and 2-D windows are supported", nd)
		return
	}
	get := func(v []int, i, def int) int {
		if v == nil {
			return def
		}
		return v[i]
	}
	for name, v := range map[string][]int{"strides": w.strides, "dilations": w.dilations} {
		if v != nil && len(v) != nd {
			err = fmt.Errorf("%s has %d values for %d spatial dimensions", name, len(v), nd)
			return
		}
	}
	if w.pads != nil && len(w.pads) != 2*nd {
		err = fmt.Errorf("pads has %d values for %d spatial dimensions", len(w.pads), nd)
		return
	}
	off := 2 - nd // 1-D maps to the width axis
	for i := 0; i < 2; i++ {
		k[i], stride[i], dil[i] = 1, 1, 1
	}
	for i := 0; i < nd; i++ {
		d := off + i
		k[d], stride[d], dil[d] = kernel[i], get(w.strides, i, 1), get(w.dilations, i, 1)
		switch w.autoPad {
		case "NOTSET":
			padBegin[d], padEnd[d] = get(w.pads, i, 0), get(w.pads, nd+i, 0)
		case "VALID":
		default: // SAME_UPPER / SAME_LOWER: output = ceil(in / stride)
			out := (in[i] + stride[d] - 1) / stride[d]
			total := max(0, (out-1)*stride[d]+(k[d]-1)*dil[d]+1-in[i])
			small, big := total/2, total-total/2
			if w.autoPad == "SAME_UPPER" {
				padBegin[d], padEnd[d] = small, big
			} else {
				padBegin[d], padEnd[d] = big, small
			}
		}
	}
	return
}

type convKernel struct {
	win   window
	group int
}

func buildConv(n *graph.Node, a *graph.Attrs, opset int) (graph.Kernel, error) {
	k := &convKernel{win: readWindow(a), group: int(a.Int("group", 1))}
	if k.group < 1 {
		a.Fail("group", "must be ≥ 1, got %d", k.group)
	}
	return k, nil
}

func (k *convKernel) params(x, w []int) (kernels.ConvParams, error) {
	if len(x) < 3 || len(x) != len(w) {
		return kernels.ConvParams{}, fmt.Errorf("input %v and weight %v must both be N×C×spatial", x, w)
	}
	spatial := x[2:]
	kern := w[2:]
	if k.win.kernel != nil && fmt.Sprint(k.win.kernel) != fmt.Sprint(kern) {
		return kernels.ConvParams{}, fmt.Errorf("kernel_shape %v does not match weight %v", k.win.kernel, w)
	}
	kk, st, dil, pb, pe, err := k.win.resolve(spatial, kern)
	if err != nil {
		return kernels.ConvParams{}, err
	}
	h, wd := 1, spatial[len(spatial)-1]
	if len(spatial) == 2 {
		h = spatial[0]
	}
	p := kernels.ConvParams{N: x[0], C: x[1], H: h, W: wd, K: w[0], R: kk[0], S: kk[1], Groups: k.group,
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

func (k *convKernel) InferShapes(in []graph.ValueInfo, _ []*tensor.Tensor) ([]graph.ValueInfo, error) {
	p, err := k.params(in[0].Shape, in[1].Shape)
	if err != nil {
		return nil, err
	}
	return []graph.ValueInfo{{DType: in[0].DType, Shape: convOutShape(p, len(in[0].Shape))}}, nil
}

func (k *convKernel) Run(ctx *graph.Ctx, in []*tensor.Tensor) ([]*tensor.Tensor, error) {
	if err := need(in, 2); err != nil {
		return nil, err
	}
	if err := float32Only(in, 0, 1, 2); err != nil {
		return nil, err
	}
	p, err := k.params(in[0].Shape(), in[1].Shape())
	if err != nil {
		return nil, err
	}
	var bias []float32
	if b := opt(in, 2); b != nil {
		if b.Len() != p.K {
			return nil, fmt.Errorf("bias has %d elements for %d output channels", b.Len(), p.K)
		}
		bias = b.Float32()
	}
	y := ctx.Alloc(tensor.Float32, convOutShape(p, in[0].Rank())...)
	kernels.Conv2D(p, in[0].Float32(), in[1].Float32(), bias, y.Float32())
	return []*tensor.Tensor{y}, nil
}
