package graph

import (
	"fmt"
	"slices"

	"t2c/tensor"
)

// Typed is the result of type propagation: every value's dtype and concrete
// shape for one set of input shapes.
type Typed map[string]ValueInfo

// Specialize fixes the graph's input shapes, infers the type of every value,
// and folds every node whose inputs are all constant (parameters, Constant
// nodes, Shape of a value whose shape is now known) into a parameter. The
// result is a new graph containing only the nodes that depend on run-time
// data — PyTorch's Shape→Gather→Unsqueeze→Concat→Reshape chains disappear.
// Nodes whose outputs reach no graph output are dropped.
func Specialize(g *Graph, inputs map[string][]int) (*Graph, Typed, error) {
	return SpecializeWith(g, inputs, SpecializeOptions{})
}

// SpecializeOptions adjusts Specialize.
type SpecializeOptions struct {
	// Variables names parameters whose values change between runs
	// (weights being trained): they are typed but never folded.
	Variables map[string]bool
}

// SpecializeWith is Specialize with options.
func SpecializeWith(g *Graph, inputs map[string][]int, opts SpecializeOptions) (*Graph, Typed, error) {
	out := g.Clone()
	if err := out.TopoSort(); err != nil {
		return nil, nil, err
	}
	types := Typed{}
	for i, in := range out.Inputs {
		shape, ok := inputs[in.Name]
		if !ok {
			return nil, nil, fmt.Errorf("no shape given for graph input %q", in.Name)
		}
		if err := checkShape(in, shape); err != nil {
			return nil, nil, err
		}
		out.Inputs[i].Shape = slices.Clone(shape)
		types[in.Name] = out.Inputs[i]
	}
	for name, p := range out.Params {
		types[name] = ValueInfo{Name: name, DType: p.DType(), Shape: p.Shape()}
	}
	consts := func(name string) *tensor.Tensor {
		if opts.Variables[name] {
			return nil
		}
		return out.Params[name]
	}
	var kept []*Node
	for _, n := range out.Nodes {
		folded, err := propagate(out, n, types, consts)
		if err != nil {
			return nil, nil, err
		}
		if !folded {
			kept = append(kept, n)
		}
	}
	out.Nodes = kept
	out.pruneDead()
	for i, o := range out.Outputs {
		t, ok := types[o.Name]
		if !ok {
			return nil, nil, fmt.Errorf("graph output %q has no inferred type", o.Name)
		}
		out.Outputs[i].DType, out.Outputs[i].Shape = t.DType, t.Shape
	}
	return out, types, nil
}

func checkShape(in ValueInfo, shape []int) error {
	if in.Shape == nil {
		return nil
	}
	if len(shape) != len(in.Shape) {
		return fmt.Errorf("input %q: got rank %d %v, model expects rank %d %v", in.Name, len(shape), shape, len(in.Shape), in.Shape)
	}
	for i, d := range in.Shape {
		if d >= 0 && shape[i] != d {
			return fmt.Errorf("input %q: got shape %v, model expects %v (dimension %d)", in.Name, shape, in.Shape, i)
		}
	}
	return nil
}

// propagate infers n's output types and folds it into parameters when all its
// inputs are constant. It reports whether the node was folded away.
func propagate(g *Graph, n *Node, types Typed, constOf func(string) *tensor.Tensor) (bool, error) {
	k, err := Build(n, g.Opset)
	if err != nil {
		return false, err
	}
	in := make([]ValueInfo, len(n.Inputs))
	consts := make([]*tensor.Tensor, len(n.Inputs))
	allConst := true
	for i, name := range n.Inputs {
		if name == "" {
			continue
		}
		t, ok := types[name]
		if !ok {
			return false, fmt.Errorf("%v: input %q has no known type", n, name)
		}
		in[i] = t
		consts[i] = constOf(name)
		allConst = allConst && consts[i] != nil
	}
	var outs []*tensor.Tensor
	switch {
	case allConst:
		outs, err = k.Run(nil, consts)
	case isTypeFolder(k):
		outs, err = k.(TypeFolder).FoldTypes(in)
	}
	if err != nil {
		return false, fmt.Errorf("%v: %w", n, err)
	}
	if outs != nil {
		return true, bindConsts(g, n, outs, types)
	}
	infos, err := inferTypes(k, in, consts)
	if err != nil {
		return false, fmt.Errorf("%v: %w", n, err)
	}
	if len(infos) < countOutputs(n) {
		return false, fmt.Errorf("%v: op produced %d outputs, node wants %d", n, len(infos), len(n.Outputs))
	}
	for i, o := range n.Outputs {
		if o != "" {
			infos[i].Name = o
			types[o] = infos[i]
		}
	}
	return false, nil
}

func isTypeFolder(k Kernel) bool { _, ok := k.(TypeFolder); return ok }

// countOutputs is the number of outputs up to the last requested one.
func countOutputs(n *Node) int {
	c := 0
	for i, o := range n.Outputs {
		if o != "" {
			c = i + 1
		}
	}
	return c
}

func bindConsts(g *Graph, n *Node, outs []*tensor.Tensor, types Typed) error {
	if len(outs) < countOutputs(n) {
		return fmt.Errorf("%v: op produced %d outputs, node wants %d", n, len(outs), len(n.Outputs))
	}
	for i, o := range n.Outputs {
		if o == "" {
			continue
		}
		g.Params[o] = outs[i]
		types[o] = ValueInfo{Name: o, DType: outs[i].DType(), Shape: outs[i].Shape()}
	}
	return nil
}

// inferTypes asks the kernel for output types, or runs it on zeros.
func inferTypes(k Kernel, in []ValueInfo, consts []*tensor.Tensor) ([]ValueInfo, error) {
	if si, ok := k.(ShapeInferer); ok {
		return si.InferShapes(in, consts)
	}
	args := make([]*tensor.Tensor, len(in))
	for i, v := range in {
		switch {
		case consts[i] != nil:
			args[i] = consts[i]
		case v.DType != tensor.Invalid:
			args[i] = tensor.Zeros(v.DType, v.Shape...)
		}
	}
	outs, err := k.Run(nil, args)
	if err != nil {
		return nil, err
	}
	infos := make([]ValueInfo, len(outs))
	for i, o := range outs {
		if o != nil {
			infos[i] = ValueInfo{DType: o.DType(), Shape: o.Shape()}
		}
	}
	return infos, nil
}

// pruneDead removes nodes and parameters that no graph output depends on.
func (g *Graph) pruneDead() {
	live := map[string]bool{}
	for _, o := range g.Outputs {
		live[o.Name] = true
	}
	var kept []*Node
	for i := len(g.Nodes) - 1; i >= 0; i-- {
		n := g.Nodes[i]
		if !slices.ContainsFunc(n.Outputs, func(o string) bool { return live[o] }) {
			continue
		}
		for _, in := range n.Inputs {
			live[in] = true
		}
		kept = append(kept, n)
	}
	slices.Reverse(kept)
	g.Nodes = kept
	for name := range g.Params {
		if !live[name] {
			delete(g.Params, name)
		}
	}
}
