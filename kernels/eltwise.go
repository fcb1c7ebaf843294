package kernels

import (
	"fmt"
	"math"
)

// ReluF32 sets y[i] = max(x[i], 0) for i < len(y) (y may be x; NaN stays
// NaN), in parallel for large slices. ops can call it instead of a scalar
// loop; Conv2DFused fuses it into the convolution instead.
func ReluF32(y, x []float32) {
	if len(x) < len(y) {
		panic("kernels: ReluF32: x shorter than y")
	}
	parallelN(threads, len(y), 1<<16, func(lo, hi int) {
		if !simdHelpers {
			for i, v := range x[lo:hi] {
				if v < 0 {
					v = 0
				}
				y[lo+i] = v
			}
			return
		}
		reluF32(y[lo:hi], x[lo:hi])
	})
}

// PoolParams describes a 2-D pooling window over an NCHW input. OutH and
// OutW are given explicitly so the caller chooses floor or ceil mode; the
// windows of the last rows and columns may extend past the bottom/right
// padding.
type PoolParams struct {
	N, C, H, W       int // input
	KH, KW           int // window
	StrideH, StrideW int // window steps
	DilH, DilW       int // dilation (1: dense window)
	PadT, PadL       int // padding before (top, left)
	OutH, OutW       int // output size
}

// MaxPool2D computes y = max over each window of x (padding never wins).
// y (N×C×OutH×OutW) is overwritten. NaN propagation is unspecified.
func MaxPool2D(p PoolParams, x, y []float32) {
	if p.N < 0 || p.C < 0 || p.KH < 1 || p.KW < 1 || p.StrideH < 1 || p.StrideW < 1 || p.DilH < 1 || p.DilW < 1 ||
		p.PadT < 0 || p.PadL < 0 || p.OutH < 1 || p.OutW < 1 {
		panic(fmt.Sprintf("kernels: MaxPool2D: bad parameters %+v", p))
	}
	if len(x) < p.N*p.C*p.H*p.W || len(y) < p.N*p.C*p.OutH*p.OutW {
		panic("kernels: MaxPool2D: input or output too short")
	}
	// As a depthwise "convolution" padded far enough for every window.
	cp := ConvParams{N: p.N, C: p.C, H: p.H, W: p.W, K: p.C, R: p.KH, S: p.KW, Groups: p.C,
		StrideH: p.StrideH, StrideW: p.StrideW, DilH: p.DilH, DilW: p.DilW, PadT: p.PadT, PadL: p.PadL}
	cp.PadB = max(0, (p.OutH-1)*p.StrideH+p.DilH*(p.KH-1)+1-p.H-p.PadT)
	cp.PadR = max(0, (p.OutW-1)*p.StrideW+p.DilW*(p.KW-1)+1-p.W-p.PadL)
	c := planFor(cp)
	negInf := float32(math.Inf(-1))
	hw, ohw := p.H*p.W, p.OutH*p.OutW
	_, simd := backend.(*simdBackend)
	wide := c.ow < 64
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
			t := x[nc*hw : (nc+1)*hw]
			if !c.direct {
				transformInput(c, t, *tbuf, negInf, false)
				t = *tbuf
			}
			yc := y[nc*ohw : (nc+1)*ohw]
			if wide {
				maxRow(*wbuf, t, c.offs, simd)
				for oh := 0; oh < p.OutH; oh++ {
					copy(yc[oh*p.OutW:(oh+1)*p.OutW], (*wbuf)[oh*c.wq:])
				}
				continue
			}
			for oh := 0; oh < p.OutH; oh++ {
				maxRow(yc[oh*p.OutW:(oh+1)*p.OutW], t[oh*c.wq:], c.offs, simd)
			}
		}
	})
}

// maxRow sets y[j] = max_t x[offs[t]+j], with the SIMD prefix when simd.
func maxRow(y, x []float32, offs []int, simd bool) {
	j := 0
	if simd {
		j = maxRowF32(y, x, offs)
	}
	for ; j < len(y); j++ {
		m := x[offs[0]+j]
		for _, o := range offs[1:] {
			if v := x[o+j]; v > m {
				m = v
			}
		}
		y[j] = m
	}
}
