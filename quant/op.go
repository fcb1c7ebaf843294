package quant

import (
	"fmt"

	"t2c/graph"
	"t2c/tensor"
)

// OpType is the op type of quantizer nodes.
const OpType = "FakeQuant"

func init() { graph.Register(OpType, buildFakeQuant) }

// Attribute names of FakeQuant nodes. Every other attribute is an option of
// the algorithm (read by its Factory).
const (
	attrAlgo        = "algo"        // string: registered algorithm name
	attrBits        = "bits"        // int
	attrSigned      = "signed"      // int 0/1
	attrGranularity = "granularity" // string
	attrAxis        = "axis"        // int
	attrBlock       = "block"       // int
	attrRole        = "role"        // string: "weight" or "activation"
	attrMode        = "mode"        // string: a Mode
	attrLayer       = "layer"       // string: module path of the quantized layer
	attrParams      = "params"      // strings: state name of each input after x
	attrLearnable   = "learnable"   // strings: names among params that are learned
)

// nodeAttrs encodes an algorithm, spec and options as node attributes.
func nodeAttrs(algo string, s Spec, opts map[string]graph.Attr) map[string]graph.Attr {
	m := map[string]graph.Attr{}
	for k, v := range opts {
		m[k] = v
	}
	signed := int64(0)
	if s.Signed {
		signed = 1
	}
	m[attrAlgo] = graph.StringAttr(algo)
	m[attrBits] = graph.IntAttr(int64(s.Bits))
	m[attrSigned] = graph.IntAttr(signed)
	m[attrRole] = graph.StringAttr(string(s.Role))
	if s.Granularity != "" {
		m[attrGranularity] = graph.StringAttr(string(s.Granularity))
	}
	if s.Axis != 0 {
		m[attrAxis] = graph.IntAttr(int64(s.Axis))
	}
	if s.Block != 0 {
		m[attrBlock] = graph.IntAttr(int64(s.Block))
	}
	return m
}

// specOf reads the spec attributes of a node.
func specOf(a *graph.Attrs) Spec {
	return Spec{
		Bits:        int(a.Int(attrBits, 8)),
		Signed:      a.Int(attrSigned, 1) != 0,
		Granularity: Granularity(a.String(attrGranularity, "")),
		Axis:        int(a.Int(attrAxis, 0)),
		Block:       int(a.Int(attrBlock, 0)),
		Role:        Role(a.String(attrRole, string(Activation))),
	}
}

// kernel is a FakeQuant node: inputs (x, scale, zero_point, extra...),
// one float output shaped like x. Absent state inputs are "".
type kernel struct {
	q      Quantizer
	mode   Mode
	nstate int // number of state inputs declared by "params"; -1 if not declared
}

func buildFakeQuant(n *graph.Node, a *graph.Attrs, _ int) (graph.Kernel, error) {
	algo := a.String(attrAlgo, "")
	if algo == "" {
		return nil, fmt.Errorf("attribute %q is required", attrAlgo)
	}
	mode := Mode(a.String(attrMode, string(ModeAuto)))
	if !mode.valid() {
		a.Fail(attrMode, "unknown mode %q (want auto, observe, train, quantize or float)", mode)
	}
	a.String(attrLayer, "")
	k := &kernel{mode: mode, nstate: -1}
	if a.Has(attrParams) {
		k.nstate = len(n.Attrs[attrParams].Strings)
	}
	a.Has(attrLearnable)
	q, err := newQuantizer(algo, specOf(a), a)
	if err != nil {
		return nil, err
	}
	k.q = q
	return k, nil
}

// stateOf splits a node's inputs into x and the quantizer state.
func (k *kernel) stateOf(in []*tensor.Tensor) (*tensor.Tensor, State, error) {
	if len(in) == 0 || in[0] == nil {
		return nil, State{}, fmt.Errorf("input 0 (x) is required")
	}
	if k.nstate >= 0 && len(in) != 1+k.nstate {
		return nil, State{}, fmt.Errorf("has %d inputs, its params attribute declares %d state inputs after x", len(in), k.nstate)
	}
	x := in[0]
	if x.DType() != tensor.Float32 {
		return nil, State{}, fmt.Errorf("quantizes float32 tensors, got %v", x.DType())
	}
	var st State
	if len(in) > 1 {
		st.Scale = in[1]
	}
	if len(in) > 2 {
		st.ZeroPoint = in[2]
	}
	if len(in) > 3 {
		st.Extra = in[3:]
	}
	if st.Scale != nil && st.Scale.DType() != tensor.Float32 {
		return nil, st, fmt.Errorf("scale must be float32, got %v", st.Scale.DType())
	}
	if st.ZeroPoint != nil && st.ZeroPoint.DType() != tensor.Int32 {
		return nil, st, fmt.Errorf("zero_point must be int32, got %v", st.ZeroPoint.DType())
	}
	return x, st, nil
}

// training reports whether the training path runs.
func (k *kernel) training(ctx *graph.Ctx) bool {
	return k.mode == ModeTrain || (k.mode == ModeAuto && ctx != nil && ctx.Training)
}

func (k *kernel) Run(ctx *graph.Ctx, in []*tensor.Tensor) ([]*tensor.Tensor, error) {
	x, st, err := k.stateOf(in)
	if err != nil {
		return nil, err
	}
	switch k.mode {
	case ModeFloat:
		return []*tensor.Tensor{x}, nil
	case ModeObserve:
		if err := k.q.Observe(x, st); err != nil {
			return nil, err
		}
		return []*tensor.Tensor{x}, nil
	}
	y, saved, err := k.q.Forward(ctx, x, st, k.training(ctx))
	if err != nil {
		return nil, err
	}
	if saved != nil {
		return []*tensor.Tensor{y, saved}, nil
	}
	return []*tensor.Tensor{y}, nil
}

// InferShapes implements graph.ShapeInferer: the output is typed like x.
// (Without it shape inference would run the kernel on zeros, which in
// observe mode would corrupt the statistics.)
func (k *kernel) InferShapes(in []graph.ValueInfo, _ []*tensor.Tensor) ([]graph.ValueInfo, error) {
	if len(in) == 0 || in[0].DType == tensor.Invalid {
		return nil, fmt.Errorf("input 0 (x) is required")
	}
	if in[0].DType != tensor.Float32 {
		return nil, fmt.Errorf("quantizes float32 tensors, got %v", in[0].DType)
	}
	return []graph.ValueInfo{{DType: in[0].DType, Shape: in[0].Shape}}, nil
}

// Backward implements autodiff.Differentiable by delegating to the
// quantizer; in float and observe modes the node is an identity.
func (k *kernel) Backward(ctx *graph.Ctx, in, out, dOut []*tensor.Tensor) ([]*tensor.Tensor, error) {
	grads := make([]*tensor.Tensor, len(in))
	dy := dOut[0]
	if dy == nil {
		return grads, nil
	}
	if k.mode == ModeFloat || k.mode == ModeObserve {
		grads[0] = dy
		return grads, nil
	}
	x, st, err := k.stateOf(in)
	if err != nil {
		return nil, err
	}
	var saved *tensor.Tensor
	if len(out) > 1 {
		saved = out[1]
	}
	dx, dst, err := k.q.Backward(ctx, x, st, k.training(ctx), saved, dy)
	if err != nil {
		return nil, err
	}
	grads[0] = dx
	for i, d := range dst {
		if 1+i < len(in) && in[1+i] != nil {
			grads[1+i] = d
		}
	}
	return grads, nil
}
