package kernels

import (
	"runtime"
	"sync"
	"sync/atomic"
	"time"
)

// A network runs dozens of parallel kernels back to back, each a fork-join
// of a few tens to hundreds of microseconds. Starting a goroutine for each
// fork costs little, but waking a thread that has gone to sleep costs ~8 µs,
// paid at every fork. The kernels' helpers therefore stay awake for a short
// while after finishing a job, polling for the next one, and only then
// park. Jobs are handed out by one dispatcher at a time; a nested or
// concurrent fork that finds the helpers busy uses plain goroutines.

// spinFor is how long an idle helper polls before parking.
const spinFor = 100 * time.Microsecond

type helper struct {
	seq  atomic.Uint64 // jobs posted
	done atomic.Uint64 // jobs finished
	f    func(lo, hi int)
	lo   int
	hi   int
	park chan struct{}
	idle atomic.Bool // parked (or about to): needs a wake-up
	_    [64]byte
}

var helpers struct {
	sync.Mutex // held by the dispatcher
	list       []*helper
}

func (h *helper) loop() {
	var seen uint64
	for {
		start := time.Now()
		for spins := 0; h.seq.Load() == seen; spins++ {
			if spins&255 != 255 {
				continue
			}
			runtime.Gosched() // let other goroutines run if this P is needed
			if time.Since(start) > spinFor {
				h.idle.Store(true)
				if h.seq.Load() == seen { // no job posted after idle was set
					<-h.park
				}
				h.idle.Store(false)
				start = time.Now()
			}
		}
		seen = h.seq.Load()
		h.f(h.lo, h.hi)
		h.f = nil
		h.done.Store(seen)
	}
}

// forkJoin runs f on the given chunks, the first on the calling goroutine.
func forkJoin(chunks [][2]int, f func(lo, hi int)) {
	if !helpers.TryLock() {
		var wg sync.WaitGroup
		for _, c := range chunks[1:] {
			wg.Add(1)
			go func() {
				defer wg.Done()
				f(c[0], c[1])
			}()
		}
		f(chunks[0][0], chunks[0][1])
		wg.Wait()
		return
	}
	defer helpers.Unlock()
	for len(helpers.list) < len(chunks)-1 {
		h := &helper{park: make(chan struct{}, 1)}
		helpers.list = append(helpers.list, h)
		go h.loop()
	}
	used := helpers.list[:len(chunks)-1]
	for i, h := range used {
		h.f, h.lo, h.hi = f, chunks[i+1][0], chunks[i+1][1]
		h.seq.Add(1)
		if h.idle.Load() {
			select {
			case h.park <- struct{}{}:
			default:
			}
		}
	}
	f(chunks[0][0], chunks[0][1])
	for _, h := range used {
		want := h.seq.Load()
		for spins := 0; h.done.Load() != want; spins++ {
			if spins&255 == 255 {
				runtime.Gosched()
			}
		}
	}
}
