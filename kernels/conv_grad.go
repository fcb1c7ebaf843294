package kernels

import (
	"fmt"
	"slices"
	"unsafe"
)

// Tile of the weight-gradient kernel (wgrad512, written by gen_asm.go):
// wgradRows output channels by wgradCols kernel taps (input channel, r, s).
const wgradRows, wgradCols = 4, 6

// Conv2DWeightGrad computes the gradient of Conv2D's weights over a whole
// batch: dw[k, c, r, s] = Σ_n Σ_(i,j) dy[n, k, i, j] · x[n, g·C/G+c, i·sh−pt+r·dh, j·sw−pl+s·dw]
// (zero outside the image), where g is k's group. dw has Conv2D's weight
// layout and is overwritten.
func Conv2DWeightGrad(p ConvParams, x, dy, dw []float32) {
	checkConvGrad("Conv2DWeightGrad", p, x, dy, dw)
	if sb, ok := backend.(*simdBackend); ok && sb.f.wgradChan != nil && (p.K/p.Groups)%16 == 0 && !noWgradChannels {
		weightGradChannels(sb.f.wgradChan, p, x, dy, dw)
		return
	}
	if sb, ok := backend.(*simdBackend); ok && sb.f.wgrad != nil {
		weightGradSIMD(sb.f.wgrad, p, x, dy, dw)
		return
	}
	weightGradIm2col(p, x, dy, dw)
}

// Conv2DInputGrad computes the gradient of Conv2D's input: the transposed
// convolution of dy with w. dx (N×C×H×W) is overwritten.
func Conv2DInputGrad(p ConvParams, dy, w, dx []float32) {
	checkConvGrad("Conv2DInputGrad", p, dx, dy, w)
	if q, ok := transposedConv(p); ok {
		// Stride 1: a forward convolution of dy with the flipped weights.
		fw := f32Pool.get(len(w))
		defer f32Pool.put(fw)
		flipWeights(p, w, *fw)
		Conv2D(q, dy, *fw, nil, dx)
		return
	}
	if inputGradPhases(p, dy, w, dx) {
		return
	}
	// Otherwise one GEMM per group over the batch, Wᵀ·dY, scattered back
	// onto the image by col2im.
	hw := p.OutH() * p.OutW()
	cg, kg := p.C/p.Groups, p.K/p.Groups
	kdim := cg * p.R * p.S
	cols := p.N * hw
	dcol := f32Pool.get(kdim * cols)
	defer f32Pool.put(dcol)
	dyg := f32Pool.get(kg * cols)
	defer f32Pool.put(dyg)
	clear(dx[:p.N*p.C*p.H*p.W])
	for g := 0; g < p.Groups; g++ {
		groupColumns(p, dy, g, *dyg)
		Sgemm(true, false, kdim, cols, kg, 1, w[g*kg*kdim:(g+1)*kg*kdim], kdim, *dyg, cols, 0, *dcol, cols)
		Parallel(p.N, 1, func(lo, hi int) {
			for n := lo; n < hi; n++ {
				col2imFrom(p, (*dcol)[n*hw:], cols, cg, dx[(n*p.C+g*cg)*p.H*p.W:])
			}
		})
	}
}

// phaseTaps describes, along one axis of a strided convolution, the input
// positions i = stride·u + e of phase e: the kernel taps r = rho + stride·m
// (m < count) reach them, from output position u + delta − m.
type phaseTaps struct{ rho, count, delta int }

func taps1D(e, stride, pad, k int) phaseTaps {
	rho := (e + pad) % stride
	t := phaseTaps{rho: rho, delta: (e + pad - rho) / stride}
	if rho < k {
		t.count = (k - rho + stride - 1) / stride
	}
	return t
}

