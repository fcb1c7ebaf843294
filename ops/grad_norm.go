package ops

import (
	"math"

	"t2c/graph"
	"t2c/kernels"
	"t2c/tensor"
)

// Backward implements autodiff.Differentiable for BatchNormalization. With
// batch statistics (training) the gradient flows through mean and variance;
// with running statistics BN is a per-channel affine map whose statistics
// are ordinary inputs (they get gradients; callers choose not to train them).
func (k batchNorm) Backward(ctx *graph.Ctx, in, out, dOut []*tensor.Tensor) ([]*tensor.Tensor, error) {
	return k.backward(ctx, in, out, dOut, nil)
}

// backward is Backward; with a mask (the output of a ReLU fused after batch
// norm, bnRelu) the output gradient only flows where mask > 0.
func (k batchNorm) backward(ctx *graph.Ctx, in, out, dOut []*tensor.Tensor, mask []float32) ([]*tensor.Tensor, error) {
	x := in[0]
	n, c, hw := x.Dim(0), x.Dim(1), tensor.NumElems(x.Shape()[2:])
	batchStats := k.training || (ctx != nil && ctx.Training)
	mean, variance := in[3].Float32(), in[4].Float32()
	if batchStats {
		if i := k.savedAt(); i < len(out) && out[i] != nil && out[i].Len() == 2*c {
			mean, variance = out[i].Float32()[:c], out[i].Float32()[c:]
		} else {
			mean, variance = make([]float32, c), make([]float32, c)
			kernels.BatchNormStats(x.Float32(), n, c, hw, mean, variance)
		}
	}
	gamma := in[1].Float32()
	xs, dy := x.Float32(), dOut[0].Float32()
	sumDy, sumDyX := make([]float64, c), make([]float64, c) // Σdy and Σdy·(x−μ)
	kernels.BatchNormGradSums(dy, mask, xs, n, c, hw, mean, sumDy, sumDyX)
	dgamma, dbeta := tensor.Zeros(tensor.Float32, c), tensor.Zeros(tensor.Float32, c)
	dmean, dvar := tensor.Zeros(tensor.Float32, c), tensor.Zeros(tensor.Float32, c)
	a, bx, c0 := make([]float32, c), make([]float32, c), make([]float32, c)
	count := float64(n * hw)
	for ch := range c {
		mu := float64(mean[ch])
		istd := 1 / math.Sqrt(float64(variance[ch])+float64(k.eps))
		sumDyXhat := sumDyX[ch] * istd
		dgamma.Float32()[ch], dbeta.Float32()[ch] = float32(sumDyXhat), float32(sumDy[ch])
		g := float64(gamma[ch]) * istd
		if !batchStats {
			dmean.Float32()[ch] = float32(-g * sumDy[ch])
			dvar.Float32()[ch] = float32(-0.5 * float64(gamma[ch]) * sumDyXhat * istd * istd)
		}
		// dx = g·(dy − mean(dy) − x̂·mean(dy·x̂)) = a·dy + b·x + c0
		a[ch] = float32(g)
		if batchStats {
			bxf := -g * sumDyXhat * istd / count
			bx[ch] = float32(bxf)
			c0[ch] = float32(-g*sumDy[ch]/count - bxf*mu)
		}
	}
	dx := ctx.Alloc(tensor.Float32, x.Shape()...)
	kernels.BatchNormGradInput(dx.Float32(), dy, mask, xs, n, c, hw, a, bx, c0)
	if batchStats {
		return []*tensor.Tensor{dx, dgamma, dbeta}, nil
	}
	return []*tensor.Tensor{dx, dgamma, dbeta, dmean, dvar}, nil
}

// Backward implements autodiff.Differentiable for LayerNormalization, using
// the mean and inverse standard deviation the forward pass returned.
func (k layerNorm) Backward(ctx *graph.Ctx, in, out, dOut []*tensor.Tensor) ([]*tensor.Tensor, error) {
	x := in[0]
	_, axis, err := k.statsShape(x.Shape())
	if err != nil {
		return nil, err
	}
	rows, d := tensor.NumElems(x.Shape()[:axis]), tensor.NumElems(x.Shape()[axis:])
	norm := x.Shape()[axis:]
	scale, err := broadcastParam(in[1], norm, "Scale")
	if err != nil {
		return nil, err
	}
	mean, inv := out[1].Float32(), out[2].Float32()
	xs, dy := x.Float32(), dOut[0].Float32()
	dx := tensor.Zeros(tensor.Float32, x.Shape()...)
	// Rows are independent for dx; the scale and bias gradients are summed
	// over rows per worker and then combined.
	parts := kernels.Threads()
	dscales, dbiases := make([][]float32, parts), make([][]float32, parts)
	chunk := (rows + parts - 1) / parts
	kernels.Parallel(parts, 1, func(lo, hi int) {
		for w := lo; w < hi; w++ {
			dscales[w], dbiases[w] = make([]float32, d), make([]float32, d)
			for r := w * chunk; r < min(rows, (w+1)*chunk); r++ {
				layerNormRowGrad(xs[r*d:(r+1)*d], dy[r*d:(r+1)*d], dx.Float32()[r*d:(r+1)*d], scale, mean[r], inv[r], dscales[w], dbiases[w])
			}
		}
	})
	dscale, dbias := dscales[0], dbiases[0]
	for w := 1; w < parts; w++ {
		for j := range dscale {
			dscale[j] += dscales[w][j]
			dbias[j] += dbiases[w][j]
		}
	}
	grads := []*tensor.Tensor{dx, tensor.SumTo(tensor.New(norm, dscale), in[1].Shape()), nil}
	if b := opt(in, 2); b != nil {
		grads[2] = tensor.SumTo(tensor.New(norm, dbias), b.Shape())
	}
	return grads, nil
}

// layerNormRowGrad computes dx of one normalised row and accumulates the
// row's contributions to the scale and bias gradients.
func layerNormRowGrad(x, dy, dx, scale []float32, mean, inv float32, dscale, dbias []float32) {
	d := float64(len(x))
	var sumG, sumGX float64
	for j, v := range x {
		xhat := (v - mean) * inv
		gj := float64(dy[j] * scale[j])
		sumG += gj
		sumGX += gj * float64(xhat)
		dscale[j] += dy[j] * xhat
		dbias[j] += dy[j]
	}
	a, b := float32(sumG/d), float32(sumGX/d)
	for j, v := range x {
		xhat := (v - mean) * inv
		dx[j] = inv * (dy[j]*scale[j] - a - xhat*b)
	}
}
