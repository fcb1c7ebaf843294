package ops

import (
	"fmt"

	"t2c/graph"
	"t2c/tensor"
)

func init() { graph.Register("Pad", buildPad) }

// padKernel is Pad in constant, reflect or edge mode. Before opset 11 pads
// and the constant value are attributes; from 11 they are inputs (pads,
// optional constant_value). Negative pads remove elements. The opset-18
// axes input is not supported.
type padKernel struct {
	mode  string
	attrs bool
	pads  []int
	value float64
}

func buildPad(_ *graph.Node, a *graph.Attrs, opset int) (graph.Kernel, error) {
	k := padKernel{mode: a.String("mode", "constant")}
	a.OneOf("mode", k.mode, "constant", "reflect", "edge")
	if opset < 11 {
		k.attrs = true
		k.pads = a.Ints("pads", nil)
		if k.pads == nil {
			a.Fail("pads", "is required")
		}
		k.value = float64(a.Float("value", 0))
	}
	return k, nil
}

// padsFor returns the begin and end pads per axis of a rank-r input.
func (k padKernel) padsFor(r int, in []*tensor.Tensor) (begin, end []int, err error) {
	pads := k.pads
	if !k.attrs {
		if len(in) < 2 || in[1] == nil {
			return nil, nil, fmt.Errorf("pads input is required")
		}
		if opt(in, 3) != nil {
			return nil, nil, fmt.Errorf("the axes input (opset 18) is not supported")
		}
		pads = ints(in[1])
	}
	if len(pads) != 2*r {
		return nil, nil, fmt.Errorf("%d pads for a rank-%d input, want %d", len(pads), r, 2*r)
	}
	return pads[:r], pads[r:], nil
}

func (k padKernel) InferShapes(in []graph.ValueInfo, consts []*tensor.Tensor) ([]graph.ValueInfo, error) {
	var args []*tensor.Tensor
	if !k.attrs {
		p, err := constInput(in, consts, 1, true)
		if err != nil {
			return nil, err
		}
		args = []*tensor.Tensor{nil, p}
		if len(in) > 3 && in[3].DType != tensor.Invalid {
			return nil, fmt.Errorf("the axes input (opset 18) is not supported")
		}
	} else if len(in) == 0 || in[0].DType == tensor.Invalid {
		return nil, fmt.Errorf("input 0 is required")
	}
	s := in[0].Shape
	begin, end, err := k.padsFor(len(s), args)
	if err != nil {
		return nil, err
	}
	out := make([]int, len(s))
	for d := range s {
		if out[d] = s[d] + begin[d] + end[d]; out[d] < 0 {
			return nil, fmt.Errorf("pads %v%v remove more than axis %d of size %d", begin, end, d, s[d])
		}
	}
	return []graph.ValueInfo{{DType: in[0].DType, Shape: out}}, nil
}

func (k padKernel) Run(ctx *graph.Ctx, in []*tensor.Tensor) ([]*tensor.Tensor, error) {
	if err := need(in, 1); err != nil {
		return nil, err
	}
	x := in[0]
	begin, end, err := k.padsFor(x.Rank(), in)
	if err != nil {
		return nil, err
	}
	// Negative pads crop first; the remaining pads are non-negative.
	s := x.Shape()
	var axes, starts, ends, steps []int
	for d := range s {
		if begin[d] < 0 || end[d] < 0 {
			b, e := max(0, -begin[d]), s[d]-max(0, -end[d])
			if e < b {
				return nil, fmt.Errorf("pads %v%v remove more than axis %d of size %d", begin, end, d, s[d])
			}
			axes, starts, ends, steps = append(axes, d), append(starts, b), append(ends, e), append(steps, 1)
		}
	}
	if axes != nil {
		if x, err = tensor.Slice(x, axes, starts, ends, steps); err != nil {
			return nil, err
		}
		s = x.Shape()
	}
	// Per axis, map each output index to an input index (-1: constant).
	maps := make([][]int, len(s))
	outShape := make([]int, len(s))
	for d, n := range s {
		b, e := max(0, begin[d]), max(0, end[d])
		outShape[d] = n + b + e
		if k.mode != "constant" && n == 0 && b+e > 0 {
			return nil, fmt.Errorf("%s padding of an empty axis %d", k.mode, d)
		}
		maps[d] = make([]int, outShape[d])
		for i := range maps[d] {
			maps[d][i] = padSource(i-b, n, k.mode)
		}
	}
	out := ctx.Alloc(x.DType(), outShape...)
	var value *tensor.Tensor
	if k.attrs {
		value = tensor.Cast(tensor.Scalar(k.value), x.DType())
	} else if v := opt(in, 2); v != nil {
		if v.DType() != x.DType() || v.Len() != 1 {
			return nil, fmt.Errorf("constant_value must be a one-element %v tensor, got %v", x.DType(), v)
		}
		value = v
	}
	switch x.DType() {
	case tensor.Float32:
		padT[float32](out, x, maps, value)
	case tensor.Float64:
		padT[float64](out, x, maps, value)
	case tensor.Int8:
		padT[int8](out, x, maps, value)
	case tensor.Uint8:
		padT[uint8](out, x, maps, value)
	case tensor.Int16:
		padT[int16](out, x, maps, value)
	case tensor.Uint16:
		padT[uint16](out, x, maps, value)
	case tensor.Int32:
		padT[int32](out, x, maps, value)
	case tensor.Uint32:
		padT[uint32](out, x, maps, value)
	case tensor.Int64:
		padT[int64](out, x, maps, value)
	case tensor.Uint64:
		padT[uint64](out, x, maps, value)
	case tensor.Bool:
		padT[bool](out, x, maps, value)
	default:
		return nil, fmt.Errorf("Pad does not support %v", x.DType())
	}
	return []*tensor.Tensor{out}, nil
}

// padSource maps a position i relative to the start of an axis of size n
// to the input index it copies, or -1 for the constant.
func padSource(i, n int, mode string) int {
	if i >= 0 && i < n {
		return i
	}
	switch mode {
	case "edge":
		return clampInt(i, 0, n-1)
	case "reflect":
		if n == 1 {
			return 0
		}
		period := 2 * (n - 1)
		i %= period
		if i < 0 {
			i += period
		}
		if i >= n {
			i = period - i
		}
		return i
	}
	return -1
}

// padT fills out from x through the per-axis index maps.
func padT[T tensor.Elem](out, x *tensor.Tensor, maps [][]int, value *tensor.Tensor) {
	o, xs := tensor.Data[T](out), tensor.Data[T](x)
	var c T
	if value != nil {
		c = tensor.Data[T](value)[0]
	}
	shape := out.Shape()
	r := len(shape)
	if r == 0 {
		o[0] = xs[0]
		return
	}
	if len(o) == 0 {
		return
	}
	st := tensor.Strides(x.Shape())
	last := maps[r-1]
	idx := make([]int, r-1)
	rows := len(o) / shape[r-1]
	for row := range rows {
		base := 0
		for d, i := range idx {
			src := maps[d][i]
			if src < 0 {
				base = -1
				break
			}
			base += src * st[d]
		}
		dst := o[row*len(last) : (row+1)*len(last)]
		if base < 0 {
			for j := range dst {
				dst[j] = c
			}
		} else {
			for j, src := range last {
				if src < 0 {
					dst[j] = c
				} else {
					dst[j] = xs[base+src]
				}
			}
		}
		for d := r - 2; d >= 0; d-- {
			if idx[d]++; idx[d] < shape[d] {
				break
			}
			idx[d] = 0
		}
	}
}
