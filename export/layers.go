package export

import (
	"fmt"
	"slices"
	"strconv"

	"t2c/graph"
)

// layer is one exported layer: nodes sharing a layer attribute, or one
// node without it.
type layer struct {
	name  string
	stem  string
	nodes []*graph.Node
	op    *graph.Node // the accumulating node, else the first node
	// roles maps x1, x2, acc, y, y2, … to value names; order lists the
	// roles present, in file order.
	roles map[string]string
	order []string
	gemm  *gemmPlan
	notes []string
}

// Tensor roles of a layer, in file order; further outputs are y2, y3, ….
const (
	RoleX1   = "x1"
	RoleX2   = "x2"
	RoleAcc  = "acc"
	RoleY    = "y"
	RoleXCol = "xcol"
)

// accumulates reports the ops with an int32 accumulator output.
func accumulates(op string) bool { return op == opIntConv || op == opIntMatMul }

// twoOperand reports the ops whose second input is an operand (weights
// or a second activation) rather than, say, a shape.
func twoOperand(op string) bool { return accumulates(op) || op == opIntAdd }

// planLayers groups the nodes into layers in execution order. A layer
// attribute shared by a second accumulating node starts a new layer with
// the same name (and a distinct stem).
func (e *exporter) planLayers() error {
	stems := newUniqueNames(caseFold)
	open := map[string]*layer{}
	for _, n := range e.g.Nodes {
		name := layerOf(n)
		l := open[name]
		if name == "" || l == nil || (accumulates(n.Op) && accumulates(l.op.Op)) {
			display := name
			if display == "" {
				display = n.Name
			}
			l = &layer{name: display, stem: stems.take(FileStem(display)), op: n, roles: map[string]string{}}
			e.layers = append(e.layers, l)
			if name != "" {
				open[name] = l
			}
		}
		l.nodes = append(l.nodes, n)
		if accumulates(n.Op) && !accumulates(l.op.Op) {
			l.op = n
		}
	}
	for _, l := range e.layers {
		if err := e.assignRoles(l); err != nil {
			return err
		}
	}
	return nil
}

// assignRoles picks the layer's x1, x2, acc and outputs y, y2, … and
// plans its GEMM.
func (e *exporter) assignRoles(l *layer) error {
	op := l.op
	set := func(role, name string) {
		if name != "" {
			l.roles[role] = name
			l.order = append(l.order, role)
		}
	}
	set(RoleX1, op.Input(0))
	if twoOperand(op.Op) {
		set(RoleX2, op.Input(1))
	}
	if accumulates(op.Op) && len(op.Outputs) > 0 {
		set(RoleAcc, op.Outputs[0])
	}
	for i, y := range e.layerOutputs(l) {
		role := RoleY
		if i > 0 {
			role = RoleY + strconv.Itoa(i+1)
		}
		set(role, y)
	}
	if !accumulates(op.Op) {
		return nil
	}
	g, note, err := e.planGEMM(op)
	if err != nil {
		return fmt.Errorf("layer %q: %w", l.name, err)
	}
	l.gemm = g
	if note != "" {
		l.notes = append(l.notes, note)
	}
	return nil
}

// layerOutputs are the values l's nodes produce for the rest of the graph
// (read by other layers' nodes or graph outputs), in node order; a layer
// whose values are all internal outputs its last node's first output.
// The first is the layer's y: for IntConv and IntMatMul the Requant to the
// next layer's grid; fuse may add a second Requant of the same
// accumulator (a wide grid for a residual branch), which becomes y2.
func (e *exporter) layerOutputs(l *layer) []string {
	inLayer := map[*graph.Node]bool{}
	for _, n := range l.nodes {
		inLayer[n] = true
	}
	var outs []string
	for _, n := range l.nodes {
		for _, o := range n.Outputs {
			if o == "" {
				continue
			}
			leaves := slices.ContainsFunc(e.g.Outputs, func(v graph.ValueInfo) bool { return v.Name == o })
			for _, c := range e.consumers[o] {
				leaves = leaves || !inLayer[c]
			}
			if leaves {
				outs = append(outs, o)
			}
		}
	}
	if len(outs) == 0 {
		if last := l.nodes[len(l.nodes)-1]; len(last.Outputs) > 0 && last.Outputs[0] != "" {
			outs = append(outs, last.Outputs[0])
		}
	}
	return outs
}
