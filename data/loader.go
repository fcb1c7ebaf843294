package data

import (
	"fmt"
	"iter"
	"math/rand/v2"
	"sync"

	"t2c/tensor"
)

// LoaderOptions configures a Loader. The zero value loads every image in
// order, one per batch, without transforms.
type LoaderOptions struct {
	// BatchSize is the number of images per batch; 0 means 1.
	BatchSize int
	// Shuffle permutes the images differently in every epoch.
	Shuffle bool
	// Seed drives the shuffle and every random transform.
	Seed uint64
	// DropLast drops the final batch when it would be smaller than
	// BatchSize.
	DropLast bool
	// Limit, if positive, uses only the first Limit images of the dataset
	// (before shuffling).
	Limit int
	// Transforms are applied in order to every image.
	Transforms []Transform
	// Workers is the number of goroutines filling a batch; 0 means 2.
	Workers int
	// Prefetch is the number of finished batches kept ready ahead of the
	// consumer by the background goroutine; 0 means 2, negative means none
	// (the next batch is still built while the current one is consumed).
	Prefetch int
}

// Batch is one mini-batch.
type Batch struct {
	// X holds the images, N×C×H×W float32, after transforms.
	X *tensor.Tensor
	// Labels holds the label of each image.
	Labels []int
	// Index holds the dataset index of each image.
	Index []int
}

// Loader yields a Dataset as batches. It holds no goroutines itself: each
// epoch's iteration starts its own and stops them when it ends. A Loader
// may serve several iterations at once.
type Loader struct {
	ds         Dataset
	checked    CheckedDataset // ds, if it reports read errors
	opts       LoaderOptions
	n          int
	in, out    [3]int // c, h, w before and after transforms
	batch      int
	workers    int
	prefetch   int
	numBatches int
}

// NewLoader prepares to load ds. It panics if the transforms do not fit
// the dataset's image shape (for example a Normalize with three means on a
// one-channel dataset): that is a programming error, not an input error.
func NewLoader(ds Dataset, opts LoaderOptions) *Loader {
	l := &Loader{ds: ds, opts: opts, n: ds.Len(), batch: max(opts.BatchSize, 1)}
	l.checked, _ = ds.(CheckedDataset)
	if opts.Limit > 0 {
		l.n = min(l.n, opts.Limit)
	}
	l.workers = opts.Workers
	if l.workers <= 0 {
		l.workers = 2
	}
	switch {
	case opts.Prefetch == 0:
		l.prefetch = 2
	case opts.Prefetch > 0:
		l.prefetch = opts.Prefetch
	}
	c, h, w := ds.Shape()
	l.in = [3]int{c, h, w}
	for i, t := range opts.Transforms {
		var err error
		if c, h, w, err = t.OutShape(c, h, w); err != nil {
			panic(fmt.Sprintf("data.NewLoader: transform %d (%T): %v", i, t, err))
		}
	}
	l.out = [3]int{c, h, w}
	l.numBatches = l.n / l.batch
	if !opts.DropLast && l.n%l.batch != 0 {
		l.numBatches++
	}
	return l
}

// NumBatches is the number of batches in one epoch.
func (l *Loader) NumBatches() int { return l.numBatches }

// Shape is the channels, height and width of the images in a batch.
func (l *Loader) Shape() (c, h, w int) { return l.out[0], l.out[1], l.out[2] }

// Epoch returns the batches of the given epoch, in order:
//
//	for b, err := range l.Epoch(e) {
//		if err != nil { ... } // a read error; it is the last value
//		use(b.X, b.Labels)
//	}
//
// With Shuffle, each epoch number gives a different, reproducible order.
// Work starts when the loop does; leaving the loop early (break, return,
// panic) stops the background goroutines and waits for them to exit.
func (l *Loader) Epoch(epoch int) iter.Seq2[Batch, error] {
	return func(yield func(Batch, error) bool) {
		done := make(chan struct{})
		ready := make(chan result, l.prefetch)
		var wg sync.WaitGroup
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer close(ready)
			l.produce(epoch, done, ready)
		}()
		defer func() {
			close(done)
			wg.Wait()
		}()
		for r := range ready {
			if !yield(r.b, r.err) || r.err != nil {
				return
			}
		}
	}
}

// result is one built batch or the error that stopped building it.
type result struct {
	b   Batch
	err error
}

