package qdq

import (
	"errors"
	"fmt"
	"maps"
	"math"
	"slices"

	"t2c/graph"
	"t2c/quant"
	"t2c/tensor"

	_ "t2c/ops" // QuantizeLinear, DequantizeLinear and Clip for the converted graph
)

// MinOpset is the lowest opset Convert accepts: per-axis QuantizeLinear
// and DequantizeLinear (the axis attribute) arrived in opset 13.
const MinOpset = 13

// Convert returns a copy of g in which every FakeQuant node is replaced by
// standard ONNX ops (see the package documentation); g is not changed and
// the copy shares g's unchanged parameter tensors. FakeQuant nodes in float
// mode and identity quantizers leave their edge float. Quantizer state and
// float weights that nothing reads any more are dropped. A graph with
// opset 0 is taken to be at MinOpset; a lower opset is refused, since
// raising it would change the meaning of other ops (Softmax's axis,
// Split's and Squeeze's inputs ...).
func Convert(g *graph.Graph) (*graph.Graph, error) {
	switch {
	case g.Opset == 0:
	case g.Opset < MinOpset:
		return nil, fmt.Errorf("qdq: graph %q follows opset %d; per-channel QuantizeLinear needs opset %d, and raising the opset would change other ops' semantics (import or build the model at opset %d or later)", g.Name, g.Opset, MinOpset, MinOpset)
	}
	c := g.Clone()
	if c.Opset == 0 {
		c.Opset = MinOpset
	}
	sites, err := quant.Sites(c)
	if err != nil {
		return nil, fmt.Errorf("qdq: %w", err)
	}
	for _, s := range sites {
		if err := convertSite(c, s); err != nil {
			return nil, fmt.Errorf("qdq: %v (layer %q, %s): %w", s.Node, s.Layer, s.Algo, err)
		}
	}
	if err := c.TopoSort(); err != nil {
		return nil, fmt.Errorf("qdq: %w", err)
	}
	return c, nil
}

// convertSite replaces one FakeQuant node of c, in place in c.Nodes.
func convertSite(c *graph.Graph, s *quant.Site) error {
	switch m := quant.ModeOf(s.Node); m {
	case quant.ModeFloat:
		return bypass(c, s)
	case quant.ModeAuto, quant.ModeQuantize:
	default:
		// Observe mode is calibration and train mode soft rounding or a
		// random drop: neither is the inference path QDQ describes.
		return fmt.Errorf("is in mode %q; a QDQ model holds the inference path (set mode %q or %q first)", m, quant.ModeAuto, quant.ModeQuantize)
	}
	if _, err := s.QParams(nil); errors.Is(err, quant.ErrNotQuantized) {
		return bypass(c, s) // identity: whatever its nominal format
	}
	spec := s.Quantizer.Spec()
	switch spec.Granularity {
	case quant.PerTensor, quant.PerChannel:
	case quant.PerToken:
		return fmt.Errorf("per-token scales (one per token row, computed from each input or indexed by token position) have no QuantizeLinear form: QDQ scales are per tensor or per axis")
	case quant.PerBlock:
		return fmt.Errorf("MXINT block quantization (a shared exponent per %d elements) has no QuantizeLinear form before opset 21's blocked quantization", spec.Block)
	default:
		return fmt.Errorf("granularity %q has no QuantizeLinear form", spec.Granularity)
	}
	if spec.Bits > 8 {
		return fmt.Errorf("%d-bit integers: QuantizeLinear holds int8/uint8 until opset 21 adds int16", spec.Bits)
	}
	w, isParam := c.Params[s.Input()]
	if s.Role() == quant.Weight && isParam && w.DType() == tensor.Float32 {
		return convertWeight(c, s)
	}
	if _, learned := s.Quantizer.(quant.Integerizer); learned {
		return fmt.Errorf("learned rounding of %q needs it to be a weight initializer, but it is computed", s.Input())
	}
	return convertActivation(c, s)
}

// bypass removes a quantizer that leaves its operand float.
func bypass(c *graph.Graph, s *quant.Site) error {
	at, err := remove(c, s)
	if err != nil {
		return err
	}
	out := s.Node.Outputs[0]
	if !slices.ContainsFunc(c.Outputs, func(v graph.ValueInfo) bool { return v.Name == out }) {
		c.ReplaceUses(out, s.Input())
		return nil
	}
	// A graph output keeps its name.
	id := &graph.Node{Name: baseName(s) + "/Identity", Op: "Identity", Inputs: []string{s.Input()}, Outputs: []string{out}}
	c.Nodes = slices.Insert(c.Nodes, at, id)
	return nil
}

// convertWeight stores the weight's integers as an initializer read by
// DequantizeLinear.
func convertWeight(c *graph.Graph, s *quant.Site) error {
	q, p, err := s.Integer(nil)
	if err != nil {
		return err
	}
	scale, zp, axis, err := onnxParams(p, q.Rank())
	if err != nil {
		return err
	}
	at, err := remove(c, s)
	if err != nil {
		return err
	}
	base, weight := baseName(s), s.Input()
	ints := c.FreshName(weight + "_quantized")
	c.Params[ints] = q
	sc, z := addParams(c, base, scale, zp)
	dq := &graph.Node{Name: base + "/DequantizeLinear", Op: "DequantizeLinear", Inputs: []string{ints, sc, z}, Outputs: []string{s.Node.Outputs[0]}, Attrs: axis}
	c.Nodes = slices.Insert(c.Nodes, at, dq)
	dropUnread(c, weight)
	return nil
}

