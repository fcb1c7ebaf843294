package fuse

// Average pooling and pass-through nodes.

import (
	"fmt"

	"t2c/graph"
)

// avgPool converts GlobalAveragePool and AveragePool (no padding) into a
// pending IntAvgPool.
func (c *converter) avgPool(n *graph.Node) error {
	x, err := c.in(n, 0)
	if err != nil {
		return err
	}
	shape := c.shapeOf(n.Input(0))
	attrs := map[string]graph.Attr{}
	window := 1
	if n.Op == "GlobalAveragePool" {
		attrs["global"] = graph.IntAttr(1)
		for _, d := range shape[2:] {
			window *= d
		}
	} else {
		a := graph.NewAttrs(n)
		if pads := a.Ints("pads", nil); anyNonZero(pads) {
			return fmt.Errorf("AveragePool with padding %v has no integer form here", pads)
		}
		ks := a.Ints("kernel_shape", nil)
		for _, k := range ks {
			window *= k
		}
		attrs["kernel_shape"] = n.Attrs["kernel_shape"]
		if s, ok := n.Attrs["strides"]; ok {
			attrs["strides"] = s
		}
	}
	in, err := c.materialize(n.Input(0), x, nil)
	if err != nil {
		return err
	}
	l := &lazyValue{kind: "pool", in: in, window: window, poolAttrs: attrs, clip: fullRange(), bound: in.bound, layer: n.Name}
	c.set(n, 0, &value{lazy: l})
	return nil
}

func anyNonZero(v []int) bool {
	for _, x := range v {
		if x != 0 {
			return true
		}
	}
	return false
}

// identity passes its input through.
func (c *converter) identity(n *graph.Node) error {
	v, err := c.in(n, 0)
	if err != nil {
		return err
	}
	c.set(n, 0, v)
	return nil
}
