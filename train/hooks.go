package train

import (
	"strings"

	"t2c/data"
	"t2c/graph"
)

// StepInfo describes one finished optimisation step to a StepHook.
type StepInfo struct {
	Trainer *Trainer
	// Step counts the optimiser steps completed since the start of
	// training, this one included: epoch·StepsPerEpoch + the steps done in
	// this epoch (1 after the very first step; resumed runs continue the
	// count), so schedules keyed by step survive a resume.
	Step          int
	Epoch         int // 0-based
	StepsPerEpoch int
	Batch         data.Batch
	Result        StepResult // loss, accuracy, lr and the parameter gradients
}

// StepHook runs after every optimiser step of Fit (pruning masks,
// logging); an error stops training.
type StepHook func(StepInfo) error

// maskParams are the pruning masks of g (package prune's structure): a
// parameter "W_mask" read by a Mul together with the parameter W. They
// are fixed 0/1 tensors, not weights, so no optimiser may touch them.
func maskParams(g *graph.Graph) map[string]bool {
	out := map[string]bool{}
	for _, n := range g.Find("Mul") {
		if len(n.Inputs) != 2 {
			continue
		}
		w, m := n.Inputs[0], n.Inputs[1]
		_, okw := g.Params[w]
		_, okm := g.Params[m]
		if okw && okm && m == w+"_mask" && strings.HasSuffix(n.Name, "_mask.apply") {
			out[m] = true
		}
	}
	return out
}
