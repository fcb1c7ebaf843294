package onnx

import (
	"math"

	"t2c/graph"
	"t2c/tensor"
)

// geluOpset is the first opset that defines Gelu.
const geluOpset = 20

// lowerForOpset rewrites ops that t2c uses but the target opset lacks into
// equivalent standard subgraphs, so ONNX Runtime and PyTorch can load what
// t2c exports. Today that is Gelu (opset 20), written as PyTorch's exporter
// writes it: x·0.5·(1 + erf(x/√2)), or the tanh form.
func lowerForOpset(g *graph.Graph, opset int) {
	if opset >= geluOpset {
		return
	}
	var out []*graph.Node
	for _, n := range g.Nodes {
		if n.Op != "Gelu" {
			out = append(out, n)
			continue
		}
		out = append(out, lowerGelu(g, n)...)
	}
	g.Nodes = out
}

func lowerGelu(g *graph.Graph, n *graph.Node) []*graph.Node {
	x, y := n.Inputs[0], n.Outputs[0]
	c := func(suffix string, v float32) string {
		name := g.FreshName(n.Name + "." + suffix)
		g.Params[name] = tensor.Scalar(v)
		return name
	}
	// Value and constant suffixes are disjoint, so names never collide.
	v := func(suffix string) string { return g.FreshName(n.Name + "." + suffix) }
	node := func(op, suffix string, out string, in ...string) *graph.Node {
		return &graph.Node{Name: n.Name + "/" + suffix, Op: op, Inputs: in, Outputs: []string{out}}
	}
	if n.Attrs["approximate"].String == "tanh" {
		// 0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³)))
		x3, inner, scaled, th, onePlus, half := v("x3"), v("inner"), v("scaled"), v("tanh"), v("one_plus"), v("half_x")
		return []*graph.Node{
			node("Pow", "Pow", x3, x, c("three", 3)),
			node("Mul", "MulCubic", inner+"_c", x3, c("k", 0.044715)),
			node("Add", "AddCubic", inner, x, inner+"_c"),
			node("Mul", "MulScale", scaled, inner, c("sqrt_2_over_pi", float32(math.Sqrt(2/math.Pi)))),
			node("Tanh", "Tanh", th, scaled),
			node("Add", "AddOne", onePlus, th, c("one", 1)),
			node("Mul", "MulX", half, x, onePlus),
			node("Mul", "MulHalf", y, half, c("half", 0.5)),
		}
	}
	div, erf, onePlus, prod := v("div"), v("erf"), v("one_plus"), v("mul")
	return []*graph.Node{
		node("Div", "Div", div, x, c("sqrt2", float32(math.Sqrt2))),
		node("Erf", "Erf", erf, div),
		node("Add", "Add", onePlus, erf, c("one", 1)),
		node("Mul", "Mul", prod, x, onePlus),
		node("Mul", "Mul_1", y, prod, c("half", 0.5)),
	}
}
