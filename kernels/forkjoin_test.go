package kernels

import (
	"testing"
	"time"
)

func BenchmarkForkJoin(b *testing.B) {
	var sink [2]int
	for i := 0; i < b.N; i++ {
		parallelN(2, 2, 1, func(lo, hi int) {
			for j := lo; j < hi; j++ {
				sink[j]++
			}
		})
	}
}

func BenchmarkForkJoinSpaced(b *testing.B) {
	var sink [2]int
	for i := 0; i < b.N; i++ {
		t := time.Now()
		for time.Since(t) < 50*time.Microsecond {
		}
		parallelN(2, 2, 1, func(lo, hi int) {
			for j := lo; j < hi; j++ {
				sink[j]++
			}
		})
	}
}
