//go:build amd64

package kernels

// Register-only throughput loops (peak_amd64.s) for BenchmarkPeak: n
// iterations of 12 independent 512-bit FMAs, 256-bit FMAs or VPDPBUSDs.
// They must only be called on CPUs with the instructions.

func peakFMA512(n int)
func peakFMA256(n int)
func peakVNNI512(n int)
