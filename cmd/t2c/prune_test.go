package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/spf13/cobra"

	"t2c/data"
	"t2c/graph"
	"t2c/pipeline"
	"t2c/prune"
	"t2c/ptq"
	"t2c/quant"
	"t2c/tensor"
)

// runPruneCLI runs the CLI with the prune command registered.
func runPruneCLI(t *testing.T, args ...string) (string, error) {
	t.Helper()
	root := rootCmd()
	if c, _, err := root.Find([]string{"prune"}); err != nil || c == root {
		root.AddCommand(pruneCmd())
	}
	return runRoot(t, root, args...)
}

func runRoot(t *testing.T, root *cobra.Command, args ...string) (string, error) {
	t.Helper()
	var buf strings.Builder
	stdout = &buf
	defer func() { stdout = os.Stdout }()
	root.SetArgs(append([]string{"--quiet"}, args...))
	err := root.Execute()
	return buf.String(), err
}

const pruneCNN = `
model: {path: ../../testdata/pytorch/fashion/cnn.onnx}
dataset: {spec: "fashion-mnist:", train_limit: 256, test_limit: 200}
train: {lr: 0.001, epochs: 1, batch_size: 64, optim_type: adam, lr_sch: cos}
pruning: {type: nm, n: 2, m: 4}
`

// TestPruneThenPTQ prunes a trained CNN 2:4 with one short epoch of
// fine-tuning, checks the summary, then quantizes the pruned checkpoint
// with t2c ptq and checks that the fake-quant model is still 2:4 sparse.
func TestPruneThenPTQ(t *testing.T) {
	if _, err := os.Stat(data.DefaultFashionMNISTDir); err != nil {
		t.Skip("fine-tuning needs a train split: Debian's dataset-fashion-mnist")
	}
	dir := t.TempDir()
	out, err := runPruneCLI(t, "prune", "--config", writeConfig(t, dir, pruneCNN), "--out", dir, "--json")
	if err != nil {
		t.Fatal(err)
	}
	var s pruneSummary
	if err := json.Unmarshal([]byte(out), &s); err != nil {
		t.Fatalf("stdout is not one JSON object: %v\n%s", err, out)
	}
	if s.Sparsity != 0.5 || s.Target != 0.5 || s.DenseTop1 < 0.8 || s.SparseTop1 < 0.6 || s.OneShotTop1 == nil || len(s.History) != 1 || s.TestImages != 200 {
		t.Fatalf("summary %+v", s)
	}
	pruned := 0
	for _, l := range s.Layers {
		if l.Pruned {
			pruned++
			if l.NM != "2:4" || l.Sparsity != 0.5 {
				t.Fatalf("layer %+v", l)
			}
		}
	}
	if pruned != 4 || len(s.Skipped) != 1 { // conv1 reads one input channel
		t.Fatalf("%d pruned layers, skipped %v", pruned, s.Skipped)
	}
	for _, f := range []string{s.Checkpoint, filepath.Join(dir, "prune.json"), filepath.Join(dir, "checkpoint.safetensors")} {
		if _, err := os.Stat(f); err != nil {
			t.Fatal(err)
		}
	}

	qdir := filepath.Join(dir, "ptq")
	cfg := writeConfig(t, dir, `
model: {path: ../../testdata/pytorch/fashion/cnn.onnx, checkpoint: `+s.Checkpoint+`}
dataset: {spec: "fashion-mnist:", test_limit: 200}
quantization: {wbit: 4, abit: 8, wqtype: adaround, xqtype: minmax, iters: 10, calib_samples: 64}
`)
	if out, err = runPruneCLI(t, "ptq", "--config", cfg, "--out", qdir, "--json"); err != nil {
		t.Fatal(err)
	}
	var q map[string]any
	if err := json.Unmarshal([]byte(out), &q); err != nil {
		t.Fatal(err)
	}
	if num(q["float_top1"]) != s.SparseTop1 || num(q["quant_top1"]) < 0.6 {
		t.Fatalf("ptq of the pruned model: %v (sparse float %v)", q, s.SparseTop1)
	}
	g, _, err := ptq.LoadModel(filepath.Join(qdir, "model.safetensors"))
	if err != nil {
		t.Fatal(err)
	}
	layers := prune.Masked(g)
	if len(layers) != 4 {
		t.Fatalf("the quantized checkpoint has %d masked layers", len(layers))
	}
	c := g.Clone()
	if err := quant.SetMode(c, quant.ModeQuantize); err != nil {
		t.Fatal(err)
	}
	for _, l := range layers {
		c.Outputs = append(c.Outputs, graph.ValueInfo{Name: l.Weight + prune.ApplySuffix})
	}
	sess, err := graph.NewSession(c)
	if err != nil {
		t.Fatal(err)
	}
	res, err := sess.Run(map[string]*tensor.Tensor{c.Inputs[0].Name: tensor.Zeros(tensor.Float32, 1, 1, 28, 28)})
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range layers {
		mask := g.Params[l.Mask].Float32()
		zeros := 0
		for i, v := range res[l.Weight+prune.ApplySuffix].Float32() {
			if mask[i] == 0 && v != 0 {
				t.Fatalf("%s: fake-quant weight %d is %v where masked", l.Name, i, v)
			}
			if v == 0 {
				zeros++
			}
		}
		if zeros < len(mask)/2 {
			t.Fatalf("%s: %d zeros of %d", l.Name, zeros, len(mask))
		}
	}
}

