package export

import (
	"fmt"
	"math"

	"t2c/tensor"
)

// Ints returns the elements of an integer or bool tensor as int64,
// exactly (uint64 values above 2⁶³ are an error).
func Ints(t *tensor.Tensor) ([]int64, error) {
	switch d := t.Raw().(type) {
	case []int8:
		return widen(d), nil
	case []uint8:
		return widen(d), nil
	case []int16:
		return widen(d), nil
	case []uint16:
		return widen(d), nil
	case []int32:
		return widen(d), nil
	case []uint32:
		return widen(d), nil
	case []int64:
		return widen(d), nil
	case []uint64:
		for _, v := range d {
			if v > math.MaxInt64 {
				return nil, fmt.Errorf("uint64 value %d exceeds int64", v)
			}
		}
		return widen(d), nil
	case []bool:
		out := make([]int64, len(d))
		for i, v := range d {
			if v {
				out[i] = 1
			}
		}
		return out, nil
	}
	return nil, fmt.Errorf("%v is not an integer tensor", t.DType())
}

// bitWords returns the words a hex file holds for t: the values of integer
// tensors, the IEEE-754 bit patterns of float tensors.
func bitWords(t *tensor.Tensor) ([]int64, error) {
	switch d := t.Raw().(type) {
	case []float32:
		out := make([]int64, len(d))
		for i, v := range d {
			out[i] = int64(math.Float32bits(v))
		}
		return out, nil
	case []float64:
		out := make([]int64, len(d))
		for i, v := range d {
			out[i] = int64(math.Float64bits(v))
		}
		return out, nil
	case []uint64: // raw 64-bit patterns: masking keeps them exact
		out := make([]int64, len(d))
		for i, v := range d {
			out[i] = int64(v)
		}
		return out, nil
	}
	return Ints(t)
}

func widen[T int8 | uint8 | int16 | uint16 | int32 | uint32 | int64 | uint64](v []T) []int64 {
	out := make([]int64, len(v))
	for i, x := range v {
		out[i] = int64(x)
	}
	return out
}

// fromInts builds a tensor of dtype d and shape from int64 values, which
// must fit d (callers check).
func fromInts(d tensor.DType, shape []int, v []int64) *tensor.Tensor {
	return tensor.Cast(tensor.New(shape, v), d)
}
