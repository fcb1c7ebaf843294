package fuse

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"t2c/graph"
	"t2c/integer"
	"t2c/quant"
	"t2c/tensor"
)

// Result is a converted model.
type Result struct {
	// Graph is the integer graph, specialised to the input shapes given
	// to Convert. Its inputs are the float inputs of the source graph
	// (quantized by QuantizeInput nodes); its outputs keep the source
	// names and are int32 on the grids in Outputs.
	Graph   *graph.Graph
	Outputs []integer.Grid
	// Values maps float values of the source graph that exist as integers
	// in Graph to their integer value and grid (for per-layer comparison).
	Values map[string]IntRef
	// Layers lists every Conv/Gemm/MatMul in graph order with its
	// accumulator range analysis.
	Layers []Layer
	// FloatOps names the integer-graph nodes that compute in floating
	// point (transformer nonlinearities in float mode): the graph is
	// integer-only when it is empty.
	FloatOps []string
}

// IntRef is an integer value standing for a float value.
type IntRef struct {
	Name string
	Grid integer.Grid
}

// converter holds the state of one conversion.
type converter struct {
	src       *graph.Graph
	types     graph.Typed
	opts      Options
	out       *graph.Graph
	vals      map[string]*value
	consumers map[string][]*graph.Node
	res       *Result
	names     map[string]bool // names used in the integer graph
}

// Convert converts the quantized float graph g, specialised to the given
// input shapes, into an integer graph. g is not modified.
func Convert(g *graph.Graph, inputs map[string][]int, opts Options) (*Result, error) {
	o, err := opts.resolve()
	if err != nil {
		return nil, fmt.Errorf("fuse: %w", err)
	}
	src, types, err := graph.SpecializeWith(g, inputs, graph.SpecializeOptions{Variables: quantState(g)})
	if err != nil {
		return nil, fmt.Errorf("fuse: %w", err)
	}
	c := &converter{src: src, types: types, opts: o, vals: map[string]*value{}, consumers: src.Consumers(),
		out: graph.New(g.Name+".int", src.Opset), res: &Result{Values: map[string]IntRef{}}, names: map[string]bool{}}
	if err := c.run(); err != nil {
		return nil, fmt.Errorf("fuse: %w", err)
	}
	for _, l := range c.res.Layers {
		if l.Overflow {
			return nil, fmt.Errorf("fuse: layer %q: worst-case accumulator %.4g (%d bits: %d-bit inputs × %d-bit weights over %d products) can overflow int32; use fewer bits", l.Name, l.AccBound, l.AccBits, l.XBits, l.WBits, l.Reduction)
		}
	}
	if _, _, err := graph.Specialize(c.out, inputs); err != nil {
		return nil, fmt.Errorf("fuse: the integer graph does not run: %w", err)
	}
	c.res.Graph = c.out
	return c.res, nil
}

// quantState lists the parameters that must not be folded: the inputs of
// FakeQuant nodes (weights and quantizer state), so that every quantized
// weight keeps its quantizer.
func quantState(g *graph.Graph) map[string]bool {
	vars := map[string]bool{}
	for _, n := range quant.Nodes(g) {
		for _, in := range n.Inputs {
			if _, ok := g.Params[in]; ok {
				vars[in] = true
			}
		}
	}
	return vars
}

