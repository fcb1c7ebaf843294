package integer

import (
	"t2c/kernels"
	"t2c/tensor"
)

// convDirectAny runs convDirect for the activation and weight types of x
// and w: the depthwise path (where a GEMM per channel would have a single
// row) and the fallback for activations whose offsets do not fit int16.
func convDirectAny(p kernels.ConvParams, x *tensor.Tensor, xzp int64, w *tensor.Tensor, y []int32) {
	if w.DType() == tensor.Int16 {
		convDirectW(p, x, xzp, tensor.Data[int16](w), y)
		return
	}
	convDirectW(p, x, xzp, w.Int8(), y)
}

func convDirectW[TW int8 | int16](p kernels.ConvParams, x *tensor.Tensor, xzp int64, w []TW, y []int32) {
	switch x.DType() {
	case tensor.Int8:
		convDirect(p, x.Int8(), xzp, w, y)
	case tensor.Uint8:
		convDirect(p, x.Uint8(), xzp, w, y)
	case tensor.Int16:
		convDirect(p, tensor.Data[int16](x), xzp, w, y)
	case tensor.Uint16:
		convDirect(p, tensor.Data[uint16](x), xzp, w, y)
	}
}

// convDirect computes each output plane by adding, for every weight, the
// shifted input rows it multiplies. Only in-image positions are visited:
// padding reads x_zero_point and contributes 0. The int32 arithmetic wraps,
// so the result is the true sum modulo 2³², which is the true sum because
// the accumulator fits int32 (docs/INTEGER.md §6).
func convDirect[TX intElem, TW int8 | int16](p kernels.ConvParams, x []TX, xzp int64, w []TW, y []int32) {
	oh, ow := p.OutH(), p.OutW()
	cg, kg := p.C/p.Groups, p.K/p.Groups
	z := int32(xzp)
	kernels.Parallel(p.N*p.K, 1, func(lo, hi int) {
		for nk := lo; nk < hi; nk++ {
			n, k := nk/p.K, nk%p.K
			g := k / kg
			plane := y[nk*oh*ow : (nk+1)*oh*ow]
			clear(plane)
			for c := 0; c < cg; c++ {
				xc := x[(n*p.C+g*cg+c)*p.H*p.W:][:p.H*p.W]
				for r := 0; r < p.R; r++ {
					for s := 0; s < p.S; s++ {
						wv := int32(w[((k*cg+c)*p.R+r)*p.S+s])
						off := s*p.DilW - p.PadL
						j0, j1 := validOutputs(ow, p.StrideW, off, p.W)
						if wv == 0 || j0 >= j1 {
							continue
						}
						for i := 0; i < oh; i++ {
							ih := i*p.StrideH - p.PadT + r*p.DilH
							if ih < 0 || ih >= p.H {
								continue
							}
							xrow, yrow := xc[ih*p.W:(ih+1)*p.W], plane[i*ow:(i+1)*ow]
							if p.StrideW == 1 {
								xs, ys := xrow[j0+off:j1+off], yrow[j0:j1]
								ys = ys[:len(xs)]
								for j, v := range xs {
									ys[j] += (int32(v) - z) * wv
								}
								continue
							}
							for j, iw := j0, j0*p.StrideW+off; j < j1; j, iw = j+1, iw+p.StrideW {
								yrow[j] += (int32(xrow[iw]) - z) * wv
							}
						}
					}
				}
			}
		}
	})
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
