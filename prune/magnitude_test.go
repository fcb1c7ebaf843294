package prune_test

import (
	"math"
	"slices"
	"testing"

	"t2c/prune"
)

func TestGlobalVersusLayerThresholds(t *testing.T) {
	// Layer A holds small weights, layer B large ones. At 50 % sparsity a
	// global threshold (keep the 4 largest of 8) empties A and keeps B
	// whole; per-layer thresholds prune half of each.
	a := []float32{0.1, -0.4, 0.3, -0.2}
	b := []float32{-1, 4, 2, -3}
	global := prune.GlobalMasks([][]float32{a, b}, 4)
	if !slices.Equal(global[0], []float32{0, 0, 0, 0}) || !slices.Equal(global[1], []float32{1, 1, 1, 1}) {
		t.Fatalf("global masks %v", global)
	}
	layer := prune.LayerMasks([][]float32{a, b}, []int{2, 2})
	if !slices.Equal(layer[0], []float32{0, 1, 1, 0}) || !slices.Equal(layer[1], []float32{0, 1, 0, 1}) {
		t.Fatalf("per-layer masks %v", layer)
	}
	// 25 %: global keeps 6 — B and A's two largest (0.4, 0.3).
	global = prune.GlobalMasks([][]float32{a, b}, 6)
	if !slices.Equal(global[0], []float32{0, 1, 1, 0}) || !slices.Equal(global[1], []float32{1, 1, 1, 1}) {
		t.Fatalf("global masks at 25 %%: %v", global)
	}
}

func TestPrunerGlobalAndLayerSparsities(t *testing.T) {
	for _, global := range []bool{true, false} {
		g := tiny(t, 1)
		// conv (216 weights) small, fc (32 weights) large.
		for i, v := range g.Params["conv.weight"].Float32() {
			g.Params["conv.weight"].Float32()[i] = v * 0.01
		}
		for i, v := range g.Params["fc.weight"].Float32() {
			g.Params["fc.weight"].Float32()[i] = float32(math.Copysign(1+math.Abs(float64(v)), float64(v)))
		}
		p, err := prune.New(g, prune.Options{Type: prune.TypeElement, Sparsity: 0.5, Global: global})
		if err != nil {
			t.Fatal(err)
		}
		if err := p.Begin(); err != nil {
			t.Fatal(err)
		}
		rep := prune.Stats(g)
		conv, fc := rep.Layers[0], rep.Layers[1]
		if global {
			// keep round(0.5·248) = 124: all 32 fc weights (every |fc| >
			// every |conv|) and 92 conv weights.
			if fc.Zeros != 0 || conv.Zeros != 216-92 {
				t.Fatalf("global: conv %d zeros, fc %d", conv.Zeros, fc.Zeros)
			}
		} else if conv.Zeros != 108 || fc.Zeros != 16 {
			t.Fatalf("per layer: conv %d zeros, fc %d", conv.Zeros, fc.Zeros)
		}
		if math.Abs(rep.Sparsity-0.5) > 1e-9 || !conv.Pruned {
			t.Fatalf("overall sparsity %v", rep.Sparsity)
		}
		// The weights themselves are zero where masked.
		w, m := g.Params["conv.weight"].Float32(), g.Params["conv.weight_mask"].Float32()
		for i := range w {
			if m[i] == 0 && w[i] != 0 {
				t.Fatal("a masked weight is not zero")
			}
		}
	}
}

func TestERKDensitiesHandComputed(t *testing.T) {
	conv, fc := []int{4, 2, 3, 3}, []int{10, 4}
	// raw: conv (4+2+3+3)/72 = 1/6, fc 14/40 = 0.35; 112 weights.
	// density 0.5: ε = 56/(12 + 14), conv ε/6, fc 0.35ε.
	d, err := prune.ERKDensities([][]int{conv, fc}, 0.5)
	if err != nil {
		t.Fatal(err)
	}
	eps := 56.0 / 26
	if math.Abs(d[0]-eps/6) > 1e-12 || math.Abs(d[1]-0.35*eps) > 1e-12 {
		t.Fatalf("ERK(0.5) = %v, want [%v %v]", d, eps/6, 0.35*eps)
	}
	// density 0.8: ε = 89.6/26 would give fc 1.206 > 1, so fc is dense and
	// conv takes the rest: (89.6 − 40)/72.
	if d, err = prune.ERKDensities([][]int{conv, fc}, 0.8); err != nil {
		t.Fatal(err)
	}
	if math.Abs(d[0]-49.6/72) > 1e-12 || d[1] != 1 {
		t.Fatalf("ERK(0.8) = %v, want [%v 1]", d, 49.6/72)
	}
	// The pruner keeps round(d·n) per layer.
	g := tiny(t, 2)
	p, err := prune.New(g, prune.Options{Type: prune.TypeElement, Sparsity: 0.5, ERK: true})
	if err != nil {
		t.Fatal(err)
	}
	if err := p.Begin(); err != nil {
		t.Fatal(err)
	}
	// conv [8,3,3,3]: raw 17/216; fc [4,8]: 12/32; keep 124 of 248.
	// ε = 124/(17 + 12) gives fc 1.6 > 1: fc stays dense (32) and conv
	// keeps the other 92.
	rep := prune.Stats(g)
	if 216-rep.Layers[0].Zeros != 92 || rep.Layers[1].Zeros != 0 {
		t.Fatalf("conv keeps %d (want 92), fc %d (want 32)", 216-rep.Layers[0].Zeros, 32-rep.Layers[1].Zeros)
	}
}

