package graph

import (
	"fmt"
	"sort"
	"strings"
	"sync"

	"t2c/tensor"
)

// Session runs a graph on inputs of any shape the model admits, compiling
// (specialising) once per distinct set of input shapes. It is safe for
// concurrent use.
type Session struct {
	g        *Graph
	mu       sync.Mutex
	programs map[string]*Program
}

// NewSession validates g and returns a session for it.
func NewSession(g *Graph) (*Session, error) {
	if err := g.Clone().TopoSort(); err != nil {
		return nil, err
	}
	return &Session{g: g, programs: map[string]*Program{}}, nil
}

// Program returns the compiled program for the given input shapes.
func (s *Session) Program(shapes map[string][]int) (*Program, error) {
	key := shapeKey(shapes)
	s.mu.Lock()
	defer s.mu.Unlock()
	if p, ok := s.programs[key]; ok {
		return p, nil
	}
	p, err := Compile(s.g, shapes)
	if err != nil {
		return nil, err
	}
	s.programs[key] = p
	return p, nil
}

// Run executes the graph on inputs keyed by graph input name.
func (s *Session) Run(inputs map[string]*tensor.Tensor) (map[string]*tensor.Tensor, error) {
	p, err := s.Program(shapesOf(inputs))
	if err != nil {
		return nil, err
	}
	return p.Run(inputs)
}

// Run1 is Run for the common single-input, single-output model.
func (s *Session) Run1(x *tensor.Tensor) (*tensor.Tensor, error) {
	if len(s.g.Inputs) != 1 || len(s.g.Outputs) != 1 {
		return nil, fmt.Errorf("model has %d inputs and %d outputs; Run1 needs one of each", len(s.g.Inputs), len(s.g.Outputs))
	}
	out, err := s.Run(map[string]*tensor.Tensor{s.g.Inputs[0].Name: x})
	if err != nil {
		return nil, err
	}
	return out[s.g.Outputs[0].Name], nil
}

func shapesOf(inputs map[string]*tensor.Tensor) map[string][]int {
	m := make(map[string][]int, len(inputs))
	for k, v := range inputs {
		m[k] = v.Shape()
	}
	return m
}

func shapeKey(shapes map[string][]int) string {
	names := make([]string, 0, len(shapes))
	for k := range shapes {
		names = append(names, k)
	}
	sort.Strings(names)
	var b strings.Builder
	for _, k := range names {
		fmt.Fprintf(&b, "%s:%v;", k, shapes[k])
	}
	return b.String()
}
