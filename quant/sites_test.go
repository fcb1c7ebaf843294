package quant_test

import (
	"errors"
	"path/filepath"
	"slices"
	"testing"

	"t2c/autodiff"
	"t2c/checkpoint"
	"t2c/graph"
	"t2c/quant"
)

// Only learned quantizer state is trainable: LSQ's scale and AdaRound's α,
// never observer statistics or min-max scales; weights stay trainable.
func TestTrainable(t *testing.T) {
	g := resnet8(t)
	if _, err := quant.Insert(g, quant.Options{WAlgo: "adaround", AAlgo: "lsq", WBits: 4, ABits: 4,
		Overrides: []quant.Override{{Match: "fc", AAlgo: "minmax"}}}); err != nil {
		t.Fatal(err)
	}
	p, err := autodiff.Compile(g, map[string][]int{"input": {2, 1, 28, 28}}, autodiff.Options{Trainable: quant.Trainable(g, nil)})
	if err != nil {
		t.Fatal(err)
	}
	tr := p.Trainable()
	for _, name := range []string{"layer1.0.conv1.wq.alpha", "layer1.0.conv1.aq.scale", "layer1.0.conv1.weight"} {
		if !slices.Contains(tr, name) {
			t.Errorf("%s is not trainable", name)
		}
	}
	for _, name := range []string{"layer1.0.conv1.wq.scale", "layer1.0.conv1.aq.min", "fc.aq.scale", "fc.aq.max"} {
		if slices.Contains(tr, name) {
			t.Errorf("%s is trainable", name)
		}
	}
	learn, _ := quant.Learnable(g)
	if len(learn) != 19 { // 10 α + 9 lsq scales (fc's activation is minmax)
		t.Errorf("%d learnable parameters, want 19: %v", len(learn), learn)
	}
	// The fake-quant model is saved like any model, integer zero points included.
	path := filepath.Join(t.TempDir(), "q.safetensors")
	if err := checkpoint.Save(path, g.Params, nil); err != nil {
		t.Fatal(err)
	}
	back, _, err := checkpoint.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	if z := back["layer1.0.conv1.aq.zero_point"]; z == nil || z.DType() != g.Params["layer1.0.conv1.aq.zero_point"].DType() {
		t.Errorf("zero point after a checkpoint round trip: %v", z)
	}
}

// Calibrator observes only the chosen nodes and restores every mode.
func TestCalibratorModes(t *testing.T) {
	g := resnet8(t)
	if _, err := quant.Insert(g, quant.Options{}); err != nil {
		t.Fatal(err)
	}
	sites, _ := quant.Sites(g)
	var target *quant.Site
	for _, s := range sites {
		if s.Layer == "layer2.0.conv1" && s.Role() == quant.Activation {
			target = s
		}
	}
	quant.SetMode(g, quant.ModeQuantize, sites[0].Node)
	c, err := quant.NewCalibrator(g, target.Node)
	if err != nil {
		t.Fatal(err)
	}
	if quant.ModeOf(target.Node) != quant.ModeObserve || quant.ModeOf(sites[0].Node) != quant.ModeQuantize {
		t.Fatal("calibrator did not set the modes")
	}
	if err := c.Run1(images(2, 9)); err != nil {
		t.Fatal(err)
	}
	c.Close()
	if quant.ModeOf(target.Node) != quant.ModeAuto || quant.ModeOf(sites[0].Node) != quant.ModeQuantize {
		t.Errorf("modes after Close: %v, %v", quant.ModeOf(target.Node), quant.ModeOf(sites[0].Node))
	}
	if s := g.Params[target.Param("scale")].Float32()[0]; s == 1 {
		t.Error("the target was not calibrated")
	}
	if s := g.Params[sites[2].Param("scale")].Float32()[0]; s != 1 {
		t.Errorf("%s was calibrated too (scale %v)", sites[2].Node.Name, s)
	}
	if err := quant.SetMode(g, "sleep"); err == nil {
		t.Error("unknown mode accepted")
	}
}

// identity leaves values float and has no integers; Attach places a
// quantizer anywhere, here on the model output.
func TestIdentityAndAttach(t *testing.T) {
	g, site := single(t, "identity", s8, nil, []int{-1}, nil)
	x := vec(0.123, -4.56)
	near(t, "identity", run1(t, g, x).Float32(), x.Float32(), 0)
	if _, err := site.QParams(x); !errors.Is(err, quant.ErrNotQuantized) {
		t.Errorf("identity QParams: err = %v", err)
	}
	g = resnet8(t)
	g.Nodes = append(g.Nodes, &graph.Node{Name: "out", Op: "Identity", Inputs: []string{"output"}, Outputs: []string{"logits"}})
	g.Outputs[0].Name = "logits"
	s, err := quant.Attach(g, "output", nil, quant.Placement{Algo: "minmax", Spec: s8, Name: "fc.yq", Layer: "fc"})
	if err != nil {
		t.Fatal(err)
	}
	if s.Node.Name != "fc.yq" || g.Params["fc.yq.scale"] == nil {
		t.Fatalf("attached %v", s.Node)
	}
	if err := quant.Calibrate(g, images(2, 1)); err != nil {
		t.Fatal(err)
	}
	run1(t, g, images(1, 2))
}

func TestRegistry(t *testing.T) {
	for _, name := range []string{"identity", "minmax", "minmax_channel", "minmax_token", "mse", "percentile", "lsq", "lsq_token",
		"adaround", "qdrop", "smoothquant", "mxint"} {
		if _, ok := quant.Lookup(name); !ok {
			t.Errorf("%s is not registered", name)
		}
	}
	defer func() {
		if recover() == nil {
			t.Error("registering minmax twice did not panic")
		}
	}()
	quant.Register("minmax", func(quant.Spec, *graph.Attrs) (quant.Quantizer, error) { return nil, nil })
}
