package integer

import (
	"t2c/kernels"
	"t2c/tensor"
)

// s16Offset picks the offset o that brings activations of type d into
// int16 for the 16-bit convolution: x − o and the padding value
// x_zero_point − o must both fit. 8-bit and int16 values need none, uint16
// values are centred; a zero point outside the type's range may still work
// as the offset itself.
func s16Offset(d tensor.DType, xzp int64) (int64, bool) {
	lo, hi, _ := dtypeRange(d)
	fits := func(o int64) bool {
		return lo-o >= -1<<15 && hi-o < 1<<15 && xzp-o >= -1<<15 && xzp-o < 1<<15
	}
	for _, o := range []int64{0, 1 << 15, xzp} {
		if fits(o) {
			return o, true
		}
	}
	return 0, false
}

// convS16Any runs convS16 for the activation type of x.
func convS16Any(p kernels.ConvParams, x *tensor.Tensor, off, xzp int64, w []int16, y []int32) {
	switch x.DType() {
	case tensor.Int8:
		convS16(p, x.Int8(), off, xzp, w, y)
	case tensor.Uint8:
		convS16(p, x.Uint8(), off, xzp, w, y)
	case tensor.Int16:
		convS16(p, tensor.Data[int16](x), off, xzp, w, y)
	case tensor.Uint16:
		convS16(p, tensor.Data[uint16](x), off, xzp, w, y)
	}
}

// convS16 is the convolution of 16-bit operands, the way the 8-bit kernels
// work: im2col of x − o with padding x_zero_point − o into int16, a
// kernels.GemmS16S16 per image and group, and the correction
// −(x_zero_point − o)·Σ w_k per output channel, which leaves
// Σ (x_pad − x_zero_point)·w. The GEMM and the correction are exact modulo
// 2³², hence exact for accumulators that fit int32.
func convS16[TX intElem](p kernels.ConvParams, x []TX, off, xzp int64, w []int16, y []int32) {
	oh, ow := p.OutH(), p.OutW()
	ohw := oh * ow
	cg, kg := p.C/p.Groups, p.K/p.Groups
	kdim := cg * p.R * p.S
	pad := xzp - off
	corr := make([]int32, p.K)
	for k := range corr {
		var s int64
		for _, v := range w[k*kdim : (k+1)*kdim] {
			s += int64(v)
		}
		corr[k] = int32(-pad * s)
	}
	image := func(n int, col []int16, par bool) {
		for g := 0; g < p.Groups; g++ {
			im2colS16(p, x[(n*p.C+g*cg)*p.H*p.W:], cg, off, int16(pad), col, par)
			yg := y[(n*p.K+g*kg)*ohw : (n*p.K+(g+1)*kg)*ohw]
			kernels.GemmS16S16(kg, ohw, kdim, w[g*kg*kdim:], kdim, col, ohw, yg, ohw)
			if pad == 0 {
				continue
			}
			for k := 0; k < kg; k++ {
				c := corr[g*kg+k]
				plane := yg[k*ohw : (k+1)*ohw]
				for i := range plane {
					plane[i] += c
				}
			}
		}
	}
	if p.N > 1 && kernels.Threads() > 1 {
		// A batch: one image per worker, each with its own im2col buffer
		// (a single image's GEMM is usually too small to split well).
		kernels.Parallel(p.N, 1, func(lo, hi int) {
			col := make([]int16, kdim*ohw)
			for n := lo; n < hi; n++ {
				image(n, col, false)
			}
		})
		return
	}
	col := make([]int16, kdim*ohw)
	for n := 0; n < p.N; n++ {
		image(n, col, true)
	}
}

// im2colS16 unrolls cg channels of one image into col, (cg·R·S) × (OutH·OutW),
// holding x − off, and pad at padded positions; in parallel over channels
// when par is set.
func im2colS16[TX intElem](p kernels.ConvParams, x []TX, cg int, off int64, pad int16, col []int16, par bool) {
	oh, ow := p.OutH(), p.OutW()
	o := int32(off)
	channels := func(lo, hi int) {
		for c := lo; c < hi; c++ {
			xc := x[c*p.H*p.W:][:p.H*p.W]
			for r := 0; r < p.R; r++ {
				for s := 0; s < p.S; s++ {
					row := col[((c*p.R+r)*p.S+s)*oh*ow:][:oh*ow]
					shift := s*p.DilW - p.PadL
					j0, j1 := validOutputs(ow, p.StrideW, shift, p.W)
					for i := 0; i < oh; i++ {
						out := row[i*ow : (i+1)*ow]
						ih := i*p.StrideH - p.PadT + r*p.DilH
						if ih < 0 || ih >= p.H {
							fillS16(out, pad)
							continue
						}
						fillS16(out[:j0], pad)
						fillS16(out[max(j0, j1):], pad)
						xrow := xc[ih*p.W : (ih+1)*p.W]
						for j, iw := j0, j0*p.StrideW+shift; j < j1; j, iw = j+1, iw+p.StrideW {
							out[j] = int16(int32(xrow[iw]) - o)
						}
					}
				}
			}
		}
	}
	if par {
		kernels.Parallel(cg, 1, channels)
		return
	}
	channels(0, cg)
}

func fillS16(s []int16, v int16) {
	for i := range s {
		s[i] = v
	}
}

// validOutputs is the range [j0, j1) of output columns j whose input column
// j·stride + off lies in [0, w).
func validOutputs(out, stride, off, w int) (j0, j1 int) {
	if off < 0 {
		j0 = (-off + stride - 1) / stride
	}
	if w-1-off < 0 {
		return j0, j0
	}
	return j0, min(out, (w-1-off)/stride+1)
}
