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
	"slices"

	"t2c/graph"
	"t2c/kernels"
	"t2c/tensor"
)

// Differentiable is implemented by kernels that can propagate gradients.
// Given the forward inputs and outputs and the gradients of the outputs
// (nil where no gradient flows), Backward returns one gradient per input,
// shaped like the input, or nil for inputs that take no gradient (integer
// shapes, indices) or whose gradient is zero.
//
// Returned gradients must be new tensors (ideally from ctx.Alloc) or share
// storage with the arguments (dOut itself, for instance): the tape recycles
// them once consumed, so they must not be kept anywhere else. Kernels may
// also return, after their declared outputs, extra tensors saved for
// Backward, which receives them in out.
type Differentiable interface {
	Backward(ctx *graph.Ctx, in, out, dOut []*tensor.Tensor) ([]*tensor.Tensor, error)
}

// SelectiveDifferentiable is implemented by kernels that can skip the
// gradients nobody needs (the input image's, frozen weights'): Backward
// then goes through BackwardNeeded with need[j] reporting whether input j's
// gradient is used, and may return nil for the others.
type SelectiveDifferentiable interface {
	BackwardNeeded(ctx *graph.Ctx, in, out, dOut []*tensor.Tensor, need []bool) ([]*tensor.Tensor, error)
}

// ReluFuser is implemented by kernels that can also apply a ReLU that
// alone reads their first output: FuseRelu returns a kernel computing
// ReLU(op(inputs)) with the gradient of the pair, or nil when it cannot.
// Compile fuses such pairs (float32 values that are no graph output), so
// training makes one pass over the tensor instead of two and never stores
// the intermediate; Tape.Value returns nil for it.
type ReluFuser interface {
	FuseRelu() graph.Kernel
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
//
// Intermediate values and gradients live in a buffer pool owned by the
// program: a value goes back to the pool as soon as neither the rest of the
// forward pass nor the backward pass can read it, and a gradient as soon as
// the step that consumes it has run, so steady-state training allocates
// almost nothing (see Tape for what stays valid when).
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
	pool      *graph.Pool
}

type step struct {
	node    *graph.Node
	kernel  graph.Kernel
	in, out []int
	grad    bool // some input needs a gradient
	// fwdRelease are the slots whose last reader is this step's forward
	// and that no backward step reads; bwdRelease the slots whose last
	// reader is this step's backward (the first to run among their users').
	fwdRelease, bwdRelease []int
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
	p.fuseRelus()
	p.scheduleReleases()
	p.pool = graph.NewPool()
	return p, nil
}

// noFusion disables fuseRelus (tests compare fused and unfused programs).
var noFusion = false

// fuseRelus merges each Relu into the step producing its input when that
// step's kernel is a ReluFuser and nothing else reads the value (see
// ReluFuser).
func (p *Program) fuseRelus() {
	if noFusion {
		return
	}
	readers := make([]int, p.nslots)
	producer := make([]int, p.nslots)
	for i, st := range p.steps {
		for _, s := range st.in {
			if s >= 0 {
				readers[s]++
			}
		}
		for _, s := range st.out {
			if s >= 0 {
				producer[s] = i
			}
		}
	}
	for _, s := range p.outputs {
		readers[s]++
	}
	names := make([]string, p.nslots)
	for name, s := range p.slots {
		names[s] = name
	}
	dropped := make([]bool, len(p.steps))
	for j, st := range p.steps {
		if st.node.Op != "Relu" || len(st.in) != 1 || len(st.out) != 1 || st.in[0] < 0 || st.out[0] < 0 {
			continue
		}
		s := st.in[0]
		if readers[s] != 1 || p.Types[names[s]].DType != tensor.Float32 {
			continue
		}
		if _, param := p.Graph.Params[names[s]]; param || slices.Contains(p.inputs, s) {
			continue
		}
		i := producer[s]
		pr := &p.steps[i]
		if dropped[i] || len(pr.out) == 0 || pr.out[0] != s || slices.ContainsFunc(pr.out[1:], func(o int) bool { return o >= 0 && readers[o] > 0 }) {
			continue
		}
		f, ok := pr.kernel.(ReluFuser)
		if !ok {
			continue
		}
		fused := f.FuseRelu()
		if fused == nil {
			continue
		}
		if _, ok := fused.(Differentiable); pr.grad && !ok {
			continue
		}
		pr.kernel, pr.out = fused, []int{st.out[0]}
		producer[st.out[0]] = i
		dropped[j] = true
	}
	kept := p.steps[:0]
	for j, st := range p.steps {
		if !dropped[j] {
			kept = append(kept, st)
		}
	}
	p.steps = kept
}