func TestNMExactlyNPerGroup(t *testing.T) {
	for _, nm := range [][2]int{{2, 4}, {1, 4}, {4, 8}} {
		n, m := nm[0], nm[1]
		g := resnet8(t)
		p, err := prune.New(g, prune.Options{Type: prune.TypeNM, N: n, M: m})
		if err != nil {
			t.Fatal(err)
		}
		if err := p.Begin(); err != nil {
			t.Fatal(err)
		}
		// conv1 has one input channel: left dense, and said so.
		if sk := p.Skipped(); len(sk) != 1 || sk[0].Layer != "conv1" {
			t.Fatalf("%d:%d skipped %v", n, m, sk)
		}
		sawFC := false
		for _, l := range p.Layers() {
			mask := g.Params[l.Mask]
			w := g.Params[l.Weight].Float32()
			if l.Op == "Gemm" {
				sawFC = true
			}
			// Groups along the input channels, conv weights in (out, kh,
			// kw, in) order: walk them directly from the OIHW shape.
			s := append(slices.Clone(mask.Shape()), 1, 1)[:4]
			o, c, kh, kw := s[0], s[1], s[2], s[3]
			at := func(oo, cc, y, x int) int { return ((oo*c+cc)*kh+y)*kw + x }
			for oo := 0; oo < o; oo++ {
				for y := 0; y < kh; y++ {
					for x := 0; x < kw; x++ {
						for c0 := 0; c0 < c; c0 += m {
							kept := 0
							for cc := c0; cc < c0+m; cc++ {
								i := at(oo, cc, y, x)
								if mask.Float32()[i] == 1 {
									kept++
								}
							}
							if kept != n {
								t.Fatalf("%d:%d %s: group (%d,%d,%d,%d…) keeps %d", n, m, l.Name, oo, y, x, c0, kept)
							}
						}
					}
				}
			}
			// The kept weights are the largest of their group: the pruned
			// weights are zero and the survivors reproduce NMMask on them.
			again, err := prune.NMMask(w, l.Shape, l.Layout, n, m)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(again, mask.Float32()) {
				t.Fatalf("%s: mask is not the top-%d of its groups", l.Name, n)
			}
		}
		if !sawFC {
			t.Fatal("the classifier was not pruned")
		}
	}
}

func TestNMMaskKeepsLargestAlongInputChannels(t *testing.T) {
	// Conv [1, 4, 1, 2]: for kernel position p the group is w[0, 0…3, 0, p].
	w := []float32{
		1, -8, // c=0: p0, p1
		-5, 7,
		3, 6,
		0.5, -1,
	}
	mask, err := prune.NMMask(w, []int{1, 4, 1, 2}, 0, 2, 4)
	if err != nil {
		t.Fatal(err)
	}
	// p0: |1|,|−5|,|3|,|0.5| → keep c1, c2; p1: |−8|,|7|,|6|,|−1| → keep c0, c1.
	if want := []float32{0, 1, 1, 1, 1, 0, 0, 0}; !slices.Equal(mask, want) {
		t.Fatalf("mask %v, want %v", mask, want)
	}
	// Gradual N:M: the kept count per group goes M → N.
	g := resnet8(t)
	p, err := prune.New(g, prune.Options{Type: prune.TypeNM, N: 2, M: 8, Gradual: true, Start: 0, End: 4, Frequency: 2})
	if err != nil {
		t.Fatal(err)
	}
	if err := p.Begin(); err != nil || p.CurrentN() != 8 {
		t.Fatalf("begin: N %d, %v", p.CurrentN(), err)
	}
	for step, want := range map[int]int{2: 3, 4: 2} { // s(2) = 0.75·(1 − 1/8) → round(8·0.34375) = 3
		if _, err := p.Update(step, nil); err != nil {
			t.Fatal(err)
		}
		if p.CurrentN() != want {
			t.Fatalf("step %d: N = %d, want %d", step, p.CurrentN(), want)
		}
	}
}
