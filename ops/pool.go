package ops

import (
	"fmt"
	"math"

	"t2c/graph"
	"t2c/kernels"
	"t2c/tensor"
)

func init() {
	graph.Register("MaxPool", func(n *graph.Node, a *graph.Attrs, opset int) (graph.Kernel, error) {
		return buildPool(n, a, true)
	})
	graph.Register("AveragePool", func(n *graph.Node, a *graph.Attrs, opset int) (graph.Kernel, error) {
		return buildPool(n, a, false)
	})
	graph.Register("GlobalAveragePool", func(*graph.Node, *graph.Attrs, int) (graph.Kernel, error) {
		return globalPool{avg: true}, nil
	})
	graph.Register("GlobalMaxPool", func(*graph.Node, *graph.Attrs, int) (graph.Kernel, error) {
		return globalPool{}, nil
	})
}

type poolKernel struct {
	win          window
	max          bool
	ceil         bool
	includePad   bool
	storageOrder int64
	wantIndices  bool // the node names MaxPool's Indices output
}

func buildPool(n *graph.Node, a *graph.Attrs, isMax bool) (graph.Kernel, error) {
	k := &poolKernel{win: readWindow(a), max: isMax, ceil: a.Int("ceil_mode", 0) == 1,
		wantIndices: len(n.Outputs) > 1 && n.Outputs[1] != ""}
	if isMax {
		if k.storageOrder = a.Int("storage_order", 0); k.storageOrder != 0 {
			a.Fail("storage_order", "column-major indices are not supported")
		}
	} else {
		k.includePad = a.Int("count_include_pad", 0) == 1
	}
	if k.win.kernel == nil {
		a.Fail("kernel_shape", "is required")
	}
	if len(k.win.kernel) > 2 {
		a.Fail("kernel_shape", "%d-D pooling is not supported (1-D and 2-D only)", len(k.win.kernel))
	}
	return k, nil
}

// geometry holds a resolved 2-D pooling window.
type geometry struct {
	n, c, h, w, oh, ow int
	k, st, dil, pb, pe [2]int
}

func (k *poolKernel) geometry(x []int) (geometry, error) {
	if len(x) < 3 || len(x) > 4 {
		return geometry{}, fmt.Errorf("input %v must be N×C×W or N×C×H×W", x)
	}
	if len(k.win.kernel) != len(x)-2 {
		return geometry{}, fmt.Errorf("kernel_shape %v for input %v", k.win.kernel, x)
	}
	kk, st, dil, pb, pe, err := k.win.resolve(x[2:], k.win.kernel)
	if err != nil {
		return geometry{}, err
	}
	g := geometry{n: x[0], c: x[1], h: 1, w: x[len(x)-1], k: kk, st: st, dil: dil, pb: pb, pe: pe}
	if len(x) == 4 {
		g.h = x[2]
	}
	g.oh = poolOut(g.h, kk[0], st[0], dil[0], pb[0], pe[0], k.ceil)
	g.ow = poolOut(g.w, kk[1], st[1], dil[1], pb[1], pe[1], k.ceil)
	if g.oh < 1 || g.ow < 1 {
		return g, fmt.Errorf("window %v larger than padded input %v", k.win.kernel, x)
	}
	return g, nil
}

// poolOut is the output size; in ceil mode a last window that would start
// inside the end padding is dropped, as in PyTorch and the ONNX reference.
func poolOut(in, k, st, dil, pb, pe int, ceil bool) int {
	span := in + pb + pe - dil*(k-1) - 1
	if !ceil {
		return span/st + 1
	}
	out := (span+st-1)/st + 1
	if (out-1)*st >= in+pb {
		out--
	}
	return out
}

func (g geometry) shape(rank int) []int {
	if rank == 3 {
		return []int{g.n, g.c, g.ow}
	}
	return []int{g.n, g.c, g.oh, g.ow}
}

func (k *poolKernel) InferShapes(in []graph.ValueInfo, _ []*tensor.Tensor) ([]graph.ValueInfo, error) {
	g, err := k.geometry(in[0].Shape)
	if err != nil {
		return nil, err
	}
	s := g.shape(len(in[0].Shape))
	return []graph.ValueInfo{{DType: in[0].DType, Shape: s}, {DType: tensor.Int64, Shape: s}}, nil
}

