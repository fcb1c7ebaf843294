//go:build amd64

package kernels

import (
	"unsafe"

	"golang.org/x/sys/cpu"
)

// simdHelpers reports whether the AVX2+FMA helpers in pack_amd64.s may run;
// paths reachable from the portable backend check it.
var simdHelpers = cpu.X86.HasAVX2 && cpu.X86.HasFMA

// copyRowsF32 gathers width floats from src at offs[p]+col into row p of a
// packed micro-panel; width is 16 or 32 and every read must be in bounds.
//
//go:noescape
func copyRowsF32(dst, src []float32, offs []int, col, width int)

// interleave4x8 packs len(offs)/4 k groups of a 32-column VNNI micro-panel
// from byte rows src[offs[i]+col:][:32], XORing each byte with flip's low
// byte; every read must be in bounds.
//
//go:noescape
func interleave4x8(dst []int32, src []byte, offs []int, col int, flip uint32)

// gather2F32 sets dst[j] = src[2j] for a prefix of dst (whole SIMD blocks
// with every read in bounds) and returns its length.
//
//go:noescape
func gather2F32(dst, src []float32) int

// gather2U8 is gather2F32 for bytes.
//
//go:noescape
func gather2U8(dst, src []byte) int

// dwRowF32 computes y[j] = bias + Σ_t w[t]·x[offs[t]+j] (then ReLU when
// relu is set) for a prefix of y made of whole blocks of 8, which it returns;
// every read must be in bounds. len(offs) must be ≥ 1 and len(w) ≥ len(offs).
//
//go:noescape
func dwRowF32(y, x []float32, offs []int, w []float32, bias float32, relu bool) int

// maxRowF32 sets y[j] = max_t x[offs[t]+j] for a prefix of y made of whole
// blocks of 8, which it returns; every read must be in bounds, len(offs) ≥ 1.
//
//go:noescape
func maxRowF32(y, x []float32, offs []int) int

// dotF32 returns Σ x[i]·y[i] over len(x); len(y) ≥ len(x).
//
//go:noescape
func dotF32(x, y []float32) float32

// axpyF32 computes y[i] += a·x[i] over len(y); len(x) ≥ len(y).
//
//go:noescape
func axpyF32(y, x []float32, a float32)

// reluF32 sets y[i] = max(x[i], 0) over len(y); len(x) ≥ len(y).
//
//go:noescape
func reluF32(y, x []float32)

// transpose8F32 sets dst[t*dstStride+i] = src[i*srcStride+t] for i, t < 8.
//
//go:noescape
func transpose8F32(dst unsafe.Pointer, dstStride int, src unsafe.Pointer, srcStride int)

// transpose8 is transpose8F32 on slices (bounds checked here).
func transpose8(dst []float32, dstStride int, src []float32, srcStride int) {
	_, _ = dst[7*dstStride+7], src[7*srcStride+7]
	transpose8F32(unsafe.Pointer(&dst[0]), dstStride, unsafe.Pointer(&src[0]), srcStride)
}

// deinterleaveF32 splits a prefix of src into its even and odd elements, in
// whole blocks of 8 pairs with every read in bounds; returns the pairs done.
//
//go:noescape
func deinterleaveF32(even, odd, src []float32) int
