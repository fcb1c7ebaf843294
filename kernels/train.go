package kernels

import "fmt"

// Memory-bound passes of training: ReLU's backward and batch
// normalisation's statistics, affine map and backward. Each is one or two
// sweeps over an activation tensor, so they run as AVX2 loops (when
// available) split over the threads. Reductions add float32 partial sums
// of short runs (statChunk values) in float64, which keeps them as accurate
// as a float64 loop for any plane size.

// trainSIMD selects the assembly loops (tests turn it off to check the Go
// ones).
var trainSIMD = simdHelpers

// statChunk is the longest run summed in float32 before the partial sum is
// added in float64.
const statChunk = 2048

// ReluGradF32 sets dx[i] = dy[i] where x[i] > 0 and 0 elsewhere: ReLU's
// backward, with x its input or its output. dx may alias dy.
func ReluGradF32(dx, dy, x []float32) {
	if len(dy) < len(dx) || len(x) < len(dx) {
		panic("kernels: ReluGradF32: operand shorter than dx")
	}
	parallelN(threads, len(dx), 1<<15, func(lo, hi int) {
		d, g, v := dx[lo:hi], dy[lo:hi], x[lo:hi]
		i := 0
		if trainSIMD {
			i = reluGradF32(d, g, v)
		}
		for ; i < len(d); i++ {
			if v[i] > 0 {
				d[i] = g[i]
			} else {
				d[i] = 0
			}
		}
	})
}

// checkNCHW panics unless the tensors hold n·c·hw values and the
// per-channel slices c.
func checkNCHW(name string, n, c, hw int, tensors [][]float32, perChannel ...int) {
	for _, t := range tensors {
		if len(t) < n*c*hw {
			panic(fmt.Sprintf("kernels: %s: tensor of %d values for %d×%d×%d", name, len(t), n, c, hw))
		}
	}
	for _, l := range perChannel {
		if l < c {
			panic(fmt.Sprintf("kernels: %s: %d per-channel values for %d channels", name, l, c))
		}
	}
}

// BatchNormStats sets mean[ch] and variance[ch] (population variance) of
// channel ch of NCHW data x with n images and hw pixels per channel, in two
// passes (the mean, then squared deviations from it) like a float64 loop;
// the second pass over a channel mostly hits the cache.
func BatchNormStats(x []float32, n, c, hw int, mean, variance []float32) {
	checkNCHW("BatchNormStats", n, c, hw, [][]float32{x}, len(mean), len(variance))
	count := float64(n * hw)
	parallelN(threads, c, 1, func(lo, hi int) {
		for ch := lo; ch < hi; ch++ {
			var s float64
			for i := 0; i < n; i++ {
				plane := x[(i*c+ch)*hw : (i*c+ch+1)*hw]
				for o := 0; o < hw; o += statChunk {
					s += float64(sumRun(plane[o:min(hw, o+statChunk)]))
				}
			}
			mu := s / count
			var m2 float64
			for i := 0; i < n; i++ {
				plane := x[(i*c+ch)*hw : (i*c+ch+1)*hw]
				for o := 0; o < hw; o += statChunk {
					m2 += float64(sumSqDevRun(plane[o:min(hw, o+statChunk)], float32(mu)))
				}
			}
			mean[ch], variance[ch] = float32(mu), float32(m2/count)
		}
	})
}

// BatchNormAffine sets y = x·scale[ch] + shift[ch] for every value of
// channel ch (NCHW), then, when relu is set, max(y, 0) (a ReLU fused into
// batch norm; NaN stays NaN, as in ReLU). y may alias x.
func BatchNormAffine(y, x []float32, n, c, hw int, scale, shift []float32, relu bool) {
	checkNCHW("BatchNormAffine", n, c, hw, [][]float32{y, x}, len(scale), len(shift))
	parallelN(threads, n*c, max(1, (1<<14)/max(hw, 1)), func(lo, hi int) {
		for nc := lo; nc < hi; nc++ {
			ch := nc % c
			src, dst := x[nc*hw:(nc+1)*hw], y[nc*hw:(nc+1)*hw]
			a, b := scale[ch], shift[ch]
			j := 0
			switch {
			case trainSIMD && relu:
				j = affineReluF32(dst, src, a, b)
			case trainSIMD:
				j = affineF32(dst, src, a, b)
			}
			for ; j < len(dst); j++ {
				v := src[j]*a + b
				if relu && v < 0 {
					v = 0
				}
				dst[j] = v
			}
		}
	})
}

// AddF32 sets y = a + b elementwise, then, when relu is set, max(y, 0)
// (a ReLU fused into the sum). y may alias a or b.
func AddF32(y, a, b []float32, relu bool) {
	if len(a) < len(y) || len(b) < len(y) {
		panic("kernels: AddF32: operand shorter than y")
	}
	parallelN(threads, len(y), 1<<15, func(lo, hi int) {
		d, u, v := y[lo:hi], a[lo:hi], b[lo:hi]
		j := 0
		if trainSIMD {
			j = addF32(d, u, v, relu)
		}
		for ; j < len(d); j++ {
			s := u[j] + v[j]
			if relu && s < 0 {
				s = 0
			}
			d[j] = s
		}
	})
}

