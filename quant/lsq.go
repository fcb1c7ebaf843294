package quant

import (
	"t2c/graph"
	"t2c/tensor"
)

// LSQ (Esser et al., "Learned Step Size Quantization", ICLR 2020): the
// scale s is a learnable graph parameter, initialised by the MSE range
// search when observed, and trained with
//
//	∂x̂/∂s = round(x/s) − x/s   inside the integer range,
//	        q − z               where x was clamped,
//
// scaled by g = 1/√(N·qmax), N the number of elements sharing s (numel(x)
// for one scale per tensor); x itself gets the straight-through gradient.
// Unlike Torch2Chip, whose grad_scale assignment to .data never reaches the
// gradient, g is part of the returned gradient. lsq_token keeps one
// learnable scale per token position: T scales for T tokens per sample,
// found from the activation's shape at insertion; row r of a batch uses
// scale r mod T, so any batch size works but the token count is fixed.

func init() {
	Register("lsq", lsqFactory("lsq", PerTensor, PerChannel))
	Register("lsq_token", lsqFactory("lsq_token", PerToken))
}

func lsqFactory(name string, def Granularity, allowed ...Granularity) Factory {
	return func(s Spec, _ *graph.Attrs) (Quantizer, error) {
		s, err := s.withDefault(name, def, allowed...)
		if err != nil {
			return nil, err
		}
		return lsq{Affine{s}}, nil
	}
}

// lsq is a learned-step-size quantizer.
type lsq struct{ Affine }

func (q lsq) Init(shape []int) ([]Param, error) {
	g, err := Groups(q.S, shape)
	if err != nil {
		return nil, err
	}
	return AffineParams(g, true, rangeParams(g)...), nil
}

// Observe (re)initialises s and z by the MSE search: calibrate before
// training, not after.
func (q lsq) Observe(x *tensor.Tensor, st State) error { return mseObserve(q.S, x, st) }

// Backward returns the straight-through gradient of x and LSQ's gradient
// of the scale.
func (q lsq) Backward(_ *graph.Ctx, x *tensor.Tensor, st State, _ bool, _, dy *tensor.Tensor) (*tensor.Tensor, []*tensor.Tensor, error) {
	return q.grads(x, st, dy.Float32())
}

func (q lsq) grads(x *tensor.Tensor, st State, dy []float32) (*tensor.Tensor, []*tensor.Tensor, error) {
	l, s, z, err := q.layout(x, st)
	if err != nil {
		return nil, nil, err
	}
	qmin, qmax := int32(q.S.QMin()), int32(q.S.QMax())
	dx := tensor.Zeros(tensor.Float32, x.Shape()...)
	steGrad(x.Float32(), dy, dx.Float32(), l, s, z, qmin, qmax)
	ds := lsqScaleGrad(x.Float32(), dy, l, s, z, qmin, qmax)
	return dx, []*tensor.Tensor{tensor.New(st.Scale.Shape(), ds)}, nil
}
