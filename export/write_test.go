package export

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"t2c/tensor"
)

// readNPYFile reads one exported .npy file.
func readNPYFile(t testing.TB, dir, rel string) *tensor.Tensor {
	t.Helper()
	f, err := os.Open(filepath.Join(dir, filepath.FromSlash(rel)))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	x, err := ReadNPY(f)
	if err != nil {
		t.Fatalf("%s: %v", rel, err)
	}
	return x
}

// readHexFile reads one exported .hex file.
func readHexFile(t testing.TB, dir, rel string, w Word) []int64 {
	t.Helper()
	f, err := os.Open(filepath.Join(dir, filepath.FromSlash(rel)))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	v, err := ReadHex(f, w)
	if err != nil {
		t.Fatalf("%s: %v", rel, err)
	}
	return v
}

func mustInts(t testing.TB, x *tensor.Tensor) []int64 {
	t.Helper()
	v, err := Ints(x)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func layerByName(t testing.TB, m *Manifest, name string) Layer {
	t.Helper()
	for _, l := range m.Layers {
		if l.Name == name {
			return l
		}
	}
	t.Fatalf("no layer %q in the manifest", name)
	return Layer{}
}

func paramByName(t testing.TB, m *Manifest, name string) Param {
	t.Helper()
	for _, p := range m.Params {
		if p.Name == name {
			return p
		}
	}
	t.Fatalf("no parameter %q in the manifest", name)
	return Param{}
}

func TestWriteConvLayer(t *testing.T) {
	g, samples := convFixture(t, 12)
	dir := filepath.Join(t.TempDir(), "out")
	m, err := Write(dir, g, samples, Options{Samples: 2, PE: 5})
	if err != nil {
		t.Fatal(err)
	}

	// manifest.json is the returned manifest.
	raw, err := os.ReadFile(filepath.Join(dir, "manifest.json"))
	if err != nil {
		t.Fatal(err)
	}
	var back Manifest
	if err := json.Unmarshal(raw, &back); err != nil {
		t.Fatal(err)
	}
	if back.Schema != Schema || back.Model != "resnet-conv1" || back.Samples != 2 || len(back.Nodes) != 3 || len(back.Layers) != 2 {
		t.Fatalf("manifest: schema %q model %q samples %d, %d nodes, %d layers", back.Schema, back.Model, back.Samples, len(back.Nodes), len(back.Layers))
	}

	// Nodes in execution order with shapes, words, grids and attributes.
	if ops := []string{m.Nodes[0].Op, m.Nodes[1].Op, m.Nodes[2].Op}; !slices.Equal(ops, []string{"QuantizeInput", "IntConv", "Requant"}) {
		t.Fatalf("ops %v", ops)
	}
	conv := back.Nodes[1]
	x := conv.Inputs[0]
	if x.Bits != 8 || x.Signed || x.Grid == nil || x.Grid.ZeroPoint == 0 || !slices.Equal(x.Shape, []int{1, 3, 12, 12}) || x.DType != "uint8" {
		t.Errorf("IntConv input %+v: want uint8 [1 3 12 12] on an 8-bit unsigned grid with a zero point", x)
	}
	if w := conv.Inputs[1]; w.Kind != "param" || w.Bits != 8 || !w.Signed || !slices.Equal(w.Shape, []int{16, 3, 3, 3}) {
		t.Errorf("IntConv weight %+v", w)
	}
	if acc := conv.Outputs[0]; acc.DType != "int32" || acc.Bits != 32 || acc.Grid == nil || len(acc.Grid.Scale) != 16 || acc.Grid.Axis == nil {
		t.Errorf("IntConv accumulator %+v", acc)
	}
	if conv.Layer != "conv1" || conv.MACs != 16*12*12*27 {
		t.Errorf("IntConv layer %q, MACs %d", conv.Layer, conv.MACs)
	}
	if zp, ok := conv.Attrs["x_zero_point"].(float64); !ok || int64(zp) != x.Grid.ZeroPoint {
		t.Errorf("x_zero_point attribute %v, grid zero point %d", conv.Attrs["x_zero_point"], x.Grid.ZeroPoint)
	}
	if mult, ok := back.Nodes[2].Attrs["multiplier"].([]any); !ok || len(mult) != 16 {
		t.Errorf("Requant multiplier attribute %v", back.Nodes[2].Attrs["multiplier"])
	}

	// Parameters: weights and the Requant arrays, every format.
	w := paramByName(t, m, "conv1.weight")
	wantFiles := []string{"params/conv1.weight.npy", "params/conv1.weight.hex", "params/conv1.weight.bin"}
	if !slices.Equal(w.Files, wantFiles) || w.CName != "conv1_weight" || w.Elements != 432 {
		t.Errorf("weight entry %+v", w)
	}
	wt := g.Params["conv1.weight"]
	zeros := 0
	for _, v := range wt.Int8() {
		if v == 0 {
			zeros++
		}
	}
	if w.Zeros != zeros || w.Sparsity != float64(zeros)/432 {
		t.Errorf("weight zeros %d sparsity %v, want %d", w.Zeros, w.Sparsity, zeros)
	}
	assertSameTensor(t, readNPYFile(t, dir, w.Files[0]), wt)
	if got := readHexFile(t, dir, w.Files[1], w.Word); !slices.Equal(got, mustInts(t, wt)) {
		t.Error("weight hex differs from the parameter")
	}
	binFile, err := os.Open(filepath.Join(dir, w.Files[2]))
	if err != nil {
		t.Fatal(err)
	}
	defer binFile.Close()
	if got, err := ReadBin(binFile, tensor.Int8, wt.Shape()); err != nil {
		t.Fatal(err)
	} else {
		assertSameTensor(t, got, wt)
	}
	for attr, word := range map[string]Word{"multiplier": {32, true}, "shift": {8, false}, "bias": {64, true}} {
		p := paramByName(t, m, "conv1."+attr)
		if p.Source != "attribute" || p.Node != "/conv1/Requant" || p.Word != word {
			t.Errorf("%s entry %+v", attr, p)
		}
		want := g.Nodes[2].Attrs[attr].Ints
		if got := readHexFile(t, dir, "params/conv1."+attr+".hex", word); !slices.Equal(got, want) {
			t.Errorf("%s hex %v, want %v", attr, got, want)
		}
	}
	header, err := os.ReadFile(filepath.Join(dir, "params.h"))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"#include <stdint.h>", "static const int8_t conv1_weight[432] = {", "#define CONV1_WEIGHT_DIM0 16",
		"#define CONV1_WEIGHT_BITS 8", "static const int32_t conv1_multiplier[16] = {", "static const uint8_t conv1_shift[16]",
		"static const int64_t conv1_bias[16]", "#define CONV1_REQUANT_LO 0", "#define CONV1_REQUANT_HI 255", "#define CONV1_INTCONV_X_ZERO_POINT",
	} {
		if !strings.Contains(string(header), want) {
			t.Errorf("params.h lacks %q", want)
		}
	}

	// Layers: per-sample operands, accumulator and output equal the golden
	// runtime's values.
	l := layerByName(t, m, "conv1")
	if l.Op != "IntConv" || !slices.Equal(l.Nodes, []string{"/conv1/IntConv", "/conv1/Requant"}) ||
		!slices.Equal(l.XShape, []int{1, 3, 12, 12}) || !slices.Equal(l.WShape, []int{16, 3, 3, 3}) ||
		!slices.Equal(l.AccShape, []int{1, 16, 12, 12}) || !slices.Equal(l.YShape, []int{1, 16, 12, 12}) {
		t.Fatalf("conv1 layer %+v", l)
	}
	if !slices.Equal(l.Params, []string{"conv1.weight", "conv1.multiplier", "conv1.shift", "conv1.bias"}) {
		t.Errorf("conv1 params %v", l.Params)
	}
	if len(l.Files) != 2 {
		t.Fatalf("conv1 has files for %d samples, want 2", len(l.Files))
	}
	for s := range 2 {
		vals := golden(t, g, samples[s])
		for role, name := range map[string]string{"x1": "xq", "acc": "acc", "y": "y"} {
			files := l.Files[s][role]
			want := []string{"tensors/" + string(rune('0'+s)) + "/conv1." + role + ".npy", "tensors/" + string(rune('0'+s)) + "/conv1." + role + ".hex"}
			if !slices.Equal(files, want) {
				t.Fatalf("sample %d %s files %v, want %v", s, role, files, want)
			}
			assertSameTensor(t, readNPYFile(t, dir, files[0]), vals[name])
			word := map[string]Word{"x1": l.X1.Word, "acc": l.Acc.Word, "y": l.Y.Word}[role]
			if got := readHexFile(t, dir, files[1], word); !slices.Equal(got, mustInts(t, vals[name])) {
				t.Errorf("sample %d %s: hex differs from the golden value", s, role)
			}
		}
		assertSameTensor(t, readNPYFile(t, dir, l.Files[s]["x2"][0]), wt)
		// xcol times the weights, zero point subtracted, is the accumulator.
		xcol := readNPYFile(t, dir, l.Files[s]["xcol"][0])
		if !slices.Equal(xcol.Shape(), []int{1, 27, 144}) {
			t.Fatalf("xcol shape %v", xcol.Shape())
		}
		got := matmulZP(mustInts(t, wt), mustInts(t, xcol), 16, 27, 144, 0, l.GEMM.BZeroPoint)
		if !slices.Equal(got, mustInts(t, vals["acc"])) {
			t.Errorf("sample %d: W·(xcol − z) differs from the accumulator", s)
		}
	}
	in := layerByName(t, m, "/quant/QuantizeInput")
	if in.Stem != "_quant_QuantizeInput" || in.X1.Kind != "input" || in.X1.DType != "float32" || in.Acc != nil {
		t.Errorf("input layer %+v", in)
	}
	assertSameTensor(t, readNPYFile(t, dir, in.Files[1]["x1"][0]), samples[1])

	// Tiles: the documented block order and padding reproduce the GEMM.
	ti := l.Tiles
	if ti == nil || ti.PE != 5 || ti.MPad != 20 || ti.KPad != 30 || ti.NPad != 145 || ti.MBlocks != 4 || ti.KBlocks != 6 || ti.NBlocks != 29 ||
		ti.WTiles != 24 || ti.XTiles != 174 || ti.AccTiles != 116 || ti.W != "tiles/conv1.w.hex" {
		t.Fatalf("tiles %+v", ti)
	}
	checkTiles(t, dir, l, mustInts(t, golden(t, g, samples[0])["acc"]))
}

