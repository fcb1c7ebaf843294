package export

import (
	"encoding/binary"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"t2c/data"
	"t2c/fuse"
	"t2c/graph"
	"t2c/integer"
	"t2c/onnx"
	"t2c/prune"
	"t2c/quant"
	"t2c/sparse"
	"t2c/tensor"
)

// prunedFashionCNN prunes the PyTorch Fashion-MNIST CNN with po, quantizes
// it W8A8 (calibrated on 64 embedded test images) and converts it into an
// integer graph for one 28×28 image, the path `t2c prune`, `ptq` and
// `convert` take. It returns the integer graph and one sample image.
func prunedFashionCNN(t *testing.T, po prune.Options) (*graph.Graph, *tensor.Tensor) {
	t.Helper()
	g, err := onnx.Load("../testdata/pytorch/fashion/cnn.onnx")
	if err != nil {
		t.Fatal(err)
	}
	p, err := prune.New(g, po)
	if err != nil {
		t.Fatal(err)
	}
	if err := p.Begin(); err != nil {
		t.Fatal(err)
	}
	if _, err := quant.Insert(g, quant.Options{WBits: 8, ABits: 8}); err != nil {
		t.Fatal(err)
	}
	ds, preset, err := data.Open("fashion-mnist", "test")
	if err != nil {
		t.Fatal(err)
	}
	norm := preset.Normalize()
	var batches []*tensor.Tensor
	for lo := 0; lo < 64; lo += 32 {
		x := tensor.Zeros(tensor.Float32, 32, 1, 28, 28)
		for i := range 32 {
			img := x.Float32()[i*784 : (i+1)*784]
			ds.Image(lo+i, img)
			res, _, _, _ := norm.Apply(img, 1, 28, 28, nil)
			copy(img, res)
		}
		batches = append(batches, x)
	}
	if err := quant.Calibrate(g, batches...); err != nil {
		t.Fatal(err)
	}
	if err := quant.SetMode(g, quant.ModeQuantize); err != nil {
		t.Fatal(err)
	}
	in := g.Inputs[0].Name
	res, err := fuse.Convert(g, map[string][]int{in: {1, 1, 28, 28}}, fuse.Options{})
	if err != nil {
		t.Fatal(err)
	}
	sample := tensor.New([]int{1, 1, 28, 28}, slices.Clone(batches[0].Float32()[:784]))
	return res.Graph, sample
}

