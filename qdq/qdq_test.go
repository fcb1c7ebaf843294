package qdq

import (
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"t2c/graph"
	"t2c/onnx"
	"t2c/quant"
	"t2c/tensor"
	"t2c/zoo"
)

// randn is a batch of standard normal values times amp.
func randn(r *rand.Rand, amp float32, shape ...int) *tensor.Tensor {
	x := tensor.Zeros(tensor.Float32, shape...)
	for i := range x.Float32() {
		x.Float32()[i] = amp * float32(r.NormFloat64())
	}
	return x
}

// model builds one of the test models at batch shape [n, c, s, s].
type model struct {
	name  string
	load  func(t *testing.T) *graph.Graph
	input []int // one sample's shape
}

var models = []model{
	{"resnet8", func(t *testing.T) *graph.Graph {
		g, err := zoo.Build("resnet8", zoo.Config{InChannels: 1, ImageSize: 28, Classes: 10, Seed: 3})
		if err != nil {
			t.Fatal(err)
		}
		return g
	}, []int{1, 28, 28}},
	{"pytorch-resnet", loadONNX("../testdata/pytorch/resnet.onnx"), []int{3, 32, 32}},
	{"pytorch-vit", loadONNX("../testdata/pytorch/vit.onnx"), []int{3, 32, 32}},
}

func loadONNX(path string) func(t *testing.T) *graph.Graph {
	return func(t *testing.T) *graph.Graph {
		g, err := onnx.Load(path)
		if err != nil {
			t.Fatal(err)
		}
		return g
	}
}

var formats = []struct {
	name string
	opts quant.Options
}{
	{"W8A8", quant.Options{WBits: 8, ABits: 8}},
	{"W4A4", quant.Options{WBits: 4, ABits: 4, FirstLast8Bit: true}},
	{"W4A4-adaround-lsq", quant.Options{WBits: 4, ABits: 4, WAlgo: "adaround", AAlgo: "lsq", FirstLast8Bit: true}},
	{"W3A5-qdrop", quant.Options{WBits: 3, ABits: 5, WAlgo: "adaround", AAlgo: "qdrop"}},
}

// quantized inserts and calibrates quantizers on a fresh model. AdaRound's
// α is then drawn at random, so its learned rounding differs from
// round-to-nearest and only an exact export of the integers matches.
func quantized(t *testing.T, m model, opts quant.Options, r *rand.Rand) *graph.Graph {
	t.Helper()
	g := m.load(t)
	if _, err := quant.Insert(g, opts); err != nil {
		t.Fatal(err)
	}
	batch := append([]int{4}, m.input...)
	if err := quant.Calibrate(g, randn(r, 1, batch...), randn(r, 1, batch...)); err != nil {
		t.Fatal(err)
	}
	sites, err := quant.Sites(g)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range sites {
		if p := s.Param("alpha"); p != "" {
			g.Params[p] = randn(r, 3, g.Params[p].Shape()...)
		}
	}
	return g
}

func run(t *testing.T, g *graph.Graph, x *tensor.Tensor) []float32 {
	t.Helper()
	sess, err := graph.NewSession(g)
	if err != nil {
		t.Fatal(err)
	}
	y, err := sess.Run1(x)
	if err != nil {
		t.Fatal(err)
	}
	return slices.Clone(y.Float32())
}

// sameBits requires bit-identical outputs: the QDQ graph computes the same
// integers and dequantizes them with the same float32 products, and every
// other op is unchanged.
func sameBits(t *testing.T, what string, got, want []float32) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: %d outputs, want %d", what, len(got), len(want))
	}
	for i := range want {
		if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
			t.Fatalf("%s: output %d is %v, fake-quant %v", what, i, got[i], want[i])
		}
	}
}

