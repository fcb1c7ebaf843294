package export

import (
	"encoding/binary"
	"fmt"
	"strings"

	"t2c/graph"
	"t2c/sparse"
	"t2c/tensor"
)

// SparseThreshold is the fraction of zero integer weights from which a
// weight is also written in the element-wise formats (bitmask and CSR).
// The integer graph no longer says whether it came from a pruned model
// (fuse multiplies the masks into the integers), so the zeros decide: at
// 25 % a bitmask of 8-bit weights (1/8 byte of mask per weight plus the
// non-zeros) is already 12.5 % smaller than the dense array, while a
// dense layer's incidental zeros (a few per mille) get no files.
const SparseThreshold = 0.25

// nmGroupSizes are the M of the N:M patterns looked for. Only patterns
// with N ≤ M/2 count (1:4, 2:4, 1:8 … 4:8): sparse tensor cores read
// those, and every weight with a zero in each group of 8 would otherwise
// "satisfy" 7:8.
var nmGroupSizes = []int{4, 8}

// Sparse formats of SparseWeight and LayerSparsity.Formats.
const (
	SparseNM      = "nm"
	SparseBitmask = "bitmask"
	SparseCSR     = "csr"
)

// SparseSection is the manifest's "sparse" section: the conventions of
// the compressed weight files (docs/EXPORT.md, docs/SPARSE.md) and what
// the export found.
type SparseSection struct {
	Format SparseFormatText `json:"format"`
	// ElementThreshold is SparseThreshold.
	ElementThreshold float64 `json:"element_threshold"`
	// Weights counts the IntConv/IntMatMul weight parameters examined,
	// Compressed those with any compressed form, NM those written in N:M
	// form, Element those written as bitmask and CSR; Patterns counts the
	// N:M patterns found ("2:4" → 3).
	Weights    int            `json:"weights"`
	Compressed int            `json:"compressed"`
	NM         int            `json:"nm"`
	Element    int            `json:"element"`
	Patterns   map[string]int `json:"patterns"`
}

// SparseFormatText states the compressed layouts in the manifest itself,
// like FileFormat, so the files can be read without the docs.
type SparseFormatText struct {
	Matrix  string `json:"matrix"`
	NM      string `json:"nm"`
	Bitmask string `json:"bitmask"`
	CSR     string `json:"csr"`
	Files   string `json:"files"`
}

var sparseFormatText = SparseFormatText{
	Matrix: "every format views a weight as a matrix [rows, cols], one row per output channel; layout oihw (IntConv [O, I, kh, kw], IntMatMul trans_b = 1 [O, I]): " +
		"row o, column p·I + i for kernel position p (row-major over kh, kw), so columns run (kh, kw, in) with the input channel fastest; layout io (IntMatMul trans_b = 0 [I, O]): row o, column i",
	NM: "per row, groups of M consecutive columns each keep exactly N (value, index) slots, indices ascending; a group with fewer than N non-zeros is padded with zero values at its lowest unused indices. " +
		"values [rows, cols/M·N] in the weight's dtype and word, group g of row r at slots g·N … g·N+N−1; meta [rows, meta_stride/4] 32-bit words: ceil(log2 M) index bits per slot, " +
		"slot s of group g of row r at bits (g·N + s)·index_bits … of row r's words, least significant bit first, bit b in word b/32 at bit b mod 32 (2:4: eight groups per word)",
	Bitmask: "mask [rows, mask_stride] bytes, mask_stride = ceil(cols/8): column c of row r is bit c mod 8 (least significant first) of byte r·mask_stride + c/8; " +
		"values: the non-zeros row by row, columns ascending (the order of the set bits), in the weight's dtype and word",
	CSR: "row_ptr int32 [rows + 1] (row_ptr[0] = 0, row_ptr[rows] = non-zeros), col_idx int32 [non-zeros] ascending within a row, values [non-zeros]: row r is values[row_ptr[r] : row_ptr[r+1]] at columns col_idx[…]",
	Files: "params/<weight>.nm.{values,meta}, params/<weight>.bitmask.{mask,values}, params/<weight>.csr.{row_ptr,col_idx,values}, each as .npy, .hex, .bin (the selected formats); " +
		"the dense weight params/<weight> stays; N:M for weights satisfying a pattern with N ≤ M/2 (M 4 or 8, the sparsest), bitmask and CSR for weights with sparsity ≥ element_threshold",
}

