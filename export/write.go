package export

import (
	"encoding/json"
	"fmt"
	"io"
	"path/filepath"
	"slices"
	"strings"

	"t2c/graph"
	_ "t2c/ops" // the ONNX pass-through ops (MaxPool, Reshape, …) of integer graphs
	"t2c/tensor"
)

// manifestFile and headerFile are the fixed file names of an export.
const (
	manifestFile = "manifest.json"
	headerFile   = "params.h"
)

// Write exports the integer graph g to dir (docs/EXPORT.md): the manifest,
// the parameters, the per-layer tensors of the first Options.Samples
// samples and, with Options.PE, the GEMM tiles. Each sample is one input
// of g's single graph input (a missing leading batch dimension of 1 is
// added). Everything is written to a temporary directory beside dir and
// renamed into place at the end, so a failure leaves no partial export; an
// existing dir is replaced only if it is empty or a previous export.
func Write(dir string, g *graph.Graph, samples []*tensor.Tensor, opts Options) (*Manifest, error) {
	o, err := opts.resolve(g.Name, len(samples))
	if err != nil {
		return nil, fmt.Errorf("export: %w", err)
	}
	inputs, err := sampleInputs(g, samples[:o.Samples])
	if err != nil {
		return nil, fmt.Errorf("export: %w", err)
	}
	shapes, err := inputShapes(g, inputs)
	if err != nil {
		return nil, fmt.Errorf("export: %w", err)
	}
	prog, err := graph.Compile(g, shapes)
	if err != nil {
		return nil, fmt.Errorf("export: graph %q at input shapes %v: %w", o.Name, shapes, err)
	}
	e, err := newExporter(prog, o)
	if err != nil {
		return nil, fmt.Errorf("export: graph %q: %w", o.Name, err)
	}
	st, err := stage(dir)
	if err != nil {
		return nil, fmt.Errorf("export: %w", err)
	}
	m, err := e.writeAll(st.tmp, inputs, shapes)
	if err == nil {
		err = st.commit()
	}
	if err != nil {
		st.abort()
		return nil, fmt.Errorf("export to %s: %w", st.dir, err)
	}
	return m, nil
}

// writeAll writes every file into root and returns the manifest.
func (e *exporter) writeAll(root string, inputs []map[string]*tensor.Tensor, shapes map[string][]int) (*Manifest, error) {
	m := &Manifest{
		Schema: Schema, Model: e.opts.Name, Format: fileFormat,
		Options:      Settings{Samples: e.opts.Samples, PE: e.opts.PE, Formats: e.opts.Formats},
		SampleShapes: shapes, Samples: len(inputs),
		Inputs: []Value{}, Outputs: []Value{}, Params: []Param{}, Layers: []Layer{},
	}
	for _, in := range e.g.Inputs {
		m.Inputs = append(m.Inputs, e.value(in.Name))
	}
	for _, out := range e.g.Outputs {
		m.Outputs = append(m.Outputs, e.value(out.Name))
	}
	m.Nodes = e.nodes()
	for _, p := range e.params {
		files, err := WriteTensor(root, p.stem, p.t, p.entry.Word, e.opts.Formats)
		if err != nil {
			return nil, fmt.Errorf("parameter %q: %w", p.entry.Name, err)
		}
		p.entry.Files = nonNilSlice(files)
		m.Params = append(m.Params, p.entry)
	}
	if e.opts.has(FormatC) {
		if err := writeFile(filepath.Join(root, headerFile), e.writeCHeader); err != nil {
			return nil, err
		}
		m.CHeader = headerFile
	}
	perSample := make([][]map[string][]string, len(inputs))
	for s, in := range inputs {
		files, err := e.writeSample(root, s, in, s == 0)
		if err != nil {
			return nil, err
		}
		perSample[s] = files
	}
	for i, l := range e.layers {
		m.Layers = append(m.Layers, e.layerEntry(l, i, perSample))
	}
	if err := e.writeSparse(root, m); err != nil {
		return nil, err
	}
	if err := writeFile(filepath.Join(root, manifestFile), func(w io.Writer) error {
		enc := json.NewEncoder(w)
		enc.SetEscapeHTML(false)
		enc.SetIndent("", "  ")
		return enc.Encode(m)
	}); err != nil {
		return nil, err
	}
	return m, nil
}

