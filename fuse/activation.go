package fuse

// Folding of BatchNormalization and activation clamps into pending values.

import (
	"fmt"
	"math"

	"t2c/graph"
)

// batchNorm folds inference BatchNormalization into the pending
// accumulator: y = γ(x − μ)/σ + β per channel, σ = sqrt(var + ε).
func (c *converter) batchNorm(n *graph.Node) error {
	x, err := c.in(n, 0)
	if err != nil {
		return err
	}
	l := x.lazy
	if l == nil || l.kind != "acc" || l.axis != 1 || !l.clip.isFull() {
		return fmt.Errorf("BatchNormalization must directly follow a Conv to be folded (its input %q is not a convolution output)", n.Input(0))
	}
	a := graph.NewAttrs(n)
	eps := float64(a.Float("epsilon", 1e-5))
	var p [4][]float64 // scale, bias, mean, var
	for i := range p {
		v, err := c.in(n, i+1)
		if err != nil {
			return err
		}
		if v.konst == nil {
			return fmt.Errorf("input %d (%q) is not a constant", i+1, n.Input(i+1))
		}
		p[i] = floats(v.konst)
	}
	l = l.clone()
	l.expand(len(p[0]))
	for k := range l.alpha {
		f := p[0][k] / math.Sqrt(p[3][k]+eps)
		l.alpha[k] *= f
		l.beta[k] = (l.beta[k]-p[2][k])*f + p[1][k]
	}
	l.rebound()
	c.set(n, 0, &value{lazy: l})
	return nil
}

// relu fuses max(x, 0) into the clamp of the value.
func (c *converter) relu(n *graph.Node) error {
	return c.clamp(n, realRange{0, math.Inf(1)})
}

// clip fuses Clip with constant bounds (ReLU6) into the clamp.
func (c *converter) clip(n *graph.Node) error {
	r := fullRange()
	if v, ok := n.Attrs["min"]; ok {
		r.lo = float64(v.Float)
	}
	if v, ok := n.Attrs["max"]; ok {
		r.hi = float64(v.Float)
	}
	for i, bound := range []*float64{&r.lo, &r.hi} {
		if n.Input(i+1) == "" {
			continue
		}
		v, err := c.in(n, i+1)
		if err != nil {
			return err
		}
		if v.konst == nil || v.konst.Len() != 1 {
			return fmt.Errorf("Clip bound %q is not a scalar constant", n.Input(i+1))
		}
		*bound = floats(v.konst)[0]
	}
	return c.clamp(n, r)
}

// clamp binds n's output to its input clamped to r.
func (c *converter) clamp(n *graph.Node, r realRange) error {
	l, err := c.lazyOf(n, 0)
	if err != nil {
		return err
	}
	l = l.clone()
	l.clip = l.clip.intersect(r)
	c.set(n, 0, &value{lazy: l})
	return nil
}

// lazyOf returns input i as a lazy value: materialised values are seen
// through an identity rescale, so a clamp or gain can still be fused.
func (c *converter) lazyOf(n *graph.Node, i int) (*lazyValue, error) {
	v, err := c.in(n, i)
	if err != nil {
		return nil, err
	}
	switch {
	case v.lazy != nil:
		return v.lazy, nil
	case v.ints != nil:
		return &lazyValue{kind: "requant", in: v.ints, gain: 1, clip: fullRange(), bound: v.ints.bound, layer: n.Name}, nil
	}
	return nil, fmt.Errorf("input %d (%q) is not an activation the integer graph holds", i, n.Input(i))
}
