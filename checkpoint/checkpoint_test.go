package checkpoint

import (
	"encoding/binary"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"t2c/graph"
	"t2c/tensor"
)

// allDTypes returns one tensor of every storable dtype, with awkward values
// (NaN payloads, -0, infinities, extremes), a scalar and an empty tensor.
func allDTypes() map[string]*tensor.Tensor {
	nan32 := math.Float32frombits(0x7fc00123)
	nan64 := math.Float64frombits(0x7ff8000000000abc)
	return map[string]*tensor.Tensor{
		"f32":       tensor.New([]int{2, 3}, []float32{1.5, float32(math.Copysign(0, -1)), nan32, float32(math.Inf(-1)), math.MaxFloat32, math.SmallestNonzeroFloat32}),
		"f64":       tensor.New([]int{3}, []float64{math.Pi, nan64, -math.SmallestNonzeroFloat64}),
		"i8":        tensor.New([]int{4}, []int8{-128, -1, 0, 127}),
		"u8":        tensor.New([]int{2, 2}, []uint8{0, 1, 128, 255}),
		"i16":       tensor.New([]int{2}, []int16{-32768, 32767}),
		"u16":       tensor.New([]int{2}, []uint16{0, 65535}),
		"i32":       tensor.New([]int{1, 2}, []int32{math.MinInt32, math.MaxInt32}),
		"u32":       tensor.New([]int{1}, []uint32{math.MaxUint32}),
		"i64":       tensor.New([]int{2}, []int64{math.MinInt64, math.MaxInt64}),
		"u64":       tensor.New([]int{1}, []uint64{math.MaxUint64}),
		"bool":      tensor.New([]int{3}, []bool{true, false, true}),
		"scalar":    tensor.Scalar[int64](42),
		"empty":     tensor.Zeros(tensor.Float32, 0, 3),
		"a.b.c/d 1": tensor.New([]int{1}, []float32{7}),
	}
}

// bits returns a tensor's storage as raw little-endian bytes.
func bits(t *testing.T, x *tensor.Tensor) []byte {
	t.Helper()
	b, err := binary.Append(nil, binary.LittleEndian, x.Raw())
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestRoundTripBitExact(t *testing.T) {
	path := filepath.Join(t.TempDir(), "all.safetensors")
	in := allDTypes()
	meta := map[string]string{"format": "pt", "note": "é \"quoted\""}
	if err := Save(path, in, meta); err != nil {
		t.Fatal(err)
	}
	out, gotMeta, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(out) != len(in) {
		t.Fatalf("loaded %d tensors, saved %d", len(out), len(in))
	}
	for name, want := range in {
		got := out[name]
		if got == nil {
			t.Fatalf("tensor %q missing after round trip", name)
		}
		if got.DType() != want.DType() || !slices.Equal(got.Shape(), want.Shape()) {
			t.Errorf("%s: got %v, want %v", name, got, want)
			continue
		}
		if !slices.Equal(bits(t, got), bits(t, want)) {
			t.Errorf("%s: data differs after round trip", name)
		}
	}
	if len(gotMeta) != 2 || gotMeta["note"] != meta["note"] || gotMeta["format"] != "pt" {
		t.Errorf("metadata = %v, want %v", gotMeta, meta)
	}
	st, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode().Perm() != 0o644 {
		t.Errorf("mode %v, want 0644", st.Mode().Perm())
	}
}

func TestFileLayout(t *testing.T) {
	path := filepath.Join(t.TempDir(), "x.safetensors")
	ts := map[string]*tensor.Tensor{
		"b": tensor.New([]int{1}, []uint8{9}),
		"a": tensor.New([]int{2}, []float64{1, 2}),
		"c": tensor.New([]int{1}, []float32{3}),
	}
	if err := Save(path, ts, nil); err != nil {
		t.Fatal(err)
	}
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	n := binary.LittleEndian.Uint64(raw)
	if n%8 != 0 {
		t.Errorf("header length %d is not a multiple of 8", n)
	}
	header := strings.TrimRight(string(raw[8:8+n]), " ")
	want := `{"a":{"dtype":"F64","shape":[2],"data_offsets":[0,16]},"b":{"dtype":"U8","shape":[1],"data_offsets":[20,21]},"c":{"dtype":"F32","shape":[1],"data_offsets":[16,20]}}`
	if header != want {
		t.Errorf("header\n%s\nwant\n%s", header, want)
	}
	if len(raw) != 8+int(n)+21 {
		t.Errorf("file is %d bytes, want %d", len(raw), 8+int(n)+21)
	}
	entries, _ := os.ReadDir(filepath.Dir(path))
	if len(entries) != 1 {
		t.Errorf("directory holds %d files after Save, want 1 (temporary file left behind?)", len(entries))
	}
}

func TestSaveErrors(t *testing.T) {
	dir := t.TempDir()
	for name, ts := range map[string]map[string]*tensor.Tensor{
		"nil tensor":    {"w": nil},
		"metadata name": {"__metadata__": tensor.Scalar[float32](1)},
		"empty name":    {"": tensor.Scalar[float32](1)},
	} {
		if err := Save(filepath.Join(dir, "bad.safetensors"), ts, nil); err == nil {
			t.Errorf("%s: Save succeeded", name)
		}
	}
	if err := Save(filepath.Join(dir, "no", "such", "dir.safetensors"), allDTypes(), nil); err == nil {
		t.Error("Save into a missing directory succeeded")
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Errorf("failed saves left %d files", len(entries))
	}
}

func TestEmptyFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "empty.safetensors")
	if err := Save(path, nil, nil); err != nil {
		t.Fatal(err)
	}
	out, meta, err := Load(path)
	if err != nil || len(out) != 0 || meta != nil {
		t.Errorf("Load of an empty checkpoint: %v, %v, %v", out, meta, err)
	}
}