// layerEntry is the manifest entry of layer i.
func (e *exporter) layerEntry(l *layer, i int, perSample [][]map[string][]string) Layer {
	entry := Layer{Name: l.name, Stem: l.stem, Op: l.op.Op, Params: e.layerParams(l), Notes: l.notes}
	for _, n := range l.nodes {
		entry.Nodes = append(entry.Nodes, n.Name)
	}
	ref := func(role string) *Value {
		name, ok := l.roles[role]
		if !ok {
			return nil
		}
		v := e.value(name)
		return &v
	}
	entry.X1, entry.X2, entry.Acc, entry.Y = ref(RoleX1), ref(RoleX2), ref(RoleAcc), ref(RoleY)
	for _, role := range l.order {
		if strings.HasPrefix(role, RoleY) && role != RoleY {
			entry.YMore = append(entry.YMore, *ref(role))
		}
	}
	shape := func(v *Value) []int {
		if v == nil {
			return nil
		}
		return v.Shape
	}
	entry.XShape, entry.WShape, entry.AccShape, entry.YShape = shape(entry.X1), shape(entry.X2), shape(entry.Acc), shape(entry.Y)
	for _, files := range perSample {
		entry.Files = append(entry.Files, files[i])
	}
	if l.gemm != nil {
		g := l.gemm.info
		entry.GEMM = &g
		if e.opts.PE > 0 && len(perSample) > 0 {
			t := tileLayout(g, e.opts.PE)
			t.W, t.X, t.Acc = "tiles/"+l.stem+".w.hex", "tiles/"+l.stem+".x.hex", "tiles/"+l.stem+".acc.hex"
			entry.Tiles = &t
		}
	}
	return entry
}

// sampleInputs turns samples into graph inputs, adding a batch dimension
// of 1 to samples one rank short of the graph input.
func sampleInputs(g *graph.Graph, samples []*tensor.Tensor) ([]map[string]*tensor.Tensor, error) {
	if len(samples) == 0 {
		return nil, nil
	}
	if len(g.Inputs) != 1 {
		return nil, fmt.Errorf("samples need a graph with one input, %q has %d", g.Name, len(g.Inputs))
	}
	in := g.Inputs[0]
	var out []map[string]*tensor.Tensor
	for i, x := range samples {
		if x == nil {
			return nil, fmt.Errorf("sample %d is nil", i)
		}
		if in.Shape != nil && x.Rank() == len(in.Shape)-1 {
			x = x.MustReshape(slices.Concat([]int{1}, x.Shape())...)
		}
		if i > 0 && !tensor.SameShape(x.Shape(), out[0][in.Name].Shape()) {
			return nil, fmt.Errorf("sample %d has shape %v, sample 0 has %v: samples must share one shape", i, x.Shape(), out[0][in.Name].Shape())
		}
		out = append(out, map[string]*tensor.Tensor{in.Name: x})
	}
	return out, nil
}

// inputShapes are the shapes to specialise g to: the samples', or without
// samples the declared ones with unknown dimensions set to 1.
func inputShapes(g *graph.Graph, inputs []map[string]*tensor.Tensor) (map[string][]int, error) {
	shapes := map[string][]int{}
	for _, in := range g.Inputs {
		if len(inputs) > 0 {
			shapes[in.Name] = inputs[0][in.Name].Shape()
			continue
		}
		if in.Shape == nil {
			return nil, fmt.Errorf("graph input %q has no declared shape: give a sample", in.Name)
		}
		s := slices.Clone(in.Shape)
		for i, d := range s {
			if d < 0 {
				s[i] = 1
			}
		}
		shapes[in.Name] = s
	}
	return shapes, nil
}
