package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"google.golang.org/protobuf/proto"
	"t2c/data"
	"t2c/graph"

	"t2c/onnx"
	"t2c/onnx/onnxpb"
	"t2c/tensor"
)

// run executes the CLI in-process and returns its stdout and error.
func run(t *testing.T, args ...string) (string, error) {
	t.Helper()
	var buf bytes.Buffer
	stdout = &buf
	defer func() { stdout = os.Stdout }()
	cmd := rootCmd()
	cmd.SetArgs(append([]string{"--quiet"}, args...))
	err := cmd.Execute()
	return buf.String(), err
}

func mustFail(t *testing.T, want []string, args ...string) {
	t.Helper()
	_, err := run(t, args...)
	if err == nil {
		t.Fatalf("t2c %v succeeded, want an error", args)
	}
	for _, w := range want {
		if !strings.Contains(err.Error(), w) {
			t.Fatalf("t2c %v: error %q does not mention %q", args, err, w)
		}
	}
}

func TestInspectJSON(t *testing.T) {
	out, err := run(t, "inspect", "--json", "../../testdata/pytorch/resnet.onnx")
	if err != nil {
		t.Fatal(err)
	}
	var s struct {
		Params int            `json:"params"`
		MACs   int64          `json:"macs"`
		Ops    map[string]int `json:"op_counts"`
		Layers []struct {
			Name  string `json:"name"`
			Shape []int  `json:"output_shape"`
		} `json:"layers"`
	}
	if err := json.Unmarshal([]byte(out), &s); err != nil {
		t.Fatalf("stdout is not one JSON object: %v\n%s", err, out)
	}
	// 78,042 is PyTorch's sum(p.numel() for p in model.parameters()).
	if s.Params != 78042 || s.Ops["Conv"] != 9 || s.MACs <= 0 {
		t.Fatalf("params %d, convs %d, MACs %d", s.Params, s.Ops["Conv"], s.MACs)
	}
	if last := s.Layers[len(s.Layers)-1]; len(last.Shape) != 2 || last.Shape[1] != 10 {
		t.Fatalf("last layer %+v", last)
	}
}

func TestEvalJSON(t *testing.T) {
	out, err := run(t, "eval", "--json", "--model", "../../testdata/pytorch/fashion/cnn.onnx", "--limit", "300", "--batch", "64")
	if err != nil {
		t.Fatal(err)
	}
	var r map[string]any
	if err := json.Unmarshal([]byte(out), &r); err != nil {
		t.Fatalf("stdout is not JSON: %v\n%s", err, out)
	}
	if r["images"] != 300.0 || num(r["top1"]) < 0.8 || num(r["top1"]) > 1 || num(r["top5"]) < num(r["top1"]) || num(r["images_per_second"]) <= 0 {
		t.Fatalf("eval result %v", r)
	}
}

// TestBadInputs covers the failures a user meets first; each error must name
// what is wrong.
func TestBadInputs(t *testing.T) {
	dir := t.TempDir()
	raw, err := os.ReadFile("../../testdata/pytorch/resnet.onnx")
	if err != nil {
		t.Fatal(err)
	}
	truncated := filepath.Join(dir, "truncated.onnx")
	os.WriteFile(truncated, raw[:len(raw)/2], 0o644)
	mustFail(t, []string{"truncated.onnx"}, "inspect", truncated)

	unknownOp := writeGraph(t, dir, "unknown.onnx", func(m *onnxpb.ModelProto) { m.Graph.Node[0].OpType = proto.String("FancyNewOp") })
	mustFail(t, []string{"unknown.onnx", "FancyNewOp", `"relu"`}, "inspect", unknownOp)

	missingInit := writeGraph(t, dir, "missing.onnx", func(m *onnxpb.ModelProto) { m.Graph.Node[0].Input[0] = "conv.weight" })
	mustFail(t, []string{"missing.onnx", "conv.weight"}, "inspect", missingInit)

	mustFail(t, []string{"input", "[64 1 28 28]", "3"}, "eval", "--model", "../../testdata/pytorch/resnet.onnx", "--limit", "64")
	mustFail(t, []string{"no-such-dir"}, "eval", "--model", "../../testdata/pytorch/fashion/cnn.onnx", "--data", "fashion-mnist:"+filepath.Join(dir, "no-such-dir"))
	mustFail(t, []string{"nope.onnx", "no such file"}, "eval", "--model", filepath.Join(dir, "nope.onnx"))
	mustFail(t, []string{"imagenet-21k", "fashion-mnist"}, "eval", "--model", "../../testdata/pytorch/fashion/cnn.onnx", "--data", "imagenet-21k:/x")
	mustFail(t, []string{"--batch"}, "eval", "--model", "../../testdata/pytorch/fashion/cnn.onnx", "--batch", "0")
}