func TestConvertMatchesFakeQuant(t *testing.T) {
	for _, m := range models {
		for _, f := range formats {
			t.Run(m.name+"/"+f.name, func(t *testing.T) {
				r := rand.New(rand.NewPCG(1, 2))
				g := quantized(t, m, f.opts, r)
				// 1.5× the calibration amplitude: activations clamp at both ends.
				x := randn(r, 1.5, append([]int{3}, m.input...)...)
				want := run(t, g, x)
				nodes, params := len(g.Nodes), len(g.Params)

				h, err := Convert(g)
				if err != nil {
					t.Fatal(err)
				}
				if len(g.Nodes) != nodes || len(g.Params) != params || len(quant.Nodes(g)) == 0 {
					t.Fatal("Convert changed its input graph")
				}
				checkStructure(t, g, h)
				sameBits(t, "QDQ graph", run(t, h, x), want)

				data, err := onnx.Encode(h)
				if err != nil {
					t.Fatal(err)
				}
				d, err := onnx.Decode(data, m.name+".onnx")
				if err != nil {
					t.Fatal(err)
				}
				if d.Opset < MinOpset {
					t.Fatalf("decoded opset %d", d.Opset)
				}
				sameBits(t, "decoded QDQ model", run(t, d, x), want)
			})
		}
	}
}

// checkStructure checks that h has no FakeQuant nodes, that every weight
// quantizer became its integers (site.Integer, so AdaRound's rounding) in
// an int8 initializer read by DequantizeLinear, and that the float weight
// and quantizer state are gone.
func checkStructure(t *testing.T, g, h *graph.Graph) {
	t.Helper()
	if n := len(quant.Nodes(h)); n > 0 {
		t.Fatalf("%d FakeQuant nodes left", n)
	}
	if h.Opset < MinOpset {
		t.Fatalf("opset %d", h.Opset)
	}
	sites, err := quant.Sites(g)
	if err != nil {
		t.Fatal(err)
	}
	byName := map[string]*graph.Node{}
	for _, n := range h.Nodes {
		byName[n.Name] = n
	}
	for _, s := range sites {
		dq := byName[s.Node.Name+"/DequantizeLinear"]
		if dq == nil || dq.Outputs[0] != s.Node.Outputs[0] {
			t.Fatalf("%v: no DequantizeLinear writing %q", s.Node, s.Node.Outputs[0])
		}
		for _, p := range s.StateParams() {
			if _, kept := h.Params[p]; kept && !strings.HasSuffix(p, ".scale") && !strings.HasSuffix(p, ".zero_point") {
				t.Errorf("%v: state %q kept", s.Node, p)
			}
		}
		if s.Role() != quant.Weight {
			if byName[s.Node.Name+"/QuantizeLinear"] == nil {
				t.Fatalf("%v: no QuantizeLinear", s.Node)
			}
			continue
		}
		want, _, err := s.Integer(nil)
		if err != nil {
			t.Fatal(err)
		}
		got := h.Params[dq.Inputs[0]]
		if got == nil || got.DType() != tensor.Int8 || !slices.Equal(got.Int8(), want.Int8()) {
			t.Fatalf("%v: weight initializer %q is %v, want the site's int8 integers", s.Node, dq.Inputs[0], got)
		}
		if _, kept := h.Params[s.Input()]; kept {
			t.Errorf("%v: float weight %q kept", s.Node, s.Input())
		}
		if s.Algo == "adaround" && s.Quantizer.Spec().Bits < 8 {
			p, _ := s.QParams(nil)
			nearest, _ := p.Quantize(g.Params[s.Input()])
			if slices.Equal(nearest.Int8(), want.Int8()) {
				t.Fatalf("%v: AdaRound's rounding equals round-to-nearest; the test proves nothing", s.Node)
			}
		}
	}
}

