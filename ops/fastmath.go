package ops

import "math"

// Float32 exp and erf for the hot activations (softmax, GELU) of training
// and inference. math.Exp/math.Erf work in float64 and cost several times
// more; these keep float32 accuracy (relative error of exp ≤ 3e-7, absolute
// error of erf ≤ 3e-7, see fastmath_test.go), far inside what float32 models
// and the 1e-4 fidelity checks against PyTorch need.

// exp32 is e^x: x = n·ln2 + r with |r| ≤ ln2/2, e^r by a degree-6 Taylor
// polynomial, and 2^n by building the exponent bits.
func exp32(x float32) float32 {
	switch {
	case x > 88.72:
		return float32(math.Inf(1))
	case x < -87.33:
		return 0
	case x != x:
		return x
	}
	const ln2hi, ln2lo = 0.693359375, -2.12194440e-4
	k := x * 1.44269504088896341
	var n int32 // k rounded to nearest, without a float64 round trip
	if k >= 0 {
		n = int32(k + 0.5)
	} else {
		n = int32(k - 0.5)
	}
	fn := float32(n)
	r := x - fn*ln2hi - fn*ln2lo
	p := 1 + r*(1+r*(0.5+r*(1.0/6+r*(1.0/24+r*(1.0/120+r*(1.0/720))))))
	return p * math.Float32frombits(uint32(n+127)<<23)
}

// erf32 is the error function by Abramowitz & Stegun 7.1.26 refined: for
// |x| < 0.5 a Taylor series (relative accuracy near 0), else
// 1 − t·e^(−x²)·P(t) with t = 1/(1 + 0.5|x|) (Numerical Recipes' erfc,
// fractional error < 1.2e-7).
func erf32(x float32) float32 {
	ax := x
	if ax < 0 {
		ax = -ax
	}
	if ax < 0.5 {
		x2 := x * x
		// 2/√π · (x − x³/3 + x⁵/10 − x⁷/42 + x⁹/216 − x¹¹/1320)
		return x * 1.1283791670955126 * (1 + x2*(-1.0/3+x2*(1.0/10+x2*(-1.0/42+x2*(1.0/216+x2*(-1.0/1320))))))
	}
	t := 1 / (1 + 0.5*ax)
	y := t * exp32(-ax*ax-1.26551223+t*(1.00002368+t*(0.37409196+t*(0.09678418+
		t*(-0.18628806+t*(0.27886807+t*(-1.13520398+t*(1.48851587+t*(-0.82215223+t*0.17087277)))))))))
	if x < 0 {
		return y - 1
	}
	return 1 - y
}

// gelu32 is x·Φ(x) = 0.5·x·(1 + erf(x/√2)) and gelu32Grad its derivative
// Φ(x) + x·φ(x).
func gelu32(x float32) float32 { return 0.5 * x * (1 + erf32(x*0.70710678118654752)) }

func gelu32Grad(x float32) float32 {
	return 0.5*(1+erf32(x*0.70710678118654752)) + x*0.39894228040143268*exp32(-0.5*x*x)
}
