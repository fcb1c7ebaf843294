package onnx

import (
	"math"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"google.golang.org/protobuf/proto"

	"t2c/graph"
	"t2c/onnx/onnxpb"
	"t2c/tensor"
)

// ---- model construction helpers -------------------------------------------

// valueInfo describes a tensor value; int dims are dim_value, string dims
// dim_param.
func valueInfo(name string, et onnxpb.TensorProto_DataType, dims ...any) *onnxpb.ValueInfoProto {
	sp := &onnxpb.TensorShapeProto{}
	for _, d := range dims {
		dim := &onnxpb.TensorShapeProto_Dimension{}
		switch d := d.(type) {
		case int:
			dim.Value = &onnxpb.TensorShapeProto_Dimension_DimValue{DimValue: int64(d)}
		case string:
			dim.Value = &onnxpb.TensorShapeProto_Dimension_DimParam{DimParam: d}
		}
		sp.Dim = append(sp.Dim, dim)
	}
	return &onnxpb.ValueInfoProto{
		Name: proto.String(name),
		Type: &onnxpb.TypeProto{Value: &onnxpb.TypeProto_TensorType{TensorType: &onnxpb.TypeProto_Tensor{ElemType: proto.Int32(int32(et)), Shape: sp}}},
	}
}

func nodeProto(op, name string, in, out []string, attrs ...*onnxpb.AttributeProto) *onnxpb.NodeProto {
	n := &onnxpb.NodeProto{OpType: proto.String(op), Input: in, Output: out, Attribute: attrs}
	if name != "" {
		n.Name = proto.String(name)
	}
	return n
}

func intAttr(name string, v int64) *onnxpb.AttributeProto {
	return &onnxpb.AttributeProto{Name: proto.String(name), Type: onnxpb.AttributeProto_INT.Enum(), I: proto.Int64(v)}
}

func floatInit(name string, dims []int64, v []float32) *onnxpb.TensorProto {
	return &onnxpb.TensorProto{Name: proto.String(name), Dims: dims, DataType: proto.Int32(int32(onnxpb.TensorProto_FLOAT)), FloatData: v}
}

func modelProto(opset int64, g *onnxpb.GraphProto) *onnxpb.ModelProto {
	return &onnxpb.ModelProto{
		IrVersion:   proto.Int64(8),
		OpsetImport: []*onnxpb.OperatorSetIdProto{{Domain: proto.String(""), Version: proto.Int64(opset)}},
		Graph:       g,
	}
}

func marshal(t *testing.T, m *onnxpb.ModelProto) []byte {
	t.Helper()
	b, err := proto.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// reluModel is x[N,4] -> Add(x, b) -> Relu -> y, with an initializer b.
func reluModel() *onnxpb.ModelProto {
	return modelProto(13, &onnxpb.GraphProto{
		Name:        proto.String("small"),
		Initializer: []*onnxpb.TensorProto{floatInit("layer1.0.bias", []int64{4}, []float32{1, -2, 3, -4})},
		Input:       []*onnxpb.ValueInfoProto{valueInfo("x", onnxpb.TensorProto_FLOAT, "batch", 4)},
		Output:      []*onnxpb.ValueInfoProto{valueInfo("y", onnxpb.TensorProto_FLOAT, "batch", 4)},
		Node: []*onnxpb.NodeProto{
			nodeProto("Add", "/add/Add", []string{"x", "layer1.0.bias"}, []string{"s"}),
			nodeProto("Relu", "/relu/Relu", []string{"s"}, []string{"y"}),
		},
	})
}

func needOps(t *testing.T, ops ...string) {
	t.Helper()
	for _, op := range ops {
		if !graph.Supported(op) {
			t.Skipf("op %s is not registered yet", op)
		}
	}
}

func wantErr(t *testing.T, err error, parts ...string) {
	t.Helper()
	if err == nil {
		t.Fatalf("no error; want one containing %q", parts)
	}
	for _, p := range parts {
		if !strings.Contains(err.Error(), p) {
			t.Errorf("error %q does not contain %q", err, p)
		}
	}
}

// ---- import errors -----------------------------------------------------------

func TestDecodeCorrupt(t *testing.T) {
	good := marshal(t, reluModel())
	for name, data := range map[string][]byte{
		"truncated": good[:len(good)-7],
		"garbage":   []byte("\xff\xff\xff\xff not a protobuf"),
		"empty":     nil,
	} {
		t.Run(name, func(t *testing.T) {
			_, err := Decode(data, "model.onnx")
			wantErr(t, err, "model.onnx: ")
		})
	}
	_, err := Decode(good[:len(good)-7], "model.onnx")
	wantErr(t, err, "model.onnx: truncated or corrupt protobuf")
}

func TestLoadNamesFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "broken.onnx")
	if err := os.WriteFile(path, []byte{0x0a, 0xff}, 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := Load(path)
	wantErr(t, err, path+": ")
	_, err = Load(filepath.Join(t.TempDir(), "missing.onnx"))
	wantErr(t, err, "missing.onnx")
}

