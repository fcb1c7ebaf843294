package kernels

import "unsafe"

// Epilogue flags understood by every micro-kernel (see gen_asm.go).
const (
	flagAcc   = 1  // C = … + beta·C (float) or + C (integers)
	flagAlpha = 2  // scale the product by alpha
	flagRow   = 4  // add rowBias[i]
	flagCol   = 8  // add colBias[j]
	flagRelu  = 16 // max(0, ·) last
)

// floatKernel computes one rows×NR tile: see gen_asm.go. a is a packed A
// micro-panel (rows values per k step) or, for strided kernels, the first
// element of the tile's rows in a row-major matrix with stride lda.
type floatKernel func(kc int, a, b, c unsafe.Pointer, ldc, lda int, alpha, beta float32, rowBias, colBias unsafe.Pointer, flags int, mask uint64)

// floatArch is a family of float32 micro-kernels plus its cache blocking.
type floatArch struct {
	mr, nr     int
	kc, mc, nc int
	packed     []floatKernel // by tile height 1..mr
	strided    []floatKernel
	masked     bool // kernels mask columns past the edge (else a scratch tile is used)
	// wgrad is the convolution weight-gradient tile (wgrad512; nil where
	// there is none): see weightGradSIMD.
	wgrad wgradKernel
	// wgradChan are the channel-vectorised weight-gradient tiles by
	// 16-channel vectors and taps per tile (wgradc512; nil where there are
	// none): see weightGradChannels.
	wgradChan [][wgradTaps + 1]wgradChanKernel
	// convChan are the channel-vectorised convolution tiles by 16-channel
	// vectors and pixels per tile (sconvc512; nil where there are none):
	// see convChannelsSIMD.
	convChan [][convChanAccs + 1]convChanKernel
}

// wgradKernel computes a wgradRows×wgradCols tile of a convolution weight
// gradient: C[i·ldc+j] += Σ_img Σ_{q<nq} A[img·aImg+i·lda+q]·B[img·bImg+boffs[j]+q].
type wgradKernel func(c unsafe.Pointer, ldc int, a unsafe.Pointer, lda, aImg int, b unsafe.Pointer, boffs *int, bImg, nq, nimg int)

// fMatrix is a row-major float32 operand, possibly transposed.
type fMatrix struct {
	data  []float32
	ld    int
	trans bool
}

// at returns element (i, j) of op(M).
func (m fMatrix) at(i, j int) float32 {
	if m.trans {
		return m.data[j*m.ld+i]
	}
	return m.data[i*m.ld+j]
}

// fGemm is one float GEMM with its epilogue: C = relu(alpha·A·B + beta·C +
// rowBias + colBias).
type fGemm struct {
	arch    *floatArch
	m, n, k int
	alpha   float32
	beta    float32
	a       fMatrix
	directA bool // read A in place (must not be transposed)
	b       fMatrix
	bOffs   []int     // when non-nil, B(p, j) = bBase[bOffs[p]+j] (implicit im2col)
	bBase   []float32 //
	bRows   []int     // row offsets p·ldb of a non-transposed B, for the fast packer
	bMaxOff int       // largest of bOffs or bRows
	c       []float32
	ldc     int
	rowBias []float32
	colBias []float32
	relu    bool
	threads int // goroutines to split across; 0 means Threads()
}

// run computes the whole product, splitting C across Threads() goroutines.
func (g *fGemm) run() {
	if g.m == 0 || g.n == 0 {
		return
	}
	if g.k == 0 {
		g.epilogueOnly()
		return
	}
	t := g.threads
	if t == 0 {
		t = threads
	}
	a := g.arch
	tm, tn := splitGrid(g.m, g.n, g.k, a.mr, a.nr, t, !g.directA, true, 16)
	if tm*tn == 1 {
		g.block(0, g.m, 0, g.n)
		return
	}
	h := *g // the copy escapes to the helpers, g does not
	runGrid(g.m, g.n, a.mr, a.nr, tm, tn, h.block)
}

// epilogueOnly handles k = 0: C = relu(beta·C + biases).
func (g *fGemm) epilogueOnly() {
	for i := 0; i < g.m; i++ {
		row := g.c[i*g.ldc : i*g.ldc+g.n]
		for j := range row {
			var v float32
			if g.beta != 0 {
				v = g.beta * row[j]
			}
			if g.rowBias != nil {
				v += g.rowBias[i]
			}
			if g.colBias != nil {
				v += g.colBias[j]
			}
			if g.relu && v < 0 {
				v = 0
			}
			row[j] = v
		}
	}
}

