package fuse

import (
	"fmt"

	"t2c/graph"
	"t2c/integer"
	"t2c/quant"
)

// fakeQuant converts a FakeQuant node: a weight becomes its integers, an
// activation the integers on the quantizer's grid.
func (c *converter) fakeQuant(n *graph.Node) error {
	site, err := quant.SiteOf(c.src, n)
	if err != nil {
		return err
	}
	if quant.ModeOf(n) == quant.ModeFloat {
		return fmt.Errorf("quantizer is disabled (mode float): the model is not fully quantized")
	}
	x, err := c.in(n, 0)
	if err != nil {
		return err
	}
	if x.konst != nil {
		return c.quantWeight(n, site)
	}
	grid, err := activationGrid(site)
	if err != nil {
		return err
	}
	if x.ints == nil && x.lazy == nil {
		if !c.src.IsInput(n.Inputs[0]) {
			return fmt.Errorf("input %q is neither a graph input nor an integer value", n.Inputs[0])
		}
		name := c.emit(site.Layer+".quantize", "QuantizeInput", grid.Attrs(map[string]graph.Attr{"layer": graph.StringAttr(site.Layer)}), n.Inputs[0])
		iv := &intValue{name: name, grid: grid}
		iv.bound = iv.maxAbsReal()
		c.set(n, 0, &value{ints: iv})
		c.record(n.Outputs[0], iv)
		return nil
	}
	iv, err := c.materialize(n.Inputs[0], x, &grid)
	if err != nil {
		return err
	}
	c.set(n, 0, &value{ints: iv})
	c.record(n.Outputs[0], iv)
	return nil
}

// activationGrid is the grid of an activation quantizer, which must be
// static and per tensor.
func activationGrid(site *quant.Site) (integer.Grid, error) {
	spec := site.Quantizer.Spec()
	if spec.Granularity != quant.PerTensor {
		return integer.Grid{}, fmt.Errorf("activation quantizer %q of layer %q is %s-wise (%s): the integer graph needs static per-tensor activation grids", site.Algo, site.Layer, spec.Granularity, spec)
	}
	p, err := site.QParams(nil)
	if err != nil {
		return integer.Grid{}, err
	}
	g := integer.Grid{Bits: spec.Bits, Signed: spec.Signed, Scale: []float64{float64(p.Scale[0])}, ZeroPoint: int64(p.ZeroPoint[0])}
	return g, g.Validate()
}

// quantWeight converts a weight quantizer: the weight's integers, exactly
// as the quantizer rounds them.
func (c *converter) quantWeight(n *graph.Node, site *quant.Site) error {
	spec := site.Quantizer.Spec()
	if spec.Granularity == quant.PerBlock || spec.Granularity == quant.PerToken {
		return fmt.Errorf("weight quantizer %q of layer %q is %s-wise: the integer ops take per-tensor or per-channel weights", site.Algo, site.Layer, spec.Granularity)
	}
	q, p, err := site.Integer(nil)
	if err != nil {
		return err
	}
	for _, z := range p.ZeroPoint {
		if z != 0 {
			return fmt.Errorf("weight quantizer of layer %q is asymmetric (zero point %d): integer layers take symmetric weights", site.Layer, z)
		}
	}
	c.set(n, 0, &value{weight: &quantWeight{q: q, params: p, layer: site.Layer}})
	return nil
}
