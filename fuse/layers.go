package fuse

import (
	"fmt"
	"math"

	"t2c/graph"
	"t2c/tensor"
)

// accBits is the accumulator width of IntConv and IntMatMul.
const accBits = 32

// Layer is the range analysis of one Conv/Gemm/MatMul.
type Layer struct {
	Name      string  `json:"name"`
	Op        string  `json:"op"`
	XBits     int     `json:"x_bits"`
	WBits     int     `json:"w_bits"`
	Reduction int     `json:"reduction"` // K: products summed per output
	AccBound  float64 `json:"acc_bound"` // worst-case |accumulator|
	AccBits   int     `json:"acc_bits"`  // signed bits that bound needs
	Overflow  bool    `json:"int32_overflow"`
}

// conv converts Conv(x, W[, b]) with quantized x and W into IntConv and
// a pending accumulator.
func (c *converter) conv(n *graph.Node) error {
	x, w, err := c.operands(n)
	if err != nil {
		return err
	}
	if w.weight == nil {
		return fmt.Errorf("the weight input is not a quantized weight (is the layer skipped by the quantization config?)")
	}
	qw := w.weight
	attrs := map[string]graph.Attr{"layer": graph.StringAttr(qw.layer), "x_zero_point": graph.IntAttr(x.ints.grid.ZeroPoint),
		"w_bits": graph.IntAttr(int64(qw.params.Bits)), "w_signed": graph.IntAttr(1)}
	for _, a := range []string{"strides", "pads", "dilations", "group", "kernel_shape", "auto_pad"} {
		if v, ok := n.Attrs[a]; ok {
			attrs[a] = v
		}
	}
	if ap, ok := n.Attrs["auto_pad"]; ok && ap.String != "NOTSET" && ap.String != "" {
		return fmt.Errorf("auto_pad %q: convert needs explicit pads", ap.String)
	}
	delete(attrs, "auto_pad")
	delete(attrs, "kernel_shape")
	wname := c.addParam(qw.layer+".weight", qw.q)
	acc := c.emit(qw.layer, "IntConv", attrs, x.ints.name, wname)
	kdim := qw.q.Len() / qw.q.Dim(0)
	if err := c.accumulate(n, acc, x.ints, qw, 1, kdim, 0); err != nil {
		return err
	}
	if n.Input(2) == "" {
		return nil
	}
	b, err := c.in(n, 2)
	if err != nil {
		return err
	}
	l := c.vals[n.Outputs[0]].lazy
	if b.konst == nil || b.konst.Len() != len(l.alpha) {
		return fmt.Errorf("bias %q is not a constant with one value per output channel", n.Input(2))
	}
	for k, v := range floats(b.konst) {
		l.beta[k] += v
	}
	l.rebound()
	return nil
}

// gemm converts Gemm(x, W[, C]) (a linear layer) with quantized operands.
func (c *converter) gemm(n *graph.Node) error {
	a := graph.NewAttrs(n)
	transA, transB := a.Int("transA", 0), a.Int("transB", 0)
	alpha, beta := a.Float("alpha", 1), a.Float("beta", 1)
	if transA != 0 || alpha != 1 || beta != 1 {
		return fmt.Errorf("Gemm with transA=%d alpha=%v beta=%v: convert supports linear layers (transA 0, alpha 1, beta 1)", transA, alpha, beta)
	}
	x, w, err := c.operands(n)
	if err != nil {
		return err
	}
	if w.weight == nil {
		return fmt.Errorf("the weight input is not a quantized weight (is the layer skipped by the quantization config?)")
	}
	return c.linear(n, x.ints, w.weight, transB != 0, n.Input(2))
}

// matmul converts MatMul of an activation with a quantized weight (a
// linear layer) or of two quantized activations (attention).
func (c *converter) matmul(n *graph.Node) error {
	x, y, err := c.operands(n)
	if err != nil {
		return err
	}
	if y.weight != nil {
		return c.linear(n, x.ints, y.weight, false, "")
	}
	if y.ints == nil {
		return fmt.Errorf("input 1 (%q) is not quantized", n.Input(1))
	}
	a, b := x.ints, y.ints
	layer := layerOf(n)
	attrs := map[string]graph.Attr{"layer": graph.StringAttr(layer),
		"a_zero_point": graph.IntAttr(a.grid.ZeroPoint), "b_zero_point": graph.IntAttr(b.grid.ZeroPoint), "trans_b": graph.IntAttr(0)}
	acc := c.emit(layer, "IntMatMul", attrs, a.name, b.name)
	bs := c.shapeOf(n.Input(1))
	k := bs[len(bs)-2]
	bound := float64(k) * float64(a.grid.MaxAbs()) * float64(b.grid.MaxAbs())
	c.note(n, layer, a.grid.Bits, b.grid.Bits, k, bound)
	l := &lazyValue{kind: "acc", src: acc, layer: layer, clip: fullRange(), axis: 0,
		alpha: []float64{a.grid.Scale[0] * b.grid.Scale[0]}, beta: []float64{0}, accBound: []float64{bound}}
	l.bound = l.alpha[0] * bound
	c.set(n, 0, &value{lazy: l})
	return nil
}

