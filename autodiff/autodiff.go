// Package autodiff computes gradients over the graph IR by reverse-mode
// differentiation: Forward runs a graph while keeping every intermediate
// value (the tape), Backward walks the nodes in reverse and calls each
// kernel's vector-Jacobian product.
//
// Ops take part by implementing Differentiable on their graph.Kernel, so one
// op table serves inference, training and calibration. Custom gradients —
// the straight-through estimators of quantizers, for instance — are just ops
// whose Backward is not the derivative of their Forward. We write our own
// instead of using a Go autodiff library because gradients must flow through
// exactly the kernels inference uses (same numerics, same fast paths) and
// through user-defined quantizer ops.
package autodiff

import (
	"fmt"

	"t2c/graph"
	"t2c/tensor"
)

// Differentiable is implemented by kernels that can propagate gradients.
// Given the forward inputs and outputs and the gradients of the outputs
// (nil where no gradient flows), Backward returns one gradient per input,
// shaped like the input, or nil for inputs that take no gradient (integer
// shapes, indices) or whose gradient is zero.
type Differentiable interface {
	Backward(ctx *graph.Ctx, in, out, dOut []*tensor.Tensor) ([]*tensor.Tensor, error)
}

// Options selects what Compile differentiates.
type Options struct {
	// Trainable reports whether a parameter receives a gradient; nil means
	// every floating-point parameter does. Frozen parameters still take
	// part in the forward pass (and BatchNormalization still updates its
	// running statistics in training mode).
	Trainable func(name string) bool
	// InputGrads also returns gradients for the graph inputs.
	InputGrads bool
}

// Program is a graph compiled for forward and backward passes at fixed
// input shapes. Floating-point parameters are variables: they are read at
// every run, so optimisers may update them in place between steps.
type Program struct {
	Graph     *graph.Graph
	Types     graph.Typed
	steps     []step
	slots     map[string]int
	nslots    int
	trainable []string // parameter names that receive gradients
	wantGrad  []bool   // per slot: a gradient must be computed
	inputs    []int
	outputs   []int
}

type step struct {
	node    *graph.Node
	kernel  graph.Kernel
	in, out []int
	grad    bool // some input needs a gradient
}

// Compile prepares g for training at the given input shapes.
func Compile(g *graph.Graph, inputs map[string][]int, opts Options) (*Program, error) {
	vars := map[string]bool{}
	for name, t := range g.Params {
		if t.DType().IsFloat() {
			vars[name] = true
		}
	}
	sg, types, err := graph.SpecializeWith(g, inputs, graph.SpecializeOptions{Variables: vars})
	if err != nil {
		return nil, err
	}
	p := &Program{Graph: sg, Types: types, slots: map[string]int{}}
	grad := map[string]bool{}
	for name := range sg.Params {
		if vars[name] && (opts.Trainable == nil || opts.Trainable(name)) {
			grad[name] = true
			p.trainable = append(p.trainable, name)
		}
	}
	for _, in := range sg.Inputs {
		p.inputs = append(p.inputs, p.slot(in.Name))
		grad[in.Name] = opts.InputGrads
	}
	for _, n := range sg.Nodes {
		k, err := graph.Build(n, sg.Opset)
		if err != nil {
			return nil, err
		}
		s := step{node: n, kernel: k}
		for _, in := range n.Inputs {
			s.in = append(s.in, p.optSlot(in))
			s.grad = s.grad || grad[in]
		}
		for _, o := range n.Outputs {
			s.out = append(s.out, p.optSlot(o))
			if s.grad && o != "" {
				grad[o] = true
			}
		}
		if _, ok := k.(Differentiable); s.grad && !ok {
			return nil, fmt.Errorf("%v: no gradient is defined for op %s", n, n.Op)
		}
		p.steps = append(p.steps, s)
	}
	for _, o := range sg.Outputs {
		p.outputs = append(p.outputs, p.slot(o.Name))
	}
	p.wantGrad = make([]bool, p.nslots)
	for name, s := range p.slots {
		p.wantGrad[s] = grad[name]
	}
	return p, nil
}

func (p *Program) slot(name string) int {
	if s, ok := p.slots[name]; ok {
		return s
	}
	p.slots[name] = p.nslots
	p.nslots++
	return p.nslots - 1
}

func (p *Program) optSlot(name string) int {
	if name == "" {
		return -1
	}
	return p.slot(name)
}

// Trainable lists the parameters that receive gradients.
func (p *Program) Trainable() []string { return p.trainable }

// Tape is one forward pass with every value kept for Backward.
type Tape struct {
	p        *Program
	ctx      *graph.Ctx
	vals     []*tensor.Tensor
	stepOuts [][]*tensor.Tensor // every output each kernel returned, named or not
}

