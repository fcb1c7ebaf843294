package kernels

import (
	"encoding/binary"
	"sync"
	"unsafe"
)

// convPlan is the geometry of the implicit-GEMM convolution used by the SIMD
// backends. The input of one image and group is rewritten once into a
// zero-padded, stride-phase-split copy T (for stride 1 just the padded
// image): plane (c, ph, pw) holds input rows ph, ph+sh, … and columns pw,
// pw+sw, … of channel c. In T every GEMM row k = (c, r, s) is then a plain
// contiguous run, B(k, q) = T[offs[k]+q], where q = oh·wq + ow enumerates a
// "wide" output whose rows are wq ≥ OutW pixels long; the extra columns are
// computed and dropped. The GEMM packs B straight from T (no im2col matrix),
// reads the weights in place as A, and writes the wide output, which is
// compacted into y unless wq = OutW.
type convPlan struct {
	p              ConvParams
	cg, kg, kdim   int
	oh, ow         int
	sh, sw         int
	hq, wq, plane  int // phase plane geometry
	tlen           int // elements of T including slack
	wide           int // oh·wq GEMM columns
	exact          bool
	direct         bool // 1×1, stride 1, no padding: T is the input itself
	offs           []int
	used           []bool   // phase planes (ph·sw+pw) some row k reads
	maxOff         int      // largest offset
	bandCache      sync.Map // [2]int{nr, threads} → []int, see bands
	padT, padL     int
	inH, inW       int
	groupsInStride int
}

func newConvPlan(p ConvParams) *convPlan {
	c := &convPlan{p: p, cg: p.C / p.Groups, kg: p.K / p.Groups, oh: p.OutH(), ow: p.OutW(),
		sh: p.StrideH, sw: p.StrideW, padT: p.PadT, padL: p.PadL, inH: p.H, inW: p.W}
	c.kdim = c.cg * p.R * p.S
	hp, wp := p.H+p.PadT+p.PadB, p.W+p.PadL+p.PadR
	c.hq, c.wq = ceilDiv(hp, c.sh), ceilDiv(wp, c.sw)
	c.direct = p.R == 1 && p.S == 1 && c.sh == 1 && c.sw == 1 && p.PadT+p.PadL+p.PadB+p.PadR == 0
	if c.direct {
		c.hq, c.wq = p.H, p.W
	}
	c.plane = c.hq * c.wq
	c.wide = c.oh * c.wq
	c.exact = c.wq == c.ow
	// Reads reach at most (S-1)·DilW/sw past the last plane (wide columns of
	// the last row); the slack keeps them inside T and zero.
	c.tlen = c.cg*c.sh*c.sw*c.plane + (p.S-1)*p.DilW/c.sw + 1 + 32 // + a micro-panel: partial panels copy whole rows
	c.offs = make([]int, c.kdim)
	c.used = make([]bool, c.sh*c.sw)
	for ch := 0; ch < c.cg; ch++ {
		for r := 0; r < p.R; r++ {
			for s := 0; s < p.S; s++ {
				dr, ds := r*p.DilH, s*p.DilW
				ph, pw := dr%c.sh, ds%c.sw
				c.offs[(ch*p.R+r)*p.S+s] = ((ch*c.sh+ph)*c.sw+pw)*c.plane + dr/c.sh*c.wq + ds/c.sw
				c.used[ph*c.sw+pw] = true
				c.maxOff = max(c.maxOff, c.offs[(ch*p.R+r)*p.S+s])
			}
		}
	}
	return c
}

// convElem is an element type the implicit-GEMM convolution moves around.
type convElem interface{ float32 | uint8 | int8 }

// fill sets every element of s to v (padding: mostly a few elements at the
// ends of rows, sometimes whole rows).
func fill[T convElem](s []T, v T) {
	if len(s) <= 16 {
		for i := range s {
			s[i] = v
		}
		return
	}
	if v == 0 {
		clear(s)
		return
	}
	s[0] = v
	for n := 1; n < len(s); n *= 2 {
		copy(s[n:], s[:n])
	}
}

// transformInput writes T for the cg channels starting at x (one image, one
// group), padding with pad, in parallel over channels when par is set.
func transformInput[T convElem](c *convPlan, x []T, t []T, pad T, par bool) {
	fill(t[c.cg*c.sh*c.sw*c.plane:c.tlen], pad)
	if par {
		parallelN(threads, c.cg, 4, func(lo, hi int) { transformChannels(c, x, t, pad, lo, hi) })
		return
	}
	transformChannels(c, x, t, pad, 0, c.cg)
}