func TestPruneRejectsBadConfigsBeforeWork(t *testing.T) {
	dir := t.TempDir()
	for text, key := range map[string]string{
		strings.Replace(pruneCNN, "n: 2, m: 4", "n: 4, m: 4", 1):                                                                  "pruning.n",
		strings.Replace(pruneCNN, "type: nm", "type: block", 1):                                                                   "pruning.type",
		strings.Replace(pruneCNN, "m: 4}", "m: 4, erk: true}", 1):                                                                 "pruning.granularity",
		strings.Replace(pruneCNN, "epochs: 1", "epochs: 1, lr_sch: x", 1):                                                         "lr_sch",
		strings.Replace(pruneCNN, "{type: nm, n: 2, m: 4}", "{type: element, sparsity: 0.5, schedule: gradual, end_epoch: 3}", 1): "pruning",
		strings.Replace(pruneCNN, "m: 4}", "m: 4, excludes: [fc]}", 1):                                                            "excludes",
	} {
		_, err := runPruneCLI(t, "prune", "--config", writeConfig(t, dir, text), "--out", dir)
		if err == nil || !strings.Contains(err.Error(), key) {
			t.Errorf("error %v does not name %q", err, key)
		}
	}
}

// TestPruneOneShotWithoutTraining prunes element-wise per layer with no
// train section: the embedded test subset suffices.
func TestPruneOneShotWithoutTraining(t *testing.T) {
	dir := t.TempDir()
	cfg := writeConfig(t, dir, `
model: {path: ../../testdata/pytorch/fashion/cnn.onnx}
dataset: {spec: "fashion-mnist", test_limit: 100}
pruning: {type: element, sparsity: 0.3, granularity: layer, exclude: [fc]}
`)
	out, err := runPruneCLI(t, "prune", "--config", cfg, "--out", dir, "--json")
	if err != nil {
		t.Fatal(err)
	}
	var s pruneSummary
	if err := json.Unmarshal([]byte(out), &s); err != nil {
		t.Fatal(err)
	}
	if s.Epochs != 0 || s.History != nil || s.OneShotTop1 == nil || *s.OneShotTop1 != s.SparseTop1 || s.SparseTop1 < 0.7 {
		t.Fatalf("summary %+v", s)
	}
	for _, l := range s.Layers {
		if l.Pruned && (l.Sparsity < 0.29 || l.Sparsity > 0.31) || !l.Pruned && l.Layer != "fc" {
			t.Fatalf("layer %+v", l)
		}
	}
	g, err := pipeline.LoadModel(s.Checkpoint)
	if err != nil {
		t.Fatal(err)
	}
	if len(prune.Masked(g)) != 4 {
		t.Fatalf("%d masked layers reloaded", len(prune.Masked(g)))
	}
}
