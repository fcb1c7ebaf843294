//go:build !amd64

package kernels

// simdHelpers is false: there are no assembly helpers off amd64.
const simdHelpers = false

// copyRowsF32 gathers width floats from src at offs[p]+col into row p of a
// packed micro-panel.
func copyRowsF32(dst, src []float32, offs []int, col, width int) {
	for p, o := range offs {
		copy(dst[p*width:(p+1)*width], src[o+col:o+col+width])
	}
}

// interleave4x8 packs len(offs)/4 k groups of a 32-column VNNI micro-panel.
func interleave4x8(dst []int32, src []byte, offs []int, col int, flip uint32) {
	f := byte(flip)
	for g := 0; g < len(offs)/4; g++ {
		for j := 0; j < 32; j++ {
			var w uint32
			for t := 0; t < 4; t++ {
				w |= uint32(src[offs[4*g+t]+col+j]^f) << (8 * t)
			}
			dst[32*g+j] = int32(w)
		}
	}
}

// gather2F32 has no portable fast path: it does nothing and returns 0.
func gather2F32(dst, src []float32) int { return 0 }

// gather2U8 has no portable fast path: it does nothing and returns 0.
func gather2U8(dst, src []byte) int { return 0 }

// dwRowF32 has no portable fast path: it does nothing and returns 0.
func dwRowF32(y, x []float32, offs []int, w []float32, bias float32, relu bool) int { return 0 }

// maxRowF32 has no portable fast path: it does nothing and returns 0.
func maxRowF32(y, x []float32, offs []int) int { return 0 }

// dotF32 returns Σ x[i]·y[i] over len(x).
func dotF32(x, y []float32) float32 {
	var s float32
	for i, v := range x {
		s += v * y[i]
	}
	return s
}

// axpyF32 computes y[i] += a·x[i] over len(y).
func axpyF32(y, x []float32, a float32) {
	x = x[:len(y)]
	for i, v := range x {
		y[i] += a * v
	}
}

// reluF32 sets y[i] = max(x[i], 0) over len(y) (NaN stays NaN).
func reluF32(y, x []float32) {
	x = x[:len(y)]
	for i, v := range x {
		if v < 0 {
			v = 0
		}
		y[i] = v
	}
}

// transpose8 sets dst[t*dstStride+i] = src[i*srcStride+t] for i, t < 8.
func transpose8(dst []float32, dstStride int, src []float32, srcStride int) {
	for i := 0; i < 8; i++ {
		for t := 0; t < 8; t++ {
			dst[t*dstStride+i] = src[i*srcStride+t]
		}
	}
}

// deinterleaveF32 has no portable fast path: it does nothing and returns 0.
func deinterleaveF32(even, odd, src []float32) int { return 0 }