// linear emits IntMatMul of activation x and weight qw (stored [out, in]
// when transB, else [in, out]) and binds the pending accumulator, with the
// constant bias input (if any) folded into it.
func (c *converter) linear(n *graph.Node, x *intValue, qw *quantWeight, transB bool, bias string) error {
	if qw.q.Rank() != 2 {
		return fmt.Errorf("weight of rank %d: linear layers take 2-D weights", qw.q.Rank())
	}
	tb := int64(0)
	chAxis, kdim := 1, qw.q.Dim(0)
	if transB {
		tb, chAxis, kdim = 1, 0, qw.q.Dim(1)
	}
	attrs := map[string]graph.Attr{"layer": graph.StringAttr(qw.layer),
		"a_zero_point": graph.IntAttr(x.ZeroPoint()), "b_zero_point": graph.IntAttr(0), "trans_b": graph.IntAttr(tb),
		"b_bits": graph.IntAttr(int64(qw.params.Bits)), "b_signed": graph.IntAttr(1)}
	wname := c.addParam(qw.layer+".weight", qw.q)
	acc := c.emit(qw.layer, "IntMatMul", attrs, x.name, wname)
	if err := c.accumulate(n, acc, x, qw, -1, kdim, chAxis); err != nil {
		return err
	}
	if bias != "" {
		b, ok := c.vals[bias]
		if !ok || b.konst == nil {
			return fmt.Errorf("bias %q is not a constant", bias)
		}
		return c.vals[n.Outputs[0]].lazy.addConst(floats(b.konst), b.konst.Shape(), c.shapeOf(n.Outputs[0]))
	}
	return nil
}

// ZeroPoint is the value's zero point.
func (v *intValue) ZeroPoint() int64 { return v.grid.ZeroPoint }

// accumulate binds n's output to the pending accumulator acc of x times
// weight qw: per output channel k (axis of the output; weight axis
// chAxis), real = s_x·s_w,k·acc. kdim is the reduction length.
func (c *converter) accumulate(n *graph.Node, acc string, x *intValue, qw *quantWeight, axis, kdim, chAxis int) error {
	if axis < 0 {
		axis += len(c.shapeOf(n.Outputs[0]))
	}
	channels := qw.q.Dim(chAxis)
	rowSums := absSums(qw.q, chAxis)
	xmax := float64(x.grid.MaxAbs())
	l := &lazyValue{kind: "acc", src: acc, layer: qw.layer, clip: fullRange(), axis: axis,
		alpha: make([]float64, channels), beta: make([]float64, channels), accBound: make([]float64, channels)}
	worst := 0.0
	for k := range channels {
		sw := float64(qw.params.Scale[0])
		if len(qw.params.Scale) > 1 {
			sw = float64(qw.params.Scale[k])
		}
		l.alpha[k] = x.grid.Scale[0] * sw
		l.accBound[k] = xmax * rowSums[k]
		l.bound = math.Max(l.bound, math.Abs(l.alpha[k])*l.accBound[k])
		worst = math.Max(worst, l.accBound[k])
	}
	c.note(n, qw.layer, x.grid.Bits, qw.params.Bits, kdim, worst)
	c.set(n, 0, &value{lazy: l})
	return nil
}

// note records the range analysis of a layer.
func (c *converter) note(n *graph.Node, layer string, xbits, wbits, k int, bound float64) {
	bits := int(math.Ceil(math.Log2(bound+1))) + 1
	c.res.Layers = append(c.res.Layers, Layer{Name: layer, Op: n.Op, XBits: xbits, WBits: wbits, Reduction: k,
		AccBound: bound, AccBits: bits, Overflow: bound >= math.Ldexp(1, accBits-1)})
}

// operands returns the two inputs of a Conv/Gemm/MatMul; the first must
// be quantized.
func (c *converter) operands(n *graph.Node) (x, w *value, err error) {
	if x, err = c.in(n, 0); err != nil {
		return nil, nil, err
	}
	if x.ints == nil {
		return nil, nil, fmt.Errorf("input 0 (%q) is not quantized: every Conv/Gemm/MatMul input needs a quantizer", n.Input(0))
	}
	w, err = c.in(n, 1)
	return x, w, err
}

// absSums is Σ|w| over every axis but axis, per index of axis.
func absSums(w *tensor.Tensor, axis int) []float64 {
	shape := w.Shape()
	outer, inner := 1, 1
	for i := 0; i < axis; i++ {
		outer *= shape[i]
	}
	for i := axis + 1; i < len(shape); i++ {
		inner *= shape[i]
	}
	ch := shape[axis]
	sums := make([]float64, ch)
	ws := w.Int64s()
	for o := range outer {
		for k := range ch {
			base := (o*ch + k) * inner
			for i := range inner {
				sums[k] += math.Abs(float64(ws[base+i]))
			}
		}
	}
	return sums
}

// layerOf is the module path of a node without a weight ("/blocks.0/attn/MatMul" → "blocks.0.attn.MatMul").
func layerOf(n *graph.Node) string {
	s := []byte(n.Name)
	for i, ch := range s {
		if ch == '/' {
			s[i] = '.'
		}
	}
	name := string(s)
	for len(name) > 0 && name[0] == '.' {
		name = name[1:]
	}
	if name == "" {
		return n.Op
	}
	return name
}
