package checkpoint

import (
	"math"

	"t2c/tensor"
)

// dtypeNames maps t2c dtypes to safetensors dtype strings.
var dtypeNames = map[tensor.DType]string{
	tensor.Float32: "F32",
	tensor.Float64: "F64",
	tensor.Int8:    "I8",
	tensor.Uint8:   "U8",
	tensor.Int16:   "I16",
	tensor.Uint16:  "U16",
	tensor.Int32:   "I32",
	tensor.Uint32:  "U32",
	tensor.Int64:   "I64",
	tensor.Uint64:  "U64",
	tensor.Bool:    "BOOL",
}

// fileDType is a dtype as stored in a file: the tensor dtype it loads into
// and its element size on disk.
type fileDType struct {
	dtype tensor.DType
	size  int
	half  halfKind // F16/BF16: stored as 2 bytes, converted to float32
}

type halfKind uint8

const (
	notHalf halfKind = iota
	f16
	bf16
)

// parseDType resolves a safetensors dtype string.
func parseDType(s string) (fileDType, bool) {
	switch s {
	case "F16":
		return fileDType{dtype: tensor.Float32, size: 2, half: f16}, true
	case "BF16":
		return fileDType{dtype: tensor.Float32, size: 2, half: bf16}, true
	}
	for d, name := range dtypeNames {
		if name == s {
			return fileDType{dtype: d, size: d.Size()}, true
		}
	}
	return fileDType{}, false
}

// supportedNames lists the dtype strings Load accepts, for error messages.
const supportedNames = "F32, F64, F16, BF16, I8, U8, I16, U16, I32, U32, I64, U64, BOOL"

// bf16ToF32 widens a bfloat16 (the top half of a float32) exactly.
func bf16ToF32(h uint16) float32 { return math.Float32frombits(uint32(h) << 16) }

// f16ToF32 converts an IEEE 754 binary16 value exactly (every binary16
// value, subnormals included, is representable in binary32).
func f16ToF32(h uint16) float32 {
	sign := uint32(h>>15) << 31
	exp := uint32(h>>10) & 0x1f
	mant := uint32(h) & 0x3ff
	switch {
	case exp == 0x1f: // Inf or NaN, keeping the payload
		return math.Float32frombits(sign | 0x7f800000 | mant<<13)
	case exp != 0: // normal: rebias 15 → 127
		return math.Float32frombits(sign | (exp+112)<<23 | mant<<13)
	case mant == 0:
		return math.Float32frombits(sign)
	}
	// Subnormal: mant · 2^-24, exact in float32.
	v := float32(mant) * (1.0 / (1 << 24))
	if sign != 0 {
		v = -v
	}
	return v
}
