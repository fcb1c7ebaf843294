package onnx

import (
	"math"
	"testing"

	"t2c/graph"
	"t2c/tensor"
)

// TestGeluLoweredForOldOpsets exports a graph with a Gelu node at opset
// 17, checks the file has no Gelu, and that it computes the same values.
func TestGeluLoweredForOldOpsets(t *testing.T) {
	for _, approx := range []string{"none", "tanh"} {
		g := graph.New("gelu", 17)
		g.Inputs = []graph.ValueInfo{{Name: "x", DType: tensor.Float32, Shape: []int{5}}}
		g.Outputs = []graph.ValueInfo{{Name: "y", DType: tensor.Float32, Shape: []int{5}}}
		g.Nodes = []*graph.Node{{Name: "act", Op: "Gelu", Inputs: []string{"x"}, Outputs: []string{"y"},
			Attrs: map[string]graph.Attr{"approximate": graph.StringAttr(approx)}}}
		raw, err := Encode(g)
		if err != nil {
			t.Fatal(err)
		}
		back, err := Decode(raw, "gelu.onnx")
		if err != nil {
			t.Fatal(err)
		}
		if len(back.Find("Gelu")) != 0 {
			t.Fatal("Gelu must be lowered below opset 20")
		}
		x := tensor.New([]int{5}, []float32{-3, -0.5, 0, 0.7, 2.5})
		want := run1(t, g, x)
		got := run1(t, back, x)
		for i := range want {
			if math.Abs(float64(got[i]-want[i])) > 1e-6 {
				t.Fatalf("%s: element %d = %v, Gelu node gives %v", approx, i, got[i], want[i])
			}
		}
	}
}

func run1(t *testing.T, g *graph.Graph, x *tensor.Tensor) []float32 {
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
