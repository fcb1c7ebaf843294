package sparse_test

import (
	"math/rand/v2"
	"slices"
	"testing"

	"t2c/sparse"
	"t2c/tensor"
)

func TestOrderConvIsOutKernelIn(t *testing.T) {
	// w[o][i][p] for shape [2, 3, 1, 2]: flat offset (o·3+i)·2 + p. Matrix
	// column p·3 + i, so each row reads i fastest within a kernel position.
	rows, cols, idx, err := sparse.Order([]int{2, 3, 1, 2}, sparse.OIHW)
	if err != nil {
		t.Fatal(err)
	}
	want := []int{0, 2, 4, 1, 3, 5, 6, 8, 10, 7, 9, 11}
	if rows != 2 || cols != 6 || !slices.Equal(idx, want) {
		t.Fatalf("Order = %d×%d %v, want 2×6 %v", rows, cols, idx, want)
	}
	rows, cols, idx, err = sparse.Order([]int{3, 2}, sparse.IO) // [in 3, out 2]
	if err != nil {
		t.Fatal(err)
	}
	if want := []int{0, 2, 4, 1, 3, 5}; rows != 2 || cols != 3 || !slices.Equal(idx, want) {
		t.Fatalf("Order IO = %d×%d %v, want 2×3 %v", rows, cols, idx, want)
	}
}

func TestNMHandWorked(t *testing.T) {
	// One output channel, 8 input channels, 1×1 kernel: two groups of 4.
	w := tensor.New([]int{1, 8, 1, 1}, []int8{0, 5, 0, -3, 7, 0, 0, 0})
	f, err := sparse.EncodeNM(w, sparse.OIHW, 2, 4)
	if err != nil {
		t.Fatal(err)
	}
	// Group 0 keeps indices 1, 3; group 1 has one non-zero (index 0) and is
	// padded with the lowest unused index, 1 (value 0).
	if got := f.Values.Int8(); !slices.Equal(got, []int8{5, -3, 7, 0}) {
		t.Fatalf("values %v", got)
	}
	// Indices 1,3,0,1 at 2 bits each, LSB first: 01 11 00 01 → bits
	// 0b01_00_11_01 = 0x4D, padded to one 32-bit word.
	if !slices.Equal(f.Meta, []byte{0x4d, 0, 0, 0}) || f.MetaStride != 4 || f.IndexBits != 2 {
		t.Fatalf("meta % x (stride %d, %d bits)", f.Meta, f.MetaStride, f.IndexBits)
	}
	back, err := f.Decode()
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(back.Int8(), w.Int8()) {
		t.Fatalf("decoded %v", back.Int8())
	}
	if _, err := sparse.EncodeNM(tensor.New([]int{1, 4}, []int8{1, 2, 3, 0}), sparse.OIHW, 2, 4); err == nil {
		t.Fatal("3 non-zeros in a 2:4 group were accepted")
	}
	if _, err := sparse.EncodeNM(tensor.New([]int{1, 6}, []int8{1, 0, 0, 0, 0, 0}), sparse.OIHW, 2, 4); err == nil {
		t.Fatal("6 columns were accepted for groups of 4")
	}
}

func TestBitmaskAndCSRHandWorked(t *testing.T) {
	// Linear weight [2 out, 10 in].
	w := tensor.New([]int{2, 10}, []int16{0, 0, 300, 0, 0, 0, 0, 0, 0, -2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0})
	b, err := sparse.EncodeBitmask(w, sparse.OIHW)
	if err != nil {
		t.Fatal(err)
	}
	// Row 0: bits 2 and 9 → bytes 0x04, 0x02; row 1 empty.
	if !slices.Equal(b.Mask, []byte{0x04, 0x02, 0, 0}) || b.MaskStride != 2 {
		t.Fatalf("mask % x stride %d", b.Mask, b.MaskStride)
	}
	if got := tensor.Data[int16](b.Values); !slices.Equal(got, []int16{300, -2}) {
		t.Fatalf("bitmask values %v", got)
	}
	c, err := sparse.EncodeCSR(w, sparse.OIHW)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(c.RowPtr, []int32{0, 2, 2}) || !slices.Equal(c.ColIdx, []int32{2, 9}) {
		t.Fatalf("CSR rowptr %v colidx %v", c.RowPtr, c.ColIdx)
	}
}

// randomSparse draws an integer weight whose every group of m values
// along the matrix rows holds at most n non-zeros (n = m: unstructured
// with about half zeros).
func randomSparse(t *testing.T, seed uint64, d tensor.DType, shape []int, l sparse.Layout, n, m int) *tensor.Tensor {
	t.Helper()
	r := rand.New(rand.NewPCG(seed, 7))
	_, _, idx, err := sparse.Order(shape, l)
	if err != nil {
		t.Fatal(err)
	}
	lo, hi := int64(-128), int64(127)
	switch d {
	case tensor.Int16:
		lo, hi = -32768, 32767
	case tensor.Uint8:
		lo, hi = 0, 255
	}
	vals := make([]int64, len(idx))
	for g := 0; g < len(idx); g += m {
		keep := r.Perm(m)[:n]
		for _, j := range keep {
			if n == m && r.IntN(2) == 0 {
				continue
			}
			v := lo + r.Int64N(hi-lo+1)
			if j == keep[0] && n < m { // include the extremes and exact zeros of kept slots
				v = []int64{lo, hi, 0, v}[r.IntN(4)]
			}
			vals[idx[g+j]] = v
		}
	}
	return tensor.Cast(tensor.New(shape, vals), d)
}

