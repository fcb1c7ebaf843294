package prune

import (
	"fmt"
	"math"

	"t2c/graph"
	"t2c/tensor"
)

// Pruner sets the masks of a graph's pruned layers as Options say, before
// and during training.
type Pruner struct {
	g       *graph.Graph
	o       Options
	layers  []Layer
	skipped []Skip
	sched   Schedule
	n       int // the current N of N:M (M down to N when gradual)
	grads   *denseGrads
}

// Skip is a candidate layer left dense, and why.
type Skip struct {
	Layer  string `json:"layer"`
	Reason string `json:"reason"`
}

// Event says what an Update did.
type Event string

// Update events.
const (
	EventNone   Event = ""
	EventPrune  Event = "prune"
	EventRegrow Event = "regrow"
)

// GradFunc returns, by weight parameter name, the gradient of the loss
// with respect to each pruned layer's effective weight (DenseGrads).
type GradFunc func() (map[string]*tensor.Tensor, error)

// New checks the options, chooses the layers (every candidate not
// excluded; for N:M, those whose reduction length is a multiple of M) and
// attaches their masks (all ones: nothing is pruned until Begin/Update).
// Layers already masked (a pruned checkpoint) keep their masks.
func New(g *graph.Graph, o Options) (*Pruner, error) {
	if err := o.Validate(); err != nil {
		return nil, err
	}
	p := &Pruner{g: g, o: o, n: o.M}
	sel, err := Select(g, o.Exclude)
	if err != nil {
		return nil, err
	}
	var names []string
	for _, l := range Candidates(g) {
		switch {
		case Excluded(l.Name, o.Exclude):
			p.skipped = append(p.skipped, Skip{l.Name, "excluded"})
		case o.Type == TypeNM && !nmFits(l, o.M):
			p.skipped = append(p.skipped, Skip{l.Name, fmt.Sprintf("reduction length not a multiple of %d", o.M)})
		default:
			names = append(names, l.Name)
		}
	}
	if len(names) == 0 {
		return nil, fmt.Errorf("prune: no layer to prune among %d candidates", len(sel)+len(p.skipped))
	}
	if p.layers, err = Attach(g, names); err != nil {
		return nil, err
	}
	p.sched = Schedule{Start: o.Start, End: o.End, Frequency: o.Frequency, Initial: o.InitialSparsity, Final: o.final()}
	if !o.Gradual {
		p.sched = Schedule{Initial: o.final(), Final: o.final()}
	}
	return p, nil
}

// Layers returns the pruned layers.
func (p *Pruner) Layers() []Layer { return p.layers }

// Skipped returns the candidates left dense.
func (p *Pruner) Skipped() []Skip { return p.skipped }

// Schedule returns the schedule in force (one-shot: constant).
func (p *Pruner) Schedule() Schedule { return p.sched }

// Begin applies the masks due before training: the final target for
// one-shot pruning, the schedule's value at step 0 when gradual.
func (p *Pruner) Begin() error {
	if !p.o.Gradual || p.sched.Due(0) {
		return p.PruneTo(p.sched.At(0))
	}
	return p.Enforce()
}

// Update runs after t optimiser steps: it zeroes masked weights (so that
// momentum or weight decay never move them away from 0), prunes further
// when the schedule is due, else regrows when due. grads is called only
// for a regrow.
func (p *Pruner) Update(t int, grads GradFunc) (Event, error) {
	if p.o.Gradual && p.sched.Due(t) {
		return EventPrune, p.PruneTo(p.sched.At(t))
	}
	r := p.o.Regrow
	if r.Fraction > 0 && t > 0 && t%r.Interval == 0 && t < r.End && t >= p.sched.End {
		if grads == nil {
			return EventNone, fmt.Errorf("prune: regrow at step %d needs gradients", t)
		}
		g, err := grads()
		if err != nil {
			return EventNone, err
		}
		return EventRegrow, p.regrow(cosineFraction(r.Fraction, t, r.End), g)
	}
	return EventNone, p.Enforce()
}

