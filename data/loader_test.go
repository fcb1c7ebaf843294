package data

import (
	"fmt"
	"runtime"
	"slices"
	"sync/atomic"
	"testing"
	"time"
)

// seqDS has n images of 1×2×2; every pixel of image i is i+p/10 for pixel
// p, and its label is i%3. reads counts Image calls; delay slows each one.
type seqDS struct {
	n     int
	reads atomic.Int64
	delay time.Duration
	fail  int // ReadImage fails for this index when failing is set
}

func (d *seqDS) Len() int               { return d.n }
func (d *seqDS) Shape() (c, h, w int)   { return 1, 2, 2 }
func (d *seqDS) Classes() int           { return 3 }
func (d *seqDS) pixel(i, p int) float32 { return float32(i) + float32(p)/10 }
func (d *seqDS) wantLabel(i int) int    { return i % 3 }
func (d *seqDS) Image(i int, dst []float32) int {
	d.reads.Add(1)
	if d.delay > 0 {
		time.Sleep(d.delay)
	}
	for p := range 4 {
		dst[p] = d.pixel(i, p)
	}
	return i % 3
}

// failingDS is a CheckedDataset whose image fail cannot be read.
type failingDS struct {
	seqDS
}

func (d *failingDS) ReadImage(i int, dst []float32) (int, error) {
	if i == d.fail {
		return 0, fmt.Errorf("image %d is broken", i)
	}
	return d.Image(i, dst), nil
}

// collect runs one epoch and returns its batches, checking that every
// batch's X and Labels match its Index.
func collect(t *testing.T, l *Loader, epoch int) []Batch {
	t.Helper()
	var bs []Batch
	for b, err := range l.Epoch(epoch) {
		if err != nil {
			t.Fatal(err)
		}
		if got := b.X.Shape(); !slices.Equal(got, []int{len(b.Index), 1, 2, 2}) || len(b.Labels) != len(b.Index) {
			t.Fatalf("batch X %v, %d labels, %d indices", got, len(b.Labels), len(b.Index))
		}
		x := b.X.Float32()
		for j, i := range b.Index {
			if b.Labels[j] != i%3 {
				t.Fatalf("index %d has label %d", i, b.Labels[j])
			}
			for p := range 4 {
				if want := float32(i) + float32(p)/10; x[j*4+p] != want {
					t.Fatalf("index %d pixel %d = %v, want %v", i, p, x[j*4+p], want)
				}
			}
		}
		bs = append(bs, b)
	}
	return bs
}

// indices concatenates the batches' Index fields.
func indices(bs []Batch) []int {
	var all []int
	for _, b := range bs {
		all = append(all, b.Index...)
	}
	return all
}

func TestLoaderOrderAndBatches(t *testing.T) {
	ds := &seqDS{n: 10}
	l := NewLoader(ds, LoaderOptions{BatchSize: 4})
	if l.NumBatches() != 3 {
		t.Errorf("NumBatches %d, want 3", l.NumBatches())
	}
	bs := collect(t, l, 0)
	if len(bs) != 3 || len(bs[2].Index) != 2 {
		t.Fatalf("got %d batches, last of %d", len(bs), len(bs[len(bs)-1].Index))
	}
	if got := indices(bs); !slices.Equal(got, []int{0, 1, 2, 3, 4, 5, 6, 7, 8, 9}) {
		t.Errorf("unshuffled order %v", got)
	}

	l = NewLoader(ds, LoaderOptions{BatchSize: 4, DropLast: true})
	if bs := collect(t, l, 0); l.NumBatches() != 2 || len(bs) != 2 || len(indices(bs)) != 8 {
		t.Errorf("DropLast: NumBatches %d, %d batches, %d images", l.NumBatches(), len(bs), len(indices(bs)))
	}

	l = NewLoader(ds, LoaderOptions{BatchSize: 2, Limit: 5, Shuffle: true, Seed: 1})
	got := indices(collect(t, l, 0))
	slices.Sort(got)
	if l.NumBatches() != 3 || !slices.Equal(got, []int{0, 1, 2, 3, 4}) {
		t.Errorf("Limit 5: NumBatches %d, indices %v", l.NumBatches(), got)
	}
}

func TestLoaderShuffle(t *testing.T) {
	ds := &seqDS{n: 103}
	opts := LoaderOptions{BatchSize: 8, Shuffle: true, Seed: 42, Workers: 3}
	l := NewLoader(ds, opts)
	var orders [][]int
	for epoch := range 3 {
		bs := collect(t, l, epoch)
		if len(bs) != 13 || len(bs[12].Index) != 103-96 {
			t.Fatalf("epoch %d: %d batches", epoch, len(bs))
		}
		order := indices(bs)
		sorted := slices.Sorted(slices.Values(order))
		for i, v := range sorted {
			if v != i {
				t.Fatalf("epoch %d: indices are not a permutation of 0..102: %v", epoch, sorted)
			}
		}
		orders = append(orders, order)
	}
	if slices.Equal(orders[0], orders[1]) || slices.Equal(orders[1], orders[2]) {
		t.Error("epochs 0, 1, 2 do not all have different orders")
	}
	if slices.IsSorted(orders[0]) {
		t.Error("shuffled epoch is in order")
	}
	// Same seed, fresh loader, different worker count: same orders.
	opts.Workers = 1
	again := NewLoader(ds, opts)
	for epoch := range 3 {
		if got := indices(collect(t, again, epoch)); !slices.Equal(got, orders[epoch]) {
			t.Errorf("epoch %d not reproducible with the same seed", epoch)
		}
	}
	opts.Seed = 43
	if got := indices(collect(t, NewLoader(ds, opts), 0)); slices.Equal(got, orders[0]) {
		t.Error("seeds 42 and 43 give the same order")
	}
}

