package ptq

import (
	"strings"

	"t2c/graph"
	"t2c/prune"
)

// maskOf reports whether c is the Mul applying a pruning mask to the
// quantized weight fq: Mul(FakeQuant(W), W_mask) (package prune's mask,
// with quant.Insert's quantizer before it). A weight quantizer of a
// pruned layer feeds this Mul, not the layer.
func maskOf(g *graph.Graph, c *graph.Node, fq string) bool {
	if c.Op != "Mul" || len(c.Inputs) != 2 || c.Inputs[0] != fq {
		return false
	}
	_, isParam := g.Params[c.Inputs[1]]
	return isParam && strings.HasSuffix(c.Inputs[1], prune.MaskSuffix)
}
