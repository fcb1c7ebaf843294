package integer

import (
	"sync"

	"t2c/kernels"
	"t2c/tensor"
)

// weightCache keeps a kernel's weights converted for the integer kernels
// (packed panels, zero-point corrections, widened copies), so that the
// work is done once per program rather than once per run. Weights are
// graph parameters, constant while a program runs; entries are keyed on
// the weight tensor's identity and storage, so a replaced parameter is
// converted again. It is safe for concurrent runs.
type weightCache struct {
	mu   sync.Mutex
	src  *tensor.Tensor
	id   uintptr
	vals map[string]any
}

// get returns the value named key built from w, building it on first use.
func (c *weightCache) get(w *tensor.Tensor, key string, build func() any) any {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.src != w || c.id != w.StorageID() {
		c.src, c.id, c.vals = w, w.StorageID(), map[string]any{}
	}
	v, ok := c.vals[key]
	if !ok {
		v = build()
		c.vals[key] = v
	}
	return v
}

// packedConv is int8 convolution weights packed for kernels.ConvU8S8Packed
// and ConvS8S8Packed, with the zero-point correction −z_x·Σ w_k per output
// channel passed to them as the bias: the kernels pad with z_x, so
// Σ x_pad·w − z_x·Σ w = Σ (x_pad − z_x)·w exactly (modulo 2³², which is
// exact because the accumulator fits int32).
type packedConv struct {
	packed *kernels.PackedConv
	bias   []int32
}

// int8 returns w packed for the 8-bit convolution kernels.
func (c *weightCache) int8(w *tensor.Tensor, p kernels.ConvParams, xzp int64) *packedConv {
	return c.get(w, "conv-s8", func() any {
		ws := w.Int8()
		per := len(ws) / p.K
		bias := make([]int32, p.K)
		for k := range bias {
			var s int64
			for _, v := range ws[k*per : (k+1)*per] {
				s += int64(v)
			}
			bias[k] = int32(-xzp * s)
		}
		return &packedConv{packed: kernels.PackConv(p, ws), bias: bias}
	}).(*packedConv)
}

// int16 returns w widened to int16 (a copy of int8 weights, int16 as is).
func (c *weightCache) int16(w *tensor.Tensor) []int16 {
	return c.get(w, "s16", func() any {
		if w.DType() == tensor.Int16 {
			return tensor.Data[int16](w)
		}
		out := make([]int16, w.Len())
		for i, v := range w.Int8() {
			out[i] = int16(v)
		}
		return out
	}).([]int16)
}
