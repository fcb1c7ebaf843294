//go:build amd64

package kernels

// Assembly loops of math_amd64.s (AVX2+FMA; callers check trainSIMD).

// expShiftF32 sets y[i] = e^(x[i]−shift) for the largest multiple of 8 ≤
// len(y), which it returns; len(x) ≥ len(y).
//
//go:noescape
func expShiftF32(y, x []float32, shift float32) int

// geluF32 sets y[i] = GELU(x[i]) (erf form) for the largest multiple of 8
// ≤ len(y), which it returns.
//
//go:noescape
func geluF32(y, x []float32) int

// geluGradF32 sets dx[i] = dy[i]·GELU'(x[i]) for the largest multiple of 8
// ≤ len(dx), which it returns.
//
//go:noescape
func geluGradF32(dx, dy, x []float32) int
