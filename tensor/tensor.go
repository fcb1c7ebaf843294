// Package tensor provides dense, row-major N-dimensional tensors of float32,
// float64, integer and bool elements, with broadcasting elementwise
// operations and reductions.
//
// A Tensor is a shape plus a typed Go slice. Reshape shares storage; Clone
// copies it. Hot loops (GEMM, convolution) live in package kernels; this
// package keeps the generic, obviously-correct versions every dtype needs.
package tensor

import (
	"fmt"
	"slices"
)

// Tensor is a dense row-major array. The zero value is not usable; build
// tensors with New, Zeros, FromSlice or Scalar.
type Tensor struct {
	shape []int
	dtype DType
	data  any // []T matching dtype
}

// New wraps data (not copied) as a tensor of the given shape. It panics if
// len(data) does not equal the shape's element count: that is a programming
// error, not an input error.
func New[T Elem](shape []int, data []T) *Tensor {
	if n := NumElems(shape); n != len(data) {
		panic(fmt.Sprintf("tensor.New: shape %v needs %d elements, got %d", shape, n, len(data)))
	}
	return &Tensor{shape: slices.Clone(shape), dtype: DTypeOf[T](), data: data}
}

// Zeros allocates a zero-filled tensor.
func Zeros(d DType, shape ...int) *Tensor {
	return &Tensor{shape: slices.Clone(shape), dtype: d, data: makeSlice(d, NumElems(shape))}
}

// Scalar returns a rank-0 tensor holding v.
func Scalar[T Elem](v T) *Tensor { return New[T](nil, []T{v}) }

// FromSlice returns a rank-1 tensor holding a copy of v.
func FromSlice[T Elem](v []T) *Tensor { return New([]int{len(v)}, slices.Clone(v)) }

// Shape returns the tensor's dimensions. Callers must not modify it.
func (t *Tensor) Shape() []int { return t.shape }

// Rank is the number of dimensions.
func (t *Tensor) Rank() int { return len(t.shape) }

// Dim returns dimension i; negative i counts from the end.
func (t *Tensor) Dim(i int) int {
	if i < 0 {
		i += len(t.shape)
	}
	return t.shape[i]
}

// DType returns the element type.
func (t *Tensor) DType() DType { return t.dtype }

// Len is the number of elements.
func (t *Tensor) Len() int { return NumElems(t.shape) }

// Raw returns the underlying slice ([]float32, []int64, ...).
func (t *Tensor) Raw() any { return t.data }

// Float32 returns the float32 storage; it panics for other dtypes.
func (t *Tensor) Float32() []float32 { return t.data.([]float32) }

// Int64 returns the int64 storage; it panics for other dtypes.
func (t *Tensor) Int64() []int64 { return t.data.([]int64) }

// Int32 returns the int32 storage; it panics for other dtypes.
func (t *Tensor) Int32() []int32 { return t.data.([]int32) }

// Int8 returns the int8 storage; it panics for other dtypes.
func (t *Tensor) Int8() []int8 { return t.data.([]int8) }

// Uint8 returns the uint8 storage; it panics for other dtypes.
func (t *Tensor) Uint8() []uint8 { return t.data.([]uint8) }

// Bool returns the bool storage; it panics for other dtypes.
func (t *Tensor) Bool() []bool { return t.data.([]bool) }

// Data returns t's storage as []T; it panics if T does not match the dtype.
func Data[T Elem](t *Tensor) []T { return t.data.([]T) }

// Reshape returns a tensor sharing t's storage with a new shape of the same
// element count.
func (t *Tensor) Reshape(shape ...int) (*Tensor, error) {
	if NumElems(shape) != t.Len() {
		return nil, fmt.Errorf("cannot reshape %v (%d elements) to %v", t.shape, t.Len(), shape)
	}
	return &Tensor{shape: slices.Clone(shape), dtype: t.dtype, data: t.data}, nil
}

// MustReshape is Reshape for shapes known to match; it panics otherwise.
func (t *Tensor) MustReshape(shape ...int) *Tensor {
	r, err := t.Reshape(shape...)
	if err != nil {
		panic(err)
	}
	return r
}

// Clone returns a deep copy.
func (t *Tensor) Clone() *Tensor {
	c := Zeros(t.dtype, t.shape...)
	copyAny(c.data, t.data)
	return c
}

// CopyFrom copies src's elements into t; dtypes and element counts must match.
func (t *Tensor) CopyFrom(src *Tensor) error {
	if t.dtype != src.dtype || t.Len() != src.Len() {
		return fmt.Errorf("copy %v%v into %v%v", src.dtype, src.shape, t.dtype, t.shape)
	}
	copyAny(t.data, src.data)
	return nil
}

// String summarises the tensor for error messages and debugging.
func (t *Tensor) String() string {
	return fmt.Sprintf("Tensor(%v%v)", t.dtype, t.shape)
}

// NumElems is the product of the dimensions (1 for a scalar).
func NumElems(shape []int) int {
	n := 1
	for _, d := range shape {
		n *= d
	}
	return n
}

// Strides returns row-major element strides for shape.
func Strides(shape []int) []int {
	s := make([]int, len(shape))
	acc := 1
	for i := len(shape) - 1; i >= 0; i-- {
		s[i] = acc
		acc *= shape[i]
	}
	return s
}

// SameShape reports whether two shapes are identical.
func SameShape(a, b []int) bool { return slices.Equal(a, b) }

// StorageID identifies t's backing array: tensors that share storage (a
// Reshape and its source) have the same ID. Empty tensors return 0. The
// executor uses it to recycle buffers only when no live value uses them.
func (t *Tensor) StorageID() uintptr {
	return storageID(t.data)
}

// Wrap returns a tensor of dtype d and shape over storage previously
// obtained from Raw (for buffer pools); len(data) must be at least the
// element count, and the tensor uses its prefix.
func Wrap(d DType, shape []int, data any) *Tensor {
	n := NumElems(shape)
	return &Tensor{shape: slices.Clone(shape), dtype: d, data: prefix(data, n)}
}
