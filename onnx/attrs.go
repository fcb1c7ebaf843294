package onnx

import (
	"fmt"
	"slices"
	"sort"

	"google.golang.org/protobuf/proto"

	"t2c/graph"
	"t2c/onnx/onnxpb"
)

// attrType returns the attribute's declared type, or infers it from the
// field that is set for old exporters that leave the type UNDEFINED.
func attrType(a *onnxpb.AttributeProto) onnxpb.AttributeProto_AttributeType {
	if t := a.GetType(); t != onnxpb.AttributeProto_UNDEFINED {
		return t
	}
	switch {
	case a.F != nil:
		return onnxpb.AttributeProto_FLOAT
	case a.I != nil:
		return onnxpb.AttributeProto_INT
	case a.S != nil:
		return onnxpb.AttributeProto_STRING
	case a.T != nil:
		return onnxpb.AttributeProto_TENSOR
	case a.G != nil:
		return onnxpb.AttributeProto_GRAPH
	case a.SparseTensor != nil:
		return onnxpb.AttributeProto_SPARSE_TENSOR
	case a.Tp != nil:
		return onnxpb.AttributeProto_TYPE_PROTO
	case len(a.Floats) > 0:
		return onnxpb.AttributeProto_FLOATS
	case len(a.Ints) > 0:
		return onnxpb.AttributeProto_INTS
	case len(a.Strings) > 0:
		return onnxpb.AttributeProto_STRINGS
	case len(a.Tensors) > 0:
		return onnxpb.AttributeProto_TENSORS
	case len(a.Graphs) > 0:
		return onnxpb.AttributeProto_GRAPHS
	case len(a.SparseTensors) > 0:
		return onnxpb.AttributeProto_SPARSE_TENSORS
	case len(a.TypeProtos) > 0:
		return onnxpb.AttributeProto_TYPE_PROTOS
	}
	return onnxpb.AttributeProto_UNDEFINED
}

// attrFromProto converts one attribute. Errors do not name the attribute;
// the caller adds node and attribute names.
func attrFromProto(a *onnxpb.AttributeProto) (graph.Attr, error) {
	if a.GetRefAttrName() != "" {
		return graph.Attr{}, fmt.Errorf("refers to function attribute %q; model-local functions are not supported", a.GetRefAttrName())
	}
	switch t := attrType(a); t {
	case onnxpb.AttributeProto_INT:
		return graph.IntAttr(a.GetI()), nil
	case onnxpb.AttributeProto_FLOAT:
		return graph.FloatAttr(a.GetF()), nil
	case onnxpb.AttributeProto_STRING:
		return graph.StringAttr(string(a.GetS())), nil
	case onnxpb.AttributeProto_INTS:
		return graph.Attr{Kind: graph.AttrInts, Ints: append([]int64{}, a.GetInts()...)}, nil
	case onnxpb.AttributeProto_FLOATS:
		return graph.Attr{Kind: graph.AttrFloats, Floats: append([]float32{}, a.GetFloats()...)}, nil
	case onnxpb.AttributeProto_STRINGS:
		s := make([]string, len(a.GetStrings()))
		for i, b := range a.GetStrings() {
			s[i] = string(b)
		}
		return graph.Attr{Kind: graph.AttrStrings, Strings: s}, nil
	case onnxpb.AttributeProto_TENSOR:
		if a.GetT() == nil {
			return graph.Attr{}, fmt.Errorf("TENSOR attribute has no tensor")
		}
		tf := TensorFromProto
		if a.GetT().GetName() == "" {
			tf = tensorFromProto // the attribute name identifies it
		}
		v, err := tf(a.GetT())
		if err != nil {
			return graph.Attr{}, err
		}
		return graph.TensorAttr(v), nil
	case onnxpb.AttributeProto_UNDEFINED:
		return graph.Attr{}, fmt.Errorf("attribute has no value")
	default:
		return graph.Attr{}, fmt.Errorf("attributes of type %v are not supported (t2c supports INT, FLOAT, STRING, INTS, FLOATS, STRINGS, TENSOR)", t)
	}
}

// attrsFromProto converts a node's attributes; errors name the attribute.
func attrsFromProto(list []*onnxpb.AttributeProto) (map[string]graph.Attr, error) {
	if len(list) == 0 {
		return nil, nil
	}
	m := make(map[string]graph.Attr, len(list))
	for _, a := range list {
		name := a.GetName()
		if name == "" {
			return nil, fmt.Errorf("attribute without a name")
		}
		if _, dup := m[name]; dup {
			return nil, fmt.Errorf("attribute %q appears twice", name)
		}
		v, err := attrFromProto(a)
		if err != nil {
			return nil, fmt.Errorf("attribute %q: %w", name, err)
		}
		m[name] = v
	}
	return m, nil
}

// attrToProto converts one attribute for export.
func attrToProto(name string, a graph.Attr) (*onnxpb.AttributeProto, error) {
	p := &onnxpb.AttributeProto{Name: proto.String(name)}
	switch a.Kind {
	case graph.AttrInt:
		p.Type, p.I = onnxpb.AttributeProto_INT.Enum(), proto.Int64(a.Int)
	case graph.AttrFloat:
		p.Type, p.F = onnxpb.AttributeProto_FLOAT.Enum(), proto.Float32(a.Float)
	case graph.AttrString:
		p.Type, p.S = onnxpb.AttributeProto_STRING.Enum(), []byte(a.String)
	case graph.AttrInts:
		p.Type, p.Ints = onnxpb.AttributeProto_INTS.Enum(), slices.Clone(a.Ints)
	case graph.AttrFloats:
		p.Type, p.Floats = onnxpb.AttributeProto_FLOATS.Enum(), slices.Clone(a.Floats)
	case graph.AttrStrings:
		p.Type = onnxpb.AttributeProto_STRINGS.Enum()
		for _, s := range a.Strings {
			p.Strings = append(p.Strings, []byte(s))
		}
	case graph.AttrTensor:
		t, err := TensorToProto("", a.Tensor)
		if err != nil {
			return nil, err
		}
		p.Type, p.T = onnxpb.AttributeProto_TENSOR.Enum(), t
	default:
		return nil, fmt.Errorf("attribute %q has unknown kind %d", name, a.Kind)
	}
	return p, nil
}

// attrsToProto converts a node's attributes, sorted by name so that export
// is deterministic.
func attrsToProto(m map[string]graph.Attr) ([]*onnxpb.AttributeProto, error) {
	names := make([]string, 0, len(m))
	for k := range m {
		names = append(names, k)
	}
	sort.Strings(names)
	out := make([]*onnxpb.AttributeProto, 0, len(names))
	for _, k := range names {
		p, err := attrToProto(k, m[k])
		if err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	return out, nil
}
