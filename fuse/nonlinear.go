package fuse

import (
	"fmt"
	"math"

	"t2c/graph"
	"t2c/integer"
	"t2c/tensor"
)

// softmax converts Softmax over the last axis into IntSoftmax.
func (c *converter) softmax(n *graph.Node) error {
	if ax := graph.NewAttrs(n).Int("axis", -1); ax != -1 && int(ax) != len(c.shapeOf(n.Input(0)))-1 {
		return fmt.Errorf("Softmax over axis %d: the integer softmax works on the last axis", ax)
	}
	in, err := c.nonlinearInput(n, c.opts.Softmax, softmaxMinStep)
	if err != nil {
		return err
	}
	out := c.nonlinearOutput(n, integer.Grid{Bits: 16, Signed: false, Scale: []float64{1.0 / 65535}})
	name := c.freshValue(n.Name)
	node, err := integer.NewSoftmax(name, in.name, name, in.grid.Scale[0], in.grid.Bits, out, c.opts.Softmax, c.opts.LUTBits)
	if err != nil {
		return err
	}
	return c.bindNonlinear(n, node, out, 1)
}

// gelu converts Gelu into IntGELU.
func (c *converter) gelu(n *graph.Node) error {
	if a := graph.NewAttrs(n).String("approximate", "none"); a != "none" {
		return fmt.Errorf("Gelu approximate=%q: the integer GELU implements the erf form", a)
	}
	in, err := c.nonlinearInput(n, c.opts.GELU, 0)
	if err != nil {
		return err
	}
	out := c.nonlinearOutput(n, c.signedGrid(n.Outputs[0], in.bound))
	name := c.freshValue(n.Name)
	node, err := integer.NewGELU(name, in.name, name, in.grid, out, c.opts.GELU)
	if err != nil {
		return err
	}
	return c.bindNonlinear(n, node, out, in.bound)
}

// layerNorm converts LayerNormalization over the last axis into
// IntLayerNorm with γ and β folded into its integer constants.
func (c *converter) layerNorm(n *graph.Node) error {
	a := graph.NewAttrs(n)
	shape := c.shapeOf(n.Input(0))
	if ax := a.Int("axis", -1); ax != -1 && int(ax) != len(shape)-1 {
		return fmt.Errorf("LayerNormalization over axis %d: the integer LayerNorm normalises the last axis", ax)
	}
	eps := float64(a.Float("epsilon", 1e-5))
	var gb [2][]float32
	for i := range gb {
		if n.Input(i+1) == "" {
			continue
		}
		v, err := c.in(n, i+1)
		if err != nil {
			return err
		}
		if v.konst == nil {
			return fmt.Errorf("input %d (%q) is not a constant", i+1, n.Input(i+1))
		}
		gb[i] = tensor.Cast(v.konst, tensor.Float32).Float32()
	}
	d := shape[len(shape)-1]
	if gb[1] == nil {
		gb[1] = make([]float32, d)
	}
	in, err := c.nonlinearInput(n, integer.ModeInteger, 0)
	if err != nil {
		return err
	}
	bound := 0.0
	for k := range gb[0] {
		bound = math.Max(bound, math.Abs(float64(gb[0][k]))*math.Sqrt(float64(d))+math.Abs(float64(gb[1][k])))
	}
	out := c.nonlinearOutput(n, c.signedGrid(n.Outputs[0], bound))
	name := c.freshValue(n.Name)
	node, err := integer.NewLayerNorm(name, in.name, name, in.grid, gb[0], gb[1], eps, out, c.opts.LayerNorm)
	if err != nil {
		return err
	}
	return c.bindNonlinear(n, node, out, bound)
}

// softmaxMinStep is the finest input step of the integer softmax: its
// exponent works on a grid of ln2/2¹⁰ and rescales the input onto it in
// int64, which steps below about 10⁻⁸ would overflow.
const softmaxMinStep = 1.0 / (1 << 20)

// nonlinearInput materialises input 0 of n on a signed per-tensor grid of
// the width the mode reads (LUTBits for tables, IntBits otherwise), sized
// from the observed range of the value when known, else its static bound,
// with a step of at least minStep.
func (c *converter) nonlinearInput(n *graph.Node, mode integer.Mode, minStep float64) (*intValue, error) {
	x, err := c.in(n, 0)
	if err != nil {
		return nil, err
	}
	bits := c.opts.IntBits
	if mode == integer.ModeLUT {
		bits = c.opts.LUTBits
	}
	src := n.Input(0)
	r := c.rangeOf(src, x)
	g := integer.Grid{Bits: bits, Signed: true, ZeroPoint: 0}
	g.Scale = []float64{math.Max(r/float64(g.QMax()), minStep)}
	return c.materialize(src, x, &g)
}

// rangeOf is the max |x| of a source value: observed if known, else the
// static bound of its representation.
func (c *converter) rangeOf(src string, x *value) float64 {
	if r, ok := c.opts.Ranges[src]; ok && r > 0 {
		return r
	}
	switch {
	case x.lazy != nil:
		return math.Max(x.lazy.clippedBound(), 1e-6)
	case x.ints != nil:
		return math.Max(x.ints.bound, 1e-6)
	}
	return 1
}

// signedGrid is a 16-bit signed grid for a value without a quantizer.
func (c *converter) signedGrid(src string, bound float64) integer.Grid {
	r := bound
	if o, ok := c.opts.Ranges[src]; ok && o > 0 {
		r = o
	}
	g := integer.Grid{Bits: 16, Signed: true}
	g.Scale = []float64{math.Max(r, 1e-6) / float64(g.QMax())}
	return g
}

// nonlinearOutput is the grid of the quantizer the output of n flows into,
// or def.
func (c *converter) nonlinearOutput(n *graph.Node, def integer.Grid) integer.Grid {
	if g := c.lookahead(n.Outputs[0]); g != nil {
		return *g
	}
	return def
}

// bindNonlinear appends a nonlinearity node and binds its output.
func (c *converter) bindNonlinear(n *graph.Node, node *graph.Node, out integer.Grid, bound float64) error {
	if node.Attrs == nil {
		node.Attrs = map[string]graph.Attr{}
	}
	node.Attrs["layer"] = graph.StringAttr(n.Name)
	c.out.Nodes = append(c.out.Nodes, node)
	if !integer.IntegerOnly(node) {
		c.res.FloatOps = append(c.res.FloatOps, node.Name)
	}
	iv := &intValue{name: node.Outputs[0], grid: out}
	iv.bound = math.Min(bound, iv.maxAbsReal())
	c.set(n, 0, &value{ints: iv})
	c.record(n.Outputs[0], iv)
	return nil
}
