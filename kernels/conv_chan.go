package kernels

import "unsafe"

// convChanKernel computes a tile of a convolution vectorised across its
// output channels: C[i·ldc+j] = Σ_{p<kc} T[offs[p]+i]·W[p·ldw+j] for the
// tile's pixels i and 16·nv channels j (sconvc512, written by gen_asm.go).
type convChanKernel func(kc int, t unsafe.Pointer, offs *int, w unsafe.Pointer, ldw int, c unsafe.Pointer, ldc int)

// noConvChannels disables convChannelsSIMD (tuning, tests).
var noConvChannels = false

// convChanAccs is the pixels × channels shape of the tiles: 24 zmm
// accumulators hold 24/nv pixels of 16·nv channels.
const convChanAccs = 24

// useConvChannels reports whether convChannelsSIMD should run p: output
// channels per group of 16, 32 or 64 (one tile covers them all) and a batch
// spread over the threads (single images keep the implicit GEMM, which can
// share one image between threads).
func (a *floatArch) useConvChannels(p ConvParams, c *convPlan) bool {
	if a.convChan == nil || noConvChannels || p.depthwise() || (p.N < 2*threads && threads > 1) {
		return false
	}
	nv := c.kg / 16
	return c.kg%16 == 0 && nv < len(a.convChan) && a.convChan[nv] != nil
}

// convChannelsSIMD is Conv2DFused for convolutions with few output channels
// (16–64 per group), where the implicit GEMM's register tiles (12 rows of
// output channels) are poorly filled and its B panels — a copy of the
// input per tap — are used by too few rows to pay for their packing. Here
// the output channels are the vector lanes: each tile holds 24/nv pixels ×
// 16·nv channels, and every FMA broadcasts one input value straight from
// the padded input T (convPlan) against a vector of transposed weights, so
// nothing is packed. The tiles are stored pixel-major and transposed into
// NCHW, 8×8 blocks at a time, with bias and ReLU applied afterwards.
func convChannelsSIMD(arch *floatArch, p ConvParams, x, w, bias, y []float32, relu bool) {
	c := planFor(p)
	nv := c.kg / 16
	kern := arch.convChan[nv]
	rows := convChanAccs / nv
	wideR := roundUp(c.wide, rows)
	// The kernel reads T up to the last tap's offset plus wideR pixels; what
	// it reads past the image only feeds discarded outputs.
	tLen := max(c.tlen, c.maxOff+wideR)
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
		tb, yt := f32Pool.get(tLen), f32Pool.get(wideR*c.kg)
		defer f32Pool.put(tb)
		defer f32Pool.put(yt)
		for n := lo; n < hi; n++ {
			for g := 0; g < p.Groups; g++ {
				transformInput(c, x[(n*p.C+g*c.cg)*p.H*p.W:], *tb, 0, false)
				for q0 := 0; q0 < wideR; q0 += rows {
					kern(c.kdim, unsafe.Pointer(&(*tb)[q0]), &c.offs[0], unsafe.Pointer(&(*wt)[g*kk]), c.kg,
						unsafe.Pointer(&(*yt)[q0*c.kg]), c.kg)
				}
				yg := y[(n*p.K+g*c.kg)*ohw : (n*p.K+(g+1)*c.kg)*ohw]
				transposeOut(c, *yt, yg)
				if bias != nil || relu {
					biasRelu(yg, c.kg, ohw, bias, g*c.kg, relu)
				}
			}
		}
	})
}

// transposeOut writes the pixel-major tiles yt (wide pixels × kg channels)
// into y (kg channel planes of OutH×OutW), dropping the padding columns.
// Rows go by 8×8 blocks; a row's last block may spill into the start of
// the next row, which that row then overwrites, so only the last row has
// a scalar tail.
func transposeOut(c *convPlan, yt, y []float32) {
	ohw := c.oh * c.ow
	ow8 := roundUp(c.ow, 8)
	for oh := 0; oh < c.oh; oh++ {
		full := ow8
		if oh == c.oh-1 {
			full = c.ow &^ 7
		}
		for j := 0; j < full; j += 8 {
			q := oh*c.wq + j
			for k0 := 0; k0 < c.kg; k0 += 8 {
				transpose8(y[k0*ohw+oh*c.ow+j:], ohw, yt[q*c.kg+k0:], c.kg)
			}
		}
		for j := full; j < c.ow; j++ {
			q := oh*c.wq + j
			for k := 0; k < c.kg; k++ {
				y[k*ohw+oh*c.ow+j] = yt[q*c.kg+k]
			}
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
