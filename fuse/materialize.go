package fuse

import (
	"fmt"
	"math"
	"slices"

	"t2c/graph"
	"t2c/integer"
	"t2c/quant"
	"t2c/tensor"
)

// wideBits is the width of wide grids.
const wideBits = 32

// materialize returns the integers of the float value src (represented
// by v) on grid want, emitting the nodes that compute them. want nil
// means: the grid of the quantizer the value flows into through
// grid-preserving ops, if any, else a wide grid.
func (c *converter) materialize(src string, v *value, want *integer.Grid) (*intValue, error) {
	switch {
	case v == nil:
		return nil, fmt.Errorf("value %q is not defined", src)
	case v.weight != nil:
		return nil, fmt.Errorf("quantized weight %q is used as an activation", src)
	case v.konst != nil:
		return c.constInts(src, v.konst, want)
	case v.ints != nil:
		if want == nil || sameGrid(*want, v.ints.grid) {
			return v.ints, nil
		}
		l := &lazyValue{kind: "requant", in: v.ints, gain: 1, clip: fullRange(), bound: v.ints.bound, layer: src}
		return c.emitLazy(src, l, *want)
	case v.lazy != nil:
		if want == nil {
			want = c.lookahead(src)
		}
		if want == nil {
			g := c.wideGrid(src, v.lazy.clippedBound(), v.lazy.inScale())
			want = &g
		}
		return c.emitLazy(src, v.lazy, *want)
	}
	return nil, fmt.Errorf("value %q is a float value the integer graph cannot hold", src)
}

// lookahead returns the grid of the activation quantizer that src flows
// into through a chain of single-consumer grid-preserving ops (Reshape,
// Flatten, Transpose, MaxPool …), where materialising on that grid at once
// is exact because those ops commute with elementwise rounding.
func (c *converter) lookahead(src string) *integer.Grid {
	for {
		cons := c.consumers[src]
		if len(cons) != 1 {
			return nil
		}
		m := cons[0]
		if m.Op == quant.OpType {
			site, err := quant.SiteOf(c.src, m)
			if err != nil || site.Role() != quant.Activation {
				return nil
			}
			g, err := activationGrid(site)
			if err != nil {
				return nil
			}
			return &g
		}
		if !slices.Contains(gridPreserving, m.Op) || m.Input(0) != src || len(m.Outputs) != 1 {
			return nil
		}
		src = m.Outputs[0]
	}
}

// gridPreserving ops map each output element to one input element.
var gridPreserving = []string{"Reshape", "Flatten", "Transpose", "Squeeze", "Unsqueeze", "Gather", "Slice", "MaxPool", "Identity", "Dropout"}

// wideGrid is the wide grid for the value src bounded by bound whose
// inputs have scales up to inScale. With dyadic multipliers (31
// significant bits each) the finest grid that cannot overflow is best:
// |q| ≤ 2³⁰ at the static bound. Torch2Chip's fixed format gives a
// multiplier M out of the wide grid into an n-bit grid only sfl fraction
// bits; the output error, about q_out·2^−sfl/M from multiplier rounding
// plus M/2 from wide-grid rounding, is smallest for a wide step near
// 2^−(sfl/2−4) of the n-bit step: the grid has 2^(sfl−8) steps across the
// value's observed range (its bound if unobserved), and never fewer than
// the bound needs to fit. Every multiplier into the grid must also fit
// the format.
func (c *converter) wideGrid(src string, bound, inScale float64) integer.Grid {
	s := bound / (1 << 30)
	if c.opts.Format.Kind == integer.FormatFixed {
		r := bound
		if o, ok := c.opts.Ranges[src]; ok && o > 0 && o < bound {
			r = o
		}
		s = math.Max(s, math.Ldexp(r, -max(8, c.opts.Format.SFL-8)))
	}
	if inScale > 0 {
		s = math.Max(s, 2*inScale/c.opts.Format.MaxMultiplier())
		if s == 0 {
			s = inScale
		}
	}
	if !(s > 0) || math.IsInf(s, 0) {
		s = 1
	}
	s = math.Ldexp(1, int(math.Ceil(math.Log2(s))))
	return integer.Grid{Bits: wideBits, Signed: true, Scale: []float64{s}}
}

