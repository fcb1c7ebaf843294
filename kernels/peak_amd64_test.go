//go:build amd64

package kernels

import (
	"runtime"
	"testing"

	"golang.org/x/sys/cpu"
)

// BenchmarkPeak measures the machine's arithmetic ceiling on Threads()
// cores: register-only FMA (float32 FLOP/s) and VPDPBUSD (int8 OP/s) loops.
// The kernels' fractions of peak in docs/PERFORMANCE.md divide by these.
func BenchmarkPeak(b *testing.B) {
	defer SetThreads(SetThreads(runtime.GOMAXPROCS(0))) // follow -test.cpu
	probes := []struct {
		name string
		ok   bool
		f    func(int)
		ops  float64 // per iteration
		unit string
	}{
		{"fma256", cpu.X86.HasAVX2 && cpu.X86.HasFMA, peakFMA256, 12 * 8 * 2, "GFLOP/s"},
		{"fma512", cpu.X86.HasAVX512F, peakFMA512, 12 * 16 * 2, "GFLOP/s"},
		{"vnni512", cpu.X86.HasAVX512VNNI, peakVNNI512, 12 * 64 * 2, "GOP/s"},
	}
	for _, p := range probes {
		b.Run(p.name, func(b *testing.B) {
			if !p.ok {
				b.Skip("not supported by this CPU")
			}
			const n = 1 << 20
			for i := 0; i < b.N; i++ {
				parallelN(threads, threads, 1, func(lo, hi int) {
					for t := lo; t < hi; t++ {
						p.f(n)
					}
				})
			}
			b.ReportMetric(p.ops*n*float64(threads)*float64(b.N)/b.Elapsed().Seconds()/1e9, p.unit)
		})
	}
}
