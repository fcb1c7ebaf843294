package onnx

import (
	"errors"
	"fmt"
	"os"
	"sort"
	"strings"

	"google.golang.org/protobuf/proto"

	"t2c/graph"
	"t2c/onnx/onnxpb"
	_ "t2c/ops" // register the op implementations used to validate models
)

// Opset range accepted on import. t2c targets opsets 11–17; older models
// are accepted down to MinOpset and the op builders handle the version
// differences they support.
const (
	MinOpset = 7  // oldest default-domain opset accepted
	MaxOpset = 17 // newest default-domain opset accepted
)

// Load reads an ONNX model file and converts it to a graph (see Decode).
// Errors name the file.
func Load(path string) (*graph.Graph, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return Decode(data, path)
}

// Decode parses a serialized ONNX ModelProto and converts it to a graph. name
// (usually the file name) prefixes every error, e.g.
// `model.onnx: node "/conv1/Conv" (Conv): unsupported attribute "foo"`.
//
// Besides the structural checks (opset, element types, dims, undefined
// values, cycles) every node is compiled once with graph.Build, so an
// unsupported op, attribute or attribute value is reported at load time. All
// distinct unsupported op types are listed in one error.
func Decode(data []byte, name string) (*graph.Graph, error) {
	m, err := unmarshalModel(data, name)
	if err != nil {
		return nil, err
	}
	return FromModel(m, name)
}

// FromModel converts a parsed ModelProto to a graph with the checks of
// Decode; name prefixes every error.
func FromModel(m *onnxpb.ModelProto, name string) (*graph.Graph, error) {
	g, err := convertModel(m, name)
	if err != nil {
		return nil, err
	}
	if err := validateOps(g); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	return g, nil
}

func unmarshalModel(data []byte, name string) (*onnxpb.ModelProto, error) {
	m := &onnxpb.ModelProto{}
	if err := proto.Unmarshal(data, m); err != nil {
		return nil, fmt.Errorf("%s: truncated or corrupt protobuf: %w", name, err)
	}
	if m.GetGraph() == nil {
		return nil, fmt.Errorf("%s: no graph in the model (not an ONNX model, or truncated)", name)
	}
	return m, nil
}

// modelOpset returns the default-domain opset the model imports.
func modelOpset(m *onnxpb.ModelProto) (int, error) {
	for _, o := range m.GetOpsetImport() {
		if d := o.GetDomain(); d == "" || d == "ai.onnx" {
			v := o.GetVersion()
			if v < MinOpset || v > MaxOpset {
				return 0, fmt.Errorf("default-domain opset %d is not supported (t2c accepts opsets %d–%d)", v, MinOpset, MaxOpset)
			}
			return int(v), nil
		}
	}
	return 0, fmt.Errorf("the model imports no default-domain (ai.onnx) opset")
}

// convertModel does the structural conversion and checks, without asking
// the op registry about the nodes.
func convertModel(m *onnxpb.ModelProto, name string) (*graph.Graph, error) {
	fail := func(format string, args ...any) (*graph.Graph, error) {
		return nil, fmt.Errorf("%s: %s", name, fmt.Sprintf(format, args...))
	}
	gp := m.GetGraph()
	if gp == nil {
		return fail("no graph in the model")
	}
	opset, err := modelOpset(m)
	if err != nil {
		return fail("%v", err)
	}
	g := graph.New(gp.GetName(), opset)

	if len(gp.GetSparseInitializer()) > 0 {
		return fail("sparse initializer %q is not supported", gp.GetSparseInitializer()[0].GetValues().GetName())
	}
	for i, tp := range gp.GetInitializer() {
		if tp.GetName() == "" {
			return fail("initializer %d has no name", i)
		}
		if _, dup := g.Params[tp.GetName()]; dup {
			return fail("initializer %q is defined twice", tp.GetName())
		}
		t, err := TensorFromProto(tp)
		if err != nil {
			return fail("initializer: %v", err)
		}
		g.Params[tp.GetName()] = t
	}

	seen := map[string]bool{}
	for _, vp := range gp.GetInput() {
		if _, isParam := g.Params[vp.GetName()]; isParam {
			continue // older exporters list initializers as inputs too
		}
		v, err := valueInfoFromProto(vp)
		if err != nil {
			return fail("graph input %q: %v", vp.GetName(), err)
		}
		if seen[v.Name] {
			return fail("graph input %q is listed twice", v.Name)
		}
		seen[v.Name] = true
		g.Inputs = append(g.Inputs, v)
	}
	for _, vp := range gp.GetOutput() {
		v, err := valueInfoFromProto(vp)
		if err != nil {
			return fail("graph output %q: %v", vp.GetName(), err)
		}
		g.Outputs = append(g.Outputs, v)
	}

	for i, np := range gp.GetNode() {
		n := &graph.Node{
			Name:    np.GetName(),
			Op:      np.GetOpType(),
			Inputs:  append([]string{}, np.GetInput()...),
			Outputs: append([]string{}, np.GetOutput()...),
		}
		if n.Op == "" {
			return fail("node %d (%q) has no op_type", i, n.Name)
		}
		if n.Name == "" {
			n.Name = fmt.Sprintf("%s_%d", n.Op, i)
		}
		if d := np.GetDomain(); d != "" && d != "ai.onnx" {
			return fail("%v: domain %q is not supported (t2c implements only the default ONNX domain)", n, d)
		}
		n.Attrs, err = attrsFromProto(np.GetAttribute())
		if err != nil {
			return fail("%v: %v", n, err)
		}
		g.Nodes = append(g.Nodes, n)
	}
	if err := g.TopoSort(); err != nil {
		return fail("%v", err)
	}
	return g, nil
}