// PruneTo sets the masks for an overall sparsity s of the pruned layers:
// element-wise by magnitude (global threshold, per-layer uniform or ERK),
// N:M with N = clamp(round(M·(1 − s)), N, M) kept per group.
func (p *Pruner) PruneTo(s float64) error {
	if p.o.Type == TypeNM {
		n := min(p.o.M, max(p.o.N, int(math.Round(float64(p.o.M)*(1-s)))))
		for _, l := range p.layers {
			w := p.g.Params[l.Weight].Float32()
			m, err := NMMask(magnitudes(w, p.g.Params[l.Mask].Float32()), l.Shape, l.Layout, n, p.o.M)
			if err != nil {
				return fmt.Errorf("layer %q: %w", l.Name, err)
			}
			copy(p.g.Params[l.Mask].Float32(), m)
		}
		p.n = n
		return p.Enforce()
	}
	ws := make([][]float32, len(p.layers))
	total := 0
	for i, l := range p.layers {
		ws[i] = magnitudes(p.g.Params[l.Weight].Float32(), p.g.Params[l.Mask].Float32())
		total += len(ws[i])
	}
	var masks [][]float32
	switch {
	case p.o.Global:
		masks = GlobalMasks(ws, keepCount(1-s, total))
	default:
		keep := make([]int, len(ws))
		dens := make([]float64, len(ws))
		for i := range dens {
			dens[i] = 1 - s
		}
		if p.o.ERK && s > 0 {
			shapes := make([][]int, len(p.layers))
			for i, l := range p.layers {
				shapes[i] = l.Shape
			}
			var err error
			if dens, err = ERKDensities(shapes, 1-s); err != nil {
				return err
			}
		}
		for i := range ws {
			keep[i] = keepCount(dens[i], len(ws[i]))
		}
		masks = LayerMasks(ws, keep)
	}
	for i, l := range p.layers {
		copy(p.g.Params[l.Mask].Float32(), masks[i])
	}
	return p.Enforce()
}

// regrow runs RegrowMask on every layer with the given fraction of its
// active weights.
func (p *Pruner) regrow(frac float64, grads map[string]*tensor.Tensor) error {
	for _, l := range p.layers {
		g := grads[l.Weight]
		if g == nil || g.Len() != l.Size() {
			return fmt.Errorf("prune: regrow: no gradient for %q", l.Weight)
		}
		w, mask := p.g.Params[l.Weight].Float32(), p.g.Params[l.Mask].Float32()
		active := 0
		for _, m := range mask {
			if m != 0 {
				active++
			}
		}
		next, grown := RegrowMask(w, g.Float32(), mask, int(math.Round(frac*float64(active))))
		copy(mask, next)
		for _, i := range grown {
			w[i] = 0
		}
	}
	return p.Enforce()
}

// Enforce zeroes the weights the masks remove, so that the weight tensors
// themselves are sparse (quantizer observers, checkpoints and exports see
// the sparse weight) and stale optimiser momentum cannot accumulate on them.
func (p *Pruner) Enforce() error { return Enforce(p.g, p.layers) }

// Enforce zeroes the masked entries of the layers' weights.
func Enforce(g *graph.Graph, layers []Layer) error {
	for _, l := range layers {
		w, m := g.Params[l.Weight], g.Params[l.Mask]
		if w == nil || m == nil || w.Len() != m.Len() {
			return fmt.Errorf("prune: layer %q: weight %q and mask %q do not match", l.Name, l.Weight, l.Mask)
		}
		ws, ms := w.Float32(), m.Float32()
		for i := range ws {
			if ms[i] == 0 {
				ws[i] = 0
			}
		}
	}
	return nil
}

// Sparsity is the fraction of masked weights over the pruned layers.
func (p *Pruner) Sparsity() float64 {
	zeros, total := 0, 0
	for _, l := range p.layers {
		for _, m := range p.g.Params[l.Mask].Float32() {
			if m == 0 {
				zeros++
			}
		}
		total += l.Size()
	}
	if total == 0 {
		return 0
	}
	return float64(zeros) / float64(total)
}

// CurrentN is N:M's kept count per group now (M before pruning starts).
func (p *Pruner) CurrentN() int { return p.n }
