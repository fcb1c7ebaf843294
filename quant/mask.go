package quant

import (
	"strings"

	"t2c/graph"
)

// maskSuffix names a pruning mask: package prune masks weight parameter W
// with the parameter W+"_mask" through a node Mul(W, W_mask) whose output
// the layer reads (prune.MaskSuffix; quant does not import prune).
const maskSuffix = "_mask"

// maskedWeight recognises a pruned weight operand: v is the output of a
// Mul whose second input is the parameter W+"_mask" and whose first is the
// float parameter W — or, once quantized, a FakeQuant of W. Insert puts
// the weight quantizer on W before the mask, Mul(FakeQuant(W), mask), so a
// masked weight stays exactly zero whatever the quantizer's rounding
// (AdaRound's learned rounding could otherwise turn a 0 into a step).
func maskedWeight(g *graph.Graph, producers map[string]*graph.Node, v string) (mul *graph.Node, weight string, ok bool) {
	n := producers[v]
	if n == nil || n.Op != "Mul" || len(n.Inputs) != 2 {
		return nil, "", false
	}
	mask := n.Inputs[1]
	w, isMaskName := strings.CutSuffix(mask, maskSuffix)
	if _, isParam := g.Params[mask]; !isParam || !isMaskName {
		return nil, "", false
	}
	in := n.Inputs[0]
	if fq := producers[in]; fq != nil && fq.Op == OpType {
		in = fq.Input(0)
	}
	if t, isParam := g.Params[in]; !isParam || in != w || !t.DType().IsFloat() {
		return nil, "", false
	}
	return n, w, true
}
