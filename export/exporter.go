package export

import (
	"strings"

	"t2c/graph"
	"t2c/tensor"
)

// exporter holds what Write derives from the specialised graph before
// writing anything: value words, parameters, layers.
type exporter struct {
	prog      *graph.Program
	g         *graph.Graph // prog.Graph: specialised, in execution order
	opts      Options
	producers map[string]*graph.Node
	consumers map[string][]*graph.Node

	words  map[string]Word // resolved words (memo)
	params []*param
	layers []*layer
}

// param is one exported parameter array and its manifest entry.
type param struct {
	entry Param
	t     *tensor.Tensor
	node  *graph.Node // node owning an attribute array
	stem  string      // file path without extension, relative to the export directory
}

// newExporter analyses the program's graph: words of every value,
// parameters and layers. It writes nothing.
func newExporter(p *graph.Program, o Options) (*exporter, error) {
	e := &exporter{prog: p, g: p.Graph, opts: o, producers: p.Graph.Producers(), consumers: p.Graph.Consumers(), words: map[string]Word{}}
	if err := e.checkParamWords(); err != nil {
		return nil, err
	}
	if err := e.planLayers(); err != nil {
		return nil, err
	}
	if err := e.collectParams(); err != nil {
		return nil, err
	}
	return e, nil
}

// caseFold keys unique file names so they stay distinct on file systems
// that ignore case.
func caseFold(s string) string { return strings.ToLower(s) }