func TestDecodeUnknownOp(t *testing.T) {
	m := reluModel()
	m.Graph.Node[1].OpType = proto.String("NoSuchOp")
	_, err := Decode(marshal(t, m), "model.onnx")
	wantErr(t, err, "model.onnx: ", "NoSuchOp", `"/relu/Relu"`)
	if ops := UnsupportedOps(err); !slices.Equal(ops, []string{"NoSuchOp"}) {
		t.Errorf("UnsupportedOps = %v", ops)
	}

	// Several unsupported ops are listed together, each once.
	m.Graph.Node[0].OpType = proto.String("AnotherOp")
	m.Graph.Node = append(m.Graph.Node, nodeProto("NoSuchOp", "third", []string{"y"}, []string{"z"}))
	_, err = Decode(marshal(t, m), "model.onnx")
	wantErr(t, err, `model.onnx: unsupported ops: AnotherOp (node "/add/Add"), NoSuchOp (node "/relu/Relu")`)
	if ops := UnsupportedOps(err); !slices.Equal(ops, []string{"AnotherOp", "NoSuchOp"}) {
		t.Errorf("UnsupportedOps = %v", ops)
	}
}

func TestDecodeUnsupportedAttribute(t *testing.T) {
	needOps(t, "Add", "Relu")
	m := reluModel()
	m.Graph.Node[1].Attribute = []*onnxpb.AttributeProto{intAttr("foo", 1)}
	_, err := Decode(marshal(t, m), "model.onnx")
	wantErr(t, err, `model.onnx: node "/relu/Relu" (Relu): unsupported attribute "foo"`)
}

func TestDecodeUnsupportedAttributeType(t *testing.T) {
	m := reluModel()
	m.Graph.Node[1].Attribute = []*onnxpb.AttributeProto{{
		Name: proto.String("body"), Type: onnxpb.AttributeProto_GRAPH.Enum(), G: &onnxpb.GraphProto{},
	}}
	_, err := Decode(marshal(t, m), "model.onnx")
	wantErr(t, err, "model.onnx: ", `"/relu/Relu"`, `attribute "body"`, "GRAPH", "not supported")
}

func TestDecodeUndefinedValue(t *testing.T) {
	m := reluModel()
	m.Graph.Initializer = nil // the bias is no longer defined
	_, err := Decode(marshal(t, m), "model.onnx")
	wantErr(t, err, "model.onnx: ", `"layer1.0.bias"`, `"/add/Add"`, "not defined")

	m = reluModel()
	m.Graph.Output[0].Name = proto.String("nowhere")
	_, err = Decode(marshal(t, m), "model.onnx")
	wantErr(t, err, "model.onnx: ", `"nowhere"`)
}

func TestDecodeFloat16Initializer(t *testing.T) {
	m := reluModel()
	m.Graph.Initializer[0] = &onnxpb.TensorProto{
		Name: proto.String("layer1.0.bias"), Dims: []int64{4},
		DataType: proto.Int32(int32(onnxpb.TensorProto_FLOAT16)), RawData: make([]byte, 8),
	}
	_, err := Decode(marshal(t, m), "model.onnx")
	wantErr(t, err, "model.onnx: ", `"layer1.0.bias"`, "FLOAT16", "not supported")
}

func TestDecodeOpset(t *testing.T) {
	for _, c := range []struct {
		opsets []*onnxpb.OperatorSetIdProto
		want   string
	}{
		{nil, "no default-domain"},
		{[]*onnxpb.OperatorSetIdProto{{Domain: proto.String("com.microsoft"), Version: proto.Int64(1)}}, "no default-domain"},
		{[]*onnxpb.OperatorSetIdProto{{Domain: proto.String(""), Version: proto.Int64(6)}}, "opset 6 is not supported"},
		{[]*onnxpb.OperatorSetIdProto{{Domain: proto.String("ai.onnx"), Version: proto.Int64(18)}}, "opset 18 is not supported"},
	} {
		m := reluModel()
		m.OpsetImport = c.opsets
		_, err := Decode(marshal(t, m), "model.onnx")
		wantErr(t, err, "model.onnx: ", c.want)
	}
	needOps(t, "Add", "Relu")
	m := reluModel()
	m.OpsetImport = []*onnxpb.OperatorSetIdProto{{Domain: proto.String("ai.onnx"), Version: proto.Int64(11)}}
	g, err := Decode(marshal(t, m), "model.onnx")
	if err != nil {
		t.Fatal(err)
	}
	if g.Opset != 11 {
		t.Errorf("opset %d, want 11", g.Opset)
	}
}