// writeGraph saves a one-Relu model after editing its protobuf (so the
// edit can make it invalid in ways t2c's exporter would refuse).
func writeGraph(t *testing.T, dir, name string, edit func(m *onnxpb.ModelProto)) string {
	t.Helper()
	g := graph.New("tiny", 17)
	g.Inputs = []graph.ValueInfo{{Name: "x", DType: tensor.Float32, Shape: []int{1, 4}}}
	g.Outputs = []graph.ValueInfo{{Name: "y", DType: tensor.Float32, Shape: []int{1, 4}}}
	g.Nodes = []*graph.Node{{Name: "relu", Op: "Relu", Inputs: []string{"x"}, Outputs: []string{"y"}}}
	m, err := onnx.ToModel(g)
	if err != nil {
		t.Fatal(err)
	}
	edit(m)
	raw, err := proto.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, raw, 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestTrainBadConfigsFailFast(t *testing.T) {
	dir := t.TempDir()
	base := "model: {zoo: resnet20, classes: 10, in_channels: 1, image_size: 28}\n" +
		"dataset: {spec: \"fashion-mnist:\"}\n" +
		"train: {lr: 0.1, epochs: 1, batch_size: 32}\n"
	cases := map[string]struct{ text, want string }{
		"unknown key":   {strings.Replace(base, "epochs", "epochz", 1), "epochz"},
		"negative lr":   {strings.Replace(base, "lr: 0.1", "lr: -1", 1), "train.lr"},
		"unknown model": {strings.Replace(base, "resnet20", "resnet21", 1), "resnet21"},
		"missing data":  {strings.Replace(base, "fashion-mnist:", "fashion-mnist:"+filepath.Join(dir, "gone"), 1), "gone"},
	}
	for name, c := range cases {
		path := filepath.Join(dir, strings.ReplaceAll(name, " ", "_")+".yaml")
		os.WriteFile(path, []byte(c.text), 0o644)
		mustFail(t, []string{c.want}, "train", "--config", path, "--out", filepath.Join(dir, "out"))
		if _, err := os.Stat(filepath.Join(dir, "out", "checkpoint.safetensors")); err == nil {
			t.Fatalf("%s: a checkpoint was written for a bad config", name)
		}
	}
}

// TestTrainExportEval trains a small ViT briefly, exports it to ONNX and
// checks that evaluating the ONNX file reproduces the accuracy measured at
// the end of training on the same test images.
func TestTrainExportEval(t *testing.T) {
	if _, err := os.Stat(data.DefaultFashionMNISTDir); err != nil {
		t.Skip("needs Debian's dataset-fashion-mnist")
	}
	dir := t.TempDir()
	cfg := filepath.Join(dir, "vit.yaml")
	os.WriteFile(cfg, []byte(`
model: {zoo: vit, classes: 10, in_channels: 1, image_size: 28, patch_size: 7, dim: 16, depth: 1, heads: 2, mlp_ratio: 2}
dataset: {spec: "fashion-mnist:", train_limit: 2048, test_limit: 256}
train: {lr: 0.01, epochs: 2, batch_size: 64, optim_type: adamw, weight_decay: 0.01, lr_sch: cos}
`), 0o644)
	onnxPath := filepath.Join(dir, "vit.onnx")
	out, err := run(t, "train", "--config", cfg, "--out", dir, "--export-onnx", onnxPath, "--json")
	if err != nil {
		t.Fatal(err)
	}
	var s struct {
		Top1 float64 `json:"top1"`
	}
	if err := json.Unmarshal([]byte(out), &s); err != nil {
		t.Fatalf("train --json: %v\n%s", err, out)
	}
	out, err = run(t, "eval", "--json", "--model", onnxPath, "--data", "fashion-mnist:", "--limit", "256")
	if err != nil {
		t.Fatal(err)
	}
	var e map[string]any
	json.Unmarshal([]byte(out), &e)
	if num(e["top1"]) != s.Top1 || s.Top1 < 0.2 {
		t.Fatalf("ONNX export evaluates to %v, training ended at %v", e["top1"], s.Top1)
	}
	// The checkpoint itself is a loadable model too.
	out, err = run(t, "eval", "--json", "--model", filepath.Join(dir, "model.safetensors"), "--data", "fashion-mnist:", "--limit", "256")
	if err != nil {
		t.Fatal(err)
	}
	json.Unmarshal([]byte(out), &e)
	if num(e["top1"]) != s.Top1 {
		t.Fatalf("checkpoint evaluates to %v, training ended at %v", e["top1"], s.Top1)
	}
}

func num(v any) float64 {
	f, _ := v.(float64)
	return f
}
