package kernels

import (
	"encoding/binary"
	"unsafe"
)

// intKernel computes one rows×NR int32 tile from packed panels: see
// gen_asm.go. kg counts k groups: 4 bytes of a row per group for the 8-bit
// VNNI kernels, two int16 for the 16-bit ones. Every packed element of a
// panel is therefore one 32-bit word.
type intKernel func(kg int, a, b, c unsafe.Pointer, ldc int, rowBias, colBias unsafe.Pointer, flags int, mask uint64)

type intKind int

const (
	intVNNI intKind = iota + 1 // VPDPBUSD / VPDPWSSD, 12×32 tiles
	intAVX2                    // VPMADDWD on int16 pairs, 6×16 tiles
)

// intArch is a family of integer micro-kernels and its blocking (kcg in k
// groups).
type intArch struct {
	mr, nr      int
	kcg, mc, nc int
	kind        intKind
	masked      bool
	s8u8        []intKernel // A int8 broadcast, B uint8 vectors (VNNI)
	u8s8        []intKernel // A uint8 broadcast, B int8 vectors (VNNI)
	s16         []intKernel // int16 pairs
}

// packedPanels is one operand packed for the whole k range: panels of
// width rows (A side, layout [g][i]) or columns (B side, [g][j]), panel q
// starting at word q·width·kg.
type packedPanels struct {
	words []int32
	kg    int
}

// iGemm is one integer product C = A·B + rowBias + colBias on packed panels.
// Each side is either packed on the fly, block by block, by its pack
// function, or prepacked for the whole k range.
type iGemm struct {
	arch    *intArch
	kern    []intKernel
	m, n    int
	kg      int // k groups
	packA   func(dst []int32, i0, rows, g0, gc int)
	prepA   *packedPanels
	packB   func(dst []int32, g0, gc, j0, cols int)
	prepB   *packedPanels
	c       []int32
	ldc     int
	rowBias []int32
	colBias []int32
	threads int
}

func (g *iGemm) run() {
	if g.m == 0 || g.n == 0 {
		return
	}
	if g.kg == 0 {
		for i := 0; i < g.m; i++ {
			row := g.c[i*g.ldc : i*g.ldc+g.n]
			for j := range row {
				var v int32
				if g.rowBias != nil {
					v += g.rowBias[i]
				}
				if g.colBias != nil {
					v += g.colBias[j]
				}
				row[j] = v
			}
		}
		return
	}
	t := g.threads
	if t == 0 {
		t = threads
	}
	a := g.arch
	tm, tn := splitGrid(g.m, g.n, g.kg*4, a.mr, a.nr, t, g.prepA == nil, g.prepB == nil, intComputeDiv)
	if tm > 1 && tn == 1 && g.prepB == nil {
		// Row blocks would each pack all of B: pack it once, together.
		buf := g.prepackB(t)
		defer i32Pool.put(buf)
	}
	runGrid(g.m, g.n, a.mr, a.nr, tm, tn, g.block)
}

// prepackB packs all of B (every panel, the whole k range) with t
// goroutines and switches g to it; the caller returns the buffer.
func (g *iGemm) prepackB(t int) *[]int32 {
	nr := g.arch.nr
	panels := ceilDiv(g.n, nr)
	buf := i32Pool.get(panels * g.kg * nr)
	const chunk = 64 // k groups per work item
	chunks := ceilDiv(g.kg, chunk)
	parallelN(t, panels*chunks, 1, func(lo, hi int) {
		for it := lo; it < hi; it++ {
			q, g0 := it/chunks, (it%chunks)*chunk
			gc := min(chunk, g.kg-g0)
			g.packB((*buf)[q*g.kg*nr+g0*nr:], g0, gc, q*nr, min(nr, g.n-q*nr))
		}
	})
	g.prepB = &packedPanels{words: *buf, kg: g.kg}
	return buf
}

