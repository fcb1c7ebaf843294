package fuse

import (
	"testing"

	"t2c/onnx"
	"t2c/prune"
	"t2c/quant"
)

// TestPrunedModel converts a 2:4-pruned, quantized CNN: the masked weights
// are exactly zero in the integer graph and the model still matches its
// fake-quant form.
func TestPrunedModel(t *testing.T) {
	g, err := onnx.Load(fashionCNN)
	if err != nil {
		t.Fatal(err)
	}
	p, err := prune.New(g, prune.Options{Type: prune.TypeNM, N: 2, M: 4, Exclude: []string{"conv1"}})
	if err != nil {
		t.Fatal(err)
	}
	if err := p.Begin(); err != nil {
		t.Fatal(err)
	}
	calib := fashionImages(t, 0, 128, 64)
	if _, err := quant.Insert(g, quant.Options{WBits: 8, ABits: 8}); err != nil {
		t.Fatal(err)
	}
	if err := quant.Calibrate(g, calib...); err != nil {
		t.Fatal(err)
	}
	if err := quant.SetMode(g, quant.ModeQuantize); err != nil {
		t.Fatal(err)
	}
	m, err := NewModel(g, Options{})
	if err != nil {
		t.Fatal(err)
	}
	test := fashionImages(t, 128, 256, 128)
	if agree, _ := agreement(t, g, m, test); agree < 0.99 {
		t.Errorf("agreement %.4f", agree)
	}
	checkActivations(t, g, m, test[0], 0.001)
	res, err := m.Convert(test[0].Shape())
	if err != nil {
		t.Fatal(err)
	}
	for _, layer := range []string{"conv2", "conv3", "conv4", "fc"} {
		w := res.Graph.Params[layer+".weight"]
		if w == nil {
			t.Fatalf("no integer weight for %s", layer)
		}
		zeros := 0
		for _, v := range w.Int64s() {
			if v == 0 {
				zeros++
			}
		}
		if zeros*2 < w.Len() {
			t.Errorf("%s: %d of %d integer weights are zero, want at least half (2:4)", layer, zeros, w.Len())
		}
	}
}
