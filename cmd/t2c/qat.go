package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strconv"

	"github.com/spf13/cobra"

	"t2c/config"
	"t2c/internal/progress"
	"t2c/pipeline"
	"t2c/ptq"
	"t2c/quant"
	"t2c/train"
)

func qatCmd() *cobra.Command {
	var (
		cfgPath, outDir string
		asJSON          bool
	)
	cmd := &cobra.Command{
		Use:   "qat --config FILE",
		Short: "Quantization-aware training: fine-tune a model with quantizers in the training path",
		Long: `qat fine-tunes a model with fake quantizers in its forward pass (straight-through
gradients; learned quantizer parameters such as LSQ steps train with the weights
unless requires_grad is false), using the config's train section (epochs, lr,
optim_type, lr_sch ...). The start is either a float model — quantizers are then
placed and calibrated as ptq does, from the quantization section (iters > 0 adds
reconstruction) — or a quantized checkpoint from ptq or qat given as
model.checkpoint, whose own quantization settings are used. It writes
OUT/checkpoint.safetensors after every epoch, OUT/history.json and, at the end,
OUT/model.safetensors (a quantized t2c checkpoint).`,
		Example: `  t2c qat --config configs/resnet20-fashion-qat-w4a4.yaml
  t2c qat --config configs/resnet20-fashion-qat-w4a4.yaml --json --out runs/qat`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			cfg, err := loadQATConfig(cfgPath)
			if err != nil {
				return err
			}
			s, err := runQAT(cfg, cfgPath, runDir(outDir, cfg, cfgPath))
			if err != nil {
				return err
			}
			if asJSON {
				return printJSON(s)
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&cfgPath, "config", "", "YAML configuration with model, dataset, train and quantization sections (required)")
	cmd.Flags().StringVar(&outDir, "out", "", "output directory (default: output.dir or runs/<config name>)")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print a JSON summary on stdout")
	_ = cmd.MarkFlagRequired("config")
	return cmd
}

// loadQATConfig checks the model and train sections, and the quantization
// section if there is one (a quantized checkpoint brings its own).
func loadQATConfig(path string) (*config.Config, error) {
	cfg, err := loadTrainConfig(path)
	if err != nil {
		return nil, err
	}
	if cfg.Quantization != nil {
		if err := cfg.ValidateQuantization(); err != nil {
			return nil, fmt.Errorf("config %s: %w", path, err)
		}
		if _, err := ptq.NewOptions(cfg.Quantization); err != nil {
			return nil, fmt.Errorf("config %s: %w", path, err)
		}
	}
	return cfg, nil
}

// qatSummary is the --json output of qat.
type qatSummary struct {
	Model      string             `json:"model"`
	Start      string             `json:"start"` // "float" or the quantized checkpoint
	WBit       int                `json:"wbit"`
	ABit       int                `json:"abit"`
	WQType     string             `json:"wqtype"`
	XQType     string             `json:"xqtype"`
	FloatTop1  *float64           `json:"float_top1,omitempty"`
	StartTop1  float64            `json:"start_top1"` // the quantized model before QAT
	Top1       float64            `json:"top1"`
	Top5       float64            `json:"top5"`
	BestTop1   float64            `json:"best_top1"`
	Epochs     int                `json:"epochs"`
	Minutes    float64            `json:"minutes"`
	Checkpoint string             `json:"checkpoint"`
	History    []train.EpochStats `json:"history"`
}

func runQAT(cfg *config.Config, cfgPath, outDir string) (*qatSummary, error) {
	t := cfg.Train
	g, q, err := ptq.BuildModel(cfg.Model, t.Seed)
	if err != nil {
		return nil, err
	}
	s := &qatSummary{Model: modelName(cfg.Model), Start: "float"}
	var opts ptq.Options
	if q != nil {
		s.Start = cfg.Model.Checkpoint
		if cfg.Quantization != nil {
			progress.Logf("note: %s is quantized; its own quantization settings are used, not the config's", cfg.Model.Checkpoint)
		}
	} else {
		if q = cfg.Quantization; q == nil {
			return nil, fmt.Errorf("config %s: quantization: section missing (needed to quantize a float model)", cfgPath)
		}
		if opts, err = ptq.NewOptions(q); err != nil {
			return nil, err
		}
		if err := ptq.Check(g, opts); err != nil {
			return nil, fmt.Errorf("config %s: quantization: %w", cfgPath, err)
		}
	}
	d, err := pipeline.OpenData(cfg.Dataset, t.BatchSize, t.Seed, true)
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(outDir, 0o755); err != nil {
		return nil, fmt.Errorf("output directory: %w", err)
	}
	s.WBit, s.ABit, s.WQType, s.XQType = q.WBit, q.ABit, q.WQType, q.XQType
	if s.Start == "float" {
		fr, err := evaluate(g, d, "float")
		if err != nil {
			return nil, err
		}
		s.FloatTop1 = &fr.Top1
		calib, err := ptq.LoadCalibration(cfg.Dataset, q.CalibSamples, q.BatchSize)
		if err != nil {
			return nil, err
		}
		progress.Logf("qat %s: placing and calibrating W%d %s / A%d %s on %d images (%s split)",
			s.Model, q.WBit, q.WQType, q.ABit, q.XQType, calib.Images, calib.Split)
		if _, err := ptq.Run(g, calib.Batches, opts); err != nil {
			return nil, err
		}
	}
	sr, err := evaluate(g, d, "quantized")
	if err != nil {
		return nil, err
	}
	s.StartTop1 = sr.Top1
	opt, sched, loss, err := trainParts(t)
	if err != nil {
		return nil, err
	}
	tr := train.NewTrainer(g, opt, sched, loss, t.Seed)
	tr.Trainable = train.DefaultTrainable(g)
	if q.Learns() {
		tr.Trainable = quant.Trainable(g, tr.Trainable)
	}
	progress.Logf("qat %s: start top-1 %.2f%%; %d epochs, batch %d, %s, lr %g (%s)",
		s.Model, 100*s.StartTop1, t.Epochs, t.BatchSize, t.OptimType, t.LR, t.LRSch)
	ckpt := filepath.Join(outDir, "checkpoint.safetensors")
	onEpoch := func(st train.EpochStats) error {
		s.History = append(s.History, st)
		meta := map[string]string{"t2c.epoch": strconv.Itoa(st.Epoch)}
		if h, err := json.Marshal(s.History); err == nil {
			meta["t2c.history"] = string(h)
		}
		if err := ptq.SaveModel(ckpt, g, cfg.Model, q, meta); err != nil {
			return err
		}
		return writeJSON(filepath.Join(outDir, "history.json"), s.History)
	}
	if _, err := train.Fit(tr, d.Train, d.Test, train.FitOptions{Epochs: t.Epochs, OnEpoch: onEpoch}); err != nil {
		return nil, err
	}
	s.Checkpoint = filepath.Join(outDir, "model.safetensors")
	if err := ptq.SaveModel(s.Checkpoint, g, cfg.Model, q, nil); err != nil {
		return nil, err
	}
	sum := summarize(cfg, g.ParamCount(), s.History, s.Checkpoint)
	s.Top1, s.Top5, s.BestTop1, s.Epochs, s.Minutes = sum.Top1, sum.Top5, sum.BestTop1, sum.Epochs, sum.Minutes
	progress.Logf("qat: top-1 %.2f%% (start %.2f%%, best %.2f%%); saved %s", 100*s.Top1, 100*s.StartTop1, 100*s.BestTop1, s.Checkpoint)
	return s, nil
}
