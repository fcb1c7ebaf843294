package ptq

import (
	"path/filepath"
	"testing"

	"t2c/config"
	"t2c/graph"
	"t2c/prune"
	"t2c/quant"
	"t2c/tensor"
)

// TestReconstructionOnPrunedLayers quantizes a 2:4-pruned CNN with
// AdaRound reconstruction: every layer is still a block of its own (the
// mask node inside it), the effective weights stay exactly zero where
// masked on both quantizer paths, and the saved checkpoint reloads with
// masks and quantizers.
func TestReconstructionOnPrunedLayers(t *testing.T) {
	calib, _ := testImages(t, 0, 64, 32)
	test, _ := testImages(t, 1000, 100, 100)
	g := loadCNN(t)
	p, err := prune.New(g, prune.Options{Type: prune.TypeNM, N: 2, M: 4})
	if err != nil {
		t.Fatal(err)
	}
	if err := p.Begin(); err != nil {
		t.Fatal(err)
	}
	layers := p.Layers()
	o, q := options(t, "{wbit: 4, abit: 8, wqtype: adaround, xqtype: minmax, iters: 30, lr: 0.01}")
	rep, err := Run(g, calib, o)
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Blocks) != 5 {
		t.Fatalf("%d blocks, want one per layer (5)", len(rep.Blocks))
	}
	blocks, err := Blocks(g)
	if err != nil {
		t.Fatal(err)
	}
	muls := 0
	for _, b := range blocks {
		for _, n := range b.Nodes {
			if n.Op == "Mul" {
				muls++
			}
		}
	}
	if muls != len(layers) {
		t.Fatalf("the blocks hold %d mask nodes, want %d", muls, len(layers))
	}
	for _, l := range layers { // AdaRound would round masked weights up: force it
		fq := g.Producers()[g.Producers()[l.Weight+prune.ApplySuffix].Inputs[0]]
		s, err := quant.SiteOf(g, fq)
		if err != nil {
			t.Fatal(err)
		}
		for i := range g.Params[s.Param("alpha")].Float32() {
			g.Params[s.Param("alpha")].Float32()[i] = 5
		}
	}
	for _, mode := range []quant.Mode{quant.ModeQuantize, quant.ModeTrain} {
		c := g.Clone()
		if err := quant.SetMode(c, mode); err != nil {
			t.Fatal(err)
		}
		for _, l := range layers {
			c.Outputs = append(c.Outputs, graph.ValueInfo{Name: l.Weight + prune.ApplySuffix})
		}
		sess, err := graph.NewSession(c)
		if err != nil {
			t.Fatal(err)
		}
		out, err := sess.Run(map[string]*tensor.Tensor{c.Inputs[0].Name: test[0]})
		if err != nil {
			t.Fatal(err)
		}
		for _, l := range layers {
			mask := g.Params[l.Mask].Float32()
			for i, v := range out[l.Weight+prune.ApplySuffix].Float32() {
				if mask[i] == 0 && v != 0 {
					t.Fatalf("%s: %s weight %d is %v where masked", mode, l.Name, i, v)
				}
			}
		}
	}
	path := filepath.Join(t.TempDir(), "model.safetensors")
	if err := SaveModel(path, g, config.Model{Path: fashionCNN}, q, nil); err != nil {
		t.Fatal(err)
	}
	back, q2, err := LoadModel(path)
	if err != nil {
		t.Fatal(err)
	}
	if q2 == nil || len(prune.Masked(back)) != len(layers) {
		t.Fatalf("reloaded: quantization %v, %d masked layers", q2, len(prune.Masked(back)))
	}
	same(t, g, back, test)
}