// TestSparseExportPrunedModels exports a 2:4-pruned (first conv dense) and
// an 80 % element-wise pruned W8A8 Fashion-MNIST CNN and checks, from the
// files on disk alone: every IntConv/IntMatMul weight's sparsity and N:M
// pattern in manifest.json (recomputed here from the dense integers), that
// each weight has exactly the formats the rules give it, and that every
// compressed form — read back from its .hex and its .bin file, which must
// agree with each other and with the .npy — decodes, by a decoder written
// here from docs/EXPORT.md and by package sparse's, to the dense integer
// weights bit for bit.
func TestSparseExportPrunedModels(t *testing.T) {
	cases := []struct {
		name string
		po   prune.Options
		// want N:M pattern per weight ("" none); weights not listed must
		// have none.
		nm map[string]string
	}{
		{"nm24", prune.Options{Type: prune.TypeNM, N: 2, M: 4, Exclude: []string{"conv1"}},
			map[string]string{"conv2.weight": "2:4", "conv3.weight": "2:4", "conv4.weight": "2:4", "fc.weight": "2:4"}},
		{"element80", prune.Options{Type: prune.TypeElement, Sparsity: 0.8, Global: true}, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ig, sample := prunedFashionCNN(t, c.po)
			dir := filepath.Join(t.TempDir(), c.name)
			if _, err := Write(dir, ig, []*tensor.Tensor{sample}, Options{}); err != nil {
				t.Fatal(err)
			}
			raw, err := os.ReadFile(filepath.Join(dir, manifestFile))
			if err != nil {
				t.Fatal(err)
			}
			var m Manifest
			if err := json.Unmarshal(raw, &m); err != nil {
				t.Fatal(err)
			}
			if m.Sparse == nil || m.Sparse.ElementThreshold != SparseThreshold || m.Sparse.Format.NM == "" {
				t.Fatalf("manifest sparse section %+v", m.Sparse)
			}
			weights, zeros, total := 0, 0, 0
			for _, p := range m.Params {
				if p.Sparse == nil {
					continue
				}
				weights++
				dense := ig.Params[p.Name]
				if dense == nil {
					t.Fatalf("%s: sparse entry for a parameter the graph does not have", p.Name)
				}
				zeros, total = zeros+p.Zeros, total+p.Elements
				checkSparseWeight(t, dir, p, dense, c.nm[p.Name], c.nm != nil)
			}
			if weights != 5 || m.Sparse.Weights != 5 {
				t.Fatalf("%d weights with sparse entries (section says %d), want 5: conv1–conv4 and fc", weights, m.Sparse.Weights)
			}
			checkLayerSparsity(t, &m)
			t.Logf("%s: %.1f %% zeros over all weights; %s", c.name, 100*float64(zeros)/float64(total), m.Sparse.Summary())
			switch c.name {
			case "nm24":
				if m.Sparse.NM != 4 || m.Sparse.Patterns["2:4"] != 4 || m.Sparse.Compressed != 4 {
					t.Errorf("section %+v: want four 2:4 weights, conv1 dense", m.Sparse)
				}
			case "element80":
				// Global magnitude pruning: 80 % of all weights, so the big
				// convolutions are far above the threshold.
				if f := float64(zeros) / float64(total); f < 0.79 || f > 0.85 {
					t.Errorf("%.3f zeros over all weights, want 0.8 (plus weights quantized to 0)", f)
				}
				if m.Sparse.Element < 3 {
					t.Errorf("section %+v: want bitmask/CSR for at least conv2–conv4", m.Sparse)
				}
			}
		})
	}
}

