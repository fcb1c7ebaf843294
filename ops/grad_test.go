package ops_test

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"t2c/autodiff"
	"t2c/graph"
	_ "t2c/ops"
	"t2c/tensor"
)

// gradCase is one op checked against finite differences: float inputs are
// graph inputs (differentiated), consts are constant inputs (shapes, axes).
type gradCase struct {
	name     string
	op       string
	attrs    map[string]graph.Attr
	inputs   []*tensor.Tensor // nil entries: omitted optional input
	consts   map[int]*tensor.Tensor
	training bool
}

func randn(r *rand.Rand, shape ...int) *tensor.Tensor {
	t := tensor.Zeros(tensor.Float32, shape...)
	for i := range t.Float32() {
		t.Float32()[i] = float32(r.NormFloat64())
	}
	return t
}

// positive returns values in [0.5, 1.5): safe for sqrt, log, division.
func positive(r *rand.Rand, shape ...int) *tensor.Tensor {
	t := tensor.Zeros(tensor.Float32, shape...)
	for i := range t.Float32() {
		t.Float32()[i] = 0.5 + r.Float32()
	}
	return t
}

func (c gradCase) graph() (*graph.Graph, map[string]*tensor.Tensor) {
	g := graph.New(c.name, 17)
	n := &graph.Node{Name: c.name, Op: c.op, Attrs: c.attrs, Outputs: []string{"y"}}
	feeds := map[string]*tensor.Tensor{}
	count := max(len(c.inputs), len(c.consts))
	for i := 0; i < count+len(c.consts); i++ {
		if i >= len(c.inputs) && c.consts[i] == nil {
			break
		}
		name := fmt.Sprintf("x%d", i)
		switch {
		case c.consts[i] != nil:
			g.Params[name] = c.consts[i]
		case i < len(c.inputs) && c.inputs[i] != nil:
			g.Inputs = append(g.Inputs, graph.ValueInfo{Name: name, DType: tensor.Float32, Shape: c.inputs[i].Shape()})
			feeds[name] = c.inputs[i]
		default:
			name = ""
		}
		n.Inputs = append(n.Inputs, name)
	}
	g.Nodes = []*graph.Node{n}
	g.Outputs = []graph.ValueInfo{{Name: "y"}}
	return g, feeds
}

func runGradCases(t *testing.T, cases []gradCase) {
	t.Helper()
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			g, feeds := c.graph()
			if err := autodiff.GradCheck(g, feeds, autodiff.CheckOptions{Training: c.training, Seed: 1}); err != nil {
				t.Fatal(err)
			}
		})
	}
}

