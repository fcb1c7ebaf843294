package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"t2c/config"
	"t2c/eval"
	"t2c/graph"
	"t2c/internal/progress"
	"t2c/pipeline"
	"t2c/prune"
	"t2c/quant"
	"t2c/train"
)

func pruneCmd() *cobra.Command {
	var (
		cfgPath, outDir string
		asJSON          bool
	)
	cmd := &cobra.Command{
		Use:   "prune --config FILE",
		Short: "Prune a model (element-wise or N:M) and fine-tune it sparse",
		Long: `prune makes a trained model sparse as the config's pruning section says:
element-wise magnitude pruning (global or per-layer threshold, one-shot or
gradual along the cubic schedule, optional prune-and-regrow and ERK densities)
or N:M structured sparsity along the input channels. Masks become part of the
graph (a Mul on each pruned weight), so the fine-tuning of the train section,
the fake-quant path of a later 't2c ptq' and the integer model all respect
them. It evaluates the dense and the sparse model on the test split, prints a
per-layer sparsity table and writes OUT/model.safetensors (a pruned t2c
checkpoint that 't2c ptq' takes as model.checkpoint), OUT/checkpoint.safetensors
after every epoch and OUT/prune.json.`,
		Example: `  t2c prune --config configs/resnet20-fashion-prune-2to4.yaml
  t2c prune --config configs/resnet20-fashion-prune-80.yaml --json --out runs/prune-80`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			cfg, err := loadPruneConfig(cfgPath)
			if err != nil {
				return err
			}
			s, err := runPrune(cfg, cfgPath, runDir(outDir, cfg, cfgPath))
			if err != nil {
				return err
			}
			if asJSON {
				return printJSON(s)
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&cfgPath, "config", "", "YAML configuration with model, dataset, pruning and (for fine-tuning) train sections (required)")
	cmd.Flags().StringVar(&outDir, "out", "", "output directory (default: output.dir or runs/<config name>)")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print a JSON summary on stdout")
	_ = cmd.MarkFlagRequired("config")
	return cmd
}

// loadPruneConfig reads and checks everything a pruning run needs before
// any work starts. The train section is checked when it asks for
// training (epochs ≥ 1); without it the model is pruned one-shot only.
func loadPruneConfig(path string) (*config.Config, error) {
	cfg, err := config.Load(path)
	if err != nil {
		return nil, err
	}
	checks := []func() error{cfg.ValidateModel, cfg.ValidatePruning}
	if cfg.Train.Epochs > 0 {
		checks = append(checks, cfg.ValidateTrain)
	}
	for _, check := range checks {
		if err := check(); err != nil {
			return nil, fmt.Errorf("config %s: %w", path, err)
		}
	}
	if cfg.Dataset.TrainLimit < 0 || cfg.Dataset.TestLimit < 0 {
		return nil, fmt.Errorf("config %s: dataset: train_limit and test_limit must be ≥ 0", path)
	}
	return cfg, nil
}

// pruneSummary is the --json output of prune (also OUT/prune.json).
type pruneSummary struct {
	Model    string  `json:"model"`
	Config   string  `json:"config"`
	Type     string  `json:"type"`
	N        int     `json:"n,omitempty"`
	M        int     `json:"m,omitempty"`
	Target   float64 `json:"target_sparsity"`
	Schedule string  `json:"schedule"`
	// DenseTop1 is the model before pruning; OneShotTop1 right after
	// one-shot pruning, before fine-tuning; SparseTop1 the final model.
	DenseTop1   float64            `json:"dense_top1"`
	OneShotTop1 *float64           `json:"oneshot_top1,omitempty"`
	SparseTop1  float64            `json:"sparse_top1"`
	SparseTop5  float64            `json:"sparse_top5"`
	Agreement   float64            `json:"agreement"` // share of test predictions unchanged by pruning
	TestImages  int                `json:"test_images"`
	Sparsity    float64            `json:"sparsity"`         // over the pruned layers
	Overall     float64            `json:"overall_sparsity"` // over every Conv/Gemm/MatMul weight
	Epochs      int                `json:"epochs"`
	MaskUpdates int                `json:"mask_updates"`
	Regrows     int                `json:"regrows"`
	Minutes     float64            `json:"minutes"`
	Checkpoint  string             `json:"checkpoint"`
	Layers      []prune.LayerStats `json:"layers"`
	Skipped     []prune.Skip       `json:"skipped,omitempty"`
	History     []train.EpochStats `json:"history,omitempty"`
}

func runPrune(cfg *config.Config, cfgPath, outDir string) (*pruneSummary, error) {
	start := time.Now()
	pc, t := cfg.Pruning, cfg.Train
	g, err := pipeline.BuildModel(cfg.Model, t.Seed)
	if err != nil {
		return nil, err
	}
	if len(quant.Nodes(g)) > 0 {
		return nil, fmt.Errorf("model.checkpoint %s is quantized: prune the float model, then quantize (t2c ptq)", cfg.Model.Checkpoint)
	}
	d, err := pipeline.OpenData(cfg.Dataset, evalBatch(cfg), t.Seed, t.Epochs > 0)
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(outDir, 0o755); err != nil {
		return nil, fmt.Errorf("output directory: %w", err)
	}
	perEpoch := 0
	if d.Train != nil {
		perEpoch = d.Train.NumBatches()
	}
	opts, err := pruneOptions(pc, perEpoch, perEpoch*t.Epochs)
	if err != nil {
		return nil, fmt.Errorf("config %s: %w", cfgPath, err)
	}
	s := &pruneSummary{Model: modelName(cfg.Model), Config: cfgPath, Type: pc.Type, N: pc.N, M: pc.M,
		Target: opts.Sparsity, Schedule: pc.Schedule, Epochs: t.Epochs}
	if pc.Type == prune.TypeNM {
		s.Target = 1 - float64(pc.N)/float64(pc.M)
	}
	dense, err := evaluate(g, d, "dense")
	if err != nil {
		return nil, err
	}
	s.DenseTop1 = dense.Top1
	p, err := prune.New(g, opts)
	if err != nil {
		return nil, fmt.Errorf("config %s: pruning: %w", cfgPath, err)
	}
	for _, sk := range p.Skipped() {
		progress.Logf("left dense: %s (%s)", sk.Layer, sk.Reason)
	}
	progress.Logf("prune %s: %s, target sparsity %.1f%% over %d layers, %s; dense top-1 %.2f%%",
		s.Model, describe(pc), 100*s.Target, len(p.Layers()), pc.Schedule, 100*dense.Top1)
	if err := p.Begin(); err != nil {
		return nil, err
	}
	final := dense
	if pc.Schedule == "oneshot" {
		if final, err = evaluate(g, d, "pruned"); err != nil {
			return nil, err
		}
		top1 := final.Top1
		s.OneShotTop1 = &top1
		progress.Logf("one-shot sparsity %.2f%%: top-1 %.2f%% before fine-tuning", 100*p.Sparsity(), 100*top1)
	}
	if t.Epochs > 0 {
		if s.History, s.MaskUpdates, s.Regrows, err = fineTune(cfg, g, p, d, outDir); err != nil {
			return nil, err
		}
		if final, err = evaluate(g, d, "sparse"); err != nil {
			return nil, err
		}
	}
	st := prune.Stats(g)
	s.SparseTop1, s.SparseTop5, s.TestImages = final.Top1, final.Top5, final.Images
	s.Agreement = eval.Agreement(dense.Predictions, final.Predictions)
	s.Sparsity, s.Overall, s.Layers, s.Skipped = st.Sparsity, st.Overall, st.Layers, p.Skipped()
	s.Checkpoint = filepath.Join(outDir, "model.safetensors")
	s.Minutes = time.Since(start).Minutes()
	if err := pipeline.SaveModel(s.Checkpoint, g, cfg.Model, nil, pruneMeta(g, pc, s)); err != nil {
		return nil, err
	}
	if err := writeJSON(filepath.Join(outDir, "prune.json"), s); err != nil {
		return nil, err
	}
	progress.Logf("%s", strings.TrimRight(st.Table(), "\n"))
	progress.Logf("dense top-1 %.2f%%, sparse top-1 %.2f%% (agreement %.2f%%) at %.2f%% sparsity on %d images in %.1f minutes; saved %s",
		100*s.DenseTop1, 100*s.SparseTop1, 100*s.Agreement, 100*s.Sparsity, s.TestImages, s.Minutes, s.Checkpoint)
	return s, nil
}

// fineTune trains the masked model, updating the masks after every step
// (gradual schedule, regrow) and checkpointing after every epoch.
func fineTune(cfg *config.Config, g *graph.Graph, p *prune.Pruner, d *pipeline.Data, outDir string) (history []train.EpochStats, updates, regrows int, err error) {
	t := cfg.Train
	opt, sched, loss, err := trainParts(t)
	if err != nil {
		return nil, 0, 0, err
	}
	tr := train.NewTrainer(g, opt, sched, loss, t.Seed) // the default trainable set leaves masks alone
	ckpt := filepath.Join(outDir, "checkpoint.safetensors")
	onStep := func(si train.StepInfo) error {
		ev, err := p.Update(si.Step, p.DenseGrads(si.Batch.X, si.Batch.Labels, tr.Loss))
		switch ev {
		case prune.EventPrune:
			updates++
		case prune.EventRegrow:
			regrows++
		}
		return err
	}
	onEpoch := func(st train.EpochStats) error {
		history = append(history, st)
		progress.Logf("epoch %d: sparsity %.2f%%", st.Epoch, 100*p.Sparsity())
		meta := map[string]string{"t2c.epoch": strconv.Itoa(st.Epoch)}
		if h, err := json.Marshal(history); err == nil {
			meta["t2c.history"] = string(h)
		}
		if err := pipeline.SaveModel(ckpt, g, cfg.Model, prefixed("optim/", opt.State()), meta); err != nil {
			return err
		}
		return writeJSON(filepath.Join(outDir, "history.json"), history)
	}
	status := func() string { return fmt.Sprintf("sparsity %.1f%%", 100*p.Sparsity()) }
	_, err = train.Fit(tr, d.Train, d.Test, train.FitOptions{Epochs: t.Epochs, OnEpoch: onEpoch, OnStep: onStep, Status: status})
	return history, updates, regrows, err
}

// pruneOptions turns the config section into prune.Options, converting
// epochs to steps; total is the number of training steps.
func pruneOptions(pc *config.Pruning, perEpoch, total int) (prune.Options, error) {
	start, end, regrowEnd := pc.Steps(perEpoch, total)
	o := prune.Options{Type: pc.Type, Sparsity: pc.Sparsity, InitialSparsity: pc.InitialSparsity, N: pc.N, M: pc.M,
		Global: pc.Granularity == "global", ERK: pc.ERK, Gradual: pc.Schedule == "gradual",
		Start: start, End: end, Frequency: pc.Frequency, Exclude: pc.Exclude}
	if o.Gradual && end > total {
		return o, fmt.Errorf("pruning: the schedule ends at step %d, after the last training step %d (%d epochs of %d steps)", end, total, total/max(perEpoch, 1), perEpoch)
	}
	if r := pc.Regrow; r != nil {
		o.Regrow = prune.Regrow{Fraction: r.Fraction, Interval: r.Interval, End: regrowEnd}
	}
	return o, o.Validate()
}

// describe names the pruning method for logs.
func describe(pc *config.Pruning) string {
	if pc.Type == prune.TypeNM {
		return fmt.Sprintf("%d:%d", pc.N, pc.M)
	}
	s := fmt.Sprintf("element-wise %s threshold", pc.Granularity)
	if pc.ERK {
		s += ", ERK"
	}
	if pc.Regrow != nil {
		s += fmt.Sprintf(", regrow %g every %d steps", pc.Regrow.Fraction, pc.Regrow.Interval)
	}
	return s
}

// pruneMeta is the final checkpoint's metadata: the masked layers with
// the method (prune.MetaKey) and the run's accuracies.
func pruneMeta(g *graph.Graph, pc *config.Pruning, s *pruneSummary) map[string]string {
	meta := map[string]string{prune.MetaKey: prune.MetadataOf(g, prune.Meta{Type: pc.Type, N: pc.N, M: pc.M})}
	if raw, err := json.Marshal(map[string]float64{"dense_top1": s.DenseTop1, "sparse_top1": s.SparseTop1, "sparsity": s.Sparsity}); err == nil {
		meta["t2c.prune"] = string(raw)
	}
	return meta
}
