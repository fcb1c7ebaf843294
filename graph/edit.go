package graph

import (
	"fmt"
	"slices"
)

// Pass is one graph transformation. It edits g in place and reports whether
// it changed anything, so passes can be run to a fixed point.
type Pass func(g *Graph) (changed bool, err error)

// Apply runs the passes in order, repeating the sequence until none changes
// the graph (at most maxRounds times), then re-sorts and validates it.
func Apply(g *Graph, passes ...Pass) error {
	const maxRounds = 100
	for round := 0; ; round++ {
		if round == maxRounds {
			return fmt.Errorf("graph passes did not converge after %d rounds", maxRounds)
		}
		changedAny := false
		for _, p := range passes {
			changed, err := p(g)
			if err != nil {
				return err
			}
			changedAny = changedAny || changed
		}
		if !changedAny {
			break
		}
	}
	return g.TopoSort()
}

// Visit calls f for every node in order; it stops at the first error.
func (g *Graph) Visit(f func(n *Node) error) error {
	for _, n := range g.Nodes {
		if err := f(n); err != nil {
			return err
		}
	}
	return nil
}

// Find returns the nodes of the given op types, in order.
func (g *Graph) Find(ops ...string) []*Node {
	var out []*Node
	for _, n := range g.Nodes {
		if slices.Contains(ops, n.Op) {
			out = append(out, n)
		}
	}
	return out
}

// ReplaceUses makes every reader of value old (nodes and graph outputs)
// read value new instead.
func (g *Graph) ReplaceUses(old, new string) {
	for _, n := range g.Nodes {
		for i, in := range n.Inputs {
			if in == old {
				n.Inputs[i] = new
			}
		}
	}
	for i, o := range g.Outputs {
		if o.Name == old {
			g.Outputs[i].Name = new
		}
	}
}

// Remove deletes the given nodes (callers rewire their outputs first).
func (g *Graph) Remove(nodes ...*Node) {
	g.Nodes = slices.DeleteFunc(g.Nodes, func(n *Node) bool { return slices.Contains(nodes, n) })
}

// InsertBefore inserts n just before node at (or at the end if at is nil).
func (g *Graph) InsertBefore(at *Node, n *Node) {
	i := slices.Index(g.Nodes, at)
	if i < 0 {
		g.Nodes = append(g.Nodes, n)
		return
	}
	g.Nodes = slices.Insert(g.Nodes, i, n)
}

// FreshName returns prefix, or prefix_1, prefix_2 ... whichever is not yet
// used by a value, parameter or node.
func (g *Graph) FreshName(prefix string) string {
	used := map[string]bool{}
	for name := range g.Params {
		used[name] = true
	}
	for _, in := range g.Inputs {
		used[in.Name] = true
	}
	for _, n := range g.Nodes {
		used[n.Name] = true
		for _, o := range n.Outputs {
			used[o] = true
		}
	}
	name := prefix
	for i := 1; used[name]; i++ {
		name = fmt.Sprintf("%s_%d", prefix, i)
	}
	return name
}

// ParamCount is the number of elements in floating-point parameters,
// counted like PyTorch's sum(p.numel() for p in model.parameters()):
// BatchNormalization running statistics are buffers, not parameters.
func (g *Graph) ParamCount() int {
	buffers := map[string]bool{}
	for _, n := range g.Find("BatchNormalization") {
		buffers[n.Input(3)], buffers[n.Input(4)] = true, true
	}
	n := 0
	for name, p := range g.Params {
		if p.DType().IsFloat() && !buffers[name] {
			n += p.Len()
		}
	}
	return n
}
