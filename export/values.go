package export

import (
	"fmt"

	"t2c/graph"
	"t2c/integer"
	"t2c/tensor"
)

// passThrough are the ops whose output lies on their first input's grid
// (docs/INTEGER.md §4, integer pass-through ops).
var passThrough = map[string]bool{
	"MaxPool": true, "Reshape": true, "Flatten": true, "Transpose": true, "Squeeze": true,
	"Unsqueeze": true, "Gather": true, "Slice": true, "Concat": true, "Identity": true,
	"Split": true, "Expand": true, "Tile": true,
}

// inputRoles names the inputs of the integer ops; a parameter consumed as
// role r may declare its width with the consumer's attributes r_bits and
// r_signed (IntConv "w_bits": 4 for 4-bit weights stored in int8).
var inputRoles = map[string][]string{
	opIntConv:   {"x", "w"},
	opIntMatMul: {"a", "b"},
	opIntAdd:    {"a", "b"},
}

// kind classifies a value: input, param or activation.
func (e *exporter) kind(name string) string {
	switch {
	case name == "":
		return "omitted"
	case e.g.IsInput(name):
		return "input"
	case e.g.Params[name] != nil:
		return "param"
	}
	return "activation"
}

// gridOf is the grid of value name: its producer's output grid, followed
// back through pass-through ops; nil for inputs, parameters and values of
// nodes without a grid.
func (e *exporter) gridOf(name string) *integer.Grid {
	for range len(e.g.Nodes) + 1 {
		n := e.producers[name]
		if n == nil {
			return nil
		}
		if g, ok := integer.GridOf(n); ok {
			return &g
		}
		if !passThrough[n.Op] || len(n.Inputs) == 0 {
			return nil
		}
		name = n.Inputs[0]
	}
	return nil
}

// word is the integer width of value name: the grid's for activations,
// the storage dtype's otherwise (checkParamWords has already stored the
// declared widths of parameters).
func (e *exporter) word(name string) Word {
	if w, ok := e.words[name]; ok {
		return w
	}
	w := WordOf(e.prog.Types[name].DType)
	if g := e.gridOf(name); g != nil && e.prog.Types[name].DType.IsInteger() {
		w = Word{Bits: g.Bits, Signed: g.Signed}
	}
	e.words[name] = w
	return w
}

// declaredWord is a parameter's width from its consumers' r_bits and
// r_signed attributes (inputRoles), or its dtype's; consumers that
// disagree are an error.
func (e *exporter) declaredWord(name string, t *tensor.Tensor) (Word, error) {
	var (
		decl Word
		by   *graph.Node
	)
	for _, c := range e.consumers[name] {
		roles := inputRoles[c.Op]
		for i, in := range c.Inputs {
			if in != name || i >= len(roles) {
				continue
			}
			bits, ok := c.Attrs[roles[i]+"_bits"]
			if !ok || bits.Kind != graph.AttrInt {
				continue
			}
			d := Word{Bits: int(bits.Int), Signed: WordOf(t.DType()).Signed}
			if s, ok := c.Attrs[roles[i]+"_signed"]; ok && s.Kind == graph.AttrInt {
				d.Signed = s.Int != 0
			}
			if by != nil && d != decl {
				return decl, fmt.Errorf("parameter %q: %v declares it %v, %v declares %v", name, by, decl, c, d)
			}
			by, decl = c, d
		}
	}
	if by == nil {
		return WordOf(t.DType()), nil
	}
	return decl, nil
}

// checkParamWords resolves every parameter's word and checks that its
// values fit it.
func (e *exporter) checkParamWords() error {
	for name, t := range e.g.Params {
		if len(e.consumers[name]) == 0 {
			continue
		}
		w, err := e.declaredWord(name, t)
		if err != nil {
			return err
		}
		if err := w.Check(); err != nil {
			return fmt.Errorf("parameter %q: %w", name, err)
		}
		e.words[name] = w
		if t.DType().IsFloat() {
			continue
		}
		vals, err := Ints(t)
		if err != nil {
			return fmt.Errorf("parameter %q: %w", name, err)
		}
		for i, v := range vals {
			if !w.Fits(v) {
				return fmt.Errorf("parameter %q: element %d = %d does not fit its %v word", name, i, v, w)
			}
		}
	}
	return nil
}

// value is the manifest entry of value name; an omitted optional input
// ("") keeps its position as kind "omitted".
func (e *exporter) value(name string) Value {
	if name == "" {
		return Value{Kind: "omitted", Shape: []int{}}
	}
	ti := e.prog.Types[name]
	v := Value{Name: name, Kind: e.kind(name), Shape: nonNil(ti.Shape), DType: ti.DType.String(), Word: e.word(name)}
	if g := e.gridOf(name); g != nil {
		v.Grid = gridEntry(*g)
	}
	return v
}

// gridEntry converts a grid for the manifest.
func gridEntry(g integer.Grid) *Grid {
	out := &Grid{ZeroPoint: g.ZeroPoint}
	for _, s := range g.Scale {
		out.Scale = append(out.Scale, float32(s))
	}
	if len(g.Scale) > 1 {
		axis := g.Axis
		out.Axis = &axis
	}
	return out
}

// nonNil returns an empty (JSON []) shape for scalars.
func nonNil(s []int) []int {
	if s == nil {
		return []int{}
	}
	return s
}
