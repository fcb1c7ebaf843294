package kernels

import (
	"fmt"
	"math/rand/v2"
	"testing"
)

// extremes draws values that stress saturation: a third at each end of the
// type's range, the rest uniform.
func extremes[T int8 | uint8 | int16](r *rand.Rand, n int, lo, hi int) []T {
	s := make([]T, n)
	for i := range s {
		switch r.IntN(3) {
		case 0:
			s[i] = T(lo)
		case 1:
			s[i] = T(hi)
		default:
			s[i] = T(lo + r.IntN(hi-lo+1))
		}
	}
	return s
}

// naiveIntGemm is the definition: exact int64 sums, then wrapped to int32.
func naiveIntGemm[TA, TB elem16](m, n, k int, a []TA, lda int, b []TB, ldb int, c []int32, ldc int, rowBias, colBias []int32) []int32 {
	out := append([]int32(nil), c...)
	for i := 0; i < m; i++ {
		for j := 0; j < n; j++ {
			var s int64
			for p := 0; p < k; p++ {
				s += int64(a[i*lda+p]) * int64(b[p*ldb+j])
			}
			if rowBias != nil {
				s += int64(rowBias[i])
			}
			if colBias != nil {
				s += int64(colBias[j])
			}
			out[i*ldc+j] = int32(s)
		}
	}
	return out
}

func sameInts(t *testing.T, what string, got, want []int32) {
	t.Helper()
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("%s: element %d = %d, want %d", what, i, got[i], want[i])
		}
	}
}

var intSizes = [][3]int{{1, 1, 1}, {1, 1, 0}, {3, 5, 7}, {12, 32, 4}, {13, 33, 5}, {6, 16, 2}, {7, 17, 3},
	{25, 70, 130}, {40, 9, 300}, {2, 100, 1031}, {150, 45, 66}}

func TestIntGemmBackends(t *testing.T) {
	forEachBackend(t, func(t *testing.T, _ Backend) {
		r := rand.New(rand.NewPCG(5, 6))
		for _, thr := range []int{1, 2} {
			defer SetThreads(SetThreads(thr))
			for _, sz := range intSizes {
				m, n, k := sz[0], sz[1], sz[2]
				lda, ldb, ldc := k+3, n+1, n+2
				what := fmt.Sprintf("threads %d %dx%dx%d", thr, m, n, k)
				c0 := make([]int32, m*ldc)
				for i := range c0 {
					c0[i] = int32(r.Uint32())
				}
				au := extremes[uint8](r, m*lda, 0, 255)
				as := extremes[int8](r, m*lda, -128, 127)
				bs := extremes[int8](r, k*ldb+1, -128, 127)
				bu := extremes[uint8](r, k*ldb+1, 0, 255)

				c := append([]int32(nil), c0...)
				GemmU8S8(m, n, k, au, lda, bs, ldb, c, ldc)
				sameInts(t, "GemmU8S8 "+what, c, naiveIntGemm(m, n, k, au, lda, bs, ldb, c0, ldc, nil, nil))

				c = append([]int32(nil), c0...)
				GemmS8U8(m, n, k, as, lda, bu, ldb, c, ldc)
				sameInts(t, "GemmS8U8 "+what, c, naiveIntGemm(m, n, k, as, lda, bu, ldb, c0, ldc, nil, nil))

				c = append([]int32(nil), c0...)
				GemmS8S8(m, n, k, as, lda, bs, ldb, c, ldc)
				sameInts(t, "GemmS8S8 "+what, c, naiveIntGemm(m, n, k, as, lda, bs, ldb, c0, ldc, nil, nil))

				a16 := extremes[int16](r, m*lda, -32768, 32767)
				b16 := extremes[int16](r, k*ldb+1, -32768, 32767)
				c = append([]int32(nil), c0...)
				GemmS16S16(m, n, k, a16, lda, b16, ldb, c, ldc) // wraps: still equal modulo 2^32
				sameInts(t, "GemmS16S16 "+what, c, naiveIntGemm(m, n, k, a16, lda, b16, ldb, c0, ldc, nil, nil))
			}
		}
	})
}

func TestPackedS8Backends(t *testing.T) {
	forEachBackend(t, func(t *testing.T, _ Backend) {
		r := rand.New(rand.NewPCG(9, 10))
		for _, thr := range []int{1, 2} {
			defer SetThreads(SetThreads(thr))
			for _, sz := range intSizes {
				rows, n, k := sz[0], sz[1], sz[2]
				what := fmt.Sprintf("threads %d %dx%dx%d", thr, rows, n, k)
				ldw := k + 2
				w := extremes[int8](r, rows*ldw, -128, 127)
				pw := PackS8(rows, k, w, ldw)
				bias := make([]int32, rows)
				for i := range bias {
					bias[i] = int32(r.Uint32()) >> 8
				}
				wc := make([]int8, rows*k) // compact copy for the oracle
				for i := 0; i < rows; i++ {
					copy(wc[i*k:(i+1)*k], w[i*ldw:])
				}
				ldb, ldc := n+3, n+1
				bu := extremes[uint8](r, k*ldb+1, 0, 255)
				bs := extremes[int8](r, k*ldb+1, -128, 127)
				c0 := make([]int32, rows*ldc)
				for _, withBias := range []bool{false, true} {
					bb := bias
					if !withBias {
						bb = nil
					}
					c := append([]int32(nil), c0...)
					pw.MulU8(n, bu, ldb, bb, c, ldc)
					sameInts(t, "MulU8 "+what, c, naiveIntGemm(rows, n, k, wc, k, bu, ldb, c0, ldc, bb, nil))
					c = append([]int32(nil), c0...)
					pw.MulS8(n, bs, ldb, bb, c, ldc)
					sameInts(t, "MulS8 "+what, c, naiveIntGemm(rows, n, k, wc, k, bs, ldb, c0, ldc, bb, nil))

					// C (m×rows) = A·Wᵀ
					m := n
					lda, ldc2 := k+1, rows+2
					au := extremes[uint8](r, m*lda, 0, 255)
					as := extremes[int8](r, m*lda, -128, 127)
					wt := make([]int8, k*rows)
					for i := 0; i < rows; i++ {
						for p := 0; p < k; p++ {
							wt[p*rows+i] = wc[i*k+p]
						}
					}
					c1 := make([]int32, m*ldc2)
					c = append([]int32(nil), c1...)
					pw.MulTU8(m, au, lda, bb, c, ldc2)
					sameInts(t, "MulTU8 "+what, c, naiveIntGemm(m, rows, k, au, lda, wt, rows, c1, ldc2, nil, bb))
					c = append([]int32(nil), c1...)
					pw.MulTS8(m, as, lda, bb, c, ldc2)
					sameInts(t, "MulTS8 "+what, c, naiveIntGemm(m, rows, k, as, lda, wt, rows, c1, ldc2, nil, bb))
				}
			}
		}
	})
}
