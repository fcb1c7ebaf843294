package kernels

import (
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"
	"testing"
)

// naiveConvGrads is the definition of the convolution's weight and input
// gradients in float64, the oracle for Conv2DWeightGrad and Conv2DInputGrad.
func naiveConvGrads(p ConvParams, x, w, dy []float32) (dw, dx []float32) {
	oh, ow := p.OutH(), p.OutW()
	cg, kg := p.C/p.Groups, p.K/p.Groups
	dw64 := make([]float64, p.K*cg*p.R*p.S)
	dx64 := make([]float64, len(x))
	for n := 0; n < p.N; n++ {
		for k := 0; k < p.K; k++ {
			g := k / kg
			for i := 0; i < oh; i++ {
				for j := 0; j < ow; j++ {
					d := float64(dy[((n*p.K+k)*oh+i)*ow+j])
					for c := 0; c < cg; c++ {
						for r := 0; r < p.R; r++ {
							for q := 0; q < p.S; q++ {
								ih, iw := i*p.StrideH-p.PadT+r*p.DilH, j*p.StrideW-p.PadL+q*p.DilW
								if ih < 0 || ih >= p.H || iw < 0 || iw >= p.W {
									continue
								}
								xi := ((n*p.C+g*cg+c)*p.H+ih)*p.W + iw
								wi := ((k*cg+c)*p.R+r)*p.S + q
								dw64[wi] += d * float64(x[xi])
								dx64[xi] += d * float64(w[wi])
							}
						}
					}
				}
			}
		}
	}
	dw, dx = make([]float32, len(dw64)), make([]float32, len(dx64))
	for i, v := range dw64 {
		dw[i] = float32(v)
	}
	for i, v := range dx64 {
		dx[i] = float32(v)
	}
	return dw, dx
}

// convGradCases adds ResNet-20-like layers on 28×28 (many images, so the
// weight gradient takes several chunks per thread) to convCases.
func convGradCases() []ConvParams {
	c := func(n, ch, h, k, r, stride, pad int) ConvParams {
		return ConvParams{N: n, C: ch, H: h, W: h, K: k, R: r, S: r, Groups: 1, StrideH: stride, StrideW: stride,
			DilH: 1, DilW: 1, PadT: pad, PadL: pad, PadB: pad, PadR: pad}
	}
	return append(convCases(),
		c(9, 1, 28, 16, 3, 1, 1),
		c(7, 16, 28, 16, 3, 1, 1),
		c(6, 16, 28, 32, 3, 2, 1),
		c(6, 16, 28, 32, 1, 2, 0),
		c(11, 64, 7, 64, 3, 1, 1),
	)
}

// closeToScale compares with a tolerance relative to the largest wanted
// magnitude: gradients are long sums of terms of both signs, so float32
// rounding is relative to the terms, not to the (possibly cancelled) sum.
func closeToScale(t *testing.T, what string, got, want []float32, tol float64) {
	t.Helper()
	scale := 1.0
	for _, v := range want {
		scale = max(scale, math.Abs(float64(v)))
	}
	for i := range want {
		if d := math.Abs(float64(got[i] - want[i])); d > tol*scale {
			t.Fatalf("%s: element %d = %v, want %v (scale %.3g)", what, i, got[i], want[i], scale)
		}
	}
}

func TestConvGradBackends(t *testing.T) {
	forEachBackend(t, func(t *testing.T, _ Backend) {
		r := rand.New(rand.NewPCG(5, 6))
		for _, thr := range []int{1, 2, 3} {
			defer SetThreads(SetThreads(thr))
			for i, p := range convGradCases() {
				x := randSlice(r, p.N*p.C*p.H*p.W)
				w := randSlice(r, p.K*(p.C/p.Groups)*p.R*p.S)
				dy := randSlice(r, p.N*p.K*p.OutH()*p.OutW())
				wantDW, wantDX := naiveConvGrads(p, x, w, dy)
				dw, dx := randSlice(r, len(wantDW)), randSlice(r, len(wantDX)) // overwritten
				Conv2DWeightGrad(p, x, dy, dw)
				Conv2DInputGrad(p, dy, w, dx)
				what := fmt.Sprintf("threads %d case %d %+v", thr, i, p)
				closeToScale(t, what+" dW", dw, wantDW, 1e-5)
				closeToScale(t, what+" dX", dx, wantDX, 1e-5)
			}
		}
	})
}

// resnet20Convs are the distinct convolution shapes of ResNet-20 on 28×28
// Fashion-MNIST at the training batch size (configs/resnet20-fashion.yaml),
// with how many times each occurs.
var resnet20Convs = []struct {
	name  string
	p     ConvParams
	count int
}{
	{"conv1", convShape(1, 28, 16, 3, 1, 1), 1},
	{"layer1", convShape(16, 28, 16, 3, 1, 1), 6},
	{"layer2.0.conv1", convShape(16, 28, 32, 3, 2, 1), 1},
	{"layer2.0.ds", convShape(16, 28, 32, 1, 2, 0), 1},
	{"layer2", convShape(32, 14, 32, 3, 1, 1), 5},
	{"layer3.0.conv1", convShape(32, 14, 64, 3, 2, 1), 1},
	{"layer3.0.ds", convShape(32, 14, 64, 1, 2, 0), 1},
	{"layer3", convShape(64, 7, 64, 3, 1, 1), 5},
}

// BenchmarkConvTrainResNet20 times the three convolutions of a training
// step — forward, weight gradient, input gradient — for every ResNet-20
// layer shape at batch 128; GFLOP/s counts the convolution's 2·MACs.
//
//	go test ./kernels -run '^$' -bench ConvTrainResNet20 -cpu 1
func BenchmarkConvTrainResNet20(b *testing.B) {
	defer SetThreads(SetThreads(runtime.GOMAXPROCS(0))) // follow -test.cpu
	for _, l := range resnet20Convs {
		p := l.p
		p.N = 128
		r := rand.New(rand.NewPCG(1, 1))
		x := randSlice(r, p.N*p.C*p.H*p.W)
		w := randSlice(r, p.K*p.C/p.Groups*p.R*p.S)
		y := randSlice(r, p.N*p.K*p.OutH()*p.OutW())
		dw, dx := make([]float32, len(w)), make([]float32, len(x))
		for _, pass := range []string{"fwd", "wgrad", "dgrad"} {
			b.Run(l.name+"/"+pass, func(b *testing.B) {
				b.ReportAllocs()
				for b.Loop() {
					switch pass {
					case "fwd":
						Conv2D(p, x, w, nil, y)
					case "wgrad":
						Conv2DWeightGrad(p, x, y, dw)
					case "dgrad":
						Conv2DInputGrad(p, y, w, dx)
					}
				}
				b.ReportMetric(convFlops(p)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
				b.ReportMetric(float64(l.count)*b.Elapsed().Seconds()*1e3/float64(b.N), "ms/step")
			})
		}
	}
}