// inputGradPhases computes the input gradient of a strided, undilated
// convolution as one stride-1 convolution of dY per input phase: input
// rows and columns of phase (eh, ew) — i = stride·u + e — receive gradient
// only from the kernel taps congruent to e + pad modulo the stride, a
// smaller flipped kernel that slides over dY with stride 1. Each phase runs
// through Conv2D (so the fast convolution paths apply) and its output is
// scattered into every stride-th value of dX; the FLOPs are those of the
// transposed convolution, with no column matrix. It reports false (having
// done nothing) for dilated convolutions and for paddings of a kernel's
// size or more, which would need negative padding here.
func inputGradPhases(p ConvParams, dy, w, dx []float32) bool {
	if p.DilH != 1 || p.DilW != 1 {
		return false
	}
	oh, ow := p.OutH(), p.OutW()
	type phase struct {
		eh, ew int
		th, tw phaseTaps
		q      ConvParams
		hu, wu int
	}
	var phases []phase
	for eh := 0; eh < p.StrideH; eh++ {
		for ew := 0; ew < p.StrideW; ew++ {
			ph := phase{eh: eh, ew: ew, th: taps1D(eh, p.StrideH, p.PadT, p.R), tw: taps1D(ew, p.StrideW, p.PadL, p.S)}
			ph.hu, ph.wu = ceilDiv(max(0, p.H-eh), p.StrideH), ceilDiv(max(0, p.W-ew), p.StrideW)
			if ph.hu == 0 || ph.wu == 0 || ph.th.count == 0 || ph.tw.count == 0 {
				phases = append(phases, ph) // no tap reaches this phase: zero
				continue
			}
			padT, padL := ph.th.count-1-ph.th.delta, ph.tw.count-1-ph.tw.delta
			if padT < 0 || padL < 0 {
				return false
			}
			ph.q = ConvParams{N: p.N, C: p.K, H: oh, W: ow, K: p.C, R: ph.th.count, S: ph.tw.count, Groups: p.Groups,
				StrideH: 1, StrideW: 1, DilH: 1, DilW: 1, PadT: padT, PadL: padL,
				PadB: max(0, ph.hu-oh-padT+ph.th.count-1), PadR: max(0, ph.wu-ow-padL+ph.tw.count-1)}
			phases = append(phases, ph)
		}
	}
	cg, kg := p.C/p.Groups, p.K/p.Groups
	hw := p.H * p.W
	if slices.ContainsFunc(phases, func(ph phase) bool { return ph.q.N == 0 }) {
		// Some positions get no gradient (1×1 kernels with stride):
		// clearing all of dX is faster than clearing every stride-th value.
		Parallel(p.N*p.C, 1, func(lo, hi int) { clear(dx[lo*hw : hi*hw]) })
	}
	for _, ph := range phases {
		if ph.q.N == 0 {
			continue
		}
		q := ph.q
		mh, mw := q.R, q.S
		// Sub-kernel (C, K/G, mh, mw), flipped: tap (a, b) is the original
		// tap (rho + stride·(mh−1−a), …).
		sw := f32Pool.get(p.C * kg * mh * mw)
		for g := 0; g < p.Groups; g++ {
			for k := 0; k < kg; k++ {
				for c := 0; c < cg; c++ {
					src := w[((g*kg+k)*cg+c)*p.R*p.S:]
					dst := (*sw)[((g*cg+c)*kg+k)*mh*mw:]
					for a := 0; a < mh; a++ {
						r := ph.th.rho + p.StrideH*(mh-1-a)
						for b := 0; b < mw; b++ {
							dst[a*mw+b] = src[r*p.S+ph.tw.rho+p.StrideW*(mw-1-b)]
						}
					}
				}
			}
		}
		qh, qw := q.OutH(), q.OutW()
		out := f32Pool.get(p.N * p.C * qh * qw)
		Conv2D(q, dy, *sw, nil, *out)
		f32Pool.put(sw)
		Parallel(p.N*p.C, 1, func(lo, hi int) {
			for nc := lo; nc < hi; nc++ {
				img, src := dx[nc*hw:(nc+1)*hw], (*out)[nc*qh*qw:(nc+1)*qh*qw]
				for u := 0; u < ph.hu; u++ {
					row, srow := img[(p.StrideH*u+ph.eh)*p.W:], src[u*qw:u*qw+ph.wu]
					for v, x := range srow {
						row[p.StrideW*v+ph.ew] = x
					}
				}
			}
		})
		f32Pool.put(out)
	}
	return true
}

