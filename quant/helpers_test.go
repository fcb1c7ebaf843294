package quant_test

import (
	"math"
	"math/rand/v2"
	"testing"

	"t2c/autodiff"
	"t2c/graph"
	_ "t2c/ops"
	"t2c/quant"
	"t2c/tensor"
)

// single builds the graph  x → FakeQuant → Identity → y  with the given
// quantizer on x. xshape may hold -1 (dynamic); initShape is the shape
// Init sees (nil: xshape).
func single(t *testing.T, algo string, s quant.Spec, opts map[string]graph.Attr, xshape, initShape []int) (*graph.Graph, *quant.Site) {
	t.Helper()
	g := graph.New("single", 17)
	g.Inputs = []graph.ValueInfo{{Name: "x", DType: tensor.Float32, Shape: xshape}}
	g.Nodes = []*graph.Node{{Name: "out", Op: "Identity", Inputs: []string{"x"}, Outputs: []string{"y"}}}
	g.Outputs = []graph.ValueInfo{{Name: "y", DType: tensor.Float32}}
	if initShape == nil {
		initShape = xshape
	}
	site, err := quant.Attach(g, "x", nil, quant.Placement{Algo: algo, Spec: s, Options: opts, Name: "x.q", Shape: initShape})
	if err != nil {
		t.Fatal(err)
	}
	return g, site
}

// weightGraph builds  y = Gemm(x, FakeQuant(w), transB=1)  with w a parameter.
func weightGraph(t *testing.T, algo string, s quant.Spec, w *tensor.Tensor) (*graph.Graph, *quant.Site) {
	t.Helper()
	g := graph.New("weight", 17)
	g.Inputs = []graph.ValueInfo{{Name: "x", DType: tensor.Float32, Shape: []int{-1, w.Dim(1)}}}
	g.Params["w"] = w
	g.Nodes = []*graph.Node{{Name: "fc", Op: "Gemm", Inputs: []string{"x", "w"}, Outputs: []string{"y"},
		Attrs: map[string]graph.Attr{"transB": graph.IntAttr(1)}}}
	g.Outputs = []graph.ValueInfo{{Name: "y", DType: tensor.Float32}}
	s.Role = quant.Weight
	site, err := quant.Attach(g, "w", nil, quant.Placement{Algo: algo, Spec: s, Name: "fc.wq"})
	if err != nil {
		t.Fatal(err)
	}
	return g, site
}

// run1 runs a single-input single-output graph.
func run1(t *testing.T, g *graph.Graph, x *tensor.Tensor) *tensor.Tensor {
	t.Helper()
	s, err := graph.NewSession(g)
	if err != nil {
		t.Fatal(err)
	}
	y, err := s.Run1(x)
	if err != nil {
		t.Fatal(err)
	}
	return y
}

// grads runs forward and backward with output gradient dy; trainable
// selects the parameters (nil: every float parameter).
func grads(t *testing.T, g *graph.Graph, x, dy *tensor.Tensor, ctx *graph.Ctx, trainable func(string) bool) (*tensor.Tensor, autodiff.Grads) {
	t.Helper()
	p, err := autodiff.Compile(g, map[string][]int{"x": x.Shape()}, autodiff.Options{Trainable: trainable, InputGrads: true})
	if err != nil {
		t.Fatal(err)
	}
	tape, err := p.Forward(ctx, map[string]*tensor.Tensor{"x": x})
	if err != nil {
		t.Fatal(err)
	}
	gr, err := tape.Backward(dy)
	if err != nil {
		t.Fatal(err)
	}
	return tape.Output(0), gr
}

func vec(v ...float32) *tensor.Tensor { return tensor.FromSlice(v) }

func shaped(shape []int, v ...float32) *tensor.Tensor { return tensor.New(shape, v) }

func randn(seed uint64, scale float64, shape ...int) *tensor.Tensor {
	r := rand.New(rand.NewPCG(seed, 1))
	t := tensor.Zeros(tensor.Float32, shape...)
	for i := range t.Float32() {
		t.Float32()[i] = float32(r.NormFloat64() * scale)
	}
	return t
}

func ones(shape ...int) *tensor.Tensor {
	t := tensor.Zeros(tensor.Float32, shape...)
	for i := range t.Float32() {
		t.Float32()[i] = 1
	}
	return t
}

// near fails unless |got−want| ≤ tol·max(1,|want|) elementwise.
func near(t *testing.T, what string, got, want []float32, tol float64) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: %d values, want %d", what, len(got), len(want))
	}
	for i := range got {
		if math.Abs(float64(got[i])-float64(want[i])) > tol*math.Max(1, math.Abs(float64(want[i]))) {
			t.Fatalf("%s[%d] = %v, want %v (all: %v, want %v)", what, i, got[i], want[i], got, want)
		}
	}
}

func ints64(t *tensor.Tensor) []int64 { return t.Int64s() }
