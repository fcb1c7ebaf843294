package ptq

import (
	"math"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"t2c/config"
	"t2c/zoo"
)

func TestNewOptionsChecksQuantizers(t *testing.T) {
	cases := map[string]struct{ yaml, want string }{
		"unknown weight quantizer":    {"{wqtype: round_to_nearest}", "quantization.wqtype: unknown quantizer"},
		"unknown act quantizer":       {"{xqtype: lsq2}", "quantization.xqtype: unknown quantizer"},
		"mxint with 5 bits":           {"{wqtype: mxint, wbit: 5}", "4 or 8 bits"},
		"adaround on activations":     {"{xqtype: adaround}", "adaround quantizes weights"},
		"qdrop on weights":            {"{wqtype: qdrop}", "quantizes activations"},
		"17 bits":                     {"{wbit: 17}", "bits must be in 2..16"},
		"1 bit":                       {"{abit: 1}", "bits must be in 2..16"},
		"token weights":               {"{wgranularity: token}", "granularity"},
		"unknown option":              {"{xqtype: qdrop, xoptions: {q: 0.5}}", `unsupported attribute "q"`},
		"bad option value":            {"{xqtype: qdrop, xoptions: {p: 2}}", "must be in [0, 1]"},
		"override with bad quantizer": {`{overrides: [{match: "fc", wqtype: mxint, wbit: 6}]}`, "overrides[0]"},
		"first/last 8 bit mxint ok":   {"{wqtype: mxint, wbit: 4, first_last_8bit: true}", ""},
	}
	for name, tc := range cases {
		c, err := config.Parse([]byte("quantization: " + tc.yaml))
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if err := c.ValidateQuantization(); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		_, err = NewOptions(c.Quantization)
		switch {
		case tc.want == "" && err != nil:
			t.Errorf("%s: %v", name, err)
		case tc.want != "" && err == nil:
			t.Errorf("%s: accepted", name)
		case tc.want != "" && !strings.Contains(err.Error(), tc.want):
			t.Errorf("%s: error %q does not mention %q", name, err, tc.want)
		}
	}
	o, _ := options(t, "{wqtype: smoothquant, xqtype: smoothquant}")
	if !o.Smooth || o.SmoothAlpha != 0.5 {
		t.Fatalf("smoothquant quantizers imply SmoothQuant with α 0.5: %+v", o)
	}
}

func TestW8A8MinMaxKeepsAccuracy(t *testing.T) {
	calib, _ := testImages(t, 0, 128, 32)
	test, labels := testImages(t, 1000, 500, 100)
	g := loadCNN(t)
	float := g.Clone()
	o, _ := options(t, "{wbit: 8, abit: 8, wqtype: minmax_channel, xqtype: minmax}")
	rep, err := Run(g, calib, o)
	if err != nil {
		t.Fatal(err)
	}
	pf, pq := predict(t, float, test), predict(t, g, test)
	af, aq := accuracy(pf, labels), accuracy(pq, labels)
	if agreement(pf, pq) < 0.98 || math.Abs(af-aq) > 0.01 || af < 0.85 {
		t.Fatalf("float %.3f, W8A8 %.3f, agreement %.3f", af, aq, agreement(pf, pq))
	}
	if len(rep.Layers) != 5 || rep.CalibImages != 128 || rep.Blocks != nil {
		t.Fatalf("report: %d layers, %d images, %d blocks", len(rep.Layers), rep.CalibImages, len(rep.Blocks))
	}
	for _, l := range rep.Layers {
		if l.WBit != 8 || l.ABit != 8 || l.SQNRAfterDB < 30 || l.MSEBefore != l.MSEAfter {
			t.Errorf("layer %+v", l)
		}
	}
}

