package sparse

import (
	"fmt"

	"t2c/tensor"
)

// Layout says how a weight tensor's axes map onto the [rows, cols] matrix
// every format compresses: rows are output channels, columns run over the
// reduction with the input channel fastest.
type Layout int

const (
	// OIHW is a convolution weight [O, I, k1, k2, …] (ONNX/PyTorch order)
	// or a Gemm(transB=1)/PyTorch Linear weight [O, I]. Row o, column
	// p·I + i for kernel position p (row-major over k1, k2, …): the
	// (out, kh, kw, in) order, so groups of consecutive columns run along
	// the input channels.
	OIHW Layout = iota
	// IO is a weight [I, O] read as the right operand of MatMul or of
	// Gemm(transB=0). Row o, column i.
	IO
)

// String names the layout.
func (l Layout) String() string {
	switch l {
	case OIHW:
		return "oihw"
	case IO:
		return "io"
	}
	return fmt.Sprintf("layout(%d)", int(l))
}

// Order maps the matrix view of a tensor of the given shape to tensor
// offsets: element (r, c) of the [rows, cols] matrix is the tensor's flat
// element idx[r·cols + c].
func Order(shape []int, l Layout) (rows, cols int, idx []int, err error) {
	for _, d := range shape {
		if d <= 0 {
			return 0, 0, nil, fmt.Errorf("sparse: shape %v has an empty axis", shape)
		}
	}
	switch l {
	case OIHW:
		if len(shape) < 2 {
			return 0, 0, nil, fmt.Errorf("sparse: layout %v needs rank ≥ 2, got shape %v", l, shape)
		}
		o, in := shape[0], shape[1]
		k := tensor.NumElems(shape[2:])
		rows, cols = o, in*k
		idx = make([]int, rows*cols)
		for r := 0; r < o; r++ {
			for p := 0; p < k; p++ {
				for i := 0; i < in; i++ {
					idx[r*cols+p*in+i] = (r*in+i)*k + p
				}
			}
		}
	case IO:
		if len(shape) != 2 {
			return 0, 0, nil, fmt.Errorf("sparse: layout %v needs rank 2, got shape %v", l, shape)
		}
		in, o := shape[0], shape[1]
		rows, cols = o, in
		idx = make([]int, rows*cols)
		for r := 0; r < o; r++ {
			for i := 0; i < in; i++ {
				idx[r*cols+i] = i*o + r
			}
		}
	default:
		return 0, 0, nil, fmt.Errorf("sparse: unknown layout %d", int(l))
	}
	return rows, cols, idx, nil
}

// Header describes the dense tensor a compressed form came from.
type Header struct {
	Shape  []int        // the weight tensor's shape
	DType  tensor.DType // its integer type
	Layout Layout
	Rows   int // output channels
	Cols   int // reduction length per output channel
}

// Matrix is the dense form of a weight in matrix order: Data is
// [Rows, Cols] with element (r, c) as Order defines.
type Matrix struct {
	Header
	Data *tensor.Tensor
}

// Dense reorders an integer weight tensor into matrix order.
func Dense(w *tensor.Tensor, l Layout) (*Matrix, error) {
	h, vals, err := read(w, l)
	if err != nil {
		return nil, err
	}
	return &Matrix{Header: h, Data: h.pack([]int{h.Rows, h.Cols}, vals)}, nil
}

// Decode returns the weight tensor in its original shape.
func (m *Matrix) Decode() (*tensor.Tensor, error) {
	if m.Data == nil || m.Data.Len() != m.Rows*m.Cols || m.Data.DType() != m.DType {
		return nil, fmt.Errorf("sparse: matrix data does not match its header")
	}
	return m.unorder(m.Data.Int64s())
}

// read checks w and returns its header and its values in matrix order.
func read(w *tensor.Tensor, l Layout) (Header, []int64, error) {
	switch w.DType() {
	case tensor.Int8, tensor.Uint8, tensor.Int16, tensor.Uint16:
	default:
		return Header{}, nil, fmt.Errorf("sparse: weights must be int8, uint8, int16 or uint16, got %v", w.DType())
	}
	rows, cols, idx, err := Order(w.Shape(), l)
	if err != nil {
		return Header{}, nil, err
	}
	src := w.Int64s()
	vals := make([]int64, len(idx))
	for k, off := range idx {
		vals[k] = src[off]
	}
	return Header{Shape: append([]int(nil), w.Shape()...), DType: w.DType(), Layout: l, Rows: rows, Cols: cols}, vals, nil
}

// unorder puts matrix-order values back into a tensor of the header's
// shape and type.
func (h Header) unorder(vals []int64) (*tensor.Tensor, error) {
	rows, cols, idx, err := Order(h.Shape, h.Layout)
	if err != nil {
		return nil, err
	}
	if rows != h.Rows || cols != h.Cols || len(vals) != len(idx) {
		return nil, fmt.Errorf("sparse: header %v×%v does not match shape %v (%v)", h.Rows, h.Cols, h.Shape, h.Layout)
	}
	out := make([]int64, len(idx))
	for k, off := range idx {
		out[off] = vals[k]
	}
	return h.pack(h.Shape, out), nil
}

// pack stores int64 values (in range by construction) in the header's type.
func (h Header) pack(shape []int, vals []int64) *tensor.Tensor {
	return tensor.Cast(tensor.New(shape, vals), h.DType)
}
