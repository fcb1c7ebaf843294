package quant

import (
	"fmt"
	"math"

	"t2c/graph"
	"t2c/tensor"
)

// AdaRoundReg is AdaRound's rounding regulariser over the α of the given
// adaround FakeQuant nodes (all adaround nodes when none are given):
//
//	R = Σ 1 − |2h(α) − 1|^β,
//
// which pushes every h(α) to 0 or 1. It returns R and ∂R/∂α keyed by α's
// parameter name. The reconstruction loop adds λ·R to its loss and λ·∂R/∂α
// to the gradients autodiff returns for those parameters, with β from
// BetaSchedule (Torch2Chip defines this term but never uses it).
func AdaRoundReg(g *graph.Graph, beta float64, nodes ...*graph.Node) (float64, map[string]*tensor.Tensor, error) {
	if !(beta > 0) {
		return 0, nil, fmt.Errorf("AdaRound β must be positive, got %g", beta)
	}
	if len(nodes) == 0 {
		nodes = Nodes(g)
	}
	var reg float64
	grads := map[string]*tensor.Tensor{}
	for _, n := range nodes {
		s, err := SiteOf(g, n)
		if err != nil {
			return 0, nil, err
		}
		if _, ok := s.Quantizer.(adaround); !ok {
			continue
		}
		name := s.Param("alpha")
		a, ok := g.Params[name]
		if !ok {
			return 0, nil, fmt.Errorf("%v: alpha parameter %q not found", n, name)
		}
		d := tensor.Zeros(tensor.Float32, a.Shape()...)
		ds := d.Float32()
		for i, al := range a.Float32() {
			h, dh := AdaRoundH(float64(al))
			t := 2*h - 1
			at := math.Abs(t)
			reg += 1 - math.Pow(at, beta)
			if at > 0 {
				ds[i] = float32(-beta * math.Pow(at, beta-1) * math.Copysign(1, t) * 2 * dh)
			}
		}
		grads[name] = d
	}
	return reg, grads, nil
}

// BetaSchedule anneals AdaRound's β linearly from Start to End after a
// warm-up fraction of the iterations during which the regulariser is off,
// as in the AdaRound and BRECQ code (defaults 20 → 2, warm-up 0.2).
type BetaSchedule struct {
	Start, End float64
	Warmup     float64 // fraction of iterations before the regulariser starts
}

// DefaultBetaSchedule is AdaRound's: β from 20 to 2 after 20 % warm-up.
func DefaultBetaSchedule() BetaSchedule { return BetaSchedule{Start: 20, End: 2, Warmup: 0.2} }

// At returns β at iteration iter of total, and whether the regulariser is
// on yet.
func (b BetaSchedule) At(iter, total int) (beta float64, on bool) {
	start := int(b.Warmup * float64(total))
	if iter < start {
		return b.Start, false
	}
	rel := float64(iter-start) / float64(max(total-start, 1))
	return b.End + (b.Start-b.End)*max(0, 1-rel), true
}