// TestLoaderTransformsDeterministic checks that random transforms give the
// same batches regardless of the number of workers, and differ by epoch.
func TestLoaderTransformsDeterministic(t *testing.T) {
	ds := &seqDS{n: 50}
	run := func(workers, epoch int) []float32 {
		l := NewLoader(ds, LoaderOptions{BatchSize: 7, Shuffle: true, Seed: 9, Workers: workers,
			Transforms: []Transform{RandomCrop{Size: 2, Padding: 1}, RandomHFlip{P: 0.5}, Normalize{Mean: []float32{1}, Std: []float32{2}}}})
		if c, h, w := l.Shape(); c != 1 || h != 2 || w != 2 {
			t.Fatalf("Shape %d,%d,%d", c, h, w)
		}
		var all []float32
		for b, err := range l.Epoch(epoch) {
			if err != nil {
				t.Fatal(err)
			}
			all = append(all, b.X.Float32()...)
		}
		return all
	}
	a, b := run(1, 0), run(4, 0)
	if len(a) != 50*4 || !slices.Equal(a, b) {
		t.Error("1 and 4 workers give different augmented batches")
	}
	if slices.Equal(a, run(2, 1)) {
		t.Error("epochs 0 and 1 give identical augmented batches")
	}
}

func TestLoaderBadTransformPanics(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Error("NewLoader accepted 3 means for a 1-channel dataset")
		}
	}()
	NewLoader(&seqDS{n: 1}, LoaderOptions{Transforms: []Transform{Normalize{Mean: []float32{0, 0, 0}, Std: []float32{1}}}})
}

// waitGoroutines waits until the goroutine count drops to at most n.
func waitGoroutines(t *testing.T, n int) {
	t.Helper()
	deadline := time.Now().Add(2 * time.Second)
	for runtime.NumGoroutine() > n {
		if time.Now().After(deadline) {
			buf := make([]byte, 1<<16)
			t.Fatalf("%d goroutines, want <= %d:\n%s", runtime.NumGoroutine(), n, buf[:runtime.Stack(buf, true)])
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestLoaderEarlyStop(t *testing.T) {
	base := runtime.NumGoroutine()
	ds := &seqDS{n: 10000, delay: 100 * time.Microsecond}
	l := NewLoader(ds, LoaderOptions{BatchSize: 10, Workers: 4, Prefetch: 3})
	k := 0
	for _, err := range l.Epoch(0) {
		if err != nil {
			t.Fatal(err)
		}
		if k++; k == 2 {
			break
		}
	}
	// Epoch waits for its goroutines before returning from the loop.
	if n := runtime.NumGoroutine(); n > base {
		waitGoroutines(t, base)
	}
	if r := ds.reads.Load(); r > 10*(2+3+1)+4 {
		t.Errorf("%d images read for 2 consumed batches with prefetch 3", r)
	}

	it := l.Iter(0)
	if _, ok := it.Next(); !ok {
		t.Fatal("Iter gave no batch")
	}
	time.Sleep(10 * time.Millisecond)
	if runtime.NumGoroutine() <= base {
		t.Error("no background goroutine while an Iter is open")
	}
	it.Close()
	it.Close()
	waitGoroutines(t, base)
	if _, ok := it.Next(); ok {
		t.Error("Next after Close returned a batch")
	}
}

func TestLoaderPrefetch(t *testing.T) {
	for _, c := range []struct{ prefetch, want int }{{3, 5}, {-1, 2}} {
		ds := &seqDS{n: 1000}
		l := NewLoader(ds, LoaderOptions{BatchSize: 4, Prefetch: c.prefetch})
		it := l.Iter(0)
		if _, ok := it.Next(); !ok {
			t.Fatal("no batch")
		}
		// After one batch is consumed, the producer fills the prefetch
		// queue and builds one more that it cannot yet hand over.
		want := int64(4 * c.want)
		deadline := time.Now().Add(2 * time.Second)
		for ds.reads.Load() < want && time.Now().Before(deadline) {
			time.Sleep(time.Millisecond)
		}
		time.Sleep(20 * time.Millisecond)
		if got := ds.reads.Load(); got != want {
			t.Errorf("prefetch %d: %d images read after consuming 1 batch, want %d", c.prefetch, got, want)
		}
		it.Close()
	}
}

func TestLoaderReadError(t *testing.T) {
	ds := &failingDS{seqDS{n: 20, fail: 13}}
	l := NewLoader(ds, LoaderOptions{BatchSize: 4})
	var got []int
	var gotErr error
	for b, err := range l.Epoch(0) {
		if err != nil {
			gotErr = err
			continue // the error is the last value
		}
		got = append(got, b.Index...)
	}
	wantErr(t, gotErr, "image 13 is broken")
	if !slices.Equal(got, []int{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11}) {
		t.Errorf("batches before the error: %v", got)
	}

	it := l.Iter(0)
	defer it.Close()
	n := 0
	for _, ok := it.Next(); ok; _, ok = it.Next() {
		n++
	}
	if n != 3 || it.Err() == nil {
		t.Errorf("Iter: %d batches, err %v", n, it.Err())
	}
}