// checkConvGrad panics unless p is valid and the operands are long enough:
// x is the input (or its gradient), dy the output gradient and w the weights
// (or their gradient).
func checkConvGrad(name string, p ConvParams, x, dy, w []float32) {
	if err := p.Validate(); err != nil {
		panic("kernels: " + name + ": " + err.Error())
	}
	if len(x) < p.N*p.C*p.H*p.W || len(w) < p.K*(p.C/p.Groups)*p.R*p.S || len(dy) < p.N*p.K*p.OutH()*p.OutW() {
		panic(fmt.Sprintf("kernels: %s %+v: operand too short (x %d, w %d, dy %d values)", name, p, len(x), len(w), len(dy)))
	}
}

// weightGradSIMD computes the weight gradient with wgrad512 and no column
// matrix. Each image's input is rewritten into the convolution plan's
// padded, phase-split form T (as the forward pass does), where every tap
// (c, r, s) reads a contiguous run T[offs[c,r,s] + q] over the "wide"
// output pixels q; each row of dY is widened to the same pixel numbering
// (zeros in the padding columns). dW[k, tap] is then a dot product of two
// contiguous runs summed over images, which the kernel computes for 4×6
// tiles with the reduction along the vector lanes. The batch is split
// between the threads, each summing its images into a private dW; images
// go through in chunks whose T and dY fit in L2.
func weightGradSIMD(kern wgradKernel, p ConvParams, x, dy, dw []float32) {
	c := planFor(p)
	kgR, kdR := roundUp(c.kg, wgradRows), roundUp(c.kdim, wgradCols)
	wideR := roundUp(c.wide, 16)
	// The kernel reads wideR values from every tap offset: keep them in
	// the buffer (values past the wide output meet zeros in dY).
	tStride := roundUp(max(c.tlen, c.maxOff+wideR), 16)
	aStride := kgR * wideR
	offs := intPool.get(kdR)
	defer intPool.put(offs)
	for j := range *offs {
		(*offs)[j] = c.offs[0] // padding taps: computed and dropped
		if j < c.kdim {
			(*offs)[j] = c.offs[j]
		}
	}
	chunk := max(1, (384<<10)/(4*(tStride+aStride)))
	parts := min(threads, p.N)
	tile := kgR * kdR
	partial := f32Pool.get(parts * tile)
	defer f32Pool.put(partial)
	for g := 0; g < p.Groups; g++ {
		clear(*partial)
		parallelN(parts, parts, 1, func(lo, hi int) {
			for w := lo; w < hi; w++ {
				n0, n1 := w*p.N/parts, (w+1)*p.N/parts
				nb := min(chunk, n1-n0)
				tb, ab := f32Pool.get(nb*tStride), f32Pool.get(nb*aStride)
				// Phase planes the kernel taps never use are not written by
				// transformInput but may be read past a run's end: zero.
				clear(*tb)
				acc := (*partial)[w*tile : (w+1)*tile]
				for b0 := n0; b0 < n1; b0 += nb {
					cnt := min(nb, n1-b0)
					for i := 0; i < cnt; i++ {
						n := b0 + i
						transformInput(c, x[(n*p.C+g*c.cg)*p.H*p.W:], (*tb)[i*tStride:(i+1)*tStride], 0, false)
						widenRows(c, dy[(n*p.K+g*c.kg)*c.oh*c.ow:], (*ab)[i*aStride:(i+1)*aStride], kgR, wideR)
					}
					for m0 := 0; m0 < kgR; m0 += wgradRows {
						for j0 := 0; j0 < kdR; j0 += wgradCols {
							kern(unsafe.Pointer(&acc[m0*kdR+j0]), kdR, unsafe.Pointer(&(*ab)[m0*wideR]), wideR, aStride,
								unsafe.Pointer(&(*tb)[0]), &(*offs)[j0], tStride, wideR, cnt)
						}
					}
				}
				f32Pool.put(tb)
				f32Pool.put(ab)
			}
		})
		for k := 0; k < c.kg; k++ {
			row := dw[(g*c.kg+k)*c.kdim : (g*c.kg+k+1)*c.kdim]
			for j := range row {
				var s float32
				for w := 0; w < parts; w++ {
					s += (*partial)[w*tile+k*kdR+j]
				}
				row[j] = s
			}
		}
	}
}

