package zoo_test

import (
	"fmt"
	"math"
	"runtime"
	"slices"
	"strings"
	"testing"

	"t2c/graph"
	"t2c/tensor"
	"t2c/zoo"
)

// Full-size parameter counts, as PyTorch reports sum(p.numel() for p in
// model.parameters()) (scripts/make_zoo_fixtures.py --counts): torchvision
// for ResNet, VGG and MobileNetV2, timm's layout for ViT (patch 16, 224×224,
// 1000 classes), the common implementation for MobileNetV1, and the CIFAR
// ResNets with option-B shortcuts at 10 classes.
var fullSizeCounts = []struct {
	model string
	cfg   zoo.Config
	count int
}{
	{"resnet18", zoo.Config{}, 11_689_512},
	{"resnet34", zoo.Config{}, 21_797_672},
	{"resnet50", zoo.Config{}, 25_557_032},
	{"vgg11_bn", zoo.Config{}, 132_868_840},
	{"vgg16_bn", zoo.Config{}, 138_365_992},
	{"mobilenet_v1", zoo.Config{}, 4_231_976},
	{"mobilenet_v2", zoo.Config{}, 3_504_872},
	{"resnet20", zoo.Config{}, 272_474},
	{"resnet56", zoo.Config{}, 855_770},
	{"vit_tiny", zoo.Config{}, 5_717_416},
	{"vit_small", zoo.Config{}, 22_050_664},
	{"vit_base", zoo.Config{}, 86_567_656},
}

func TestFullSizeParamCounts(t *testing.T) {
	// With SkipInit the parameters stay zero. Fresh zero memory from the OS
	// is never touched, so keeping every graph alive until the end (rather
	// than letting the next build reuse, and so re-zero, freed memory) keeps
	// the test's resident memory small although the models hold 1.3 GB.
	var keep []*graph.Graph
	for _, c := range fullSizeCounts {
		c.cfg.SkipInit = true
		g, err := zoo.Build(c.model, c.cfg)
		if err != nil {
			t.Fatalf("%s: %v", c.model, err)
		}
		keep = append(keep, g)
		if got := zoo.ParamCount(g); got != c.count {
			t.Errorf("%s: %d parameters, PyTorch has %d", c.model, got, c.count)
		}
	}
	runtime.KeepAlive(keep)
}

func TestResNet18ImageNetShape(t *testing.T) {
	g, err := zoo.Build("resnet18", zoo.Config{SkipInit: true})
	if err != nil {
		t.Fatal(err)
	}
	if got := zoo.ParamCount(g); got != 11_689_512 {
		t.Errorf("resnet18: %d parameters, torchvision has 11,689,512", got)
	}
	sg, _, err := graph.Specialize(g, map[string][]int{zoo.InputName: {1, 3, 224, 224}})
	if err != nil {
		t.Fatal(err)
	}
	if got := sg.Outputs[0].Shape; !slices.Equal(got, []int{1, 1000}) {
		t.Errorf("output shape %v, want [1 1000]", got)
	}
}

// TestEveryModelSpecializes builds every model at a small size and checks
// the inferred output shape at two batch sizes.
func TestEveryModelSpecializes(t *testing.T) {
	for _, name := range zoo.Names() {
		cfg := zoo.Config{Classes: 7, ImageSize: 32, SkipInit: true}
		if strings.HasPrefix(name, "vit") {
			cfg.PatchSize = 8
		}
		g, err := zoo.Build(name, cfg)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if g.Opset != zoo.Opset || len(g.Inputs) != 1 || g.Inputs[0].Name != zoo.InputName || g.Outputs[0].Name != zoo.OutputName {
			t.Errorf("%s: opset %d, inputs %v, outputs %v", name, g.Opset, g.Inputs, g.Outputs)
		}
		if !slices.Equal(g.Inputs[0].Shape, []int{-1, 3, 32, 32}) || !slices.Equal(g.Outputs[0].Shape, []int{-1, 7}) {
			t.Errorf("%s: input %v, output %v", name, g.Inputs[0].Shape, g.Outputs[0].Shape)
		}
		for _, batch := range []int{1, 5} {
			sg, _, err := graph.Specialize(g, map[string][]int{zoo.InputName: {batch, 3, 32, 32}})
			if err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			if got := sg.Outputs[0].Shape; !slices.Equal(got, []int{batch, 7}) {
				t.Errorf("%s: output shape %v at batch %d", name, got, batch)
			}
		}
		for pname, p := range g.Params {
			if p.DType() != tensor.Float32 {
				t.Errorf("%s: parameter %s is %v, want float32 model state only", name, pname, p.DType())
			}
		}
	}
}

