package kernels

import (
	"fmt"
	"math/rand/v2"
	"runtime"
	"testing"
)

// resnet18Convs are the distinct convolution shapes of ResNet-18 at 224×224
// (batch 1), with how many times each occurs in the network.
var resnet18Convs = []struct {
	name  string
	p     ConvParams
	count int
}{
	{"conv1", convShape(3, 224, 64, 7, 2, 3), 1},
	{"layer1", convShape(64, 56, 64, 3, 1, 1), 4},
	{"layer2.0.conv1", convShape(64, 56, 128, 3, 2, 1), 1},
	{"layer2.0.ds", convShape(64, 56, 128, 1, 2, 0), 1},
	{"layer2", convShape(128, 28, 128, 3, 1, 1), 3},
	{"layer3.0.conv1", convShape(128, 28, 256, 3, 2, 1), 1},
	{"layer3.0.ds", convShape(128, 28, 256, 1, 2, 0), 1},
	{"layer3", convShape(256, 14, 256, 3, 1, 1), 3},
	{"layer4.0.conv1", convShape(256, 14, 512, 3, 2, 1), 1},
	{"layer4.0.ds", convShape(256, 14, 512, 1, 2, 0), 1},
	{"layer4", convShape(512, 7, 512, 3, 1, 1), 3},
}

func convShape(c, hw, k, r, stride, pad int) ConvParams {
	return ConvParams{N: 1, C: c, H: hw, W: hw, K: k, R: r, S: r, Groups: 1, StrideH: stride, StrideW: stride,
		DilH: 1, DilW: 1, PadT: pad, PadL: pad, PadB: pad, PadR: pad}
}

func convFlops(p ConvParams) float64 {
	return 2 * float64(p.N*p.K*p.OutH()*p.OutW()) * float64(p.C/p.Groups*p.R*p.S)
}

