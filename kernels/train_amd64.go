//go:build amd64

package kernels

// Assembly loops of train_amd64.s (AVX2+FMA; callers check trainSIMD).

// reluGradF32 sets dx[i] = dy[i] where x[i] > 0, else 0, for the largest
// multiple of 8 ≤ len(dx), which it returns; len(dy), len(x) ≥ len(dx).
//
//go:noescape
func reluGradF32(dx, dy, x []float32) int

// sumF32 returns Σ x[i].
//
//go:noescape
func sumF32(x []float32) float32

// sumSqDevF32 returns Σ (x[i]−m)².
//
//go:noescape
func sumSqDevF32(x []float32, m float32) float32

// sumDevDotF32 returns Σ dy[i] and Σ dy[i]·(x[i]−m) over len(dy).
//
//go:noescape
func sumDevDotF32(dy, x []float32, m float32) (s, d float32)

// affineF32 sets y[i] = a·x[i] + b for the largest multiple of 8 ≤ len(y),
// which it returns.
//
//go:noescape
func affineF32(y, x []float32, a, b float32) int

// affine2F32 sets y[i] = a·u[i] + b·v[i] + c for the largest multiple of
// 8 ≤ len(y), which it returns.
//
//go:noescape
func affine2F32(y, u, v []float32, a, b, c float32) int

// padRowsF32 copies rows of w values from src into dst rows ld apart and
// zeroes each row's tail from w on, 8 at a time (up to 7 values into the
// next row, which its own copy then overwrites). Rows are copied 8 values
// at a time (a short row reads into the next). Needs ld ≥ w,
// len(dst) ≥ (rows−1)·ld + max(8, w+roundUp(ld−w, 8)) and
// len(src) ≥ (rows−1)·w + max(8, w).
//
//go:noescape
func padRowsF32(dst, src []float32, rows, w, ld int)

// affineReluF32 sets y[i] = max(a·x[i] + b, 0) for the largest multiple of
// 8 ≤ len(y), which it returns.
//
//go:noescape
func affineReluF32(y, x []float32, a, b float32) int

// addF32 sets y[i] = a[i] + b[i] (then max(·, 0) when relu is set) for the
// largest multiple of 8 ≤ len(y), which it returns.
//
//go:noescape
func addF32(y, a, b []float32, relu bool) int

// sumDevDotMaskF32 is sumDevDotF32 of g = dy where y > 0 (else 0).
//
//go:noescape
func sumDevDotMaskF32(dy, y, x []float32, m float32) (s, d float32)

// affine2MaskF32 sets r[i] = a·g + b·x[i] + c, g = dy[i] where y[i] > 0
// (else 0), for the largest multiple of 8 ≤ len(r), which it returns.
//
//go:noescape
func affine2MaskF32(r, dy, y, x []float32, a, b, c float32) int