func (k *poolKernel) Run(ctx *graph.Ctx, in []*tensor.Tensor) ([]*tensor.Tensor, error) {
	if err := need(in, 1); err != nil {
		return nil, err
	}
	g, err := k.geometry(in[0].Shape())
	if err != nil {
		return nil, err
	}
	shape := g.shape(in[0].Rank())
	if k.max && !k.wantIndices && in[0].DType() == tensor.Float32 && (ctx == nil || !ctx.Training) {
		// Inference without Indices: the SIMD kernel (gradients, which need
		// the argmax, take the path below in training mode).
		y := ctx.Alloc(tensor.Float32, shape...)
		kernels.MaxPool2D(kernels.PoolParams{N: g.n, C: g.c, H: g.h, W: g.w, KH: g.k[0], KW: g.k[1],
			StrideH: g.st[0], StrideW: g.st[1], DilH: g.dil[0], DilW: g.dil[1], PadT: g.pb[0], PadL: g.pb[1],
			OutH: g.oh, OutW: g.ow}, in[0].Float32(), y.Float32())
		return []*tensor.Tensor{y}, nil
	}
	if k.max {
		idx := tensor.Zeros(tensor.Int64, shape...)
		y := ctx.Alloc(in[0].DType(), shape...)
		switch in[0].DType() {
		case tensor.Float32:
			maxPool(g, in[0].Float32(), y.Float32(), idx.Int64())
		case tensor.Int8:
			maxPool(g, in[0].Int8(), y.Int8(), idx.Int64())
		case tensor.Uint8:
			maxPool(g, in[0].Uint8(), y.Uint8(), idx.Int64())
		case tensor.Int32:
			maxPool(g, in[0].Int32(), y.Int32(), idx.Int64())
		default:
			return nil, fmt.Errorf("MaxPool of %v is not supported", in[0].DType())
		}
		return []*tensor.Tensor{y, idx}, nil
	}
	if err := float32Only(in, 0); err != nil {
		return nil, err
	}
	y := ctx.Alloc(tensor.Float32, shape...)
	x, out := in[0].Float32(), y.Float32()
	kernels.Parallel(g.n*g.c, 1, func(lo, hi int) {
		for nc := lo; nc < hi; nc++ {
			k.avgPlane(g, x[nc*g.h*g.w:(nc+1)*g.h*g.w], out[nc*g.oh*g.ow:(nc+1)*g.oh*g.ow])
		}
	})
	return []*tensor.Tensor{y}, nil
}

// maxPool takes window maxima of every plane, recording the flat input
// index of each maximum (the first on ties) for Indices and gradients.
func maxPool[T float32 | int8 | uint8 | int32](g geometry, x, y []T, idx []int64) {
	kernels.Parallel(g.n*g.c, 1, func(lo, hi int) {
		for nc := lo; nc < hi; nc++ {
			maxPlane(g, x[nc*g.h*g.w:(nc+1)*g.h*g.w], y[nc*g.oh*g.ow:(nc+1)*g.oh*g.ow], idx[nc*g.oh*g.ow:], nc*g.h*g.w)
		}
	})
}

func maxPlane[T float32 | int8 | uint8 | int32](g geometry, x, y []T, idx []int64, base int) {
	for i := 0; i < g.oh; i++ {
		for j := 0; j < g.ow; j++ {
			var best T
			at := -1
			for r := 0; r < g.k[0]; r++ {
				ih := i*g.st[0] - g.pb[0] + r*g.dil[0]
				if ih < 0 || ih >= g.h {
					continue
				}
				for s := 0; s < g.k[1]; s++ {
					iw := j*g.st[1] - g.pb[1] + s*g.dil[1]
					if iw >= 0 && iw < g.w && (at < 0 || x[ih*g.w+iw] > best) {
						best, at = x[ih*g.w+iw], ih*g.w+iw
					}
				}
			}
			y[i*g.ow+j] = best
			idx[i*g.ow+j] = int64(base + at)
		}
	}
}

func (k *poolKernel) avgPlane(g geometry, x, y []float32) {
	for i := 0; i < g.oh; i++ {
		for j := 0; j < g.ow; j++ {
			var sum float32
			count, padded := 0, 0
			for r := 0; r < g.k[0]; r++ {
				ih := i*g.st[0] - g.pb[0] + r*g.dil[0]
				for s := 0; s < g.k[1]; s++ {
					iw := j*g.st[1] - g.pb[1] + s*g.dil[1]
					switch {
					case ih >= 0 && ih < g.h && iw >= 0 && iw < g.w:
						sum += x[ih*g.w+iw]
						count++
					case ih < g.h+g.pe[0] && iw < g.w+g.pe[1]:
						padded++ // inside explicit padding, not past it (ceil mode)
					}
				}
			}
			if k.includePad {
				count += padded
			}
			y[i*g.ow+j] = sum / float32(count)
		}
	}
}

type globalPool struct{ avg bool }

func (p globalPool) InferShapes(in []graph.ValueInfo, _ []*tensor.Tensor) ([]graph.ValueInfo, error) {
	s := in[0].Shape
	if len(s) < 3 {
		return nil, fmt.Errorf("input %v must be N×C×spatial", s)
	}
	out := []int{s[0], s[1]}
	for range s[2:] {
		out = append(out, 1)
	}
	return []graph.ValueInfo{{DType: in[0].DType, Shape: out}}, nil
}

func (p globalPool) Run(ctx *graph.Ctx, in []*tensor.Tensor) ([]*tensor.Tensor, error) {
	if err := need(in, 1); err != nil {
		return nil, err
	}
	if err := float32Only(in, 0); err != nil {
		return nil, err
	}
	info, err := p.InferShapes([]graph.ValueInfo{{Shape: in[0].Shape()}}, nil)
	if err != nil {
		return nil, err
	}
	y := ctx.Alloc(tensor.Float32, info[0].Shape...)
	x, out := in[0].Float32(), y.Float32()
	hw := tensor.NumElems(in[0].Shape()[2:])
	for i := range out {
		plane := x[i*hw : (i+1)*hw]
		if p.avg {
			var s float32
			for _, v := range plane {
				s += v
			}
			out[i] = s / float32(hw)
		} else {
			m := float32(math.Inf(-1))
			for _, v := range plane {
				m = max(m, v)
			}
			out[i] = m
		}
	}
	return []*tensor.Tensor{y}, nil
}
