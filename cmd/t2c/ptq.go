package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"t2c/config"
	"t2c/eval"
	"t2c/graph"
	"t2c/internal/progress"
	"t2c/pipeline"
	"t2c/ptq"
)

func ptqCmd() *cobra.Command {
	var (
		cfgPath, outDir string
		asJSON          bool
	)
	cmd := &cobra.Command{
		Use:   "ptq --config FILE",
		Short: "Post-training quantization: calibrate (and reconstruct) quantizers, evaluate, save",
		Long: `ptq quantizes a trained float model (model.path ONNX, or model.zoo with
model.checkpoint) as the config's quantization section says: quantizers are
placed on every Conv/Gemm/MatMul, observe calibration images (the first
calib_samples of the dataset's train split), and with iters > 0 each layer
(CNNs) or attention/MLP block (transformers) is reconstructed: its learnable
quantizer parameters (AdaRound α, LSQ steps) are optimised to reproduce the
float block's output. It prints a per-layer error table, evaluates the float
and the fake-quantized model on the test split, and writes
OUT/model.safetensors (a quantized t2c checkpoint) and OUT/ptq.json.`,
		Example: `  t2c ptq --config configs/resnet20-fashion-ptq-w8a8.yaml
  t2c ptq --config configs/resnet20-fashion-ptq-w4a4-adaround.yaml --json --out runs/ptq-w4a4`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			cfg, opts, err := loadPTQConfig(cfgPath)
			if err != nil {
				return err
			}
			outDir = runDir(outDir, cfg, cfgPath)
			s, err := runPTQ(cfg, opts, cfgPath, outDir)
			if err != nil {
				return err
			}
			if asJSON {
				return printJSON(s)
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&cfgPath, "config", "", "YAML configuration with model, dataset and quantization sections (required)")
	cmd.Flags().StringVar(&outDir, "out", "", "output directory (default: output.dir or runs/<config name>)")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print a JSON summary on stdout")
	_ = cmd.MarkFlagRequired("config")
	return cmd
}

// loadPTQConfig reads and checks everything a PTQ run needs that does not
// depend on the model: keys, values, quantizer names and combinations.
func loadPTQConfig(path string) (*config.Config, ptq.Options, error) {
	cfg, err := config.Load(path)
	if err != nil {
		return nil, ptq.Options{}, err
	}
	if err := cfg.ValidateModel(); err != nil {
		return nil, ptq.Options{}, fmt.Errorf("config %s: %w", path, err)
	}
	if err := cfg.ValidateQuantization(); err != nil {
		return nil, ptq.Options{}, fmt.Errorf("config %s: %w", path, err)
	}
	if cfg.Dataset.TrainLimit < 0 || cfg.Dataset.TestLimit < 0 {
		return nil, ptq.Options{}, fmt.Errorf("config %s: dataset: train_limit and test_limit must be ≥ 0", path)
	}
	opts, err := ptq.NewOptions(cfg.Quantization)
	if err != nil {
		return nil, ptq.Options{}, fmt.Errorf("config %s: %w", path, err)
	}
	return cfg, opts, nil
}

// runDir is --out, else output.dir, else runs/<config name>.
func runDir(flag string, cfg *config.Config, cfgPath string) string {
	switch {
	case flag != "":
		return flag
	case cfg.Output.Dir != "":
		return cfg.Output.Dir
	}
	return filepath.Join("runs", strings.TrimSuffix(filepath.Base(cfgPath), filepath.Ext(cfgPath)))
}

// ptqSummary is the --json output of ptq (also OUT/ptq.json).
type ptqSummary struct {
	Model        string           `json:"model"`
	Config       string           `json:"config"`
	WBit         int              `json:"wbit"`
	ABit         int              `json:"abit"`
	WQType       string           `json:"wqtype"`
	XQType       string           `json:"xqtype"`
	Iters        int              `json:"iters"`
	FloatTop1    float64          `json:"float_top1"`
	QuantTop1    float64          `json:"quant_top1"`
	FloatTop5    float64          `json:"float_top5"`
	QuantTop5    float64          `json:"quant_top5"`
	Agreement    float64          `json:"agreement"`
	TestImages   int              `json:"test_images"`
	CalibImages  int              `json:"calib_images"`
	CalibSplit   string           `json:"calib_split"`
	CalibNote    string           `json:"calib_note,omitempty"`
	CalibSeconds float64          `json:"calib_seconds"`
	ReconInput   string           `json:"recon_input,omitempty"`
	Smoothed     int              `json:"smoothed_activations,omitempty"`
	Checkpoint   string           `json:"checkpoint"`
	Layers       []ptq.LayerStats `json:"layers"`
	Blocks       []ptq.BlockStats `json:"blocks,omitempty"`
}

// evalBatch is the evaluation batch size: train.batch_size, else 256.
func evalBatch(cfg *config.Config) int {
	if cfg.Train.BatchSize > 0 {
		return cfg.Train.BatchSize
	}
	return 256
}

func runPTQ(cfg *config.Config, opts ptq.Options, cfgPath, outDir string) (*ptqSummary, error) {
	q := cfg.Quantization
	g, prior, err := ptq.BuildModel(cfg.Model, cfg.Train.Seed)
	if err != nil {
		return nil, err
	}
	if prior != nil {
		return nil, fmt.Errorf("model.checkpoint %s is already quantized; ptq starts from a float model", cfg.Model.Checkpoint)
	}
	if err := ptq.Check(g, opts); err != nil {
		return nil, fmt.Errorf("config %s: quantization: %w", cfgPath, err)
	}
	d, err := pipeline.OpenData(cfg.Dataset, evalBatch(cfg), cfg.Train.Seed, false)
	if err != nil {
		return nil, err
	}
	calib, err := ptq.LoadCalibration(cfg.Dataset, q.CalibSamples, q.BatchSize)
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(outDir, 0o755); err != nil {
		return nil, fmt.Errorf("output directory: %w", err)
	}
	progress.Logf("ptq %s: W%d %s / A%d %s, %d calibration images (%s split), iters %d",
		modelName(cfg.Model), q.WBit, q.WQType, q.ABit, q.XQType, calib.Images, calib.Split, q.Iters)
	if calib.Note != "" {
		progress.Logf("note: %s", calib.Note)
	}
	float := g.Clone()
	rep, err := ptq.Run(g, calib.Batches, opts)
	if err != nil {
		return nil, err
	}
	progress.Logf("%s", strings.TrimRight(rep.Table(), "\n"))
	fr, err := evaluate(float, d, "float")
	if err != nil {
		return nil, err
	}
	qr, err := evaluate(g, d, "quantized")
	if err != nil {
		return nil, err
	}
	s := &ptqSummary{Model: modelName(cfg.Model), Config: cfgPath, WBit: q.WBit, ABit: q.ABit, WQType: q.WQType, XQType: q.XQType,
		Iters: q.Iters, FloatTop1: fr.Top1, QuantTop1: qr.Top1, FloatTop5: fr.Top5, QuantTop5: qr.Top5,
		Agreement: eval.Agreement(fr.Predictions, qr.Predictions), TestImages: qr.Images,
		CalibImages: calib.Images, CalibSplit: calib.Split, CalibNote: calib.Note, CalibSeconds: rep.CalibSeconds,
		ReconInput: rep.ReconInput, Layers: rep.Layers, Blocks: rep.Blocks,
		Checkpoint: filepath.Join(outDir, "model.safetensors")}
	if rep.Smooth != nil {
		s.Smoothed = len(rep.Smooth.Smoothed)
	}
	meta := map[string]string{}
	if raw, err := json.Marshal(map[string]float64{"float_top1": s.FloatTop1, "quant_top1": s.QuantTop1}); err == nil {
		meta["t2c.ptq"] = string(raw)
	}
	if err := ptq.SaveModel(s.Checkpoint, g, cfg.Model, q, meta); err != nil {
		return nil, err
	}
	if err := writeJSON(filepath.Join(outDir, "ptq.json"), s); err != nil {
		return nil, err
	}
	progress.Logf("float top-1 %.2f%%, quantized top-1 %.2f%% (agreement %.2f%%) on %d images; calibration %.1fs; saved %s",
		100*s.FloatTop1, 100*s.QuantTop1, 100*s.Agreement, s.TestImages, s.CalibSeconds, s.Checkpoint)
	return s, nil
}

// evaluate runs g on the test split.
func evaluate(g *graph.Graph, d *pipeline.Data, label string) (eval.Result, error) {
	sess, err := graph.NewSession(g)
	if err != nil {
		return eval.Result{}, err
	}
	r, err := eval.Run(sess, d.Test, label)
	if err != nil {
		return r, fmt.Errorf("evaluating the %s model: %w", label, err)
	}
	return r, nil
}