func TestSaveReplacesAtomically(t *testing.T) {
	path := filepath.Join(t.TempDir(), "m.safetensors")
	for _, v := range []float32{1, 2} {
		if err := Save(path, map[string]*tensor.Tensor{"w": tensor.Scalar(v)}, nil); err != nil {
			t.Fatal(err)
		}
	}
	out, _, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	if got := out["w"].Float32()[0]; got != 2 {
		t.Errorf("w = %v after overwrite, want 2", got)
	}
}

// rawFile writes a safetensors file from a header string and data bytes.
func rawFile(t *testing.T, header string, data []byte) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "raw.safetensors")
	b := binary.LittleEndian.AppendUint64(nil, uint64(len(header)))
	b = append(append(b, header...), data...)
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestHalfPrecisionConvertsToFloat32(t *testing.T) {
	f16 := []uint16{0x3c00, 0xc000, 0x7bff, 0x0001, 0x8000, 0x7c00, 0x3555}
	want16 := []float32{1, -2, 65504, 1.0 / (1 << 24), float32(math.Copysign(0, -1)), float32(math.Inf(1)), 0.333251953125}
	bf16 := []uint16{0x3f80, 0xc0a0, 0x0001}
	wantBF := []float32{1, -5, math.Float32frombits(0x00010000)}
	var data []byte
	for _, h := range append(f16, bf16...) {
		data = binary.LittleEndian.AppendUint16(data, h)
	}
	path := rawFile(t, `{"h":{"dtype":"F16","shape":[7],"data_offsets":[0,14]},"b":{"dtype":"BF16","shape":[3],"data_offsets":[14,20]}}`, data)
	out, _, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	for name, want := range map[string][]float32{"h": want16, "b": wantBF} {
		got := out[name].Float32()
		for i := range want {
			if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
				t.Errorf("%s[%d] = %v, want %v", name, i, got[i], want[i])
			}
		}
	}
	// NaN keeps being NaN.
	if v := f16ToF32(0x7e00); !math.IsNaN(float64(v)) {
		t.Errorf("f16 NaN converted to %v", v)
	}
}

func TestCorruptFiles(t *testing.T) {
	eight := make([]byte, 8)
	cases := []struct {
		name, header string
		data         []byte
		want         string // substring of the error
	}{
		{"bad json", `{"w":`, nil, "bad JSON header"},
		{"unsupported dtype", `{"w":{"dtype":"F8_E4M3","shape":[1],"data_offsets":[0,1]}}`, eight[:1], `tensor "w": unsupported dtype "F8_E4M3"`},
		{"offsets past end", `{"w":{"dtype":"F32","shape":[4],"data_offsets":[0,16]}}`, eight, `tensor "w": data_offsets [0, 16] out of range`},
		{"size mismatch", `{"w":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}}`, eight, `tensor "w": data_offsets [0, 8] hold 8 bytes, shape [3] of F32 needs 12`},
		{"overlap", `{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}`, eight, `tensor "b": data_offsets [4, 8] overlap`},
		{"gap", `{"a":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}`, eight, `tensor "a": data_offsets [4, 8] leave a gap`},
		{"trailing bytes", `{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}`, eight, "trailing bytes"},
		{"bad offsets", `{"a":{"dtype":"F32","shape":[1],"data_offsets":[0]}}`, eight, `tensor "a": data_offsets must be`},
		{"negative shape", `{"a":{"dtype":"F32","shape":[-1],"data_offsets":[0,8]}}`, eight, `tensor "a": invalid shape`},
		{"huge shape", `{"a":{"dtype":"F32","shape":[4294967296,4294967296],"data_offsets":[0,8]}}`, eight, `tensor "a": invalid shape`},
		{"overflowing shape", `{"a":{"dtype":"F32","shape":[2147483647,2147483647,2147483647],"data_offsets":[0,8]}}`, eight, `needs more bytes than the file holds`},
		{"metadata not strings", `{"__metadata__":{"n":1}}`, nil, "__metadata__ must map strings to strings"},
		{"record not object", `{"a":[1,2]}`, nil, `tensor "a": bad header record`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			path := rawFile(t, c.header, c.data)
			_, _, err := Load(path)
			if err == nil {
				t.Fatal("Load succeeded")
			}
			if !strings.Contains(err.Error(), c.want) || !strings.Contains(err.Error(), path) {
				t.Errorf("error %q should name the file and contain %q", err, c.want)
			}
		})
	}
}

