package graph_test

import (
	"slices"
	"strings"
	"testing"

	"t2c/graph"
	_ "t2c/ops"
	"t2c/tensor"
)

// chain builds x → Relu → Reshape(shape from Shape/Gather/Concat) → Add(bias)
// with a dynamic batch, the pattern PyTorch's exporter emits.
func chain() *graph.Graph {
	g := graph.New("chain", 17)
	g.Inputs = []graph.ValueInfo{{Name: "x", DType: tensor.Float32, Shape: []int{-1, 2, 3}}}
	g.Outputs = []graph.ValueInfo{{Name: "y"}}
	g.Params["idx0"] = tensor.Scalar(int64(0))
	g.Params["minus1"] = tensor.New([]int{1}, []int64{-1})
	g.Params["bias"] = tensor.New([]int{6}, []float32{1, 2, 3, 4, 5, 6})
	g.Nodes = []*graph.Node{
		{Name: "add", Op: "Add", Inputs: []string{"flat", "bias"}, Outputs: []string{"y"}}, // out of order on purpose
		{Name: "relu", Op: "Relu", Inputs: []string{"x"}, Outputs: []string{"r"}},
		{Name: "shape", Op: "Shape", Inputs: []string{"x"}, Outputs: []string{"s"}},
		{Name: "batch", Op: "Gather", Inputs: []string{"s", "idx0"}, Outputs: []string{"b"}},
		{Name: "unsq", Op: "Unsqueeze", Inputs: []string{"b", "idx0v"}, Outputs: []string{"b1"}},
		{Name: "axes", Op: "Constant", Attrs: map[string]graph.Attr{"value": graph.TensorAttr(tensor.New([]int{1}, []int64{0}))}, Outputs: []string{"idx0v"}},
		{Name: "cat", Op: "Concat", Attrs: map[string]graph.Attr{"axis": graph.IntAttr(0)}, Inputs: []string{"b1", "minus1"}, Outputs: []string{"target"}},
		{Name: "reshape", Op: "Reshape", Inputs: []string{"r", "target"}, Outputs: []string{"flat"}},
	}
	return g
}

func TestSpecializeFoldsShapeChains(t *testing.T) {
	g := chain()
	sg, types, err := graph.Specialize(g, map[string][]int{"x": {4, 2, 3}})
	if err != nil {
		t.Fatal(err)
	}
	var ops []string
	for _, n := range sg.Nodes {
		ops = append(ops, n.Op)
	}
	if !slices.Equal(ops, []string{"Relu", "Reshape", "Add"}) {
		t.Fatalf("after folding the graph runs %v, want [Relu Reshape Add]", ops)
	}
	if got := sg.Params["target"].Int64(); !slices.Equal(got, []int64{4, -1}) {
		t.Fatalf("folded reshape target %v, want [4 -1]", got)
	}
	if !slices.Equal(types["y"].Shape, []int{4, 6}) || types["y"].DType != tensor.Float32 {
		t.Fatalf("inferred y as %v%v", types["y"].DType, types["y"].Shape)
	}
	if len(g.Nodes) != 8 {
		t.Fatal("Specialize must not modify its input graph")
	}
}

func TestSessionRunsEveryBatchSize(t *testing.T) {
	s, err := graph.NewSession(chain())
	if err != nil {
		t.Fatal(err)
	}
	for _, batch := range []int{1, 3} {
		x := tensor.Zeros(tensor.Float32, batch, 2, 3)
		for i := range x.Float32() {
			x.Float32()[i] = float32(i%7) - 3
		}
		y, err := s.Run1(x)
		if err != nil {
			t.Fatal(err)
		}
		for i, v := range y.Float32() {
			want := max(x.Float32()[i], 0) + float32(i%6+1)
			if v != want {
				t.Fatalf("batch %d element %d = %v, want %v", batch, i, v, want)
			}
		}
	}
	if _, err := s.Run1(tensor.Zeros(tensor.Float32, 2, 3, 3)); err == nil || !strings.Contains(err.Error(), "[-1 2 3]") {
		t.Fatalf("wrong input shape gave %v", err)
	}
}