// convertActivation quantizes and dequantizes the value at run time, with a
// Clip first for formats narrower than 8 bits.
func convertActivation(c *graph.Graph, s *quant.Site) error {
	p, err := s.QParams(nil)
	if err != nil {
		return err
	}
	// The operand's rank is unknown without shape inference; a negative
	// per-channel axis is written as is (ONNX counts it from the end too).
	scale, zp, axis, err := onnxParams(p, -1)
	if err != nil {
		return err
	}
	narrow := p.Bits < 8
	if narrow && p.Granularity != quant.PerTensor {
		return fmt.Errorf("%d-bit per-channel activations would need per-channel bounds below QuantizeLinear's 8-bit saturation; only per-tensor is supported", p.Bits)
	}
	at, err := remove(c, s)
	if err != nil {
		return err
	}
	base, x := baseName(s), s.Input()
	var nodes []*graph.Node
	if narrow {
		sc, z := p.Scale[0], p.ZeroPoint[0]
		lo := c.FreshName(base + ".clip_min")
		c.Params[lo] = tensor.Scalar(float32(int32(p.QMin())-z) * sc)
		hi := c.FreshName(base + ".clip_max")
		c.Params[hi] = tensor.Scalar(float32(int32(p.QMax())-z) * sc)
		clipped := c.FreshName(base + "/clipped")
		nodes = append(nodes, &graph.Node{Name: base + "/Clip", Op: "Clip", Inputs: []string{x, lo, hi}, Outputs: []string{clipped}})
		x = clipped
	}
	sc, z := addParams(c, base, scale, zp)
	quantized := c.FreshName(base + "/quantized")
	nodes = append(nodes,
		&graph.Node{Name: base + "/QuantizeLinear", Op: "QuantizeLinear", Inputs: []string{x, sc, z}, Outputs: []string{quantized}, Attrs: axis},
		&graph.Node{Name: base + "/DequantizeLinear", Op: "DequantizeLinear", Inputs: []string{quantized, sc, z}, Outputs: []string{s.Node.Outputs[0]}, Attrs: maps.Clone(axis)})
	c.Nodes = slices.Insert(c.Nodes, at, nodes...)
	return nil
}

// addParams stores a scale and zero point as "<base>.scale" and
// "<base>.zero_point" (the FakeQuant state's names, free again once
// remove dropped the state) and returns their names.
func addParams(c *graph.Graph, base string, scale, zp *tensor.Tensor) (string, string) {
	sc := c.FreshName(base + ".scale")
	c.Params[sc] = scale
	z := c.FreshName(base + ".zero_point")
	c.Params[z] = zp
	return sc, z
}

// onnxParams turns quantizer parameters into QuantizeLinear's inputs: a
// float32 scale and an int8/uint8 zero point, scalars per tensor, 1-D per
// channel with the axis attribute (made non-negative when rank ≥ 0).
func onnxParams(p *quant.QParams, rank int) (scale, zp *tensor.Tensor, axis map[string]graph.Attr, err error) {
	if len(p.Scale) == 0 || len(p.Scale) != len(p.ZeroPoint) {
		return nil, nil, nil, fmt.Errorf("parameters hold %d scales and %d zero points", len(p.Scale), len(p.ZeroPoint))
	}
	for i, v := range p.Scale {
		// QuantizeLinear divides by the scale: it must be a positive number.
		if !(v > 0) || math.IsInf(float64(v), 0) {
			return nil, nil, nil, fmt.Errorf("scale %d is %v; QuantizeLinear needs positive finite scales", i, v)
		}
	}
	qmin, qmax := int32(p.QMin()), int32(p.QMax())
	for i, z := range p.ZeroPoint {
		if z < qmin || z > qmax {
			return nil, nil, nil, fmt.Errorf("zero point %d is %d, outside [%d, %d]", i, z, qmin, qmax)
		}
	}
	if p.Granularity == quant.PerTensor {
		if len(p.Scale) != 1 {
			return nil, nil, nil, fmt.Errorf("per-tensor parameters hold %d scales", len(p.Scale))
		}
		return tensor.Scalar(p.Scale[0]), tensor.Cast(tensor.Scalar(p.ZeroPoint[0]), p.StorageType()), nil, nil
	}
	ax := p.Axis
	if rank >= 0 {
		if ax < -rank || ax >= rank {
			return nil, nil, nil, fmt.Errorf("channel axis %d out of range for rank %d", ax, rank)
		}
		if ax < 0 {
			ax += rank
		}
	}
	scale = tensor.FromSlice(p.Scale)
	zp = tensor.Cast(tensor.FromSlice(p.ZeroPoint), p.StorageType())
	return scale, zp, map[string]graph.Attr{"axis": graph.IntAttr(int64(ax))}, nil
}

// baseName names the nodes and parameters that replace a FakeQuant node:
// its own name ("layer1.0.conv1.aq"), or its output's when it has none.
func baseName(s *quant.Site) string {
	if s.Node.Name != "" {
		return s.Node.Name
	}
	return s.Node.Outputs[0]
}

// remove takes the site's node out of c and drops its state parameters
// that nothing else reads, freeing their names for the parameters that
// replace them. It returns the node's position.
func remove(c *graph.Graph, s *quant.Site) (int, error) {
	at := slices.Index(c.Nodes, s.Node)
	if at < 0 {
		return 0, fmt.Errorf("not found in the graph")
	}
	c.Nodes = slices.Delete(c.Nodes, at, at+1)
	dropUnread(c, s.StateParams()...)
	return at, nil
}

// dropUnread deletes the named parameters that no node reads and that are
// not graph outputs.
func dropUnread(c *graph.Graph, names ...string) {
	for _, name := range names {
		read := slices.ContainsFunc(c.Outputs, func(v graph.ValueInfo) bool { return v.Name == name })
		for _, n := range c.Nodes {
			read = read || slices.Contains(n.Inputs, name)
		}
		if !read {
			delete(c.Params, name)
		}
	}
}
