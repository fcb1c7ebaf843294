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

// Alloc returns a zero-filled tensor, reusing a released buffer when one of
// the right type and size is free.
func (c *Ctx) Alloc(d tensor.DType, shape ...int) *tensor.Tensor {
	if c == nil || c.pool == nil {
		return tensor.Zeros(d, shape...)
	}
	return c.pool.Get(d, shape...)
}

type poolKey struct {
	dtype tensor.DType
	n     int
}

// Pool recycles tensor storage by dtype and element count. It is safe for
// concurrent use.
type Pool struct {
	mu   sync.Mutex
	free map[poolKey][]any
}

// NewPool returns an empty pool.
func NewPool() *Pool { return &Pool{free: map[poolKey][]any{}} }

// Get returns a zeroed tensor of the given type and shape.
func (p *Pool) Get(d tensor.DType, shape ...int) *tensor.Tensor {
	k := poolKey{d, tensor.NumElems(shape)}
	p.mu.Lock()
	list := p.free[k]
	if len(list) == 0 {
		p.mu.Unlock()
		return tensor.Zeros(d, shape...)
	}
	buf := list[len(list)-1]
	p.free[k] = list[:len(list)-1]
	p.mu.Unlock()
	return tensor.Wrap(d, shape, buf)
}

// Put returns t's storage to the pool; t must not be used afterwards.
func (p *Pool) Put(t *tensor.Tensor) {
	if t.Len() == 0 {
		return
	}
	k := poolKey{t.DType(), t.Len()}
	p.mu.Lock()
	p.free[k] = append(p.free[k], t.Raw())
	p.mu.Unlock()
}
