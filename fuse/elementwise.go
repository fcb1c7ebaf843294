package fuse

import (
	"fmt"
	"math"

	"t2c/graph"
	"t2c/tensor"
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

// addConst folds constant k into the pending bias when k is a scalar or
// one value per channel of the accumulator.
func (l *lazyValue) addConst(vals []float64, shape, outShape []int) error {
	if len(vals) != 1 {
		if !perChannel(shape, outShape, l.axis) {
			return fmt.Errorf("constant of shape %v is not one value per channel", shape)
		}
		l.expand(len(vals))
	}
	for i := range l.beta {
		l.beta[i] += vals[min(i, len(vals)-1)]
	}
	l.rebound()
	return nil
}

// perChannel reports whether a constant of shape cs broadcast against an
// output of shape out varies only along axis.
func perChannel(cs, out []int, axis int) bool {
	off := len(out) - len(cs)
	if off < 0 {
		return false
	}
	n := 1
	for i, d := range cs {
		if d == 1 {
			continue
		}
		if i+off != axis || d != out[axis] {
			return false
		}
		n *= d
	}
	return n == out[axis]
}

// clone copies a lazy value so that folding into it leaves other users of
// the original untouched.
func (l *lazyValue) clone() *lazyValue {
	m := *l
	m.alpha = append([]float64(nil), l.alpha...)
	m.beta = append([]float64(nil), l.beta...)
	m.accBound = append([]float64(nil), l.accBound...)
	m.cache = nil
	return &m
}

// expand turns a per-tensor affine map into one per channel.
func (l *lazyValue) expand(ch int) {
	if len(l.alpha) == ch {
		return
	}
	a, b, ab := l.alpha[0], l.beta[0], l.accBound[0]
	l.alpha, l.beta, l.accBound = make([]float64, ch), make([]float64, ch), make([]float64, ch)
	for k := range ch {
		l.alpha[k], l.beta[k], l.accBound[k] = a, b, ab
	}
}

// rebound recomputes the bound of a pending accumulator.
func (l *lazyValue) rebound() {
	l.bound = 0
	for k := range l.alpha {
		l.bound = math.Max(l.bound, math.Abs(l.alpha[k])*l.accBound[k]+math.Abs(l.beta[k]))
	}
}

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