func transformChannels[T convElem](c *convPlan, x []T, t []T, pad T, lo, hi int) {
	hw := c.inH * c.inW
	if c.sw == 2 && c.inW%2 == 0 {
		transformStride2(c, x, t, pad, lo, hi)
		return
	}
	if unsafe.Sizeof(pad) == 4 && pad == 0 && c.sh == 1 && c.sw == 1 && c.inW >= 4 && c.inH >= 2 && simdHelpers {
		// Float32 with zero padding and stride 1: whole planes per call.
		xf := unsafe.Slice((*float32)(unsafe.Pointer(&x[0])), len(x))
		tf := unsafe.Slice((*float32)(unsafe.Pointer(&t[0])), len(t))
		for lo < hi && padPlaneF32(c, xf[lo*hw:(lo+1)*hw], tf[lo*c.plane:(lo+1)*c.plane]) {
			lo++
		}
		if lo == hi {
			return
		}
		// A plane too small for the assembly: the general loop does the rest.
	}
	for ch := lo; ch < hi; ch++ {
		xc := x[ch*hw : (ch+1)*hw]
		for ph := 0; ph < c.sh; ph++ {
			for pw := 0; pw < c.sw; pw++ {
				if !c.used[ph*c.sw+pw] {
					continue // never read: 1×1 kernels with stride
				}
				dst := t[((ch*c.sh+ph)*c.sw+pw)*c.plane:][:c.plane]
				phasePlane(c, xc, dst, ph, pw, pad)
			}
		}
	}
}

// transformStride2 is transformChannels for horizontal stride 2 and an even
// width: each channel is split once into its even and odd columns (one SIMD
// pass over the whole channel), and the phase planes' rows are then plain
// copies of rows of those halves.
func transformStride2[T convElem](c *convPlan, x []T, t []T, pad T, lo, hi int) {
	var zero T
	hw, hw2, w2 := c.inH*c.inW, c.inH*c.inW/2, c.inW/2
	var buf *[]float32
	var eo []T
	if unsafe.Sizeof(zero) == 4 {
		buf = f32Pool.get(2 * hw2)
		eo = unsafe.Slice((*T)(unsafe.Pointer(&(*buf)[0])), 2*hw2)
	} else {
		buf = f32Pool.get(ceilDiv(2*hw2, 4))
		eo = unsafe.Slice((*T)(unsafe.Pointer(&(*buf)[0])), 2*hw2)
	}
	defer f32Pool.put(buf)
	even, odd := eo[:hw2], eo[hw2:]
	for ch := lo; ch < hi; ch++ {
		xc := x[ch*hw : (ch+1)*hw]
		done := 0
		if unsafe.Sizeof(zero) == 4 && simdHelpers { // both halves in one pass
			f := func(s []T) []float32 { return unsafe.Slice((*float32)(unsafe.Pointer(&s[0])), len(s)) }
			done = deinterleaveF32(f(even), f(odd), f(xc))
		}
		if done < hw2 {
			deinterleave2(even[done:], xc[2*done:])
			deinterleave2(odd[done:], xc[2*done+1:])
		}
		for ph := 0; ph < c.sh; ph++ {
			for pw := 0; pw < 2; pw++ {
				if !c.used[ph*2+pw] {
					continue
				}
				dst := t[((ch*c.sh+ph)*2+pw)*c.plane:][:c.plane]
				jlo := max(0, ceilDiv(c.padL-pw, 2))
				jhi := min(c.wq, max(0, (c.inW-1+c.padL-pw)/2+1))
				if c.inW-1+c.padL-pw < 0 {
					jhi = 0
				}
				half, d := even, (pw-c.padL)/2 // input column 2(j+d) or 2(j+d)+1
				if (pw-c.padL)%2 != 0 {
					half, d = odd, (pw-c.padL-1)/2
				}
				for i := 0; i < c.hq; i++ {
					row := dst[i*c.wq : (i+1)*c.wq]
					r := i*c.sh + ph - c.padT
					if r < 0 || r >= c.inH || jlo >= jhi {
						fill(row, pad)
						continue
					}
					fill(row[:jlo], pad)
					fill(row[jhi:], pad)
					copy(row[jlo:jhi], half[r*w2+jlo+d:r*w2+jhi+d])
				}
			}
		}
	}
}

// padPlaneF32 writes one zero-padded stride-1 plane of T from channel xc:
// the padding rows and columns around a copy of the image, every row but
// the last in one padRowsF32 call (whose zero tails are the right padding
// of a row and the left padding of the next). It reports false, having
// written nothing, for planes too small for padRowsF32's 8-wide accesses
// to stay inside the plane and the image.
func padPlaneF32(c *convPlan, xc, dst []float32) bool {
	first := c.padT*c.wq + c.padL // the image's first value in dst
	body := dst[first:]
	n := c.inH - 1
	if (n-1)*c.wq+max(8, c.inW+roundUp(c.wq-c.inW, 8)) > len(body) || (n-1)*c.inW+max(8, c.inW) > len(xc) {
		return false
	}
	clear(dst[:first])
	padRowsF32(body, xc, n, c.inW, c.wq)
	copy(body[n*c.wq:n*c.wq+c.inW], xc[n*c.inW:])
	clear(body[n*c.wq+c.inW:])
	return true
}

// deinterleave2 sets dst[j] = src[2j] for every j < len(dst).
func deinterleave2[T convElem](dst, src []T) {
	j := gather2(dst, src)
	for ; j < len(dst); j++ {
		dst[j] = src[2*j]
	}
}

