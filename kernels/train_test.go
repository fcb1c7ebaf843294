package kernels

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// forEachHelpers runs f with the assembly loops on (where available) and off.
func forEachHelpers(t *testing.T, f func(t *testing.T)) {
	for _, on := range []bool{true, false} {
		if on && !simdHelpers {
			continue
		}
		t.Run(fmt.Sprint("simd=", on), func(t *testing.T) {
			defer func(v bool) { trainSIMD = v }(trainSIMD)
			trainSIMD = on
			f(t)
		})
	}
}

func TestReluGradF32(t *testing.T) {
	forEachHelpers(t, func(t *testing.T) {
		r := rand.New(rand.NewPCG(1, 1))
		for _, n := range []int{0, 1, 7, 8, 9, 31, 32, 33, 100, 70001} {
			dy, x := randSlice(r, n), randSlice(r, n)
			if n > 3 {
				x[0], x[1], x[2] = 0, float32(math.NaN()), float32(math.Copysign(0, -1))
			}
			dx := randSlice(r, n)
			ReluGradF32(dx, dy, x)
			for i := range dx {
				want := float32(0)
				if x[i] > 0 {
					want = dy[i]
				}
				if dx[i] != want {
					t.Fatalf("n=%d: dx[%d] = %v, want %v (x %v)", n, i, dx[i], want, x[i])
				}
			}
		}
	})
}

func TestAddF32(t *testing.T) {
	forEachHelpers(t, func(t *testing.T) {
		r := rand.New(rand.NewPCG(3, 3))
		for _, n := range []int{0, 1, 7, 8, 9, 33, 100, 70001} {
			a, b := randSlice(r, n), randSlice(r, n)
			if n > 2 {
				a[1] = float32(math.NaN()) // ReLU keeps NaN
			}
			for _, relu := range []bool{false, true} {
				y := randSlice(r, n)
				AddF32(y, a, b, relu)
				for i := range y {
					want := a[i] + b[i]
					if relu && want < 0 {
						want = 0
					}
					if y[i] != want && !(math.IsNaN(float64(y[i])) && math.IsNaN(float64(want))) {
						t.Fatalf("n=%d relu=%v: y[%d] = %v, want %v", n, relu, i, y[i], want)
					}
				}
			}
		}
	})
}

func TestBatchNormKernels(t *testing.T) {
	forEachHelpers(t, func(t *testing.T) {
		r := rand.New(rand.NewPCG(2, 2))
		for _, sh := range [][3]int{{1, 1, 1}, {2, 3, 5}, {4, 16, 49}, {3, 2, 2500}, {5, 7, 33}} {
			for _, relu := range []bool{false, true} {
				checkBatchNormKernels(t, r, sh, relu)
			}
		}
	})
}

// checkBatchNormKernels compares the batch-norm kernels with float64 loops;
// with relu, the affine map is followed by ReLU and the gradient kernels
// take its output as their mask.
func checkBatchNormKernels(t *testing.T, r *rand.Rand, sh [3]int, relu bool) {
	t.Helper()
	n, c, hw := sh[0], sh[1], sh[2]
	x, dy := randSlice(r, n*c*hw), randSlice(r, n*c*hw)
	for i := range x {
		x[i] = 3 + 2*x[i] // an offset, as activations have
	}
	mean, variance := make([]float32, c), make([]float32, c)
	BatchNormStats(x, n, c, hw, mean, variance)
	scale, shift := randSlice(r, c), randSlice(r, c)
	y := make([]float32, len(x))
	BatchNormAffine(y, x, n, c, hw, scale, shift, relu)
	var mask []float32
	if relu {
		mask = y
	}
	sdy, sdx := make([]float64, c), make([]float64, c)
	BatchNormGradSums(dy, mask, x, n, c, hw, mean, sdy, sdx)
	a, b := randSlice(r, c), randSlice(r, c)
	dx := make([]float32, len(x))
	BatchNormGradInput(dx, dy, mask, x, n, c, hw, a, b, shift)
	what := fmt.Sprintf("%v relu=%v", sh, relu)
	for ch := 0; ch < c; ch++ {
		var s, s2, g, gx float64
		for i := 0; i < n; i++ {
			for _, v := range x[(i*c+ch)*hw : (i*c+ch+1)*hw] {
				s += float64(v)
			}
		}
		mu := s / float64(n*hw)
		for i := 0; i < n; i++ {
			base := (i*c + ch) * hw
			for j := 0; j < hw; j++ {
				d := float64(x[base+j]) - mu
				s2 += d * d
				gj := float64(dy[base+j])
				if relu && !(y[base+j] > 0) {
					gj = 0
				}
				g += gj
				gx += gj * (float64(x[base+j]) - float64(mean[ch]))
				wantY := float64(x[base+j])*float64(scale[ch]) + float64(shift[ch])
				if relu {
					wantY = max(wantY, 0)
				}
				if math.Abs(float64(y[base+j])-wantY) > 1e-5*(1+math.Abs(wantY)) {
					t.Fatalf("%s: affine y[%d] = %v, want %v", what, base+j, y[base+j], wantY)
				}
				want := float64(a[ch])*gj + float64(b[ch])*float64(x[base+j]) + float64(shift[ch])
				if math.Abs(float64(dx[base+j])-want) > 1e-5*(1+math.Abs(want)) {
					t.Fatalf("%s: dx[%d] = %v, want %v", what, base+j, dx[base+j], want)
				}
			}
		}
		v := s2 / float64(n*hw)
		cnt := float64(n * hw)
		for _, e := range []struct {
			what      string
			got, want float64
			tol       float64
		}{
			{"mean", float64(mean[ch]), mu, 1e-6},
			{"variance", float64(variance[ch]), v, 1e-5},
			{"Σdy", sdy[ch], g, 1e-5 * math.Sqrt(cnt)},
			{"Σdy·(x−μ)", sdx[ch], gx, 1e-5 * math.Sqrt(cnt)},
		} {
			if math.Abs(e.got-e.want) > e.tol*(1+math.Abs(e.want)) {
				t.Fatalf("%s channel %d: %s = %v, want %v", what, ch, e.what, e.got, e.want)
			}
		}
	}
}
