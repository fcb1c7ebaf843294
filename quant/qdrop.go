package quant

import (
	"fmt"

	"t2c/graph"
	"t2c/tensor"
)

// QDrop (Wei et al., ICLR 2022): an LSQ activation quantizer that on the
// training path keeps each element's float value with probability p
// (option "p", default 0.5) and fake-quantizes the others, drawing from
// graph.Ctx.Rand; the mask is kept for the backward pass, where kept
// elements pass their gradient straight through and take no part in the
// scale's gradient. The inference path is plain LSQ. qdrop_token is the
// per-token variant (as lsq_token).

func init() {
	Register("qdrop", qdropFactory("qdrop", PerTensor))
	Register("qdrop_token", qdropFactory("qdrop_token", PerToken))
}

type qdrop struct {
	lsq
	p float64
}

func qdropFactory(name string, def Granularity) Factory {
	return func(s Spec, a *graph.Attrs) (Quantizer, error) {
		p := float64(a.Float("p", 0.5))
		if !(p >= 0 && p <= 1) {
			return nil, fmt.Errorf("option p (probability of keeping the float value) must be in [0, 1], got %g", p)
		}
		if s.Role == Weight {
			return nil, fmt.Errorf("%s quantizes activations; use lsq or adaround for weights", name)
		}
		s, err := s.withDefault(name, def)
		if err != nil {
			return nil, err
		}
		return qdrop{lsq{Affine{s}}, p}, nil
	}
}

func (q qdrop) Forward(ctx *graph.Ctx, x *tensor.Tensor, st State, train bool) (*tensor.Tensor, *tensor.Tensor, error) {
	y, _, err := q.lsq.Forward(ctx, x, st, train)
	if err != nil || !train || q.p == 0 {
		return y, nil, err
	}
	if ctx == nil || ctx.Rand == nil {
		return nil, nil, fmt.Errorf("qdrop's training path needs a random source (graph.Ctx.Rand)")
	}
	keep := tensor.Zeros(tensor.Bool, x.Shape()...)
	ks, xs, ys := keep.Bool(), x.Float32(), y.Float32()
	for i := range ks {
		if ctx.Rand.Float64() < q.p {
			ks[i], ys[i] = true, xs[i]
		}
	}
	return y, keep, nil
}

func (q qdrop) Backward(ctx *graph.Ctx, x *tensor.Tensor, st State, train bool, saved, dy *tensor.Tensor) (*tensor.Tensor, []*tensor.Tensor, error) {
	if saved == nil {
		return q.lsq.Backward(ctx, x, st, train, nil, dy)
	}
	ks, g := saved.Bool(), dy.Float32()
	quantized := make([]float32, len(g)) // dy where the element was quantized
	for i, k := range ks {
		if !k {
			quantized[i] = g[i]
		}
	}
	dx, dst, err := q.grads(x, st, quantized)
	if err != nil {
		return nil, nil, err
	}
	dxs := dx.Float32()
	for i, k := range ks {
		if k {
			dxs[i] = g[i]
		}
	}
	return dx, dst, nil
}
