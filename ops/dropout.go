package ops

import (
	"fmt"

	"t2c/graph"
	"t2c/tensor"
)

func init() { graph.Register("Dropout", buildDropout) }

// dropoutKernel is Dropout. At inference the output is the input and the
// optional mask is all true (all ones of the input type before opset 10).
// In training mode — the opset-12 training_mode input is true, or the run
// context has Training set — each element is kept with probability
// 1 - ratio and scaled by 1/(1 - ratio), with the mask drawn from ctx.Rand;
// without a random source only ratio 0 (an identity) is accepted.
type dropoutKernel struct {
	opset    int
	ratio    float64 // attribute before opset 12
	wantMask bool
}

func buildDropout(n *graph.Node, a *graph.Attrs, opset int) (graph.Kernel, error) {
	k := dropoutKernel{opset: opset, ratio: 0.5, wantMask: len(n.Outputs) > 1 && n.Outputs[1] != ""}
	if opset < 12 {
		k.ratio = float64(a.Float("ratio", 0.5))
	} else {
		a.Int("seed", 0) // masks come from the run context's generator
	}
	if k.ratio < 0 || k.ratio >= 1 {
		a.Fail("ratio", "must be in [0, 1), got %g", k.ratio)
	}
	return k, nil
}

func (k dropoutKernel) Run(ctx *graph.Ctx, in []*tensor.Tensor) ([]*tensor.Tensor, error) {
	if err := need(in, 1); err != nil {
		return nil, err
	}
	x := in[0]
	ratio, training := k.ratio, ctx != nil && ctx.Training
	if k.opset >= 12 {
		if r := opt(in, 1); r != nil {
			if r.Len() != 1 {
				return nil, fmt.Errorf("ratio must be a scalar, got %v", r)
			}
			ratio = r.Float64s()[0]
		}
		if t := opt(in, 2); t != nil {
			if t.Len() != 1 {
				return nil, fmt.Errorf("training_mode must be a scalar, got %v", t)
			}
			training = training || t.Float64s()[0] != 0
		}
	}
	if training && ratio != 0 {
		return k.train(ctx, x, ratio)
	}
	if !k.wantMask {
		return []*tensor.Tensor{x}, nil
	}
	return []*tensor.Tensor{x, k.maskOf(ctx, x, nil)}, nil
}

// maskOf returns the mask output for keep (nil: keep everything).
func (k dropoutKernel) maskOf(ctx *graph.Ctx, x *tensor.Tensor, keep []bool) *tensor.Tensor {
	mask := ctx.Alloc(tensor.Bool, x.Shape()...)
	m := mask.Bool()
	for i := range m {
		m[i] = keep == nil || keep[i]
	}
	if k.opset < 10 {
		return tensor.Cast(mask, x.DType())
	}
	return mask
}

func (k dropoutKernel) train(ctx *graph.Ctx, x *tensor.Tensor, ratio float64) ([]*tensor.Tensor, error) {
	if ratio < 0 || ratio >= 1 {
		return nil, fmt.Errorf("ratio must be in [0, 1), got %g", ratio)
	}
	if ctx == nil || ctx.Rand == nil {
		return nil, fmt.Errorf("training-mode Dropout with ratio %g needs a random source (graph.Ctx.Rand)", ratio)
	}
	keep := make([]bool, x.Len())
	for i := range keep {
		keep[i] = ctx.Rand.Float64() >= ratio
	}
	scale := 1 / (1 - ratio)
	out := ctx.Alloc(x.DType(), x.Shape()...)
	switch x.DType() {
	case tensor.Float32:
		o, v := out.Float32(), x.Float32()
		for i, kp := range keep {
			if kp {
				o[i] = float32(float64(v[i]) * scale)
			}
		}
	case tensor.Float64:
		o, v := tensor.Data[float64](out), tensor.Data[float64](x)
		for i, kp := range keep {
			if kp {
				o[i] = v[i] * scale
			}
		}
	default:
		return nil, fmt.Errorf("Dropout supports float32 and float64, got %v", x.DType())
	}
	// The mask is returned even when the node does not name it: the
	// backward pass needs it.
	return []*tensor.Tensor{out, k.maskOf(ctx, x, keep)}, nil
}
