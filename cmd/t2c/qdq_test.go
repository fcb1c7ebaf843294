package main

import (
	"encoding/json"
	"math"
	"path/filepath"
	"testing"

	"t2c/data"
	"t2c/graph"
	"t2c/onnx"
	"t2c/quant"
	"t2c/tensor"
)

// qdqPTQConfig is a quick W4A4 min-max PTQ of the fashion CNN: 4-bit
// activations exercise the Clip the QDQ export adds.
const qdqPTQConfig = `
model: {path: ../../testdata/pytorch/fashion/cnn.onnx}
dataset: {spec: "fashion-mnist", test_limit: 100}
quantization: {wbit: 4, abit: 4, wqtype: minmax_channel, xqtype: minmax, calib_samples: 64}
`

// TestExportONNXQDQ quantizes with ptq, exports with --qdq and checks that
// the ONNX file has only standard ops and computes exactly what the
// fake-quantized checkpoint computes, and that eval agrees on both.
func TestExportONNXQDQ(t *testing.T) {
	dir := t.TempDir()
	if _, err := run(t, "ptq", "--config", writeConfig(t, dir, qdqPTQConfig), "--out", dir); err != nil {
		t.Fatal(err)
	}
	ckpt, out := filepath.Join(dir, "model.safetensors"), filepath.Join(dir, "qdq.onnx")
	if _, err := run(t, "export-onnx", "--model", ckpt, "--qdq", "--out", out); err != nil {
		t.Fatal(err)
	}
	fq, err := loadModel(ckpt)
	if err != nil {
		t.Fatal(err)
	}
	h, err := onnx.Load(out)
	if err != nil {
		t.Fatal(err)
	}
	if n := len(quant.Nodes(h)); n > 0 || len(h.Find("QuantizeLinear")) == 0 || len(h.Find("Clip")) == 0 || h.Opset < 13 {
		t.Fatalf("QDQ model: %d FakeQuant nodes, %d QuantizeLinear, %d Clip, opset %d", n, len(h.Find("QuantizeLinear")), len(h.Find("Clip")), h.Opset)
	}
	x := qdqTestImages(t, 64)
	want, got := qdqRun(t, fq, x), qdqRun(t, h, x)
	for i := range want {
		if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
			t.Fatalf("logit %d: QDQ ONNX %v, fake-quant checkpoint %v", i, got[i], want[i])
		}
	}
	top1 := func(model string) float64 {
		s, err := run(t, "eval", "--json", "--model", model, "--limit", "200")
		if err != nil {
			t.Fatal(err)
		}
		var r map[string]any
		if err := json.Unmarshal([]byte(s), &r); err != nil {
			t.Fatal(err)
		}
		return num(r["top1"])
	}
	if a, b := top1(ckpt), top1(out); a != b || a < 0.5 {
		t.Fatalf("eval top-1: checkpoint %v, QDQ ONNX %v", a, b)
	}
}

func TestExportONNXQDQNeedsQuantizers(t *testing.T) {
	mustFail(t, []string{"--qdq", "cnn.onnx", "no quantizers"}, "export-onnx", "--model", "../../testdata/pytorch/fashion/cnn.onnx", "--qdq", "--out", filepath.Join(t.TempDir(), "x.onnx"))
}

// qdqTestImages is a batch of the first n embedded test images, normalised.
func qdqTestImages(t *testing.T, n int) *tensor.Tensor {
	t.Helper()
	ds, preset, err := data.Open("fashion-mnist", "test")
	if err != nil {
		t.Fatal(err)
	}
	norm := preset.Normalize()
	x := tensor.Zeros(tensor.Float32, n, 1, 28, 28)
	for i := range n {
		img := x.Float32()[i*784 : (i+1)*784]
		ds.Image(i, img)
		res, _, _, _ := norm.Apply(img, 1, 28, 28, nil)
		copy(img, res)
	}
	return x
}

func qdqRun(t *testing.T, g *graph.Graph, x *tensor.Tensor) []float32 {
	t.Helper()
	sess, err := graph.NewSession(g)
	if err != nil {
		t.Fatal(err)
	}
	y, err := sess.Run1(x)
	if err != nil {
		t.Fatal(err)
	}
	return y.Float32()
}
