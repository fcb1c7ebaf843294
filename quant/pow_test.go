package quant

import (
	"math"
	"math/rand/v2"
	"testing"
)

func TestPow24(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for i := 0; i < 200000; i++ {
		a := math.Exp(r.Float64()*120 - 90) // 1e-39 … 1e13
		if i < 5 {
			a = []float64{0.5, 1, 0.75, 2, 1e-45}[i]
		}
		got, want := pow24(a), math.Pow(a, 2.4)
		if math.Abs(got/want-1) > 1e-9 {
			t.Fatalf("pow24(%g) = %g, math.Pow %g", a, got, want)
		}
	}
	if pow24(0) != 0 {
		t.Error("pow24(0) != 0")
	}
}
