package kernels

import "unsafe"

// convChanKernel computes a tile of a convolution vectorised across its
// output channels: C[i·ldc+j] = Σ_{p<kc} T[offs[p]+i]·W[p·ldw+j] for the
// tile's pixels i (part of one output row) and 16·nv channels j
// (sconvc512n<nv>w<pixels>, written by gen_asm.go).
type convChanKernel func(kc int, t unsafe.Pointer, offs *int, w unsafe.Pointer, ldw int, c unsafe.Pointer, ldc int)

// noConvChannels disables convChannelsSIMD (tuning, tests).
var noConvChannels = false

// convChanAccs is how many zmm accumulators a tile uses at most: tiles
// hold up to convChanAccs/nv pixels of 16·nv channels.
const convChanAccs = 28

// useConvChannels reports whether convChannelsSIMD should run p: output
// channels per group of 16, 32 or 64 (one tile covers them all) and a batch
// spread over the threads (single images keep the implicit GEMM, which can
// share one image between threads).
func (a *floatArch) useConvChannels(p ConvParams, c *convPlan) bool {
	if a.convChan == nil || noConvChannels || p.depthwise() || (p.N < 2*threads && threads > 1) {
		return false
	}
	nv := c.kg / 16
	return c.kg%16 == 0 && nv < len(a.convChan) && a.convChan[nv][1] != nil
}

// convChannelsSIMD is Conv2DFused for convolutions with few output channels
// (16–64 per group), where the implicit GEMM's register tiles (12 rows of
// output channels) are poorly filled and its B panels — a copy of the
// input per tap — are used by too few rows to pay for their packing. Here
// the output channels are the vector lanes: a tile holds up to 28/nv pixels
// of one output row × 16·nv channels, and every FMA broadcasts one input
// value straight from the padded input T (convPlan) against a vector of
// transposed weights, so nothing is packed and — tiles never spanning rows
// — no padding column is computed. The tiles are stored pixel-major and
// transposed into NCHW, 8×8 blocks at a time, with bias and ReLU applied
// afterwards.
func convChannelsSIMD(arch *floatArch, p ConvParams, x, w, bias, y []float32, relu bool) {
	c := planFor(p)
	nv := c.kg / 16
	kerns := arch.convChan[nv]
	tw := min(c.ow, convChanAccs/nv) // pixels per tile
	kk := c.kdim * c.kg
	wt := f32Pool.get(p.Groups * kk)
	defer f32Pool.put(wt)
	for g := 0; g < p.Groups; g++ {
		for k := 0; k < c.kg; k++ {
			src := w[(g*c.kg+k)*c.kdim : (g*c.kg+k+1)*c.kdim]
			for q, v := range src {
				(*wt)[g*kk+q*c.kg+k] = v
			}
		}
	}
	ohw := c.oh * c.ow
	Parallel(p.N, 1, func(lo, hi int) {
		tb, yt := f32Pool.get(c.tlen), f32Pool.get(ohw*c.kg)
		defer f32Pool.put(tb)
		defer f32Pool.put(yt)
		for n := lo; n < hi; n++ {
			for g := 0; g < p.Groups; g++ {
				transformInput(c, x[(n*p.C+g*c.cg)*p.H*p.W:], *tb, 0, false)
				wg := unsafe.Pointer(&(*wt)[g*kk])
				for oh := 0; oh < c.oh; oh++ {
					for j := 0; j < c.ow; j += tw {
						kerns[min(tw, c.ow-j)](c.kdim, unsafe.Pointer(&(*tb)[oh*c.wq+j]), &c.offs[0], wg, c.kg,
							unsafe.Pointer(&(*yt)[(oh*c.ow+j)*c.kg]), c.kg)
					}
				}
				yg := y[(n*p.K+g*c.kg)*ohw : (n*p.K+(g+1)*c.kg)*ohw]
				transposeOut(*yt, yg, ohw, c.kg)
				if bias != nil || relu {
					biasRelu(yg, c.kg, ohw, bias, g*c.kg, relu)
				}
			}
		}
	})
}

// transposeOut writes yt (hw pixels × kg channels, kg a multiple of 8) into
// y (kg planes of hw pixels), by 8×8 blocks.
func transposeOut(yt, y []float32, hw, kg int) {
	p := 0
	for ; p+8 <= hw; p += 8 {
		for k0 := 0; k0 < kg; k0 += 8 {
			transpose8(y[k0*hw+p:], hw, yt[p*kg+k0:], kg)
		}
	}
	for ; p < hw; p++ {
		for k := 0; k < kg; k++ {
			y[k*hw+p] = yt[p*kg+k]
		}
	}
}

// biasRelu adds bias[k0+k] to channel k of y (kg planes of hw values) and
// then, when relu is set, clamps at zero.
func biasRelu(y []float32, kg, hw int, bias []float32, k0 int, relu bool) {
	for k := 0; k < kg; k++ {
		row := y[k*hw : (k+1)*hw]
		if bias != nil {
			b := bias[k0+k]
			for j := range row {
				row[j] += b
			}
		}
		if relu {
			reluInPlace(row)
		}
	}
}