func (c *converter) run() error {
	for _, in := range c.src.Inputs {
		c.out.Inputs = append(c.out.Inputs, in)
		c.names[in.Name] = true
		c.vals[in.Name] = &value{shape: in.Shape}
	}
	for _, o := range c.src.Outputs {
		c.names[o.Name] = true
	}
	for name, t := range c.src.Params {
		c.vals[name] = &value{shape: t.Shape(), konst: t}
	}
	for _, n := range c.src.Nodes {
		if err := c.node(n); err != nil {
			return fmt.Errorf("%v: %w", n, err)
		}
	}
	for _, o := range c.src.Outputs {
		v, err := c.materialize(o.Name, c.vals[o.Name], nil)
		if err != nil {
			return fmt.Errorf("graph output %q: %w", o.Name, err)
		}
		c.out.Nodes = append(c.out.Nodes, &graph.Node{Name: o.Name + ".output", Op: "Identity",
			Inputs: []string{v.name}, Outputs: []string{o.Name}})
		c.out.Outputs = append(c.out.Outputs, graph.ValueInfo{Name: o.Name, DType: v.grid.DType(), Shape: o.Shape})
		c.res.Outputs = append(c.res.Outputs, v.grid)
	}
	return nil
}

// node converts one source node.
func (c *converter) node(n *graph.Node) error {
	h, ok := handlers[n.Op]
	if !ok {
		return fmt.Errorf("op %s has no integer form (supported: %s)", n.Op, supportedOps())
	}
	return h(c, n)
}

// handler converts one node of an op type.
type handler func(c *converter, n *graph.Node) error

var handlers map[string]handler

func init() {
	handlers = map[string]handler{
		quant.OpType:         (*converter).fakeQuant,
		"Conv":               (*converter).conv,
		"Gemm":               (*converter).gemm,
		"MatMul":             (*converter).matmul,
		"BatchNormalization": (*converter).batchNorm,
		"Relu":               (*converter).relu,
		"Clip":               (*converter).clip,
		"Add":                (*converter).add,
		"Sub":                (*converter).sub,
		"Mul":                (*converter).mul,
		"Div":                (*converter).div,
		"GlobalAveragePool":  (*converter).avgPool,
		"AveragePool":        (*converter).avgPool,
		"Identity":           (*converter).identity,
		"Dropout":            (*converter).identity,
		"Softmax":            (*converter).softmax,
		"Gelu":               (*converter).gelu,
		"LayerNormalization": (*converter).layerNorm,
	}
	for _, op := range movementOps {
		handlers[op] = (*converter).movement
	}
}

func supportedOps() string {
	return strings.Join(slices.Sorted(maps.Keys(handlers)), ", ")
}

// in returns the value of input i of n.
func (c *converter) in(n *graph.Node, i int) (*value, error) {
	name := n.Input(i)
	v, ok := c.vals[name]
	if !ok || v == nil {
		return nil, fmt.Errorf("input %d (%q) has no value", i, name)
	}
	return v, nil
}

// set binds output i of n.
func (c *converter) set(n *graph.Node, i int, v *value) {
	if v.shape == nil {
		v.shape = c.types[n.Outputs[i]].Shape
	}
	c.vals[n.Outputs[i]] = v
}

// shapeOf is the inferred shape of a source value.
func (c *converter) shapeOf(name string) []int { return c.types[name].Shape }

// addParam stores an integer-graph parameter under a fresh name based on want.
func (c *converter) addParam(want string, t *tensor.Tensor) string {
	name := c.freshValue(want)
	c.out.Params[name] = t
	return name
}

// emit appends a node to the integer graph and returns its output name.
func (c *converter) emit(name, op string, attrs map[string]graph.Attr, inputs ...string) string {
	out := c.freshValue(name)
	c.out.Nodes = append(c.out.Nodes, &graph.Node{Name: out, Op: op, Inputs: inputs, Outputs: []string{out}, Attrs: attrs})
	return out
}

// freshValue returns name, or name with a numeric suffix if the integer
// graph already uses it, and reserves it.
func (c *converter) freshValue(name string) string {
	fresh := name
	for i := 1; c.names[fresh]; i++ {
		fresh = fmt.Sprintf("%s.%d", name, i)
	}
	c.names[fresh] = true
	return fresh
}

// record notes that float value src exists as integer value v.
func (c *converter) record(src string, v *intValue) {
	if _, seen := c.res.Values[src]; !seen {
		c.res.Values[src] = IntRef{Name: v.name, Grid: v.grid}
	}
}
