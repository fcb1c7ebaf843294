package quant

import (
	"fmt"
	"slices"

	"t2c/graph"
	"t2c/tensor"
)

// Placement describes one quantizer to attach to a value.
type Placement struct {
	Algo    string                // registered algorithm
	Spec    Spec                  // format; zero Granularity/Block take the algorithm's defaults
	Options map[string]graph.Attr // algorithm options
	Name    string                // node name (made unique); default "<value>.q"
	Layer   string                // module path recorded on the node; default Name
	// Shape is the operand's shape for Quantizer.Init when the value is not
	// a parameter (an activation's shape for a batch of one), or nil.
	Shape []int
}

// Attach inserts a FakeQuant node on value v of g — a weight parameter or
// any activation — and makes the given readers (nil: every node reading v)
// read its output instead. The state parameters are added to g.Params as
// "<node>.<state>"; a weight parameter is observed at once. Insert uses it
// for every Conv/Gemm/MatMul operand; use it directly for other places
// (outputs, residual adds). The graph is re-sorted.
func Attach(g *graph.Graph, v string, readers []*graph.Node, p Placement) (*Site, error) {
	if readers == nil {
		readers = g.Consumers()[v]
	}
	if len(readers) == 0 {
		return nil, fmt.Errorf("quant.Attach: no node reads %q", v)
	}
	s, err := attach(g, v, readers, -1, p, nil)
	if err != nil {
		return nil, fmt.Errorf("quant.Attach: %q: %w", v, err)
	}
	if err := g.TopoSort(); err != nil {
		return nil, fmt.Errorf("quant.Attach: %w", err)
	}
	return s, nil
}

// attach adds the node before the first reader and rewires the readers
// (only input `only` of them when only ≥ 0); added collects new params.
func attach(g *graph.Graph, v string, readers []*graph.Node, only int, p Placement, added map[string]*tensor.Tensor) (*Site, error) {
	q, err := New(p.Algo, p.Spec, p.Options)
	if err != nil {
		return nil, err
	}
	s := q.Spec()
	shape := p.Shape
	w, isParam := g.Params[v]
	if isParam {
		shape = w.Shape()
	}
	params, err := q.Init(shape)
	if err != nil {
		return nil, err
	}
	if p.Name == "" {
		p.Name = v + ".q"
	}
	if p.Layer == "" {
		p.Layer = p.Name
	}
	name := g.FreshName(p.Name)
	inputs := []string{v, "", ""}
	names := []string{"scale", "zero_point"}
	var learn []string
	newParams := map[string]*tensor.Tensor{}
	for _, prm := range params {
		if _, dup := newParams[prm.Name]; dup || prm.Value == nil {
			return nil, fmt.Errorf("state %q is declared twice or has no value", prm.Name)
		}
		pname := g.FreshName(name + "." + prm.Name)
		newParams[pname] = prm.Value
		g.Params[pname] = prm.Value // reserve the name for FreshName
		switch prm.Name {
		case "scale":
			inputs[1] = pname
		case "zero_point":
			inputs[2] = pname
		default:
			inputs = append(inputs, pname)
			names = append(names, prm.Name)
		}
		if prm.Learnable {
			learn = append(learn, prm.Name)
		}
	}
	for len(inputs) > 1 && inputs[len(inputs)-1] == "" { // trailing absent state
		inputs, names = inputs[:len(inputs)-1], names[:len(names)-1]
	}
	attrs := nodeAttrs(p.Algo, s, p.Options)
	attrs[attrLayer] = graph.StringAttr(p.Layer)
	attrs[attrParams] = graph.Attr{Kind: graph.AttrStrings, Strings: names}
	if len(learn) > 0 {
		attrs[attrLearnable] = graph.Attr{Kind: graph.AttrStrings, Strings: learn}
	}
	fq := &graph.Node{Name: name, Op: OpType, Inputs: inputs, Outputs: []string{name}, Attrs: attrs}
	site, err := SiteOf(g, fq)
	if err == nil && isParam && s.Role == Weight {
		var st State
		if st, err = site.State(); err == nil {
			if err = q.Observe(w, st); err != nil {
				err = fmt.Errorf("observing the weight: %w", err)
			}
		}
	}
	if err != nil {
		for pname := range newParams {
			delete(g.Params, pname)
		}
		return nil, err
	}
	first := slices.IndexFunc(g.Nodes, func(n *graph.Node) bool { return slices.Contains(readers, n) })
	if first < 0 {
		first = len(g.Nodes)
	}
	g.Nodes = slices.Insert(g.Nodes, first, fq)
	for _, r := range readers {
		for i, in := range r.Inputs {
			if in == v && (only < 0 || i == only) {
				r.Inputs[i] = name
			}
		}
	}
	for k, t := range newParams {
		if added != nil {
			added[k] = t
		}
	}
	return site, nil
}
