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
//
// The chunks of a job are not assigned to threads: every participant (the
// caller and the helpers) claims the next unclaimed chunk until none is
// left, and the caller returns once all chunks are finished, without
// waiting for helpers that never got one. On a machine shared with other
// processes a helper may not be scheduled for milliseconds; the caller then
// does its share instead of spinning, and the late helper finds the job
// empty.

// spinFor is how long an idle helper polls before parking.
const spinFor = 100 * time.Microsecond

// job is one fork-join: chunks claimed in order by whoever comes first.
type job struct {
	f      func(lo, hi int)
	chunks [][2]int
	next   atomic.Int64 // next chunk to claim
	left   atomic.Int64 // chunks not finished
	// The caller, once it has nothing left to claim, polls left for
	// waitSpin and then sleeps on wake, which the worker finishing the
	// last chunk signals when sleeping is set.
	sleeping atomic.Bool
	wake     chan struct{}
}

// waitSpin is how long a caller polls for the other workers' last chunks
// before sleeping: long enough for a running worker to finish a chunk,
// short enough not to burn a CPU that the descheduled worker needs.
const waitSpin = 30 * time.Microsecond

// work runs chunks of j until none is left to claim.
func (j *job) work() {
	for {
		i := int(j.next.Add(1) - 1)
		if i >= len(j.chunks) {
			return
		}
		j.f(j.chunks[i][0], j.chunks[i][1])
		if j.left.Add(-1) == 0 && j.sleeping.Load() {
			j.wake <- struct{}{}
		}
	}
}

// wait returns when every chunk of j is finished.
func (j *job) wait() {
	start := time.Now()
	for spins := 0; j.left.Load() != 0; spins++ {
		if spins&255 != 255 {
			continue
		}
		if time.Since(start) < waitSpin {
			runtime.Gosched()
			continue
		}
		j.wake = make(chan struct{}, 1)
		j.sleeping.Store(true)
		if j.left.Load() != 0 { // the last chunk ends after sleeping was set: it wakes us
			<-j.wake
		}
		return
	}
}

type helper struct {
	seq  atomic.Uint64 // jobs posted
	done atomic.Uint64 // jobs finished
	job  *job
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
		h.job.work()
		h.job = nil
		h.done.Store(seen)
	}
}

// forkJoin runs f on the given chunks over up to workers goroutines, the
// calling one included.
func forkJoin(workers int, chunks [][2]int, f func(lo, hi int)) {
	j := &job{f: f, chunks: chunks}
	j.left.Store(int64(len(chunks)))
	workers = min(workers, len(chunks))
	if !helpers.TryLock() {
		for range workers - 1 {
			go j.work()
		}
		j.work()
		j.wait()
		return
	}
	defer helpers.Unlock()
	// Post the job to idle helpers (one still finishing an earlier job —
	// it got there too late to find a chunk — is skipped), adding helpers
	// as needed, up to one more than the threads: a helper lags because
	// its OS thread is not running, and more goroutines would not run
	// either.
	want := workers - 1
	for _, h := range helpers.list {
		if want == 0 {
			break
		}
		if h.done.Load() == h.seq.Load() {
			post(h, j)
			want--
		}
	}
	for ; want > 0 && len(helpers.list) < threads; want-- {
		h := &helper{park: make(chan struct{}, 1)}
		helpers.list = append(helpers.list, h)
		go h.loop()
		post(h, j)
	}
	j.work()
	j.wait()
}

// post hands j to the idle helper h, waking it if it is parked.
func post(h *helper, j *job) {
	h.job = j
	h.seq.Add(1)
	if h.idle.Load() {
		select {
		case h.park <- struct{}{}:
		default:
		}
	}
}
