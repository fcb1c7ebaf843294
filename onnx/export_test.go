package onnx

import (
	"bytes"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"testing"

	"google.golang.org/protobuf/proto"

	"t2c/graph"
	"t2c/internal/npytest"
	"t2c/onnx/onnxpb"
	"t2c/tensor"
)

// compareGraphs checks that two graphs have the same structure, attributes
// and parameters, bit for bit.
func compareGraphs(a, b *graph.Graph) error {
	if a.Name != b.Name || a.Opset != b.Opset {
		return fmt.Errorf("name/opset %q/%d vs %q/%d", a.Name, a.Opset, b.Name, b.Opset)
	}
	if !reflect.DeepEqual(a.Inputs, b.Inputs) {
		return fmt.Errorf("inputs %+v vs %+v", a.Inputs, b.Inputs)
	}
	if !reflect.DeepEqual(a.Outputs, b.Outputs) {
		return fmt.Errorf("outputs %+v vs %+v", a.Outputs, b.Outputs)
	}
	if len(a.Nodes) != len(b.Nodes) {
		return fmt.Errorf("%d nodes vs %d", len(a.Nodes), len(b.Nodes))
	}
	for i, n := range a.Nodes {
		m := b.Nodes[i]
		if n.Name != m.Name || n.Op != m.Op || !slices.Equal(n.Inputs, m.Inputs) || !slices.Equal(n.Outputs, m.Outputs) {
			return fmt.Errorf("node %d: %v %q->%q vs %v %q->%q", i, n, n.Inputs, n.Outputs, m, m.Inputs, m.Outputs)
		}
		if len(n.Attrs) != len(m.Attrs) {
			return fmt.Errorf("%v: %d attributes vs %d", n, len(n.Attrs), len(m.Attrs))
		}
		for k, v := range n.Attrs {
			w, ok := m.Attrs[k]
			if !ok {
				return fmt.Errorf("%v: attribute %q missing", n, k)
			}
			if err := compareAttr(v, w); err != nil {
				return fmt.Errorf("%v: attribute %q: %v", n, k, err)
			}
		}
	}
	if len(a.Params) != len(b.Params) {
		return fmt.Errorf("%d params vs %d", len(a.Params), len(b.Params))
	}
	for k, t := range a.Params {
		u, ok := b.Params[k]
		if !ok {
			return fmt.Errorf("param %q missing", k)
		}
		if err := sameBits(t, u); err != nil {
			return fmt.Errorf("param %q: %v", k, err)
		}
	}
	return nil
}

func compareAttr(a, b graph.Attr) error {
	if a.Kind != b.Kind || a.Int != b.Int || math.Float32bits(a.Float) != math.Float32bits(b.Float) || a.String != b.String ||
		!slices.Equal(a.Ints, b.Ints) || !slices.Equal(a.Strings, b.Strings) || len(a.Floats) != len(b.Floats) {
		return fmt.Errorf("%+v vs %+v", a, b)
	}
	for i := range a.Floats {
		if math.Float32bits(a.Floats[i]) != math.Float32bits(b.Floats[i]) {
			return fmt.Errorf("floats %v vs %v", a.Floats, b.Floats)
		}
	}
	if (a.Tensor == nil) != (b.Tensor == nil) {
		return fmt.Errorf("tensor %v vs %v", a.Tensor, b.Tensor)
	}
	if a.Tensor != nil {
		return sameBits(a.Tensor, b.Tensor)
	}
	return nil
}

// sameBits reports whether two tensors have the same dtype, shape and bytes.
func sameBits(a, b *tensor.Tensor) error {
	if a == nil || b == nil {
		return fmt.Errorf("nil tensor: %v vs %v", a, b)
	}
	if a.DType() != b.DType() || !tensor.SameShape(a.Shape(), b.Shape()) {
		return fmt.Errorf("%v vs %v", a, b)
	}
	ab, err := encodeRaw(a)
	if err != nil {
		return err
	}
	bb, _ := encodeRaw(b)
	if !bytes.Equal(ab, bb) {
		return fmt.Errorf("data differs")
	}
	return nil
}

// roundTrip encodes g and decodes it again (structure only when full is
// false, so graphs with ops not yet registered can be checked).
func roundTrip(t *testing.T, g *graph.Graph, full bool) *graph.Graph {
	t.Helper()
	data, err := Encode(g)
	if err != nil {
		t.Fatalf("encode: %v", err)
	}
	var back *graph.Graph
	if full {
		back, err = Decode(data, "roundtrip.onnx")
	} else {
		var m *onnxpb.ModelProto
		if m, err = unmarshalModel(data, "roundtrip.onnx"); err == nil {
			back, err = convertModel(m, "roundtrip.onnx")
		}
	}
	if err != nil {
		t.Fatalf("decode after encode: %v", err)
	}
	if err := compareGraphs(g, back); err != nil {
		t.Fatalf("round trip changed the graph: %v", err)
	}
	return back
}

