package fuse

import (
	"fmt"
	"maps"
	"math"

	"t2c/graph"
	"t2c/integer"
)

// movementOps move or select elements without changing them: they run on
// integers as they are, keeping the grid.
var movementOps = []string{"Reshape", "Flatten", "Transpose", "Squeeze", "Unsqueeze", "Gather", "Slice", "MaxPool", "Concat", "Split", "Expand"}

// movement re-emits a data-movement node on integers.
func (c *converter) movement(n *graph.Node) error {
	if n.Op == "Concat" {
		return c.concat(n)
	}
	if n.Op == "MaxPool" && len(n.Outputs) > 1 && n.Outputs[1] != "" {
		return fmt.Errorf("MaxPool indices output has no integer form")
	}
	x, err := c.in(n, 0)
	if err != nil {
		return err
	}
	in, err := c.materialize(n.Input(0), x, nil)
	if err != nil {
		return err
	}
	inputs := []string{in.name}
	for i := 1; i < len(n.Inputs); i++ {
		name, err := c.indexInput(n, i)
		if err != nil {
			return err
		}
		inputs = append(inputs, name)
	}
	c.emitMovement(n, inputs, in.grid, in.bound)
	return nil
}

// emitMovement appends a copy of n with the given inputs and binds its
// outputs to integers on grid g.
func (c *converter) emitMovement(n *graph.Node, inputs []string, g integer.Grid, bound float64) {
	m := &graph.Node{Name: c.freshValue(n.Name), Op: n.Op, Inputs: inputs, Attrs: maps.Clone(n.Attrs)}
	for i, o := range n.Outputs {
		if o == "" {
			m.Outputs = append(m.Outputs, "")
			continue
		}
		name := m.Name
		if i > 0 || len(n.Outputs) > 1 {
			name = c.freshValue(fmt.Sprintf("%s.out%d", n.Name, i))
		}
		m.Outputs = append(m.Outputs, name)
		iv := &intValue{name: name, grid: g, bound: bound}
		c.set(n, i, &value{ints: iv})
		c.record(o, iv)
	}
	c.out.Nodes = append(c.out.Nodes, m)
}

// indexInput copies a shape/index/axes input (an integer constant) into
// the integer graph.
func (c *converter) indexInput(n *graph.Node, i int) (string, error) {
	name := n.Input(i)
	if name == "" {
		return "", nil
	}
	v, err := c.in(n, i)
	if err != nil {
		return "", err
	}
	if v.konst == nil || v.konst.DType().IsFloat() {
		return "", fmt.Errorf("input %d (%q) must be an integer constant (shape, index or axes)", i, name)
	}
	if _, ok := c.out.Params[name]; ok {
		return name, nil
	}
	c.out.Params[name] = v.konst
	c.names[name] = true
	return name, nil
}

// concat joins integers on one grid: operands on different grids (or
// float constants, such as a class token) are requantized onto a common
// wide grid first.
func (c *converter) concat(n *graph.Node) error {
	var ints []*intValue
	var konsts []int
	for i := range n.Inputs {
		v, err := c.in(n, i)
		if err != nil {
			return err
		}
		if v.konst != nil {
			konsts = append(konsts, i)
			ints = append(ints, nil)
			continue
		}
		iv, err := c.materialize(n.Input(i), v, nil)
		if err != nil {
			return err
		}
		ints = append(ints, iv)
	}
	common, same := c.commonGrid(n.Outputs[0], ints, len(konsts) > 0)
	bound := 0.0
	inputs := make([]string, len(ints))
	for i, iv := range ints {
		var err error
		switch {
		case iv == nil:
			iv, err = c.constInts(n.Input(i), c.vals[n.Input(i)].konst, &common)
		case !same:
			iv, err = c.materialize(n.Input(i), &value{ints: iv}, &common)
		}
		if err != nil {
			return err
		}
		inputs[i] = iv.name
		bound = math.Max(bound, iv.bound)
	}
	c.emitMovement(n, inputs, common, bound)
	return nil
}

// commonGrid returns the grid shared by all operands (same = true), or a
// wide grid holding all of them.
func (c *converter) commonGrid(src string, ints []*intValue, withConst bool) (integer.Grid, bool) {
	var first *intValue
	same := !withConst
	bound, scale := 0.0, 0.0
	for _, iv := range ints {
		if iv == nil {
			continue
		}
		if first == nil {
			first = iv
		} else if !sameGrid(first.grid, iv.grid) {
			same = false
		}
		bound = math.Max(bound, iv.bound)
		scale = math.Max(scale, iv.grid.Scale[0])
	}
	if same && first != nil {
		return first.grid, true
	}
	if withConst && first != nil && first.grid.Bits == wideBits {
		same := true
		for _, iv := range ints {
			if iv != nil && !sameGrid(first.grid, iv.grid) {
				same = false
			}
		}
		if same {
			return first.grid, true
		}
	}
	return c.wideGrid(src, bound, scale), false
}
