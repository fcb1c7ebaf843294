package kernels

import (
	"math"
	"math/rand/v2"
	"testing"
)

func randSlice(r *rand.Rand, n int) []float32 {
	s := make([]float32, n)
	for i := range s {
		s[i] = float32(r.NormFloat64())
	}
	return s
}

// naiveGemm is the definition of GEMM in float64, the oracle for backends.
func naiveGemm(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) []float32 {
	out := make([]float32, len(c))
	copy(out, c)
	for i := 0; i < m; i++ {
		for j := 0; j < n; j++ {
			var s float64
			for p := 0; p < k; p++ {
				av, bv := a[i*lda+p], b[p*ldb+j]
				if transA {
					av = a[p*lda+i]
				}
				if transB {
					bv = b[j*ldb+p]
				}
				s += float64(av) * float64(bv)
			}
			prev := float64(0)
			if beta != 0 {
				prev = float64(beta) * float64(c[i*ldc+j])
			}
			out[i*ldc+j] = float32(float64(alpha)*s + prev)
		}
	}
	return out
}

func closeEnough(t *testing.T, what string, got, want []float32, tol float64) {
	t.Helper()
	for i := range want {
		if d := math.Abs(float64(got[i] - want[i])); d > tol*(1+math.Abs(float64(want[i]))) {
			t.Fatalf("%s: element %d = %v, want %v", what, i, got[i], want[i])
		}
	}
}

func TestSgemmAgainstDefinition(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	sizes := [][3]int{{1, 1, 1}, {3, 5, 7}, {17, 33, 9}, {64, 64, 64}, {5, 1, 130}, {129, 67, 31}}
	for _, sz := range sizes {
		m, n, k := sz[0], sz[1], sz[2]
		for _, ta := range []bool{false, true} {
			for _, tb := range []bool{false, true} {
				lda, ldb, ldc := k+3, n+2, n+1 // padded strides exercise ld handling
				if ta {
					lda = m + 3
				}
				if tb {
					ldb = k + 2
				}
				a := randSlice(r, max(m, k)*lda)
				b := randSlice(r, max(k, n)*ldb)
				c := randSlice(r, m*ldc)
				for _, beta := range []float32{0, 1, 0.5} {
					want := naiveGemm(ta, tb, m, n, k, 1.5, a, lda, b, ldb, beta, c, ldc)
					got := append([]float32(nil), c...)
					Sgemm(ta, tb, m, n, k, 1.5, a, lda, b, ldb, beta, got, ldc)
					for i := 0; i < m; i++ {
						closeEnough(t, "sgemm", got[i*ldc:i*ldc+n], want[i*ldc:i*ldc+n], 1e-4)
					}
				}
			}
		}
	}
}

// naiveConv is the definition of 2-D convolution, the oracle for Conv2D.
func naiveConv(p ConvParams, x, w, bias []float32) []float32 {
	oh, ow := p.OutH(), p.OutW()
	cg, kg := p.C/p.Groups, p.K/p.Groups
	y := make([]float32, p.N*p.K*oh*ow)
	for n := 0; n < p.N; n++ {
		for k := 0; k < p.K; k++ {
			g := k / kg
			for i := 0; i < oh; i++ {
				for j := 0; j < ow; j++ {
					var s float64
					if bias != nil {
						s = float64(bias[k])
					}
					for c := 0; c < cg; c++ {
						for r := 0; r < p.R; r++ {
							for q := 0; q < p.S; q++ {
								ih, iw := i*p.StrideH-p.PadT+r*p.DilH, j*p.StrideW-p.PadL+q*p.DilW
								if ih < 0 || ih >= p.H || iw < 0 || iw >= p.W {
									continue
								}
								s += float64(x[((n*p.C+g*cg+c)*p.H+ih)*p.W+iw]) * float64(w[((k*cg+c)*p.R+r)*p.S+q])
							}
						}
					}
					y[((n*p.K+k)*oh+i)*ow+j] = float32(s)
				}
			}
		}
	}
	return y
}

func TestConv2DAgainstDefinition(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	cases := []ConvParams{
		{N: 2, C: 3, H: 9, W: 7, K: 4, R: 3, S: 3, Groups: 1, StrideH: 1, StrideW: 1, DilH: 1, DilW: 1, PadT: 1, PadL: 1, PadB: 1, PadR: 1},
		{N: 1, C: 4, H: 10, W: 11, K: 6, R: 3, S: 2, Groups: 2, StrideH: 2, StrideW: 3, DilH: 1, DilW: 2, PadT: 0, PadL: 2, PadB: 1, PadR: 0},
		{N: 2, C: 8, H: 6, W: 6, K: 8, R: 3, S: 3, Groups: 8, StrideH: 2, StrideW: 2, DilH: 1, DilW: 1, PadT: 1, PadL: 1, PadB: 1, PadR: 1},
		{N: 1, C: 5, H: 4, W: 4, K: 7, R: 1, S: 1, Groups: 1, StrideH: 1, StrideW: 1, DilH: 1, DilW: 1},
		{N: 1, C: 2, H: 7, W: 7, K: 3, R: 3, S: 3, Groups: 1, StrideH: 1, StrideW: 1, DilH: 2, DilW: 2, PadT: 2, PadL: 0, PadB: 0, PadR: 2},
	}
	for i, p := range cases {
		if err := p.Validate(); err != nil {
			t.Fatalf("case %d: %v", i, err)
		}
		x := randSlice(r, p.N*p.C*p.H*p.W)
		w := randSlice(r, p.K*(p.C/p.Groups)*p.R*p.S)
		bias := randSlice(r, p.K)
		y := make([]float32, p.N*p.K*p.OutH()*p.OutW())
		Conv2D(p, x, w, bias, y)
		closeEnough(t, "conv", y, naiveConv(p, x, w, bias), 1e-4)
	}
}

func TestParallelCoversRange(t *testing.T) {
	defer SetThreads(SetThreads(3))
	for _, n := range []int{0, 1, 2, 7, 100} {
		seen := make([]int, n)
		Parallel(n, 1, func(lo, hi int) {
			for i := lo; i < hi; i++ {
				seen[i]++
			}
		})
		for i, c := range seen {
			if c != 1 {
				t.Fatalf("n=%d: index %d visited %d times", n, i, c)
			}
		}
	}
}
