package ops

import (
	"testing"

	"t2c/graph"
	"t2c/tensor"
)

// TestCompileFoldsShapeChain compiles PyTorch's flatten pattern
// (Shape → Gather → Unsqueeze → Concat → Reshape) followed by elementwise
// ops: the shape chain must fold away, and the program must give the same
// result on repeated runs with recycled buffers.
func TestCompileFoldsShapeChain(t *testing.T) {
	g := graph.New("flatten", 13)
	g.Inputs = []graph.ValueInfo{{Name: "x", DType: tensor.Float32, Shape: []int{-1, 2, 2}}}
	g.Outputs = []graph.ValueInfo{{Name: "y"}}
	g.Params["zero"] = tensor.Scalar[int64](0)
	g.Params["ax0"] = elemI64(0)
	g.Params["minus1"] = elemI64(-1)
	g.Params["bias"] = elemF32([]int{4}, -1, -2, -3, -4)
	node := func(op string, in []string, out string, attrs map[string]graph.Attr) *graph.Node {
		return &graph.Node{Name: out, Op: op, Inputs: in, Outputs: []string{out}, Attrs: attrs}
	}
	g.Nodes = []*graph.Node{
		node("Shape", []string{"x"}, "s", nil),
		node("Gather", []string{"s", "zero"}, "n", nil),
		node("Unsqueeze", []string{"n", "ax0"}, "n1", nil),
		node("Concat", []string{"n1", "minus1"}, "target", map[string]graph.Attr{"axis": graph.IntAttr(0)}),
		node("Reshape", []string{"x", "target"}, "flat", nil),
		node("Add", []string{"flat", "bias"}, "sum", nil),
		node("Relu", []string{"sum"}, "y", nil),
	}
	p, err := graph.Compile(g, map[string][]int{"x": {3, 2, 2}})
	if err != nil {
		t.Fatal(err)
	}
	var ops []string
	for _, n := range p.Graph.Nodes {
		ops = append(ops, n.Op)
	}
	if len(ops) != 3 || ops[0] != "Reshape" {
		t.Fatalf("compiled nodes %v, want [Reshape Add Relu]", ops)
	}
	x := tensor.Zeros(tensor.Float32, 3, 2, 2)
	for i := range x.Float32() {
		x.Float32()[i] = float32(i)
	}
	for run := range 3 {
		out, err := p.Run(map[string]*tensor.Tensor{"x": x})
		if err != nil {
			t.Fatal(err)
		}
		elemCheck(t, "run", out["y"], tensor.Float32, []int{3, 4}, 0, 0, 0, 0, 3, 3, 3, 3, 7, 7, 7, 7)
		if x.Float32()[5] != 5 {
			t.Fatalf("run %d modified the input", run)
		}
	}
}