func BenchmarkConvResNet18(b *testing.B) {
	defer SetThreads(SetThreads(runtime.GOMAXPROCS(0))) // follow -test.cpu
	for _, be := range Backends() {
		if be.Name() == "portable" {
			continue
		}
		for _, l := range resnet18Convs {
			b.Run(fmt.Sprintf("%s/%s", be.Name(), l.name), func(b *testing.B) {
				defer Use(Use(be))
				p := l.p
				r := rand.New(rand.NewPCG(1, 1))
				x := randSlice(r, p.N*p.C*p.H*p.W)
				w := randSlice(r, p.K*p.C/p.Groups*p.R*p.S)
				bias := randSlice(r, p.K)
				y := make([]float32, p.N*p.K*p.OutH()*p.OutW())
				b.ReportAllocs()
				b.ResetTimer()
				for i := 0; i < b.N; i++ {
					Conv2DFused(p, x, w, bias, y, true)
				}
				b.ReportMetric(convFlops(p)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
			})
		}
	}
}

func BenchmarkIntGemm(b *testing.B) {
	defer SetThreads(SetThreads(runtime.GOMAXPROCS(0))) // follow -test.cpu
	for _, be := range Backends() {
		for _, n := range []int{256, 1024} {
			if be.Name() == "portable" && n > 256 {
				continue
			}
			r := rand.New(rand.NewPCG(1, 1))
			au := extremes[uint8](r, n*n, 0, 255)
			bs := extremes[int8](r, n*n, -128, 127)
			c := make([]int32, n*n)
			pw := PackS8(n, n, bs, n)
			for _, kind := range []string{"U8S8", "S8S8", "PackedMulU8", "S16S16"} {
				b.Run(fmt.Sprintf("%s/%s/%d", be.Name(), kind, n), func(b *testing.B) {
					defer Use(Use(be))
					a16 := extremes[int16](r, n*n, -300, 300)
					b.ReportAllocs()
					b.ResetTimer()
					for i := 0; i < b.N; i++ {
						switch kind {
						case "U8S8":
							GemmU8S8(n, n, n, au, n, bs, n, c, n)
						case "S8S8":
							GemmS8S8(n, n, n, bs, n, bs, n, c, n)
						case "PackedMulU8":
							pw.MulU8(n, au, n, nil, c, n)
						case "S16S16":
							GemmS16S16(n, n, n, a16, n, a16, n, c, n)
						}
					}
					b.ReportMetric(2*float64(n*n*n)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GOP/s")
				})
			}
		}
	}
}

func BenchmarkConvResNet18Int8(b *testing.B) {
	defer SetThreads(SetThreads(runtime.GOMAXPROCS(0))) // follow -test.cpu
	for _, be := range Backends() {
		if be.Name() == "portable" {
			continue
		}
		for _, l := range resnet18Convs {
			b.Run(fmt.Sprintf("%s/%s", be.Name(), l.name), func(b *testing.B) {
				defer Use(Use(be))
				p := l.p
				r := rand.New(rand.NewPCG(1, 1))
				x := extremes[uint8](r, p.N*p.C*p.H*p.W, 0, 255)
				w := PackConv(p, extremes[int8](r, p.K*p.C/p.Groups*p.R*p.S, -128, 127))
				bias := make([]int32, p.K)
				y := make([]int32, p.N*p.K*p.OutH()*p.OutW())
				b.ReportAllocs()
				b.ResetTimer()
				for i := 0; i < b.N; i++ {
					ConvU8S8Packed(p, x, 3, w, bias, y)
				}
				b.ReportMetric(convFlops(p)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GOP/s")
			})
		}
	}
}

func BenchmarkDepthwise(b *testing.B) {
	defer SetThreads(SetThreads(runtime.GOMAXPROCS(0))) // follow -test.cpu
	shapes := map[string]ConvParams{
		"32x112_s1": {N: 1, C: 32, H: 112, W: 112, K: 32, R: 3, S: 3, Groups: 32, StrideH: 1, StrideW: 1, DilH: 1, DilW: 1, PadT: 1, PadL: 1, PadB: 1, PadR: 1},
		"96x112_s2": {N: 1, C: 96, H: 112, W: 112, K: 96, R: 3, S: 3, Groups: 96, StrideH: 2, StrideW: 2, DilH: 1, DilW: 1, PadT: 1, PadL: 1, PadB: 1, PadR: 1},
		"576x14_s1": {N: 1, C: 576, H: 14, W: 14, K: 576, R: 3, S: 3, Groups: 576, StrideH: 1, StrideW: 1, DilH: 1, DilW: 1, PadT: 1, PadL: 1, PadB: 1, PadR: 1},
	}
	for _, be := range Backends() {
		for name, p := range shapes {
			b.Run(be.Name()+"/"+name, func(b *testing.B) {
				defer Use(Use(be))
				r := rand.New(rand.NewPCG(1, 1))
				x := randSlice(r, p.N*p.C*p.H*p.W)
				w := randSlice(r, p.K*p.R*p.S)
				y := make([]float32, p.N*p.K*p.OutH()*p.OutW())
				b.ReportAllocs()
				for i := 0; i < b.N; i++ {
					Conv2DFused(p, x, w, nil, y, true)
				}
				b.ReportMetric(float64(4*(len(x)+len(y)))*float64(b.N)/b.Elapsed().Seconds()/1e9, "GB/s")
			})
		}
	}
}

func BenchmarkSmallConv(b *testing.B) {
	defer SetThreads(SetThreads(1))
	p := convShape(16, 28, 32, 3, 2, 1)
	r := rand.New(rand.NewPCG(1, 1))
	x := randSlice(r, p.N*p.C*p.H*p.W)
	w := randSlice(r, p.K*p.C/p.Groups*p.R*p.S)
	y := make([]float32, p.N*p.K*p.OutH()*p.OutW())
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		Conv2DFused(p, x, w, nil, y, true)
	}
}

// BenchmarkSgemmSmall is the per-call overhead case: attention-sized GEMMs.
func BenchmarkSgemmSmall(b *testing.B) {
	for _, sz := range [][3]int{{17, 17, 16}, {17, 16, 17}, {64, 64, 64}} {
		m, n, k := sz[0], sz[1], sz[2]
		b.Run(fmt.Sprintf("%dx%dx%d", m, n, k), func(b *testing.B) {
			r := rand.New(rand.NewPCG(1, 1))
			x, y, z := randSlice(r, m*k), randSlice(r, k*n), make([]float32, m*n)
			b.ReportAllocs()
			for i := 0; i < b.N; i++ {
				Sgemm(false, false, m, n, k, 1, x, k, y, n, 0, z, n)
			}
		})
	}
}