func TestDecodeForeignDomain(t *testing.T) {
	m := reluModel()
	m.Graph.Node[1].Domain = proto.String("com.microsoft")
	_, err := Decode(marshal(t, m), "model.onnx")
	wantErr(t, err, "model.onnx: ", `"/relu/Relu"`, `domain "com.microsoft"`)
}

func TestDecodeStructure(t *testing.T) {
	needOps(t, "Add", "Relu")
	m := reluModel()
	// Older exporters list initializers among the inputs; unnamed nodes get
	// generated names; nodes out of order are sorted.
	m.Graph.Input = append(m.Graph.Input, valueInfo("layer1.0.bias", onnxpb.TensorProto_FLOAT, 4))
	m.Graph.Node[1].Name = nil
	m.Graph.Node[0], m.Graph.Node[1] = m.Graph.Node[1], m.Graph.Node[0]
	g, err := Decode(marshal(t, m), "model.onnx")
	if err != nil {
		t.Fatal(err)
	}
	if g.Name != "small" || g.Opset != 13 {
		t.Errorf("name %q opset %d", g.Name, g.Opset)
	}
	wantIn := []graph.ValueInfo{{Name: "x", DType: tensor.Float32, Shape: []int{-1, 4}}}
	if !reflect.DeepEqual(g.Inputs, wantIn) {
		t.Errorf("inputs %+v, want %+v", g.Inputs, wantIn)
	}
	if len(g.Nodes) != 2 || g.Nodes[0].Name != "/add/Add" || g.Nodes[1].Name != "Relu_0" {
		t.Errorf("nodes %v", g.Nodes)
	}
	b := g.Params["layer1.0.bias"]
	if b == nil || !slices.Equal(b.Float32(), []float32{1, -2, 3, -4}) {
		t.Errorf("param %v", b)
	}
	sess, err := graph.NewSession(g)
	if err != nil {
		t.Fatal(err)
	}
	y, err := sess.Run1(tensor.New([]int{2, 4}, []float32{1, 1, 1, 1, -1, 5, -5, 5}))
	if err != nil {
		t.Fatal(err)
	}
	if want := []float32{2, 0, 4, 0, 0, 3, 0, 1}; !slices.Equal(y.Float32(), want) {
		t.Errorf("y = %v, want %v", y.Float32(), want)
	}
}

func TestValueInfoShapes(t *testing.T) {
	scalar := valueInfo("s", onnxpb.TensorProto_INT64)
	noShape := valueInfo("u", onnxpb.TensorProto_BOOL)
	noShape.Type.GetTensorType().Shape = nil
	missingDim := valueInfo("m", onnxpb.TensorProto_DOUBLE, 2)
	missingDim.Type.GetTensorType().Shape.Dim = append(missingDim.Type.GetTensorType().Shape.Dim, &onnxpb.TensorShapeProto_Dimension{})
	for _, c := range []struct {
		in   *onnxpb.ValueInfoProto
		want graph.ValueInfo
	}{
		{scalar, graph.ValueInfo{Name: "s", DType: tensor.Int64, Shape: []int{}}},
		{noShape, graph.ValueInfo{Name: "u", DType: tensor.Bool}},
		{missingDim, graph.ValueInfo{Name: "m", DType: tensor.Float64, Shape: []int{2, -1}}},
		{&onnxpb.ValueInfoProto{Name: proto.String("n")}, graph.ValueInfo{Name: "n"}},
	} {
		got, err := valueInfoFromProto(c.in)
		if err != nil || !reflect.DeepEqual(got, c.want) {
			t.Errorf("%s: got %+v, %v; want %+v", c.in.GetName(), got, err, c.want)
		}
		// and back
		p, err := valueInfoToProto(got)
		if err != nil {
			t.Fatal(err)
		}
		back, err := valueInfoFromProto(p)
		if err != nil || !reflect.DeepEqual(back, c.want) {
			t.Errorf("%s round trip: got %+v, %v; want %+v", c.in.GetName(), back, err, c.want)
		}
	}
	seq := &onnxpb.ValueInfoProto{Name: proto.String("q"), Type: &onnxpb.TypeProto{Value: &onnxpb.TypeProto_SequenceType{SequenceType: &onnxpb.TypeProto_Sequence{}}}}
	_, err := valueInfoFromProto(seq)
	wantErr(t, err, "sequence")
}