// wgradChanKernel is a tile of the weight gradient vectorised across 16·nv
// output channels: C[t·ldc+j] += Σ_{r<rows, q<cols} T[toffs[t]+r·ldt+q] ·
// DY[(r·cols+q)·ldy+j] for taps t (wgradc512n<nv>t<taps>, gen_asm.go).
type wgradChanKernel func(c unsafe.Pointer, ldc int, t unsafe.Pointer, toffs *int, dy unsafe.Pointer, ldy, rows, cols, ldt int)

// wgradTaps is how many taps a wgradChanKernel covers at most.
const wgradTaps = 9

// noWgradChannels disables weightGradChannels (tuning, tests).
var noWgradChannels = false

// weightGradChannels computes the weight gradient for output channels per
// group in multiples of 16, vectorised across the channels: dWᵀ[tap, k]
// accumulates, for every output pixel, dY[k, pixel] (a vector of 16 or 32
// channels, from dY transposed to pixel-major per image) times the input
// value of the tap at that pixel (an embedded broadcast from the padded
// input T of convPlan). Nothing is packed, no padding column is computed,
// and partial sums stay in vector lanes that are never reduced. The batch
// is split into parts (several per thread, claimed dynamically) that sum
// into private dWᵀ copies, added up at the end.
func weightGradChannels(kerns [][wgradTaps + 1]wgradChanKernel, p ConvParams, x, dy, dw []float32) {
	c := planFor(p)
	ohw := c.oh * c.ow
	parts := min(p.N, 4*threads)
	size := c.kdim * c.kg // dWᵀ of one group: taps × kg
	partial := f32Pool.get(parts * size)
	defer f32Pool.put(partial)
	for g := 0; g < p.Groups; g++ {
		clear(*partial)
		parallelN(threads, parts, 1, func(lo, hi int) {
			tb, dyt := f32Pool.get(c.tlen), f32Pool.get(ohw*c.kg)
			defer f32Pool.put(tb)
			defer f32Pool.put(dyt)
			for part := lo; part < hi; part++ {
				acc := (*partial)[part*size : (part+1)*size]
				for n := part * p.N / parts; n < (part+1)*p.N/parts; n++ {
					transformInput(c, x[(n*p.C+g*c.cg)*p.H*p.W:], *tb, 0, false)
					transposeIn(dy[(n*p.K+g*c.kg)*ohw:(n*p.K+(g+1)*c.kg)*ohw], *dyt, ohw, c.kg)
					for t0 := 0; t0 < c.kdim; t0 += wgradTaps {
						tt := min(wgradTaps, c.kdim-t0)
						for k0 := 0; k0 < c.kg; {
							nv := min(2, (c.kg-k0)/16)
							kerns[nv][tt](unsafe.Pointer(&acc[t0*c.kg+k0]), c.kg, unsafe.Pointer(&(*tb)[0]), &c.offs[t0],
								unsafe.Pointer(&(*dyt)[k0]), c.kg, c.oh, c.ow, c.wq)
							k0 += 16 * nv
						}
					}
				}
			}
		})
		// Sum the parts into the first (contiguous adds, split over the
		// threads), then transpose dWᵀ into dW.
		sum := (*partial)[:size]
		parallelN(threads, size, 4096, func(lo, hi int) {
			for part := 1; part < parts; part++ {
				addTo(sum[lo:hi], (*partial)[part*size+lo:part*size+hi])
			}
		})
		for k := 0; k < c.kg; k++ {
			row := dw[(g*c.kg+k)*c.kdim : (g*c.kg+k+1)*c.kdim]
			for t := range row {
				row[t] = sum[t*c.kg+k]
			}
		}
	}
}

// transposeIn writes y (kg planes of hw pixels, kg a multiple of 8) into yt
// (hw pixels × kg channels), by 8×8 blocks: transposeOut's inverse.
func transposeIn(y, yt []float32, hw, kg int) {
	p := 0
	for ; p+8 <= hw; p += 8 {
		for k0 := 0; k0 < kg; k0 += 8 {
			transpose8(yt[p*kg+k0:], kg, y[k0*hw+p:], hw)
		}
	}
	for ; p < hw; p++ {
		for k := 0; k < kg; k++ {
			yt[p*kg+k] = y[k*hw+p]
		}
	}
}