// checkSparseWeight checks one weight's sparse entry and files against
// its dense integers. wantNM is the pattern the test expects when strict.
func checkSparseWeight(t *testing.T, dir string, p Param, dense *tensor.Tensor, wantNM string, strict bool) {
	t.Helper()
	sw := p.Sparse
	want := mustInts(t, dense)
	assertSameTensor(t, readNPYFile(t, dir, "params/"+FileStem(p.Name)+".npy"), dense) // the dense form stays
	z := 0
	for _, v := range want {
		if v == 0 {
			z++
		}
	}
	if p.Zeros != z || p.Sparsity != float64(z)/float64(len(want)) {
		t.Errorf("%s: %d zeros, sparsity %v; the integers have %d of %d", p.Name, p.Zeros, p.Sparsity, z, len(want))
	}
	rows, cols, offset := matrixView(t, p.Name, sw.Layout, dense.Shape())
	if sw.Rows != rows || sw.Cols != cols {
		t.Fatalf("%s: matrix %d×%d, want %d×%d", p.Name, sw.Rows, sw.Cols, rows, cols)
	}
	// The pattern, recomputed: the most non-zeros of any group of M
	// consecutive columns, for M = 4 and 8; N ≤ M/2 counts, sparsest wins,
	// M = 4 on a tie.
	gotNM := ""
	bestN, bestM := 0, 0
	for _, gm := range []int{4, 8} {
		if cols%gm != 0 {
			continue
		}
		most := 1
		for r := range rows {
			for g := 0; g < cols; g += gm {
				n := 0
				for j := range gm {
					if want[offset(r, g+j)] != 0 {
						n++
					}
				}
				most = max(most, n)
			}
		}
		if 2*most <= gm && (bestM == 0 || most*bestM < bestN*gm) {
			bestN, bestM = most, gm
			gotNM = fmt.Sprintf("%d:%d", most, gm)
		}
	}
	if sw.NM != gotNM || (strict && gotNM != wantNM) {
		t.Errorf("%s: manifest pattern %q, recomputed %q, want %q", p.Name, sw.NM, gotNM, wantNM)
	}
	if (sw.NMFormat != nil) != (gotNM != "") {
		t.Errorf("%s: pattern %q but N:M format %+v", p.Name, gotNM, sw.NMFormat)
	}
	if element := p.Sparsity >= SparseThreshold; (sw.Bitmask != nil) != element || (sw.CSR != nil) != element {
		t.Errorf("%s: sparsity %.3f, bitmask %v, CSR %v", p.Name, p.Sparsity, sw.Bitmask != nil, sw.CSR != nil)
	}

	h := sparse.Header{Shape: dense.Shape(), DType: dense.DType(), Layout: parseLayout(t, sw.Layout), Rows: rows, Cols: cols}
	if f := sw.NMFormat; f != nil {
		if f.N != bestN || f.M != bestM || f.IndexBits != map[int]int{4: 2, 8: 3}[f.M] || f.MetaStride%4 != 0 || f.MetaStride*8 < cols/f.M*f.N*f.IndexBits {
			t.Fatalf("%s: N:M entry %+v", p.Name, f)
		}
		slots := cols / f.M * f.N
		if !slices.Equal(f.Values.Shape, []int{rows, slots}) || !slices.Equal(f.Meta.Shape, []int{rows, f.MetaStride / 4}) || f.Meta.Bits != 32 || f.Meta.Signed {
			t.Fatalf("%s: N:M arrays %+v %+v", p.Name, f.Values, f.Meta)
		}
		for _, src := range []string{"hex", "bin"} {
			vals := readArray(t, dir, f.Values, src, dense.DType())
			meta := readArray(t, dir, f.Meta, src, tensor.Uint32)
			metaBytes := make([]byte, 4*len(meta))
			for i, w := range meta {
				binary.LittleEndian.PutUint32(metaBytes[4*i:], uint32(w))
			}
			what := p.Name + " N:M " + src
			// Decoded here from the documented layout.
			got := make([]int64, len(want))
			for r := range rows {
				bit := func(b int) int { return int(meta[r*f.MetaStride/4+b/32] >> (b % 32) & 1) }
				for g := range cols / f.M {
					prev := -1
					for s := range f.N {
						j := 0
						for k := range f.IndexBits {
							j |= bit((g*f.N+s)*f.IndexBits+k) << k
						}
						if j <= prev || j >= f.M {
							t.Fatalf("%s: row %d group %d slot %d: index %d after %d", what, r, g, s, j, prev)
						}
						prev = j
						got[offset(r, g*f.M+j)] = vals[r*slots+g*f.N+s]
					}
				}
			}
			sameInts(t, what, got, want)
			// And by package sparse.
			nm := &sparse.NM{Header: h, N: f.N, M: f.M, IndexBits: f.IndexBits, Values: fromInts(dense.DType(), f.Values.Shape, vals), Meta: metaBytes, MetaStride: f.MetaStride}
			decoded(t, what+" (sparse.NM)", nm.Decode, dense)
			if src == "hex" { // the check can fail: a moved index is noticed
				metaBytes[0] ^= 1
				if back, err := nm.Decode(); err == nil && slices.Equal(mustInts(t, back), want) {
					t.Fatalf("%s: decoding ignores the metadata", what)
				}
			}
		}
	}
	if f := sw.Bitmask; f != nil {
		if f.MaskStride != (cols+7)/8 || !slices.Equal(f.Mask.Shape, []int{rows, f.MaskStride}) || f.Values.Shape[0] != len(want)-z {
			t.Fatalf("%s: bitmask entry %+v", p.Name, f)
		}
		for _, src := range []string{"hex", "bin"} {
			mask := readArray(t, dir, f.Mask, src, tensor.Uint8)
			vals := readArray(t, dir, f.Values, src, dense.DType())
			what := p.Name + " bitmask " + src
			got := make([]int64, len(want))
			k := 0
			for r := range rows {
				for c := range cols {
					if mask[r*f.MaskStride+c/8]>>(c%8)&1 != 0 {
						got[offset(r, c)] = vals[k]
						k++
					}
				}
			}
			if k != len(vals) {
				t.Fatalf("%s: %d set bits for %d values", what, k, len(vals))
			}
			sameInts(t, what, got, want)
			mb := make([]byte, len(mask))
			for i, v := range mask {
				mb[i] = byte(v)
			}
			bm := &sparse.Bitmask{Header: h, Mask: mb, MaskStride: f.MaskStride, Values: fromInts(dense.DType(), f.Values.Shape, vals)}
			decoded(t, what+" (sparse.Bitmask)", bm.Decode, dense)
		}
	}
	if f := sw.CSR; f != nil {
		if !slices.Equal(f.RowPtr.Shape, []int{rows + 1}) || f.ColIdx.Shape[0] != len(want)-z || f.Values.Shape[0] != len(want)-z {
			t.Fatalf("%s: CSR entry %+v", p.Name, f)
		}
		for _, src := range []string{"hex", "bin"} {
			rowPtr := readArray(t, dir, f.RowPtr, src, tensor.Int32)
			colIdx := readArray(t, dir, f.ColIdx, src, tensor.Int32)
			vals := readArray(t, dir, f.Values, src, dense.DType())
			what := p.Name + " CSR " + src
			if rowPtr[0] != 0 || rowPtr[rows] != int64(len(vals)) {
				t.Fatalf("%s: row pointers %d … %d for %d values", what, rowPtr[0], rowPtr[rows], len(vals))
			}
			got := make([]int64, len(want))
			for r := range rows {
				for k := rowPtr[r]; k < rowPtr[r+1]; k++ {
					got[offset(r, int(colIdx[k]))] = vals[k]
				}
			}
			sameInts(t, what, got, want)
			rp, ci := make([]int32, len(rowPtr)), make([]int32, len(colIdx))
			for i, v := range rowPtr {
				rp[i] = int32(v)
			}
			for i, v := range colIdx {
				ci[i] = int32(v)
			}
			cs := &sparse.CSR{Header: h, RowPtr: rp, ColIdx: ci, Values: fromInts(dense.DType(), f.Values.Shape, vals)}
			decoded(t, what+" (sparse.CSR)", cs.Decode, dense)
		}
	}
}

