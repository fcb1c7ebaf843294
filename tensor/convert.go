package tensor

import (
	"fmt"
	"math"
	"slices"
)

func copyAny(dst, src any) {
	switch d := dst.(type) {
	case []float32:
		copy(d, src.([]float32))
	case []float64:
		copy(d, src.([]float64))
	case []int8:
		copy(d, src.([]int8))
	case []uint8:
		copy(d, src.([]uint8))
	case []int16:
		copy(d, src.([]int16))
	case []uint16:
		copy(d, src.([]uint16))
	case []int32:
		copy(d, src.([]int32))
	case []uint32:
		copy(d, src.([]uint32))
	case []int64:
		copy(d, src.([]int64))
	case []uint64:
		copy(d, src.([]uint64))
	case []bool:
		copy(d, src.([]bool))
	default:
		panic(fmt.Sprintf("tensor: copy of %T", dst))
	}
}

// Float64s returns the elements converted to float64 (bools as 0/1). It is
// meant for comparisons and reports, not hot loops.
func (t *Tensor) Float64s() []float64 {
	out := make([]float64, t.Len())
	Visit(t, func(i int, v float64) { out[i] = v })
	return out
}

// Int64s returns the elements converted to int64 (floats truncated toward
// zero). Shape-carrying ops use it to read index and shape inputs of any
// integer type.
func (t *Tensor) Int64s() []int64 {
	if t.dtype == Int64 { // exact: no detour through float64
		return slices.Clone(t.Int64())
	}
	out := make([]int64, t.Len())
	Visit(t, func(i int, v float64) { out[i] = int64(v) })
	return out
}

// Visit calls f with every element converted to float64.
func Visit(t *Tensor, f func(i int, v float64)) {
	switch d := t.data.(type) {
	case []float32:
		visitNum(d, f)
	case []float64:
		visitNum(d, f)
	case []int8:
		visitNum(d, f)
	case []uint8:
		visitNum(d, f)
	case []int16:
		visitNum(d, f)
	case []uint16:
		visitNum(d, f)
	case []int32:
		visitNum(d, f)
	case []uint32:
		visitNum(d, f)
	case []int64:
		visitNum(d, f)
	case []uint64:
		visitNum(d, f)
	case []bool:
		for i, v := range d {
			if v {
				f(i, 1)
			} else {
				f(i, 0)
			}
		}
	}
}

func visitNum[T Number](d []T, f func(int, float64)) {
	for i, v := range d {
		f(i, float64(v))
	}
}

// Cast converts t to dtype d following ONNX Cast semantics: float to integer
// truncates toward zero (out-of-range values are implementation-defined in
// ONNX; here they wrap like C), anything to bool is v != 0, NaN to bool is true.
func Cast(t *Tensor, d DType) *Tensor {
	if t.dtype == d {
		return t.Clone()
	}
	out := Zeros(d, t.shape...)
	switch src := t.data.(type) {
	case []float32:
		castFrom(out, src)
	case []float64:
		castFrom(out, src)
	case []int8:
		castFrom(out, src)
	case []uint8:
		castFrom(out, src)
	case []int16:
		castFrom(out, src)
	case []uint16:
		castFrom(out, src)
	case []int32:
		castFrom(out, src)
	case []uint32:
		castFrom(out, src)
	case []int64:
		castFrom(out, src)
	case []uint64:
		castFrom(out, src)
	case []bool:
		u := make([]uint8, len(src))
		for i, v := range src {
			if v {
				u[i] = 1
			}
		}
		castFrom(out, u)
	}
	return out
}

func castFrom[S Number](out *Tensor, src []S) {
	switch dst := out.data.(type) {
	case []float32:
		castSlice(dst, src)
	case []float64:
		castSlice(dst, src)
	case []int8:
		castSlice(dst, src)
	case []uint8:
		castSlice(dst, src)
	case []int16:
		castSlice(dst, src)
	case []uint16:
		castSlice(dst, src)
	case []int32:
		castSlice(dst, src)
	case []uint32:
		castSlice(dst, src)
	case []int64:
		castSlice(dst, src)
	case []uint64:
		castSlice(dst, src)
	case []bool:
		for i, v := range src {
			f := float64(v)
			dst[i] = f != 0 || math.IsNaN(f)
		}
	}
}

func castSlice[D, S Number](dst []D, src []S) {
	for i, v := range src {
		dst[i] = D(v)
	}
}