// ---- tensors ---------------------------------------------------------------

func TestTensorProtoTypedFields(t *testing.T) {
	dt := func(d onnxpb.TensorProto_DataType) *int32 { return proto.Int32(int32(d)) }
	for _, c := range []struct {
		tp   *onnxpb.TensorProto
		want *tensor.Tensor
	}{
		{&onnxpb.TensorProto{Dims: []int64{2}, DataType: dt(onnxpb.TensorProto_FLOAT), FloatData: []float32{1.5, -2}}, tensor.New([]int{2}, []float32{1.5, -2})},
		{&onnxpb.TensorProto{Dims: []int64{1, 2}, DataType: dt(onnxpb.TensorProto_DOUBLE), DoubleData: []float64{1e300, -2}}, tensor.New([]int{1, 2}, []float64{1e300, -2})},
		{&onnxpb.TensorProto{Dims: []int64{2}, DataType: dt(onnxpb.TensorProto_INT8), Int32Data: []int32{-128, 127}}, tensor.New([]int{2}, []int8{-128, 127})},
		{&onnxpb.TensorProto{Dims: []int64{2}, DataType: dt(onnxpb.TensorProto_UINT8), Int32Data: []int32{0, 255}}, tensor.New([]int{2}, []uint8{0, 255})},
		{&onnxpb.TensorProto{Dims: []int64{2}, DataType: dt(onnxpb.TensorProto_INT16), Int32Data: []int32{-32768, 7}}, tensor.New([]int{2}, []int16{-32768, 7})},
		{&onnxpb.TensorProto{Dims: []int64{2}, DataType: dt(onnxpb.TensorProto_UINT16), Int32Data: []int32{65535, 7}}, tensor.New([]int{2}, []uint16{65535, 7})},
		{&onnxpb.TensorProto{Dims: []int64{2}, DataType: dt(onnxpb.TensorProto_INT32), Int32Data: []int32{math.MinInt32, 7}}, tensor.New([]int{2}, []int32{math.MinInt32, 7})},
		{&onnxpb.TensorProto{Dims: []int64{2}, DataType: dt(onnxpb.TensorProto_UINT32), Uint64Data: []uint64{math.MaxUint32, 7}}, tensor.New([]int{2}, []uint32{math.MaxUint32, 7})},
		{&onnxpb.TensorProto{Dims: []int64{2}, DataType: dt(onnxpb.TensorProto_INT64), Int64Data: []int64{math.MinInt64, 7}}, tensor.New([]int{2}, []int64{math.MinInt64, 7})},
		{&onnxpb.TensorProto{Dims: []int64{2}, DataType: dt(onnxpb.TensorProto_UINT64), Uint64Data: []uint64{math.MaxUint64, 7}}, tensor.New([]int{2}, []uint64{math.MaxUint64, 7})},
		{&onnxpb.TensorProto{Dims: []int64{3}, DataType: dt(onnxpb.TensorProto_BOOL), Int32Data: []int32{1, 0, 1}}, tensor.New([]int{3}, []bool{true, false, true})},
		{&onnxpb.TensorProto{DataType: dt(onnxpb.TensorProto_INT64), Int64Data: []int64{42}}, tensor.Scalar[int64](42)},
		{&onnxpb.TensorProto{Dims: []int64{0, 3}, DataType: dt(onnxpb.TensorProto_FLOAT)}, tensor.Zeros(tensor.Float32, 0, 3)},
	} {
		got, err := TensorFromProto(c.tp)
		if err != nil {
			t.Errorf("%v: %v", c.want, err)
			continue
		}
		checkSameTensor(t, c.want.String(), got, c.want)
		// raw_data round trip
		p, err := TensorToProto("x", got)
		if err != nil {
			t.Fatal(err)
		}
		back, err := TensorFromProto(p)
		if err != nil {
			t.Fatal(err)
		}
		checkSameTensor(t, c.want.String()+" raw", back, c.want)
	}
}

