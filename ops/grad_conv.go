package ops

import (
	"t2c/graph"
	"t2c/kernels"
	"t2c/tensor"
)

// Backward implements autodiff.Differentiable for Conv:
// dW = dY·colᵀ, dX = col2im(Wᵀ·dY), dB = Σ dY.
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

// convBackward computes the input and weight gradients. The weight gradient
// is one GEMM per group over the whole batch (columns of all images side by
// side, so the GEMM is large even for small images); the input gradient is
// a forward convolution with flipped weights for stride-1 convolutions, and
// GEMM + col2im otherwise.
func convBackward(p kernels.ConvParams, x, w, dy, dx, dw []float32) {
	weightGrad(p, x, dy, dw)
	if q, ok := transposedConv(p); ok {
		kernels.Conv2D(q, dy, flipWeights(p, w), nil, dx)
		return
	}
	hw := p.OutH() * p.OutW()
	cg, kg := p.C/p.Groups, p.K/p.Groups
	kdim := cg * p.R * p.S
	cols := p.N * hw
	dcol := make([]float32, kdim*cols)
	for g := 0; g < p.Groups; g++ {
		dyg := groupColumns(p, dy, g)
		kernels.Sgemm(true, false, kdim, cols, kg, 1, w[g*kg*kdim:(g+1)*kg*kdim], kdim, dyg, cols, 0, dcol, cols)
		kernels.Parallel(p.N, 1, func(lo, hi int) {
			for n := lo; n < hi; n++ {
				col2imFrom(p, dcol[n*hw:], cols, cg, dx[(n*p.C+g*cg)*p.H*p.W:])
			}
		})
	}
}

// groupColumns gathers group g of dY (N×K×HW) as a kg × N·HW matrix.
func groupColumns(p kernels.ConvParams, dy []float32, g int) []float32 {
	hw := p.OutH() * p.OutW()
	kg, cols := p.K/p.Groups, p.N*hw
	dyg := make([]float32, kg*cols)
	kernels.Parallel(p.N, 1, func(lo, hi int) {
		for n := lo; n < hi; n++ {
			for k := 0; k < kg; k++ {
				copy(dyg[k*cols+n*hw:k*cols+(n+1)*hw], dy[(n*p.K+g*kg+k)*hw:])
			}
		}
	})
	return dyg
}

// transposedConv returns the convolution of dY that computes dX for a
// stride-1, undilated convolution: flipped, channel-swapped weights and
// padding R−1−padTop (and what makes the output H×W) on each side.
func transposedConv(p kernels.ConvParams) (kernels.ConvParams, bool) {
	if p.StrideH != 1 || p.StrideW != 1 || p.DilH != 1 || p.DilW != 1 {
		return p, false
	}
	oh, ow := p.OutH(), p.OutW()
	q := kernels.ConvParams{N: p.N, C: p.K, H: oh, W: ow, K: p.C, R: p.R, S: p.S, Groups: p.Groups,
		StrideH: 1, StrideW: 1, DilH: 1, DilW: 1,
		PadT: p.R - 1 - p.PadT, PadL: p.S - 1 - p.PadL}
	q.PadB = p.H - oh - q.PadT + p.R - 1
	q.PadR = p.W - ow - q.PadL + p.S - 1
	if q.PadT < 0 || q.PadL < 0 || q.PadB < 0 || q.PadR < 0 {
		return p, false
	}
	return q, true
}

// flipWeights returns W'[g·cg+c, k, r, s] = W[g·kg+k, c, R−1−r, S−1−s]: the
// weights of the transposed convolution, (C, K/G, R, S) per group.
func flipWeights(p kernels.ConvParams, w []float32) []float32 {
	cg, kg, rs := p.C/p.Groups, p.K/p.Groups, p.R*p.S
	out := make([]float32, len(w))
	for g := 0; g < p.Groups; g++ {
		for k := 0; k < kg; k++ {
			for c := 0; c < cg; c++ {
				src := w[((g*kg+k)*cg+c)*rs:][:rs]
				dst := out[((g*cg+c)*kg+k)*rs:][:rs]
				for i, v := range src {
					dst[rs-1-i] = v
				}
			}
		}
	}
	return out
}