// splitGrid chooses a tm×tn grid of C blocks (tm·tn ≤ t) minimising the
// largest block's cost: its multiply-adds plus the packing it repeats.
//
// computeDiv weighs a multiply-add against packing one element: about 16 for
// float32, more for the faster 8-bit kernels.
func splitGrid(m, n, k, mr, nr, t int, packA, packB bool, computeDiv float64) (int, int) {
	if t <= 1 || 2*m*n*k < minParallelOps {
		return 1, 1
	}
	bestM, bestN, best := 1, 1, -1.0
	for tm := 1; tm <= t; tm++ {
		tn := t / tm
		mb := float64(ceilDiv(ceilDiv(m, mr), tm) * mr)
		nb := float64(ceilDiv(ceilDiv(n, nr), tn) * nr)
		kf := float64(k)
		cost := mb * nb * kf / computeDiv
		if packB {
			cost += kf * nb
		}
		if packA {
			cost += kf * mb
		}
		if best < 0 || cost < best || (cost == best && tn > bestN) {
			bestM, bestN, best = tm, tn, cost
		}
	}
	return bestM, bestN
}

// minParallelOps is the smallest product (2·m·n·k) worth splitting: below
// it a fork-join costs more than it saves, and much more when the other
// cores are busy with other programs.
var minParallelOps = 1 << 22

// intComputeDiv is splitGrid's computeDiv for the integer kernels.
var intComputeDiv = 16.0

// runGrid runs f on a tm×tn grid of blocks of C (block edges on multiples of
// mr and nr), concurrently, the last block on the calling goroutine.
func runGrid(m, n, mr, nr, tm, tn int, f func(i0, i1, j0, j1 int)) {
	if tm*tn == 1 {
		f(0, m, 0, n)
		return
	}
	mb := ceilDiv(ceilDiv(m, mr), tm) * mr
	nb := ceilDiv(ceilDiv(n, nr), tn) * nr
	var buf [8][2]int
	blocks := buf[:0]
	for i0 := 0; i0 < m; i0 += mb {
		for j0 := 0; j0 < n; j0 += nb {
			blocks = append(blocks, [2]int{i0, j0})
		}
	}
	forkJoin(len(blocks), blocks, func(i0, j0 int) { f(i0, min(m, i0+mb), j0, min(n, j0+nb)) })
}

func (g *iGemm) block(i0, i1, j0, j1 int) {
	a := g.arch
	kcg := ceilDiv(g.kg, ceilDiv(g.kg, a.kcg)) // equal k blocks
	ncMax := min(a.nc, roundUp(j1-j0, a.nr))
	var bufA, bufB *[]int32
	if g.prepB == nil {
		bufB = i32Pool.get(kcg * ncMax)
		defer i32Pool.put(bufB)
	}
	if g.prepA == nil {
		bufA = i32Pool.get(kcg * min(a.mc, roundUp(i1-i0, a.mr)))
		defer i32Pool.put(bufA)
	}
	var tile *[]int32 // scratch for column tails on kernels without masking
	for jc := j0; jc < j1; jc += a.nc {
		nc := min(a.nc, j1-jc)
		for pc := 0; pc < g.kg; pc += kcg {
			gc := min(kcg, g.kg-pc)
			if bufB != nil {
				for jr := 0; jr < nc; jr += a.nr {
					g.packB((*bufB)[(jr/a.nr)*gc*a.nr:], pc, gc, jc+jr, min(a.nr, nc-jr))
				}
			}
			flags := 0
			if pc > 0 {
				flags |= flagAcc
			} else {
				if g.rowBias != nil {
					flags |= flagRow
				}
				if g.colBias != nil {
					flags |= flagCol
				}
			}
			for ic := i0; ic < i1; ic += a.mc {
				mc := min(a.mc, i1-ic)
				if bufA != nil {
					for ir := 0; ir < mc; ir += a.mr {
						g.packA((*bufA)[ir*gc:], ic+ir, min(a.mr, mc-ir), pc, gc)
					}
				}
				for jr := 0; jr < nc; jr += a.nr {
					cols := min(a.nr, nc-jr)
					j := jc + jr
					var bp unsafe.Pointer
					if bufB != nil {
						bp = unsafe.Pointer(&(*bufB)[(jr/a.nr)*gc*a.nr])
					} else {
						bp = unsafe.Pointer(&g.prepB.words[(j/a.nr)*g.prepB.kg*a.nr+pc*a.nr])
					}
					var mask uint64 = 1<<uint(cols) - 1
					for ir := 0; ir < mc; ir += a.mr {
						rows := min(a.mr, mc-ir)
						i := ic + ir
						var ap unsafe.Pointer
						if bufA != nil {
							ap = unsafe.Pointer(&(*bufA)[ir*gc])
						} else {
							ap = unsafe.Pointer(&g.prepA.words[i*g.prepA.kg+pc*rows])
						}
						var rb, cb unsafe.Pointer
						if flags&flagRow != 0 {
							rb = unsafe.Pointer(&g.rowBias[i])
						}
						if flags&flagCol != 0 {
							cb = unsafe.Pointer(&g.colBias[j])
						}
						if cols == a.nr || a.masked {
							g.kern[rows](gc, ap, bp, unsafe.Pointer(&g.c[i*g.ldc+j]), g.ldc, rb, cb, flags, mask)
							continue
						}
						if tile == nil {
							tile = i32Pool.get(a.mr * a.nr)
							defer i32Pool.put(tile)
						}
						g.kern[rows](gc, ap, bp, unsafe.Pointer(&(*tile)[0]), a.nr, nil, nil, 0, mask)
						for ii := 0; ii < rows; ii++ {
							crow := g.c[(i+ii)*g.ldc+j : (i+ii)*g.ldc+j+cols]
							for jj := range crow {
								v := (*tile)[ii*a.nr+jj]
								if flags&flagRow != 0 {
									v += g.rowBias[i+ii]
								}
								if flags&flagCol != 0 {
									v += g.colBias[j+jj]
								}
								if flags&flagAcc != 0 {
									v += crow[jj]
								}
								crow[jj] = v
							}
						}
					}
				}
			}
		}
	}
}

