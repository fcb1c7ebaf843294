package graph

import (
	"fmt"
	"slices"

	"t2c/tensor"
)

// Program is a graph specialised to fixed input shapes and compiled for
// execution: kernels built, constants folded, and a release schedule that
// returns each intermediate buffer to a pool after its last use.
type Program struct {
	Graph *Graph // the specialised graph that runs
	Types Typed  // type and shape of every value

	steps   []step
	slots   map[string]int
	nslots  int
	consts  map[int]*tensor.Tensor
	inputs  []int
	outputs []int
	pool    *Pool
}

type step struct {
	node    *Node
	kernel  Kernel
	in      []int // slot per input, -1 for omitted
	out     []int // slot per output, -1 for unused
	release []int // slots whose last use is this step
}

// Observer sees every value a Program computes, in execution order. The
// tensor may be recycled after the callback returns: copy what you keep.
type Observer func(n *Node, output string, t *tensor.Tensor)

// Compile specialises g to the given input shapes and prepares it to run.
func Compile(g *Graph, inputs map[string][]int) (*Program, error) {
	sg, types, err := Specialize(g, inputs)
	if err != nil {
		return nil, err
	}
	p := &Program{Graph: sg, Types: types, slots: map[string]int{}, consts: map[int]*tensor.Tensor{}, pool: NewPool()}
	for name, t := range sg.Params {
		p.consts[p.slot(name)] = t
	}
	for _, in := range sg.Inputs {
		p.inputs = append(p.inputs, p.slot(in.Name))
	}
	for _, n := range sg.Nodes {
		k, err := Build(n, sg.Opset)
		if err != nil {
			return nil, err
		}
		s := step{node: n, kernel: k}
		for _, in := range n.Inputs {
			s.in = append(s.in, p.optSlot(in))
		}
		for _, o := range n.Outputs {
			s.out = append(s.out, p.optSlot(o))
		}
		p.steps = append(p.steps, s)
	}
	for _, o := range sg.Outputs {
		p.outputs = append(p.outputs, p.slot(o.Name))
	}
	p.scheduleReleases()
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

// scheduleReleases records, for each step, the intermediate values it is the
// last reader of. Graph inputs, constants and outputs are never released.
func (p *Program) scheduleReleases() {
	keep := map[int]bool{}
	for _, s := range slices.Concat(p.inputs, p.outputs) {
		keep[s] = true
	}
	for s := range p.consts {
		keep[s] = true
	}
	last := map[int]int{}
	for i, st := range p.steps {
		for _, s := range slices.Concat(st.in, st.out) {
			if s >= 0 && !keep[s] {
				last[s] = i
			}
		}
	}
	for s, i := range last {
		p.steps[i].release = append(p.steps[i].release, s)
	}
}

// InputShapes returns the shapes the program was compiled for.
func (p *Program) InputShapes() map[string][]int {
	m := map[string][]int{}
	for _, in := range p.Graph.Inputs {
		m[in.Name] = in.Shape
	}
	return m
}

// Run executes the program. inputs must have the compiled shapes.
func (p *Program) Run(inputs map[string]*tensor.Tensor) (map[string]*tensor.Tensor, error) {
	return p.RunObserved(inputs, nil)
}

// RunObserved is Run that reports every computed value to obs.
func (p *Program) RunObserved(inputs map[string]*tensor.Tensor, obs Observer) (map[string]*tensor.Tensor, error) {
	vals := make([]*tensor.Tensor, p.nslots)
	for s, t := range p.consts {
		vals[s] = t
	}
	for i, in := range p.Graph.Inputs {
		t, ok := inputs[in.Name]
		if !ok {
			return nil, fmt.Errorf("missing input %q", in.Name)
		}
		if t.DType() != in.DType && in.DType != tensor.Invalid {
			return nil, fmt.Errorf("input %q: got %v, model expects %v", in.Name, t.DType(), in.DType)
		}
		if !tensor.SameShape(t.Shape(), in.Shape) {
			return nil, fmt.Errorf("input %q: got shape %v, program compiled for %v", in.Name, t.Shape(), in.Shape)
		}
		vals[p.inputs[i]] = t
	}
	live := newStorageRefs(vals)
	ctx := NewCtx(p.pool)
	args := make([]*tensor.Tensor, 0, 8)
	for _, st := range p.steps {
		args = args[:0]
		for _, s := range st.in {
			if s < 0 {
				args = append(args, nil)
			} else {
				args = append(args, vals[s])
			}
		}
		outs, err := st.kernel.Run(ctx, args)
		if err != nil {
			return nil, fmt.Errorf("%v: %w", st.node, err)
		}
		for i, s := range st.out {
			if s < 0 {
				continue
			}
			if i >= len(outs) || outs[i] == nil {
				return nil, fmt.Errorf("%v: output %d was not produced", st.node, i)
			}
			vals[s] = outs[i]
			live.add(outs[i])
			if obs != nil {
				obs(st.node, st.node.Outputs[i], outs[i])
			}
		}
		for _, s := range st.release {
			if live.drop(vals[s]) {
				p.pool.Put(vals[s])
			}
			vals[s] = nil
		}
	}
	res := make(map[string]*tensor.Tensor, len(p.outputs))
	for i, s := range p.outputs {
		res[p.Graph.Outputs[i].Name] = vals[s]
	}
	return res, nil
}

// storageRefs counts live values per backing array, so a buffer shared by a
// view (Reshape, Flatten, Identity) is recycled only when all views are dead.
// Arrays of inputs and constants start pinned and are never recycled.
type storageRefs map[uintptr]int

const pinned = 1 << 30

func newStorageRefs(vals []*tensor.Tensor) storageRefs {
	r := storageRefs{}
	for _, v := range vals {
		if v != nil {
			r[v.StorageID()] = pinned
		}
	}
	return r
}

func (r storageRefs) add(t *tensor.Tensor) {
	if id := t.StorageID(); id != 0 {
		r[id]++
	}
}

// drop reports whether t's storage has no live users left.
func (r storageRefs) drop(t *tensor.Tensor) bool {
	id := t.StorageID()
	if id == 0 {
		return false
	}
	r[id]--
	return r[id] == 0
}
