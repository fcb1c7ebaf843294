package prune

import (
	"fmt"
	"path"
	"slices"
	"strings"

	"t2c/graph"
	"t2c/sparse"
	"t2c/tensor"
)

// Name suffixes of a mask parameter ("P.weight" + MaskSuffix) and of the
// Mul node applying it ("P.weight" + ApplySuffix).
const (
	MaskSuffix  = "_mask"
	ApplySuffix = "_mask.apply"
)

// Layer is one prunable weight: a float parameter read as the weight of a
// Conv, Gemm or MatMul.
type Layer struct {
	Name   string        // module path ("layer1.0.conv1")
	Node   string        // the Conv/Gemm/MatMul node
	Op     string        // its op type
	Weight string        // the weight parameter ("layer1.0.conv1.weight")
	Mask   string        // the mask parameter, "" while unmasked
	Layout sparse.Layout // how the weight maps to [out, reduction]
	Shape  []int
}

// Size is the number of weights.
func (l *Layer) Size() int { return tensor.NumElems(l.Shape) }

// fakeQuant is quant.OpType: a quantized pruned weight reads
// Mul(FakeQuant(W), W_mask) (prune does not import quant).
const fakeQuant = "FakeQuant"

// MaskedWeight reports whether value v is a masked weight: the output of
// a Mul whose inputs are a float parameter W — or a FakeQuant of it, once
// quant.Insert has quantized the layer — and the parameter W+MaskSuffix.
// It returns the Mul node, W and the mask's name.
func MaskedWeight(g *graph.Graph, producers map[string]*graph.Node, v string) (mul *graph.Node, weight, mask string, ok bool) {
	n := producers[v]
	if n == nil || n.Op != "Mul" || len(n.Inputs) != 2 {
		return nil, "", "", false
	}
	w, m := n.Inputs[0], n.Inputs[1]
	if fq := producers[w]; fq != nil && fq.Op == fakeQuant && len(fq.Inputs) > 0 {
		w = fq.Inputs[0]
	}
	wt, okw := g.Params[w]
	_, okm := g.Params[m]
	if !okw || !okm || !wt.DType().IsFloat() || m != w+MaskSuffix {
		return nil, "", "", false
	}
	return n, w, m, true
}

// Candidates lists the layers of g whose weight can be pruned, in graph
// order: Conv weights (rank ≥ 3), Gemm right operands (rank 2) and MatMul
// right operands of rank 2 that are float parameters, masked or not.
// Activation×activation MatMuls and other inputs are not candidates.
func Candidates(g *graph.Graph) []Layer {
	producers := g.Producers()
	var out []Layer
	for _, n := range g.Find("Conv", "Gemm", "MatMul") {
		v := n.Input(1)
		l := Layer{Node: n.Name, Op: n.Op, Weight: v}
		if _, w, m, ok := MaskedWeight(g, producers, v); ok {
			l.Weight, l.Mask = w, m
		}
		w, ok := g.Params[l.Weight]
		if !ok || !w.DType().IsFloat() {
			continue
		}
		l.Shape = slices.Clone(w.Shape())
		switch {
		case n.Op == "Conv" && w.Rank() >= 3:
			l.Layout = sparse.OIHW
		case n.Op == "Gemm" && w.Rank() == 2 && attrInt(n, "transB") != 0:
			l.Layout = sparse.OIHW
		case (n.Op == "Gemm" || n.Op == "MatMul") && w.Rank() == 2:
			l.Layout = sparse.IO
		default:
			continue
		}
		if n.Op == "Gemm" && attrInt(n, "transA") != 0 {
			continue
		}
		l.Name = modulePath(n, l.Weight)
		out = append(out, l)
	}
	return out
}

// Masked lists the layers of g that carry a mask, in graph order.
func Masked(g *graph.Graph) []Layer {
	var out []Layer
	for _, l := range Candidates(g) {
		if l.Mask != "" {
			out = append(out, l)
		}
	}
	return out
}

// Select returns the candidates whose module path matches none of the
// exclude globs (path.Match syntax: "conv1", "fc", "layer3.*").
func Select(g *graph.Graph, exclude []string) ([]Layer, error) {
	for _, p := range exclude {
		if _, err := path.Match(p, ""); err != nil {
			return nil, fmt.Errorf("prune: exclude pattern %q: %w", p, err)
		}
	}
	var out []Layer
	for _, l := range Candidates(g) {
		if !Excluded(l.Name, exclude) {
			out = append(out, l)
		}
	}
	return out, nil
}

// Excluded reports whether a module path matches one of the globs.
func Excluded(name string, exclude []string) bool {
	return slices.ContainsFunc(exclude, func(p string) bool { ok, _ := path.Match(p, name); return ok })
}

// Attach gives each named layer (module paths, see Candidates) a mask of
// ones and the Mul node applying it: every node that read the weight reads
// the masked weight instead. Layers that already carry a mask are left as
// they are. It returns the layers in the order given, with Mask set.
func Attach(g *graph.Graph, layers []string) ([]Layer, error) {
	byName := map[string]Layer{}
	for _, l := range Candidates(g) {
		if _, dup := byName[l.Name]; !dup {
			byName[l.Name] = l
		}
	}
	var out []Layer
	for _, name := range layers {
		l, ok := byName[name]
		if !ok {
			return nil, fmt.Errorf("prune: graph %q has no prunable layer %q", g.Name, name)
		}
		out = append(out, l)
	}
	consumers := g.Consumers()
	for i := range out {
		l := &out[i]
		if l.Mask != "" {
			continue
		}
		l.Mask = l.Weight + MaskSuffix
		apply := l.Weight + ApplySuffix
		if _, taken := g.Params[l.Mask]; taken || g.FreshName(apply) != apply {
			return nil, fmt.Errorf("prune: layer %q: the names %q or %q are already taken", l.Name, l.Mask, apply)
		}
		readers := consumers[l.Weight]
		g.Params[l.Mask] = ones(l.Shape)
		mul := &graph.Node{Name: apply, Op: "Mul", Inputs: []string{l.Weight, l.Mask}, Outputs: []string{apply}}
		first := len(g.Nodes)
		for _, r := range readers {
			first = min(first, slices.Index(g.Nodes, r))
			for j, in := range r.Inputs {
				if in == l.Weight {
					r.Inputs[j] = apply
				}
			}
		}
		g.Nodes = slices.Insert(g.Nodes, max(first, 0), mul)
	}
	if err := g.TopoSort(); err != nil {
		return nil, fmt.Errorf("prune: %w", err)
	}
	return out, nil
}

func ones(shape []int) *tensor.Tensor {
	t := tensor.Zeros(tensor.Float32, shape...)
	for i := range t.Float32() {
		t.Float32()[i] = 1
	}
	return t
}

// modulePath names a layer like quant.Insert does: the weight parameter
// without ".weight", else the node name with "/" turned into ".".
func modulePath(n *graph.Node, weight string) string {
	if strings.HasSuffix(weight, ".weight") {
		return strings.TrimSuffix(weight, ".weight")
	}
	if p := strings.Trim(strings.ReplaceAll(n.Name, "/", "."), "."); p != "" {
		return p
	}
	return n.Op
}

func attrInt(n *graph.Node, name string) int64 {
	if a, ok := n.Attrs[name]; ok && a.Kind == graph.AttrInt {
		return a.Int
	}
	return 0
}
