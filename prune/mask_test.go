package prune_test

import (
	"slices"
	"testing"

	"t2c/data"
	"t2c/graph"
	"t2c/prune"
	"t2c/train"
)

func TestAttachBuildsTheMaskNodes(t *testing.T) {
	g := tiny(t, 1)
	layers, err := prune.Attach(g, []string{"conv", "fc"})
	if err != nil {
		t.Fatal(err)
	}
	prod := g.Producers()
	for _, l := range layers {
		mul, w, m, ok := prune.MaskedWeight(g, prod, l.Weight+prune.ApplySuffix)
		if !ok || w != l.Weight || m != l.Weight+"_mask" || mul.Name != l.Weight+"_mask.apply" || l.Mask != m {
			t.Fatalf("layer %s: mask structure %v %q %q %v", l.Name, mul, w, m, ok)
		}
	}
	if g.Nodes[0].Name != "conv.weight_mask.apply" || g.Nodes[1].Op != "Conv" || g.Nodes[1].Inputs[1] != "conv.weight_mask.apply" {
		t.Fatalf("graph order %v", g.Nodes)
	}
	if again, err := prune.Attach(g, []string{"fc"}); err != nil || len(g.Find("Mul")) != 2 || again[0].Mask != "fc.weight_mask" {
		t.Fatalf("attaching twice: %v, %d Mul nodes", err, len(g.Find("Mul")))
	}
	if _, err := prune.Attach(g, []string{"nope"}); err == nil {
		t.Fatal("unknown layer attached")
	}
	if got := prune.Masked(g); len(got) != 2 {
		t.Fatalf("Masked = %v", got)
	}
}

// TestMaskedForwardEqualsZeroedDense: the masked model computes exactly
// what the unmasked model computes with the masked weights set to zero.
func TestMaskedForwardEqualsZeroedDense(t *testing.T) {
	g := tiny(t, 5)
	dense := tiny(t, 5)
	layers, err := prune.Attach(g, []string{"conv", "fc"})
	if err != nil {
		t.Fatal(err)
	}
	for i, l := range layers {
		randomMask(uint64(i), g.Params[l.Mask])
		w, m := dense.Params[l.Weight].Float32(), g.Params[l.Mask].Float32()
		for j := range w {
			w[j] *= m[j]
		}
	}
	x := randn(11, 1, 2, 3, 6, 6)
	if got, want := run(t, g, x), run(t, dense, x); !slices.Equal(got, want) {
		t.Fatalf("masked %v, zeroed dense %v", got, want)
	}
}

// TestMaskedTrainingIgnoresMaskedWeights trains two copies whose weights
// differ only at masked positions (SGD with momentum and weight decay):
// every step computes the same outputs, masked positions get zero
// gradients, and the masks are not trained.
func TestMaskedTrainingIgnoresMaskedWeights(t *testing.T) {
	var gs [2]*graph.Graph
	for k := range gs {
		gs[k] = tiny(t, 6)
		layers, err := prune.Attach(gs[k], []string{"conv", "fc"})
		if err != nil {
			t.Fatal(err)
		}
		for i, l := range layers {
			randomMask(uint64(i), gs[k].Params[l.Mask])
			garbage := randn(uint64(100+10*k+i), 3, l.Shape...).Float32()
			w, m := gs[k].Params[l.Weight].Float32(), gs[k].Params[l.Mask].Float32()
			for j := range w {
				if m[j] == 0 {
					w[j] = garbage[j]
				}
			}
		}
	}
	masks := map[string][]float32{}
	for _, l := range prune.Masked(gs[0]) {
		masks[l.Mask] = slices.Clone(gs[0].Params[l.Mask].Float32())
	}
	var trs [2]*train.Trainer
	for k := range trs {
		trs[k] = train.NewTrainer(gs[k], &train.SGD{Momentum: 0.9, WeightDecay: 5e-3}, train.Constant{Base: 0.1}, train.CrossEntropy{}, 1)
	}
	b := data.Batch{X: randn(12, 1, 4, 3, 6, 6), Labels: []int{0, 1, 2, 3}}
	for step := 0; step < 4; step++ {
		var res [2]train.StepResult
		for k := range trs {
			var err error
			if res[k], err = trs[k].Step(b, 0); err != nil {
				t.Fatal(err)
			}
		}
		if res[0].Loss != res[1].Loss {
			t.Fatalf("step %d: losses %v and %v differ", step, res[0].Loss, res[1].Loss)
		}
		for name, m := range masks {
			w := name[:len(name)-len("_mask")]
			g := res[0].Grads[w].Float32()
			for j := range m {
				if m[j] == 0 && g[j] != 0 {
					t.Fatalf("step %d: gradient %v at masked %s[%d]", step, g[j], w, j)
				}
			}
			if _, trained := res[0].Grads[name]; trained {
				t.Fatalf("the mask %s received a gradient", name)
			}
			if !slices.Equal(gs[0].Params[name].Float32(), m) {
				t.Fatalf("step %d: mask %s changed", step, name)
			}
		}
	}
	x := randn(13, 1, 3, 3, 6, 6)
	if a, b := run(t, gs[0], x), run(t, gs[1], x); !slices.Equal(a, b) {
		t.Fatalf("after training the copies differ: %v vs %v", a, b)
	}
}