// BatchNormGradSums sets sumDy[ch] = Σ g and sumDyX[ch] = Σ g·(x − mean[ch])
// over channel ch (NCHW), the two reductions of batch norm's backward, with
// g = dy, or, when mask is not nil, g = dy where mask > 0 and 0 elsewhere:
// the gradient through a ReLU fused after batch norm, mask its output.
func BatchNormGradSums(dy, mask, x []float32, n, c, hw int, mean []float32, sumDy, sumDyX []float64) {
	checkNCHW("BatchNormGradSums", n, c, hw, [][]float32{dy, x}, len(mean), len(sumDy), len(sumDyX))
	if mask != nil {
		checkNCHW("BatchNormGradSums", n, c, hw, [][]float32{mask})
	}
	parallelN(threads, c, 1, func(lo, hi int) {
		for ch := lo; ch < hi; ch++ {
			var s, d float64
			for i := 0; i < n; i++ {
				base := (i*c + ch) * hw
				for o := 0; o < hw; o += statChunk {
					e := min(hw, o+statChunk)
					var rs, rd float32
					if mask != nil {
						rs, rd = sumDevDotMaskRun(dy[base+o:base+e], mask[base+o:base+e], x[base+o:base+e], mean[ch])
					} else {
						rs, rd = sumDevDotRun(dy[base+o:base+e], x[base+o:base+e], mean[ch])
					}
					s += float64(rs)
					d += float64(rd)
				}
			}
			sumDy[ch], sumDyX[ch] = s, d
		}
	})
}

// BatchNormGradInput sets dx = a[ch]·g + b[ch]·x + c0[ch] over channel ch
// (NCHW), batch norm's input gradient once its reductions are known, with
// g as in BatchNormGradSums (dy, masked by mask > 0 when mask is not nil).
// dx may alias dy.
func BatchNormGradInput(dx, dy, mask, x []float32, n, c, hw int, a, b, c0 []float32) {
	checkNCHW("BatchNormGradInput", n, c, hw, [][]float32{dx, dy, x}, len(a), len(b), len(c0))
	if mask != nil {
		checkNCHW("BatchNormGradInput", n, c, hw, [][]float32{mask})
	}
	parallelN(threads, n*c, max(1, (1<<14)/max(hw, 1)), func(lo, hi int) {
		for nc := lo; nc < hi; nc++ {
			ch := nc % c
			d, g, v := dx[nc*hw:(nc+1)*hw], dy[nc*hw:(nc+1)*hw], x[nc*hw:(nc+1)*hw]
			ac, bc, cc := a[ch], b[ch], c0[ch]
			j := 0
			if mask != nil {
				m := mask[nc*hw : (nc+1)*hw]
				if trainSIMD {
					j = affine2MaskF32(d, g, m, v, ac, bc, cc)
				}
				for ; j < len(d); j++ {
					gj := g[j]
					if !(m[j] > 0) {
						gj = 0
					}
					d[j] = ac*gj + bc*v[j] + cc
				}
				continue
			}
			if trainSIMD {
				j = affine2F32(d, g, v, ac, bc, cc)
			}
			for ; j < len(d); j++ {
				d[j] = ac*g[j] + bc*v[j] + cc
			}
		}
	})
}

func sumRun(x []float32) float32 {
	if trainSIMD {
		return sumF32(x)
	}
	return sumGo(x)
}

func sumSqDevRun(x []float32, m float32) float32 {
	if trainSIMD {
		return sumSqDevF32(x, m)
	}
	return sumSqDevGo(x, m)
}

func sumDevDotRun(dy, x []float32, m float32) (float32, float32) {
	if trainSIMD {
		return sumDevDotF32(dy, x, m)
	}
	return sumDevDotGo(dy, x, m)
}

func sumDevDotMaskRun(dy, y, x []float32, m float32) (float32, float32) {
	if trainSIMD {
		return sumDevDotMaskF32(dy, y, x, m)
	}
	return sumDevDotMaskGo(dy, y, x, m)
}

// sumDevDotMaskGo is sumDevDotMaskF32 in Go.
func sumDevDotMaskGo(dy, y, x []float32, m float32) (s, d float32) {
	y, x = y[:len(dy)], x[:len(dy)]
	for i, g := range dy {
		if y[i] > 0 {
			s += g
			d += g * (x[i] - m)
		}
	}
	return s, d
}

// sumGo is sumF32 in Go.
func sumGo(x []float32) float32 {
	var s0, s1, s2, s3 float32
	i := 0
	for ; i+4 <= len(x); i += 4 {
		s0 += x[i]
		s1 += x[i+1]
		s2 += x[i+2]
		s3 += x[i+3]
	}
	for ; i < len(x); i++ {
		s0 += x[i]
	}
	return (s0 + s1) + (s2 + s3)
}

// sumSqDevGo is sumSqDevF32 in Go.
func sumSqDevGo(x []float32, m float32) float32 {
	var s0, s1 float32
	i := 0
	for ; i+2 <= len(x); i += 2 {
		d0, d1 := x[i]-m, x[i+1]-m
		s0 += d0 * d0
		s1 += d1 * d1
	}
	for ; i < len(x); i++ {
		d := x[i] - m
		s0 += d * d
	}
	return s0 + s1
}

// sumDevDotGo is sumDevDotF32 in Go.
func sumDevDotGo(dy, x []float32, m float32) (s, d float32) {
	x = x[:len(dy)]
	for i, g := range dy {
		s += g
		d += g * (x[i] - m)
	}
	return s, d
}
