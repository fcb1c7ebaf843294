package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"t2c/onnx"
)

// convertCNN quantizes the PyTorch-trained Fashion CNN W8A8 from its ONNX
// file in the same command that converts it.
const convertCNN = `
model: {path: ../../testdata/pytorch/fashion/cnn.onnx}
dataset: {spec: "fashion-mnist", test_limit: 300}
quantization: {wbit: 8, abit: 8, calib_samples: 64}
`

// TestConvertFromONNXConfig runs convert on a float ONNX model plus a
// quantization section and checks the summary: the integer model agrees
// with the fake-quant model and is integer-only.
func TestConvertFromONNXConfig(t *testing.T) {
	dir := t.TempDir()
	out, err := run(t, "convert", "--config", writeConfig(t, dir, convertCNN), "--samples", "4", "--json")
	if err != nil {
		t.Fatal(err)
	}
	var s struct {
		FakeQuantTop1 float64          `json:"fakequant_top1"`
		IntegerTop1   float64          `json:"integer_top1"`
		Agreement     float64          `json:"agreement"`
		Images        int              `json:"images"`
		IntegerOnly   bool             `json:"integer_only"`
		Layers        []map[string]any `json:"layers"`
		Ranges        []map[string]any `json:"range_analysis"`
	}
	if err := json.Unmarshal([]byte(out), &s); err != nil {
		t.Fatalf("stdout is not the JSON summary: %v\n%s", err, out)
	}
	if s.Images != 300 || s.Agreement < 0.99 || s.FakeQuantTop1 < 0.8 || abs(s.IntegerTop1-s.FakeQuantTop1) > 0.01 || !s.IntegerOnly {
		t.Fatalf("summary %+v", s)
	}
	if len(s.Ranges) != 5 || len(s.Layers) == 0 {
		t.Fatalf("%d range rows, %d layer rows", len(s.Ranges), len(s.Layers))
	}
	for _, key := range []string{"value", "integer_sqnr_db", "integer_vs_fakequant_max_diff"} {
		if _, ok := s.Layers[0][key]; !ok {
			t.Fatalf("layer row %v has no %q", s.Layers[0], key)
		}
	}
}

// TestExportAndDiffFromCheckpoint quantizes with ptq, then exports the
// checkpoint for hardware and diffs it.
func TestExportAndDiffFromCheckpoint(t *testing.T) {
	dir := t.TempDir()
	if _, err := run(t, "ptq", "--config", writeConfig(t, dir, convertCNN), "--out", dir); err != nil {
		t.Fatal(err)
	}
	ckpt := filepath.Join(dir, "model.safetensors")
	exp := filepath.Join(dir, "export")
	if _, err := run(t, "export", "--model", ckpt, "--data", "fashion-mnist", "--out", exp, "--pe", "8", "--samples", "2"); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"manifest.json", "params.h", "qdq.onnx", "tensors/1/conv1.acc.hex", "params/conv1.weight.hex"} {
		if _, err := os.Stat(filepath.Join(exp, f)); err != nil {
			t.Errorf("export: %v", err)
		}
	}
	if _, err := onnx.Load(filepath.Join(exp, "qdq.onnx")); err != nil {
		t.Fatal(err)
	}
	out, err := run(t, "diff", "--model", ckpt, "--data", "fashion-mnist", "--samples", "3", "--json")
	if err != nil {
		t.Fatal(err)
	}
	var d struct {
		Samples int              `json:"samples"`
		Values  []map[string]any `json:"values"`
		Ranges  []map[string]any `json:"range_analysis"`
	}
	if err := json.Unmarshal([]byte(out), &d); err != nil || d.Samples != 3 || len(d.Values) < 10 || len(d.Ranges) != 5 {
		t.Fatalf("diff --json: %v %+v", err, d)
	}
}

// TestConvertFailsCleanly checks bad configs, flags, models and export
// directories: a clear error and nothing written.
func TestConvertFailsCleanly(t *testing.T) {
	dir := t.TempDir()
	bad := writeConfig(t, dir, strings.Replace(convertCNN, "calib_samples", "calib_sample", 1))
	mustFail(t, []string{"calib_sample"}, "convert", "--config", bad)
	mustFail(t, []string{"--softmax", "banana"}, "convert", "--config", writeConfig(t, dir, convertCNN), "--softmax", "banana")
	mustFail(t, []string{"--format"}, "convert", "--config", writeConfig(t, dir, convertCNN), "--format", "float")
	mustFail(t, []string{"exactly one"}, "convert")

	// A model with an op that has no integer form names the node and op.
	g, err := onnx.Load("../../testdata/pytorch/fashion/cnn.onnx")
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range g.Nodes {
		if n.Op == "Relu" {
			n.Op = "Sigmoid"
			break
		}
	}
	sig := filepath.Join(dir, "sigmoid.onnx")
	if err := onnx.Save(g, sig); err != nil {
		t.Fatal(err)
	}
	cfg := writeConfig(t, dir, strings.Replace(convertCNN, "../../testdata/pytorch/fashion/cnn.onnx", sig, 1))
	mustFail(t, []string{"Sigmoid", "no integer form"}, "convert", "--config", cfg)

	// Export below a regular file: refused, nothing created.
	file := filepath.Join(dir, "file")
	if err := os.WriteFile(file, []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	mustFail(t, []string{"file"}, "export", "--config", writeConfig(t, dir, convertCNN), "--out", filepath.Join(file, "out"))
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		if strings.Contains(e.Name(), "out") || strings.HasPrefix(e.Name(), ".") {
			t.Errorf("export left %s behind", e.Name())
		}
	}
}

func abs(x float64) float64 {
	if x < 0 {
		return -x
	}
	return x
}