// ---- packing ---------------------------------------------------------------

// packAWords8 packs an A micro-panel of 8-bit values for the VNNI kernels:
// dst[g·rows+i] = bytes k = 4(g0+g) … +3 of row i0+i (row stride ld), each
// XORed with flip; bytes past k are zero (not flipped), so the k padding
// contributes nothing whatever the other operand holds there.
func packAWords8(dst []int32, src []byte, ld, k, i0, rows, g0, gc int, flip byte) {
	flip32 := uint32(flip) * 0x01010101
	full := min(gc, k/4-g0) // groups with four valid bytes
	for i := 0; i < rows; i++ {
		row := src[(i0+i)*ld : (i0+i)*ld+k]
		d := dst[i:]
		g := 0
		for ; g < full; g++ {
			d[g*rows] = int32(binary.LittleEndian.Uint32(row[4*(g0+g):]) ^ flip32)
		}
		for ; g < gc; g++ {
			var w uint32
			for t := 0; t < 4 && 4*(g0+g)+t < k; t++ {
				w |= uint32(row[4*(g0+g)+t]^flip) << (8 * t)
			}
			d[g*rows] = int32(w)
		}
	}
}

// packBWords8 packs a B micro-panel of 8-bit values for the VNNI kernels:
// dst[g·nr+j] = the bytes of rows k = 4(g0+g) … +3 at column j0+j, where row
// k starts at src[offs[k]]; missing rows and columns are zero (not flipped).
//
// A partial panel (cols < 32) is packed whole when maxOff+j0+32 ≤ len(src):
// the extra columns only feed columns of C that are never stored.
func packBWords8(dst []int32, src []byte, offs []int, maxOff, k, g0, gc, j0, cols, nr int, flip byte) {
	full := max(0, min(gc, k/4-g0))
	g := 0
	if nr == 32 && full > 0 && (cols == 32 || maxOff+j0+32 <= len(src)) {
		interleave4x8(dst[:full*32], src, offs[4*g0:4*(g0+full)], j0, uint32(flip))
		g = full
	}
	for ; g < gc; g++ {
		d := dst[g*nr : (g+1)*nr]
		clear(d[cols:])
		for j := 0; j < cols; j++ {
			var w uint32
			for t := 0; t < 4; t++ {
				if kk := 4*(g0+g) + t; kk < k {
					w |= uint32(src[offs[kk]+j0+j]^flip) << (8 * t)
				}
			}
			d[j] = int32(w)
		}
	}
}