// SparseWeight is a weight parameter's sparse description (Param.Sparse):
// its matrix view, the N:M pattern it satisfies and the compressed files.
type SparseWeight struct {
	// Layout is "oihw" or "io" (docs/SPARSE.md); Rows are output
	// channels, Cols the reduction length.
	Layout string `json:"layout"`
	Rows   int    `json:"rows"`
	Cols   int    `json:"cols"`
	// NM is the sparsest pattern "N:M" (N ≤ M/2, M 4 or 8) every group
	// satisfies; "" if none.
	NM string `json:"nm,omitempty"`
	// DenseBytes is the dense weight's storage, to compare with the
	// formats' Bytes.
	DenseBytes int              `json:"dense_bytes"`
	NMFormat   *NMFormat        `json:"nm_format,omitempty"`
	Bitmask    *BitmaskFormat   `json:"bitmask,omitempty"`
	CSR        *CSRFormat       `json:"csr,omitempty"`
	Notes      []string         `json:"notes,omitempty"`
	encoded    *sparseEncodings // kept for writing
}

// sparseEncodings are the compressed forms of one weight.
type sparseEncodings struct {
	nm  *sparse.NM
	bm  *sparse.Bitmask
	csr *sparse.CSR
}

// SparseArray is one array of a compressed form: shape, storage dtype,
// word (what its hex files hold) and the files written.
type SparseArray struct {
	Shape []int  `json:"shape"`
	DType string `json:"dtype"`
	Word
	Files []string `json:"files"`
}

// NMFormat is the N:M form (sparse.NM).
type NMFormat struct {
	N         int `json:"n"`
	M         int `json:"m"`
	IndexBits int `json:"index_bits"`
	// MetaStride is the bytes of metadata per row (whole 32-bit words).
	MetaStride int         `json:"meta_stride"`
	Bytes      int         `json:"bytes"`
	Values     SparseArray `json:"values"`
	Meta       SparseArray `json:"meta"`
}

// BitmaskFormat is the element-wise bitmask form (sparse.Bitmask).
type BitmaskFormat struct {
	// MaskStride is the bytes of mask per row, ceil(Cols/8).
	MaskStride int         `json:"mask_stride"`
	Bytes      int         `json:"bytes"`
	Mask       SparseArray `json:"mask"`
	Values     SparseArray `json:"values"`
}

// CSRFormat is compressed sparse rows, one row per output channel
// (sparse.CSR).
type CSRFormat struct {
	Bytes  int         `json:"bytes"`
	RowPtr SparseArray `json:"row_ptr"`
	ColIdx SparseArray `json:"col_idx"`
	Values SparseArray `json:"values"`
}

// LayerSparsity is a layer's weight sparsity (Layer.Sparse), pointing at
// the parameter entry that holds the files.
type LayerSparsity struct {
	Weight   string  `json:"weight"`
	Sparsity float64 `json:"sparsity"`
	NM       string  `json:"nm,omitempty"`
	// Formats lists the compressed forms written (nm, bitmask, csr).
	Formats []string `json:"formats"`
}

// Summary is a one-line account for progress logs, such as "sparse
// weights: 3 of 5 (N:M 2:4 ×3; bitmask/CSR ×4)".
func (s *SparseSection) Summary() string {
	if s == nil || s.Compressed == 0 {
		return "sparse weights: none"
	}
	var pats []string
	for _, m := range nmGroupSizes {
		for n := 1; n <= m/2; n++ {
			if c := s.Patterns[fmt.Sprintf("%d:%d", n, m)]; c > 0 {
				pats = append(pats, fmt.Sprintf("%d:%d ×%d", n, m, c))
			}
		}
	}
	out := fmt.Sprintf("sparse weights: %d of %d (", s.Compressed, s.Weights)
	if len(pats) > 0 {
		out += "N:M " + strings.Join(pats, ", ") + "; "
	}
	return out + fmt.Sprintf("bitmask/CSR ×%d)", s.Element)
}