// matmulZP is C = (A − za)·(B − zb) for row-major A [m×k], B [k×n].
func matmulZP(a, b []int64, m, k, n int, za, zb int64) []int64 {
	c := make([]int64, m*n)
	for i := range m {
		for j := range n {
			var s int64
			for p := range k {
				s += (a[i*k+p] - za) * (b[p*n+j] - zb)
			}
			c[i*n+j] = s
		}
	}
	return c
}

// checkTiles reads a layer's tile files and checks, tile by tile, that
// C(i, j) = Σ_kb (A(i, kb) − za)·(B(kb, j) − zb), and that the unpadded
// part of C, in group, row, column order, is want.
func checkTiles(t *testing.T, dir string, l Layer, want []int64) {
	t.Helper()
	g, ti, p := l.GEMM, l.Tiles, l.Tiles.PE
	a := readHexFile(t, dir, ti.W, g.AWord)
	b := readHexFile(t, dir, ti.X, g.BWord)
	c := readHexFile(t, dir, ti.Acc, Word{32, true})
	if len(a) != ti.WTiles*p*p || len(b) != ti.XTiles*p*p || len(c) != ti.AccTiles*p*p {
		t.Fatalf("tile files hold %d, %d, %d words for %d, %d, %d tiles", len(a), len(b), len(c), ti.WTiles, ti.XTiles, ti.AccTiles)
	}
	tile := func(v []int64, idx int) []int64 { return v[idx*p*p : (idx+1)*p*p] }
	var got []int64
	for gi := range g.Groups {
		full := make([]int64, ti.MPad*ti.NPad)
		for i := range ti.MBlocks {
			for j := range ti.NBlocks {
				sum := make([]int64, p*p)
				for kb := range ti.KBlocks {
					prod := matmulZP(tile(a, (gi*ti.MBlocks+i)*ti.KBlocks+kb), tile(b, (gi*ti.KBlocks+kb)*ti.NBlocks+j), p, p, p, g.AZeroPoint, g.BZeroPoint)
					for e := range sum {
						sum[e] += prod[e]
					}
				}
				ct := tile(c, (gi*ti.MBlocks+i)*ti.NBlocks+j)
				if !slices.Equal(sum, ct) {
					t.Fatalf("group %d tile (%d, %d): Σ A·B = %v, C tile %v", gi, i, j, sum, ct)
				}
				for r := range p {
					copy(full[(i*p+r)*ti.NPad+j*p:], ct[r*p:(r+1)*p])
				}
			}
		}
		for r := range ti.MPad {
			for col := range ti.NPad {
				if (r >= g.M || col >= g.N) && full[r*ti.NPad+col] != 0 {
					t.Fatalf("group %d: padded C[%d, %d] = %d, want 0", gi, r, col, full[r*ti.NPad+col])
				}
			}
		}
		for r := range g.M {
			got = append(got, full[r*ti.NPad:r*ti.NPad+g.N]...)
		}
	}
	if !slices.Equal(got, want) {
		t.Error("the unpadded C tiles differ from the accumulator")
	}
}

