// Package kernels holds the hot loops of t2c: float32 GEMM and convolution.
// Everything above it (ops, training, the integer runtime) calls these
// functions rather than writing its own loops, so making them fast in one
// place makes every part of t2c fast.
//
// The GEMM sits behind the small Backend interface so that SIMD assembly
// implementations can be selected at run time by CPU features, with the
// portable Go implementation here as the reference and fallback. We write our
// own instead of binding a BLAS because t2c is one static binary without cgo
// and the integer kernels (exact int8/int16 GEMM) have no Go library.
package kernels

import (
	"runtime"
	"sync"
)

// Backend is a GEMM implementation.
type Backend interface {
	// Name identifies the implementation (e.g. "portable", "avx512").
	Name() string
	// Sgemm computes C = alpha·op(A)·op(B) + beta·C for row-major matrices:
	// op(A) is m×k, op(B) is k×n, C is m×n; lda, ldb, ldc are row strides.
	// When beta is 0, C need not be initialised.
	Sgemm(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int)
}

var (
	backend Backend = Portable{}
	threads         = runtime.GOMAXPROCS(0)
)

// Use selects the GEMM backend and returns the previous one.
func Use(b Backend) Backend { prev := backend; backend = b; return prev }

// Current returns the GEMM backend in use.
func Current() Backend { return backend }

// SetThreads sets how many goroutines kernels split work across (≥1) and
// returns the previous value.
func SetThreads(n int) int {
	prev := threads
	threads = max(1, n)
	return prev
}

// Threads returns the kernel thread count.
func Threads() int { return threads }

// Sgemm runs the selected backend; see Backend.Sgemm.
func Sgemm(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	if m == 0 || n == 0 {
		return
	}
	backend.Sgemm(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
}

// Parallel splits [0, n) into up to Threads() contiguous chunks of at least
// grain items and runs f on each concurrently.
func Parallel(n, grain int, f func(lo, hi int)) {
	parts := min(threads, (n+grain-1)/max(grain, 1))
	if parts <= 1 {
		if n > 0 {
			f(0, n)
		}
		return
	}
	var wg sync.WaitGroup
	chunk := (n + parts - 1) / parts
	for lo := 0; lo < n; lo += chunk {
		hi := min(n, lo+chunk)
		wg.Add(1)
		go func() {
			defer wg.Done()
			f(lo, hi)
		}()
	}
	wg.Wait()
}
