package export

import (
	"math"
	"testing"

	"t2c/graph"
	"t2c/integer"
	"t2c/internal/npytest"
	"t2c/onnx"
	"t2c/tensor"
)

// convFixture is a real integer layer: the first convolution of the
// ResNet fixture (3→16 channels, 3×3, pad 1) with its BatchNormalization
// and ReLU folded into one Requant, as the converter builds it:
//
//	input (float) → QuantizeInput (uint8, zero point ≠ 0) → IntConv (int8
//	per-channel weights) → Requant (dyadic, per channel) → y (uint8)
//
// The input grid comes from the sample's range, the weights are rounded
// per channel symmetrically, the output grid from the float model's ReLU
// output. It returns the graph and the fixture's images cropped to
// size×size, one [1, 3, size, size] tensor each.
func convFixture(t testing.TB, size int) (*graph.Graph, []*tensor.Tensor) {
	t.Helper()
	fg, err := onnx.Load("../testdata/pytorch/resnet.onnx")
	if err != nil {
		t.Fatal(err)
	}
	batch := npytest.Float32(t, "../testdata/pytorch/resnet.input.npy")
	var samples []*tensor.Tensor
	lo, hi := math.Inf(1), math.Inf(-1)
	for b := range batch.Dim(0) {
		x := crop(batch, b, size)
		for _, v := range x.Float32() {
			lo, hi = min(lo, float64(v)), max(hi, float64(v))
		}
		samples = append(samples, x)
	}
	conv := findNode(t, fg, "Conv")
	bn := findNode(t, fg, "BatchNormalization")
	relu := findNode(t, fg, "Relu")

	// Input grid: asymmetric uint8 over the samples' range.
	sx := (hi - lo) / 255
	zx := int64(math.Min(255, math.Max(0, math.RoundToEven(-lo/sx))))
	inGrid := integer.Grid{Bits: 8, Scale: []float64{sx}, ZeroPoint: zx}

	// Weights: symmetric int8 per output channel.
	w := fg.Params[conv.Inputs[1]]
	k, per := w.Dim(0), w.Len()/w.Dim(0)
	wq := make([]int8, w.Len())
	sw := make([]float64, k)
	for c := range k {
		m := 0.0
		for _, v := range w.Float32()[c*per : (c+1)*per] {
			m = math.Max(m, math.Abs(float64(v)))
		}
		sw[c] = m / 127
		for i, v := range w.Float32()[c*per : (c+1)*per] {
			wq[c*per+i] = int8(math.RoundToEven(float64(v) / sw[c]))
		}
	}

	// Output grid: uint8 over the float ReLU output's range.
	reluMax := 0.0
	fg.Inputs[0].Shape = []int{-1, 3, -1, -1} // the crop; the model ends in a global pool
	p, err := graph.Compile(fg, map[string][]int{fg.Inputs[0].Name: samples[0].Shape()})
	if err != nil {
		t.Fatal(err)
	}
	for _, x := range samples {
		_, err := p.RunObserved(map[string]*tensor.Tensor{fg.Inputs[0].Name: x}, func(_ *graph.Node, out string, v *tensor.Tensor) {
			if out == relu.Outputs[0] {
				for _, f := range v.Float32() {
					reluMax = math.Max(reluMax, float64(f))
				}
			}
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	sy := reluMax / 255
	outGrid := integer.Grid{Bits: 8, Scale: []float64{sy}}

	// Requant: M_k = s_x·s_w,k·γ_k/σ_k / s_y, B_k = (β_k − γ_k·μ_k/σ_k) / s_y.
	gamma, beta := fg.Params[bn.Inputs[1]].Float32(), fg.Params[bn.Inputs[2]].Float32()
	mean, variance := fg.Params[bn.Inputs[3]].Float32(), fg.Params[bn.Inputs[4]].Float32()
	eps := float64(bn.Attrs["epsilon"].Float)
	accScale := make([]float64, k)
	var channels []integer.Fixed
	for c := range k {
		g := float64(gamma[c]) / math.Sqrt(float64(variance[c])+eps)
		accScale[c] = sx * sw[c]
		f, err := integer.Format{Kind: integer.FormatDyadic}.Encode(accScale[c]*g/sy, (float64(beta[c])-g*float64(mean[c]))/sy)
		if err != nil {
			t.Fatal(err)
		}
		channels = append(channels, f)
	}

	g := graph.New("resnet-conv1", 13)
	g.Inputs = []graph.ValueInfo{{Name: "input", DType: tensor.Float32, Shape: []int{-1, 3, -1, -1}}}
	g.Outputs = []graph.ValueInfo{{Name: "y"}}
	g.Params["conv1.weight"] = tensor.New(w.Shape(), wq)
	g.Nodes = []*graph.Node{
		integer.NewQuantizeInput("/quant/QuantizeInput", "input", "xq", integer.QuantizeInputParams{Out: inGrid}),
		integer.NewIntConv("/conv1/IntConv", "xq", "conv1.weight", "acc", integer.IntConvParams{
			Strides: ints(conv, "strides"), Pads: ints(conv, "pads"), Dilations: ints(conv, "dilations"),
			XZeroPoint: zx, Out: integer.Grid{Bits: 32, Signed: true, Scale: accScale, Axis: 1}, Layer: "conv1",
		}),
		integer.NewRequant("/conv1/Requant", "acc", "y", integer.RequantParams{
			Axis: 1, Channels: channels, Lo: 0, Hi: 255, Out: outGrid, Layer: "conv1",
		}),
	}
	return g, samples
}

// crop returns image b of an NCHW batch, its top-left size×size window.
func crop(x *tensor.Tensor, b, size int) *tensor.Tensor {
	c, h, w := x.Dim(1), x.Dim(2), x.Dim(3)
	out := make([]float32, 0, c*size*size)
	src := x.Float32()
	for ci := range c {
		for i := range size {
			base := ((b*c+ci)*h + i) * w
			out = append(out, src[base:base+size]...)
		}
	}
	return tensor.New([]int{1, c, size, size}, out)
}

func findNode(t testing.TB, g *graph.Graph, op string) *graph.Node {
	t.Helper()
	for _, n := range g.Nodes {
		if n.Op == op {
			return n
		}
	}
	t.Fatalf("no %s node in %s", op, g.Name)
	return nil
}

func ints(n *graph.Node, name string) []int {
	var out []int
	for _, v := range n.Attrs[name].Ints {
		out = append(out, int(v))
	}
	return out
}

// golden runs g on x with the golden runtime and returns every value it
// computes.
func golden(t testing.TB, g *graph.Graph, x *tensor.Tensor) map[string]*tensor.Tensor {
	t.Helper()
	p, err := graph.Compile(g, map[string][]int{g.Inputs[0].Name: x.Shape()})
	if err != nil {
		t.Fatal(err)
	}
	vals := map[string]*tensor.Tensor{}
	if _, err := p.RunObserved(map[string]*tensor.Tensor{g.Inputs[0].Name: x}, func(_ *graph.Node, out string, v *tensor.Tensor) {
		vals[out] = v.Clone()
	}); err != nil {
		t.Fatal(err)
	}
	return vals
}
