package kernels

import "math"

// Float32 e^x and erf for the hot activations of training and inference
// (softmax, GELU). math.Exp and math.Erf work in float64 and cost several
// times more; these keep float32 accuracy (relative error of e^x ≤ 3e-7,
// absolute error of erf ≤ 3e-7). The slice functions run 8 values at a
// time in AVX2 (math_amd64.s) with the same algorithms; the scalar ones
// finish the tails and serve other architectures.

// Exp32 is e^x: x = n·ln2 + r with |r| ≤ ln2/2, e^r by a degree-6 Taylor
// polynomial, and 2^n by building the exponent bits.
func Exp32(x float32) float32 {
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

// Erf32 is the error function by Abramowitz & Stegun 7.1.26 refined: for
// |x| < 0.5 a Taylor series (relative accuracy near 0), else
// 1 − t·e^(−x²)·P(t) with t = 1/(1 + 0.5|x|) (Numerical Recipes' erfc,
// fractional error < 1.2e-7).
func Erf32(x float32) float32 {
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
	y := t * Exp32(-ax*ax-1.26551223+t*(1.00002368+t*(0.37409196+t*(0.09678418+
		t*(-0.18628806+t*(0.27886807+t*(-1.13520398+t*(1.48851587+t*(-0.82215223+t*0.17087277)))))))))
	if x < 0 {
		return y - 1
	}
	return 1 - y
}

// Gelu32 is x·Φ(x) = 0.5·x·(1 + erf(x/√2)) and Gelu32Grad its derivative
// Φ(x) + x·φ(x).
func Gelu32(x float32) float32 { return 0.5 * x * (1 + Erf32(x*0.70710678118654752)) }

// Gelu32Grad is the derivative of Gelu32.
func Gelu32Grad(x float32) float32 {
	return 0.5*(1+Erf32(x*0.70710678118654752)) + x*0.39894228040143268*Exp32(-0.5*x*x)
}

// ExpShiftF32 sets y[i] = e^(x[i] − shift) for i < len(y) (softmax's
// exponentials, shift its row maximum). It runs on the calling goroutine.
func ExpShiftF32(y, x []float32, shift float32) {
	x = x[:len(y)]
	i := 0
	if trainSIMD {
		i = expShiftF32(y, x, shift)
	}
	for ; i < len(y); i++ {
		y[i] = Exp32(x[i] - shift)
	}
}

// GeluF32 sets y[i] = GELU(x[i]) (the erf form) for i < len(y), split over
// the threads. y may alias x.
func GeluF32(y, x []float32) {
	x = x[:len(y)]
	parallelN(threads, len(y), 1<<13, func(lo, hi int) {
		i := 0
		if trainSIMD {
			i = geluF32(y[lo:hi], x[lo:hi])
		}
		for i += lo; i < hi; i++ {
			y[i] = Gelu32(x[i])
		}
	})
}

// GeluGradF32 sets dx[i] = dy[i]·GELU'(x[i]) for i < len(dx), split over
// the threads. dx may alias dy.
func GeluGradF32(dx, dy, x []float32) {
	dy, x = dy[:len(dx)], x[:len(dx)]
	parallelN(threads, len(dx), 1<<13, func(lo, hi int) {
		i := 0
		if trainSIMD {
			i = geluGradF32(dx[lo:hi], dy[lo:hi], x[lo:hi])
		}
		for i += lo; i < hi; i++ {
			dx[i] = dy[i] * Gelu32Grad(x[i])
		}
	})
}
