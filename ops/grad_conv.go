package ops

import (
	"t2c/graph"
	"t2c/kernels"
	"t2c/tensor"
)

// Backward implements autodiff.Differentiable for Conv:
// dW = Σ dY ⋆ X (kernels.Conv2DWeightGrad), dX = the transposed
// convolution of dY (kernels.Conv2DInputGrad), dB = Σ dY.
func (k *convKernel) Backward(ctx *graph.Ctx, in, out, dOut []*tensor.Tensor) ([]*tensor.Tensor, error) {
	return k.BackwardNeeded(ctx, in, out, dOut, []bool{true, true, true})
}

// BackwardNeeded implements autodiff.SelectiveDifferentiable: the first
// convolution's input gradient (the images') and frozen weights' are not
// computed.
func (k *convKernel) BackwardNeeded(ctx *graph.Ctx, in, out, dOut []*tensor.Tensor, need []bool) ([]*tensor.Tensor, error) {
	p, err := k.params(in[0].Shape(), in[1].Shape())
	if err != nil {
		return nil, err
	}
	dy := dOut[0].Float32()
	grads := []*tensor.Tensor{nil, nil, nil}
	if len(need) < 2 || need[1] {
		grads[1] = ctx.Alloc(tensor.Float32, in[1].Shape()...)
		kernels.Conv2DWeightGrad(p, in[0].Float32(), dy, grads[1].Float32())
	}
	if len(need) < 1 || need[0] {
		grads[0] = ctx.Alloc(tensor.Float32, in[0].Shape()...)
		kernels.Conv2DInputGrad(p, dy, in[1].Float32(), grads[0].Float32())
	}
	if b := opt(in, 2); b != nil && (len(need) < 3 || need[2]) {
		db := tensor.Zeros(tensor.Float32, b.Shape()...)
		hw := p.OutH() * p.OutW()
		for n := 0; n < p.N; n++ {
			for c := 0; c < p.K; c++ {
				var s float32
				for _, v := range dy[(n*p.K+c)*hw : (n*p.K+c+1)*hw] {
					s += v
				}
				db.Float32()[c] += s
			}
		}
		grads[2] = db
	}
	return grads, nil
}
