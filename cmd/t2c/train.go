package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"t2c/checkpoint"
	"t2c/config"
	"t2c/internal/progress"
	"t2c/onnx"
	"t2c/pipeline"
	"t2c/tensor"
	"t2c/train"
)

func trainCmd() *cobra.Command {
	var (
		cfgPath, outDir, exportPath string
		resume, asJSON              bool
	)
	cmd := &cobra.Command{
		Use:   "train --config FILE",
		Short: "Train a model (zoo architecture or ONNX) on a dataset",
		Long: `train runs the optimisation described by a YAML config (model, dataset, train
sections; see configs/). After every epoch it writes OUT/checkpoint.safetensors
(weights, optimizer state, epoch) and OUT/history.json; at the end OUT/model.safetensors
and, with --export-onnx, an ONNX file that ONNX Runtime and PyTorch can load.`,
		Example: `  t2c train --config configs/resnet20-fashion.yaml
  t2c train --config configs/vit-fashion.yaml --out runs/vit --export-onnx runs/vit/model.onnx --json
  t2c train --config configs/resnet20-fashion.yaml --resume`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			cfg, err := loadTrainConfig(cfgPath)
			if err != nil {
				return err
			}
			if outDir == "" {
				outDir = cfg.Output.Dir
			}
			if outDir == "" {
				outDir = filepath.Join("runs", strings.TrimSuffix(filepath.Base(cfgPath), filepath.Ext(cfgPath)))
			}
			summary, err := runTraining(cfg, outDir, resume, exportPath)
			if err != nil {
				return err
			}
			if asJSON {
				return printJSON(summary)
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&cfgPath, "config", "", "YAML run configuration (required)")
	cmd.Flags().StringVar(&outDir, "out", "", "output directory (default: output.dir or runs/<config name>)")
	cmd.Flags().BoolVar(&resume, "resume", false, "continue from OUT/checkpoint.safetensors")
	cmd.Flags().StringVar(&exportPath, "export-onnx", "", "also write the trained model as ONNX to this file")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print a JSON summary on stdout")
	_ = cmd.MarkFlagRequired("config")
	return cmd
}

// loadTrainConfig reads and validates everything a training run needs
// before any work starts.
func loadTrainConfig(path string) (*config.Config, error) {
	cfg, err := config.Load(path)
	if err != nil {
		return nil, err
	}
	if err := cfg.ValidateModel(); err != nil {
		return nil, fmt.Errorf("config %s: %w", path, err)
	}
	if err := cfg.ValidateTrain(); err != nil {
		return nil, fmt.Errorf("config %s: %w", path, err)
	}
	return cfg, nil
}

// trainSummary is the --json output of train.
type trainSummary struct {
	Model           string             `json:"model"`
	Params          int                `json:"params"`
	Epochs          int                `json:"epochs"`
	Top1            float64            `json:"top1"`
	Top5            float64            `json:"top5"`
	BestTop1        float64            `json:"best_top1"`
	Minutes         float64            `json:"minutes"`
	ImagesPerSecond float64            `json:"images_per_second"`
	Checkpoint      string             `json:"checkpoint"`
	ONNX            string             `json:"onnx,omitempty"`
	History         []train.EpochStats `json:"history"`
}

func runTraining(cfg *config.Config, outDir string, resume bool, exportPath string) (*trainSummary, error) {
	t := cfg.Train
	g, err := pipeline.BuildModel(cfg.Model, t.Seed)
	if err != nil {
		return nil, err
	}
	d, err := pipeline.OpenData(cfg.Dataset, t.BatchSize, t.Seed, true)
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(outDir, 0o755); err != nil {
		return nil, fmt.Errorf("output directory: %w", err)
	}
	opt, sched, loss, err := trainParts(t)
	if err != nil {
		return nil, err
	}
	tr := train.NewTrainer(g, opt, sched, loss, t.Seed)
	ckpt := filepath.Join(outDir, "checkpoint.safetensors")
	var history []train.EpochStats
	start := 0
	if resume {
		if start, history, err = resumeFrom(ckpt, tr); err != nil {
			return nil, err
		}
		progress.Logf("resuming %s after epoch %d", ckpt, start)
	}
	progress.Logf("training %s (%d parameters) on %s: %d epochs, batch %d, %s, lr %g (%s)",
		modelName(cfg.Model), g.ParamCount(), cfg.Dataset.Spec, t.Epochs, t.BatchSize, t.OptimType, t.LR, t.LRSch)
	onEpoch := func(st train.EpochStats) error {
		history = append(history, st)
		meta := map[string]string{"t2c.epoch": strconv.Itoa(st.Epoch)}
		if h, err := json.Marshal(history); err == nil {
			meta["t2c.history"] = string(h)
		}
		if err := pipeline.SaveModel(ckpt, g, cfg.Model, prefixed("optim/", opt.State()), meta); err != nil {
			return err
		}
		return writeJSON(filepath.Join(outDir, "history.json"), history)
	}
	if _, err := train.Fit(tr, d.Train, d.Test, train.FitOptions{Epochs: t.Epochs, StartEpoch: start, OnEpoch: onEpoch}); err != nil {
		return nil, err
	}
	final := filepath.Join(outDir, "model.safetensors")
	if err := pipeline.SaveModel(final, g, cfg.Model, nil, nil); err != nil {
		return nil, err
	}
	s := summarize(cfg, g.ParamCount(), history, final)
	if exportPath != "" {
		if err := onnx.Save(g, exportPath); err != nil {
			return nil, err
		}
		s.ONNX = exportPath
		progress.Logf("wrote %s", exportPath)
	}
	progress.Logf("final test top-1 %.2f%% (best %.2f%%) in %.1f minutes; model saved to %s", 100*s.Top1, 100*s.BestTop1, s.Minutes, final)
	return s, nil
}

func trainParts(t config.Train) (train.Optimizer, train.Schedule, train.Loss, error) {
	var opt train.Optimizer
	switch t.OptimType {
	case "sgd":
		opt = &train.SGD{Momentum: t.Momentum, WeightDecay: t.WeightDecay, Nesterov: t.Nesterov}
	case "adam", "adamw":
		opt = train.NewAdam(t.WeightDecay, t.OptimType == "adamw")
	}
	sched, err := train.NewSchedule(t.LRSch, t.LR, t.Epochs, t.Warmup, t.StepSize, t.Milestones, t.Gamma)
	if err != nil {
		return nil, nil, nil, fmt.Errorf("train: %w", err)
	}
	if c, ok := sched.(train.Cosine); ok {
		c.Min = t.MinLR
		sched = c
	}
	var loss train.Loss = train.CrossEntropy{Smoothing: t.Smoothing}
	if t.LossType == "mse" {
		loss = train.MSE{}
	}
	return opt, sched, loss, nil
}

// resumeFrom restores weights, optimizer state and history from ckpt.
func resumeFrom(ckpt string, tr *train.Trainer) (int, []train.EpochStats, error) {
	tensors, meta, err := checkpoint.Load(ckpt)
	if err != nil {
		return 0, nil, fmt.Errorf("--resume: %w", err)
	}
	weights, state := map[string]*tensor.Tensor{}, map[string]*tensor.Tensor{}
	for k, v := range tensors {
		if rest, ok := strings.CutPrefix(k, "optim/"); ok {
			state[rest] = v
		} else {
			weights[k] = v
		}
	}
	if err := checkpoint.LoadInto(tr.Graph, weights, true); err != nil {
		return 0, nil, fmt.Errorf("--resume: %w", err)
	}
	if err := tr.Optimizer.LoadState(state); err != nil {
		return 0, nil, fmt.Errorf("--resume: %w", err)
	}
	epoch, err := strconv.Atoi(meta["t2c.epoch"])
	if err != nil {
		return 0, nil, fmt.Errorf("--resume: %s has no epoch metadata", ckpt)
	}
	var history []train.EpochStats
	_ = json.Unmarshal([]byte(meta["t2c.history"]), &history)
	return epoch, history, nil
}

func summarize(cfg *config.Config, params int, history []train.EpochStats, final string) *trainSummary {
	s := &trainSummary{Model: modelName(cfg.Model), Params: params, Epochs: len(history), Checkpoint: final, History: history}
	var seconds, images float64
	for _, h := range history {
		s.BestTop1 = max(s.BestTop1, h.TestTop1)
		seconds += h.Seconds
		images += h.Seconds * h.ImagesPerSecond
	}
	if n := len(history); n > 0 {
		s.Top1, s.Top5 = history[n-1].TestTop1, history[n-1].TestTop5
	}
	s.Minutes = seconds / 60
	if seconds > 0 {
		s.ImagesPerSecond = images / seconds
	}
	return s
}

func modelName(m config.Model) string {
	if m.Zoo != "" {
		return m.Zoo
	}
	return m.Path
}

func prefixed(prefix string, m map[string]*tensor.Tensor) map[string]*tensor.Tensor {
	out := make(map[string]*tensor.Tensor, len(m))
	for k, v := range m {
		out[prefix+k] = v
	}
	return out
}

// writeJSON writes v to path atomically.
func writeJSON(path string, v any) error {
	raw, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, raw, 0o644); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}
