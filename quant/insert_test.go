package quant_test

import (
	"math"
	"strings"
	"testing"

	"t2c/graph"
	"t2c/quant"
	"t2c/tensor"
	"t2c/zoo"
)

func resnet8(t *testing.T) *graph.Graph {
	t.Helper()
	g, err := zoo.Build("resnet8", zoo.Config{InChannels: 1, ImageSize: 28, Classes: 10, Seed: 3})
	if err != nil {
		t.Fatal(err)
	}
	return g
}

func tinyViT(t *testing.T) *graph.Graph {
	t.Helper()
	g, err := zoo.Build("vit", zoo.Config{InChannels: 1, ImageSize: 28, Classes: 10, Seed: 3, PatchSize: 7, Dim: 32, Depth: 2, Heads: 2})
	if err != nil {
		t.Fatal(err)
	}
	return g
}

// images returns a deterministic batch of 1×28×28 inputs.
func images(n int, seed uint64) *tensor.Tensor { return randn(seed, 1, n, 1, 28, 28) }

// byNode indexes a report's quantizers by FakeQuant node name.
func byNode(r *quant.Report) map[string]quant.Inserted {
	m := map[string]quant.Inserted{}
	for _, l := range r.Layers {
		for _, q := range l.Quantizers {
			m[q.Node] = q
		}
	}
	return m
}

func relErr(a, b []float32) float64 {
	var num, den float64
	for i := range a {
		d := float64(a[i] - b[i])
		num += d * d
		den += float64(b[i]) * float64(b[i])
	}
	return math.Sqrt(num / den)
}

func TestInsertResNet(t *testing.T) {
	g := resnet8(t)
	x := images(4, 1)
	float := run1(t, g.Clone(), x)
	rep, err := quant.Insert(g, quant.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Layers) != 10 || rep.Count() != 20 || len(quant.Nodes(g)) != 20 {
		t.Fatalf("%d layers, %d quantizers reported, %d in the graph; want 10, 20, 20\n%v", len(rep.Layers), rep.Count(), len(quant.Nodes(g)), rep)
	}
	q := byNode(rep)
	for name, signed := range map[string]bool{
		"conv1.aq":                 true,  // the image input
		"layer1.0.conv1.aq":        false, // after ReLU
		"layer1.0.conv2.aq":        false,
		"layer2.0.downsample.0.aq": false,
		"fc.aq":                    false, // flatten(avgpool(relu))
		"conv1.wq":                 true,
		"fc.wq":                    true,
	} {
		if q[name].Spec.Signed != signed {
			t.Errorf("%s: signed = %v, want %v", name, q[name].Spec.Signed, signed)
		}
	}
	if w := q["layer1.0.conv1.wq"]; w.Spec.Granularity != quant.PerChannel || w.Spec.Axis != 0 || w.Value != "layer1.0.conv1.weight" || w.Input != 1 {
		t.Errorf("layer1.0.conv1.wq: %+v", w)
	}
	for _, p := range []string{"layer1.0.conv1.wq.scale", "layer1.0.conv1.wq.zero_point", "layer1.0.conv1.aq.scale", "layer1.0.conv1.aq.min"} {
		if _, ok := g.Params[p]; !ok {
			t.Errorf("parameter %q missing", p)
		}
	}
	if s := g.Params["layer1.0.conv1.wq.scale"]; s.Len() != 16 {
		t.Errorf("per-channel weight scale has %d values, want 16", s.Len())
	}

	// Calibration observes the float model: the ReLU'd activation's scale
	// is its float maximum / 255.
	var relu float32
	fg := resnet8(t)
	sess, _ := graph.NewSession(fg)
	prog, _ := sess.Program(map[string][]int{"input": x.Shape()})
	prog.RunObserved(map[string]*tensor.Tensor{"input": x}, func(_ *graph.Node, out string, v *tensor.Tensor) {
		if out == q["layer1.0.conv1.aq"].Value {
			for _, e := range v.Float32() {
				relu = max(relu, e)
			}
		}
	})
	if err := quant.Calibrate(g, x); err != nil {
		t.Fatal(err)
	}
	if s, z := g.Params["layer1.0.conv1.aq.scale"].Float32()[0], g.Params["layer1.0.conv1.aq.zero_point"].Int32()[0]; s != relu/255 || z != 0 {
		t.Errorf("calibrated scale %v, zero point %d; want %v/255, 0", s, z, relu)
	}
	// W8A8 stays close to float; the float mode is exactly float.
	y := run1(t, g, x)
	if e := relErr(y.Float32(), float.Float32()); e > 0.05 || e == 0 {
		t.Errorf("W8A8 relative error %v", e)
	}
	quant.SetMode(g, quant.ModeFloat)
	near(t, "float mode", run1(t, g, x).Float32(), float.Float32(), 0)
}

