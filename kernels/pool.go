package kernels

import (
	"math/bits"
	"runtime"
	"sync"
)

// Scratch buffers (packed panels, padded inputs, output bands) come from
// size-classed free lists so that a steady stream of same-shaped calls
// allocates nothing. Unlike sync.Pool the lists survive garbage collections
// (a GC would otherwise throw away megabytes of packing buffers that the
// next call must allocate and fault in again); each class keeps at most a
// few buffers per CPU, so the memory held is bounded by the largest
// concurrent working set.

const poolClasses = 48

type slicePool[T any] struct {
	mu   sync.Mutex
	free [poolClasses][]*[]T
}

var (
	f32Pool slicePool[float32]
	i32Pool slicePool[int32]
	u8Pool  slicePool[uint8]
	intPool slicePool[int]
)

// poolKeep is how many free buffers each size class retains.
var poolKeep = 2*runtime.GOMAXPROCS(0) + 2

func sizeClass(n int) int {
	if n <= 1 {
		return 0
	}
	return bits.Len(uint(n - 1))
}

// get returns a buffer of length n (contents undefined); return it with put.
func (p *slicePool[T]) get(n int) *[]T {
	c := sizeClass(n)
	p.mu.Lock()
	if l := len(p.free[c]); l > 0 {
		s := p.free[c][l-1]
		p.free[c] = p.free[c][:l-1]
		p.mu.Unlock()
		*s = (*s)[:n]
		return s
	}
	p.mu.Unlock()
	s := make([]T, n, 1<<c)
	return &s
}

func (p *slicePool[T]) put(s *[]T) {
	if s == nil {
		return
	}
	c := sizeClass(cap(*s))
	p.mu.Lock()
	if len(p.free[c]) < poolKeep {
		p.free[c] = append(p.free[c], s)
	}
	p.mu.Unlock()
}
