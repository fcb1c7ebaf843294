package kernels

import (
	"fmt"
	"sync"
)

// Integer GEMM. All matrices are row-major with explicit row strides; C is
// int32 and is overwritten. Results are exact: every backend returns the
// true sum of products reduced modulo 2^32 (two's-complement wrap-around,
// as Go's int32 arithmetic), which is the true value whenever it fits in an
// int32. Sufficient conditions, with k the reduction length:
//
//	uint8 × int8:  k ≤ 65 793    (k·255·128 < 2^31)
//	int8  × int8:  k ≤ 131 071   (k·128·128 < 2^31)
//	int16 × int16: k·max|a|·max|b| < 2^31
//
// Narrower integers (2–7 bits) use the 8-bit entry points and 9–16 bit ones
// the 16-bit entry point; the bounds above then only loosen. Unsigned 16-bit
// operands do not fit GemmS16S16 unless they are below 2^15.

// intArchOf returns the integer kernels of the current backend, or nil for
// the portable path.
func intArchOf(b Backend) *intArch {
	if sb, ok := b.(*simdBackend); ok {
		return sb.i
	}
	return nil
}

func checkIntGemm(m, n, k, lena, lda, lenb, ldb, lenc, ldc int) {
	if m < 0 || n < 0 || k < 0 {
		panic(fmt.Sprintf("kernels: negative GEMM size %d×%d×%d", m, n, k))
	}
	if m == 0 || n == 0 {
		return
	}
	if (k > 0 && (lda < k || lena < (m-1)*lda+k || ldb < n || lenb < (k-1)*ldb+n)) || ldc < n || lenc < (m-1)*ldc+n {
		panic(fmt.Sprintf("kernels: GEMM %d×%d×%d operands too short for their strides", m, n, k))
	}
}

// GemmU8S8 computes C = A·B for uint8 A (m×k) and int8 B (k×n) into int32 C
// (m×n). This is the activations × weights product of the integer runtime
// (asymmetric uint8 activations, symmetric int8 weights).
func GemmU8S8(m, n, k int, a []uint8, lda int, b []int8, ldb int, c []int32, ldc int) {
	checkIntGemm(m, n, k, len(a), lda, len(b), ldb, len(c), ldc)
	if m == 0 || n == 0 {
		return
	}
	ia := intArchOf(backend)
	if ia == nil {
		gemmGeneric(m, n, k, a, lda, b, ldb, c, ldc)
		return
	}
	ab, bb := bytesOf(a), bytesOf(b)
	if ia.kind == intAVX2 {
		gemmPairs(ia, m, n, k, a, lda, b, ldb, c, ldc, nil)
		return
	}
	offs := rowOffsets(k, ldb)
	defer intPool.put(offs)
	g := iGemm{arch: ia, kern: ia.u8s8, m: m, n: n, kg: ceilDiv(k, 4), c: c, ldc: ldc,
		packA: func(dst []int32, i0, rows, g0, gc int) { packAWords8(dst, ab, lda, k, i0, rows, g0, gc, 0) },
		packB: func(dst []int32, g0, gc, j0, cols int) {
			packBWords8(dst, bb, *offs, (k-1)*ldb, k, g0, gc, j0, cols, ia.nr, 0)
		}}
	g.run()
}

// GemmS8U8 computes C = A·B for int8 A (m×k) and uint8 B (k×n): the
// weights × activations product of a convolution written as W·im2col(x).
func GemmS8U8(m, n, k int, a []int8, lda int, b []uint8, ldb int, c []int32, ldc int) {
	checkIntGemm(m, n, k, len(a), lda, len(b), ldb, len(c), ldc)
	if m == 0 || n == 0 {
		return
	}
	gemmS8B(m, n, k, a, lda, bytesOf(b), ldb, false, c, ldc)
}