// produce builds the epoch's batches in order and sends them to ready
// until done is closed, the epoch ends, or a read fails.
func (l *Loader) produce(epoch int, done <-chan struct{}, ready chan<- result) {
	order := l.order(epoch)
	for k := range l.numBatches {
		idx := order[k*l.batch : min((k+1)*l.batch, l.n)]
		b, err := l.build(epoch, idx, done)
		select {
		case ready <- result{b, err}:
		case <-done:
			return
		}
		if err != nil {
			return
		}
	}
}

// order returns the dataset indices of the epoch, shuffled if asked.
func (l *Loader) order(epoch int) []int {
	if !l.opts.Shuffle {
		o := make([]int, l.n)
		for i := range o {
			o[i] = i
		}
		return o
	}
	rng := rand.New(rand.NewPCG(mix(l.opts.Seed^0x5eed5eed), mix(uint64(epoch))))
	return rng.Perm(l.n)
}

// build loads the images idx into a new batch, spreading them over the
// workers. It returns early, with no error, if done is closed.
func (l *Loader) build(epoch int, idx []int, done <-chan struct{}) (Batch, error) {
	c, h, w := l.Shape()
	chw := c * h * w
	b := Batch{
		X:      tensor.Zeros(tensor.Float32, len(idx), c, h, w),
		Labels: make([]int, len(idx)),
		Index:  idx,
	}
	x := b.X.Float32()
	errs := make([]error, len(idx))
	epochSeed := mix(l.opts.Seed ^ mix(uint64(epoch)+0x9e37))
	var wg sync.WaitGroup
	workers := min(l.workers, len(idx))
	for wk := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var scratch []float32
			if len(l.opts.Transforms) > 0 {
				scratch = make([]float32, l.in[0]*l.in[1]*l.in[2])
			}
			src := rand.NewPCG(0, 0)
			rng := rand.New(src)
			for j := wk; j < len(idx); j += workers {
				select {
				case <-done:
					return
				default:
				}
				dst := x[j*chw : (j+1)*chw]
				if scratch != nil {
					dst = scratch
				}
				b.Labels[j], errs[j] = l.read(idx[j], dst)
				if errs[j] != nil || scratch == nil {
					continue
				}
				src.Seed(epochSeed, mix(uint64(idx[j])))
				img, ic, ih, iw := scratch, l.in[0], l.in[1], l.in[2]
				for _, t := range l.opts.Transforms {
					img, ic, ih, iw = t.Apply(img, ic, ih, iw, rng)
				}
				if len(img) != chw {
					panic(fmt.Sprintf("data: transforms produced %d values, want %d (%dx%dx%d)", len(img), chw, c, h, w))
				}
				copy(x[j*chw:], img)
			}
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return Batch{}, err
		}
	}
	return b, nil
}

// read loads one image, through ReadImage when the dataset has it.
func (l *Loader) read(i int, dst []float32) (int, error) {
	if l.checked != nil {
		return l.checked.ReadImage(i, dst)
	}
	return l.ds.Image(i, dst), nil
}

// mix is the SplitMix64 finalizer, used to turn seeds, epochs and indices
// into well-spread PCG seeds.
func mix(z uint64) uint64 {
	z += 0x9e3779b97f4a7c15
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
	z = (z ^ (z >> 27)) * 0x94d049bb133111eb
	return z ^ (z >> 31)
}

// Iter is a pull-style view of one epoch, for callers that cannot use a
// range loop. Call Close when done with it (it is safe to call Close after
// Next has returned false, and more than once). An Iter is not safe for
// concurrent use.
type Iter struct {
	next func() (Batch, error, bool)
	stop func()
	err  error
}

// Iter starts a pull-style iteration over epoch:
//
//	it := l.Iter(e)
//	defer it.Close()
//	for b, ok := it.Next(); ok; b, ok = it.Next() { ... }
//	if err := it.Err(); err != nil { ... }
func (l *Loader) Iter(epoch int) *Iter {
	next, stop := iter.Pull2(l.Epoch(epoch))
	return &Iter{next: next, stop: stop}
}

// Next returns the next batch, or false at the end of the epoch or after a
// read error.
func (it *Iter) Next() (Batch, bool) {
	if it.err != nil {
		return Batch{}, false
	}
	b, err, ok := it.next()
	if !ok {
		return Batch{}, false
	}
	if err != nil {
		it.err = err
		it.stop()
		return Batch{}, false
	}
	return b, true
}

// Err returns the read error that ended the iteration, if any.
func (it *Iter) Err() error { return it.err }

// Close stops the iteration and waits for its goroutines to exit.
func (it *Iter) Close() { it.stop() }
