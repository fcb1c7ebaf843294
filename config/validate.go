package config

import (
	"fmt"
	"slices"
)

// ValidateModel checks the model section: exactly one of zoo and path.
func (c *Config) ValidateModel() error {
	m := c.Model
	switch {
	case m.Zoo == "" && m.Path == "":
		return fmt.Errorf("model: set zoo (an architecture name) or path (an ONNX file)")
	case m.Zoo != "" && m.Path != "":
		return fmt.Errorf("model: set zoo or path, not both")
	}
	for key, v := range map[string]int{"classes": m.Classes, "in_channels": m.InChannels, "image_size": m.ImageSize,
		"patch_size": m.PatchSize, "dim": m.Dim, "depth": m.Depth, "heads": m.Heads} {
		if v < 0 {
			return fmt.Errorf("model.%s: must be positive, got %d", key, v)
		}
	}
	return nil
}

// ValidateTrain checks the train section's values and names.
func (c *Config) ValidateTrain() error {
	t := c.Train
	checks := []struct {
		ok  bool
		key string
		msg string
	}{
		{t.LR > 0, "lr", fmt.Sprintf("must be > 0, got %g", t.LR)},
		{t.MinLR >= 0 && t.MinLR <= t.LR, "min_lr", fmt.Sprintf("must be in [0, lr], got %g", t.MinLR)},
		{t.Epochs >= 1, "epochs", fmt.Sprintf("must be ≥ 1, got %d", t.Epochs)},
		{t.BatchSize >= 1, "batch_size", fmt.Sprintf("must be ≥ 1, got %d", t.BatchSize)},
		{t.Momentum >= 0 && t.Momentum < 1, "momentum", fmt.Sprintf("must be in [0, 1), got %g", t.Momentum)},
		{t.WeightDecay >= 0, "weight_decay", fmt.Sprintf("must be ≥ 0, got %g", t.WeightDecay)},
		{t.Smoothing >= 0 && t.Smoothing < 1, "smoothing", fmt.Sprintf("must be in [0, 1), got %g", t.Smoothing)},
		{t.Warmup >= 0 && t.Warmup < float64(max(t.Epochs, 1)), "warmup", fmt.Sprintf("must be in [0, epochs), got %g", t.Warmup)},
		{slices.Contains([]string{"sgd", "adam", "adamw"}, t.OptimType), "optim_type", fmt.Sprintf("unknown %q (want sgd, adam or adamw)", t.OptimType)},
		{slices.Contains([]string{"constant", "step", "multistep", "cos", "cosine"}, t.LRSch), "lr_sch", fmt.Sprintf("unknown %q (want constant, step, multistep or cos)", t.LRSch)},
		{slices.Contains([]string{"ce", "mse"}, t.LossType), "loss_type", fmt.Sprintf("unknown %q (want ce or mse)", t.LossType)},
		{!t.Nesterov || t.Momentum > 0, "nesterov", "needs momentum > 0"},
		{t.LRSch != "step" || t.StepSize > 0, "step_size", "lr_sch step needs step_size > 0"},
		{t.LRSch != "multistep" || len(t.Milestones) > 0, "schedule", "lr_sch multistep needs a list of milestone epochs"},
	}
	for _, c := range checks {
		if !c.ok {
			return fmt.Errorf("train.%s: %s", c.key, c.msg)
		}
	}
	d := c.Dataset
	if d.TrainLimit < 0 || d.TestLimit < 0 {
		return fmt.Errorf("dataset: train_limit and test_limit must be ≥ 0")
	}
	return nil
}
