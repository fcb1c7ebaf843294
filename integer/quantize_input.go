package integer

import (
	"fmt"
	"math"

	"t2c/graph"
	"t2c/kernels"
	"t2c/tensor"
)

func init() { graph.Register(OpQuantizeInput, buildQuantizeInput) }

// QuantizeInputParams are the Go values of a QuantizeInput node: the grid
// the float graph input is quantized onto.
type QuantizeInputParams struct {
	Out   Grid   // one scale, or one per channel of Out.Axis
	Layer string // module path, metadata only
}

// NewQuantizeInput builds a QuantizeInput node reading the float value in.
func NewQuantizeInput(name, in, out string, p QuantizeInputParams) *graph.Node {
	return newNode(name, OpQuantizeInput, []string{in}, out, p.Layer, p.Out.Attrs(nil))
}

// quantizeInputKernel is q = clamp(rne(x / scale) + zero_point, qmin, qmax)
// with x / scale an IEEE float32 division, exactly as the quantizers of
// package quant compute it, so the integer graph sees the integers the
// fake-quantized model saw.
type quantizeInputKernel struct {
	out   Grid
	scale []float32
}

func buildQuantizeInput(_ *graph.Node, a *graph.Attrs, _ int) (graph.Kernel, error) {
	readLayer(a)
	k := &quantizeInputKernel{}
	k.out, _ = readOutGrid(a, true)
	for _, s := range k.out.Scale {
		k.scale = append(k.scale, float32(s))
	}
	return k, nil
}

// layout splits x into outer × channels × inner for per-channel scales.
func (k *quantizeInputKernel) layout(shape []int) (outer, ch, inner int, err error) {
	if len(k.scale) == 1 {
		return 1, 1, tensor.NumElems(shape), nil
	}
	axis, err := normAxis(k.out.Axis, len(shape))
	if err != nil {
		return 0, 0, 0, err
	}
	if shape[axis] != len(k.scale) {
		return 0, 0, 0, fmt.Errorf("input %v has %d channels on axis %d; the grid has %d scales", shape, shape[axis], axis, len(k.scale))
	}
	return tensor.NumElems(shape[:axis]), len(k.scale), tensor.NumElems(shape[axis+1:]), nil
}

func (k *quantizeInputKernel) InferShapes(in []graph.ValueInfo, _ []*tensor.Tensor) ([]graph.ValueInfo, error) {
	if err := requireInfos(in, 1); err != nil {
		return nil, err
	}
	if in[0].DType != tensor.Float32 {
		return nil, fmt.Errorf("input is %v; QuantizeInput reads float32", in[0].DType)
	}
	if _, _, _, err := k.layout(in[0].Shape); err != nil {
		return nil, err
	}
	return []graph.ValueInfo{{DType: k.out.DType(), Shape: in[0].Shape}}, nil
}

func (k *quantizeInputKernel) Run(ctx *graph.Ctx, in []*tensor.Tensor) ([]*tensor.Tensor, error) {
	if err := requireInputs(in, 1); err != nil {
		return nil, err
	}
	x := in[0]
	if x.DType() != tensor.Float32 {
		return nil, fmt.Errorf("input is %v; QuantizeInput reads float32", x.DType())
	}
	outer, ch, inner, err := k.layout(x.Shape())
	if err != nil {
		return nil, err
	}
	y := ctx.Alloc(k.out.DType(), x.Shape()...)
	xs := x.Float32()
	switch y.DType() {
	case tensor.Int8:
		quantizeBlocks(k, xs, tensor.Data[int8](y), outer*ch, ch, inner)
	case tensor.Uint8:
		quantizeBlocks(k, xs, tensor.Data[uint8](y), outer*ch, ch, inner)
	case tensor.Int16:
		quantizeBlocks(k, xs, tensor.Data[int16](y), outer*ch, ch, inner)
	case tensor.Uint16:
		quantizeBlocks(k, xs, tensor.Data[uint16](y), outer*ch, ch, inner)
	case tensor.Int32:
		quantizeBlocks(k, xs, tensor.Data[int32](y), outer*ch, ch, inner)
	}
	return []*tensor.Tensor{y}, nil
}

// quantizeBlocks runs over blocks of inner elements sharing a scale; with
// one scale the flat array is split instead.
func quantizeBlocks[T intElem](k *quantizeInputKernel, x []float32, y []T, blocks, ch, inner int) {
	z, qmin, qmax := float64(k.out.ZeroPoint), float64(k.out.QMin()), float64(k.out.QMax())
	one := func(xs []float32, ys []T, s float32) {
		ys = ys[:len(xs)]
		for i, v := range xs {
			r := math.RoundToEven(float64(v/s)) + z
			if r != r { // NaN maps to the zero point, as in package quant
				r = z
			}
			ys[i] = T(min(max(r, qmin), qmax))
		}
	}
	if ch == 1 {
		kernels.Parallel(len(x), parallelGrain, func(lo, hi int) { one(x[lo:hi], y[lo:hi], k.scale[0]) })
		return
	}
	kernels.Parallel(blocks, max(1, parallelGrain/max(inner, 1)), func(lo, hi int) {
		for b := lo; b < hi; b++ {
			one(x[b*inner:(b+1)*inner], y[b*inner:(b+1)*inner], k.scale[b%ch])
		}
	})
}