// TestReconstructionLowersBlockError runs W4A4 AdaRound + LSQ with
// reconstruction, checks that it lowers every block's error and the
// network's, and that the saved checkpoint reloads into the same
// fake-quantized model.
func TestReconstructionLowersBlockError(t *testing.T) {
	calib, _ := testImages(t, 0, 128, 32)
	test, _ := testImages(t, 1000, 200, 100)
	g := loadCNN(t)
	o, q := options(t, "{wbit: 4, abit: 4, wqtype: adaround, xqtype: lsq, iters: 80, lr: 0.01, scale_lr: 1e-4}")
	rep, err := Run(g, calib, o)
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Blocks) != 5 || rep.ReconInput != InputQuant {
		t.Fatalf("%d blocks, input %q", len(rep.Blocks), rep.ReconInput)
	}
	for _, b := range rep.Blocks {
		if !(b.MSEAfter < b.MSEBefore) || b.SQNRAfterDB <= b.SQNRBeforeDB || b.Learned == 0 || b.Iters != 80 {
			t.Errorf("block %s: MSE %.4g → %.4g, SQNR %.2f → %.2f, %d learned", b.Name, b.MSEBefore, b.MSEAfter, b.SQNRBeforeDB, b.SQNRAfterDB, b.Learned)
		}
	}
	last := rep.Layers[len(rep.Layers)-1]
	if !(last.MSEAfter < last.MSEBefore) {
		t.Errorf("the logits' error grew: %+v", last)
	}
	t.Log("\n" + rep.Table())

	path := filepath.Join(t.TempDir(), "model.safetensors")
	if err := SaveModel(path, g, config.Model{Path: fashionCNN}, q, nil); err != nil {
		t.Fatal(err)
	}
	back, q2, err := LoadModel(path)
	if err != nil {
		t.Fatal(err)
	}
	if q2 == nil || q2.WQType != "adaround" || q2.Iters != 80 {
		t.Fatalf("reloaded quantization section %+v", q2)
	}
	same(t, g, back, test)
}

func TestAdaRoundRegulariserIsInTheLoss(t *testing.T) {
	calib, _ := testImages(t, 0, 64, 32)
	run := func(lambda string) BlockStats {
		g := loadCNN(t)
		o, _ := options(t, "{wbit: 4, abit: 8, wqtype: adaround, xqtype: minmax, iters: 60, lr: 0.05, warmup: 0, skip: [conv1, conv3, conv4, fc], lambda: "+lambda+"}")
		rep, err := Run(g, calib, o)
		if err != nil {
			t.Fatal(err)
		}
		if len(rep.Blocks) != 1 || rep.Blocks[0].Name != "conv2" {
			t.Fatalf("blocks %+v", rep.Blocks)
		}
		return rep.Blocks[0]
	}
	off, on := run("0"), run("1")
	t.Logf("λ=0: %+v\nλ=1: %+v", off, on)
	if off.Reg != 0 || off.Loss != off.RecLoss {
		t.Fatalf("λ = 0: loss %g, rec %g, reg %g", off.Loss, off.RecLoss, off.Reg)
	}
	if on.Reg <= 0 || math.Abs(on.Loss-(on.RecLoss+on.Reg)) > 1e-6*on.Loss {
		t.Fatalf("λ = 1: loss %g is not rec %g + reg %g", on.Loss, on.RecLoss, on.Reg)
	}
	if !(on.HardRounding > off.HardRounding+0.05) {
		t.Fatalf("the regulariser does not push h(α) to 0 or 1: mean |2h−1| %.3f with λ, %.3f without", on.HardRounding, off.HardRounding)
	}
}

func TestTransformerBlockReconstructionWithSmoothQuant(t *testing.T) {
	calib, _ := testImages(t, 0, 64, 32)
	test, _ := testImages(t, 1000, 64, 64)
	g, err := zoo.Build("vit", zoo.Config{InChannels: 1, ImageSize: 28, Classes: 10, PatchSize: 7, Dim: 32, Depth: 1, Heads: 2, MLPRatio: 2, Seed: 3})
	if err != nil {
		t.Fatal(err)
	}
	m := config.Model{Zoo: "vit", Classes: 10, InChannels: 1, ImageSize: 28, PatchSize: 7, Dim: 32, Depth: 1, Heads: 2, MLPRatio: 2}
	o, q := options(t, "{wbit: 4, abit: 8, wqtype: adaround, xqtype: lsq, smoothquant_alpha: 0.5, iters: 40, lr: 0.01, scale_lr: 1e-4, recon_input: float}")
	rep, err := Run(g, calib, o)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Smooth == nil || len(rep.Smooth.Smoothed) == 0 {
		t.Fatalf("SmoothQuant did not run: %+v", rep.Smooth)
	}
	var kinds []string
	for _, b := range rep.Blocks {
		kinds = append(kinds, b.Kind)
		if !(b.MSEAfter <= b.MSEBefore) {
			t.Errorf("block %s: MSE %.4g → %.4g", b.Name, b.MSEBefore, b.MSEAfter)
		}
	}
	if !slices.Equal(kinds, []string{KindLayer, KindAttention, KindMLP, KindLayer}) {
		t.Fatalf("block kinds %v", kinds)
	}
	path := filepath.Join(t.TempDir(), "vit.safetensors")
	if err := SaveModel(path, g, m, q, nil); err != nil {
		t.Fatal(err)
	}
	back, _, err := LoadModel(path)
	if err != nil {
		t.Fatal(err)
	}
	same(t, g, back, test)
}