// block computes rows [i0,i1) × columns [j0,j1) of C on one goroutine with
// the classic five-loop blocking: B panels of kc×nc (L2/L3), A blocks of
// mc×kc (L2), micro-panels of nr columns reused across the A block from L1.
func (g *fGemm) block(i0, i1, j0, j1 int) {
	a := g.arch
	// Equal k blocks: a short last block would reload and store C for little work.
	kcMax := roundUp(ceilDiv(g.k, ceilDiv(g.k, a.kc)), 4)
	ncMax := min(a.nc, roundUp(j1-j0, a.nr))
	bufB := f32Pool.get(kcMax * ncMax)
	defer f32Pool.put(bufB)
	var bufA *[]float32
	if !g.directA {
		bufA = f32Pool.get(kcMax * min(a.mc, roundUp(i1-i0, a.mr)))
		defer f32Pool.put(bufA)
	}
	var tile *[]float32 // scratch for column tails on kernels without masking
	for jc := j0; jc < j1; jc += a.nc {
		nc := min(a.nc, j1-jc)
		for pc := 0; pc < g.k; pc += kcMax {
			kc := min(kcMax, g.k-pc)
			g.packB(*bufB, pc, kc, jc, nc)
			flags, beta := 0, float32(1)
			if g.alpha != 1 {
				flags |= flagAlpha
			}
			if pc == 0 {
				beta = g.beta
			}
			if beta != 0 {
				flags |= flagAcc
			}
			last := pc+kc == g.k
			if last {
				if g.rowBias != nil {
					flags |= flagRow
				}
				if g.colBias != nil {
					flags |= flagCol
				}
				if g.relu {
					flags |= flagRelu
				}
			}
			for ic := i0; ic < i1; ic += a.mc {
				mc := min(a.mc, i1-ic)
				if !g.directA {
					g.packA(*bufA, ic, mc, pc, kc)
				}
				for jr := 0; jr < nc; jr += a.nr {
					cols := min(a.nr, nc-jr)
					bp := unsafe.Pointer(&(*bufB)[(jr/a.nr)*kc*a.nr])
					var mask uint64 = 1<<uint(cols) - 1
					for ir := 0; ir < mc; ir += a.mr {
						rows := min(a.mr, mc-ir)
						var ap unsafe.Pointer
						kern := a.packed[rows]
						if g.directA {
							ap = unsafe.Pointer(&g.a.data[(ic+ir)*g.a.ld+pc])
							kern = a.strided[rows]
						} else {
							ap = unsafe.Pointer(&(*bufA)[ir*kc])
						}
						i, j := ic+ir, jc+jr
						var rb, cb unsafe.Pointer
						if flags&flagRow != 0 {
							rb = unsafe.Pointer(&g.rowBias[i])
						}
						if flags&flagCol != 0 {
							cb = unsafe.Pointer(&g.colBias[j])
						}
						if cols == a.nr || a.masked {
							kern(kc, ap, bp, unsafe.Pointer(&g.c[i*g.ldc+j]), g.ldc, g.a.ld, g.alpha, beta, rb, cb, flags, mask)
							continue
						}
						if tile == nil {
							tile = f32Pool.get(a.mr * a.nr)
							defer f32Pool.put(tile)
						}
						kern(kc, ap, bp, unsafe.Pointer(&(*tile)[0]), a.nr, g.a.ld, g.alpha, 0, nil, nil, flags&flagAlpha, mask)
						g.mergeTile(*tile, a.nr, i, j, rows, cols, beta, flags)
					}
				}
			}
		}
	}
}

// mergeTile applies the epilogue of a scratch tile into C (column tails on
// kernels without masked stores).
func (g *fGemm) mergeTile(tile []float32, ld, i0, j0, rows, cols int, beta float32, flags int) {
	for i := 0; i < rows; i++ {
		crow := g.c[(i0+i)*g.ldc+j0 : (i0+i)*g.ldc+j0+cols]
		for j := range crow {
			v := tile[i*ld+j]
			if flags&flagRow != 0 {
				v += g.rowBias[i0+i]
			}
			if flags&flagCol != 0 {
				v += g.colBias[j0+j]
			}
			if flags&flagAcc != 0 {
				v += beta * crow[j]
			}
			if flags&flagRelu != 0 && v < 0 {
				v = 0
			}
			crow[j] = v
		}
	}
}