func TestWriteOptionsAndNames(t *testing.T) {
	g, samples := convFixture(t, 6)
	dir := filepath.Join(t.TempDir(), "out")
	m, err := Write(dir, g, samples[:1], Options{Name: "tiny", Formats: []string{"npy"}})
	if err != nil {
		t.Fatal(err)
	}
	if m.Model != "tiny" || m.Samples != 1 || m.CHeader != "" || m.Layers[1].Tiles != nil {
		t.Errorf("model %q, %d samples, header %q, tiles %v", m.Model, m.Samples, m.CHeader, m.Layers[1].Tiles)
	}
	for _, name := range []string{"params.h", "params/conv1.weight.hex", "params/conv1.weight.bin", "tensors/0/conv1.y.hex", "tiles"} {
		if _, err := os.Stat(filepath.Join(dir, name)); err == nil {
			t.Errorf("%s written though not selected", name)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "tensors/0/conv1.y.npy")); err != nil {
		t.Error(err)
	}
	// A sample without its batch dimension gets one.
	x := samples[0].MustReshape(3, 6, 6)
	if m, err := Write(dir, g, []*tensor.Tensor{x}, Options{}); err != nil || !reflect.DeepEqual(m.SampleShapes["input"], []int{1, 3, 6, 6}) {
		t.Errorf("unbatched sample: %v, shapes %v", err, m.SampleShapes)
	}
	for _, c := range []struct {
		opts Options
		want string
	}{
		{Options{Samples: 3}, "only 2 samples"},
		{Options{PE: -1}, "Options.PE"},
		{Options{Formats: []string{"csv"}}, `unknown export format "csv"`},
	} {
		if _, err := Write(dir, g, samples, c.opts); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%+v: error %v, want %q", c.opts, err, c.want)
		}
	}
}