// checkLayerSparsity checks that every IntConv/IntMatMul layer points at
// its weight's sparse entry.
func checkLayerSparsity(t *testing.T, m *Manifest) {
	t.Helper()
	layers := 0
	for _, l := range m.Layers {
		if l.Op != opIntConv && l.Op != opIntMatMul {
			continue
		}
		layers++
		ls := l.Sparse
		if ls == nil || l.X2 == nil || ls.Weight != l.X2.Name {
			t.Fatalf("layer %s: sparse %+v, x2 %+v", l.Name, ls, l.X2)
		}
		p := paramByName(t, m, ls.Weight)
		var formats []string
		if p.Sparse.NMFormat != nil {
			formats = append(formats, SparseNM)
		}
		if p.Sparse.Bitmask != nil {
			formats = append(formats, SparseBitmask, SparseCSR)
		}
		if ls.Sparsity != p.Sparsity || ls.NM != p.Sparse.NM || !slices.Equal(ls.Formats, formats) {
			t.Errorf("layer %s: %+v, weight %s: sparsity %v, pattern %q, formats %v", l.Name, ls, p.Name, p.Sparsity, p.Sparse.NM, formats)
		}
	}
	if layers != 5 {
		t.Errorf("%d IntConv/IntMatMul layers, want 5", layers)
	}
}

// matrixView is docs/SPARSE.md's matrix view, written out independently of
// sparse.Order: the [rows, cols] size and the flat tensor offset of (r, c).
func matrixView(t *testing.T, name, layout string, shape []int) (rows, cols int, offset func(r, c int) int) {
	t.Helper()
	switch layout {
	case "oihw":
		in, k := shape[1], tensor.NumElems(shape[2:])
		return shape[0], in * k, func(r, c int) int { return (r*in+c%in)*k + c/in }
	case "io":
		if len(shape) == 2 {
			o := shape[1]
			return o, shape[0], func(r, c int) int { return c*o + r }
		}
	}
	t.Fatalf("%s: layout %q for shape %v", name, layout, shape)
	return 0, 0, nil
}

func parseLayout(t *testing.T, s string) sparse.Layout {
	t.Helper()
	for _, l := range []sparse.Layout{sparse.OIHW, sparse.IO} {
		if l.String() == s {
			return l
		}
	}
	t.Fatalf("unknown layout %q", s)
	return 0
}