// packB copies B[pc:pc+kc, jc:jc+nc] into nr-column micro-panels, each kc×nr
// row-major, zero-padding the last panel's missing columns.
func (g *fGemm) packB(dst []float32, pc, kc, jc, nc int) {
	nr := g.arch.nr
	for jr := 0; jr < nc; jr += nr {
		cols := min(nr, nc-jr)
		panel := dst[(jr/nr)*kc*nr : (jr/nr+1)*kc*nr]
		j := jc + jr
		switch {
		case g.bOffs != nil && (cols == nr || g.bMaxOff+j+nr <= len(g.bBase)):
			// A partial panel may copy whole rows when they are in bounds:
			// the extra columns only feed columns of C that are not stored.
			copyRowsF32(panel, g.bBase, g.bOffs[pc:pc+kc], j, nr)
		case g.bOffs != nil:
			for p := 0; p < kc; p++ {
				o := g.bOffs[pc+p] + j
				copy(panel[p*nr:p*nr+cols], g.bBase[o:o+cols])
				clear(panel[p*nr+cols : (p+1)*nr])
			}
		case !g.b.trans && g.bRows != nil && (cols == nr || g.bMaxOff+j+nr <= len(g.b.data)):
			copyRowsF32(panel, g.b.data, g.bRows[pc:pc+kc], j, nr)
		case !g.b.trans:
			ld := g.b.ld
			for p := 0; p < kc; p++ {
				o := (pc+p)*ld + j
				copy(panel[p*nr:p*nr+cols], g.b.data[o:o+cols])
				if cols < nr {
					clear(panel[p*nr+cols : (p+1)*nr])
				}
			}
		default: // B stored n×k
			if cols < nr {
				clear(panel)
			}
			ld := g.b.ld
			jj := 0
			for ; jj+8 <= cols; jj += 8 { // 8×8 blocks in registers
				p := 0
				for ; p+8 <= kc; p += 8 {
					transpose8(panel[p*nr+jj:], nr, g.b.data[(j+jj)*ld+pc+p:], ld)
				}
				for ; p < kc; p++ {
					for t := 0; t < 8; t++ {
						panel[p*nr+jj+t] = g.b.data[(j+jj+t)*ld+pc+p]
					}
				}
			}
			for ; jj < cols; jj++ {
				src := g.b.data[(j+jj)*ld+pc : (j+jj)*ld+pc+kc]
				for p, v := range src {
					panel[p*nr+jj] = v
				}
			}
		}
	}
}

// packA copies A[ic:ic+mc, pc:pc+kc] into mr-row micro-panels; the panel
// starting at row ir holds rows·kc values, k-major (rows values per k).
func (g *fGemm) packA(dst []float32, ic, mc, pc, kc int) {
	mr := g.arch.mr
	ld := g.a.ld
	for ir := 0; ir < mc; ir += mr {
		rows := min(mr, mc-ir)
		panel := dst[ir*kc : ir*kc+rows*kc]
		i := ic + ir
		if g.a.trans { // A stored k×m: each k step is a contiguous run of rows
			for p := 0; p < kc; p++ {
				o := (pc+p)*ld + i
				copy(panel[p*rows:p*rows+rows], g.a.data[o:o+rows])
			}
			continue
		}
		ii := 0
		for ; ii+8 <= rows; ii += 8 { // 8×8 blocks in registers
			p := 0
			for ; p+8 <= kc; p += 8 {
				transpose8(panel[p*rows+ii:], rows, g.a.data[(i+ii)*ld+pc+p:], ld)
			}
			for ; p < kc; p++ {
				for t := 0; t < 8; t++ {
					panel[p*rows+ii+t] = g.a.data[(i+ii+t)*ld+pc+p]
				}
			}
		}
		for ; ii < rows; ii++ {
			src := g.a.data[(i+ii)*ld+pc : (i+ii)*ld+pc+kc]
			d := panel[ii:]
			for p, v := range src {
				d[p*rows] = v
			}
		}
	}
}

func ceilDiv(a, b int) int { return (a + b - 1) / b }
func roundUp(a, b int) int { return ceilDiv(a, b) * b }