// TestBatchIndependence runs the ViT (whose class token is expanded to the
// batch size inside the graph) and a ResNet on batches of 1 and 3: each
// image's logits must not depend on the rest of the batch.
func TestBatchIndependence(t *testing.T) {
	for _, c := range []struct {
		model string
		cfg   zoo.Config
	}{
		{"vit", zoo.Config{Classes: 5, ImageSize: 16, PatchSize: 4, Dim: 24, Depth: 2, Heads: 2, Seed: 3}},
		{"resnet8", zoo.Config{Classes: 5, ImageSize: 8, Seed: 3}},
	} {
		g, err := zoo.Build(c.model, c.cfg)
		if err != nil {
			t.Fatal(err)
		}
		s, err := graph.NewSession(g)
		if err != nil {
			t.Fatal(err)
		}
		x := tensor.Zeros(tensor.Float32, 3, 3, c.cfg.ImageSize, c.cfg.ImageSize)
		for i := range x.Float32() {
			x.Float32()[i] = float32(math.Sin(float64(i)))
		}
		y3, err := s.Run1(x)
		if err != nil {
			t.Fatal(err)
		}
		for b := range 3 {
			n := x.Len() / 3
			xb := tensor.New([]int{1, 3, c.cfg.ImageSize, c.cfg.ImageSize}, x.Float32()[b*n:(b+1)*n])
			y1, err := s.Run1(xb)
			if err != nil {
				t.Fatal(err)
			}
			for j, v := range y1.Float32() {
				if d := math.Abs(float64(v - y3.Float32()[b*5+j])); d > 1e-5 {
					t.Errorf("%s: image %d logit %d differs by %g between batch 1 and batch 3", c.model, b, j, d)
				}
			}
		}
	}
}

func TestModuleNames(t *testing.T) {
	g, err := zoo.Build("resnet18", zoo.Config{SkipInit: true})
	if err != nil {
		t.Fatal(err)
	}
	nodes := map[string]*graph.Node{}
	for _, n := range g.Nodes {
		nodes[n.Name] = n
	}
	for name, want := range map[string]struct {
		op     string
		inputs []string
	}{
		"conv1":                 {"Conv", []string{"input", "conv1.weight"}},
		"layer1.0.conv1":        {"Conv", []string{"maxpool", "layer1.0.conv1.weight"}},
		"layer2.0.downsample.0": {"Conv", []string{"layer1.1.relu_1", "layer2.0.downsample.0.weight"}},
		"layer2.0.bn1":          {"BatchNormalization", []string{"layer2.0.conv1", "layer2.0.bn1.weight", "layer2.0.bn1.bias", "layer2.0.bn1.running_mean", "layer2.0.bn1.running_var"}},
		"fc":                    {"Gemm", []string{"flatten", "fc.weight", "fc.bias"}},
	} {
		n := nodes[name]
		if n == nil {
			t.Errorf("no node %q", name)
			continue
		}
		if n.Op != want.op || !slices.Equal(n.Inputs, want.inputs) {
			t.Errorf("node %q: %s%v, want %s%v", name, n.Op, n.Inputs, want.op, want.inputs)
		}
	}
	if n := nodes["fc"]; n != nil && (n.Outputs[0] != zoo.OutputName || n.Attrs["transB"].Int != 1) {
		t.Errorf("fc: outputs %v, transB %v", n.Outputs, n.Attrs["transB"])
	}
}

func TestDeterministicInit(t *testing.T) {
	build := func(seed uint64) *graph.Graph {
		g, err := zoo.Build("resnet20", zoo.Config{Seed: seed})
		if err != nil {
			t.Fatal(err)
		}
		return g
	}
	a, b, c := build(1), build(1), build(2)
	for name, p := range a.Params {
		if !slices.Equal(p.Float32(), b.Params[name].Float32()) {
			t.Errorf("%s differs between two builds with the same seed", name)
		}
	}
	if slices.Equal(a.Params["layer1.0.conv1.weight"].Float32(), c.Params["layer1.0.conv1.weight"].Float32()) {
		t.Error("seeds 1 and 2 give the same weights")
	}
}

