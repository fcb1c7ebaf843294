package prune_test

import (
	"math"
	"slices"
	"testing"

	"t2c/data"
	"t2c/prune"
	"t2c/train"
)

func TestRegrowPicksLargestGradients(t *testing.T) {
	w := []float32{0.9, 0.1, 0, 0, -0.5, 0, 0.05, 0}
	mask := []float32{1, 1, 0, 0, 1, 0, 1, 0}
	grad := []float32{9, 9, 0.3, -2, 9, 0.1, 9, -0.7}
	// Drop the 2 smallest active |w|: positions 6 (0.05) and 1 (0.1).
	// Regrow 2 among 1, 2, 3, 5, 6, 7 by |grad|: 1 and 6 (9) — the dropped
	// weights come back — so nothing changes.
	next, grown := prune.RegrowMask(w, grad, mask, 2)
	if !slices.Equal(next, mask) || len(grown) != 0 {
		t.Fatalf("next %v grown %v", next, grown)
	}
	// With small gradients at the dropped positions the largest |grad| of
	// the pruned ones win: 3 (−2) and 7 (−0.7).
	grad = []float32{9, 0, 0.3, -2, 9, 0.1, 0, -0.7}
	next, grown = prune.RegrowMask(w, grad, mask, 2)
	if want := []float32{1, 0, 0, 1, 1, 0, 0, 1}; !slices.Equal(next, want) || !slices.Equal(grown, []int{3, 7}) {
		t.Fatalf("next %v grown %v, want %v [3 7]", next, grown, want)
	}
}

// TestRegrowInTraining runs the pruner's regrow through train.Fit's hook
// on a tiny model: layer counts are kept, grown weights start at zero and
// the gradients used are those of the effective weight (non-zero where
// pruned), not the masked training gradient.
func TestRegrowInTraining(t *testing.T) {
	g := tiny(t, 4)
	p, err := prune.New(g, prune.Options{Type: prune.TypeElement, Sparsity: 0.75, Regrow: prune.Regrow{Fraction: 0.5, Interval: 2, End: 10}})
	if err != nil {
		t.Fatal(err)
	}
	if err := p.Begin(); err != nil {
		t.Fatal(err)
	}
	kept := map[string]int{}
	for _, l := range p.Layers() {
		kept[l.Name] = l.Size() - zerosOf(g.Params[l.Mask].Float32())
	}
	tr := train.NewTrainer(g, &train.SGD{Momentum: 0.9, WeightDecay: 1e-3}, train.Constant{Base: 0.05}, train.CrossEntropy{}, 1)
	x := randn(9, 1, 8, 3, 6, 6)
	b := data.Batch{X: x, Labels: []int{0, 1, 2, 3, 0, 1, 2, 3}}
	regrows := 0
	for step := 1; step <= 6; step++ {
		r, err := tr.Step(b, 0)
		if err != nil {
			t.Fatal(err)
		}
		for _, l := range p.Layers() { // the training gradient is masked
			gr, m := r.Grads[l.Weight].Float32(), g.Params[l.Mask].Float32()
			for i := range gr {
				if m[i] == 0 && gr[i] != 0 {
					t.Fatalf("step %d: %s gets gradient %v at a masked position", step, l.Weight, gr[i])
				}
			}
		}
		before := map[string][]float32{}
		for _, l := range p.Layers() {
			before[l.Name] = slices.Clone(g.Params[l.Mask].Float32())
		}
		dense := p.DenseGrads(b.X, b.Labels, tr.Loss)
		ev, err := p.Update(step, dense)
		if err != nil {
			t.Fatal(err)
		}
		if ev != prune.EventRegrow {
			if step%2 == 0 {
				t.Fatalf("step %d: no regrow", step)
			}
			continue
		}
		regrows++
		grads, err := dense()
		if err != nil {
			t.Fatal(err)
		}
		for _, l := range p.Layers() {
			m, w := g.Params[l.Mask].Float32(), g.Params[l.Weight].Float32()
			if got := l.Size() - zerosOf(m); got != kept[l.Name] {
				t.Fatalf("step %d %s keeps %d, want %d", step, l.Name, got, kept[l.Name])
			}
			nonzero := false
			for i := range m {
				if before[l.Name][i] == 0 && m[i] == 1 && w[i] != 0 {
					t.Fatalf("step %d %s: grown weight %d starts at %v", step, l.Name, i, w[i])
				}
				if before[l.Name][i] == 0 && grads[l.Weight].Float32()[i] != 0 {
					nonzero = true
				}
			}
			if !nonzero {
				t.Fatalf("step %d %s: dense gradient is zero at every pruned position", step, l.Name)
			}
		}
	}
	if regrows != 3 {
		t.Fatalf("%d regrows, want 3 (steps 2, 4, 6)", regrows)
	}
	// The model's BN-free graph still holds exactly the masks' sparsity.
	if s := p.Sparsity(); math.Abs(s-0.75) > 0.01 {
		t.Fatalf("sparsity %v after regrowing", s)
	}
}
