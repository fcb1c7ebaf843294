package prune_test

import (
	"math/rand/v2"
	"testing"

	"t2c/graph"
	_ "t2c/ops"
	"t2c/tensor"
	"t2c/zoo"
)

// tiny builds x[-1,3,6,6] → Conv(conv.weight [8,3,3,3], pad 1) → Relu →
// GlobalAveragePool → Flatten → Gemm(fc.weight [4,8], transB=1) → y.
func tiny(t testing.TB, seed uint64) *graph.Graph {
	t.Helper()
	g := graph.New("tiny", 17)
	g.Inputs = []graph.ValueInfo{{Name: "x", DType: tensor.Float32, Shape: []int{-1, 3, 6, 6}}}
	g.Params["conv.weight"] = randn(seed, 0.5, 8, 3, 3, 3)
	g.Params["conv.bias"] = randn(seed+1, 0.1, 8)
	g.Params["fc.weight"] = randn(seed+2, 0.5, 4, 8)
	g.Params["fc.bias"] = randn(seed+3, 0.1, 4)
	ints := func(v ...int64) graph.Attr { return graph.Attr{Kind: graph.AttrInts, Ints: v} }
	g.Nodes = []*graph.Node{
		{Name: "conv", Op: "Conv", Inputs: []string{"x", "conv.weight", "conv.bias"}, Outputs: []string{"c"},
			Attrs: map[string]graph.Attr{"pads": ints(1, 1, 1, 1), "kernel_shape": ints(3, 3)}},
		{Name: "relu", Op: "Relu", Inputs: []string{"c"}, Outputs: []string{"r"}},
		{Name: "gap", Op: "GlobalAveragePool", Inputs: []string{"r"}, Outputs: []string{"p"}},
		{Name: "flat", Op: "Flatten", Inputs: []string{"p"}, Outputs: []string{"f"}},
		{Name: "fc", Op: "Gemm", Inputs: []string{"f", "fc.weight", "fc.bias"}, Outputs: []string{"y"},
			Attrs: map[string]graph.Attr{"transB": graph.IntAttr(1)}},
	}
	g.Outputs = []graph.ValueInfo{{Name: "y", DType: tensor.Float32}}
	return g
}

// resnet8 is a small zoo ResNet on 1×12×12 images.
func resnet8(t testing.TB) *graph.Graph {
	t.Helper()
	g, err := zoo.Build("resnet8", zoo.Config{Classes: 4, InChannels: 1, ImageSize: 12, Seed: 3})
	if err != nil {
		t.Fatal(err)
	}
	return g
}

func randn(seed uint64, scale float64, shape ...int) *tensor.Tensor {
	r := rand.New(rand.NewPCG(seed, 1))
	t := tensor.Zeros(tensor.Float32, shape...)
	for i := range t.Float32() {
		t.Float32()[i] = float32(r.NormFloat64() * scale)
	}
	return t
}

// randomMask sets about half of a mask to 0.
func randomMask(seed uint64, m *tensor.Tensor) {
	r := rand.New(rand.NewPCG(seed, 2))
	for i := range m.Float32() {
		m.Float32()[i] = float32(r.IntN(2))
	}
}

func run(t testing.TB, g *graph.Graph, x *tensor.Tensor) []float32 {
	t.Helper()
	s, err := graph.NewSession(g)
	if err != nil {
		t.Fatal(err)
	}
	y, err := s.Run1(x)
	if err != nil {
		t.Fatal(err)
	}
	return y.Float32()
}

func zerosOf(m []float32) int {
	n := 0
	for _, v := range m {
		if v == 0 {
			n++
		}
	}
	return n
}