// Forward runs the program. params supplies the current parameter values
// (normally the graph's own Params, which optimisers update in place).
func (p *Program) Forward(ctx *graph.Ctx, inputs map[string]*tensor.Tensor) (*Tape, error) {
	t := &Tape{p: p, ctx: ctx, vals: make([]*tensor.Tensor, p.nslots), stepOuts: make([][]*tensor.Tensor, len(p.steps))}
	for name, v := range p.Graph.Params {
		t.vals[p.slots[name]] = v
	}
	for i, in := range p.Graph.Inputs {
		x, ok := inputs[in.Name]
		if !ok {
			return nil, fmt.Errorf("missing input %q", in.Name)
		}
		if !tensor.SameShape(x.Shape(), in.Shape) {
			return nil, fmt.Errorf("input %q: got shape %v, program compiled for %v", in.Name, x.Shape(), in.Shape)
		}
		t.vals[p.inputs[i]] = x
	}
	args := make([]*tensor.Tensor, 0, 8)
	for i, st := range p.steps {
		args = args[:0]
		for _, s := range st.in {
			args = append(args, t.at(s))
		}
		outs, err := st.kernel.Run(ctx, args)
		if err != nil {
			return nil, fmt.Errorf("%v: %w", st.node, err)
		}
		t.stepOuts[i] = outs
		for i, s := range st.out {
			if s >= 0 && i < len(outs) {
				t.vals[s] = outs[i]
			}
		}
	}
	return t, nil
}

func (t *Tape) at(s int) *tensor.Tensor {
	if s < 0 {
		return nil
	}
	return t.vals[s]
}

// Output returns graph output i of the forward pass.
func (t *Tape) Output(i int) *tensor.Tensor { return t.vals[t.p.outputs[i]] }

// Value returns any value of the forward pass by name (nil if unknown).
func (t *Tape) Value(name string) *tensor.Tensor {
	if s, ok := t.p.slots[name]; ok {
		return t.vals[s]
	}
	return nil
}

// Grads maps parameter (and, if requested, input) names to gradients.
type Grads map[string]*tensor.Tensor

// Backward propagates the given gradients of graph outputs (by output
// index; nil entries carry no gradient) back to the trainable parameters.
// Gradients of values read by several nodes are summed.
func (t *Tape) Backward(dOutputs ...*tensor.Tensor) (Grads, error) {
	p := t.p
	g := make([]*tensor.Tensor, p.nslots)
	for i, d := range dOutputs {
		if d == nil {
			continue
		}
		if !tensor.SameShape(d.Shape(), t.Output(i).Shape()) {
			return nil, fmt.Errorf("gradient for output %d has shape %v, output is %v", i, d.Shape(), t.Output(i).Shape())
		}
		g[p.outputs[i]] = d
	}
	for i := len(p.steps) - 1; i >= 0; i-- {
		st := p.steps[i]
		if !st.grad {
			continue
		}
		dOut := make([]*tensor.Tensor, len(st.out))
		anyGrad := false
		for j, s := range st.out {
			if s >= 0 && g[s] != nil {
				dOut[j], anyGrad = g[s], true
			}
		}
		if !anyGrad {
			continue
		}
		in := make([]*tensor.Tensor, len(st.in))
		for j, s := range st.in {
			in[j] = t.at(s)
		}
		dIn, err := st.kernel.(Differentiable).Backward(t.ctx, in, t.stepOuts[i], dOut)
		if err != nil {
			return nil, fmt.Errorf("%v: backward: %w", st.node, err)
		}
		for j, s := range st.in {
			if s < 0 || j >= len(dIn) || dIn[j] == nil || !p.wantGrad[s] {
				continue
			}
			if !tensor.SameShape(dIn[j].Shape(), in[j].Shape()) {
				return nil, fmt.Errorf("%v: backward returned gradient %v for input %d of shape %v", st.node, dIn[j].Shape(), j, in[j].Shape())
			}
			g[s] = accumulate(g[s], dIn[j])
		}
	}
	out := Grads{}
	for _, name := range p.trainable {
		if d := g[p.slots[name]]; d != nil {
			out[name] = d
		} else {
			out[name] = tensor.Zeros(tensor.Float32, p.Graph.Params[name].Shape()...)
		}
	}
	for i, in := range p.Graph.Inputs {
		if d := g[p.inputs[i]]; d != nil {
			out[in.Name] = d
		}
	}
	return out, nil
}

// accumulate returns a+b without modifying either (gradients returned by
// kernels may alias each other or the output gradient).
func accumulate(a, b *tensor.Tensor) *tensor.Tensor {
	if a == nil {
		return b
	}
	sum := tensor.Zeros(tensor.Float32, a.Shape()...)
	s, x, y := sum.Float32(), a.Float32(), b.Float32()
	for i := range s {
		s[i] = x[i] + y[i]
	}
	return sum
}
