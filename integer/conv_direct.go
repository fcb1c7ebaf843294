package integer

import (
	"t2c/kernels"
	"t2c/tensor"
)

// convDirectAny runs convDirect for the activation and weight types of x
// and w: the depthwise path (where a GEMM per channel would have a single
// row) and the fallback for zero points the 16-bit path cannot pad with.
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

// convDirect convolves one image at a time: its channels are first written
// as x − x_zero_point into zero-padded int32 planes (so padding contributes
// 0, as specified), then every output plane is the sum, over weights, of
// shifted rows of those planes times the weight. The int32 arithmetic
// wraps, so the result is the true sum modulo 2³², which is the true sum
// because the accumulator fits int32 (docs/INTEGER.md §6).
func convDirect[TX intElem, TW int8 | int16](p kernels.ConvParams, x []TX, xzp int64, w []TW, y []int32) {
	oh, ow := p.OutH(), p.OutW()
	cg, kg := p.C/p.Groups, p.K/p.Groups
	hp, wp := p.H+p.PadT+p.PadB, p.W+p.PadL+p.PadR
	z := int32(xzp)
	pad := func(xn []TX, padded []int32, lo, hi int) {
		for c := lo; c < hi; c++ {
			plane := padded[c*hp*wp : (c+1)*hp*wp]
			clear(plane)
			for i := 0; i < p.H; i++ {
				src := xn[(c*p.H+i)*p.W : (c*p.H+i+1)*p.W]
				dst := plane[(i+p.PadT)*wp+p.PadL:][:len(src)]
				for j, v := range src {
					dst[j] = int32(v) - z
				}
			}
		}
	}
	planes := func(padded, yn []int32, lo, hi int) {
		for k := lo; k < hi; k++ {
			g := k / kg
			out := yn[k*oh*ow : (k+1)*oh*ow]
			clear(out)
			for c := 0; c < cg; c++ {
				plane := padded[(g*cg+c)*hp*wp : (g*cg+c+1)*hp*wp]
				for r := 0; r < p.R; r++ {
					for s := 0; s < p.S; s++ {
						if wv := int32(w[((k*cg+c)*p.R+r)*p.S+s]); wv != 0 {
							addTap(p, plane, wp, r*p.DilH, s*p.DilW, wv, out, oh, ow)
						}
					}
				}
			}
		}
	}
	image := func(n int) ([]TX, []int32) {
		return x[n*p.C*p.H*p.W : (n+1)*p.C*p.H*p.W], y[n*p.K*oh*ow : (n+1)*p.K*oh*ow]
	}
	if t := kernels.Threads(); t > 1 && p.N >= 2*t {
		// A batch: whole images per worker, one fork for the layer.
		kernels.Parallel(p.N, 1, func(lo, hi int) {
			padded := make([]int32, p.C*hp*wp)
			for n := lo; n < hi; n++ {
				xn, yn := image(n)
				pad(xn, padded, 0, p.C)
				planes(padded, yn, 0, p.K)
			}
		})
		return
	}
	padded := make([]int32, p.C*hp*wp)
	for n := 0; n < p.N; n++ {
		xn, yn := image(n)
		kernels.Parallel(p.C, max(1, parallelGrain/(hp*wp)), func(lo, hi int) { pad(xn, padded, lo, hi) })
		kernels.Parallel(p.K, max(1, parallelGrain/(oh*ow*cg*p.R*p.S)), func(lo, hi int) { planes(padded, yn, lo, hi) })
	}
}

// addTap adds wv times the padded plane, offset by (dr, ds) and sampled at
// the strides, to every output row.
func addTap(p kernels.ConvParams, plane []int32, wp, dr, ds int, wv int32, out []int32, oh, ow int) {
	for i := 0; i < oh; i++ {
		row := plane[(i*p.StrideH+dr)*wp+ds:]
		ys := out[i*ow : (i+1)*ow]
		if p.StrideW == 1 {
			xs := row[:len(ys)]
			for j, v := range xs {
				ys[j] += v * wv
			}
			continue
		}
		for j := range ys {
			ys[j] += row[j*p.StrideW] * wv
		}
	}
}
