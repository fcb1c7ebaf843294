package kernels

import (
	"fmt"
	"math/rand/v2"
	"testing"
)

// naiveIntConv is the definition of the integer convolution with padding
// value pad, in int64 then wrapped to int32.
func naiveIntConv[T uint8 | int8](p ConvParams, x []T, pad T, w []int8, bias []int32) []int32 {
	oh, ow := p.OutH(), p.OutW()
	cg, kg := p.C/p.Groups, p.K/p.Groups
	y := make([]int32, p.N*p.K*oh*ow)
	for n := 0; n < p.N; n++ {
		for k := 0; k < p.K; k++ {
			g := k / kg
			for i := 0; i < oh; i++ {
				for j := 0; j < ow; j++ {
					var s int64
					if bias != nil {
						s = int64(bias[k])
					}
					for c := 0; c < cg; c++ {
						for r := 0; r < p.R; r++ {
							for q := 0; q < p.S; q++ {
								ih, iw := i*p.StrideH-p.PadT+r*p.DilH, j*p.StrideW-p.PadL+q*p.DilW
								v := pad
								if ih >= 0 && ih < p.H && iw >= 0 && iw < p.W {
									v = x[((n*p.C+g*cg+c)*p.H+ih)*p.W+iw]
								}
								s += int64(v) * int64(w[((k*cg+c)*p.R+r)*p.S+q])
							}
						}
					}
					y[((n*p.K+k)*oh+i)*ow+j] = int32(s)
				}
			}
		}
	}
	return y
}

func TestIntConvBackends(t *testing.T) {
	forEachBackend(t, func(t *testing.T, _ Backend) {
		r := rand.New(rand.NewPCG(11, 12))
		for _, thr := range []int{1, 2} {
			defer SetThreads(SetThreads(thr))
			for i, p := range convCases() {
				what := fmt.Sprintf("threads %d case %d %+v", thr, i, p)
				w := extremes[int8](r, p.K*(p.C/p.Groups)*p.R*p.S, -128, 127)
				bias := make([]int32, p.K)
				for j := range bias {
					bias[j] = int32(r.Uint32()) >> 4
				}
				pw := PackConv(p, w)
				xu := extremes[uint8](r, p.N*p.C*p.H*p.W, 0, 255)
				xs := extremes[int8](r, p.N*p.C*p.H*p.W, -128, 127)
				n := p.N * p.K * p.OutH() * p.OutW()
				for _, pad := range []int{0, 37, 255} {
					y := make([]int32, n)
					ConvU8S8Packed(p, xu, uint8(pad), pw, bias, y)
					sameInts(t, fmt.Sprintf("ConvU8S8 pad %d %s", pad, what), y, naiveIntConv(p, xu, uint8(pad), w, bias))
				}
				for _, pad := range []int{-128, 0, 127} {
					y := make([]int32, n)
					ConvS8S8Packed(p, xs, int8(pad), pw, nil, y)
					sameInts(t, fmt.Sprintf("ConvS8S8 pad %d %s", pad, what), y, naiveIntConv(p, xs, int8(pad), w, nil))
				}
				y := make([]int32, n)
				ConvS8S8(p, xs, 5, w, bias, y)
				sameInts(t, "ConvS8S8 raw weights "+what, y, naiveIntConv(p, xs, 5, w, bias))
			}
		}
	})
}
