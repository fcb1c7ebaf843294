package tensor

import "fmt"

// DType identifies the element type of a tensor's storage.
type DType uint8

// Supported element types. Float32 is the compute type of float graphs; the
// integer types hold quantized values and accumulators; Int64 and Bool carry
// the shape computations that ONNX exporters emit.
const (
	Invalid DType = iota
	Float32
	Float64
	Int8
	Uint8
	Int16
	Uint16
	Int32
	Uint32
	Int64
	Uint64
	Bool
)

var dtypeNames = [...]string{"invalid", "float32", "float64", "int8", "uint8", "int16", "uint16", "int32", "uint32", "int64", "uint64", "bool"}
var dtypeSizes = [...]int{0, 4, 8, 1, 1, 2, 2, 4, 4, 8, 8, 1}

// String returns the lower-case name of the type, e.g. "float32".
func (d DType) String() string {
	if int(d) < len(dtypeNames) {
		return dtypeNames[d]
	}
	return fmt.Sprintf("dtype(%d)", int(d))
}

// Size is the number of bytes one element occupies.
func (d DType) Size() int {
	if int(d) < len(dtypeSizes) {
		return dtypeSizes[d]
	}
	return 0
}

// IsFloat reports whether d is a floating-point type.
func (d DType) IsFloat() bool { return d == Float32 || d == Float64 }

// IsInteger reports whether d is a signed or unsigned integer type.
func (d DType) IsInteger() bool { return d >= Int8 && d <= Uint64 }

// Elem is the set of Go types a tensor can store.
type Elem interface {
	~float32 | ~float64 | ~int8 | ~uint8 | ~int16 | ~uint16 | ~int32 | ~uint32 | ~int64 | ~uint64 | ~bool
}

// Number is Elem without bool: the types arithmetic is defined on.
type Number interface {
	~float32 | ~float64 | ~int8 | ~uint8 | ~int16 | ~uint16 | ~int32 | ~uint32 | ~int64 | ~uint64
}

// DTypeOf returns the DType that stores Go type T.
func DTypeOf[T Elem]() DType {
	var z T
	switch any(z).(type) {
	case float32:
		return Float32
	case float64:
		return Float64
	case int8:
		return Int8
	case uint8:
		return Uint8
	case int16:
		return Int16
	case uint16:
		return Uint16
	case int32:
		return Int32
	case uint32:
		return Uint32
	case int64:
		return Int64
	case uint64:
		return Uint64
	case bool:
		return Bool
	}
	return Invalid
}

// makeSlice allocates a zeroed slice of n elements of type d.
func makeSlice(d DType, n int) any {
	switch d {
	case Float32:
		return make([]float32, n)
	case Float64:
		return make([]float64, n)
	case Int8:
		return make([]int8, n)
	case Uint8:
		return make([]uint8, n)
	case Int16:
		return make([]int16, n)
	case Uint16:
		return make([]uint16, n)
	case Int32:
		return make([]int32, n)
	case Uint32:
		return make([]uint32, n)
	case Int64:
		return make([]int64, n)
	case Uint64:
		return make([]uint64, n)
	case Bool:
		return make([]bool, n)
	}
	panic(fmt.Sprintf("tensor: cannot allocate dtype %v", d))
}