func TestInsertOptions(t *testing.T) {
	g := resnet8(t)
	rep, err := quant.Insert(g, quant.Options{
		WBits: 4, ABits: 4, FirstLast8Bit: true,
		Skip:      []string{"layer2.*"},
		Overrides: []quant.Override{{Match: "layer3.*", WBits: 2, AAlgo: "lsq"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	q := byNode(rep)
	for name, bits := range map[string]int{
		"conv1.wq": 8, "conv1.aq": 8, "fc.wq": 8, "fc.aq": 8, // first and last
		"layer1.0.conv1.wq": 4, "layer1.0.conv1.aq": 4,
		"layer3.0.conv1.wq": 2, "layer3.0.conv1.aq": 4,
	} {
		if q[name].Spec.Bits != bits {
			t.Errorf("%s: %d bits, want %d", name, q[name].Spec.Bits, bits)
		}
	}
	if q["layer3.0.conv2.aq"].Algo != "lsq" || q["layer1.0.conv2.aq"].Algo != "minmax" {
		t.Errorf("override algorithms: %q, %q", q["layer3.0.conv2.aq"].Algo, q["layer1.0.conv2.aq"].Algo)
	}
	skipped := 0
	for _, l := range rep.Layers {
		if strings.HasPrefix(l.Layer, "layer2.") {
			if !l.Skipped || len(l.Quantizers) != 0 {
				t.Errorf("%s: not skipped", l.Layer)
			}
			skipped++
		}
	}
	if skipped != 3 || rep.Count() != 14 || len(quant.Nodes(g)) != 14 {
		t.Errorf("skipped %d layers, %d quantizers; want 3, 14", skipped, rep.Count())
	}
	learn, _ := quant.Learnable(g)
	if len(learn) != 3 { // the three lsq activation scales of layer3
		t.Errorf("learnable %v, want the 3 lsq scales", learn)
	}
	if !strings.Contains(rep.String(), "(skipped)") {
		t.Errorf("report table:\n%v", rep)
	}
	if err := quant.Calibrate(g, images(2, 2)); err != nil {
		t.Fatal(err)
	}
	run1(t, g, images(3, 3))
}

func TestInsertViT(t *testing.T) {
	g := tinyViT(t)
	x := images(2, 4)
	float := run1(t, g.Clone(), x)
	rep, err := quant.Insert(g, quant.Options{})
	if err != nil {
		t.Fatal(err)
	}
	// Per block: qkv, scores, context, proj, fc1, fc2 with two quantizers
	// each; plus the patch embedding and the head.
	if rep.Count() != 28 {
		t.Fatalf("%d quantizers, want 28\n%v", rep.Count(), rep)
	}
	q := byNode(rep)
	for name, signed := range map[string]bool{
		"blocks.0.attn.qkv.aq":     true,  // LayerNorm output
		"blocks.0.attn.scores.aq":  true,  // q
		"blocks.0.attn.scores.bq":  true,  // kᵀ
		"blocks.0.attn.context.aq": false, // softmax
		"blocks.0.attn.context.bq": true,  // v
		"blocks.1.mlp.fc2.aq":      true,  // GELU output can be negative
	} {
		in, ok := q[name]
		if !ok {
			t.Fatalf("no quantizer %s", name)
		}
		if in.Spec.Signed != signed || in.Spec.Role != quant.Activation {
			t.Errorf("%s: %+v, want a signed=%v activation quantizer", name, in.Spec, signed)
		}
	}
	if q["blocks.0.attn.scores.aq"].Input != 0 || q["blocks.0.attn.scores.bq"].Input != 1 {
		t.Errorf("attention operands: %+v %+v", q["blocks.0.attn.scores.aq"], q["blocks.0.attn.scores.bq"])
	}
	if err := quant.Calibrate(g, x); err != nil {
		t.Fatal(err)
	}
	if e := relErr(run1(t, g, x).Float32(), float.Float32()); e > 0.1 || e == 0 {
		t.Errorf("W8A8 ViT relative error %v", e)
	}
}

// Token-wise quantizers on a ViT: minmax_token for any batch, lsq_token
// with one learned scale per token of a sample (17 = 16 patches + class).
func TestInsertViTTokenWise(t *testing.T) {
	for _, algo := range []string{"minmax_token", "lsq_token"} {
		g := tinyViT(t)
		if _, err := quant.Insert(g, quant.Options{AAlgo: algo}); err != nil {
			t.Fatal(err)
		}
		if err := quant.Calibrate(g, images(2, 5)); err != nil {
			t.Fatal(err)
		}
		if y := run1(t, g, images(3, 6)); y.Dim(0) != 3 {
			t.Fatalf("%s: output %v", algo, y.Shape())
		}
		if algo == "lsq_token" {
			if n := g.Params["blocks.0.attn.qkv.aq.scale"].Len(); n != 17 {
				t.Errorf("lsq_token qkv input: %d scales, want 17", n)
			}
			if n := g.Params["blocks.0.attn.scores.aq.scale"].Len(); n != 34 {
				t.Errorf("lsq_token q operand [1, 2 heads, 17, 16]: %d scales, want 34", n)
			}
		}
	}
}

func TestInsertErrors(t *testing.T) {
	for _, c := range []struct {
		o    quant.Options
		want string
	}{
		{quant.Options{WAlgo: "mxint", WBits: 5}, "4 or 8 bits"},
		{quant.Options{WAlgo: "nosuch"}, "not registered"},
		{quant.Options{WBits: 1}, "2..16"},
		{quant.Options{ABits: 17}, "2..16"},
		{quant.Options{WAlgo: "minmax_token"}, "token granularity"},
		{quant.Options{AAlgo: "adaround"}, "weights"},
		{quant.Options{WAlgo: "qdrop"}, "activations"},
		{quant.Options{AGranularity: "row"}, "granularity"},
		{quant.Options{Skip: []string{"["}}, "pattern"},
		{quant.Options{Overrides: []quant.Override{{Match: "layer1.*", WBits: 20}}}, "2..16"},
		{quant.Options{Overrides: []quant.Override{{Match: "fc", AAlgo: "mxint", ABits: 6}}}, "4 or 8 bits"},
		{quant.Options{AOptions: map[string]graph.Attr{"nonsense": graph.IntAttr(1)}}, "nonsense"},
	} {
		g := resnet8(t)
		nodes, params := len(g.Nodes), len(g.Params)
		_, err := quant.Insert(g, c.o)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%+v: err = %v, want one mentioning %q", c.o, err, c.want)
		}
		if len(g.Nodes) != nodes || len(g.Params) != params || len(quant.Nodes(g)) != 0 {
			t.Errorf("%+v: the graph changed on error", c.o)
		}
	}
	g := resnet8(t)
	if _, err := quant.Insert(g, quant.Options{}); err != nil {
		t.Fatal(err)
	}
	if _, err := quant.Insert(g, quant.Options{}); err == nil || !strings.Contains(err.Error(), "already") {
		t.Errorf("second Insert: err = %v", err)
	}
}

// Every built-in algorithm places, calibrates and runs on a ResNet, where
// its role allows it.
func TestEveryAlgorithmRuns(t *testing.T) {
	weights := []string{"identity", "minmax", "minmax_channel", "mse", "percentile", "lsq", "adaround", "smoothquant", "mxint", "smooth_channel"}
	acts := []string{"identity", "minmax", "minmax_channel", "minmax_token", "mse", "percentile", "lsq", "qdrop", "smoothquant", "mxint", "smooth"}
	small := func() *graph.Graph {
		g, err := zoo.Build("resnet8", zoo.Config{InChannels: 1, ImageSize: 8, Classes: 10, Seed: 3})
		if err != nil {
			t.Fatal(err)
		}
		return g
	}
	x := randn(7, 1, 2, 1, 8, 8)
	float := run1(t, small(), x)
	for i := 0; i < max(len(weights), len(acts)); i++ {
		o := quant.Options{WAlgo: weights[i%len(weights)], AAlgo: acts[i%len(acts)]}
		g := small()
		if _, err := quant.Insert(g, o); err != nil {
			t.Fatalf("%s/%s: %v", o.WAlgo, o.AAlgo, err)
		}
		if err := quant.Calibrate(g, x); err != nil {
			t.Fatalf("%s/%s: %v", o.WAlgo, o.AAlgo, err)
		}
		y := run1(t, g, x)
		if e := relErr(y.Float32(), float.Float32()); !(e < 0.2) {
			t.Errorf("%s/%s: relative error %v at 8 bits", o.WAlgo, o.AAlgo, e)
		}
	}
}