// TestBufferReuseKeepsLiveValues runs a graph whose intermediate values are
// recycled while views of them (Reshape) are still needed, many times, and
// checks the results never change.
func TestBufferReuseKeepsLiveValues(t *testing.T) {
	g := graph.New("reuse", 17)
	g.Inputs = []graph.ValueInfo{{Name: "x", DType: tensor.Float32, Shape: []int{2, 4}}}
	g.Outputs = []graph.ValueInfo{{Name: "out"}, {Name: "view_out"}}
	g.Params["shape"] = tensor.New([]int{1}, []int64{8})
	g.Nodes = []*graph.Node{
		{Name: "a", Op: "Relu", Inputs: []string{"x"}, Outputs: []string{"a"}},
		{Name: "v", Op: "Reshape", Inputs: []string{"a", "shape"}, Outputs: []string{"view"}},
		{Name: "b", Op: "Neg", Inputs: []string{"a"}, Outputs: []string{"b"}}, // last reader of a; view still live
		{Name: "c", Op: "Neg", Inputs: []string{"b"}, Outputs: []string{"c"}}, // may reuse b's or a's buffer
		{Name: "d", Op: "Add", Inputs: []string{"c", "x"}, Outputs: []string{"out"}},
		{Name: "e", Op: "Identity", Inputs: []string{"view"}, Outputs: []string{"view_out"}},
	}
	s, err := graph.NewSession(g)
	if err != nil {
		t.Fatal(err)
	}
	x := tensor.New([]int{2, 4}, []float32{-1, 2, -3, 4, 5, -6, 7, -8})
	for run := 0; run < 5; run++ {
		out, err := s.Run(map[string]*tensor.Tensor{"x": x})
		if err != nil {
			t.Fatal(err)
		}
		for i, v := range x.Float32() {
			r := max(v, 0)
			if out["out"].Float32()[i] != r+v || out["view_out"].Float32()[i] != r {
				t.Fatalf("run %d element %d: out %v view %v", run, i, out["out"].Float32()[i], out["view_out"].Float32()[i])
			}
		}
	}
}

func TestValidateAndTopoSortErrors(t *testing.T) {
	g := chain()
	g.Nodes[1].Inputs[0] = "nowhere"
	if err := g.TopoSort(); err == nil || !strings.Contains(err.Error(), `"nowhere"`) || !strings.Contains(err.Error(), "relu") {
		t.Fatalf("undefined input: %v", err)
	}
	g = chain()
	g.Nodes[1].Inputs[0] = "y" // relu reads add's output: a cycle
	if err := g.TopoSort(); err == nil || !strings.Contains(err.Error(), "cycle") {
		t.Fatalf("cycle: %v", err)
	}
	g = chain()
	if err := g.TopoSort(); err != nil {
		t.Fatal(err)
	}
	g.Find("Shape")[0].Outputs[0] = "r" // produced twice
	if err := g.Validate(); err == nil || !strings.Contains(err.Error(), "already defined") {
		t.Fatalf("duplicate output: %v", err)
	}
}

func TestUnsupportedAttributeIsNamed(t *testing.T) {
	n := &graph.Node{Name: "conv", Op: "Conv", Attrs: map[string]graph.Attr{"fancy": graph.IntAttr(1)}}
	_, err := graph.Build(n, 17)
	if err == nil || !strings.Contains(err.Error(), `"fancy"`) || !strings.Contains(err.Error(), "conv") {
		t.Fatalf("got %v", err)
	}
	n = &graph.Node{Name: "n", Op: "NoSuchOp"}
	if _, err := graph.Build(n, 17); err == nil || !strings.Contains(err.Error(), "NoSuchOp") {
		t.Fatalf("got %v", err)
	}
}

// TestPassesRunToFixedPoint removes chains of Identity nodes with a pass
// that removes one per round.
func TestPassesRunToFixedPoint(t *testing.T) {
	g := graph.New("ids", 17)
	g.Inputs = []graph.ValueInfo{{Name: "x", DType: tensor.Float32, Shape: []int{2}}}
	g.Outputs = []graph.ValueInfo{{Name: "i3"}}
	prev := "x"
	for _, name := range []string{"i1", "i2", "i3"} {
		g.Nodes = append(g.Nodes, &graph.Node{Name: name, Op: "Identity", Inputs: []string{prev}, Outputs: []string{name}})
		prev = name
	}
	rounds := 0
	dropOne := func(g *graph.Graph) (bool, error) {
		rounds++
		ids := g.Find("Identity")
		if len(ids) == 0 {
			return false, nil
		}
		n := ids[0]
		g.ReplaceUses(n.Outputs[0], n.Inputs[0])
		g.Remove(n)
		return true, nil
	}
	if err := graph.Apply(g, dropOne); err != nil {
		t.Fatal(err)
	}
	if len(g.Nodes) != 0 || g.Outputs[0].Name != "x" || rounds != 4 {
		t.Fatalf("nodes %d, output %q, rounds %d", len(g.Nodes), g.Outputs[0].Name, rounds)
	}
	if name := g.FreshName("x"); name != "x_1" {
		t.Fatalf("FreshName gave %q", name)
	}
}
