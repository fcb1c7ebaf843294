package kernels

import (
	"math"
	"testing"
)

// TestMathF32 checks the vectorised and scalar e^x, GELU and GELU' against
// float64 over a dense range, with the bounds ops' exp32/erf32 promise, and
// the special values.
func TestMathF32(t *testing.T) {
	var xs []float32
	for x := -30.0; x <= 30; x += 0.000731 {
		xs = append(xs, float32(x))
	}
	xs = append(xs, 0, -0.5, 0.5, 88, -87, 100, -100, float32(math.NaN()), float32(math.Inf(1)), float32(math.Inf(-1)))
	forEachHelpers(t, func(t *testing.T) {
		e, g, d := make([]float32, len(xs)), make([]float32, len(xs)), make([]float32, len(xs))
		ones := make([]float32, len(xs))
		for i := range ones {
			ones[i] = 1
		}
		ExpShiftF32(e, xs, 0)
		GeluF32(g, xs)
		GeluGradF32(d, ones, xs)
		var worstExp, worstGelu, worstGrad float64
		for i, xf := range xs {
			x := float64(xf)
			switch {
			case math.IsNaN(x):
				if !math.IsNaN(float64(e[i])) {
					t.Fatalf("exp(NaN) = %v", e[i])
				}
				continue
			case x > 88.72:
				if !math.IsInf(float64(e[i]), 1) {
					t.Fatalf("exp(%v) = %v, want +Inf", x, e[i])
				}
				continue
			case x < -87.33:
				if e[i] != 0 {
					t.Fatalf("exp(%v) = %v, want 0", x, e[i])
				}
				continue
			}
			if want := math.Exp(x); want > 1e-30 && want < 1e38 {
				worstExp = math.Max(worstExp, math.Abs(float64(e[i])-want)/want)
			}
			if math.Abs(x) > 30 {
				continue
			}
			wg := 0.5 * x * (1 + math.Erf(x/math.Sqrt2))
			worstGelu = math.Max(worstGelu, math.Abs(float64(g[i])-wg)/math.Max(1, math.Abs(wg)))
			wd := 0.5*(1+math.Erf(x/math.Sqrt2)) + x*math.Exp(-x*x/2)/math.Sqrt(2*math.Pi)
			worstGrad = math.Max(worstGrad, math.Abs(float64(d[i])-wd)/math.Max(1, math.Abs(wd)))
		}
		t.Logf("max rel err exp %.2g, gelu %.2g, gelu' %.2g", worstExp, worstGelu, worstGrad)
		if worstExp > 3e-7 || worstGelu > 5e-7 || worstGrad > 1e-6 {
			t.Fatalf("exp %.3g, gelu %.3g, gelu' %.3g exceed their bounds", worstExp, worstGelu, worstGrad)
		}
	})
}
