package sparse

import (
	"fmt"
	"math/bits"

	"t2c/tensor"
)

// NM is the N:M compressed form of a weight: each row's columns are cut
// into groups of M consecutive weights (Cols must be a multiple of M), and
// every group keeps exactly N (value, index) pairs, indices ascending. A
// group with fewer than N non-zeros (a kept weight that quantized to 0)
// is padded with zero values at its lowest unused indices, so every group
// has the same size, as sparse tensor cores require.
//
// Values is [Rows, Cols/M·N]: group g of row r holds slots g·N … g·N+N−1.
// Meta holds the indices, IndexBits = ⌈log2 M⌉ bits each: row r's bit
// stream starts at byte r·MetaStride; the index of slot s of group g sits
// at bit (g·N + s)·IndexBits of that stream, least significant bit first,
// bit b of the stream being bit b mod 8 of byte b/8. MetaStride is the
// row's bit count rounded up to whole 32-bit words (in bytes), so each
// row's metadata starts word-aligned. For 2:4 that is 4 bits per group of
// four weights, eight groups per little-endian 32-bit word.
type NM struct {
	Header
	N, M       int
	IndexBits  int
	Values     *tensor.Tensor
	Meta       []byte
	MetaStride int
}

// EncodeNM compresses an integer weight whose every group of m columns (in
// layout l's matrix order) holds at most n non-zeros.
func EncodeNM(w *tensor.Tensor, l Layout, n, m int) (*NM, error) {
	if m < 2 || n < 1 || n > m {
		return nil, fmt.Errorf("sparse: N:M needs 1 ≤ N ≤ M and M ≥ 2, got %d:%d", n, m)
	}
	h, vals, err := read(w, l)
	if err != nil {
		return nil, err
	}
	if h.Cols%m != 0 {
		return nil, fmt.Errorf("sparse: %d:%d needs the reduction length %d (shape %v, %v) to be a multiple of %d", n, m, h.Cols, h.Shape, l, m)
	}
	f := &NM{Header: h, N: n, M: m, IndexBits: indexBits(m)}
	groups := h.Cols / m
	f.MetaStride = (groups*n*f.IndexBits + 31) / 32 * 4
	f.Meta = make([]byte, h.Rows*f.MetaStride)
	out := make([]int64, h.Rows*groups*n)
	slots := make([]int, 0, m)
	for r := 0; r < h.Rows; r++ {
		for g := 0; g < groups; g++ {
			base := r*h.Cols + g*m
			slots = slots[:0]
			for j := 0; j < m; j++ {
				if vals[base+j] != 0 {
					slots = append(slots, j)
				}
			}
			if len(slots) > n {
				return nil, fmt.Errorf("sparse: row %d, group %d (columns %d–%d) has %d non-zeros, more than %d:%d allows",
					r, g, g*m, g*m+m-1, len(slots), n, m)
			}
			slots = padSlots(slots, n, m)
			for s, j := range slots {
				out[(r*groups+g)*n+s] = vals[base+j]
				f.putIndex(r, g*n+s, j)
			}
		}
	}
	f.Values = h.pack([]int{h.Rows, groups * n}, out)
	return f, nil
}

// padSlots adds the lowest unused positions until there are n, ascending.
func padSlots(slots []int, n, m int) []int {
	used := make([]bool, m)
	for _, j := range slots {
		used[j] = true
	}
	for j := 0; len(slots) < n && j < m; j++ {
		if !used[j] {
			slots, used[j] = append(slots, j), true
		}
	}
	out := slots[:0]
	for j := 0; j < m; j++ {
		if used[j] {
			out = append(out, j)
		}
	}
	return out
}

// indexBits is ⌈log2 m⌉ for m ≥ 2.
func indexBits(m int) int { return bits.Len(uint(m - 1)) }

func (f *NM) putIndex(r, slot, j int) {
	row := f.Meta[r*f.MetaStride : (r+1)*f.MetaStride]
	for t := 0; t < f.IndexBits; t++ {
		if j>>t&1 != 0 {
			b := slot*f.IndexBits + t
			row[b/8] |= 1 << (b % 8)
		}
	}
}

// Index returns the in-group position (0 … M−1) of slot s of group g in
// row r, read from Meta.
func (f *NM) Index(r, g, s int) int {
	row := f.Meta[r*f.MetaStride : (r+1)*f.MetaStride]
	j := 0
	for t := 0; t < f.IndexBits; t++ {
		b := (g*f.N+s)*f.IndexBits + t
		j |= int(row[b/8]>>(b%8)&1) << t
	}
	return j
}

// Decode expands the compressed form back into the dense weight tensor.
// Malformed metadata (indices out of range or not ascending) is an error.
func (f *NM) Decode() (*tensor.Tensor, error) {
	if f.M < 2 || f.N < 1 || f.N > f.M || f.Cols%f.M != 0 || f.IndexBits != indexBits(f.M) {
		return nil, fmt.Errorf("sparse: N:M header %d:%d, %d columns, %d index bits is inconsistent", f.N, f.M, f.Cols, f.IndexBits)
	}
	groups := f.Cols / f.M
	if f.Values == nil || f.Values.Len() != f.Rows*groups*f.N || f.Values.DType() != f.DType ||
		f.MetaStride*8 < groups*f.N*f.IndexBits || len(f.Meta) != f.Rows*f.MetaStride {
		return nil, fmt.Errorf("sparse: N:M values or metadata do not match the header")
	}
	src := f.Values.Int64s()
	vals := make([]int64, f.Rows*f.Cols)
	for r := 0; r < f.Rows; r++ {
		for g := 0; g < groups; g++ {
			prev := -1
			for s := 0; s < f.N; s++ {
				j := f.Index(r, g, s)
				if j <= prev || j >= f.M {
					return nil, fmt.Errorf("sparse: row %d, group %d: index %d after %d is not ascending within 0…%d", r, g, j, prev, f.M-1)
				}
				prev = j
				vals[r*f.Cols+g*f.M+j] = src[(r*groups+g)*f.N+s]
			}
		}
	}
	return f.unorder(vals)
}

// Bytes is the storage of values plus metadata.
func (f *NM) Bytes() int { return f.Values.Len()*f.DType.Size() + len(f.Meta) }
