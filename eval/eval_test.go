package eval_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"t2c/data"
	"t2c/eval"
	"t2c/graph"
	"t2c/internal/npytest"
	"t2c/onnx"
)

const fashionDir = "../testdata/pytorch/fashion"

func fashionSession(t *testing.T) *graph.Session {
	g, err := onnx.Load(filepath.Join(fashionDir, "cnn.onnx"))
	if err != nil {
		t.Fatal(err)
	}
	sess, err := graph.NewSession(g)
	if err != nil {
		t.Fatal(err)
	}
	return sess
}

// TestReproducesPyTorchOnFashionMNIST evaluates the PyTorch-trained CNN on
// the full Fashion-MNIST test set and compares image by image with the
// predictions PyTorch made (scripts/train_fashion_reference.py).
func TestReproducesPyTorchOnFashionMNIST(t *testing.T) {
	if testing.Short() {
		t.Skip("full 10,000-image evaluation skipped in -short mode")
	}
	if _, err := os.Stat(data.DefaultFashionMNISTDir); err != nil {
		t.Skipf("Fashion-MNIST not installed (Debian package dataset-fashion-mnist): %v", err)
	}
	ds, preset, err := data.Open("fashion-mnist:", "test")
	if err != nil {
		t.Fatal(err)
	}
	loader := data.NewLoader(ds, data.LoaderOptions{BatchSize: 250, Transforms: preset.Transforms(false)})
	res, err := eval.Run(fashionSession(t), loader, "test")
	if err != nil {
		t.Fatal(err)
	}
	var ref struct {
		Top1 float64 `json:"top1"`
	}
	raw, err := os.ReadFile(filepath.Join(fashionDir, "reference.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(raw, &ref); err != nil {
		t.Fatal(err)
	}
	want := npytest.Int64(t, filepath.Join(fashionDir, "predictions.npy"))
	same := 0
	for i, p := range res.Predictions {
		if int64(p) == want[i] {
			same++
		}
	}
	agree := float64(same) / float64(len(want))
	t.Logf("t2c top-1 %.4f, PyTorch %.4f, same prediction on %d/%d images (%.1f images/s)", res.Top1, ref.Top1, same, len(want), res.ImagesPerSecond)
	if res.Images != len(want) || agree < 0.999 {
		t.Fatalf("predictions agree on %.4f of %d images, want ≥ 0.999", agree, res.Images)
	}
	if d := res.Top1 - ref.Top1; d > 0.001 || d < -0.001 {
		t.Fatalf("top-1 %.4f differs from PyTorch's %.4f", res.Top1, ref.Top1)
	}
}

func TestTopKCounting(t *testing.T) {
	if eval.Argmax([]float32{1, 3, 3, 2}) != 1 {
		t.Fatal("argmax must pick the first maximum")
	}
	if a := eval.Agreement([]int{1, 2, 3, 4}, []int{1, 2, 0, 4}); a != 0.75 {
		t.Fatalf("agreement %v, want 0.75", a)
	}
}

// TestLogitsMatchPyTorch compares raw logits of the first 16 test images
// (which the embedded subset holds, so this runs everywhere).
func TestLogitsMatchPyTorch(t *testing.T) {
	ds, preset, err := data.Open("fashion-mnist", "test")
	if err != nil {
		t.Fatal(err)
	}
	loader := data.NewLoader(ds, data.LoaderOptions{BatchSize: 16, Limit: 16, Transforms: preset.Transforms(false)})
	want := npytest.Float32(t, filepath.Join(fashionDir, "logits16.npy")).Float32()
	sess := fashionSession(t)
	for b, err := range loader.Epoch(0) {
		if err != nil {
			t.Fatal(err)
		}
		got, err := sess.Run1(b.X)
		if err != nil {
			t.Fatal(err)
		}
		for i, w := range want {
			if d := got.Float32()[i] - w; d > 1e-4 || d < -1e-4 {
				t.Fatalf("logit %d = %v, PyTorch %v", i, got.Float32()[i], w)
			}
		}
	}
}