// weightGrad computes dW = dY·colᵀ per group with the batch's columns side
// by side.
func weightGrad(p kernels.ConvParams, x, dy, dw []float32) {
	hw := p.OutH() * p.OutW()
	cg, kg := p.C/p.Groups, p.K/p.Groups
	kdim := cg * p.R * p.S
	cols := p.N * hw
	col := make([]float32, kdim*cols)
	for g := 0; g < p.Groups; g++ {
		kernels.Parallel(p.N, 1, func(lo, hi int) {
			for n := lo; n < hi; n++ {
				im2colInto(p, x[(n*p.C+g*cg)*p.H*p.W:], cg, col[n*hw:], cols)
			}
		})
		dyg := groupColumns(p, dy, g)
		kernels.Sgemm(false, true, kg, kdim, cols, 1, dyg, cols, col, cols, 0, dw[g*kg*kdim:], kdim)
	}
}

// im2colInto unrolls cg channels of one image into a (cg·R·S) × (OutH·OutW)
// block of a matrix whose rows are ld elements apart; padding reads as zero.
func im2colInto(p kernels.ConvParams, x []float32, cg int, col []float32, ld int) {
	oh, ow := p.OutH(), p.OutW()
	for c := 0; c < cg; c++ {
		xc := x[c*p.H*p.W : (c+1)*p.H*p.W]
		for r := 0; r < p.R; r++ {
			for s := 0; s < p.S; s++ {
				row := col[((c*p.R+r)*p.S+s)*ld:][:oh*ow]
				off := s*p.DilW - p.PadL
				jlo, jhi := validRange(p.W, p.StrideW, off, ow)
				for i := 0; i < oh; i++ {
					dst := row[i*ow : (i+1)*ow]
					ih := i*p.StrideH - p.PadT + r*p.DilH
					if ih < 0 || ih >= p.H {
						clear(dst)
						continue
					}
					clear(dst[:jlo])
					clear(dst[jhi:])
					src := xc[ih*p.W : (ih+1)*p.W]
					if p.StrideW == 1 {
						copy(dst[jlo:jhi], src[jlo+off:jhi+off])
						continue
					}
					iw := jlo*p.StrideW + off
					for j := jlo; j < jhi; j++ {
						dst[j] = src[iw]
						iw += p.StrideW
					}
				}
			}
		}
	}
}

// col2imFrom adds a (cg·R·S) × (OutH·OutW) column block (rows ld apart)
// back onto cg image channels: the adjoint of im2colInto.
func col2imFrom(p kernels.ConvParams, col []float32, ld, cg int, dx []float32) {
	oh, ow := p.OutH(), p.OutW()
	for c := 0; c < cg; c++ {
		img := dx[c*p.H*p.W : (c+1)*p.H*p.W]
		for r := 0; r < p.R; r++ {
			for s := 0; s < p.S; s++ {
				row := col[((c*p.R+r)*p.S+s)*ld:][:oh*ow]
				off := s*p.DilW - p.PadL
				jlo, jhi := validRange(p.W, p.StrideW, off, ow)
				for i := 0; i < oh; i++ {
					ih := i*p.StrideH - p.PadT + r*p.DilH
					if ih < 0 || ih >= p.H {
						continue
					}
					dst, src := img[ih*p.W:(ih+1)*p.W], row[i*ow:(i+1)*ow]
					if p.StrideW == 1 {
						addTo(dst[jlo+off:jhi+off], src[jlo:jhi])
						continue
					}
					iw := jlo*p.StrideW + off
					for j := jlo; j < jhi; j++ {
						dst[iw] += src[j]
						iw += p.StrideW
					}
				}
			}
		}
	}
}

// validRange returns the output columns [lo, hi) whose input column
// j·stride + offset lies inside [0, w).
func validRange(w, stride, offset, ow int) (lo, hi int) {
	if offset < 0 {
		lo = (-offset + stride - 1) / stride
	}
	if last := w - 1 - offset; last >= 0 {
		hi = min(ow, last/stride+1)
	}
	return lo, max(lo, hi)
}

// addTo computes dst += src elementwise (equal lengths).
func addTo(dst, src []float32) {
	src = src[:len(dst)]
	for j := range dst {
		dst[j] += src[j]
	}
}
