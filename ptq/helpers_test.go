package ptq

import (
	"slices"
	"testing"

	"t2c/config"
	"t2c/data"
	"t2c/graph"
	"t2c/onnx"
	"t2c/tensor"
)

// fashionCNN is a small CNN trained on Fashion-MNIST by PyTorch (88.4 %).
const fashionCNN = "../testdata/pytorch/fashion/cnn.onnx"

// testImages returns n embedded Fashion-MNIST test images starting at
// from, normalised, in batches of batch, with their labels.
func testImages(t testing.TB, from, n, batch int) ([]*tensor.Tensor, []int) {
	t.Helper()
	ds, preset, err := data.Open("fashion-mnist", "test")
	if err != nil {
		t.Fatal(err)
	}
	norm := preset.Normalize()
	var out []*tensor.Tensor
	var labels []int
	for lo := from; lo < from+n; lo += batch {
		hi := min(from+n, lo+batch)
		x := tensor.Zeros(tensor.Float32, hi-lo, 1, 28, 28)
		for i := lo; i < hi; i++ {
			img := x.Float32()[(i-lo)*784 : (i-lo+1)*784]
			labels = append(labels, ds.Image(i, img))
			res, _, _, _ := norm.Apply(img, 1, 28, 28, nil)
			copy(img, res)
		}
		out = append(out, x)
	}
	return out, labels
}

func loadCNN(t testing.TB) *graph.Graph {
	t.Helper()
	g, err := onnx.Load(fashionCNN)
	if err != nil {
		t.Fatal(err)
	}
	return g
}

// predict returns the argmax class of every image.
func predict(t testing.TB, g *graph.Graph, xs []*tensor.Tensor) []int {
	t.Helper()
	sess, err := graph.NewSession(g)
	if err != nil {
		t.Fatal(err)
	}
	var out []int
	for _, x := range xs {
		y, err := sess.Run1(x)
		if err != nil {
			t.Fatal(err)
		}
		c := y.Dim(1)
		for i := 0; i < y.Dim(0); i++ {
			row := y.Float32()[i*c : (i+1)*c]
			best := 0
			for j, v := range row {
				if v > row[best] {
					best = j
				}
			}
			out = append(out, best)
		}
	}
	return out
}

func accuracy(pred, labels []int) float64 {
	hit := 0
	for i := range pred {
		if pred[i] == labels[i] {
			hit++
		}
	}
	return float64(hit) / float64(len(pred))
}

func agreement(a, b []int) float64 { return accuracy(a, b) }

// options parses a quantization section.
func options(t testing.TB, yaml string) (Options, *config.Quantization) {
	t.Helper()
	c, err := config.Parse([]byte("quantization: " + yaml))
	if err != nil {
		t.Fatal(err)
	}
	if err := c.ValidateQuantization(); err != nil {
		t.Fatal(err)
	}
	o, err := NewOptions(c.Quantization)
	if err != nil {
		t.Fatal(err)
	}
	return o, c.Quantization
}

// same checks that two graphs compute identical outputs on xs.
func same(t testing.TB, a, b *graph.Graph, xs []*tensor.Tensor) {
	t.Helper()
	sa, err := graph.NewSession(a)
	if err != nil {
		t.Fatal(err)
	}
	sb, err := graph.NewSession(b)
	if err != nil {
		t.Fatal(err)
	}
	for _, x := range xs {
		ya, err := sa.Run1(x)
		if err != nil {
			t.Fatal(err)
		}
		yb, err := sb.Run1(x)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(ya.Float32(), yb.Float32()) {
			t.Fatalf("the reloaded model computes other outputs")
		}
	}
}
