package autodiff

import (
	"math"
	"math/rand/v2"
	"testing"

	"t2c/graph"
	_ "t2c/ops"
	"t2c/tensor"
)

// fuseGraph is conv → BN → ReLU → conv → BN → (+ x) → ReLU → BN, the
// residual pattern whose ReLUs Compile fuses into batch norm and Add.
func fuseGraph(r *rand.Rand) (*graph.Graph, *tensor.Tensor) {
	randn := func(shape ...int) *tensor.Tensor {
		t := tensor.Zeros(tensor.Float32, shape...)
		for i := range t.Float32() {
			t.Float32()[i] = float32(r.NormFloat64())
		}
		return t
	}
	g := graph.New("fuse", 17)
	g.Inputs = []graph.ValueInfo{{Name: "x", DType: tensor.Float32, Shape: []int{4, 3, 5, 5}}}
	conv := map[string]graph.Attr{"pads": graph.IntsAttr(1, 1, 1, 1)}
	bn := func(name string) []string {
		g.Params[name+".w"], g.Params[name+".b"] = randn(3), randn(3)
		g.Params[name+".m"], g.Params[name+".v"] = tensor.Zeros(tensor.Float32, 3), tensor.New([]int{3}, []float32{1, 1, 1})
		return []string{name + ".w", name + ".b", name + ".m", name + ".v"}
	}
	g.Params["w1"], g.Params["w2"] = randn(3, 3, 3, 3), randn(3, 3, 3, 3)
	g.Nodes = []*graph.Node{
		{Name: "c1", Op: "Conv", Attrs: conv, Inputs: []string{"x", "w1"}, Outputs: []string{"c1"}},
		{Name: "bn1", Op: "BatchNormalization", Inputs: append([]string{"c1"}, bn("bn1")...), Outputs: []string{"b1"}},
		{Name: "r1", Op: "Relu", Inputs: []string{"b1"}, Outputs: []string{"r1"}},
		{Name: "c2", Op: "Conv", Attrs: conv, Inputs: []string{"r1", "w2"}, Outputs: []string{"c2"}},
		{Name: "bn2", Op: "BatchNormalization", Inputs: append([]string{"c2"}, bn("bn2")...), Outputs: []string{"b2"}},
		{Name: "add", Op: "Add", Inputs: []string{"b2", "x"}, Outputs: []string{"s"}},
		{Name: "r2", Op: "Relu", Inputs: []string{"s"}, Outputs: []string{"r2"}},
		{Name: "bn3", Op: "BatchNormalization", Inputs: append([]string{"r2"}, bn("bn3")...), Outputs: []string{"y"}},
	}
	g.Outputs = []graph.ValueInfo{{Name: "y"}}
	return g, randn(4, 3, 5, 5)
}

// TestFusedReluGradients checks that Compile fuses both ReLUs and that the
// fused program's outputs and gradients equal the unfused program's, in
// training and inference mode.
func TestFusedReluGradients(t *testing.T) {
	for _, training := range []bool{true, false} {
		results := map[bool][]*tensor.Tensor{}
		for _, fuse := range []bool{false, true} {
			g, x := fuseGraph(rand.New(rand.NewPCG(1, 2)))
			noFusion = !fuse
			p, err := Compile(g, map[string][]int{"x": x.Shape()}, Options{InputGrads: true})
			noFusion = false
			if err != nil {
				t.Fatal(err)
			}
			if want := 8 - map[bool]int{false: 0, true: 2}[fuse]; len(p.steps) != want {
				t.Fatalf("fuse=%v: %d steps, want %d", fuse, len(p.steps), want)
			}
			tape, err := p.Forward(&graph.Ctx{Training: training}, map[string]*tensor.Tensor{"x": x})
			if err != nil {
				t.Fatal(err)
			}
			y := tape.Output(0).Clone()
			dy := tensor.Zeros(tensor.Float32, y.Shape()...)
			for i := range dy.Float32() {
				dy.Float32()[i] = float32(math.Sin(float64(i)))
			}
			gr, err := tape.Backward(dy)
			if err != nil {
				t.Fatal(err)
			}
			results[fuse] = []*tensor.Tensor{y, gr["x"], gr["w1"], gr["w2"], gr["bn1.w"], gr["bn2.b"]}
		}
		for i := range results[false] {
			a, b := results[false][i].Float32(), results[true][i].Float32()
			for j := range a {
				if math.Abs(float64(a[j]-b[j])) > 1e-5*(1+math.Abs(float64(a[j]))) {
					t.Fatalf("training=%v: result %d element %d: unfused %v, fused %v", training, i, j, a[j], b[j])
				}
			}
		}
	}
}

// TestFusedReluGradCheck checks the fused program against finite
// differences (a small step: ReLU's kink must not fall inside it).
func TestFusedReluGradCheck(t *testing.T) {
	g, x := fuseGraph(rand.New(rand.NewPCG(3, 4)))
	if err := GradCheck(g, map[string]*tensor.Tensor{"x": x}, CheckOptions{Training: true, Seed: 5, Eps: 1e-3, Tol: 2e-2}); err != nil {
		t.Fatal(err)
	}
}
