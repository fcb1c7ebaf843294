package kernels

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

func naiveMaxPool(p PoolParams, x []float32) []float32 {
	y := make([]float32, p.N*p.C*p.OutH*p.OutW)
	for nc := 0; nc < p.N*p.C; nc++ {
		for i := 0; i < p.OutH; i++ {
			for j := 0; j < p.OutW; j++ {
				m := float32(math.Inf(-1))
				for r := 0; r < p.KH; r++ {
					for s := 0; s < p.KW; s++ {
						ih, iw := i*p.StrideH-p.PadT+r*p.DilH, j*p.StrideW-p.PadL+s*p.DilW
						if ih >= 0 && ih < p.H && iw >= 0 && iw < p.W {
							m = max(m, x[(nc*p.H+ih)*p.W+iw])
						}
					}
				}
				y[(nc*p.OutH+i)*p.OutW+j] = m
			}
		}
	}
	return y
}

func TestMaxPool2D(t *testing.T) {
	forEachBackend(t, func(t *testing.T, _ Backend) {
		r := rand.New(rand.NewPCG(13, 14))
		out := func(in, k, s, d, pb, pe int, ceil bool) int {
			n := in + pb + pe - d*(k-1) - 1
			if ceil {
				return (n+s-1)/s + 1
			}
			return n/s + 1
		}
		for _, tc := range []struct{ n, c, h, w, k, s, d, pad int }{
			{1, 3, 112, 112, 3, 2, 1, 1}, {2, 4, 9, 10, 2, 2, 1, 0}, {1, 2, 13, 70, 3, 1, 1, 1},
			{1, 5, 17, 15, 3, 2, 2, 2}, {3, 1, 5, 5, 5, 1, 1, 2}, {1, 2, 8, 8, 1, 3, 1, 0},
		} {
			for _, ceil := range []bool{false, true} {
				p := PoolParams{N: tc.n, C: tc.c, H: tc.h, W: tc.w, KH: tc.k, KW: tc.k, StrideH: tc.s, StrideW: tc.s,
					DilH: tc.d, DilW: tc.d, PadT: tc.pad, PadL: tc.pad,
					OutH: out(tc.h, tc.k, tc.s, tc.d, tc.pad, tc.pad, ceil), OutW: out(tc.w, tc.k, tc.s, tc.d, tc.pad, tc.pad, ceil)}
				x := randSlice(r, p.N*p.C*p.H*p.W)
				y := make([]float32, p.N*p.C*p.OutH*p.OutW)
				MaxPool2D(p, x, y)
				closeEnough(t, fmt.Sprintf("%+v", p), y, naiveMaxPool(p, x), 0)
			}
		}
	})
}

func TestReluAndVectorHelpers(t *testing.T) {
	r := rand.New(rand.NewPCG(15, 16))
	for _, n := range []int{0, 1, 7, 8, 31, 32, 33, 100, 70000} {
		x := randSlice(r, n)
		x2 := randSlice(r, n)
		y := make([]float32, n)
		ReluF32(y, x)
		var dot float64
		for i, v := range x {
			if want := max(v, 0); y[i] != want {
				t.Fatalf("relu n=%d: y[%d] = %v, want %v", n, i, y[i], want)
			}
			dot += float64(v) * float64(x2[i])
		}
		if got := dotF32(x, x2); math.Abs(float64(got)-dot) > 1e-4*(1+math.Abs(dot))*math.Sqrt(float64(n+1)) {
			t.Fatalf("dot n=%d: %v, want %v", n, got, dot)
		}
		z := append([]float32(nil), x2...)
		axpyF32(z, x, 0.5)
		for i := range z {
			if want := x2[i] + 0.5*x[i]; math.Abs(float64(z[i]-want)) > 1e-6 {
				t.Fatalf("axpy n=%d: z[%d] = %v, want %v", n, i, z[i], want)
			}
		}
	}
	nan := float32(math.NaN())
	y := make([]float32, 1)
	ReluF32(y, []float32{nan})
	if !math.IsNaN(float64(y[0])) {
		t.Fatalf("relu(NaN) = %v", y[0])
	}
}