// GemmS8S8 computes C = A·B for int8 A (m×k) and int8 B (k×n). On VNNI, B is
// shifted to uint8 (b+128) for VPDPBUSD and the result corrected exactly by
// −128·Σ_k A[i][k] per row.
func GemmS8S8(m, n, k int, a []int8, lda int, b []int8, ldb int, c []int32, ldc int) {
	checkIntGemm(m, n, k, len(a), lda, len(b), ldb, len(c), ldc)
	if m == 0 || n == 0 {
		return
	}
	gemmS8B(m, n, k, a, lda, bytesOf(b), ldb, true, c, ldc)
}

// gemmS8B is C = A·B for int8 A and 8-bit B, signed or not.
func gemmS8B(m, n, k int, a []int8, lda int, bb []byte, ldb int, signedB bool, c []int32, ldc int) {
	ia := intArchOf(backend)
	if ia == nil {
		if signedB {
			gemmGeneric(m, n, k, a, lda, asInt8(bb), ldb, c, ldc)
		} else {
			gemmGeneric(m, n, k, a, lda, bb, ldb, c, ldc)
		}
		return
	}
	if ia.kind == intAVX2 {
		if signedB {
			gemmPairs(ia, m, n, k, a, lda, asInt8(bb), ldb, c, ldc, nil)
		} else {
			gemmPairs(ia, m, n, k, a, lda, bb, ldb, c, ldc, nil)
		}
		return
	}
	ab := bytesOf(a)
	var flip byte
	var corr *[]int32
	if signedB {
		flip = 0x80
		corr = i32Pool.get(m)
		defer i32Pool.put(corr)
		for i := range *corr {
			var s int32
			for _, v := range a[i*lda : i*lda+k] {
				s += int32(v)
			}
			(*corr)[i] = -128 * s
		}
	}
	offs := rowOffsets(k, ldb)
	defer intPool.put(offs)
	g := iGemm{arch: ia, kern: ia.s8u8, m: m, n: n, kg: ceilDiv(k, 4), c: c, ldc: ldc,
		packA: func(dst []int32, i0, rows, g0, gc int) { packAWords8(dst, ab, lda, k, i0, rows, g0, gc, 0) },
		packB: func(dst []int32, g0, gc, j0, cols int) {
			packBWords8(dst, bb, *offs, (k-1)*ldb, k, g0, gc, j0, cols, ia.nr, flip)
		}}
	if corr != nil {
		g.rowBias = *corr
	}
	g.run()
}

// GemmS16S16 computes C = A·B for int16 A (m×k) and int16 B (k×n). Exact
// while k·max|a|·max|b| < 2^31 (and always modulo 2^32).
func GemmS16S16(m, n, k int, a []int16, lda int, b []int16, ldb int, c []int32, ldc int) {
	checkIntGemm(m, n, k, len(a), lda, len(b), ldb, len(c), ldc)
	if m == 0 || n == 0 {
		return
	}
	ia := intArchOf(backend)
	if ia == nil {
		gemmGeneric(m, n, k, a, lda, b, ldb, c, ldc)
		return
	}
	gemmPairs(ia, m, n, k, a, lda, b, ldb, c, ldc, nil)
}

// gemmPairs runs the int16-pair kernels (VPDPWSSD or VPMADDWD), widening
// 8-bit operands while packing.
func gemmPairs[TA, TB elem16](ia *intArch, m, n, k int, a []TA, lda int, b []TB, ldb int, c []int32, ldc int, rowBias []int32) {
	offs := rowOffsets(k, ldb)
	defer intPool.put(offs)
	g := iGemm{arch: ia, kern: ia.s16, m: m, n: n, kg: ceilDiv(k, 2), c: c, ldc: ldc, rowBias: rowBias,
		packA: func(dst []int32, i0, rows, g0, gc int) { packAPairs(dst, a, lda, k, i0, rows, g0, gc) },
		packB: func(dst []int32, g0, gc, j0, cols int) { packBPairs(dst, b, *offs, k, g0, gc, j0, cols, ia.nr) }}
	g.run()
}