// writeSparse examines every IntConv/IntMatMul weight parameter, writes
// its compressed forms next to the dense files and fills m's sparse
// entries (Manifest.Sparse, Param.Sparse, Layer.Sparse). It runs after
// the parameters and layers are in m.
func (e *exporter) writeSparse(root string, m *Manifest) error {
	sec := &SparseSection{Format: sparseFormatText, ElementThreshold: SparseThreshold, Patterns: map[string]int{}}
	taken := map[string]bool{} // file stems already used, case-folded
	for _, p := range e.params {
		taken[caseFold(p.stem)] = true
	}
	byName := map[string]*SparseWeight{}
	sparsity := map[string]float64{}
	for i, p := range e.params {
		sw, err := e.sparseWeight(p)
		if err != nil {
			return fmt.Errorf("parameter %q: %w", p.entry.Name, err)
		}
		if sw == nil {
			continue
		}
		sec.Weights++
		if err := sw.write(root, p, e.opts.Formats, taken); err != nil {
			return fmt.Errorf("parameter %q: %w", p.entry.Name, err)
		}
		if sw.NMFormat != nil {
			sec.NM++
			sec.Patterns[sw.NM]++
		}
		if sw.Bitmask != nil {
			sec.Element++
		}
		if sw.NMFormat != nil || sw.Bitmask != nil {
			sec.Compressed++
		}
		sw.encoded = nil // written; the manifest need not hold the copies
		m.Params[i].Sparse = sw
		byName[p.entry.Name], sparsity[p.entry.Name] = sw, p.entry.Sparsity
	}
	for i, l := range e.layers {
		if !accumulates(l.op.Op) {
			continue
		}
		w := l.op.Input(1)
		sw := byName[w]
		if sw == nil {
			continue
		}
		ls := &LayerSparsity{Weight: w, Sparsity: sparsity[w], NM: sw.NM, Formats: []string{}}
		if sw.NMFormat != nil {
			ls.Formats = append(ls.Formats, SparseNM)
		}
		if sw.Bitmask != nil {
			ls.Formats = append(ls.Formats, SparseBitmask, SparseCSR)
		}
		m.Layers[i].Sparse = ls
	}
	m.Sparse = sec
	return nil
}

// sparseWeight describes and encodes p if it is the weight operand of an
// IntConv or IntMatMul (nil otherwise). A weight the formats cannot hold
// (a storage type other than int8/uint8/int16/uint16, a non-zero zero
// point, a MatMul operand of rank > 2) gets its notes and no files. A
// weight read by several nodes is described for the first of them (its
// layout and zero point).
func (e *exporter) sparseWeight(p *param) (*SparseWeight, error) {
	if p.node != nil {
		return nil, nil
	}
	var user *graph.Node
	for _, c := range e.consumers[p.entry.Name] {
		if accumulates(c.Op) && c.Input(1) == p.entry.Name {
			user = c
			break
		}
	}
	if user == nil {
		return nil, nil
	}
	layout, zp := sparse.OIHW, intAttr(user, "w_zero_point", 0)
	if user.Op == opIntMatMul {
		zp = intAttr(user, "b_zero_point", 0)
		if intAttr(user, "trans_b", 0) == 0 {
			layout = sparse.IO
		}
	}
	sw := &SparseWeight{Layout: layout.String(), DenseBytes: p.t.Len() * p.t.DType().Size()}
	switch {
	case user.Op == opIntMatMul && p.t.Rank() != 2:
		sw.Notes = append(sw.Notes, fmt.Sprintf("a MatMul operand of rank %d has no matrix view: no sparse formats", p.t.Rank()))
		return sw, nil
	case zp != 0:
		// With a zero point the integer 0 is not a zero weight, so the
		// compressed forms would not skip zero products.
		sw.Notes = append(sw.Notes, fmt.Sprintf("zero point %d: integer zeros are not zero weights, no sparse formats", zp))
		return sw, nil
	}
	mat, err := sparse.Dense(p.t, layout)
	if err != nil {
		sw.Notes = append(sw.Notes, "no sparse formats: "+err.Error())
		return sw, nil
	}
	sw.Rows, sw.Cols = mat.Rows, mat.Cols
	enc := &sparseEncodings{}
	if n, m := finestNM(mat.Data.Int64s(), mat.Cols); m > 0 {
		if enc.nm, err = sparse.EncodeNM(p.t, layout, n, m); err != nil {
			return nil, err // finestNM found at most n per group: a bug if this fails
		}
		sw.NM = fmt.Sprintf("%d:%d", n, m)
	}
	if p.entry.Sparsity >= SparseThreshold {
		if enc.bm, err = sparse.EncodeBitmask(p.t, layout); err != nil {
			return nil, err
		}
		if enc.csr, err = sparse.EncodeCSR(p.t, layout); err != nil {
			return nil, err
		}
	}
	sw.encoded = enc
	return sw, nil
}

