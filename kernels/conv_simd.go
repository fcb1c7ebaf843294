package kernels

import "sync"

// convPlans caches plans (they hold the offset table) by parameters.
var convPlans sync.Map // ConvParams → *convPlan

func planFor(p ConvParams) *convPlan {
	if v, ok := convPlans.Load(p); ok {
		return v.(*convPlan)
	}
	c := newConvPlan(p)
	convPlans.Store(p, c)
	return c
}

// convFloatSIMD is Conv2DFused on an assembly backend: implicit GEMM per
// image and group (see convPlan). With a batch of at least two images per
// thread the images are spread over the threads; otherwise the threads share
// each image, taking bands of output columns (or, for narrow outputs,
// splitting the GEMM).
func convFloatSIMD(arch *floatArch, p ConvParams, x, w, bias, y []float32, relu bool) {
	c := planFor(p)
	perImage := func(n int, t int) {
		var tbuf *[]float32
		if !c.direct {
			tbuf = f32Pool.get(c.tlen)
			defer f32Pool.put(tbuf)
		}
		bands := c.bands(arch.nr, t)
		for g := 0; g < p.Groups; g++ {
			xg := x[(n*p.C+g*c.cg)*p.H*p.W : (n*p.C+(g+1)*c.cg)*p.H*p.W]
			tg := xg
			if !c.direct {
				tg = *tbuf
				transformInput(c, xg, tg, 0, t > 1)
			}
			yg := y[(n*p.K+g*c.kg)*c.oh*c.ow : (n*p.K+(g+1)*c.kg)*c.oh*c.ow]
			gm := fGemm{arch: arch, m: c.kg, k: c.kdim, alpha: 1,
				a: fMatrix{data: w[g*c.kg*c.kdim : (g+1)*c.kg*c.kdim], ld: c.kdim}, directA: true,
				bOffs: c.offs, bMaxOff: c.maxOff, relu: relu}
			if bias != nil {
				gm.rowBias = bias[g*c.kg : (g+1)*c.kg]
			}
			if bands == nil { // narrow output: split the one GEMM
				gm.n, gm.bBase, gm.threads = c.wide, tg, t
				gm.c, gm.ldc = yg, c.wide
				var wbuf *[]float32
				if !c.exact {
					wbuf = f32Pool.get(c.kg * c.wide)
					gm.c = *wbuf
				}
				gm.run()
				if !c.exact {
					compactWide(c, *wbuf, yg, c.kg)
					f32Pool.put(wbuf)
				}
				continue
			}
			parallelN(t, len(bands)-1, 1, func(lo, hi int) {
				var bbuf *[]float32
				if !c.exact {
					bbuf = f32Pool.get(c.kg * (bands[1] - bands[0] + arch.nr))
					defer f32Pool.put(bbuf)
				}
				for b := lo; b < hi; b++ {
					q0, q1 := bands[b], bands[b+1]
					g := gm
					g.n, g.bBase, g.threads = q1-q0, tg[q0:], 1
					if c.exact {
						g.c, g.ldc = yg[q0:], c.wide
						g.run()
						continue
					}
					g.c, g.ldc = *bbuf, q1-q0
					g.run()
					compactBand(c, *bbuf, q0, q1, yg)
				}
			})
		}
	}
	t := threads
	if p.N >= 2*t && t > 1 {
		Parallel(p.N, 1, func(lo, hi int) {
			for n := lo; n < hi; n++ {
				perImage(n, 1)
			}
		})
		return
	}
	if 2*p.K*c.oh*c.ow*c.kdim < minParallelOps {
		t = 1 // too little work per image to share it
	}
	for n := 0; n < p.N; n++ {
		perImage(n, t)
	}
}

// depthwiseSIMD is the depthwise convolution (one input and one output
// channel per group) on an assembly backend. It is memory-bound, so there is
// no GEMM: each channel is padded and phase-split once (convPlan), and every
// output row is a multi-tap weighted sum of contiguous runs of that buffer,
// R·S vector FMAs per 8 outputs, with bias and ReLU fused.
func depthwiseSIMD(p ConvParams, x, w, bias, y []float32, relu bool) {
	c := planFor(p)
	taps := p.R * p.S
	hw, ohw := p.H*p.W, c.oh*c.ow
	wide := c.ow < 64 // short rows: one call per channel over the wide output
	parallelN(threads, p.N*p.C, 1, func(lo, hi int) {
		var tbuf, wbuf *[]float32
		if !c.direct {
			tbuf = f32Pool.get(c.tlen)
			defer f32Pool.put(tbuf)
		}
		if wide {
			wbuf = f32Pool.get(c.wide)
			defer f32Pool.put(wbuf)
		}
		for nc := lo; nc < hi; nc++ {
			ch := nc % p.C
			t := x[nc*hw : (nc+1)*hw]
			if !c.direct {
				transformInput(c, t, *tbuf, 0, false)
				t = *tbuf
			}
			wc := w[ch*taps : (ch+1)*taps]
			var b float32
			if bias != nil {
				b = bias[ch]
			}
			yc := y[nc*ohw : (nc+1)*ohw]
			if wide {
				dwRow(*wbuf, t, c.offs, wc, b, relu)
				for oh := 0; oh < c.oh; oh++ {
					copy(yc[oh*c.ow:(oh+1)*c.ow], (*wbuf)[oh*c.wq:])
				}
				continue
			}
			for oh := 0; oh < c.oh; oh++ {
				dwRow(yc[oh*c.ow:(oh+1)*c.ow], t[oh*c.wq:], c.offs, wc, b, relu)
			}
		}
	})
}

// dwRow is dwRowF32 with the tail done in Go.
func dwRow(y, x []float32, offs []int, w []float32, b float32, relu bool) {
	j := dwRowF32(y, x, offs, w, b, relu)
	for ; j < len(y); j++ {
		acc := b
		for k, o := range offs {
			acc += w[k] * x[o+j]
		}
		if relu && acc < 0 {
			acc = 0
		}
		y[j] = acc
	}
}
