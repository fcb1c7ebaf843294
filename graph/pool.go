package graph

import (
	"math/rand/v2"
	"sync"

	"t2c/tensor"
)

// Ctx is what a kernel sees while running: a buffer pool so that steady-state
// inference reuses the memory of values that are no longer needed.
type Ctx struct {
	pool *Pool
	// Training selects training-mode behaviour: batch statistics in
	// BatchNormalization (updating the running statistics in place) and
	// random masks in Dropout, drawn from Rand.
	Training bool
	// Rand is the random source for training-mode ops; nil means no
	// randomness is available (Dropout then fails in training mode).
	Rand *rand.Rand
}

// NewCtx returns a context drawing buffers from pool (nil: plain allocation).
func NewCtx(pool *Pool) *Ctx { return &Ctx{pool: pool} }

// Pool returns the context's buffer pool (nil: plain allocation).
func (c *Ctx) Pool() *Pool {
	if c == nil {
		return nil
	}
	return c.pool
}

// WithPool returns a copy of c (or of an empty context when c is nil) that
// draws buffers from pool, unless c already has a pool, which it keeps.
// Executors that recycle buffers use it so that the caller's context, which
// may be shared, is not modified.
func (c *Ctx) WithPool(pool *Pool) *Ctx {
	var d Ctx
	if c != nil {
		d = *c
	}
	if d.pool == nil {
		d.pool = pool
	}
	return &d
}

// Alloc returns a tensor for a kernel's result, reusing a released buffer
// when one of the right type and size is free. A recycled buffer holds
// stale values: the kernel must write every element (use Zeros to
// accumulate into it).
func (c *Ctx) Alloc(d tensor.DType, shape ...int) *tensor.Tensor {
	if c == nil || c.pool == nil {
		return tensor.Zeros(d, shape...)
	}
	return c.pool.Get(d, shape...)
}

// Zeros is Alloc with every element set to zero.
func (c *Ctx) Zeros(d tensor.DType, shape ...int) *tensor.Tensor {
	if c == nil || c.pool == nil {
		return tensor.Zeros(d, shape...)
	}
	t, fresh := c.pool.get(d, shape)
	if !fresh {
		clearRaw(t)
	}
	return t
}

// clearRaw zeroes t's elements.
func clearRaw(t *tensor.Tensor) {
	switch s := t.Raw().(type) {
	case []float32:
		clear(s)
	case []float64:
		clear(s)
	case []int64:
		clear(s)
	case []int32:
		clear(s)
	case []int16:
		clear(s)
	case []int8:
		clear(s)
	case []uint64:
		clear(s)
	case []uint32:
		clear(s)
	case []uint16:
		clear(s)
	case []uint8:
		clear(s)
	case []bool:
		clear(s)
	default:
		panic("graph: Ctx.Zeros: unsupported storage " + t.String())
	}
}

type poolKey struct {
	dtype tensor.DType
	n     int
}

// poolList is the free buffers of one type and size. made counts the
// buffers the pool had to allocate for it: the peak number in use at once,
// so more free buffers than that are never needed.
type poolList struct {
	free []any
	made int
}

// Pool recycles tensor storage by dtype and element count. It is safe for
// concurrent use. Each size keeps at most as many free buffers as it ever
// had to allocate (plus a couple), so buffers that kernels allocated
// themselves and an executor returns here cannot accumulate without bound.
type Pool struct {
	mu   sync.Mutex
	free map[poolKey]*poolList
}

// poolSlack is how many free buffers beyond its allocations a size keeps.
const poolSlack = 2

// NewPool returns an empty pool.
func NewPool() *Pool { return &Pool{free: map[poolKey]*poolList{}} }

// Get returns a tensor of the given type and shape: zero-filled when newly
// allocated, holding stale values when recycled (see Ctx.Alloc).
func (p *Pool) Get(d tensor.DType, shape ...int) *tensor.Tensor {
	t, _ := p.get(d, shape)
	return t
}

// get is Get that also reports whether the storage is newly allocated
// (and therefore zero).
func (p *Pool) get(d tensor.DType, shape []int) (*tensor.Tensor, bool) {
	k := poolKey{d, tensor.NumElems(shape)}
	p.mu.Lock()
	l := p.free[k]
	if l == nil {
		l = &poolList{}
		p.free[k] = l
	}
	if len(l.free) == 0 {
		l.made++
		p.mu.Unlock()
		return tensor.Zeros(d, shape...), true
	}
	buf := l.free[len(l.free)-1]
	l.free[len(l.free)-1] = nil
	l.free = l.free[:len(l.free)-1]
	p.mu.Unlock()
	return tensor.Wrap(d, shape, buf), false
}

// Put returns t's storage to the pool; t must not be used afterwards.
func (p *Pool) Put(t *tensor.Tensor) {
	if t.Len() == 0 {
		return
	}
	k := poolKey{t.DType(), t.Len()}
	p.mu.Lock()
	l := p.free[k]
	if l == nil {
		l = &poolList{}
		p.free[k] = l
	}
	if len(l.free) < l.made+poolSlack {
		l.free = append(l.free, t.Raw())
	}
	p.mu.Unlock()
}