// runBoth runs two graphs on the same inputs and requires bitwise equal
// outputs.
func runBoth(a, b *graph.Graph, inputs map[string]*tensor.Tensor) error {
	var outs [2]map[string]*tensor.Tensor
	for i, g := range []*graph.Graph{a, b} {
		s, err := graph.NewSession(g)
		if err != nil {
			return err
		}
		if outs[i], err = s.Run(inputs); err != nil {
			return err
		}
	}
	for _, o := range a.Outputs {
		if err := sameBits(outs[0][o.Name], outs[1][o.Name]); err != nil {
			return fmt.Errorf("output %q: %v", o.Name, err)
		}
	}
	return nil
}

func TestEncodeModelFields(t *testing.T) {
	g := graph.New("g", 0)
	g.Inputs = []graph.ValueInfo{{Name: "x", DType: tensor.Float32, Shape: []int{-1, 3, -1}}}
	g.Outputs = []graph.ValueInfo{{Name: "x", DType: tensor.Float32}}
	g.Params["b"] = tensor.Scalar[float32](1)
	g.Params["a"] = tensor.New([]int{2}, []int8{-1, 1})
	data, err := Encode(g)
	if err != nil {
		t.Fatal(err)
	}
	var m onnxpb.ModelProto
	if err := proto.Unmarshal(data, &m); err != nil {
		t.Fatal(err)
	}
	if m.GetIrVersion() != 8 || m.GetProducerName() != "t2c" {
		t.Errorf("ir_version %d producer %q", m.GetIrVersion(), m.GetProducerName())
	}
	if ops := m.GetOpsetImport(); len(ops) != 1 || ops[0].GetDomain() != "" || ops[0].GetVersion() != 13 {
		t.Errorf("opset_import %v", ops)
	}
	var names []string
	for _, tp := range m.GetGraph().GetInitializer() {
		names = append(names, tp.GetName())
		if len(tp.GetRawData()) == 0 {
			t.Errorf("initializer %q not in raw_data", tp.GetName())
		}
	}
	if !slices.Equal(names, []string{"a", "b"}) {
		t.Errorf("initializers %v, want sorted", names)
	}
	var dims []string
	for _, d := range m.GetGraph().GetInput()[0].GetType().GetTensorType().GetShape().GetDim() {
		if d.GetDimParam() != "" {
			dims = append(dims, d.GetDimParam())
		} else {
			dims = append(dims, strconv.FormatInt(d.GetDimValue(), 10))
		}
	}
	if !slices.Equal(dims, []string{"N", "3", "d2"}) {
		t.Errorf("input dims %v, want [N 3 d2]", dims)
	}
	if again, _ := Encode(g); !bytes.Equal(again, data) {
		t.Error("Encode is not deterministic")
	}
}

func TestEncodeRejectsInvalidGraph(t *testing.T) {
	g := graph.New("g", 13)
	g.Inputs = []graph.ValueInfo{{Name: "x", DType: tensor.Float32}}
	g.Outputs = []graph.ValueInfo{{Name: "y", DType: tensor.Float32}}
	g.Nodes = []*graph.Node{{Name: "r", Op: "Relu", Inputs: []string{"missing"}, Outputs: []string{"y"}}}
	_, err := Encode(g)
	wantErr(t, err, `"missing"`)
}

func TestRoundTripDynamicBatch(t *testing.T) {
	needOps(t, "Add", "Relu")
	g, err := Decode(marshal(t, reluModel()), "model.onnx")
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(g.Inputs[0].Shape, []int{-1, 4}) || !slices.Equal(g.Outputs[0].Shape, []int{-1, 4}) {
		t.Fatalf("shapes %v %v, want dynamic batch", g.Inputs[0].Shape, g.Outputs[0].Shape)
	}
	back := roundTrip(t, g, true)
	// The same graph runs at two batch sizes, before and after the round trip.
	for _, batch := range []int{1, 5} {
		x := randomTensor(tensor.Float32, []int{batch, 4}, int64(batch))
		if err := runBoth(g, back, map[string]*tensor.Tensor{"x": x}); err != nil {
			t.Errorf("batch %d: %v", batch, err)
		}
	}
}