// packBWordsT8 packs a B micro-panel for the VNNI kernels when B is stored
// transposed (n×k, row stride ld, the Linear-layer weight layout): column j
// of B is row j of the storage, so each word is four consecutive bytes.
func packBWordsT8(dst []int32, src []byte, ld, k, g0, gc, j0, cols, nr int, flip byte) {
	// Identical to packing an A panel of rows j0… with the roles of the
	// indices swapped.
	packAWords8(dst, src, ld, k, j0, cols, g0, gc, flip)
	if cols < nr { // re-spread rows of cols words into rows of nr words
		for g := gc - 1; g >= 0; g-- {
			copy(dst[g*nr:g*nr+cols], dst[g*cols:(g+1)*cols])
			clear(dst[g*nr+cols : (g+1)*nr])
		}
		return
	}
}

// elem16 is what the 16-bit pair kernels can widen from.
type elem16 interface{ ~int8 | ~uint8 | ~int16 }

func pair(lo, hi int32) int32 { return int32(uint32(uint16(lo)) | uint32(uint16(hi))<<16) }

// packAPairs packs an A micro-panel for the int16 pair kernels:
// dst[g·rows+i] = (a[i][2g], a[i][2g+1]) widened to int16, zero past k.
func packAPairs[T elem16](dst []int32, src []T, ld, k, i0, rows, g0, gc int) {
	for i := 0; i < rows; i++ {
		row := src[(i0+i)*ld : (i0+i)*ld+k]
		d := dst[i:]
		for g := 0; g < gc; g++ {
			kk := 2 * (g0 + g)
			var lo, hi int32
			if kk < k {
				lo = int32(row[kk])
			}
			if kk+1 < k {
				hi = int32(row[kk+1])
			}
			d[g*rows] = pair(lo, hi)
		}
	}
}

// packBPairs packs a B micro-panel for the int16 pair kernels from rows that
// start at src[offs[k]]: dst[g·nr+j] = (b[2g][j], b[2g+1][j]).
func packBPairs[T elem16](dst []int32, src []T, offs []int, k, g0, gc, j0, cols, nr int) {
	for g := 0; g < gc; g++ {
		d := dst[g*nr : (g+1)*nr]
		clear(d[cols:])
		kk := 2 * (g0 + g)
		r0 := src[offs[kk]+j0 : offs[kk]+j0+cols]
		if kk+1 < k {
			r1 := src[offs[kk+1]+j0 : offs[kk+1]+j0+cols]
			for j := range r0 {
				d[j] = pair(int32(r0[j]), int32(r1[j]))
			}
			continue
		}
		for j := range r0 {
			d[j] = pair(int32(r0[j]), 0)
		}
	}
}

// packBPairsT packs a B micro-panel for the pair kernels from transposed
// storage (column j of B is row j of src).
func packBPairsT[T elem16](dst []int32, src []T, ld, k, g0, gc, j0, cols, nr int) {
	packAPairs(dst, src, ld, k, j0, cols, g0, gc)
	if cols < nr {
		for g := gc - 1; g >= 0; g-- {
			copy(dst[g*nr:g*nr+cols], dst[g*cols:(g+1)*cols])
			clear(dst[g*nr+cols : (g+1)*nr])
		}
	}
}

// rowOffsets returns k row offsets 0, ld, 2·ld, … from the pool.
func rowOffsets(k, ld int) *[]int {
	o := intPool.get(k)
	for i := range *o {
		(*o)[i] = i * ld
	}
	return o
}

func bytesOf[T int8 | uint8](s []T) []byte {
	if len(s) == 0 {
		return nil
	}
	return unsafe.Slice((*byte)(unsafe.Pointer(&s[0])), len(s))
}

func unsafeInt8(b []byte) []int8 { return unsafe.Slice((*int8)(unsafe.Pointer(&b[0])), len(b)) }
