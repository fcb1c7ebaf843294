package export

import (
	"t2c/graph"
	"t2c/tensor"
)

// nodes is the manifest's graph in execution order.
func (e *exporter) nodes() []Node {
	out := make([]Node, 0, len(e.g.Nodes))
	for i, n := range e.g.Nodes {
		entry := Node{Index: i, Name: n.Name, Op: n.Op, Layer: layerOf(n), Inputs: []Value{}, Outputs: []Value{}, Attrs: map[string]any{}}
		for _, in := range n.Inputs {
			entry.Inputs = append(entry.Inputs, e.value(in))
		}
		for _, o := range n.Outputs {
			entry.Outputs = append(entry.Outputs, e.value(o))
		}
		for name, a := range n.Attrs {
			entry.Attrs[name] = attrJSON(a)
		}
		entry.MACs = e.macs(n)
		out = append(out, entry)
	}
	return out
}

// attrJSON is an attribute's JSON value: numbers and lists as they are,
// tensors as their dtype and shape.
func attrJSON(a graph.Attr) any {
	switch a.Kind {
	case graph.AttrInt:
		return a.Int
	case graph.AttrFloat:
		return a.Float
	case graph.AttrString:
		return a.String
	case graph.AttrInts:
		return nonNilSlice(a.Ints)
	case graph.AttrFloats:
		return nonNilSlice(a.Floats)
	case graph.AttrStrings:
		return nonNilSlice(a.Strings)
	case graph.AttrTensor:
		if a.Tensor != nil {
			return map[string]any{"dtype": a.Tensor.DType().String(), "shape": nonNil(a.Tensor.Shape())}
		}
	}
	return nil
}

func nonNilSlice[T any](v []T) []T {
	if v == nil {
		return []T{}
	}
	return v
}

// macs counts the multiply-accumulates of IntConv and IntMatMul: output
// elements times the reduction length.
func (e *exporter) macs(n *graph.Node) int64 {
	if !accumulates(n.Op) || len(n.Inputs) < 2 || len(n.Outputs) < 1 {
		return 0
	}
	out := int64(tensor.NumElems(e.prog.Types[n.Outputs[0]].Shape))
	x, w := e.prog.Types[n.Inputs[0]].Shape, e.prog.Types[n.Inputs[1]].Shape
	if n.Op == opIntConv {
		if len(w) == 0 || w[0] == 0 {
			return 0
		}
		return out * int64(tensor.NumElems(w)/w[0])
	}
	if len(x) == 0 {
		return 0
	}
	return out * int64(x[len(x)-1])
}
