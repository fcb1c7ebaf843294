package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"t2c/data"
	"t2c/pipeline"
	"t2c/ptq"
)

const ptqCNN = `
model: {path: ../../testdata/pytorch/fashion/cnn.onnx}
dataset: {spec: "fashion-mnist", test_limit: 200}
quantization: {wbit: 4, abit: 4, wqtype: adaround, xqtype: lsq, iters: 20, lr: 0.01, calib_samples: 64}
`

func writeConfig(t *testing.T, dir, text string) string {
	t.Helper()
	path := filepath.Join(dir, "cfg.yaml")
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestPTQThenQAT quantizes a trained CNN with ptq --json, checks the
// summary's schema, then fine-tunes the saved quantized checkpoint with
// qat for one short epoch.
func TestPTQThenQAT(t *testing.T) {
	dir := t.TempDir()
	out, err := run(t, "ptq", "--config", writeConfig(t, dir, ptqCNN), "--out", dir, "--json")
	if err != nil {
		t.Fatal(err)
	}
	var s map[string]any
	if err := json.Unmarshal([]byte(out), &s); err != nil {
		t.Fatalf("stdout is not one JSON object: %v\n%s", err, out)
	}
	for _, key := range []string{"float_top1", "quant_top1", "calib_seconds", "agreement", "calib_images", "calib_split", "calib_note", "layers", "blocks", "checkpoint"} {
		if _, ok := s[key]; !ok {
			t.Errorf("--json has no %q", key)
		}
	}
	if num(s["float_top1"]) < 0.8 || num(s["quant_top1"]) < 0.7 || num(s["calib_seconds"]) <= 0 || s["calib_split"] != "test" || num(s["calib_images"]) != 64 {
		t.Fatalf("summary %v", s)
	}
	layers, _ := s["layers"].([]any)
	if len(layers) != 5 {
		t.Fatalf("%d layers", len(layers))
	}
	for _, l := range layers {
		m, _ := l.(map[string]any)
		for _, key := range []string{"name", "wbit", "abit", "mse_before", "mse_after", "sqnr_before_db", "sqnr_after_db"} {
			if _, ok := m[key]; !ok {
				t.Fatalf("layer %v has no %q", m, key)
			}
		}
		if num(m["wbit"]) != 4 || num(m["abit"]) != 4 {
			t.Fatalf("layer %v", m)
		}
	}
	ckpt := filepath.Join(dir, "model.safetensors")
	for _, f := range []string{ckpt, filepath.Join(dir, "ptq.json")} {
		if _, err := os.Stat(f); err != nil {
			t.Fatal(err)
		}
	}

	if _, err := os.Stat(data.DefaultFashionMNISTDir); err != nil {
		t.Skip("qat needs a train split: Debian's dataset-fashion-mnist")
	}
	qdir := filepath.Join(dir, "qat")
	cfg := writeConfig(t, dir, `
model: {path: ../../testdata/pytorch/fashion/cnn.onnx, checkpoint: `+ckpt+`}
dataset: {spec: "fashion-mnist:", train_limit: 256, test_limit: 128}
train: {lr: 0.001, epochs: 1, batch_size: 64, optim_type: adam, lr_sch: cos}
`)
	out, err = run(t, "qat", "--config", cfg, "--out", qdir, "--json")
	if err != nil {
		t.Fatal(err)
	}
	var q struct {
		Start      string  `json:"start"`
		WBit       int     `json:"wbit"`
		StartTop1  float64 `json:"start_top1"`
		Top1       float64 `json:"top1"`
		Epochs     int     `json:"epochs"`
		Checkpoint string  `json:"checkpoint"`
	}
	if err := json.Unmarshal([]byte(out), &q); err != nil {
		t.Fatalf("qat --json: %v\n%s", err, out)
	}
	if q.Start != ckpt || q.WBit != 4 || q.Epochs != 1 || q.StartTop1 < 0.6 || q.Top1 < 0.6 {
		t.Fatalf("qat summary %+v", q)
	}
	if _, err := os.Stat(q.Checkpoint); err != nil {
		t.Fatal(err)
	}

	// From a float model: quantizers are placed and calibrated first.
	cfg = writeConfig(t, dir, `
model: {path: ../../testdata/pytorch/fashion/cnn.onnx}
dataset: {spec: "fashion-mnist:", train_limit: 128, test_limit: 128}
train: {lr: 0.001, epochs: 1, batch_size: 64, optim_type: adam, lr_sch: cos}
quantization: {wbit: 4, abit: 4, wqtype: lsq, wgranularity: channel, xqtype: lsq, calib_samples: 64}
`)
	out, err = run(t, "qat", "--config", cfg, "--out", qdir, "--json")
	if err != nil {
		t.Fatal(err)
	}
	var f map[string]any
	if err := json.Unmarshal([]byte(out), &f); err != nil || f["start"] != "float" || num(f["float_top1"]) < 0.8 || num(f["top1"]) < 0.6 {
		t.Fatalf("qat from float: %v %v", err, f)
	}
}

func TestPTQBadConfigsFailFast(t *testing.T) {
	cases := map[string]struct{ text, want string }{
		"unknown key":         {strings.Replace(ptqCNN, "iters: 20", "iterations: 20", 1), "iterations"},
		"unknown quantizer":   {strings.Replace(ptqCNN, "xqtype: lsq", "xqtype: lsqq", 1), "quantization.xqtype: unknown quantizer"},
		"mxint with 5 bits":   {strings.Replace(strings.Replace(ptqCNN, "wqtype: adaround", "wqtype: mxint", 1), "wbit: 4", "wbit: 5", 1), "4 or 8 bits"},
		"adaround activation": {strings.Replace(ptqCNN, "xqtype: lsq", "xqtype: adaround", 1), "adaround quantizes weights"},
		"no section":          {ptqCNN[:strings.Index(ptqCNN, "quantization")], "quantization: section missing"},
		"missing checkpoint":  {strings.Replace(ptqCNN, "cnn.onnx}", "cnn.onnx, checkpoint: missing.safetensors}", 1), "missing.safetensors"},
		"bad dataset":         {strings.Replace(ptqCNN, `spec: "fashion-mnist"`, `spec: "imagenet:/nowhere"`, 1), "imagenet"},
	}
	for name, tc := range cases {
		dir := t.TempDir()
		out := filepath.Join(dir, "out")
		_, err := run(t, "ptq", "--config", writeConfig(t, dir, tc.text), "--out", out)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: error %v, want one mentioning %q", name, err, tc.want)
		}
		if _, err := os.Stat(out); err == nil {
			t.Errorf("%s: the output directory was created before the error", name)
		}
	}
}