// phasePlane fills one phase plane: dst[i·wq + j] = xpad[i·sh+ph][j·sw+pw].
func phasePlane[T convElem](c *convPlan, xc, dst []T, ph, pw int, pad T) {
	// Columns j with a source inside the image: jlo ≤ j < jhi.
	jlo := max(0, ceilDiv(c.padL-pw, c.sw))
	jhi := min(c.wq, max(0, (c.inW-1+c.padL-pw)/c.sw+1))
	if c.inW-1+c.padL-pw < 0 {
		jhi = 0
	}
	for i := 0; i < c.hq; i++ {
		row := dst[i*c.wq : (i+1)*c.wq]
		r := i*c.sh + ph - c.padT
		if r < 0 || r >= c.inH || jlo >= jhi {
			fill(row, pad)
			continue
		}
		src := xc[r*c.inW : (r+1)*c.inW]
		fill(row[:jlo], pad)
		fill(row[jhi:], pad)
		col0 := jlo*c.sw + pw - c.padL
		if c.sw == 1 {
			copy(row[jlo:jhi], src[col0:])
			continue
		}
		mid := row[jlo:jhi]
		done := 0
		if c.sw == 2 {
			done = gather2(mid, src[col0:])
		}
		mid = mid[done:]
		col0 += done * c.sw
		if c.sw == 2 && unsafe.Sizeof(mid[0]) == 1 && len(mid) >= 4 {
			// Four bytes at a time: even bytes of a little-endian word.
			mb := unsafe.Slice((*byte)(unsafe.Pointer(&mid[0])), len(mid))
			sb := unsafe.Slice((*byte)(unsafe.Pointer(&src[col0])), len(src)-col0)
			j := 0
			for ; j+4 <= len(mb) && 2*j+8 <= len(sb); j += 4 {
				v := binary.LittleEndian.Uint64(sb[2*j:]) & 0x00ff00ff00ff00ff
				v = (v | v>>8) & 0x0000ffff0000ffff
				binary.LittleEndian.PutUint32(mb[j:], uint32(v|v>>16))
			}
			mid = mid[j:]
			col0 += 2 * j
		}
		for j := range mid {
			mid[j] = src[col0+j*c.sw]
		}
	}
}

// bands splits the wide output columns [0, wide) into consecutive bands of
// whole nr-column panels, each small enough that its slice of the output
// (kg rows) stays in L2, as independent GEMMs. The result holds band starts
// and ends (len = bands+1). It returns nil when the output is too narrow to
// give each of t threads several panels; the GEMM itself is then split.
func (c *convPlan) bands(nr, t int) []int {
	panels := ceilDiv(c.wide, nr)
	if noBands || (t > 1 && panels < 4*t) {
		return nil
	}
	key := [2]int{nr, t}
	if b, ok := c.bandCache.Load(key); ok {
		return b.([]int)
	}
	maxPanels := max(1, (256<<10)/(4*c.kg*nr))
	nb := t * ceilDiv(panels, t*maxPanels)
	nb = min(nb, panels)
	b := make([]int, nb+1)
	for i := range b {
		b[i] = min(c.wide, (panels*i/nb)*nr)
	}
	c.bandCache.Store(key, b)
	return b
}

// noBands disables output bands (tuning).
var noBands = false

// compactBand copies the valid columns of wide output columns [q0, q1),
// held in band (kg rows of q1-q0), into the image's output y.
func compactBand[T float32 | int32](c *convPlan, band []T, q0, q1 int, y []T) {
	n := q1 - q0
	for oh := q0 / c.wq; oh*c.wq < q1; oh++ {
		lo, hi := max(q0, oh*c.wq), min(q1, oh*c.wq+c.ow)
		if lo >= hi {
			continue
		}
		ow0 := lo - oh*c.wq
		for k := 0; k < c.kg; k++ {
			copy(y[(k*c.oh+oh)*c.ow+ow0:(k*c.oh+oh)*c.ow+ow0+hi-lo], band[k*n+lo-q0:k*n+hi-q0])
		}
	}
}

// compactWide copies the valid ow columns of each wide output row into y.
func compactWide[T float32 | int32](c *convPlan, wide []T, y []T, rows int) {
	for k := 0; k < rows; k++ {
		for i := 0; i < c.oh; i++ {
			copy(y[(k*c.oh+i)*c.ow:(k*c.oh+i+1)*c.ow], wide[k*c.wide+i*c.wq:])
		}
	}
}

// gather2 sets dst[j] = src[2j] for a SIMD-sized prefix of dst and returns
// its length (0 without a fast path).
func gather2[T convElem](dst, src []T) int {
	if len(dst) == 0 || !simdHelpers {
		return 0
	}
	if unsafe.Sizeof(dst[0]) == 4 {
		return gather2F32(unsafe.Slice((*float32)(unsafe.Pointer(&dst[0])), len(dst)),
			unsafe.Slice((*float32)(unsafe.Pointer(&src[0])), len(src)))
	}
	return gather2U8(unsafe.Slice((*byte)(unsafe.Pointer(&dst[0])), len(dst)),
		unsafe.Slice((*byte)(unsafe.Pointer(&src[0])), len(src)))
}
