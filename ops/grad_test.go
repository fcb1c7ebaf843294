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
