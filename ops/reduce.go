package ops

import (
	"fmt"
	"math"

	"t2c/graph"
	"t2c/tensor"
)

// reduceKind selects the reduction.
type reduceKind uint8

const (
	redSum reduceKind = iota
	redMean
	redMax
)

func init() {
	graph.Register("ReduceSum", reduceBuilder(redSum, 13))
	graph.Register("ReduceMean", reduceBuilder(redMean, 18))
	graph.Register("ReduceMax", reduceBuilder(redMax, 18))
}

// reduceKernel is ReduceSum/ReduceMean/ReduceMax. axes come from the
// attribute, or from the optional second input from the opset where ONNX
// moved them there (13 for ReduceSum, 18 for the others). No axes means all
// axes, unless noop_with_empty_axes makes the op an identity.
type reduceKernel struct {
	kind      reduceKind
	axes      []int
	axesInput bool
	keepdims  bool
	noop      bool
}

func reduceBuilder(kind reduceKind, inputSince int) graph.Builder {
	return func(_ *graph.Node, a *graph.Attrs, opset int) (graph.Kernel, error) {
		k := &reduceKernel{kind: kind, keepdims: a.Int("keepdims", 1) != 0, axesInput: opset >= inputSince}
		if k.axesInput {
			k.noop = a.Int("noop_with_empty_axes", 0) != 0
		} else {
			k.axes = a.Ints("axes", nil)
		}
		return k, nil
	}
}

// resolve returns the normalised axes to reduce for a rank-r input, or nil
// with identity true when the op is a no-op.
func (k *reduceKernel) resolve(axesIn *tensor.Tensor, r int) (axes []int, identity bool, err error) {
	axes = k.axes
	if k.axesInput && axesIn != nil {
		axes = ints(axesIn)
	}
	if len(axes) == 0 {
		if k.noop {
			return nil, true, nil
		}
		axes = make([]int, r)
		for i := range axes {
			axes[i] = i
		}
	}
	axes, err = tensor.NormalizeAxes(axes, r)
	return axes, false, err
}

func (k *reduceKernel) InferShapes(in []graph.ValueInfo, consts []*tensor.Tensor) ([]graph.ValueInfo, error) {
	if len(in) == 0 || in[0].DType == tensor.Invalid {
		return nil, fmt.Errorf("input 0 is required")
	}
	if !isNumeric(in[0].DType) {
		return nil, fmt.Errorf("reduction of %v is not supported", in[0].DType)
	}
	var axesIn *tensor.Tensor
	if k.axesInput && len(in) > 1 && in[1].DType != tensor.Invalid {
		if axesIn = consts[1]; axesIn == nil {
			return nil, fmt.Errorf("axes input %q must be a compile-time constant", in[1].Name)
		}
	}
	axes, identity, err := k.resolve(axesIn, len(in[0].Shape))
	if err != nil || identity {
		return []graph.ValueInfo{{DType: in[0].DType, Shape: in[0].Shape}}, err
	}
	return []graph.ValueInfo{{DType: in[0].DType, Shape: tensor.ReducedShape(in[0].Shape, axes, k.keepdims)}}, nil
}

func (k *reduceKernel) Run(ctx *graph.Ctx, in []*tensor.Tensor) ([]*tensor.Tensor, error) {
	if err := need(in, 1); err != nil {
		return nil, err
	}
	x := in[0]
	var axesIn *tensor.Tensor
	if k.axesInput {
		axesIn = opt(in, 1)
	}
	axes, identity, err := k.resolve(axesIn, x.Rank())
	if err != nil {
		return nil, err
	}
	if identity {
		return []*tensor.Tensor{x}, nil
	}
	out := ctx.Alloc(x.DType(), tensor.ReducedShape(x.Shape(), axes, k.keepdims)...)
	switch x.DType() {
	case tensor.Float32:
		reduceT[float32](k.kind, out, x, axes, math.Inf(-1))
	case tensor.Float64:
		reduceT[float64](k.kind, out, x, axes, math.Inf(-1))
	case tensor.Int8:
		reduceT[int8](k.kind, out, x, axes, int8(math.MinInt8))
	case tensor.Uint8:
		reduceT[uint8](k.kind, out, x, axes, uint8(0))
	case tensor.Int16:
		reduceT[int16](k.kind, out, x, axes, int16(math.MinInt16))
	case tensor.Uint16:
		reduceT[uint16](k.kind, out, x, axes, uint16(0))
	case tensor.Int32:
		reduceT[int32](k.kind, out, x, axes, int32(math.MinInt32))
	case tensor.Uint32:
		reduceT[uint32](k.kind, out, x, axes, uint32(0))
	case tensor.Int64:
		reduceT[int64](k.kind, out, x, axes, int64(math.MinInt64))
	case tensor.Uint64:
		reduceT[uint64](k.kind, out, x, axes, uint64(0))
	default:
		return nil, fmt.Errorf("reduction of %v is not supported", x.DType())
	}
	return []*tensor.Tensor{out}, nil
}

// reduceT reduces x over the normalised axes into out, accumulating in A
// (float64 for float inputs, the input type for integers, whose sums wrap
// like NumPy's). lowest is the identity of max.
func reduceT[T, A tensor.Number](kind reduceKind, out, x *tensor.Tensor, axes []int, lowest A) {
	shape := x.Shape()
	kept := tensor.ReducedShape(shape, axes, true)
	acc := make([]A, tensor.NumElems(kept))
	if kind == redMax {
		for i := range acc {
			acc[i] = lowest
		}
	}
	xs := tensor.Data[T](x)
	sh, st := coalesce(shape, [][]int{tensor.BroadcastStrides(kept, shape)})
	tensor.ForEachRow(sh, st, func(io int, in, step []int, n int) {
		oi, row := in[0], xs[io:io+n]
		switch {
		case step[0] == 0 && kind == redMax:
			m := acc[oi]
			for _, v := range row {
				if a := A(v); a > m || a != a {
					m = a
				}
			}
			acc[oi] = m
		case step[0] == 0:
			s := acc[oi]
			for _, v := range row {
				s += A(v)
			}
			acc[oi] = s
		case kind == redMax:
			dst := acc[oi : oi+n]
			for j, v := range row {
				if a := A(v); a > dst[j] || a != a {
					dst[j] = a
				}
			}
		default:
			dst := acc[oi : oi+n]
			for j, v := range row {
				dst[j] += A(v)
			}
		}
	})
	o := tensor.Data[T](out)
	if kind != redMean {
		for i, v := range acc {
			o[i] = T(v)
		}
		return
	}
	count := 1
	for _, ax := range axes {
		count *= shape[ax]
	}
	for i, v := range acc {
		o[i] = T(float64(v) / float64(count))
	}
}