// gemmGeneric is the portable integer GEMM (int32 wrap-around arithmetic):
// the reference the SIMD kernels are tested against.
func gemmGeneric[TA, TB elem16](m, n, k int, a []TA, lda int, b []TB, ldb int, c []int32, ldc int) {
	Parallel(m, 4, func(lo, hi int) {
		for i := lo; i < hi; i++ {
			crow := c[i*ldc : i*ldc+n]
			clear(crow)
			for p, av := range a[i*lda : i*lda+k] {
				if av == 0 {
					continue
				}
				s := int32(av)
				for j, bv := range b[p*ldb : p*ldb+n] {
					crow[j] += s * int32(bv)
				}
			}
		}
	})
}

func asInt8(b []byte) []int8 {
	if len(b) == 0 {
		return nil
	}
	return unsafeInt8(b)
}

// ---- packed weights ------------------------------------------------------------

// PackedS8 is an int8 matrix W (Rows×Cols) — typically layer weights —
// packed once into the micro-panel layouts of the kernel backend in use, so
// that repeated products skip that work. It keeps a copy of W and its row
// sums (for the signed-activation correction); layouts are built lazily on
// first use by each backend and side, and a PackedS8 is safe for concurrent
// use.
type PackedS8 struct {
	Rows, Cols int // shape of W
	w          []int8
	rowSum     []int32
	mu         sync.Mutex
	layouts    map[packKey]*packedPanels
}

type packKey struct {
	arch  *intArch
	bSide bool // packed as the B operand (W transposed), for MulT*
}

// PackS8 packs the rows×cols int8 matrix w (row stride ldw).
func PackS8(rows, cols int, w []int8, ldw int) *PackedS8 {
	if rows < 0 || cols < 0 || (rows > 0 && cols > 0 && (ldw < cols || len(w) < (rows-1)*ldw+cols)) {
		panic(fmt.Sprintf("kernels: PackS8 %d×%d with stride %d over %d values", rows, cols, ldw, len(w)))
	}
	p := &PackedS8{Rows: rows, Cols: cols, w: make([]int8, rows*cols), rowSum: make([]int32, rows),
		layouts: map[packKey]*packedPanels{}}
	for i := 0; i < rows; i++ {
		copy(p.w[i*cols:(i+1)*cols], w[i*ldw:i*ldw+cols])
		var s int32
		for _, v := range p.w[i*cols : (i+1)*cols] {
			s += int32(v)
		}
		p.rowSum[i] = s
	}
	return p
}

func (p *PackedS8) panels(ia *intArch, bSide bool) *packedPanels {
	key := packKey{ia, bSide}
	p.mu.Lock()
	defer p.mu.Unlock()
	if pp := p.layouts[key]; pp != nil {
		return pp
	}
	vnni := ia.kind == intVNNI
	kg := ceilDiv(p.Cols, 2)
	if vnni {
		kg = ceilDiv(p.Cols, 4)
	}
	wb := bytesOf(p.w)
	var pp *packedPanels
	if !bSide {
		pp = &packedPanels{words: make([]int32, roundUp(p.Rows, ia.mr)*kg), kg: kg}
		for ir := 0; ir < p.Rows; ir += ia.mr {
			rows := min(ia.mr, p.Rows-ir)
			if vnni {
				packAWords8(pp.words[ir*kg:], wb, p.Cols, p.Cols, ir, rows, 0, kg, 0)
			} else {
				packAPairs(pp.words[ir*kg:], p.w, p.Cols, p.Cols, ir, rows, 0, kg)
			}
		}
	} else {
		pp = &packedPanels{words: make([]int32, roundUp(p.Rows, ia.nr)*kg), kg: kg}
		for j0 := 0; j0 < p.Rows; j0 += ia.nr {
			cols := min(ia.nr, p.Rows-j0)
			if vnni {
				packBWordsT8(pp.words[j0*kg:], wb, p.Cols, p.Cols, 0, kg, j0, cols, ia.nr, 0)
			} else {
				packBPairsT(pp.words[j0*kg:], p.w, p.Cols, p.Cols, 0, kg, j0, cols, ia.nr)
			}
		}
	}
	p.layouts[key] = pp
	return pp
}

