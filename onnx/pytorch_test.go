package onnx_test

import (
	"math"
	"path/filepath"
	"testing"

	"t2c/graph"
	"t2c/internal/npytest"
	"t2c/onnx"
	"t2c/tensor"
)

// TestPyTorchFixtures runs the ONNX exports of three small PyTorch models
// (scripts/make_fixtures.py) and compares with PyTorch's own outputs: max
// abs difference within 1e-4 of the output scale, at batch 2 and batch 1
// (the exports have a dynamic batch axis, so batch 1 exercises the folding
// of their shape subgraphs for a different shape).
func TestPyTorchFixtures(t *testing.T) {
	for _, name := range []string{"resnet", "mobilenetv2", "vit"} {
		t.Run(name, func(t *testing.T) {
			dir := filepath.Join("..", "testdata", "pytorch")
			g, err := onnx.Load(filepath.Join(dir, name+".onnx"))
			if err != nil {
				t.Fatal(err)
			}
			x := npytest.Float32(t, filepath.Join(dir, name+".input.npy"))
			want := npytest.Float32(t, filepath.Join(dir, name+".output.npy"))
			sess, err := graph.NewSession(g)
			if err != nil {
				t.Fatal(err)
			}
			got, err := sess.Run1(x)
			if err != nil {
				t.Fatal(err)
			}
			compareScaled(t, "batch 2", got, want)

			first := tensor.New([]int{1, 3, 32, 32}, x.Float32()[:3*32*32])
			got1, err := sess.Run1(first)
			if err != nil {
				t.Fatal(err)
			}
			compareScaled(t, "batch 1", got1, tensor.New([]int{1, want.Dim(1)}, want.Float32()[:want.Dim(1)]))
		})
	}
}

func compareScaled(t *testing.T, what string, got, want *tensor.Tensor) {
	t.Helper()
	if !tensor.SameShape(got.Shape(), want.Shape()) {
		t.Fatalf("%s: output shape %v, PyTorch %v", what, got.Shape(), want.Shape())
	}
	var scale, maxDiff float64
	for i, w := range want.Float32() {
		scale = math.Max(scale, math.Abs(float64(w)))
		maxDiff = math.Max(maxDiff, math.Abs(float64(got.Float32()[i]-w)))
	}
	t.Logf("%s: max |t2c − PyTorch| = %.3g (output scale %.3g)", what, maxDiff, scale)
	if maxDiff > 1e-4*scale {
		t.Fatalf("%s: max abs diff %.3g exceeds 1e-4 × output scale %.3g", what, maxDiff, scale)
	}
}
