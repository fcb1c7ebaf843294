package ops

import (
	"math"
	"testing"
)

func TestFastMathAccuracy(t *testing.T) {
	var worstExp, worstErf, worstGelu float64
	for x := -30.0; x <= 30; x += 0.000731 {
		xf := float32(x)
		want := math.Exp(float64(xf))
		if want > 1e-30 {
			worstExp = math.Max(worstExp, math.Abs(float64(exp32(xf))-want)/want)
		}
		worstErf = math.Max(worstErf, math.Abs(float64(erf32(xf))-math.Erf(float64(xf))))
		g := 0.5 * float64(xf) * (1 + math.Erf(float64(xf)/math.Sqrt2))
		worstGelu = math.Max(worstGelu, math.Abs(float64(gelu32(xf))-g)/math.Max(1, math.Abs(g)))
	}
	t.Logf("max rel err exp32 %.2g, max abs err erf32 %.2g, gelu32 %.2g", worstExp, worstErf, worstGelu)
	if worstExp > 3e-7 || worstErf > 3e-7 || worstGelu > 5e-7 {
		t.Fatalf("exp32 %.3g, erf32 %.3g, gelu32 %.3g exceed their bounds", worstExp, worstErf, worstGelu)
	}
	if exp32(100) != float32(math.Inf(1)) || exp32(-100) != 0 || erf32(5) != 1 || erf32(-5) != -1 {
		t.Fatal("saturation wrong")
	}
	for _, x := range []float32{-3, -0.7, 0, 0.4, 2} {
		h := float32(1e-2)
		num := (float64(gelu32(x+h)) - float64(gelu32(x-h))) / float64(2*h)
		if math.Abs(num-float64(gelu32Grad(x))) > 1e-3 {
			t.Fatalf("gelu32Grad(%v) = %v, finite difference %v", x, gelu32Grad(x), num)
		}
	}
}