// scheduleReleases decides when each intermediate value can go back to the
// pool. Backward hands every kernel all its inputs and outputs, so a value
// that any differentiated step touches lives until the earliest such step's
// backward; others die after their last forward reader. Parameters, graph
// inputs and graph outputs are never recycled.
func (p *Program) scheduleReleases() {
	keep := make([]bool, p.nslots)
	for name, s := range p.slots {
		if _, ok := p.Graph.Params[name]; ok {
			keep[s] = true
		}
	}
	for _, s := range append(append([]int(nil), p.inputs...), p.outputs...) {
		keep[s] = true
	}
	lastFwd, firstBwd := make([]int, p.nslots), make([]int, p.nslots)
	for s := range firstBwd {
		lastFwd[s], firstBwd[s] = -1, -1
	}
	for i, st := range p.steps {
		for _, s := range append(append([]int(nil), st.in...), st.out...) {
			if s < 0 {
				continue
			}
			lastFwd[s] = i
			if st.grad && firstBwd[s] < 0 {
				firstBwd[s] = i
			}
		}
	}
	for s := range p.nslots {
		switch {
		case keep[s]:
		case firstBwd[s] >= 0:
			p.steps[firstBwd[s]].bwdRelease = append(p.steps[firstBwd[s]].bwdRelease, s)
		case lastFwd[s] >= 0:
			p.steps[lastFwd[s]].fwdRelease = append(p.steps[lastFwd[s]].fwdRelease, s)
		}
	}
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

// Tape is one forward pass with every value Backward needs. Values are
// recycled as soon as nothing can read them any more: Output stays valid
// until the tensors are dropped, Value returns nil for a value already
// recycled, and after Backward only the outputs and the returned gradients
// remain. Backward may run once per tape.
type Tape struct {
	p        *Program
	ctx      *graph.Ctx
	vals     []*tensor.Tensor
	stepOuts [][]*tensor.Tensor // every output each kernel returned, named or not
	refs     storageRefs
	used     bool // Backward has run
}

// Forward runs the program. params supplies the current parameter values
// (normally the graph's own Params, which optimisers update in place).
// Kernels draw their buffers from the program's pool unless ctx has one.
func (p *Program) Forward(ctx *graph.Ctx, inputs map[string]*tensor.Tensor) (*Tape, error) {
	ctx = ctx.WithPool(p.pool)
	t := &Tape{p: p, ctx: ctx, vals: make([]*tensor.Tensor, p.nslots), stepOuts: make([][]*tensor.Tensor, len(p.steps)),
		refs: storageRefs{}}
	for name, v := range p.Graph.Params {
		t.vals[p.slots[name]] = v
		t.refs.pin(v)
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
		t.refs.pin(x)
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
		for j, o := range outs {
			if o == nil {
				continue
			}
			t.refs.add(o) // held by stepOuts until this step's backward
			if j < len(st.out) && st.out[j] >= 0 {
				s := st.out[j]
				t.vals[s] = o
				t.refs.add(o) // held by the slot until its release
				if slices.Contains(p.outputs, s) {
					t.refs.pin(o)
				}
			}
		}
		t.stepOuts[i] = outs
		if !st.grad {
			t.releaseStepOuts(i)
		}
		t.releaseSlots(st.fwdRelease)
	}
	return t, nil
}

// releaseStepOuts drops the tape's hold on every output of step i; named
// outputs stay reachable through vals until their own release.
func (t *Tape) releaseStepOuts(i int) {
	for _, o := range t.stepOuts[i] {
		if o != nil {
			t.drop(o)
		}
	}
	t.stepOuts[i] = nil
}

// releaseSlots drops the values of the given slots.
func (t *Tape) releaseSlots(slots []int) {
	for _, s := range slots {
		if v := t.vals[s]; v != nil {
			t.vals[s] = nil
			t.drop(v)
		}
	}
}

// drop releases one hold on o's storage, recycling it when none is left.
func (t *Tape) drop(o *tensor.Tensor) {
	if t.refs.drop(o) {
		t.ctx.Pool().Put(o)
	}
}

func (t *Tape) at(s int) *tensor.Tensor {
	if s < 0 {
		return nil
	}
	return t.vals[s]
}

// Output returns graph output i of the forward pass.
func (t *Tape) Output(i int) *tensor.Tensor { return t.vals[t.p.outputs[i]] }

// Value returns a value of the forward pass by name: nil if unknown or
// already recycled.
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
// Gradients of values read by several nodes are summed. The given output
// gradients are only read; the returned gradients belong to the caller.
func (t *Tape) Backward(dOutputs ...*tensor.Tensor) (Grads, error) {
	if t.used {
		return nil, fmt.Errorf("autodiff: Backward called twice on one tape (run Forward again)")
	}
	t.used = true
	p := t.p
	g := make([]*tensor.Tensor, p.nslots)
	for i, d := range dOutputs {
		if d == nil {
			continue
		}
		if !tensor.SameShape(d.Shape(), t.Output(i).Shape()) {
			return nil, fmt.Errorf("gradient for output %d has shape %v, output is %v", i, d.Shape(), t.Output(i).Shape())
		}
		t.refs.pin(d)
		g[p.outputs[i]] = d
	}
	for i := len(p.steps) - 1; i >= 0; i-- {
		st := p.steps[i]
		if st.grad {
			if err := t.backwardStep(i, g); err != nil {
				return nil, err
			}
			// Every reader of the step's outputs has run: their gradients
			// are complete and now consumed.
			for _, s := range st.out {
				if s >= 0 && g[s] != nil {
					t.drop(g[s])
					g[s] = nil
				}
			}
			t.releaseStepOuts(i)
		}
		t.releaseSlots(st.bwdRelease)
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

// backwardStep runs the vector-Jacobian product of step i and adds the
// input gradients into g.
func (t *Tape) backwardStep(i int, g []*tensor.Tensor) error {
	p, st := t.p, t.p.steps[i]
	dOut := make([]*tensor.Tensor, len(st.out))
	anyGrad := false
	for j, s := range st.out {
		if s >= 0 && g[s] != nil {
			dOut[j], anyGrad = g[s], true
		}
	}
	if !anyGrad {
		return nil
	}
	in := make([]*tensor.Tensor, len(st.in))
	for j, s := range st.in {
		in[j] = t.at(s)
	}
	var dIn []*tensor.Tensor
	var err error
	if sk, ok := st.kernel.(SelectiveDifferentiable); ok {
		need := make([]bool, len(st.in))
		for j, s := range st.in {
			need[j] = s >= 0 && p.wantGrad[s]
		}
		dIn, err = sk.BackwardNeeded(t.ctx, in, t.stepOuts[i], dOut, need)
	} else {
		dIn, err = st.kernel.(Differentiable).Backward(t.ctx, in, t.stepOuts[i], dOut)
	}
	if err != nil {
		return fmt.Errorf("%v: backward: %w", st.node, err)
	}
	for j, s := range st.in {
		if s < 0 || j >= len(dIn) || dIn[j] == nil || !p.wantGrad[s] {
			continue
		}
		if !tensor.SameShape(dIn[j].Shape(), in[j].Shape()) {
			return fmt.Errorf("%v: backward returned gradient %v for input %d of shape %v", st.node, dIn[j].Shape(), j, in[j].Shape())
		}
		if g[s] == nil {
			g[s] = dIn[j]
			t.refs.add(dIn[j])
			continue
		}
		if t.refs.owned(g[s]) && g[s].StorageID() != dIn[j].StorageID() {
			addInto(g[s], dIn[j]) // nothing else reads g[s]: sum in place
			continue
		}
		sum := t.ctx.Alloc(tensor.Float32, g[s].Shape()...)
		add(sum, g[s], dIn[j])
		t.drop(g[s])
		g[s] = sum
		t.refs.add(sum)
	}
	// Gradients kept nowhere (summed into another, or for inputs that need
	// none) go back to the pool, once per buffer.
	for j, d := range dIn {
		if d == nil || d.StorageID() == 0 || t.refs[d.StorageID()] != 0 {
			continue
		}
		if !slices.ContainsFunc(dIn[:j], func(e *tensor.Tensor) bool { return e != nil && e.StorageID() == d.StorageID() }) {
			t.ctx.Pool().Put(d)
		}
	}
	return nil
}

// add sets sum = a + b elementwise.
func add(sum, a, b *tensor.Tensor) {
	s, x, y := sum.Float32(), a.Float32(), b.Float32()
	kernels.Parallel(len(s), 1<<14, func(lo, hi int) {
		for i := lo; i < hi; i++ {
			s[i] = x[i] + y[i]
		}
	})
}

// addInto sets a += b elementwise.
func addInto(a, b *tensor.Tensor) { add(a, a, b) }

// storageRefs counts the holders of each backing array (slots, kernel
// outputs awaiting their backward, gradients), so that a buffer shared by
// views or aliased by a gradient is recycled only when all are gone.
// Parameters, inputs, outputs and caller-supplied gradients are pinned.
type storageRefs map[uintptr]int

const pinned = 1 << 40

func (r storageRefs) pin(t *tensor.Tensor) {
	if id := t.StorageID(); id != 0 {
		r[id] = pinned
	}
}

func (r storageRefs) add(t *tensor.Tensor) {
	if id := t.StorageID(); id != 0 {
		r[id]++
	}
}

// drop releases one hold and reports whether the storage is now unused.
func (r storageRefs) drop(t *tensor.Tensor) bool {
	id := t.StorageID()
	if id == 0 {
		return false
	}
	r[id]--
	if r[id] > 0 {
		return false
	}
	delete(r, id)
	return true
}

// owned reports whether t's storage has exactly one holder.
func (r storageRefs) owned(t *tensor.Tensor) bool { return r[t.StorageID()] == 1 }
