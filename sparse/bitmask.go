package sparse

import (
	"fmt"

	"t2c/tensor"
)

// Bitmask is the element-wise sparse form: one presence bit per weight
// and the non-zero values packed in matrix order. Row r's bits start at
// byte r·MaskStride (MaskStride = ⌈Cols/8⌉, so rows start on a byte);
// column c's bit is bit c mod 8 (least significant first) of byte c/8 of
// the row. Values holds the non-zeros, row by row, columns ascending —
// the order of the set bits.
type Bitmask struct {
	Header
	Mask       []byte
	MaskStride int
	Values     *tensor.Tensor // [non-zeros]
}

// EncodeBitmask compresses an integer weight into the bitmask form.
func EncodeBitmask(w *tensor.Tensor, l Layout) (*Bitmask, error) {
	h, vals, err := read(w, l)
	if err != nil {
		return nil, err
	}
	f := &Bitmask{Header: h, MaskStride: (h.Cols + 7) / 8}
	f.Mask = make([]byte, h.Rows*f.MaskStride)
	var nz []int64
	for r := 0; r < h.Rows; r++ {
		for c := 0; c < h.Cols; c++ {
			if v := vals[r*h.Cols+c]; v != 0 {
				f.Mask[r*f.MaskStride+c/8] |= 1 << (c % 8)
				nz = append(nz, v)
			}
		}
	}
	f.Values = h.pack([]int{len(nz)}, nz)
	return f, nil
}

// Decode expands the bitmask form back into the dense weight tensor.
func (f *Bitmask) Decode() (*tensor.Tensor, error) {
	if f.MaskStride != (f.Cols+7)/8 || len(f.Mask) != f.Rows*f.MaskStride || f.Values == nil || f.Values.DType() != f.DType {
		return nil, fmt.Errorf("sparse: bitmask does not match its header")
	}
	src := f.Values.Int64s()
	vals := make([]int64, f.Rows*f.Cols)
	k := 0
	for r := 0; r < f.Rows; r++ {
		for c := 0; c < f.Cols; c++ {
			if f.Mask[r*f.MaskStride+c/8]>>(c%8)&1 == 0 {
				continue
			}
			if k == len(src) {
				return nil, fmt.Errorf("sparse: bitmask sets more bits than its %d values", len(src))
			}
			vals[r*f.Cols+c] = src[k]
			k++
		}
	}
	if k != len(src) {
		return nil, fmt.Errorf("sparse: bitmask sets %d bits for %d values", k, len(src))
	}
	return f.unorder(vals)
}

// Bytes is the storage of mask plus values.
func (f *Bitmask) Bytes() int { return len(f.Mask) + f.Values.Len()*f.DType.Size() }
