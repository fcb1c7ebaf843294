package fuse

import (
	"testing"

	"t2c/graph"
	"t2c/integer"
	"t2c/quant"
	"t2c/tensor"
	"t2c/zoo"
)

// quantizedViT builds a small zoo ViT (class token, LayerNorm, attention,
// erf GELU, residual adds), quantizes it W8A8 and calibrates it.
func quantizedViT(t *testing.T) (*graph.Graph, map[string]float64) {
	t.Helper()
	g, err := zoo.Build("vit", zoo.Config{Classes: 10, InChannels: 1, ImageSize: 28, PatchSize: 7, Dim: 32, Depth: 2, Heads: 2, MLPRatio: 2, Seed: 3})
	if err != nil {
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
	return g, observedRanges(t, g, calib)
}

// TestViTModes converts a quantized ViT with each implementation of the
// nonlinearities and compares with the fake-quant model.
func TestViTModes(t *testing.T) {
	g, ranges := quantizedViT(t)
	test := fashionImages(t, 512, 256, 128)
	// The model is untrained: its logits span only ±0.25 and classes are
	// nearly tied, so the comparison is on logits, relative to their
	// range, and on the activation codes. (Accuracy of each mode on the
	// trained ViT: docs/RESULTS.md.)
	for _, tc := range []struct {
		mode     integer.Mode
		maxLogit float64 // max |logit difference| / max |logit|
		maxFlips float64 // fraction of activation codes that may differ
	}{
		{integer.ModeFloat, 0.01, 0.001},
		// Tables read an 8-bit input and I-BERT's polynomials are off by
		// up to 0.018 in GELU: on this model's fine output grids (GELU
		// outputs within ±0.28) most codes move, so only logits are
		// bounded.
		{integer.ModeLUT, 0.05, 1},
		{integer.ModeInteger, 0.08, 1},
	} {

		t.Run(string(tc.mode), func(t *testing.T) {
			m, err := NewModel(g, Options{Softmax: tc.mode, GELU: tc.mode, LayerNorm: tc.mode, Ranges: ranges})
			if err != nil {
				t.Fatal(err)
			}
			agree, maxDiff := agreement(t, g, m, test)
			rel := maxDiff / maxLogit(t, g, test)
			res, err := m.Convert(test[0].Shape())
			if err != nil {
				t.Fatal(err)
			}
			only, why := res.IntegerOnly()
			t.Logf("agreement %.4f, max |logit diff| %.3g (%.2f%% of the logit range), integer-only %v %s", agree, maxDiff, 100*rel, only, why)
			if only != (tc.mode != integer.ModeFloat) {
				t.Errorf("integer-only = %v for mode %s", only, tc.mode)
			}
			if rel > tc.maxLogit {
				t.Errorf("logits differ by %.2f%% of their range, want ≤ %.0f%%", 100*rel, 100*tc.maxLogit)
			}
			checkActivations(t, g, m, test[0], tc.maxFlips)
		})
	}
}

// maxLogit is the largest |logit| of the fake-quant model on xs.
func maxLogit(t *testing.T, g *graph.Graph, xs []*tensor.Tensor) float64 {
	t.Helper()
	sess, err := graph.NewSession(g)
	if err != nil {
		t.Fatal(err)
	}
	m := 0.0
	for _, x := range xs {
		y, err := sess.Run1(x)
		if err != nil {
			t.Fatal(err)
		}
		for _, v := range y.Float32() {
			m = max(m, float64(abs32(v)))
		}
	}
	return m
}
