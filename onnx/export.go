package onnx

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"

	"google.golang.org/protobuf/proto"

	"t2c/graph"
	"t2c/onnx/onnxpb"
)

// Export settings.
const (
	// IRVersion is the ONNX IR version written by Encode (ONNX 1.12).
	IRVersion = 8
	// DefaultExportOpset is the opset written for graphs whose Opset is 0.
	DefaultExportOpset = 13
	// Producer is the producer_name written by Encode.
	Producer = "t2c"
)

// Encode serializes g as an ONNX model (see ToModel). The output is
// deterministic: the same graph always encodes to the same bytes.
func Encode(g *graph.Graph) ([]byte, error) {
	m, err := ToModel(g)
	if err != nil {
		return nil, err
	}
	return proto.MarshalOptions{Deterministic: true}.Marshal(m)
}

// ToModel converts g to an ONNX ModelProto: IR version 8, the default-domain
// opset g.Opset (DefaultExportOpset if unset), producer "t2c", initializers
// from g.Params sorted by name with raw_data encoding, inputs and outputs
// with dtype and shape (a dynamic dimension -1 becomes dim_param "N" for
// dimension 0 and "d<i>" otherwise), and nodes with their attributes. The
// graph must be valid (see graph.Graph.Validate); nodes may be in any order
// that TopoSort accepts and are written sorted.
func ToModel(g *graph.Graph) (*onnxpb.ModelProto, error) {
	c := g.Clone()
	if err := c.TopoSort(); err != nil {
		return nil, fmt.Errorf("export %q: %w", g.Name, err)
	}
	opset := c.Opset
	if opset == 0 {
		opset = DefaultExportOpset
	}
	lowerForOpset(c, opset)
	gp := &onnxpb.GraphProto{Name: proto.String(c.Name)}

	names := make([]string, 0, len(c.Params))
	for name := range c.Params {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		if name == "" {
			return nil, fmt.Errorf("export %q: parameter with an empty name", g.Name)
		}
		tp, err := TensorToProto(name, c.Params[name])
		if err != nil {
			return nil, fmt.Errorf("export %q: initializer: %w", g.Name, err)
		}
		gp.Initializer = append(gp.Initializer, tp)
	}
	for _, v := range c.Inputs {
		vp, err := valueInfoToProto(v)
		if err != nil {
			return nil, fmt.Errorf("export %q: graph input %q: %w", g.Name, v.Name, err)
		}
		gp.Input = append(gp.Input, vp)
	}
	for _, v := range c.Outputs {
		vp, err := valueInfoToProto(v)
		if err != nil {
			return nil, fmt.Errorf("export %q: graph output %q: %w", g.Name, v.Name, err)
		}
		gp.Output = append(gp.Output, vp)
	}
	for _, n := range c.Nodes {
		attrs, err := attrsToProto(n.Attrs)
		if err != nil {
			return nil, fmt.Errorf("export %q: %v: %w", g.Name, n, err)
		}
		np := &onnxpb.NodeProto{
			OpType:    proto.String(n.Op),
			Input:     append([]string{}, n.Inputs...),
			Output:    append([]string{}, n.Outputs...),
			Attribute: attrs,
		}
		if n.Name != "" {
			np.Name = proto.String(n.Name)
		}
		gp.Node = append(gp.Node, np)
	}
	return &onnxpb.ModelProto{
		IrVersion:    proto.Int64(IRVersion),
		OpsetImport:  []*onnxpb.OperatorSetIdProto{{Domain: proto.String(""), Version: proto.Int64(int64(opset))}},
		ProducerName: proto.String(Producer),
		Graph:        gp,
	}, nil
}

// valueInfoToProto describes a graph input or output. An Invalid dtype
// writes no type; a nil shape writes no shape (unknown rank).
func valueInfoToProto(v graph.ValueInfo) (*onnxpb.ValueInfoProto, error) {
	vp := &onnxpb.ValueInfoProto{Name: proto.String(v.Name)}
	if v.Name == "" {
		return nil, fmt.Errorf("value has no name")
	}
	if v.DType == 0 && v.Shape == nil {
		return vp, nil
	}
	tt := &onnxpb.TypeProto_Tensor{}
	if v.DType != 0 {
		et, err := DTypeToProto(v.DType)
		if err != nil {
			return nil, err
		}
		tt.ElemType = proto.Int32(et)
	}
	if v.Shape != nil {
		sp := &onnxpb.TensorShapeProto{Dim: []*onnxpb.TensorShapeProto_Dimension{}}
		for i, d := range v.Shape {
			dim := &onnxpb.TensorShapeProto_Dimension{}
			switch {
			case d >= 0:
				dim.Value = &onnxpb.TensorShapeProto_Dimension_DimValue{DimValue: int64(d)}
			case i == 0:
				dim.Value = &onnxpb.TensorShapeProto_Dimension_DimParam{DimParam: "N"}
			default:
				dim.Value = &onnxpb.TensorShapeProto_Dimension_DimParam{DimParam: fmt.Sprintf("d%d", i)}
			}
			sp.Dim = append(sp.Dim, dim)
		}
		tt.Shape = sp
	}
	vp.Type = &onnxpb.TypeProto{Value: &onnxpb.TypeProto_TensorType{TensorType: tt}}
	return vp, nil
}

// Save encodes g and writes it to path atomically: the model is written to
// a temporary file in the same directory and renamed over path, so a failure
// never leaves a half-written model behind.
func Save(g *graph.Graph, path string) (err error) {
	data, err := Encode(g)
	if err != nil {
		return err
	}
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp*")
	if err != nil {
		return err
	}
	tmp := f.Name()
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(tmp)
		}
	}()
	if _, err = f.Write(data); err != nil {
		return err
	}
	if err = f.Chmod(0o644); err != nil {
		return err
	}
	if err = f.Sync(); err != nil {
		return err
	}
	if err = f.Close(); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}