func TestGradientsHeavyOps(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	ints := graph.IntsAttr
	cases := []gradCase{
		{name: "conv_pad_stride", op: "Conv", attrs: map[string]graph.Attr{"pads": ints(1, 0, 0, 1), "strides": ints(2, 1)},
			inputs: []*tensor.Tensor{randn(r, 2, 3, 5, 6), randn(r, 4, 3, 3, 2), randn(r, 4)}},
		{name: "conv_group_dilation", op: "Conv", attrs: map[string]graph.Attr{"group": graph.IntAttr(2), "dilations": ints(2, 2), "pads": ints(2, 2, 2, 2)},
			inputs: []*tensor.Tensor{randn(r, 1, 4, 5, 5), randn(r, 6, 2, 3, 3)}},
		{name: "conv_stride1_asym_pad", op: "Conv", attrs: map[string]graph.Attr{"pads": ints(1, 0, 2, 1)},
			inputs: []*tensor.Tensor{randn(r, 2, 3, 5, 4), randn(r, 2, 3, 3, 2), randn(r, 2)}},
		{name: "conv_pointwise_groups", op: "Conv", attrs: map[string]graph.Attr{"group": graph.IntAttr(2)},
			inputs: []*tensor.Tensor{randn(r, 2, 4, 3, 3), randn(r, 6, 2, 1, 1)}},
		{name: "conv_depthwise", op: "Conv", attrs: map[string]graph.Attr{"group": graph.IntAttr(3), "pads": ints(1, 1, 1, 1)},
			inputs: []*tensor.Tensor{randn(r, 2, 3, 4, 4), randn(r, 3, 1, 3, 3), randn(r, 3)}},
		{name: "matmul_batched_broadcast", op: "MatMul", inputs: []*tensor.Tensor{randn(r, 2, 3, 4, 5), randn(r, 3, 5, 2)}},
		{name: "matmul_vector", op: "MatMul", inputs: []*tensor.Tensor{randn(r, 4), randn(r, 2, 4, 3)}},
		{name: "gemm_transB_bias", op: "Gemm", attrs: map[string]graph.Attr{"transB": graph.IntAttr(1), "alpha": graph.FloatAttr(0.5), "beta": graph.FloatAttr(2)},
			inputs: []*tensor.Tensor{randn(r, 3, 4), randn(r, 5, 4), randn(r, 5)}},
		{name: "gemm_transA", op: "Gemm", attrs: map[string]graph.Attr{"transA": graph.IntAttr(1)},
			inputs: []*tensor.Tensor{randn(r, 4, 3), randn(r, 4, 5), randn(r, 3, 1)}},
		{name: "avgpool_pad", op: "AveragePool", attrs: map[string]graph.Attr{"kernel_shape": ints(3, 3), "pads": ints(1, 1, 1, 1), "strides": ints(2, 2)},
			inputs: []*tensor.Tensor{randn(r, 1, 2, 5, 5)}},
		{name: "maxpool", op: "MaxPool", attrs: map[string]graph.Attr{"kernel_shape": ints(2, 2), "strides": ints(2, 2)},
			inputs: []*tensor.Tensor{randn(r, 1, 2, 4, 6)}},
		{name: "global_avgpool", op: "GlobalAveragePool", inputs: []*tensor.Tensor{randn(r, 2, 3, 3, 3)}},
		{name: "batchnorm_inference", op: "BatchNormalization",
			inputs: []*tensor.Tensor{randn(r, 2, 3, 2, 2), randn(r, 3), randn(r, 3)},
			consts: map[int]*tensor.Tensor{3: randn(r, 3), 4: positive(r, 3)}},
		{name: "batchnorm_training", op: "BatchNormalization", training: true,
			inputs: []*tensor.Tensor{randn(r, 4, 3, 2, 2), randn(r, 3), randn(r, 3)},
			consts: map[int]*tensor.Tensor{3: randn(r, 3), 4: positive(r, 3)}},
		{name: "layernorm", op: "LayerNormalization", attrs: map[string]graph.Attr{"axis": graph.IntAttr(-1)},
			inputs: []*tensor.Tensor{randn(r, 2, 3, 6), randn(r, 6), randn(r, 6)}},
	}
	runGradCases(t, cases)
}

func i64(v ...int64) *tensor.Tensor { return tensor.New([]int{len(v)}, v) }

// awayFromZero shifts values out of (−0.2, 0.2) so kinks (ReLU, Abs, Clip
// bounds) are not straddled by the finite difference.
func awayFromZero(t *tensor.Tensor) *tensor.Tensor {
	for i, v := range t.Float32() {
		if v >= 0 && v < 0.2 {
			t.Float32()[i] = v + 0.3
		} else if v < 0 && v > -0.2 {
			t.Float32()[i] = v - 0.3
		}
	}
	return t
}

