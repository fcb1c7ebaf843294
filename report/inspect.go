// Package report turns models and runs into tables people read: the layer
// summary of `t2c inspect` now; per-layer error reports later.
package report

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"t2c/graph"
	"t2c/tensor"
)

// Layer is one node of an inspected model.
type Layer struct {
	Name        string `json:"name"`
	Op          string `json:"op"`
	OutputShape []int  `json:"output_shape"`
	Params      int    `json:"params"`
	MACs        int64  `json:"macs"`
}

// Summary describes a model for `t2c inspect`.
type Summary struct {
	Name        string         `json:"name"`
	Opset       int            `json:"opset"`
	Inputs      []Value        `json:"inputs"`
	Outputs     []Value        `json:"outputs"`
	Params      int            `json:"params"`
	MACs        int64          `json:"macs"`
	OpCounts    map[string]int `json:"op_counts"`
	Layers      []Layer        `json:"layers"`
	FoldedNodes int            `json:"folded_nodes"`
}

// Value is a named tensor type; -1 marks a dimension chosen at run time.
type Value struct {
	Name  string `json:"name"`
	DType string `json:"dtype"`
	Shape []int  `json:"shape"`
}

// Inspect specialises g to batch size 1 (any dynamic dimension becomes 1)
// and summarises the nodes that remain after constant folding.
func Inspect(g *graph.Graph) (*Summary, error) {
	shapes := map[string][]int{}
	s := &Summary{Name: g.Name, Opset: g.Opset, Params: g.ParamCount(), OpCounts: map[string]int{}}
	for _, in := range g.Inputs {
		shape := slices.Clone(in.Shape)
		for i, d := range shape {
			if d < 0 {
				shape[i] = 1
			}
		}
		shapes[in.Name] = shape
		s.Inputs = append(s.Inputs, Value{in.Name, in.DType.String(), in.Shape})
	}
	sg, types, err := graph.Specialize(g, shapes)
	if err != nil {
		return nil, err
	}
	for _, o := range g.Outputs {
		s.Outputs = append(s.Outputs, Value{o.Name, types[o.Name].DType.String(), types[o.Name].Shape})
	}
	s.FoldedNodes = len(g.Nodes) - len(sg.Nodes)
	for _, n := range sg.Nodes {
		l := Layer{Name: n.Name, Op: n.Op, OutputShape: types[n.Outputs[0]].Shape, MACs: MACs(n, types)}
		for _, in := range n.Inputs {
			if p, ok := g.Params[in]; ok && p.DType().IsFloat() {
				l.Params += p.Len()
			}
		}
		s.OpCounts[n.Op]++
		s.MACs += l.MACs
		s.Layers = append(s.Layers, l)
	}
	return s, nil
}

// MACs counts the multiply-accumulates of a Conv, MatMul or Gemm node from
// its inferred types (0 for other ops).
func MACs(n *graph.Node, types graph.Typed) int64 {
	out := types[n.Outputs[0]].Shape
	switch n.Op {
	case "Conv":
		w := types[n.Inputs[1]].Shape // K × C/g × kernel...
		return int64(tensor.NumElems(out)) * int64(tensor.NumElems(w[1:]))
	case "MatMul", "Gemm":
		a := types[n.Inputs[0]].Shape
		k := a[len(a)-1]
		if n.Op == "Gemm" && n.Attrs["transA"].Int != 0 {
			k = a[0]
		}
		return int64(tensor.NumElems(out)) * int64(k)
	}
	return 0
}

// OpList formats op counts as "Conv×9 Relu×7 ..." sorted by op name.
func OpList(counts map[string]int) string {
	var parts []string
	for _, op := range slices.Sorted(maps.Keys(counts)) {
		parts = append(parts, fmt.Sprintf("%s×%d", op, counts[op]))
	}
	return strings.Join(parts, " ")
}
