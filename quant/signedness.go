package quant

import (
	"t2c/graph"
	"t2c/tensor"
)

// nonNegative reports whether a value is known to be ≥ 0 from the ops that
// produce it: Relu, Clip with a constant minimum ≥ 0, Softmax, Sigmoid, Abs,
// Exp, and ops that only move, select, pool or combine such values (max and
// average pooling, reshapes, transposes, gathers, slices, concatenation,
// products and sums of non-negative values). Graph inputs and anything else
// count as signed. Activation quantizers after a non-negative producer are
// unsigned, the others signed.
type signedness struct {
	g     *graph.Graph
	prod  map[string]*graph.Node
	known map[string]bool
}

func newSignedness(g *graph.Graph) *signedness {
	return &signedness{g: g, prod: g.Producers(), known: map[string]bool{}}
}

func (s *signedness) nonNegative(v string) bool {
	if r, ok := s.known[v]; ok {
		return r
	}
	s.known[v] = false // cycles (impossible in a valid graph) end as signed
	r := s.compute(v)
	s.known[v] = r
	return r
}

func (s *signedness) compute(v string) bool {
	if p, ok := s.g.Params[v]; ok {
		return allNonNegative(p)
	}
	n := s.prod[v]
	if n == nil {
		return false
	}
	switch n.Op {
	case "Relu", "Softmax", "Sigmoid", "Abs", "Exp":
		return true
	case "Clip":
		if lo := s.constant(n.Input(1)); lo != nil {
			return allNonNegative(lo)
		}
		if a, ok := n.Attrs["min"]; ok && a.Kind == graph.AttrFloat {
			return a.Float >= 0
		}
		return false
	case "MaxPool", "AveragePool", "GlobalAveragePool", "GlobalMaxPool", "Flatten", "Reshape",
		"Transpose", "Identity", "Squeeze", "Unsqueeze", "Gather", "Slice", "Split", "Expand",
		"Tile", "Dropout", "Pad", "ReduceMax", "ReduceMean", OpType:
		return s.nonNegative(n.Input(0))
	case "Max":
		for _, in := range n.Inputs {
			if in != "" && s.nonNegative(in) {
				return true
			}
		}
		return false
	case "Concat", "Add", "Mul":
		for _, in := range n.Inputs {
			if in != "" && !s.nonNegative(in) {
				return false
			}
		}
		return len(n.Inputs) > 0
	}
	return false
}

// constant returns the value of a parameter or Constant node output.
func (s *signedness) constant(v string) *tensor.Tensor {
	if v == "" {
		return nil
	}
	if p, ok := s.g.Params[v]; ok {
		return p
	}
	if n := s.prod[v]; n != nil && n.Op == "Constant" {
		if a, ok := n.Attrs["value"]; ok && a.Kind == graph.AttrTensor {
			return a.Tensor
		}
	}
	return nil
}

func allNonNegative(t *tensor.Tensor) bool {
	if t.DType() == tensor.Bool {
		return true
	}
	ok := true
	tensor.Visit(t, func(_ int, v float64) {
		if !(v >= 0) {
			ok = false
		}
	})
	return ok
}
