//go:build amd64

package kernels

import (
	"fmt"
	"testing"
	"unsafe"
)

func BenchmarkMicroKernel(b *testing.B) {
	for _, kc := range []int{64, 256, 1152} {
		for _, mode := range []string{"packed", "strided"} {
			b.Run(fmt.Sprintf("%s/kc%d", mode, kc), func(b *testing.B) {
				a := make([]float32, 12*kc+16)
				bb := make([]float32, 32*kc)
				c := make([]float32, 12*32)
				k := f32AVX512Packed[12]
				lda := 0
				if mode == "strided" {
					k = f32AVX512Strided[12]
					lda = kc
				}
				for i := 0; i < b.N; i++ {
					k(kc, unsafe.Pointer(&a[0]), unsafe.Pointer(&bb[0]), unsafe.Pointer(&c[0]), 32, lda, 1, 0, nil, nil, 0, 0xffffffff)
				}
				b.ReportMetric(2*12*32*float64(kc)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
			})
		}
	}
}
