package kernels

import (
	"fmt"
	"math/rand/v2"
	"runtime"
	"testing"
)

// forEachBackend runs f with each usable backend selected in turn. Work is
// split across threads however small (tests use small sizes), so that the
// parallel paths are exercised too.
func forEachBackend(t *testing.T, f func(t *testing.T, b Backend)) {
	defer func(v int) { minParallelOps = v }(minParallelOps)
	minParallelOps = 0
	for _, b := range Backends() {
		t.Run(b.Name(), func(t *testing.T) {
			defer Use(Use(b))
			f(t, b)
		})
	}
}

func TestSgemmBackendsRandom(t *testing.T) {
	forEachBackend(t, func(t *testing.T, _ Backend) {
		r := rand.New(rand.NewPCG(7, 8))
		sizes := [][3]int{{1, 1, 1}, {1, 33, 5}, {12, 32, 4}, {13, 31, 3}, {25, 65, 300}, {7, 100, 520},
			{37, 17, 9}, {150, 40, 70}, {6, 16, 0}, {2, 1, 257}, {97, 129, 33}, {1, 1000, 512}, {3, 77, 40}, {4, 16, 16}}
		for _, thr := range []int{1, 2, 3} {
			prev := SetThreads(thr)
			forcePackA = thr == 2 // packed and in-place A
			defer func() { forcePackA = false }()
			for _, sz := range sizes {
				m, n, k := sz[0], sz[1], sz[2]
				for _, ta := range []bool{false, true} {
					for _, tb := range []bool{false, true} {
						lda, ldb, ldc := k+3, n+2, n+5
						if ta {
							lda = m + 1
						}
						if tb {
							ldb = k + 4
						}
						a := randSlice(r, max(m, k)*lda+1)
						b := randSlice(r, max(k, n)*ldb+1)
						c := randSlice(r, m*ldc)
						for _, ab := range [][2]float32{{1, 0}, {1.5, 1}, {-0.5, 0.25}} {
							want := naiveGemm(ta, tb, m, n, k, ab[0], a, lda, b, ldb, ab[1], c, ldc)
							got := append([]float32(nil), c...)
							Sgemm(ta, tb, m, n, k, ab[0], a, lda, b, ldb, ab[1], got, ldc)
							what := fmt.Sprintf("threads=%d %dx%dx%d ta=%v tb=%v alpha=%v beta=%v", thr, m, n, k, ta, tb, ab[0], ab[1])
							closeEnough(t, what, got, want, 1e-4)
						}
					}
				}
			}
			SetThreads(prev)
		}
	})
}

func BenchmarkSgemm(b *testing.B) {
	defer SetThreads(SetThreads(runtime.GOMAXPROCS(0))) // follow -test.cpu
	for _, be := range Backends() {
		for _, n := range []int{256, 1024} {
			b.Run(fmt.Sprintf("%s/%d", be.Name(), n), func(b *testing.B) {
				if be.Name() == "portable" && n > 256 {
					b.Skip("slow")
				}
				defer Use(Use(be))
				r := rand.New(rand.NewPCG(1, 1))
				x, y, z := randSlice(r, n*n), randSlice(r, n*n), make([]float32, n*n)
				b.ReportAllocs()
				b.ResetTimer()
				for i := 0; i < b.N; i++ {
					Sgemm(false, false, n, n, n, 1, x, n, y, n, 0, z, n)
				}
				b.ReportMetric(2*float64(n*n*n)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
			})
		}
	}
}

func TestSgemmRejectsShortOperands(t *testing.T) {
	forEachBackend(t, func(t *testing.T, _ Backend) {
		mustPanic := func(what string, f func()) {
			t.Helper()
			defer func() {
				if recover() == nil {
					t.Fatalf("%s: no panic", what)
				}
			}()
			f()
		}
		a, b, c := make([]float32, 20*30), make([]float32, 30*40), make([]float32, 20*40)
		mustPanic("short A", func() { Sgemm(false, false, 20, 40, 30, 1, a[:599], 30, b, 40, 0, c, 40) })
		mustPanic("short B", func() { Sgemm(false, false, 20, 40, 30, 1, a, 30, b[:1199], 40, 0, c, 40) })
		mustPanic("short C", func() { Sgemm(false, false, 20, 40, 30, 1, a, 30, b, 40, 0, c[:799], 40) })
		mustPanic("lda < k", func() { Sgemm(false, false, 20, 40, 30, 1, a, 29, b, 40, 0, c, 40) })
		mustPanic("short w", func() {
			p := convShape(3, 8, 4, 3, 1, 1)
			Conv2D(p, make([]float32, 3*64), make([]float32, 4*27-1), nil, make([]float32, 4*64))
		})
	})
}