// finestNM returns the sparsest N:M (N ≤ M/2, M in nmGroupSizes; on equal
// ratios the smaller M, whose stricter groups are simpler to read) that
// every group of the matrix rows (cols wide, row-major in vals)
// satisfies, or m = 0. N is the most non-zeros of any group, at least 1.
func finestNM(vals []int64, cols int) (n, m int) {
	for _, gm := range nmGroupSizes {
		if cols%gm != 0 {
			continue
		}
		most := 1
		for g := 0; g < len(vals); g += gm {
			c := 0
			for _, v := range vals[g : g+gm] {
				if v != 0 {
					c++
				}
			}
			most = max(most, c)
		}
		if 2*most > gm {
			continue
		}
		if m == 0 || most*m < n*gm {
			n, m = most, gm
		}
	}
	return n, m
}

// write writes the encoded forms of p under p.stem and records them.
func (sw *SparseWeight) write(root string, p *param, formats []string, taken map[string]bool) error {
	enc := sw.encoded
	if enc == nil {
		return nil
	}
	arr := func(suffix string, t *tensor.Tensor, w Word) (SparseArray, error) {
		stem := p.stem + "." + suffix
		if taken[caseFold(stem)] {
			return SparseArray{}, fmt.Errorf("sparse file %s collides with another parameter's files", stem)
		}
		taken[caseFold(stem)] = true
		files, err := WriteTensor(root, stem, t, w, formats)
		if err != nil {
			return SparseArray{}, err
		}
		return SparseArray{Shape: nonNil(t.Shape()), DType: t.DType().String(), Word: w, Files: nonNilSlice(files)}, nil
	}
	var err error
	if f := enc.nm; f != nil {
		nf := &NMFormat{N: f.N, M: f.M, IndexBits: f.IndexBits, MetaStride: f.MetaStride, Bytes: f.Bytes()}
		if nf.Values, err = arr("nm.values", f.Values, p.entry.Word); err != nil {
			return err
		}
		if nf.Meta, err = arr("nm.meta", metaWords(f), Word{Bits: 32}); err != nil {
			return err
		}
		sw.NMFormat = nf
	}
	if f := enc.bm; f != nil {
		bf := &BitmaskFormat{MaskStride: f.MaskStride, Bytes: f.Bytes()}
		mask := tensor.New([]int{f.Rows, f.MaskStride}, f.Mask)
		if bf.Mask, err = arr("bitmask.mask", mask, Word{Bits: 8}); err != nil {
			return err
		}
		if bf.Values, err = arr("bitmask.values", f.Values, p.entry.Word); err != nil {
			return err
		}
		sw.Bitmask = bf
	}
	if f := enc.csr; f != nil {
		cf := &CSRFormat{Bytes: f.Bytes()}
		i32 := WordOf(tensor.Int32)
		if cf.RowPtr, err = arr("csr.row_ptr", tensor.New([]int{len(f.RowPtr)}, f.RowPtr), i32); err != nil {
			return err
		}
		if cf.ColIdx, err = arr("csr.col_idx", tensor.New([]int{len(f.ColIdx)}, f.ColIdx), i32); err != nil {
			return err
		}
		if cf.Values, err = arr("csr.values", f.Values, p.entry.Word); err != nil {
			return err
		}
		sw.CSR = cf
	}
	return nil
}

// metaWords views N:M metadata as little-endian 32-bit words [Rows,
// MetaStride/4]: its .bin is the metadata bytes unchanged, and its .hex
// holds one word per line, the unit a $readmemh memory reads.
func metaWords(f *sparse.NM) *tensor.Tensor {
	words := make([]uint32, len(f.Meta)/4)
	for i := range words {
		words[i] = binary.LittleEndian.Uint32(f.Meta[4*i:])
	}
	return tensor.New([]int{f.Rows, f.MetaStride / 4}, words)
}
