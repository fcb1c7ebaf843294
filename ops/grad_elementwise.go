package ops

import (
	"fmt"
	"math"

	"t2c/graph"
	"t2c/kernels"
	"t2c/tensor"
)

// broadcastAll expands float32 tensors to shape (sharing when already so).
func broadcastAll(shape []int, ts ...*tensor.Tensor) [][]float32 {
	out := make([][]float32, len(ts))
	for i, t := range ts {
		if tensor.SameShape(t.Shape(), shape) {
			out[i] = t.Float32()
		} else {
			out[i] = tensor.BroadcastTo(t, shape).Float32()
		}
	}
	return out
}

// Backward implements autodiff.Differentiable for Add, Sub, Mul, Div, Min
// and Max; gradients of broadcast inputs are summed back to their shapes.
// Min/Max route the gradient to the first input holding the extreme value.
// Add (and Sub's first input) pass the output gradient itself on when no
// broadcasting is involved: gradients may alias (the tape sums them into
// new buffers).
func (k arithKernel) Backward(_ *graph.Ctx, in, out, dOut []*tensor.Tensor) ([]*tensor.Tensor, error) {
	if err := float32Only(in, 0, 1); err != nil {
		return nil, err
	}
	shape := out[0].Shape()
	if k.op == opAdd && len(in) == 2 {
		return []*tensor.Tensor{tensor.SumTo(dOut[0], in[0].Shape()), tensor.SumTo(dOut[0], in[1].Shape())}, nil
	}
	dy := dOut[0].Float32()
	grads := make([][]float32, len(in))
	for i := range grads {
		grads[i] = make([]float32, len(dy))
	}
	v := broadcastAll(shape, in...)
	switch k.op {
	case opAdd:
		copy(grads[0], dy)
		copy(grads[1], dy)
	case opSub:
		for i, g := range dy {
			grads[0][i], grads[1][i] = g, -g
		}
	case opMul:
		for i, g := range dy {
			grads[0][i], grads[1][i] = g*v[1][i], g*v[0][i]
		}
	case opDiv:
		for i, g := range dy {
			b := v[1][i]
			grads[0][i], grads[1][i] = g/b, -g*v[0][i]/(b*b)
		}
	case opMin, opMax:
		y := out[0].Float32()
		for i, g := range dy {
			for j := range in {
				if v[j][i] == y[i] {
					grads[j][i] = g
					break
				}
			}
		}
	}
	res := make([]*tensor.Tensor, len(in))
	for j, x := range in {
		res[j] = tensor.SumTo(tensor.New(shape, grads[j]), x.Shape())
	}
	return res, nil
}

// BackwardNeeded implements autodiff.SelectiveDifferentiable: a product
// by a one-element tensor (the attention scale, constants) takes a direct
// loop, and gradients nobody needs (constants') are skipped; the rest is
// Backward.
func (k arithKernel) BackwardNeeded(ctx *graph.Ctx, in, out, dOut []*tensor.Tensor, need []bool) ([]*tensor.Tensor, error) {
	if k.op != opMul || len(in) != 2 || len(need) != 2 || float32Only(in, 0, 1) != nil {
		return k.Backward(ctx, in, out, dOut)
	}
	big, small := 0, 1
	if in[0].Len() == 1 && in[1].Len() != 1 {
		big, small = 1, 0
	}
	if in[small].Len() != 1 || !tensor.SameShape(in[big].Shape(), out[0].Shape()) {
		return k.Backward(ctx, in, out, dOut)
	}
	dy, x, s := dOut[0].Float32(), in[big].Float32(), in[small].Float32()[0]
	grads := make([]*tensor.Tensor, 2)
	if need[big] {
		d := ctx.Alloc(tensor.Float32, in[big].Shape()...)
		dx := d.Float32()
		kernels.Parallel(len(dx), parallelGrain, func(lo, hi int) {
			for i := lo; i < hi; i++ {
				dx[i] = dy[i] * s
			}
		})
		grads[big] = d
	}
	if need[small] {
		var acc float64
		for i, g := range dy {
			acc += float64(g) * float64(x[i])
		}
		grads[small] = tensor.New(in[small].Shape(), []float32{float32(acc)})
	}
	return grads, nil
}

// Backward implements autodiff.Differentiable for Pow (float base and
// exponent): d/dx = b·x^(b−1), d/db = x^b·ln x.
func (powKernel) Backward(_ *graph.Ctx, in, out, dOut []*tensor.Tensor) ([]*tensor.Tensor, error) {
	if err := float32Only(in, 0, 1); err != nil {
		return nil, err
	}
	shape := out[0].Shape()
	v := broadcastAll(shape, in[0], in[1])
	y, dy := out[0].Float32(), dOut[0].Float32()
	dx, db := make([]float32, len(dy)), make([]float32, len(dy))
	for i, g := range dy {
		x, b := float64(v[0][i]), float64(v[1][i])
		dx[i] = float32(float64(g) * b * math.Pow(x, b-1))
		if x > 0 {
			db[i] = float32(float64(g) * float64(y[i]) * math.Log(x))
		}
	}
	return []*tensor.Tensor{tensor.SumTo(tensor.New(shape, dx), in[0].Shape()), tensor.SumTo(tensor.New(shape, db), in[1].Shape())}, nil
}

