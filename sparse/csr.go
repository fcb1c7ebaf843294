package sparse

import (
	"fmt"

	"t2c/tensor"
)

// CSR is compressed sparse rows with one row per output channel: the
// non-zeros of row r are Values[RowPtr[r]:RowPtr[r+1]] at columns
// ColIdx[RowPtr[r]:RowPtr[r+1]] (ascending). RowPtr has Rows+1 entries,
// RowPtr[0] = 0 and RowPtr[Rows] = the number of non-zeros.
type CSR struct {
	Header
	RowPtr []int32
	ColIdx []int32
	Values *tensor.Tensor // [non-zeros]
}

// EncodeCSR compresses an integer weight into CSR.
func EncodeCSR(w *tensor.Tensor, l Layout) (*CSR, error) {
	h, vals, err := read(w, l)
	if err != nil {
		return nil, err
	}
	f := &CSR{Header: h, RowPtr: make([]int32, 1, h.Rows+1)}
	var nz []int64
	for r := 0; r < h.Rows; r++ {
		for c := 0; c < h.Cols; c++ {
			if v := vals[r*h.Cols+c]; v != 0 {
				f.ColIdx = append(f.ColIdx, int32(c))
				nz = append(nz, v)
			}
		}
		f.RowPtr = append(f.RowPtr, int32(len(nz)))
	}
	f.Values = h.pack([]int{len(nz)}, nz)
	return f, nil
}

// Decode expands CSR back into the dense weight tensor.
func (f *CSR) Decode() (*tensor.Tensor, error) {
	if len(f.RowPtr) != f.Rows+1 || f.Values == nil || f.Values.DType() != f.DType ||
		len(f.ColIdx) != f.Values.Len() || f.RowPtr[0] != 0 || int(f.RowPtr[f.Rows]) != len(f.ColIdx) {
		return nil, fmt.Errorf("sparse: CSR arrays do not match its header")
	}
	src := f.Values.Int64s()
	vals := make([]int64, f.Rows*f.Cols)
	for r := 0; r < f.Rows; r++ {
		lo, hi := int(f.RowPtr[r]), int(f.RowPtr[r+1])
		if lo > hi || hi > len(src) {
			return nil, fmt.Errorf("sparse: CSR row %d spans %d…%d", r, lo, hi)
		}
		prev := -1
		for k := lo; k < hi; k++ {
			c := int(f.ColIdx[k])
			if c <= prev || c >= f.Cols {
				return nil, fmt.Errorf("sparse: CSR row %d: column %d after %d is not ascending within 0…%d", r, c, prev, f.Cols-1)
			}
			prev = c
			vals[r*f.Cols+c] = src[k]
		}
	}
	return f.unorder(vals)
}

// Bytes is the storage of row pointers, column indices and values.
func (f *CSR) Bytes() int { return 4*len(f.RowPtr) + 4*len(f.ColIdx) + f.Values.Len()*f.DType.Size() }