func checkBias(bias []int32, n int) {
	if bias != nil && len(bias) < n {
		panic(fmt.Sprintf("kernels: bias has %d values for %d outputs", len(bias), n))
	}
}

// MulU8 computes C = W·B + bias for uint8 B (Cols×n, row stride ldb) into
// int32 C (Rows×n); bias (one per row of W, may be nil) is added exactly.
func (p *PackedS8) MulU8(n int, b []uint8, ldb int, bias []int32, c []int32, ldc int) {
	checkIntGemm(p.Rows, n, p.Cols, len(p.w), p.Cols, len(b), ldb, len(c), ldc)
	checkBias(bias, p.Rows)
	offs := rowOffsets(p.Cols, ldb)
	defer intPool.put(offs)
	p.mulOffsets(n, bytesOf(b), *offs, false, bias, c, ldc, 0)
}

// MulS8 is MulU8 for int8 B.
func (p *PackedS8) MulS8(n int, b []int8, ldb int, bias []int32, c []int32, ldc int) {
	checkIntGemm(p.Rows, n, p.Cols, len(p.w), p.Cols, len(b), ldb, len(c), ldc)
	checkBias(bias, p.Rows)
	offs := rowOffsets(p.Cols, ldb)
	defer intPool.put(offs)
	p.mulOffsets(n, bytesOf(b), *offs, true, bias, c, ldc, 0)
}

// mulOffsets is C = W·B + bias where row k of B starts at src[offs[k]] (the
// implicit-im2col form shared with the integer convolution).
func (p *PackedS8) mulOffsets(n int, src []byte, offs []int, signed bool, bias []int32, c []int32, ldc, threads int) {
	if p.Rows == 0 || n == 0 {
		return
	}
	k := p.Cols
	ia := intArchOf(backend)
	if ia == nil {
		mulOffsetsGeneric(p, n, src, offs, signed, bias, c, ldc)
		return
	}
	g := iGemm{arch: ia, m: p.Rows, n: n, c: c, ldc: ldc, prepA: p.panels(ia, false), rowBias: bias, threads: threads}
	if ia.kind == intAVX2 || ia.s8u8 == nil {
		g.kern, g.kg = ia.s16, ceilDiv(k, 2)
		if signed {
			s8 := asInt8(src)
			g.packB = func(dst []int32, g0, gc, j0, cols int) { packBPairs(dst, s8, offs, k, g0, gc, j0, cols, ia.nr) }
		} else {
			g.packB = func(dst []int32, g0, gc, j0, cols int) { packBPairs(dst, src, offs, k, g0, gc, j0, cols, ia.nr) }
		}
		g.run()
		return
	}
	var flip byte
	if signed {
		flip = 0x80
		corr := i32Pool.get(p.Rows)
		defer i32Pool.put(corr)
		for i, s := range p.rowSum {
			(*corr)[i] = -128 * s
			if bias != nil {
				(*corr)[i] += bias[i]
			}
		}
		g.rowBias = *corr
	}
	maxOff := 0
	for _, o := range offs {
		maxOff = max(maxOff, o)
	}
	g.kern, g.kg = ia.s8u8, ceilDiv(k, 4)
	g.packB = func(dst []int32, g0, gc, j0, cols int) {
		packBWords8(dst, src, offs, maxOff, k, g0, gc, j0, cols, ia.nr, flip)
	}
	g.run()
}