// stats returns the mean and standard deviation of a parameter.
func stats(p *tensor.Tensor) (mean, std float64) {
	w := p.Float32()
	for _, v := range w {
		mean += float64(v)
	}
	mean /= float64(len(w))
	for _, v := range w {
		std += (float64(v) - mean) * (float64(v) - mean)
	}
	return mean, math.Sqrt(std / float64(len(w)))
}

func TestInitDistributions(t *testing.T) {
	rn, err := zoo.Build("resnet18", zoo.Config{Stem: "cifar", Seed: 7})
	if err != nil {
		t.Fatal(err)
	}
	vit, err := zoo.Build("vit_tiny", zoo.Config{ImageSize: 32, PatchSize: 4, Depth: 1, Seed: 7})
	if err != nil {
		t.Fatal(err)
	}
	mv2, err := zoo.Build("mobilenet_v2", zoo.Config{ImageSize: 32, Classes: 10, Seed: 7})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		g         *graph.Graph
		name      string
		mean, std float64
	}{
		{rn, "layer4.1.conv2.weight", 0, math.Sqrt(2.0 / (512 * 9))}, // kaiming fan_out
		{rn, "fc.weight", 0, 1 / math.Sqrt(512) / math.Sqrt(3)},      // U(±1/√512)
		{vit, "blocks.0.mlp.fc1.weight", 0, 0.02},                    // trunc_normal .02
		{vit, "pos_embed", 0, 0.02},
		{mv2, "classifier.1.weight", 0, 0.01},
	} {
		mean, std := stats(c.g.Params[c.name])
		if math.Abs(mean) > 0.1*c.std || math.Abs(std-c.std) > 0.05*c.std {
			t.Errorf("%s: mean %.4g std %.4g, want 0 and %.4g", c.name, mean, std, c.std)
		}
	}
	for _, c := range []struct {
		g    *graph.Graph
		name string
		v    float32
	}{
		{rn, "layer1.0.bn1.weight", 1}, {rn, "layer1.0.bn1.bias", 0}, {rn, "layer1.0.bn1.running_mean", 0},
		{rn, "layer1.0.bn1.running_var", 1}, {vit, "blocks.0.attn.qkv.bias", 0}, {vit, "norm.weight", 1},
		{mv2, "classifier.1.bias", 0},
	} {
		for _, v := range c.g.Params[c.name].Float32() {
			if v != c.v {
				t.Errorf("%s holds %v, want all %v", c.name, v, c.v)
				break
			}
		}
	}
}

func TestBuildErrors(t *testing.T) {
	for _, c := range []struct {
		model string
		cfg   zoo.Config
		want  string
	}{
		{"resnet99", zoo.Config{}, `unknown model "resnet99" (known: mobilenet_v1, mobilenet_v2, resnet18,`},
		{"resnet18", zoo.Config{Stem: "tiny"}, `Config.Stem must be "imagenet" or "cifar"`},
		{"resnet20", zoo.Config{Stem: "cifar"}, "resnet20 does not use Config.Stem"},
		{"resnet18", zoo.Config{Width: 0.5}, "resnet18 does not use Config.Width"},
		{"vgg16_bn", zoo.Config{Dim: 8}, "vgg16_bn does not use Config.Dim"},
		{"resnet18", zoo.Config{Classes: -1}, "Config.Classes must be positive"},
		{"vgg11_bn", zoo.Config{ImageSize: 16}, "ImageSize must be at least 32"},
		{"mobilenet_v2", zoo.Config{Width: -1}, "Config.Width must be positive"},
		{"vit_base", zoo.Config{ImageSize: 100}, "ImageSize 100 is not divisible by Config.PatchSize 16"},
		{"vit", zoo.Config{Dim: 100}, "Config.Dim 100 is not divisible by Config.Heads 3"},
		{"vit", zoo.Config{MLPRatio: -2}, "MLPRatio must be positive"},
	} {
		_, err := zoo.Build(c.model, c.cfg)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("Build(%q, %+v): error %v, want it to contain %q", c.model, c.cfg, err, c.want)
		}
	}
}

func ExampleBuild() {
	g, err := zoo.Build("resnet20", zoo.Config{Seed: 1})
	if err != nil {
		panic(err)
	}
	fmt.Println(g.Inputs[0].Shape, g.Outputs[0].Shape, zoo.ParamCount(g))
	fmt.Println(g.Params["layer2.0.downsample.0.weight"].Shape())
	// Output:
	// [-1 3 32 32] [-1 10] 272474
	// [32 16 1 1]
}
