package export

import (
	"fmt"
	"slices"
	"strconv"

	"t2c/graph"
	"t2c/integer"
	"t2c/tensor"
)

// arrayAttrs are the integer-list attributes exported as parameter
// arrays: the per-channel rescales of Requant, IntAdd and IntAvgPool
// (docs/INTEGER.md §3: |m| < 2³¹, 0 ≤ s ≤ 62, |b| < 2⁶²) and lookup
// tables (Lut), with their nominal words; nil means the node's output
// grid. Values outside the nominal word widen it to 64-bit signed.
var arrayAttrs = []struct {
	name string
	word *Word
}{
	{"multiplier", &Word{Bits: 32, Signed: true}},
	{"a_multiplier", &Word{Bits: 32, Signed: true}},
	{"b_multiplier", &Word{Bits: 32, Signed: true}},
	{"shift", &Word{Bits: 8}},
	{"bias", &Word{Bits: 64, Signed: true}},
	{"table", nil},
}

// arrayWord is the word of attribute array vals of node n.
func arrayWord(n *graph.Node, nominal *Word, vals []int64) Word {
	w := Word{Bits: 32, Signed: true}
	if nominal != nil {
		w = *nominal
	} else if g, ok := integer.GridOf(n); ok {
		w = Word{Bits: g.Bits, Signed: g.Signed}
	}
	for _, v := range vals {
		if !w.Fits(v) {
			return Word{Bits: 64, Signed: true}
		}
	}
	return w
}

// collectParams lists the graph parameters the nodes read (in order of
// first use) and the rescale arrays of every node, with file stems and C
// names.
func (e *exporter) collectParams() error {
	files, cnames := newUniqueNames(caseFold), newUniqueNames(func(s string) string { return s })
	add := func(p *param) error {
		if err := p.stats(); err != nil {
			return fmt.Errorf("parameter %q: %w", p.entry.Name, err)
		}
		p.entry.CName = cnames.take(CIdent(p.entry.Name))
		p.stem = "params/" + files.take(FileStem(p.entry.Name))
		e.params = append(e.params, p)
		return nil
	}
	seen := map[string]bool{}
	for _, n := range e.g.Nodes {
		for _, in := range n.Inputs {
			t := e.g.Params[in]
			if t == nil || seen[in] {
				continue
			}
			seen[in] = true
			p := &param{t: t, entry: Param{Name: in, Source: "graph", Word: e.word(in)}}
			for _, c := range e.consumers[in] {
				p.entry.Consumers = append(p.entry.Consumers, c.Name)
			}
			if err := add(p); err != nil {
				return err
			}
		}
	}
	for _, l := range e.layers {
		for _, n := range l.nodes {
			for _, aa := range arrayAttrs {
				vals, ok := intValues(n, aa.name)
				if !ok {
					continue
				}
				w := arrayWord(n, aa.word, vals)
				t := fromInts(storageOf(w), []int{len(vals)}, vals)
				// The layer's first array of a kind is <stem>.<attr>; a
				// second node of the layer with the same attribute (a
				// second Requant) uses its own node name.
				name := l.stem + "." + aa.name
				if seen[name] {
					name = FileStem(n.Name) + "." + aa.name
				}
				for i := 2; seen[name]; i++ {
					name = FileStem(n.Name) + "." + aa.name + "_" + strconv.Itoa(i)
				}
				seen[name] = true
				p := &param{t: t, node: n, entry: Param{Name: name, Source: "attribute", Node: n.Name, Attr: aa.name, Word: w}}
				if err := add(p); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

// stats fills shape, dtype, element counts and range.
func (p *param) stats() error {
	p.entry.Shape, p.entry.DType, p.entry.Elements = nonNil(p.t.Shape()), p.t.DType().String(), p.t.Len()
	if p.t.DType().IsFloat() {
		for _, v := range p.t.Float64s() {
			if v == 0 {
				p.entry.Zeros++
			}
		}
	} else {
		vals, err := Ints(p.t)
		if err != nil {
			return err
		}
		for i, v := range vals {
			if v == 0 {
				p.entry.Zeros++
			}
			if i == 0 || v < p.entry.Min {
				p.entry.Min = v
			}
			if i == 0 || v > p.entry.Max {
				p.entry.Max = v
			}
		}
	}
	if p.entry.Elements > 0 {
		p.entry.Sparsity = float64(p.entry.Zeros) / float64(p.entry.Elements)
	}
	return nil
}

// intValues reads an int or int-list attribute as a list.
func intValues(n *graph.Node, name string) ([]int64, bool) {
	a, ok := n.Attrs[name]
	switch {
	case !ok:
		return nil, false
	case a.Kind == graph.AttrInt:
		return []int64{a.Int}, true
	case a.Kind == graph.AttrInts:
		return a.Ints, true
	}
	return nil, false
}

// storageOf is the narrowest dtype holding a word.
func storageOf(w Word) tensor.DType {
	switch {
	case w.Bits <= 8 && w.Signed:
		return tensor.Int8
	case w.Bits <= 8:
		return tensor.Uint8
	case w.Bits <= 16 && w.Signed:
		return tensor.Int16
	case w.Bits <= 16:
		return tensor.Uint16
	case w.Bits <= 32 && w.Signed:
		return tensor.Int32
	case w.Bits <= 32:
		return tensor.Uint32
	}
	return tensor.Int64
}

// layerParams lists the names of l's parameters: graph parameters its
// nodes read and its rescale arrays.
func (e *exporter) layerParams(l *layer) []string {
	in := map[*graph.Node]bool{}
	for _, n := range l.nodes {
		in[n] = true
	}
	var names []string
	for _, p := range e.params {
		if p.node != nil && in[p.node] {
			names = append(names, p.entry.Name)
			continue
		}
		if p.node == nil {
			for _, n := range l.nodes {
				if slices.Contains(n.Inputs, p.entry.Name) {
					names = append(names, p.entry.Name)
					break
				}
			}
		}
	}
	return names
}