func TestSave(t *testing.T) {
	needOps(t, "Add", "Relu")
	dir := t.TempDir()
	g, err := Decode(marshal(t, reluModel()), "model.onnx")
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "out.onnx")
	if err := os.WriteFile(path, []byte("old content"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := Save(g, path); err != nil {
		t.Fatal(err)
	}
	back, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := compareGraphs(g, back); err != nil {
		t.Error(err)
	}

	// A failed save leaves the old file and no temporary file behind.
	bad := g.Clone()
	bad.Nodes[0].Inputs[0] = "undefined"
	if err := Save(bad, path); err == nil {
		t.Fatal("saving an invalid graph succeeded")
	}
	bad = g.Clone()
	bad.Nodes[0].Attrs = map[string]graph.Attr{"broken": {Kind: 99}}
	if err := Save(bad, path); err == nil {
		t.Fatal("saving an attribute of unknown kind succeeded")
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Errorf("directory holds %d entries after failed saves, want 1", len(entries))
	}
	if _, err := Load(path); err != nil {
		t.Errorf("model damaged by failed save: %v", err)
	}
	if err := Save(g, filepath.Join(dir, "no", "such", "dir.onnx")); err == nil {
		t.Error("saving into a missing directory succeeded")
	}
}

// TestRoundTripConformanceModels round-trips every ONNX node-test model the
// importer can read structurally (a wide sample of ops and attributes), and
// runs both versions of each fully supported one on its test inputs.
func TestRoundTripConformanceModels(t *testing.T) {
	dirs, _ := filepath.Glob(filepath.Join(conformanceDir, "test_*"))
	if len(dirs) == 0 {
		t.Skipf("ONNX backend node tests not found at %s (install Debian package libonnx-testdata)", conformanceDir)
	}
	tripped, ran := 0, 0
	for _, dir := range dirs {
		data, err := os.ReadFile(filepath.Join(dir, "model.onnx"))
		if err != nil {
			t.Fatal(err)
		}
		m, err := unmarshalModel(data, dir)
		if err != nil {
			t.Fatal(err)
		}
		g, err := convertModel(m, dir)
		if err != nil {
			continue // unsupported types or attributes: see TestConformance
		}
		back := roundTrip(t, g, false)
		tripped++
		if _, err := FromModel(m, dir); err != nil {
			continue
		}
		inputs := map[string]*tensor.Tensor{}
		for i, f := range numbered(filepath.Join(dir, "test_data_set_0"), "input") {
			if i >= len(g.Inputs) {
				break
			}
			x, err := LoadTensor(f)
			if err != nil {
				t.Fatal(err)
			}
			inputs[g.Inputs[i].Name] = x
		}
		if _, excluded := conformanceExcluded[filepath.Base(dir)]; excluded {
			continue // nondeterministic
		}
		g, feed := bindShapeInputs(g, inputs)
		back, _ = bindShapeInputs(back, inputs)
		runs := func() (ok bool) {
			defer func() {
				if recover() != nil {
					ok = false // op panics are reported by TestConformance
				}
			}()
			s, err := graph.NewSession(g)
			if err != nil {
				return false
			}
			_, err = s.Run(feed)
			return err == nil
		}()
		if !runs {
			continue // fails before the round trip too: see TestConformance
		}
		if err := runBoth(g, back, feed); err != nil {
			t.Errorf("%s: %v", filepath.Base(dir), err)
		}
		ran++
	}
	t.Logf("round-tripped %d models, ran %d both ways", tripped, ran)
	if tripped < 500 {
		t.Errorf("only %d of %d models round-tripped", tripped, len(dirs))
	}
}

// TestRoundTripPyTorchModels loads the PyTorch exports in testdata, checks
// what the importer keeps (state_dict names, dynamic batch input), and
// round-trips them: same structure and parameters bit for bit, and the same
// outputs bit for bit. (pytorch_test.go compares the outputs with PyTorch.)
func TestRoundTripPyTorchModels(t *testing.T) {
	dir := filepath.Join("..", "testdata", "pytorch")
	for _, c := range []struct {
		file  string
		param string // a PyTorch state_dict name that must survive import
		shape []int  // the input's shape in the model
		input string // .npy input, or "" for a random one
	}{
		{"resnet.onnx", "layer1.0.conv1.weight", []int{-1, 3, 32, 32}, "resnet.input.npy"},
		{"mobilenetv2.onnx", "features.0.0.weight", []int{-1, 3, 32, 32}, "mobilenetv2.input.npy"},
		{"vit.onnx", "blocks.0.norm1.weight", []int{-1, 3, 32, 32}, "vit.input.npy"},
		{"fashion/cnn.onnx", "", []int{-1, 1, 28, 28}, ""},
	} {
		t.Run(c.file, func(t *testing.T) {
			g, err := Load(filepath.Join(dir, c.file))
			if ops := UnsupportedOps(err); ops != nil {
				t.Skipf("ops not registered yet: %v", ops)
			}
			if err != nil {
				t.Fatal(err)
			}
			if _, ok := g.Params[c.param]; c.param != "" && !ok {
				t.Errorf("parameter %q not found", c.param)
			}
			if len(g.Inputs) != 1 || g.Inputs[0].Name != "input" || !slices.Equal(g.Inputs[0].Shape, c.shape) {
				t.Errorf("inputs %+v, want input%v", g.Inputs, c.shape)
			}
			back := roundTrip(t, g, true)
			var x *tensor.Tensor
			if c.input != "" {
				x = npytest.Float32(t, filepath.Join(dir, c.input))
			} else {
				shape := slices.Clone(c.shape)
				shape[0] = 3
				x = randomTensor(tensor.Float32, shape, 1)
			}
			if err := runBoth(g, back, map[string]*tensor.Tensor{"input": x}); err != nil {
				t.Fatalf("running original and round-tripped model: %v", err)
			}
		})
	}
}

func randomTensor(d tensor.DType, shape []int, seed int64) *tensor.Tensor {
	r := rand.New(rand.NewPCG(uint64(seed), 7))
	v := make([]float32, tensor.NumElems(shape))
	for i := range v {
		v[i] = float32(r.NormFloat64())
	}
	return tensor.Cast(tensor.New(shape, v), d)
}