// widenRows writes rows (≥ kg) rows of ld values: row k < kg holds output
// channel k of dy (kg planes of OutH×OutW) laid out with the plan's wide
// row length, zero in the padding columns and past the wide output; rows
// from kg on are zero.
func widenRows(c *convPlan, dy, a []float32, rows, ld int) {
	ohw := c.oh * c.ow
	for k := 0; k < rows; k++ {
		dst := a[k*ld : (k+1)*ld]
		if k >= c.kg {
			clear(dst)
			continue
		}
		src := dy[k*ohw : (k+1)*ohw]
		if c.exact {
			copy(dst, src)
			clear(dst[ohw:])
			continue
		}
		for i := 0; i < c.oh; i++ {
			row := dst[i*c.wq : (i+1)*c.wq]
			copy(row, src[i*c.ow:(i+1)*c.ow])
			clear(row[c.ow:])
		}
		clear(dst[c.wide:])
	}
}

// weightGradIm2col is the portable weight gradient: dW = dY·colᵀ per group,
// one GEMM with the column matrices of all images side by side.
func weightGradIm2col(p ConvParams, x, dy, dw []float32) {
	hw := p.OutH() * p.OutW()
	cg, kg := p.C/p.Groups, p.K/p.Groups
	kdim := cg * p.R * p.S
	cols := p.N * hw
	col := f32Pool.get(kdim * cols)
	defer f32Pool.put(col)
	dyg := f32Pool.get(kg * cols)
	defer f32Pool.put(dyg)
	for g := 0; g < p.Groups; g++ {
		Parallel(p.N, 1, func(lo, hi int) {
			for n := lo; n < hi; n++ {
				im2colInto(p, x[(n*p.C+g*cg)*p.H*p.W:], cg, (*col)[n*hw:], cols)
			}
		})
		groupColumns(p, dy, g, *dyg)
		Sgemm(false, true, kg, kdim, cols, 1, *dyg, cols, *col, cols, 0, dw[g*kg*kdim:], kdim)
	}
}

// groupColumns gathers group g of dY (N×K×HW) as a kg × N·HW matrix.
func groupColumns(p ConvParams, dy []float32, g int, dyg []float32) {
	hw := p.OutH() * p.OutW()
	kg, cols := p.K/p.Groups, p.N*hw
	Parallel(p.N, 1, func(lo, hi int) {
		for n := lo; n < hi; n++ {
			for k := 0; k < kg; k++ {
				copy(dyg[k*cols+n*hw:k*cols+(n+1)*hw], dy[(n*p.K+g*kg+k)*hw:])
			}
		}
	})
}

// transposedConv returns the convolution of dY that computes dX for a
// stride-1, undilated convolution: flipped, channel-swapped weights and
// padding R−1−padTop (and what makes the output H×W) on each side.
func transposedConv(p ConvParams) (ConvParams, bool) {
	if p.StrideH != 1 || p.StrideW != 1 || p.DilH != 1 || p.DilW != 1 {
		return p, false
	}
	oh, ow := p.OutH(), p.OutW()
	q := ConvParams{N: p.N, C: p.K, H: oh, W: ow, K: p.C, R: p.R, S: p.S, Groups: p.Groups,
		StrideH: 1, StrideW: 1, DilH: 1, DilW: 1,
		PadT: p.R - 1 - p.PadT, PadL: p.S - 1 - p.PadL}
	q.PadB = p.H - oh - q.PadT + p.R - 1
	q.PadR = p.W - ow - q.PadL + p.S - 1
	if q.PadT < 0 || q.PadL < 0 || q.PadB < 0 || q.PadR < 0 {
		return p, false
	}
	return q, true
}

// flipWeights sets out[g·cg+c, k, r, s] = w[g·kg+k, c, R−1−r, S−1−s]: the
// weights of the transposed convolution, (C, K/G, R, S) per group.
func flipWeights(p ConvParams, w, out []float32) {
	cg, kg, rs := p.C/p.Groups, p.K/p.Groups, p.R*p.S
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
}

// im2colInto unrolls cg channels of one image into a (cg·R·S) × (OutH·OutW)
// block of a matrix whose rows are ld elements apart; padding reads as zero.
func im2colInto(p ConvParams, x []float32, cg int, col []float32, ld int) {
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
func col2imFrom(p ConvParams, col []float32, ld, cg int, dx []float32) {
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
