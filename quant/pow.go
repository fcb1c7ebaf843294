package quant

import "math"

// pow24 is a^2.4 for a ≥ 0 to about 1e-10 relative error, several times
// faster than math.Pow: with a = m·2^e (m in [0.5, 1)),
// a^2.4 = a²·m^0.4·2^(0.4e), where m^0.4 is a degree-10 Chebyshev
// interpolant on [0.5, 1] and 2^(0.4e) = 2^q·2^(r/5) for 2e = 5q + r.
// The MSE range search spends its time here.
func pow24(a float64) float64 {
	if a == 0 || math.IsInf(a, 0) || a != a {
		return math.Pow(a, mseNorm)
	}
	m, e := math.Frexp(a)
	t := 8*m - 6 // maps [0.5, 1] onto [−2, 2] = 2·[−1, 1] for Clenshaw
	var b1, b2 float64
	for i := len(pow04Cheb) - 1; i >= 1; i-- {
		b1, b2 = t*b1-b2+pow04Cheb[i], b1
	}
	p := t/2*b1 - b2 + pow04Cheb[0]
	q := floorDiv(2*e, 5)
	return math.Ldexp(a*a*p*pow02Table[2*e-5*q], q)
}

func floorDiv(a, b int) int {
	q := a / b
	if (a%b != 0) && ((a < 0) != (b < 0)) {
		q--
	}
	return q
}

// pow02Table holds 2^(r/5), r = 0..4.
var pow02Table = [5]float64{1, 1.1486983549970351, 1.3195079107728942, 1.5157165665103980, 1.7411011265922482}

// pow04Cheb are the Chebyshev coefficients of m^0.4 in t = (m − 0.75)/0.25.
var pow04Cheb = [...]float64{
	0.88517818178293717,
	0.12049776593401677,
	-0.0061850209073961108,
	0.0005651739201012751,
	-6.2976615906667113e-05,
	7.7752943512678075e-06,
	-1.0223458240885223e-06,
	1.4028319632227775e-07,
	-1.9852098830561293e-08,
	2.8757071205804014e-09,
	-4.242530808291333e-10,
}