// TestShippedQuantizationConfigs checks every PTQ and QAT config in
// configs/ against the registry, and against its model (without the
// trained weights, which the training runs produce) once per model and
// weight quantizer (placing MSE-searched weight quantizers is slow).
func TestShippedQuantizationConfigs(t *testing.T) {
	paths, _ := filepath.Glob("../../configs/*-ptq-*.yaml")
	qat, _ := filepath.Glob("../../configs/*-qat*.yaml")
	if len(paths) < 14 || len(qat) == 0 {
		t.Fatalf("found %d ptq and %d qat configs", len(paths), len(qat))
	}
	placed := map[string]bool{}
	for _, p := range append(paths, qat...) {
		cfg, opts, err := loadPTQConfig(p)
		if err != nil {
			t.Errorf("%s: %v", p, err)
			continue
		}
		if strings.Contains(p, "-qat") {
			if _, err := loadQATConfig(p); err != nil {
				t.Errorf("%s: %v", p, err)
			}
		}
		key := cfg.Model.Zoo + "/" + cfg.Quantization.WQType
		if placed[key] {
			continue
		}
		placed[key] = true
		m := cfg.Model
		m.Checkpoint = ""
		g, err := pipeline.BuildModel(m, 1)
		if err != nil {
			t.Errorf("%s: %v", p, err)
			continue
		}
		if err := ptq.Check(g, opts); err != nil {
			t.Errorf("%s: %v", p, err)
		}
	}
}
