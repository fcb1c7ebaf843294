package ops

import (
	"t2c/graph"
	"t2c/kernels"
	"t2c/tensor"
)

// Backward implements autodiff.Differentiable for Conv:
// dW = dY·colᵀ, dX = col2im(Wᵀ·dY), dB = Σ dY, per image and group.
func (k *convKernel) Backward(ctx *graph.Ctx, in, out, dOut []*tensor.Tensor) ([]*tensor.Tensor, error) {
	p, err := k.params(in[0].Shape(), in[1].Shape())
	if err != nil {
		return nil, err
	}
	dy := dOut[0].Float32()
	dx := tensor.Zeros(tensor.Float32, in[0].Shape()...)
	dw := tensor.Zeros(tensor.Float32, in[1].Shape()...)
	convBackward(p, in[0].Float32(), in[1].Float32(), dy, dx.Float32(), dw.Float32())
	grads := []*tensor.Tensor{dx, dw, nil}
	if b := opt(in, 2); b != nil {
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

func convBackward(p kernels.ConvParams, x, w, dy, dx, dw []float32) {
	oh, ow := p.OutH(), p.OutW()
	hw := oh * ow
	cg, kg := p.C/p.Groups, p.K/p.Groups
	kdim := cg * p.R * p.S
	col := make([]float32, kdim*hw)
	dcol := make([]float32, kdim*hw)
	for n := 0; n < p.N; n++ {
		for g := 0; g < p.Groups; g++ {
			xg := x[(n*p.C+g*cg)*p.H*p.W:]
			dyg := dy[(n*p.K+g*kg)*hw : (n*p.K+(g+1)*kg)*hw]
			wg := w[g*kg*kdim : (g+1)*kg*kdim]
			kernels.Im2col(p, xg, cg, col)
			kernels.Sgemm(false, true, kg, kdim, hw, 1, dyg, hw, col, hw, 1, dw[g*kg*kdim:], kdim)
			kernels.Sgemm(true, false, kdim, hw, kg, 1, wg, kdim, dyg, hw, 0, dcol, hw)
			col2im(p, dcol, cg, dx[(n*p.C+g*cg)*p.H*p.W:])
		}
	}
}

// col2im scatters (adds) a (cg·R·S)×(OutH·OutW) column matrix back onto cg
// image channels: the adjoint of kernels.Im2col.
func col2im(p kernels.ConvParams, col []float32, cg int, dx []float32) {
	oh, ow := p.OutH(), p.OutW()
	kernels.Parallel(cg, 1, func(lo, hi int) {
		for c := lo; c < hi; c++ {
			img := dx[c*p.H*p.W : (c+1)*p.H*p.W]
			for r := 0; r < p.R; r++ {
				for s := 0; s < p.S; s++ {
					row := col[((c*p.R+r)*p.S+s)*oh*ow:][:oh*ow]
					jlo, jhi := validRange(p.W, p.StrideW, s*p.DilW-p.PadL, ow)
					for i := 0; i < oh; i++ {
						ih := i*p.StrideH - p.PadT + r*p.DilH
						if ih < 0 || ih >= p.H {
							continue
						}
						dst, src := img[ih*p.W:(ih+1)*p.W], row[i*ow:(i+1)*ow]
						iw := jlo*p.StrideW + s*p.DilW - p.PadL
						for j := jlo; j < jhi; j++ {
							dst[iw] += src[j]
							iw += p.StrideW
						}
					}
				}
			}
		}
	})
}

// validRange returns the output columns [lo, hi) whose input column
// j·stride + offset lies inside [0, w).
func validRange(w, stride, offset, ow int) (lo, hi int) {
	lo = 0
	if offset < 0 {
		lo = (-offset + stride - 1) / stride
	}
	hi = 0
	if last := w - 1 - offset; last >= 0 {
		hi = min(ow, last/stride+1)
	}
	return lo, max(lo, hi)
}