// valueInfoFromProto converts a graph input or output description. A
// missing type gives an Invalid dtype and nil shape; a missing shape gives a
// nil shape; symbolic or missing dimensions are -1.
func valueInfoFromProto(vp *onnxpb.ValueInfoProto) (graph.ValueInfo, error) {
	v := graph.ValueInfo{Name: vp.GetName()}
	if v.Name == "" {
		return v, fmt.Errorf("value has no name")
	}
	tp := vp.GetType()
	if tp == nil || tp.GetValue() == nil {
		return v, nil
	}
	tt := tp.GetTensorType()
	if tt == nil {
		kind := "non-tensor"
		switch {
		case tp.GetSequenceType() != nil:
			kind = "sequence"
		case tp.GetMapType() != nil:
			kind = "map"
		case tp.GetOptionalType() != nil:
			kind = "optional"
		case tp.GetSparseTensorType() != nil:
			kind = "sparse tensor"
		}
		return v, fmt.Errorf("%s values are not supported (tensors only)", kind)
	}
	if et := tt.GetElemType(); et != int32(onnxpb.TensorProto_UNDEFINED) {
		d, err := DTypeFromProto(et)
		if err != nil {
			return v, err
		}
		v.DType = d
	}
	if sp := tt.GetShape(); sp != nil {
		v.Shape = make([]int, len(sp.GetDim()))
		for i, d := range sp.GetDim() {
			v.Shape[i] = -1
			if dv, ok := d.GetValue().(*onnxpb.TensorShapeProto_Dimension_DimValue); ok && dv.DimValue >= 0 {
				v.Shape[i] = int(dv.DimValue)
			}
		}
	}
	return v, nil
}

// validateOps compiles every node once so that unsupported ops, attributes
// and attribute values are reported at load time. All distinct unsupported op
// types are listed together; otherwise the first build error is returned.
func validateOps(g *graph.Graph) error {
	firstNode := map[string]string{}
	var firstErr error
	for _, n := range g.Nodes {
		if !graph.Supported(n.Op) {
			if _, ok := firstNode[n.Op]; !ok {
				firstNode[n.Op] = n.Name
			}
			continue
		}
		if _, err := graph.Build(n, g.Opset); err != nil && firstErr == nil {
			firstErr = err
		}
	}
	if len(firstNode) > 0 {
		ops := make([]string, 0, len(firstNode))
		for op := range firstNode {
			ops = append(ops, op)
		}
		sort.Strings(ops)
		parts := make([]string, len(ops))
		for i, op := range ops {
			parts[i] = fmt.Sprintf("%s (node %q)", op, firstNode[op])
		}
		what := "unsupported op"
		if len(ops) > 1 {
			what = "unsupported ops"
		}
		return &UnsupportedOpsError{Ops: ops, msg: what + ": " + strings.Join(parts, ", ")}
	}
	return firstErr
}

// UnsupportedOpsError is returned (wrapped) by Decode when a model uses op
// types that have no implementation. Ops lists them, sorted.
type UnsupportedOpsError struct {
	Ops []string
	msg string
}

// Error lists the unsupported op types with the first node using each.
func (e *UnsupportedOpsError) Error() string { return e.msg }

// UnsupportedOps returns the op types listed by an UnsupportedOpsError in
// err's chain, or nil.
func UnsupportedOps(err error) []string {
	var u *UnsupportedOpsError
	if errors.As(err, &u) {
		return u.Ops
	}
	return nil
}
