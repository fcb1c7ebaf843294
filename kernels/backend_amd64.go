//go:build amd64

package kernels

//go:generate go run gen_asm.go

import "golang.org/x/sys/cpu"

// simdBackends returns the amd64 backends this CPU supports, best first.
// AVX-512 needs F, BW and VL for the float kernels (masked tails) and VNNI
// for the integer ones; a CPU with AVX-512F but no VNNI gets the AVX2
// integer kernels under the AVX-512 float ones.
func simdBackends() []Backend {
	var available []Backend
	x := cpu.X86
	avx2 := x.HasAVX2 && x.HasFMA
	avx2Float := &floatArch{mr: 6, nr: 16, kc: 256, mc: 72, nc: 4080,
		packed: f32AVX2Packed[:], strided: f32AVX2Strided[:]}
	avx2Int := &intArch{mr: 6, nr: 16, kcg: 256, mc: 72, nc: 2048, kind: intAVX2, s16: s16AVX2[:]}
	if avx2 && x.HasAVX512F && x.HasAVX512BW && x.HasAVX512VL {
		b := &simdBackend{name: "avx512", f: &floatArch{mr: 12, nr: 32, kc: 384, mc: 144, nc: 4096,
			packed: f32AVX512Packed[:], strided: f32AVX512Strided[:], masked: true, wgrad: wgrad512,
			convChan: sconvc512[:], wgradChan: wgradc512[:]}, i: avx2Int}
		if x.HasAVX512VNNI {
			b.i = &intArch{mr: 12, nr: 32, kcg: 128, mc: 144, nc: 2048, kind: intVNNI, masked: true,
				s8u8: s8u8VNNI[:], u8s8: u8s8VNNI[:], s16: s16VNNI[:]}
		}
		available = append(available, b)
	}
	if avx2 {
		available = append(available, &simdBackend{name: "avx2", f: avx2Float, i: avx2Int})
	}
	return available
}