func TestGradientsElementwise(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 8))
	attrs := func(kv ...any) map[string]graph.Attr {
		m := map[string]graph.Attr{}
		for i := 0; i < len(kv); i += 2 {
			m[kv[i].(string)] = kv[i+1].(graph.Attr)
		}
		return m
	}
	var cases []gradCase
	for _, op := range []string{"Add", "Sub", "Mul", "Div"} {
		cases = append(cases, gradCase{name: op + "_broadcast", op: op, inputs: []*tensor.Tensor{randn(r, 2, 3, 4), positive(r, 3, 1)}})
	}
	cases = append(cases,
		// A one-element factor (either side), and a constant one whose
		// gradient is skipped (arithKernel.BackwardNeeded).
		gradCase{name: "Mul_scalar", op: "Mul", inputs: []*tensor.Tensor{randn(r, 2, 3, 4), randn(r, 1)}},
		gradCase{name: "Mul_scalar_first", op: "Mul", inputs: []*tensor.Tensor{tensor.Scalar(float32(1.5)), randn(r, 3, 4)}},
		gradCase{name: "Mul_const", op: "Mul", inputs: []*tensor.Tensor{randn(r, 3, 4)}, consts: map[int]*tensor.Tensor{1: tensor.Scalar(float32(0.7))}},
		gradCase{name: "Min", op: "Min", inputs: []*tensor.Tensor{randn(r, 3, 4), randn(r, 4)}},
		gradCase{name: "Max3", op: "Max", inputs: []*tensor.Tensor{randn(r, 3, 4), randn(r, 3, 4), randn(r, 1)}},
		gradCase{name: "Pow", op: "Pow", inputs: []*tensor.Tensor{positive(r, 2, 3), randn(r, 3)}},
		gradCase{name: "Where", op: "Where", inputs: []*tensor.Tensor{nil, randn(r, 2, 3), randn(r, 3)},
			consts: map[int]*tensor.Tensor{0: tensor.New([]int{2, 1}, []bool{true, false})}},
		gradCase{name: "Softmax", op: "Softmax", attrs: attrs("axis", graph.IntAttr(1)), inputs: []*tensor.Tensor{randn(r, 2, 5, 3)}},
		gradCase{name: "ReduceSum", op: "ReduceSum", attrs: attrs("keepdims", graph.IntAttr(0)), inputs: []*tensor.Tensor{randn(r, 2, 3, 4)},
			consts: map[int]*tensor.Tensor{1: i64(0, 2)}},
		gradCase{name: "ReduceMean", op: "ReduceMean", attrs: attrs("axes", graph.IntsAttr(-1)), inputs: []*tensor.Tensor{randn(r, 2, 3, 4)}},
		gradCase{name: "ReduceMax", op: "ReduceMax", attrs: attrs("axes", graph.IntsAttr(1)), inputs: []*tensor.Tensor{randn(r, 2, 5)}},
		gradCase{name: "Clip", op: "Clip", inputs: []*tensor.Tensor{awayFromZero(randn(r, 3, 4))},
			consts: map[int]*tensor.Tensor{1: tensor.Scalar[float32](-0.5), 2: tensor.Scalar[float32](0.6)}},
		gradCase{name: "LeakyRelu", op: "LeakyRelu", attrs: attrs("alpha", graph.FloatAttr(0.1)), inputs: []*tensor.Tensor{awayFromZero(randn(r, 3, 4))}},
		gradCase{name: "Gelu_tanh", op: "Gelu", attrs: attrs("approximate", graph.StringAttr("tanh")), inputs: []*tensor.Tensor{randn(r, 3, 4)}},
	)
	for _, op := range []string{"Neg", "Abs", "Relu", "Exp", "Erf", "Tanh", "Sigmoid", "HardSwish", "Gelu", "Identity"} {
		cases = append(cases, gradCase{name: op, op: op, inputs: []*tensor.Tensor{awayFromZero(randn(r, 2, 5))}})
	}
	cases = append(cases, gradCase{name: "Sqrt", op: "Sqrt", inputs: []*tensor.Tensor{positive(r, 2, 5)}})
	runGradCases(t, cases)
}

