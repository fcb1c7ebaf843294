package fuse

import (
	"fmt"
	"strings"
	"sync"

	"t2c/graph"
	"t2c/integer"
	"t2c/tensor"
)

// Model runs the integer conversion of a quantized graph on batches of
// any size: Convert specialises to input shapes, so Model converts once
// per input shape and caches the result. It implements eval.Model
// (logits dequantized from the integer output on the host).
type Model struct {
	src  *graph.Graph
	opts Options

	mu    sync.Mutex
	byKey map[string]*compiled
}

type compiled struct {
	res  *Result
	prog *graph.Program
}

// NewModel prepares g (a quantized float graph with one input) for
// integer execution. Nothing is converted until the first run.
func NewModel(g *graph.Graph, opts Options) (*Model, error) {
	if len(g.Inputs) != 1 {
		return nil, fmt.Errorf("fuse: model has %d inputs, want 1", len(g.Inputs))
	}
	if _, err := opts.resolve(); err != nil {
		return nil, fmt.Errorf("fuse: %w", err)
	}
	return &Model{src: g, opts: opts, byKey: map[string]*compiled{}}, nil
}

// Convert returns the conversion for inputs of the given shape.
func (m *Model) Convert(shape []int) (*Result, error) {
	c, err := m.compile(shape)
	if err != nil {
		return nil, err
	}
	return c.res, nil
}

func (m *Model) compile(shape []int) (*compiled, error) {
	key := fmt.Sprint(shape)
	m.mu.Lock()
	defer m.mu.Unlock()
	if c, ok := m.byKey[key]; ok {
		return c, nil
	}
	inputs := map[string][]int{m.src.Inputs[0].Name: shape}
	res, err := Convert(m.src, inputs, m.opts)
	if err != nil {
		return nil, err
	}
	prog, err := graph.Compile(res.Graph, inputs)
	if err != nil {
		return nil, fmt.Errorf("fuse: compiling the integer graph: %w", err)
	}
	c := &compiled{res: res, prog: prog}
	m.byKey[key] = c
	return c, nil
}

// RunInt runs the integer graph on x and returns its integer output and
// the conversion (whose Outputs[0] is the output's grid).
func (m *Model) RunInt(x *tensor.Tensor, obs graph.Observer) (*tensor.Tensor, *Result, error) {
	c, err := m.compile(x.Shape())
	if err != nil {
		return nil, nil, err
	}
	outs, err := c.prog.RunObserved(map[string]*tensor.Tensor{m.src.Inputs[0].Name: x}, obs)
	if err != nil {
		return nil, nil, err
	}
	return outs[c.res.Graph.Outputs[0].Name], c.res, nil
}

// Run1 runs the integer graph and dequantizes its output to float32.
func (m *Model) Run1(x *tensor.Tensor) (*tensor.Tensor, error) {
	q, res, err := m.RunInt(x, nil)
	if err != nil {
		return nil, err
	}
	return Dequantize(q, res.Outputs[0])
}

// Dequantize maps integers on grid g to float32: scale·(q − zero point),
// per channel of g.Axis when g has several scales.
func Dequantize(q *tensor.Tensor, g integer.Grid) (*tensor.Tensor, error) {
	if !q.DType().IsInteger() {
		return nil, fmt.Errorf("dequantize: %v is not an integer tensor", q.DType())
	}
	vals := q.Int64s()
	out := make([]float32, len(vals))
	inner, ch := 1, 1
	if len(g.Scale) > 1 {
		shape := q.Shape()
		ch = shape[g.Axis]
		for _, d := range shape[g.Axis+1:] {
			inner *= d
		}
	}
	for i, v := range vals {
		k := (i / inner) % ch
		out[i] = float32(g.ScaleOf(k) * float64(v-g.ZeroPoint))
	}
	return tensor.New(q.Shape(), out), nil
}

// IntegerOnly reports whether the conversion computes with integers only
// (QuantizeInput, the host's input quantization, aside); if not, why.
func (r *Result) IntegerOnly() (bool, string) {
	if len(r.FloatOps) == 0 {
		return true, ""
	}
	return false, "float nonlinearities: " + strings.Join(r.FloatOps, ", ")
}