func TestTensorProtoRawLittleEndian(t *testing.T) {
	tp := &onnxpb.TensorProto{Dims: []int64{2}, DataType: proto.Int32(int32(onnxpb.TensorProto_INT32)), RawData: []byte{1, 0, 0, 0, 0xfe, 0xff, 0xff, 0xff}}
	got, err := TensorFromProto(tp)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(got.Int32(), []int32{1, -2}) {
		t.Errorf("got %v", got.Int32())
	}
	f, _ := TensorToProto("f", tensor.New([]int{1}, []float32{1}))
	if !slices.Equal(f.RawData, []byte{0, 0, 0x80, 0x3f}) {
		t.Errorf("float32 1 encodes as %x", f.RawData)
	}
}

func TestTensorProtoErrors(t *testing.T) {
	dt := func(d onnxpb.TensorProto_DataType) *int32 { return proto.Int32(int32(d)) }
	for _, c := range []struct {
		tp   *onnxpb.TensorProto
		want string
	}{
		{&onnxpb.TensorProto{Name: proto.String("w"), Dims: []int64{2, 3}, DataType: dt(onnxpb.TensorProto_FLOAT), FloatData: []float32{1, 2}}, `tensor "w": FLOAT dims [2 3] need 6 elements, float_data has 2`},
		{&onnxpb.TensorProto{Name: proto.String("w"), Dims: []int64{2}, DataType: dt(onnxpb.TensorProto_FLOAT), RawData: []byte{1, 2, 3}}, `tensor "w": FLOAT dims [2] need 2 elements (8 bytes), raw_data has 3 bytes`},
		{&onnxpb.TensorProto{Name: proto.String("h"), Dims: []int64{1}, DataType: dt(onnxpb.TensorProto_FLOAT16), Int32Data: []int32{1}}, `tensor "h": element type FLOAT16 is not supported`},
		{&onnxpb.TensorProto{Name: proto.String("b"), Dims: []int64{1}, DataType: dt(onnxpb.TensorProto_BFLOAT16), Int32Data: []int32{1}}, `tensor "b": element type BFLOAT16 is not supported`},
		{&onnxpb.TensorProto{Name: proto.String("s"), Dims: []int64{1}, DataType: dt(onnxpb.TensorProto_STRING), StringData: [][]byte{[]byte("a")}}, `tensor "s": element type STRING is not supported`},
		{&onnxpb.TensorProto{Name: proto.String("c"), Dims: []int64{1}, DataType: dt(onnxpb.TensorProto_COMPLEX64), FloatData: []float32{1, 2}}, `tensor "c": element type COMPLEX64 is not supported`},
		{&onnxpb.TensorProto{Name: proto.String("u"), Dims: []int64{1}}, `tensor "u": element type is UNDEFINED`},
		{&onnxpb.TensorProto{Name: proto.String("e"), Dims: []int64{4}, DataType: dt(onnxpb.TensorProto_FLOAT),
			DataLocation: onnxpb.TensorProto_EXTERNAL.Enum(),
			ExternalData: []*onnxpb.StringStringEntryProto{{Key: proto.String("location"), Value: proto.String("weights.bin")}}}, `tensor "e": external data (location "weights.bin") is not supported`},
		{&onnxpb.TensorProto{Name: proto.String("n"), Dims: []int64{-1}, DataType: dt(onnxpb.TensorProto_FLOAT)}, `tensor "n": negative dimension`},
	} {
		_, err := TensorFromProto(c.tp)
		wantErr(t, err, c.want)
	}
}

func TestLoadTensor(t *testing.T) {
	dir := t.TempDir()
	want := tensor.New([]int{2, 2}, []int64{1, -2, 3, math.MaxInt64})
	tp, err := TensorToProto("x", want)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := proto.Marshal(tp)
	path := filepath.Join(dir, "input_0.pb")
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
	got, err := LoadTensor(path)
	if err != nil {
		t.Fatal(err)
	}
	checkSameTensor(t, "LoadTensor", got, want)

	bad := filepath.Join(dir, "bad.pb")
	os.WriteFile(bad, b[:len(b)-3], 0o644)
	_, err = LoadTensor(bad)
	wantErr(t, err, bad+": ")
}

// checkSameTensor compares dtype, shape and the bytes of the elements.
func checkSameTensor(t *testing.T, what string, got, want *tensor.Tensor) {
	t.Helper()
	if got.DType() != want.DType() || !tensor.SameShape(got.Shape(), want.Shape()) {
		t.Errorf("%s: got %v, want %v", what, got, want)
		return
	}
	gb, _ := encodeRaw(got)
	wb, _ := encodeRaw(want)
	if !slices.Equal(gb, wb) {
		t.Errorf("%s: data differs: got %v, want %v", what, got.Raw(), want.Raw())
	}
}
