package ptq

import (
	"fmt"
	"slices"

	"t2c/graph"
	"t2c/quant"
	"t2c/tensor"
)

// withModes returns a copy of g (parameters shared) whose FakeQuant nodes
// run in the mode chosen for each of g's nodes.
func withModes(g *graph.Graph, mode func(n *graph.Node) quant.Mode) (*graph.Graph, error) {
	c := g.Clone()
	for i, n := range g.Nodes {
		if n.Op == quant.OpType {
			if err := quant.SetMode(c, mode(n), c.Nodes[i]); err != nil {
				return nil, err
			}
		}
	}
	return c, nil
}

// allIn returns a mode function: m for every quantizer.
func allIn(m quant.Mode) func(*graph.Node) quant.Mode {
	return func(*graph.Node) quant.Mode { return m }
}

// cached is a value of the model over the calibration set: n samples
// whose rows are concatenated along axis 0. A sample may span several
// rows (a transformer's tokens as [B·N, D]).
type cached struct {
	t *tensor.Tensor
	n int // samples
}

// per is the number of elements of one sample.
func (c *cached) per() int { return c.t.Len() / c.n }

// shape is the value's shape for a batch of b samples.
func (c *cached) shape(b int) []int {
	s := slices.Clone(c.t.Shape())
	s[0] = s[0] / c.n * b
	return s
}

// slice returns samples lo..hi, sharing memory.
func (c *cached) slice(lo, hi int) *tensor.Tensor {
	return tensor.New(c.shape(hi-lo), c.t.Float32()[lo*c.per():hi*c.per()])
}

// gather copies the samples idx into dst (shaped for len(idx) samples).
func (c *cached) gather(dst *tensor.Tensor, idx []int) {
	per := c.per()
	d, s := dst.Float32(), c.t.Float32()
	for i, r := range idx {
		copy(d[i*per:(i+1)*per], s[r*per:(r+1)*per])
	}
}

// collect runs the single-input graph g on every batch and returns the
// named values over all batches. Only what the values depend on runs.
// Every value's first axis must hold a whole number of rows per sample.
func collect(g *graph.Graph, batches []*tensor.Tensor, values []string) ([]*cached, error) {
	in := g.Inputs[0].Name
	c := g.Clone()
	c.Outputs = nil
	for _, v := range values {
		if v != in && !slices.ContainsFunc(c.Outputs, func(o graph.ValueInfo) bool { return o.Name == v }) {
			c.Outputs = append(c.Outputs, graph.ValueInfo{Name: v})
		}
	}
	var sess *graph.Session
	if len(c.Outputs) > 0 {
		var err error
		if sess, err = graph.NewSession(c); err != nil {
			return nil, err
		}
	}
	total := 0
	for _, x := range batches {
		total += x.Dim(0)
	}
	out := make([]*cached, len(values))
	done := 0
	for _, x := range batches {
		got := map[string]*tensor.Tensor{in: x}
		if sess != nil {
			res, err := sess.Run(map[string]*tensor.Tensor{in: x})
			if err != nil {
				return nil, err
			}
			for k, v := range res {
				got[k] = v
			}
		}
		n := x.Dim(0)
		for i, v := range values {
			t := got[v]
			if t == nil || t.DType() != tensor.Float32 {
				return nil, fmt.Errorf("ptq: value %q was not computed as float32", v)
			}
			if t.Rank() == 0 || t.Dim(0)%n != 0 {
				return nil, fmt.Errorf("ptq: value %q has shape %v for a batch of %d: its first axis does not run over samples", v, t.Shape(), n)
			}
			if out[i] == nil {
				shape := slices.Clone(t.Shape())
				shape[0] = t.Dim(0) / n * total
				out[i] = &cached{t: tensor.Zeros(tensor.Float32, shape...), n: total}
			}
			per := t.Len() / n
			if per != out[i].per() {
				return nil, fmt.Errorf("ptq: value %q changes shape between batches (%v)", v, t.Shape())
			}
			copy(out[i].t.Float32()[done*per:], t.Float32())
		}
		done += n
	}
	return out, nil
}

// subgraph is the block as a graph of its own: inputs the block's input
// activations (any batch), output the block's output, the block's nodes
// copied with their quantizers in mode m, and g's parameters (shared, so
// updates are g's).
func subgraph(g *graph.Graph, b *Block, m quant.Mode, cache []*cached) (*graph.Graph, error) {
	sub := &graph.Graph{Name: g.Name + ":" + b.Name, Opset: g.Opset, Params: g.Params,
		Outputs: []graph.ValueInfo{{Name: b.Output}}}
	for i, in := range b.Inputs {
		shape := cache[i].shape(1)
		shape[0] = -1
		sub.Inputs = append(sub.Inputs, graph.ValueInfo{Name: in, DType: tensor.Float32, Shape: shape})
	}
	for _, n := range b.Nodes {
		sub.Nodes = append(sub.Nodes, n.Clone())
	}
	var fq []*graph.Node
	for _, n := range sub.Nodes {
		if n.Op == quant.OpType {
			fq = append(fq, n)
		}
	}
	if err := quant.SetMode(sub, m, fq...); err != nil {
		return nil, err
	}
	return sub, nil
}
