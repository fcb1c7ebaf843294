// Package graph is t2c's single intermediate representation: a dataflow
// graph of named values produced and consumed by nodes, plus named parameter
// tensors (PyTorch names such as "layer1.0.conv1.weight" are kept).
//
// The same IR carries imported ONNX models, models built in Go, quantizer
// nodes inserted for compression and the integer ops of fused graphs. Passes
// are functions over *Graph (see Pass); Compile turns a graph into a Program
// that runs it with shape specialisation, constant folding and buffer reuse.
// Op implementations live in package ops and register themselves here.
package graph

import (
	"fmt"
	"maps"
	"slices"

	"t2c/tensor"
)

// ValueInfo describes a graph input or output. Dimensions unknown until run
// time (such as a dynamic batch) are -1.
type ValueInfo struct {
	Name  string
	DType tensor.DType
	Shape []int
}

// Node is one operation. Inputs and Outputs name values; an empty input name
// is an omitted optional input, as in ONNX.
type Node struct {
	Name    string
	Op      string
	Inputs  []string
	Outputs []string
	Attrs   map[string]Attr
}

// Input returns input i, or "" if the node has fewer inputs.
func (n *Node) Input(i int) string {
	if i < len(n.Inputs) {
		return n.Inputs[i]
	}
	return ""
}

// String identifies the node in error messages: `node "name" (Op)`.
func (n *Node) String() string { return fmt.Sprintf("node %q (%s)", n.Name, n.Op) }

// Clone returns a copy whose slices and attribute map may be edited freely.
func (n *Node) Clone() *Node {
	return &Node{Name: n.Name, Op: n.Op, Inputs: slices.Clone(n.Inputs), Outputs: slices.Clone(n.Outputs), Attrs: maps.Clone(n.Attrs)}
}

// Graph is a model: inputs, outputs, nodes (kept in topological order by
// TopoSort) and parameters. Params maps value names to constant tensors:
// trained weights and constants alike.
type Graph struct {
	Name    string
	Opset   int // default-domain ONNX opset the node semantics follow
	Inputs  []ValueInfo
	Outputs []ValueInfo
	Nodes   []*Node
	Params  map[string]*tensor.Tensor
}

// New returns an empty graph at the given opset.
func New(name string, opset int) *Graph {
	return &Graph{Name: name, Opset: opset, Params: map[string]*tensor.Tensor{}}
}

// Clone copies the graph structure; parameter tensors are shared, not copied.
func (g *Graph) Clone() *Graph {
	c := &Graph{Name: g.Name, Opset: g.Opset, Inputs: slices.Clone(g.Inputs), Outputs: slices.Clone(g.Outputs), Params: maps.Clone(g.Params)}
	for _, n := range g.Nodes {
		c.Nodes = append(c.Nodes, n.Clone())
	}
	return c
}

// IsInput reports whether name is a graph input.
func (g *Graph) IsInput(name string) bool {
	return slices.ContainsFunc(g.Inputs, func(v ValueInfo) bool { return v.Name == name })
}

// Producers maps every node output to its node.
func (g *Graph) Producers() map[string]*Node {
	m := make(map[string]*Node, len(g.Nodes))
	for _, n := range g.Nodes {
		for _, o := range n.Outputs {
			if o != "" {
				m[o] = n
			}
		}
	}
	return m
}

// Consumers maps every value name to the nodes reading it, in node order.
func (g *Graph) Consumers() map[string][]*Node {
	m := map[string][]*Node{}
	for _, n := range g.Nodes {
		for _, in := range n.Inputs {
			if in != "" && !slices.Contains(m[in], n) {
				m[in] = append(m[in], n)
			}
		}
	}
	return m
}

// Validate checks that every node input is defined exactly once (by a graph
// input, a parameter or an earlier node), no value is produced twice, and
// every graph output exists. It names the first offending node or value.
func (g *Graph) Validate() error {
	defined := map[string]string{}
	for _, in := range g.Inputs {
		defined[in.Name] = "graph input"
	}
	for name := range g.Params {
		if _, dup := defined[name]; dup {
			return fmt.Errorf("value %q is both a graph input and a parameter", name)
		}
		defined[name] = "parameter"
	}
	for _, n := range g.Nodes {
		for i, in := range n.Inputs {
			if in == "" {
				continue
			}
			if _, ok := defined[in]; !ok {
				return fmt.Errorf("%v: input %d %q is not defined by any graph input, initializer or earlier node", n, i, in)
			}
		}
		for _, o := range n.Outputs {
			if o == "" {
				continue
			}
			if by, dup := defined[o]; dup {
				return fmt.Errorf("%v: output %q is already defined (%s)", n, o, by)
			}
			defined[o] = n.String()
		}
	}
	for _, o := range g.Outputs {
		if _, ok := defined[o.Name]; !ok {
			return fmt.Errorf("graph output %q is not produced by any node", o.Name)
		}
	}
	return nil
}

// TopoSort orders Nodes so every node follows the producers of its inputs
// (stable for graphs already in order) and reports cycles or undefined values.
func (g *Graph) TopoSort() error {
	producer := g.Producers()
	state := map[*Node]int{} // 0 new, 1 visiting, 2 done
	sorted := make([]*Node, 0, len(g.Nodes))
	var visit func(n *Node) error
	visit = func(n *Node) error {
		switch state[n] {
		case 1:
			return fmt.Errorf("%v is part of a cycle", n)
		case 2:
			return nil
		}
		state[n] = 1
		for _, in := range n.Inputs {
			if p := producer[in]; p != nil {
				if err := visit(p); err != nil {
					return err
				}
			}
		}
		state[n] = 2
		sorted = append(sorted, n)
		return nil
	}
	for _, n := range g.Nodes {
		if err := visit(n); err != nil {
			return err
		}
	}
	g.Nodes = sorted
	return g.Validate()
}
