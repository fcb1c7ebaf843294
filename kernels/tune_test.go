package kernels

// Tuning experiments, skipped unless T2C_TUNE is set: they print timings
// (best of many runs, so other processes on the machine matter less) for
// choosing blocking parameters and strategies, e.g.
//
//	T2C_TUNE=1 T2C_KNOB=bands go test ./kernels -run TuneAB -v

import (
	"fmt"
	"math/rand/v2"
	"os"
	"testing"
	"time"
)

func minTime(n int, f func()) time.Duration {
	f()
	best := time.Duration(1 << 62)
	for i := 0; i < n; i++ {
		t := time.Now()
		f()
		best = min(best, time.Since(t))
	}
	return best
}

func TestTuneSgemm(t *testing.T) {
	if os.Getenv("T2C_TUNE") == "" {
		t.Skip("tuning only")
	}
	be := Backends()[0].(*simdBackend)
	orig := *be.f
	defer func() { *be.f = orig }()
	defer Use(Use(be))
	n := 1024
	r := rand.New(rand.NewPCG(1, 1))
	x, y, z := randSlice(r, n*n), randSlice(r, n*n), make([]float32, n*n)
	for _, thr := range []int{1, 2} {
		SetThreads(thr)
		for _, kc := range []int{256, 384, 512} {
			for _, mc := range []int{72, 144, 288} {
				for _, nc := range []int{512, 1024, 4096} {
					be.f.kc, be.f.mc, be.f.nc = kc, mc, nc
					d := minTime(10, func() { Sgemm(false, false, n, n, n, 1, x, n, y, n, 0, z, n) })
					fmt.Printf("threads %d kc %d mc %d nc %d: %.1f GFLOP/s\n", thr, kc, mc, nc, 2*float64(n*n*n)/d.Seconds()/1e9)
				}
			}
		}
	}
}

// TestTuneAB alternates two settings of a knob per layer and reports the
// best time of each (robust to other processes sharing the machine).
func TestTuneAB(t *testing.T) {
	if os.Getenv("T2C_TUNE") == "" {
		t.Skip("tuning only")
	}
	knob := map[string]func(bool){
		"bands": func(on bool) { noBands = !on },
		"intdiv": func(on bool) {
			if on {
				intComputeDiv = 64
			} else {
				intComputeDiv = 16
			}
		},
		"kc384": func(on bool) {
			if on {
				Backends()[0].(*simdBackend).f.kc = 384
			} else {
				Backends()[0].(*simdBackend).f.kc = 256
			}
		},
	}[os.Getenv("T2C_KNOB")]
	defer knob(true)
	defer Use(Use(Backends()[0]))
	var tot [2]float64
	useInt8 := os.Getenv("T2C_INT8") != ""
	for _, l := range resnet18Convs {
		p := l.p
		r := rand.New(rand.NewPCG(1, 1))
		x := randSlice(r, p.N*p.C*p.H*p.W)
		w := randSlice(r, p.K*p.C/p.Groups*p.R*p.S)
		y := make([]float32, p.N*p.K*p.OutH()*p.OutW())
		xu := extremes[uint8](r, len(x), 0, 255)
		pw := PackConv(p, extremes[int8](r, len(w), -128, 127))
		yi := make([]int32, len(y))
		run := func() { Conv2DFused(p, x, w, nil, y, true) }
		if useInt8 {
			run = func() { ConvU8S8Packed(p, xu, 7, pw, nil, yi) }
		}
		best := [2]time.Duration{1 << 62, 1 << 62}
		for rep := 0; rep < 20; rep++ {
			for v := 0; v < 2; v++ {
				knob(v == 1)
				best[v] = min(best[v], minTime(3, run))
			}
		}
		for v := range best {
			tot[v] += best[v].Seconds() * 1e3 * float64(l.count)
		}
		fmt.Printf("%-16s off %.3f ms  on %.3f ms\n", l.name, best[0].Seconds()*1e3, best[1].Seconds()*1e3)
	}
	fmt.Printf("total: off %.2f ms on %.2f ms\n", tot[0], tot[1])
}

// TestTuneColdWeights compares a layer with hot weights against weights
// cycled through more memory than the L3 holds (as inside a whole network).
func TestTuneColdWeights(t *testing.T) {
	if os.Getenv("T2C_TUNE") == "" {
		t.Skip("tuning only")
	}
	defer Use(Use(Backends()[0]))
	for _, l := range resnet18Convs {
		p := l.p
		r := rand.New(rand.NewPCG(1, 1))
		x := randSlice(r, p.N*p.C*p.H*p.W)
		nw := p.K * p.C / p.Groups * p.R * p.S
		copies := max(2, (64<<20)/(4*nw))
		ws := make([][]float32, copies)
		for i := range ws {
			ws[i] = randSlice(r, nw)
		}
		y := make([]float32, p.N*p.K*p.OutH()*p.OutW())
		hot := minTime(30, func() { Conv2DFused(p, x, ws[0], nil, y, true) })
		i := 0
		cold := minTime(30, func() { i++; Conv2DFused(p, x, ws[i%copies], nil, y, true) })
		fmt.Printf("%-16s hot %.3f ms cold %.3f ms\n", l.name, hot.Seconds()*1e3, cold.Seconds()*1e3)
	}
}

func TestTuneSmallConv(t *testing.T) {
	if os.Getenv("T2C_TUNE") == "" {
		t.Skip("tuning only")
	}
	defer Use(Use(Backends()[0]))
	defer SetThreads(SetThreads(1))
	for _, p := range []ConvParams{convShape(1, 28, 16, 3, 1, 1), convShape(16, 28, 32, 3, 2, 1), convShape(32, 14, 64, 3, 2, 1), convShape(64, 7, 64, 3, 1, 1)} {
		r := rand.New(rand.NewPCG(1, 1))
		x := randSlice(r, p.N*p.C*p.H*p.W)
		w := randSlice(r, p.K*p.C/p.Groups*p.R*p.S)
		y := make([]float32, p.N*p.K*p.OutH()*p.OutW())
		d := minTime(2000, func() { Conv2DFused(p, x, w, nil, y, true) })
		fmt.Printf("%+v: %.2f µs, %.1f GFLOP/s\n", p, d.Seconds()*1e6, convFlops(p)/d.Seconds()/1e9)
	}
}