func mulOffsetsGeneric(p *PackedS8, n int, src []byte, offs []int, signed bool, bias []int32, c []int32, ldc int) {
	Parallel(p.Rows, 4, func(lo, hi int) {
		for i := lo; i < hi; i++ {
			crow := c[i*ldc : i*ldc+n]
			var b0 int32
			if bias != nil {
				b0 = bias[i]
			}
			for j := range crow {
				crow[j] = b0
			}
			for kk, wv := range p.w[i*p.Cols : (i+1)*p.Cols] {
				if wv == 0 {
					continue
				}
				s := int32(wv)
				row := src[offs[kk] : offs[kk]+n]
				if signed {
					for j, v := range row {
						crow[j] += s * int32(int8(v))
					}
				} else {
					for j, v := range row {
						crow[j] += s * int32(v)
					}
				}
			}
		}
	})
}

// MulTU8 computes C = A·Wᵀ + bias for uint8 A (m×Cols, row stride lda) into
// int32 C (m×Rows): the Linear-layer product with W stored out×in; bias has
// one value per row of W (column of C) and may be nil.
func (p *PackedS8) MulTU8(m int, a []uint8, lda int, bias []int32, c []int32, ldc int) {
	p.mulT(m, bytesOf(a), lda, false, bias, c, ldc)
}

// MulTS8 is MulTU8 for int8 A. On VNNI, A is shifted to uint8 (a+128) and the
// result corrected exactly by −128·Σ_k W[j][k] per column.
func (p *PackedS8) MulTS8(m int, a []int8, lda int, bias []int32, c []int32, ldc int) {
	p.mulT(m, bytesOf(a), lda, true, bias, c, ldc)
}

func (p *PackedS8) mulT(m int, ab []byte, lda int, signed bool, bias []int32, c []int32, ldc int) {
	k, n := p.Cols, p.Rows
	if m < 0 || (m > 0 && n > 0 && (lda < k || len(ab) < (m-1)*lda+k || ldc < n || len(c) < (m-1)*ldc+n)) {
		panic(fmt.Sprintf("kernels: MulT of %d rows: operands too short for their strides", m))
	}
	checkBias(bias, n)
	if m == 0 || n == 0 {
		return
	}
	ia := intArchOf(backend)
	if ia == nil {
		Parallel(m, 4, func(lo, hi int) {
			for i := lo; i < hi; i++ {
				arow := ab[i*lda : i*lda+k]
				for j := 0; j < n; j++ {
					var s int32
					if bias != nil {
						s = bias[j]
					}
					for kk, wv := range p.w[j*k : (j+1)*k] {
						if signed {
							s += int32(int8(arow[kk])) * int32(wv)
						} else {
							s += int32(arow[kk]) * int32(wv)
						}
					}
					c[i*ldc+j] = s
				}
			}
		})
		return
	}
	g := iGemm{arch: ia, m: m, n: n, c: c, ldc: ldc, prepB: p.panels(ia, true), colBias: bias}
	if ia.kind == intAVX2 || ia.u8s8 == nil {
		g.kern, g.kg = ia.s16, ceilDiv(k, 2)
		if signed {
			s8 := asInt8(ab)
			g.packA = func(dst []int32, i0, rows, g0, gc int) { packAPairs(dst, s8, lda, k, i0, rows, g0, gc) }
		} else {
			g.packA = func(dst []int32, i0, rows, g0, gc int) { packAPairs(dst, ab, lda, k, i0, rows, g0, gc) }
		}
		g.run()
		return
	}
	var flip byte
	if signed {
		flip = 0x80
		corr := i32Pool.get(n)
		defer i32Pool.put(corr)
		for j, s := range p.rowSum {
			(*corr)[j] = -128 * s
			if bias != nil {
				(*corr)[j] += bias[j]
			}
		}
		g.colBias = *corr
	}
	g.kern, g.kg = ia.u8s8, ceilDiv(k, 4)
	g.packA = func(dst []int32, i0, rows, g0, gc int) { packAWords8(dst, ab, lda, k, i0, rows, g0, gc, flip) }
	g.run()
}