func TestGradientsMovement(t *testing.T) {
	r := rand.New(rand.NewPCG(9, 10))
	ints := graph.IntsAttr
	cases := []gradCase{
		{name: "Reshape", op: "Reshape", inputs: []*tensor.Tensor{randn(r, 2, 6)}, consts: map[int]*tensor.Tensor{1: i64(3, -1)}},
		{name: "Flatten", op: "Flatten", inputs: []*tensor.Tensor{randn(r, 2, 3, 2)}},
		{name: "Transpose", op: "Transpose", attrs: map[string]graph.Attr{"perm": ints(2, 0, 1)}, inputs: []*tensor.Tensor{randn(r, 2, 3, 4)}},
		{name: "Slice_neg_step", op: "Slice", inputs: []*tensor.Tensor{randn(r, 4, 5)},
			consts: map[int]*tensor.Tensor{1: i64(3, 0), 2: i64(0, 5), 3: i64(0, 1), 4: i64(-2, 2)}},
		{name: "Gather_repeat", op: "Gather", attrs: map[string]graph.Attr{"axis": graph.IntAttr(1)}, inputs: []*tensor.Tensor{randn(r, 2, 4)},
			consts: map[int]*tensor.Tensor{1: i64(3, 0, 3)}},
		{name: "Gather_axis0_negative", op: "Gather", inputs: []*tensor.Tensor{randn(r, 3, 2, 4)},
			consts: map[int]*tensor.Tensor{1: i64(-1, 0, 2, 0)}},
		{name: "Gather_scalar_index", op: "Gather", attrs: map[string]graph.Attr{"axis": graph.IntAttr(1)}, inputs: []*tensor.Tensor{randn(r, 2, 3, 4)},
			consts: map[int]*tensor.Tensor{1: tensor.Scalar[int64](-2)}},
		{name: "Expand", op: "Expand", inputs: []*tensor.Tensor{randn(r, 1, 3)}, consts: map[int]*tensor.Tensor{1: i64(2, 4, 3)}},
		{name: "Tile", op: "Tile", inputs: []*tensor.Tensor{randn(r, 2, 3)}, consts: map[int]*tensor.Tensor{1: i64(2, 2)}},
		{name: "Pad_reflect", op: "Pad", attrs: map[string]graph.Attr{"mode": graph.StringAttr("reflect")}, inputs: []*tensor.Tensor{randn(r, 1, 4, 4)},
			consts: map[int]*tensor.Tensor{1: i64(0, 1, 2, 0, 2, 1)}},
		{name: "Pad_constant", op: "Pad", inputs: []*tensor.Tensor{randn(r, 3, 3)}, consts: map[int]*tensor.Tensor{1: i64(1, 0, 0, 2), 2: tensor.Scalar[float32](5)}},
		{name: "Concat", op: "Concat", attrs: map[string]graph.Attr{"axis": graph.IntAttr(1)}, inputs: []*tensor.Tensor{randn(r, 2, 3), randn(r, 2, 1), randn(r, 2, 2)}},
		{name: "Squeeze", op: "Squeeze", inputs: []*tensor.Tensor{randn(r, 2, 1, 3)}, consts: map[int]*tensor.Tensor{1: i64(1)}},
		{name: "Unsqueeze", op: "Unsqueeze", inputs: []*tensor.Tensor{randn(r, 2, 3)}, consts: map[int]*tensor.Tensor{1: i64(0)}},
	}
	runGradCases(t, cases)
}

// TestGradientSplit checks a multi-output op: Split's outputs feed Mul so
// that both outputs carry gradient.
func TestGradientSplit(t *testing.T) {
	r := rand.New(rand.NewPCG(11, 12))
	g := graph.New("split", 17)
	g.Inputs = []graph.ValueInfo{{Name: "x", DType: tensor.Float32, Shape: []int{2, 5}}}
	g.Params["sizes"] = i64(2, 3)
	g.Params["w"] = randn(r, 2, 3)
	g.Nodes = []*graph.Node{
		{Name: "split", Op: "Split", Attrs: map[string]graph.Attr{"axis": graph.IntAttr(1)}, Inputs: []string{"x", "sizes"}, Outputs: []string{"a", "b"}},
		{Name: "mul", Op: "Mul", Inputs: []string{"b", "w"}, Outputs: []string{"bw"}},
		{Name: "cat", Op: "Concat", Attrs: map[string]graph.Attr{"axis": graph.IntAttr(1)}, Inputs: []string{"bw", "a"}, Outputs: []string{"y"}},
	}
	g.Outputs = []graph.ValueInfo{{Name: "y"}}
	if err := autodiff.GradCheck(g, map[string]*tensor.Tensor{"x": randn(r, 2, 5)}, autodiff.CheckOptions{Seed: 3}); err != nil {
		t.Fatal(err)
	}
}

// TestGradientSharedInput checks accumulation when one value feeds two
// nodes, and dropout's mask in training mode.
func TestGradientSharedInputAndDropout(t *testing.T) {
	r := rand.New(rand.NewPCG(13, 14))
	g := graph.New("shared", 17)
	g.Inputs = []graph.ValueInfo{{Name: "x", DType: tensor.Float32, Shape: []int{3, 4}}}
	g.Nodes = []*graph.Node{
		{Name: "sq", Op: "Mul", Inputs: []string{"x", "x"}, Outputs: []string{"x2"}},
		{Name: "th", Op: "Tanh", Inputs: []string{"x"}, Outputs: []string{"t"}},
		{Name: "sum", Op: "Add", Inputs: []string{"x2", "t"}, Outputs: []string{"y"}},
	}
	g.Outputs = []graph.ValueInfo{{Name: "y"}}
	if err := autodiff.GradCheck(g, map[string]*tensor.Tensor{"x": randn(r, 3, 4)}, autodiff.CheckOptions{Seed: 4}); err != nil {
		t.Fatal(err)
	}
}
