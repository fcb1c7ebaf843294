package ops

import (
	"math"

	"t2c/graph"
	"t2c/tensor"
)

// Backward implements autodiff.Differentiable for BatchNormalization. With
// batch statistics (training) the gradient flows through mean and variance;
// with running statistics BN is a per-channel affine map.
func (k batchNorm) Backward(ctx *graph.Ctx, in, out, dOut []*tensor.Tensor) ([]*tensor.Tensor, error) {
	x := in[0]
	n, c, hw := x.Dim(0), x.Dim(1), tensor.NumElems(x.Shape()[2:])
	batchStats := k.training || (ctx != nil && ctx.Training)
	mean, variance := in[3].Float32(), in[4].Float32()
	if batchStats {
		mean, variance = channelStats(x.Float32(), n, c, hw)
	}
	gamma := in[1].Float32()
	xs, dy := x.Float32(), dOut[0].Float32()
	dx := tensor.Zeros(tensor.Float32, x.Shape()...)
	dgamma, dbeta := tensor.Zeros(tensor.Float32, c), tensor.Zeros(tensor.Float32, c)
	// With running statistics they are inputs like any other: y depends on
	// them, so they get gradients too (callers decide not to train them).
	dmean, dvar := tensor.Zeros(tensor.Float32, c), tensor.Zeros(tensor.Float32, c)
	count := float64(n * hw)
	for ch := 0; ch < c; ch++ {
		istd := 1 / math.Sqrt(float64(variance[ch])+float64(k.eps))
		var sumDy, sumDyXhat float64
		each(n, c, hw, ch, func(i int) {
			xhat := (float64(xs[i]) - float64(mean[ch])) * istd
			sumDy += float64(dy[i])
			sumDyXhat += float64(dy[i]) * xhat
		})
		dgamma.Float32()[ch], dbeta.Float32()[ch] = float32(sumDyXhat), float32(sumDy)
		g := float64(gamma[ch]) * istd
		if !batchStats {
			dmean.Float32()[ch] = float32(-g * sumDy)
			dvar.Float32()[ch] = float32(-0.5 * float64(gamma[ch]) * sumDyXhat * istd * istd)
		}
		each(n, c, hw, ch, func(i int) {
			if !batchStats {
				dx.Float32()[i] = float32(g * float64(dy[i]))
				return
			}
			xhat := (float64(xs[i]) - float64(mean[ch])) * istd
			dx.Float32()[i] = float32(g * (float64(dy[i]) - sumDy/count - xhat*sumDyXhat/count))
		})
	}
	if batchStats {
		return []*tensor.Tensor{dx, dgamma, dbeta}, nil
	}
	return []*tensor.Tensor{dx, dgamma, dbeta, dmean, dvar}, nil
}

// each calls f with the flat index of every element of channel ch in NCHW data.
func each(n, c, hw, ch int, f func(i int)) {
	for b := 0; b < n; b++ {
		base := (b*c + ch) * hw
		for j := 0; j < hw; j++ {
			f(base + j)
		}
	}
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
	dscale := make([]float32, d)
	dbias := make([]float32, d)
	for r := 0; r < rows; r++ {
		var sumG, sumGX float64
		for j := 0; j < d; j++ {
			i := r*d + j
			xhat := (xs[i] - mean[r]) * inv[r]
			gj := float64(dy[i] * scale[j])
			sumG += gj
			sumGX += gj * float64(xhat)
			dscale[j] += dy[i] * xhat
			dbias[j] += dy[i]
		}
		for j := 0; j < d; j++ {
			i := r*d + j
			xhat := float64((xs[i] - mean[r]) * inv[r])
			gj := float64(dy[i] * scale[j])
			dx.Float32()[i] = float32(float64(inv[r]) * (gj - sumG/float64(d) - xhat*sumGX/float64(d)))
		}
	}
	grads := []*tensor.Tensor{dx, tensor.SumTo(tensor.New(norm, dscale), in[1].Shape()), nil}
	if b := opt(in, 2); b != nil {
		grads[2] = tensor.SumTo(tensor.New(norm, dbias), b.Shape())
	}
	return grads, nil
}