func TestTruncatedFiles(t *testing.T) {
	path := filepath.Join(t.TempDir(), "m.safetensors")
	if err := Save(path, allDTypes(), map[string]string{"k": "v"}); err != nil {
		t.Fatal(err)
	}
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range []int{0, 5, 8, 20, len(raw) - 1} {
		cut := filepath.Join(t.TempDir(), "cut.safetensors")
		if err := os.WriteFile(cut, raw[:n], 0o644); err != nil {
			t.Fatal(err)
		}
		if _, _, err := Load(cut); err == nil || !strings.Contains(err.Error(), cut) {
			t.Errorf("truncated to %d bytes: error %v should name the file", n, err)
		}
	}
	if _, _, err := Load(filepath.Join(t.TempDir(), "missing.safetensors")); err == nil {
		t.Error("Load of a missing file succeeded")
	}
}

// smallGraph has two parameters, as a model with a BatchNorm would.
func smallGraph() *graph.Graph {
	g := graph.New("small", 17)
	g.Params["bn.weight"] = tensor.New([]int{2}, []float32{1, 1})
	g.Params["fc.weight"] = tensor.Zeros(tensor.Float32, 3, 2)
	return g
}

func TestLoadInto(t *testing.T) {
	state := map[string]*tensor.Tensor{
		"bn.weight":              tensor.New([]int{2}, []float32{5, 6}),
		"fc.weight":              tensor.New([]int{3, 2}, []float32{1, 2, 3, 4, 5, 6}),
		"bn.num_batches_tracked": tensor.Scalar[int64](100),
	}
	g := smallGraph()
	if err := LoadInto(g, state, true); err != nil {
		t.Fatal(err)
	}
	if got := g.Params["fc.weight"].Float32(); !slices.Equal(got, []float32{1, 2, 3, 4, 5, 6}) {
		t.Errorf("fc.weight = %v", got)
	}
	state["fc.weight"].Float32()[0] = 99
	if g.Params["fc.weight"].Float32()[0] == 99 {
		t.Error("LoadInto aliased the checkpoint tensor instead of copying")
	}
}

func TestLoadIntoStrictness(t *testing.T) {
	partial := map[string]*tensor.Tensor{
		"bn.weight": tensor.New([]int{2}, []float32{5, 6}),
		"extra":     tensor.Scalar[float32](1),
	}
	g := smallGraph()
	err := LoadInto(g, partial, true)
	if err == nil || !strings.Contains(err.Error(), "missing keys: fc.weight") || !strings.Contains(err.Error(), "unexpected keys: extra") {
		t.Fatalf("strict load error = %v", err)
	}
	if g.Params["bn.weight"].Float32()[0] != 1 {
		t.Error("a failed load modified the graph")
	}
	if err := LoadInto(g, partial, false); err != nil {
		t.Fatalf("non-strict load: %v", err)
	}
	if g.Params["bn.weight"].Float32()[0] != 5 {
		t.Error("non-strict load did not copy bn.weight")
	}
	bad := map[string]*tensor.Tensor{"fc.weight": tensor.Zeros(tensor.Float32, 2, 3)}
	err = LoadInto(g, bad, false)
	if err == nil || !strings.Contains(err.Error(), "fc.weight: checkpoint has float32[2 3], graph has float32[3 2]") {
		t.Errorf("shape mismatch error = %v", err)
	}
	bad = map[string]*tensor.Tensor{"fc.weight": tensor.Zeros(tensor.Float64, 3, 2)}
	if err := LoadInto(g, bad, false); err == nil {
		t.Error("dtype mismatch accepted")
	}
}