// readArray reads one compressed array from its .hex (sign-extended by the
// recorded word) or .bin file (raw dtype), checks that the .npy holds the
// same values, and returns them.
func readArray(t *testing.T, dir string, a SparseArray, src string, d tensor.DType) []int64 {
	t.Helper()
	if a.DType != d.String() {
		t.Fatalf("array %v: dtype %s, want %v", a.Files, a.DType, d)
	}
	var file string
	for _, f := range a.Files {
		if strings.HasSuffix(f, "."+src) {
			file = f
		}
	}
	if file == "" || len(a.Files) != 3 {
		t.Fatalf("array files %v: want npy, hex and bin", a.Files)
	}
	f, err := os.Open(filepath.Join(dir, filepath.FromSlash(file)))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var vals []int64
	if src == "hex" {
		vals, err = ReadHex(f, a.Word)
	} else {
		var x *tensor.Tensor
		if x, err = ReadBin(f, d, a.Shape); err == nil {
			vals, err = Ints(x)
		}
	}
	if err != nil {
		t.Fatalf("%s: %v", file, err)
	}
	if len(vals) != tensor.NumElems(a.Shape) {
		t.Fatalf("%s: %d values for shape %v", file, len(vals), a.Shape)
	}
	npy := readNPYFile(t, dir, strings.TrimSuffix(file, "."+src)+".npy")
	if npy.DType() != d || !slices.Equal(npy.Shape(), a.Shape) || !slices.Equal(mustInts(t, npy), vals) {
		t.Fatalf("%s differs from its .npy (%v%v)", file, npy.DType(), npy.Shape())
	}
	return vals
}

func sameInts(t *testing.T, what string, got, want []int64) {
	t.Helper()
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("%s: element %d decodes to %d, the dense weight holds %d", what, i, got[i], want[i])
		}
	}
}

func decoded(t *testing.T, what string, decode func() (*tensor.Tensor, error), dense *tensor.Tensor) {
	t.Helper()
	back, err := decode()
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
	if back.DType() != dense.DType() || !slices.Equal(back.Shape(), dense.Shape()) {
		t.Fatalf("%s: %v%v, want %v%v", what, back.DType(), back.Shape(), dense.DType(), dense.Shape())
	}
	sameInts(t, what, mustInts(t, back), mustInts(t, dense))
}

// TestSparseWorkedExample writes docs/EXPORT.md's worked example (one
// output channel, eight input channels, 1×1 kernel) and compares the hex
// files with the words the page gives.
func TestSparseWorkedExample(t *testing.T) {
	w := tensor.New([]int{1, 8, 1, 1}, []int8{0, 5, 0, -3, 7, 0, 0, 0})
	enc := &sparseEncodings{}
	var err error
	if enc.nm, err = sparse.EncodeNM(w, sparse.OIHW, 2, 4); err != nil {
		t.Fatal(err)
	}
	if enc.bm, err = sparse.EncodeBitmask(w, sparse.OIHW); err != nil {
		t.Fatal(err)
	}
	if enc.csr, err = sparse.EncodeCSR(w, sparse.OIHW); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	p := &param{t: w, stem: "params/w", entry: Param{Name: "w", Word: Word{Bits: 8, Signed: true}}}
	sw := &SparseWeight{encoded: enc}
	if err := sw.write(dir, p, []string{FormatHex}, map[string]bool{"params/w": true}); err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		"nm.values":      "05 fd 07 00",
		"nm.meta":        "0000004d",
		"bitmask.mask":   "1a",
		"bitmask.values": "05 fd 07",
		"csr.row_ptr":    "00000000 00000003",
		"csr.col_idx":    "00000001 00000003 00000004",
		"csr.values":     "05 fd 07",
	}
	for suffix, words := range want {
		raw, err := os.ReadFile(filepath.Join(dir, "params", "w."+suffix+".hex"))
		if err != nil {
			t.Fatal(err)
		}
		if got := strings.Join(strings.Fields(string(raw)), " "); got != words {
			t.Errorf("w.%s.hex = %q, want %q", suffix, got, words)
		}
	}
	if sw.NMFormat.MetaStride != 4 || sw.Bitmask.MaskStride != 1 || sw.CSR.Values.Shape[0] != 3 {
		t.Errorf("entries %+v %+v %+v", sw.NMFormat, sw.Bitmask, sw.CSR)
	}
	// A file stem taken by another parameter is refused, not overwritten.
	if err := (&SparseWeight{encoded: enc}).write(t.TempDir(), p, []string{FormatHex}, map[string]bool{"params/w.nm.values": true}); err == nil {
		t.Error("a colliding file stem was accepted")
	}
}