func sameGrid(a, b integer.Grid) bool {
	return a.Bits == b.Bits && a.Signed == b.Signed && a.ZeroPoint == b.ZeroPoint && slices.Equal(a.Scale, b.Scale)
}

func gridKey(g integer.Grid) string {
	return fmt.Sprintf("%d/%v/%v/%d", g.Bits, g.Signed, g.Scale, g.ZeroPoint)
}

// clippedBound is the bound of the value after its clamp.
func (l *lazyValue) clippedBound() float64 {
	b := l.bound
	if !l.clip.isFull() {
		b = math.Min(b, math.Max(math.Abs(l.clip.lo), math.Abs(l.clip.hi)))
	}
	return b
}

// inScale is the largest real step of the lazy value's integer inputs.
func (l *lazyValue) inScale() float64 {
	switch l.kind {
	case "acc":
		m := 0.0
		for _, a := range l.alpha {
			m = math.Max(m, math.Abs(a))
		}
		return m
	case "add":
		return math.Max(l.a.grid.Scale[0], l.b.grid.Scale[0])
	case "pool":
		return l.in.grid.Scale[0] / float64(l.window)
	}
	return l.in.grid.Scale[0] * math.Abs(l.gain)
}

// emitLazy materialises a lazy value on grid g (once per grid).
func (c *converter) emitLazy(src string, l *lazyValue, g integer.Grid) (*intValue, error) {
	if err := g.Validate(); err != nil {
		return nil, err
	}
	key := gridKey(g)
	if iv, ok := l.cache[key]; ok {
		return iv, nil
	}
	lo, hi := clampCodes(l.clip, g)
	attrs := g.Attrs(map[string]graph.Attr{"lo": graph.IntAttr(lo), "hi": graph.IntAttr(hi)})
	if l.layer != "" {
		attrs["layer"] = graph.StringAttr(l.layer)
	}
	so := g.Scale[0]
	var name string
	switch l.kind {
	case "acc":
		fx := make([]integer.Fixed, len(l.alpha))
		for k := range l.alpha {
			f, err := c.opts.Format.Encode(l.alpha[k]/so, l.beta[k]/so)
			if err != nil {
				return nil, fmt.Errorf("requantizing %q, channel %d: %w", src, k, err)
			}
			fx[k] = f
		}
		setFixed(attrs, fx)
		attrs["axis"] = graph.IntAttr(int64(l.axis))
		attrs["in_zero_point"] = graph.IntAttr(0)
		name = c.emit(l.layer+".requant", "Requant", attrs, l.src)
	case "requant":
		f, err := c.opts.Format.Encode(l.in.grid.Scale[0]*l.gain/so, 0)
		if err != nil {
			return nil, fmt.Errorf("requantizing %q: %w", src, err)
		}
		setFixed(attrs, []integer.Fixed{f})
		attrs["axis"] = graph.IntAttr(0)
		attrs["in_zero_point"] = graph.IntAttr(l.in.grid.ZeroPoint)
		name = c.emit(src+".requant", "Requant", attrs, l.in.name)
	case "add":
		ma, mb, shift, err := encodePair(c.opts.Format, l.a.grid.Scale[0]/so, l.gain*l.b.grid.Scale[0]/so)
		if err != nil {
			return nil, fmt.Errorf("adding into %q: %w", src, err)
		}
		attrs["a_zero_point"] = graph.IntAttr(l.a.grid.ZeroPoint)
		attrs["b_zero_point"] = graph.IntAttr(l.b.grid.ZeroPoint)
		attrs["a_multiplier"] = graph.IntAttr(ma)
		attrs["b_multiplier"] = graph.IntAttr(mb)
		attrs["shift"] = graph.IntAttr(int64(shift))
		name = c.emit(l.layer, "IntAdd", attrs, l.a.name, l.b.name)
	case "pool":
		f, err := c.opts.Format.Encode(l.in.grid.Scale[0]/(float64(l.window)*so), 0)
		if err != nil {
			return nil, fmt.Errorf("pooling into %q: %w", src, err)
		}
		// The window sum of int32 inputs times the multiplier must stay
		// in int64: drop mantissa bits the product has no room for.
		f = narrow(f, 62-31-bitLen(int64(l.window)))
		for k, v := range l.poolAttrs {
			attrs[k] = v
		}
		attrs["in_zero_point"] = graph.IntAttr(l.in.grid.ZeroPoint)
		attrs["multiplier"] = graph.IntAttr(f.Multiplier)
		attrs["shift"] = graph.IntAttr(int64(f.Shift))
		name = c.emit(l.layer, "IntAvgPool", attrs, l.in.name)
	default:
		return nil, fmt.Errorf("internal: unknown lazy kind %q", l.kind)
	}
	iv := &intValue{name: name, grid: g}
	iv.bound = math.Min(l.clippedBound(), iv.maxAbsReal())
	if l.cache == nil {
		l.cache = map[string]*intValue{}
	}
	l.cache[key] = iv
	c.record(src, iv)
	return iv, nil
}

