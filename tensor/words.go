package tensor

import "unsafe"

// word is the set of unsigned types used to move elements without caring
// what they mean: every dtype is moved as a word of its own size.
type word interface {
	~uint8 | ~uint16 | ~uint32 | ~uint64
}

// asWords reinterprets a slice of any element type as unsigned words of the
// same size, sharing memory. Data-movement ops (transpose, concat, slice,
// gather, where, expand) are written once against it instead of once per dtype.
func asWords(data any) any {
	switch d := data.(type) {
	case []uint8:
		return d
	case []int8:
		return reinterpret[int8, uint8](d)
	case []bool:
		return reinterpret[bool, uint8](d)
	case []uint16:
		return d
	case []int16:
		return reinterpret[int16, uint16](d)
	case []uint32:
		return d
	case []int32:
		return reinterpret[int32, uint32](d)
	case []float32:
		return reinterpret[float32, uint32](d)
	case []uint64:
		return d
	case []int64:
		return reinterpret[int64, uint64](d)
	case []float64:
		return reinterpret[float64, uint64](d)
	}
	panic("tensor: unsupported storage")
}

func reinterpret[S any, D any](s []S) []D {
	if len(s) == 0 {
		return nil
	}
	return unsafe.Slice((*D)(unsafe.Pointer(&s[0])), len(s))
}

// moveFunc is a data-movement kernel written for one word size.
type moveFunc[W word] func(dst []W, srcs [][]W)

// move runs the kernel instantiated for the word size of dst's dtype, with
// the storage of dst and srcs (all of dst's dtype) as words.
func move(dst *Tensor, srcs []*Tensor, k8 moveFunc[uint8], k16 moveFunc[uint16], k32 moveFunc[uint32], k64 moveFunc[uint64]) {
	switch d := asWords(dst.data).(type) {
	case []uint8:
		k8(d, wordsOf[uint8](srcs))
	case []uint16:
		k16(d, wordsOf[uint16](srcs))
	case []uint32:
		k32(d, wordsOf[uint32](srcs))
	case []uint64:
		k64(d, wordsOf[uint64](srcs))
	}
}

func wordsOf[W word](ts []*Tensor) [][]W {
	out := make([][]W, len(ts))
	for i, t := range ts {
		w := asWords(t.data)
		if w != nil {
			out[i], _ = w.([]W)
		}
	}
	return out
}

func storageID(data any) uintptr {
	switch w := asWords(data).(type) {
	case []uint8:
		return firstAddr(w)
	case []uint16:
		return firstAddr(w)
	case []uint32:
		return firstAddr(w)
	case []uint64:
		return firstAddr(w)
	}
	return 0
}

func firstAddr[W word](w []W) uintptr {
	if cap(w) == 0 {
		return 0
	}
	return uintptr(unsafe.Pointer(unsafe.SliceData(w)))
}

// prefix returns data[:n] for any storage slice, zeroing it.
func prefix(data any, n int) any {
	switch d := data.(type) {
	case []float32:
		return zeroed(d[:n])
	case []float64:
		return zeroed(d[:n])
	case []int8:
		return zeroed(d[:n])
	case []uint8:
		return zeroed(d[:n])
	case []int16:
		return zeroed(d[:n])
	case []uint16:
		return zeroed(d[:n])
	case []int32:
		return zeroed(d[:n])
	case []uint32:
		return zeroed(d[:n])
	case []int64:
		return zeroed(d[:n])
	case []uint64:
		return zeroed(d[:n])
	case []bool:
		return zeroed(d[:n])
	}
	panic("tensor: unsupported storage")
}

func zeroed[T any](s []T) []T {
	clear(s)
	return s
}
