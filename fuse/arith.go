package fuse

// Elementwise arithmetic: adds (bias folding or IntAdd), constant scaling, pruning masks.

import (
	"fmt"

	"t2c/graph"
	"t2c/tensor"
)

// add converts Add: a constant folds into a pending bias where it is one
// value per channel; two activations become an IntAdd.
func (c *converter) add(n *graph.Node) error { return c.addSigned(n, 1) }

// sub converts Sub as Add of the negated second operand.
func (c *converter) sub(n *graph.Node) error { return c.addSigned(n, -1) }

func (c *converter) addSigned(n *graph.Node, sign float64) error {
	na, nb := n.Input(0), n.Input(1)
	a, b, err := c.binary(n)
	if err != nil {
		return err
	}
	if a.konst != nil {
		if sign < 0 {
			return fmt.Errorf("constant minus activation has no integer form here")
		}
		a, b, na, nb = b, a, nb, na
	}
	if b.konst != nil && a.lazy != nil && a.lazy.kind == "acc" && a.lazy.clip.isFull() {
		vals := floats(b.konst)
		for i := range vals {
			vals[i] *= sign
		}
		l := a.lazy.clone()
		if err := l.addConst(vals, b.konst.Shape(), c.shapeOf(n.Outputs[0])); err == nil {
			c.set(n, 0, &value{lazy: l})
			return nil
		}
	}
	ai, err := c.materialize(na, a, nil)
	if err != nil {
		return err
	}
	bi, err := c.materialize(nb, b, nil)
	if err != nil {
		return err
	}
	l := &lazyValue{kind: "add", a: ai, b: bi, gain: sign, clip: fullRange(), bound: ai.bound + bi.bound, layer: n.Name}
	c.set(n, 0, &value{lazy: l})
	return nil
}

// binary returns the two inputs of an elementwise node.
func (c *converter) binary(n *graph.Node) (a, b *value, err error) {
	if a, err = c.in(n, 0); err != nil {
		return nil, nil, err
	}
	b, err = c.in(n, 1)
	return a, b, err
}

// mul converts multiplication by a constant: a positive scalar is a
// rescale, a per-channel constant folds into a pending accumulator.
func (c *converter) mul(n *graph.Node) error {
	a, b, err := c.binary(n)
	if err != nil {
		return err
	}
	if a.konst != nil {
		a, b = b, a
	}
	if b.konst == nil {
		return fmt.Errorf("multiplying two activations has no integer form here (only by constants)")
	}
	if a.weight != nil {
		return c.maskWeight(n, a.weight, b.konst)
	}
	return c.scaleBy(n, a, floats(b.konst))
}

// maskWeight applies a pruning mask (a 0/1 constant shaped like the
// weight) to a quantized weight's integers, so pruned weights are exactly
// zero in the integer graph.
func (c *converter) maskWeight(n *graph.Node, w *quantWeight, mask *tensor.Tensor) error {
	if !tensor.SameShape(mask.Shape(), w.q.Shape()) {
		return fmt.Errorf("mask of shape %v does not match the weight %v", mask.Shape(), w.q.Shape())
	}
	keep := floats(mask)
	q := w.q.Int64s()
	for i, k := range keep {
		switch k {
		case 0:
			q[i] = 0
		case 1:
		default:
			return fmt.Errorf("mask %q holds %v: a pruning mask is 0 or 1", n.Input(1), k)
		}
	}
	masked := *w
	masked.q = tensor.Cast(tensor.New(w.q.Shape(), q), w.q.DType())
	c.set(n, 0, &value{weight: &masked})
	return nil
}

// div converts division by a constant.
func (c *converter) div(n *graph.Node) error {
	a, b, err := c.binary(n)
	if err != nil {
		return err
	}
	if b.konst == nil {
		return fmt.Errorf("dividing by an activation has no integer form")
	}
	f := floats(b.konst)
	inv := make([]float64, len(f))
	for i, x := range f {
		inv[i] = 1 / x
	}
	return c.scaleBy(n, a, inv)
}

// scaleBy binds n's output to a scaled by the constant factors f (one, or
// one per channel of a pending accumulator).
func (c *converter) scaleBy(n *graph.Node, a *value, f []float64) error {
	if a.lazy != nil && a.lazy.kind == "acc" && a.lazy.clip.isFull() {
		l := a.lazy.clone()
		if len(f) != 1 {
			if !perChannel(c.shapeOf(n.Input(1)), c.shapeOf(n.Outputs[0]), l.axis) {
				return fmt.Errorf("constant of shape %v is not one factor per channel", c.shapeOf(n.Input(1)))
			}
			l.expand(len(f))
		}
		for k := range l.alpha {
			fk := f[min(k, len(f)-1)]
			l.alpha[k] *= fk
			l.beta[k] *= fk
		}
		l.rebound()
		c.set(n, 0, &value{lazy: l})
		return nil
	}
	if len(f) != 1 || !(f[0] > 0) {
		return fmt.Errorf("only positive scalar factors rescale an integer value (got %d factors)", len(f))
	}
	l, err := c.lazyOf(n, 0)
	if err != nil {
		return err
	}
	if l.kind != "requant" {
		return fmt.Errorf("scaling a %s value is not supported", l.kind)
	}
	l = l.clone()
	l.gain *= f[0]
	l.bound *= f[0]
	l.clip = realRange{l.clip.lo * f[0], l.clip.hi * f[0]}
	c.set(n, 0, &value{lazy: l})
	return nil
}