// Narrow activations are clipped to their own range before
// QuantizeLinear, whose saturation is 8-bit; ties round to even.
func TestConvertNarrowActivationClipAndTies(t *testing.T) {
	g := graph.New("gemm", MinOpset)
	g.Inputs = []graph.ValueInfo{{Name: "x", DType: tensor.Float32, Shape: []int{-1, 4}}}
	g.Outputs = []graph.ValueInfo{{Name: "y", DType: tensor.Float32, Shape: []int{-1, 4}}}
	g.Params["fc.weight"] = tensor.New([]int{4, 4}, []float32{1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1})
	g.Nodes = []*graph.Node{{Name: "fc", Op: "Gemm", Inputs: []string{"x", "fc.weight"}, Outputs: []string{"y"}, Attrs: map[string]graph.Attr{"transB": graph.IntAttr(1)}}}
	if _, err := quant.Insert(g, quant.Options{WBits: 4, ABits: 4, AGranularity: quant.PerTensor}); err != nil {
		t.Fatal(err)
	}
	sites, err := quant.Sites(g)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range sites {
		if s.Role() == quant.Activation {
			// signed 4-bit, s = 0.5, z = 0: range [−4, 3.5]
			g.Params[s.Param("scale")].Float32()[0] = 0.5
		} else if err := quant.SetMode(g, quant.ModeFloat, s.Node); err != nil {
			// a float identity weight passes the quantized input through exactly
			t.Fatal(err)
		}
	}
	x := tensor.New([]int{3, 4}, []float32{0.25, 0.75, -0.25, -0.75, 1.25, 3.75, -4.25, 100, 1.749, 1.76, -3.9, -100})
	want := run(t, g, x)
	if w := []float32{0, 1, 0, -1, 1, 3.5, -4, 3.5, 1.5, 2, -4, -4}; !slices.Equal(want, w) {
		t.Fatalf("fake-quant gives %v, want %v", want, w)
	}
	h, err := Convert(g)
	if err != nil {
		t.Fatal(err)
	}
	if len(h.Find("Clip")) != 1 {
		t.Fatalf("want one Clip, got %d", len(h.Find("Clip")))
	}
	sameBits(t, "QDQ", run(t, h, x), want)
}

// A quantizer in float mode leaves its edge float; the graph output keeps
// its name.
func TestConvertFloatModeBypasses(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	g := quantized(t, models[0], quant.Options{WBits: 8, ABits: 8}, r)
	sites, err := quant.SitesUnder(g, "layer1.0.conv1")
	if err != nil {
		t.Fatal(err)
	}
	if err := quant.SetMode(g, quant.ModeFloat, quant.NodesOf(sites)...); err != nil {
		t.Fatal(err)
	}
	x := randn(r, 1, 2, 1, 28, 28)
	want := run(t, g, x)
	h, err := Convert(g)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range sites {
		for _, n := range h.Nodes {
			if strings.HasPrefix(n.Name, s.Node.Name+"/") {
				t.Fatalf("float-mode %v became %v", s.Node, n)
			}
		}
	}
	if _, ok := h.Params["layer1.0.conv1.weight"]; !ok {
		t.Fatal("the float weight of a float-mode quantizer was dropped")
	}
	sameBits(t, "QDQ", run(t, h, x), want)
}

func TestConvertRefuses(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	for _, c := range []struct {
		name string
		m    model
		opts quant.Options
		edit func(g *graph.Graph)
		want string
	}{
		{"mxint", models[0], quant.Options{WBits: 4, WAlgo: "mxint", AAlgo: "identity"}, nil, `"conv1.wq" (FakeQuant) (layer "conv1", mxint): MXINT block`},
		{"per-token", models[2], quant.Options{AAlgo: "minmax_token"}, nil, "per-token scales"},
		{"16-bit", models[0], quant.Options{WBits: 16}, nil, "16-bit integers"},
		{"observe", models[0], quant.Options{}, func(g *graph.Graph) { _ = quant.SetMode(g, quant.ModeObserve) }, `mode "observe"`},
		{"opset 11", models[0], quant.Options{}, func(g *graph.Graph) { g.Opset = 11 }, "follows opset 11"},
	} {
		t.Run(c.name, func(t *testing.T) {
			g := quantized(t, c.m, c.opts, r)
			if c.edit != nil {
				c.edit(g)
			}
			_, err := Convert(g)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("got error %v, want one containing %q", err, c.want)
			}
		})
	}
}

// Identity quantizers (Torch2Chip's weight-only recipes) leave activations
// float: no QuantizeLinear, the same outputs.
func TestConvertIdentityBypasses(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 8))
	g := quantized(t, models[0], quant.Options{WBits: 4, AAlgo: "identity", ABits: 16}, r)
	x := randn(r, 1, 2, 1, 28, 28)
	want := run(t, g, x)
	h, err := Convert(g)
	if err != nil {
		t.Fatal(err)
	}
	if n := len(h.Find("QuantizeLinear")); n > 0 || len(h.Find("DequantizeLinear")) == 0 {
		t.Fatalf("%d QuantizeLinear, %d DequantizeLinear", n, len(h.Find("DequantizeLinear")))
	}
	sameBits(t, "QDQ", run(t, h, x), want)
}