// Backward implements autodiff.Differentiable for Where: the gradient goes
// to x where the condition holds and to y elsewhere.
func (whereKernel) Backward(_ *graph.Ctx, in, out, dOut []*tensor.Tensor) ([]*tensor.Tensor, error) {
	if err := float32Only(in, 1, 2); err != nil {
		return nil, err
	}
	shape := out[0].Shape()
	cond := tensor.BroadcastTo(in[0], shape).Bool()
	dy := dOut[0].Float32()
	dx, dz := make([]float32, len(dy)), make([]float32, len(dy))
	for i, g := range dy {
		if cond[i] {
			dx[i] = g
		} else {
			dz[i] = g
		}
	}
	return []*tensor.Tensor{nil, tensor.SumTo(tensor.New(shape, dx), in[1].Shape()), tensor.SumTo(tensor.New(shape, dz), in[2].Shape())}, nil
}

// Backward implements autodiff.Differentiable for Cast between float
// types (integer casts carry no gradient).
func (k castKernel) Backward(_ *graph.Ctx, in, _, dOut []*tensor.Tensor) ([]*tensor.Tensor, error) {
	if !in[0].DType().IsFloat() || !k.to.IsFloat() {
		return []*tensor.Tensor{nil}, nil
	}
	return []*tensor.Tensor{tensor.Cast(dOut[0], in[0].DType())}, nil
}

// Backward implements autodiff.Differentiable for Equal: no gradient.
func (equalKernel) Backward(_ *graph.Ctx, in, _, _ []*tensor.Tensor) ([]*tensor.Tensor, error) {
	return make([]*tensor.Tensor, len(in)), nil
}

// Backward implements autodiff.Differentiable for the elementwise unary
// ops, from their derivative in terms of input and output.
func (k unaryKernel) Backward(ctx *graph.Ctx, in, out, dOut []*tensor.Tensor) ([]*tensor.Tensor, error) {
	if k.df == nil {
		return nil, fmt.Errorf("%s has no derivative", k.name)
	}
	if err := float32Only(in, 0); err != nil {
		return nil, err
	}
	x, y, dy := in[0].Float32(), out[0].Float32(), dOut[0].Float32()
	dx := ctx.Alloc(tensor.Float32, in[0].Shape()...)
	d := dx.Float32()
	if k.name == "Relu" { // the hot one in CNN training
		kernels.ReluGradF32(d, dy, x)
		return []*tensor.Tensor{dx}, nil
	}
	if k.grad32 != nil {
		k.grad32(d, dy, x)
		return []*tensor.Tensor{dx}, nil
	}
	if k.d32 != nil {
		kernels.Parallel(len(dy), parallelGrain, func(lo, hi int) {
			for i := lo; i < hi; i++ {
				d[i] = dy[i] * k.d32(x[i])
			}
		})
		return []*tensor.Tensor{dx}, nil
	}
	kernels.Parallel(len(dy), parallelGrain, func(lo, hi int) {
		for i := lo; i < hi; i++ {
			d[i] = dy[i] * float32(k.df(float64(x[i]), float64(y[i])))
		}
	})
	return []*tensor.Tensor{dx}, nil
}

// Backward implements autodiff.Differentiable for Clip: the gradient passes
// where min ≤ x ≤ max (as PyTorch's clamp) and goes to the bound elsewhere.
func (k clipKernel) Backward(_ *graph.Ctx, in, _, dOut []*tensor.Tensor) ([]*tensor.Tensor, error) {
	if err := float32Only(in, 0); err != nil {
		return nil, err
	}
	lo, hi := float32(math.Inf(-1)), float32(math.Inf(1))
	if k.attrs {
		lo, hi = float32(k.lo), float32(k.hi)
	}
	if b := opt(in, 1); b != nil && !k.attrs {
		lo = b.Float32()[0]
	}
	if b := opt(in, 2); b != nil && !k.attrs {
		hi = b.Float32()[0]
	}
	x, dy := in[0].Float32(), dOut[0].Float32()
	dx := tensor.Zeros(tensor.Float32, in[0].Shape()...)
	var dlo, dhi float32
	for i, g := range dy {
		switch {
		case x[i] < lo:
			dlo += g
		case x[i] > hi:
			dhi += g
		default:
			dx.Float32()[i] = g
		}
	}
	grads := []*tensor.Tensor{dx, nil, nil}
	for i, d := range []float32{dlo, dhi} {
		if b := opt(in, i+1); b != nil && !k.attrs {
			grads[i+1] = tensor.New(b.Shape(), []float32{d})
		}
	}
	return grads, nil
}

// Backward implements autodiff.Differentiable for Dropout: the mask of the
// forward pass, scaled like the forward.
func (k dropoutKernel) Backward(ctx *graph.Ctx, in, out, dOut []*tensor.Tensor) ([]*tensor.Tensor, error) {
	if len(out) < 2 || out[0] == in[0] { // inference: identity
		return []*tensor.Tensor{dOut[0]}, nil
	}
	ratio := k.ratio
	if r := opt(in, 1); r != nil && k.opset >= 12 {
		ratio = r.Float64s()[0]
	}
	scale := float32(1 / (1 - ratio))
	keep := tensor.Cast(out[1], tensor.Bool).Bool()
	dx := tensor.Zeros(tensor.Float32, in[0].Shape()...)
	for i, g := range dOut[0].Float32() {
		if keep[i] {
			dx.Float32()[i] = g * scale
		}
	}
	return []*tensor.Tensor{dx}, nil
}