func equalBits(t *testing.T, what string, got, want *tensor.Tensor) {
	t.Helper()
	if got.DType() != want.DType() || !slices.Equal(got.Shape(), want.Shape()) || !slices.Equal(got.Int64s(), want.Int64s()) {
		t.Fatalf("%s: decoded %v%v differs from the dense %v%v", what, got.DType(), got.Shape(), want.DType(), want.Shape())
	}
}

func TestEveryFormatDecodesBitForBit(t *testing.T) {
	cases := []struct {
		name   string
		shape  []int
		layout sparse.Layout
	}{
		{"conv3x3", []int{8, 16, 3, 3}, sparse.OIHW},
		{"conv1x1", []int{4, 8, 1, 1}, sparse.OIHW},
		{"linear", []int{10, 64}, sparse.OIHW},
		{"matmul", []int{32, 6}, sparse.IO},
	}
	for _, c := range cases {
		for _, d := range []tensor.DType{tensor.Int8, tensor.Int16, tensor.Uint8} {
			for _, nm := range [][2]int{{2, 4}, {1, 4}, {4, 8}, {1, 2}} {
				w := randomSparse(t, uint64(len(c.name)*nm[1]+nm[0]), d, c.shape, c.layout, nm[0], nm[1])
				what := c.name + "/" + d.String()
				f, err := sparse.EncodeNM(w, c.layout, nm[0], nm[1])
				if err != nil {
					t.Fatalf("%s %d:%d: %v", what, nm[0], nm[1], err)
				}
				back, err := f.Decode()
				if err != nil {
					t.Fatal(err)
				}
				equalBits(t, what+" N:M", back, w)
				for s := 0; s < f.Values.Len()/f.N; s++ { // indices ascending, in range
					r, g := s/(f.Cols/f.M), s%(f.Cols/f.M)
					for k := 1; k < f.N; k++ {
						if f.Index(r, g, k) <= f.Index(r, g, k-1) {
							t.Fatalf("%s: indices not ascending", what)
						}
					}
				}
			}
			w := randomSparse(t, 99, d, c.shape, c.layout, 4, 4)
			b, err := sparse.EncodeBitmask(w, c.layout)
			if err != nil {
				t.Fatal(err)
			}
			back, err := b.Decode()
			if err != nil {
				t.Fatal(err)
			}
			equalBits(t, c.name+" bitmask", back, w)
			cs, err := sparse.EncodeCSR(w, c.layout)
			if err != nil {
				t.Fatal(err)
			}
			if back, err = cs.Decode(); err != nil {
				t.Fatal(err)
			}
			equalBits(t, c.name+" CSR", back, w)
			m, err := sparse.Dense(w, c.layout)
			if err != nil {
				t.Fatal(err)
			}
			if back, err = m.Decode(); err != nil {
				t.Fatal(err)
			}
			equalBits(t, c.name+" dense", back, w)
			if b.Values.Len() != cs.Values.Len() || b.Bytes() <= 0 || cs.Bytes() <= 0 {
				t.Fatalf("%s: bitmask holds %d values, CSR %d", c.name, b.Values.Len(), cs.Values.Len())
			}
		}
	}
}

func TestDecodeRejectsMalformed(t *testing.T) {
	w := tensor.New([]int{1, 4}, []int8{0, 1, 0, 2})
	f, err := sparse.EncodeNM(w, sparse.OIHW, 2, 4)
	if err != nil {
		t.Fatal(err)
	}
	f.Meta[0] = 0x05 // indices 1, 1
	if _, err := f.Decode(); err == nil {
		t.Fatal("repeated N:M index decoded")
	}
	c, err := sparse.EncodeCSR(w, sparse.OIHW)
	if err != nil {
		t.Fatal(err)
	}
	c.ColIdx[1] = 4
	if _, err := c.Decode(); err == nil {
		t.Fatal("CSR column out of range decoded")
	}
	b, err := sparse.EncodeBitmask(w, sparse.OIHW)
	if err != nil {
		t.Fatal(err)
	}
	b.Mask[0] |= 1
	if _, err := b.Decode(); err == nil {
		t.Fatal("bitmask with more bits than values decoded")
	}
	if _, err := sparse.EncodeCSR(tensor.Zeros(tensor.Float32, 2, 2), sparse.OIHW); err == nil {
		t.Fatal("float weights accepted")
	}
}