// clampCodes turns a real clamp into integer limits on grid g: rounding is
// monotone, so clamping the real value and then rounding equals rounding
// and then clamping to the rounded limits.
func clampCodes(r realRange, g integer.Grid) (lo, hi int64) {
	lo, hi = g.QMin(), g.QMax()
	s, z := g.Scale[0], g.ZeroPoint
	if !math.IsInf(r.lo, -1) {
		lo = max(lo, min(hi, z+int64(math.RoundToEven(r.lo/s))))
	}
	if !math.IsInf(r.hi, 1) {
		hi = min(hi, max(lo, z+int64(math.RoundToEven(r.hi/s))))
	}
	return lo, hi
}

// setFixed stores per-channel multipliers, shifts and biases.
func setFixed(attrs map[string]graph.Attr, fx []integer.Fixed) {
	m, s, b := make([]int64, len(fx)), make([]int64, len(fx)), make([]int64, len(fx))
	for i, f := range fx {
		m[i], s[i], b[i] = f.Multiplier, int64(f.Shift), f.Bias
	}
	attrs["multiplier"] = graph.IntsAttr(m...)
	attrs["shift"] = graph.IntsAttr(s...)
	attrs["bias"] = graph.IntsAttr(b...)
}

// narrow rounds f's multiplier to at most bits bits (adjusting the shift),
// so that products with wide inputs keep within int64.
func narrow(f integer.Fixed, bits int) integer.Fixed {
	for f.Shift > 0 && bitLen(abs64(f.Multiplier)) > bits {
		f.Multiplier = integer.RShift(f.Multiplier, 1)
		f.Bias = integer.RShift(f.Bias, 1)
		f.Shift--
	}
	return f
}

func bitLen(v int64) int {
	n := 0
	for ; v > 0; v >>= 1 {
		n++
	}
	return n
}

func abs64(v int64) int64 {
	if v < 0 {
		return -v
	}
	return v
}

// encodePair encodes two factors with one shared shift (IntAdd).
func encodePair(f integer.Format, ma, mb float64) (int64, int64, int, error) {
	big := ma
	if math.Abs(mb) > math.Abs(ma) {
		big = mb
	}
	fb, err := f.Encode(big, 0)
	if err != nil {
		return 0, 0, 0, err
	}
	s := fb.Shift
	return int64(math.RoundToEven(math.Ldexp(ma, s))), int64(math.RoundToEven(math.Ldexp(mb, s))), s, nil
}

// constInts quantizes a float constant onto grid want, or onto a wide grid
// fine enough to stand for it, as an integer-graph parameter.
func (c *converter) constInts(src string, t *tensor.Tensor, want *integer.Grid) (*intValue, error) {
	if !t.DType().IsFloat() {
		return nil, fmt.Errorf("constant %q is %v, not a float value", src, t.DType())
	}
	xs := floats(t)
	var g integer.Grid
	if want != nil {
		g = *want
	} else {
		m := 0.0
		for _, x := range xs {
			m = math.Max(m, math.Abs(x))
		}
		g = c.wideGrid(src, m, 0)
	}
	q := make([]int32, len(xs))
	s, z := g.Scale[0], g.ZeroPoint
	for i, x := range xs {
		q[i] = int32(integer.Clamp(z+int64(math.RoundToEven(x/s)), g.QMin(), g.QMax()))
	}
	name := c.addParam(src, tensor.Cast(tensor.New(t.Shape(), q), g.DType()))
	iv := &intValue{name: name, grid: g}
	iv.bound = iv.maxAbsReal()
	return iv, nil
}