// TestSparseMatMulLayouts covers what the Fashion CNN does not: an
// IntMatMul weight read without trans_b ([in, out], layout io) in the N:M
// and element-wise forms, and a weight with a zero point, which gets a note
// and no compressed files.
func TestSparseMatMulLayouts(t *testing.T) {
	// w [8 in, 3 out]: column o keeps inputs {1, 2} | {4, 7} (o = 0), {0} |
	// {} (o = 1), {3} | {5, 6} (o = 2): 2:4 along the inputs.
	w := tensor.New([]int{8, 3}, []int8{
		0, 9, 0,
		-128, 0, 0,
		5, 0, 0,
		0, 0, 127,
		3, 0, 0,
		0, 0, -7,
		0, 0, 1,
		-2, 0, 0,
	})
	in := integer.Grid{Bits: 8, Scale: []float64{0.05}, ZeroPoint: 3}
	out := integer.Grid{Bits: 8, Signed: true, Scale: []float64{0.1}}
	acc := integer.Grid{Bits: 32, Signed: true, Scale: []float64{1e-3}}
	g := graph.New("io", 13)
	g.Inputs = []graph.ValueInfo{{Name: "x", DType: tensor.Float32, Shape: []int{1, 8}}}
	g.Outputs = []graph.ValueInfo{{Name: "y"}}
	g.Params["head.weight"] = w
	g.Nodes = []*graph.Node{
		integer.NewQuantizeInput("quant", "x", "xq", integer.QuantizeInputParams{Out: in}),
		integer.NewIntMatMul("head/mm", "xq", "head.weight", "acc", integer.IntMatMulParams{AZeroPoint: 3, Out: acc, Layer: "head"}),
		integer.NewRequant("head/rq", "acc", "y", integer.RequantParams{Channels: []integer.Fixed{{Multiplier: 1 << 30, Shift: 32}}, Out: out, Layer: "head"}),
	}
	x := tensor.New([]int{1, 8}, []float32{0.1, -0.2, 0.3, 0.4, 0.5, 0.6, -0.7, 0.8})
	dir := filepath.Join(t.TempDir(), "io")
	m, err := Write(dir, g, []*tensor.Tensor{x}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	p := paramByName(t, m, "head.weight")
	if p.Sparse == nil || p.Sparse.Layout != "io" || p.Sparse.NM != "2:4" || p.Sparse.Bitmask == nil {
		t.Fatalf("head.weight sparse entry %+v", p.Sparse)
	}
	checkSparseWeight(t, dir, p, w, "2:4", true)

	// The attention fixture's head weight has zero point 128: its integer
	// zeros are not zero weights.
	g, samples := attentionFixture(t)
	if m, err = Write(filepath.Join(t.TempDir(), "zp"), g, samples, Options{}); err != nil {
		t.Fatal(err)
	}
	p = paramByName(t, m, "head.weight")
	if p.Sparse == nil || len(p.Sparse.Notes) != 1 || p.Sparse.NMFormat != nil || p.Sparse.Bitmask != nil || p.Sparse.CSR != nil {
		t.Errorf("head.weight with zero point 128: sparse entry %+v", p.Sparse)
	}
	if l := layerByName(t, m, "head"); l.Sparse == nil || len(l.Sparse.Formats) != 0 {
		t.Errorf("head layer sparse %+v", l.Sparse)
	}
	if m.Sparse.Weights != 2 {
		t.Errorf("%d weights examined, want fc and head (Q·Kᵀ has none)", m.Sparse.Weights)
	}
}
