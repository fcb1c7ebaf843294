package config

import (
	"fmt"
	"path"
	"slices"
)

// Quantization is the quantization section of a run (t2c ptq, t2c qat),
// with Torch2Chip's key names: bit widths, the weight and activation
// quantizers by registered name (wqtype, xqtype), the calibration set, and
// the reconstruction that optimises learnable quantizer parameters block by
// block. ValidateQuantization fills the defaults noted per field and checks
// every value that does not depend on the quantizer registry; package ptq
// checks names and combinations (ptq.NewOptions) and the model (a dry run
// of the placement pass) before any work starts.
type Quantization struct {
	WBit   int    `yaml:"wbit" json:"wbit"`     // weight bits (default 8)
	ABit   int    `yaml:"abit" json:"abit"`     // activation bits (default 8)
	WQType string `yaml:"wqtype" json:"wqtype"` // weight quantizer (default minmax_channel)
	XQType string `yaml:"xqtype" json:"xqtype"` // activation quantizer (default minmax)
	// WGranularity, XGranularity override the quantizers' default
	// granularity: tensor, channel, token or block.
	WGranularity string `yaml:"wgranularity" json:"wgranularity,omitempty"`
	XGranularity string `yaml:"xgranularity" json:"xgranularity,omitempty"`
	// WOptions, XOptions are algorithm options ({p: 0.5} for qdrop,
	// {percentile: 99.9}).
	WOptions map[string]float64 `yaml:"woptions" json:"woptions,omitempty"`
	XOptions map[string]float64 `yaml:"xoptions" json:"xoptions,omitempty"`
	// RequiresGrad lets the parameters that a quantizer learns (LSQ steps,
	// AdaRound's α) be trained by reconstruction and QAT (default true);
	// false freezes them (QAT then trains the weights only).
	RequiresGrad *bool `yaml:"requires_grad" json:"requires_grad,omitempty"`
	// CalibSamples is the number of calibration images, the first of the
	// dataset's train split (default 512).
	CalibSamples int `yaml:"calib_samples" json:"calib_samples"`
	// BatchSize is the calibration batch and the reconstruction
	// mini-batch (default 32).
	BatchSize int `yaml:"batch_size" json:"batch_size"`
	// Iters is the number of reconstruction iterations per block; 0 means
	// observer-only PTQ.
	Iters int `yaml:"iters" json:"iters"`
	// LR is the reconstruction learning rate (default 1e-3); ScaleLR, if
	// set, is the rate of learned quantizer scales (LSQ steps) instead.
	LR      float64 `yaml:"lr" json:"lr"`
	ScaleLR float64 `yaml:"scale_lr" json:"scale_lr,omitempty"`
	Optim   string  `yaml:"optim" json:"optim"` // adam (default) or sgd, with a cosine schedule
	// Lambda weighs AdaRound's rounding regulariser (default 0.01; 0 turns
	// it off). BetaStart, BetaEnd and Warmup anneal its β (default 20 → 2
	// after 20 % of the iterations).
	Lambda    *float64 `yaml:"lambda" json:"lambda,omitempty"`
	BetaStart float64  `yaml:"beta_start" json:"beta_start"`
	BetaEnd   float64  `yaml:"beta_end" json:"beta_end"`
	Warmup    *float64 `yaml:"warmup" json:"warmup,omitempty"`
	// ReconInput is what a block sees during reconstruction: "quant"
	// (default; the output of the already quantized preceding blocks, as
	// AdaRound and BRECQ) or "float" (the cached float input, as
	// Torch2Chip).
	ReconInput string `yaml:"recon_input" json:"recon_input"`
	// FirstLast8Bit keeps the first and last layers at 8 bits.
	FirstLast8Bit bool `yaml:"first_last_8bit" json:"first_last_8bit,omitempty"`
	// Skip lists layers (module path globs) left in float.
	Skip []string `yaml:"skip" json:"skip,omitempty"`
	// Overrides set bits or quantizers of matching layers (later wins).
	Overrides []QuantOverride `yaml:"overrides" json:"overrides,omitempty"`
	// SmoothQuantAlpha is SmoothQuant's migration strength; a positive
	// value, or a smoothquant quantizer (default α 0.5), smooths the float
	// model before quantizers are placed.
	SmoothQuantAlpha float64 `yaml:"smoothquant_alpha" json:"smoothquant_alpha,omitempty"`
	// Seed drives mini-batch sampling and QDrop's random drop.
	Seed uint64 `yaml:"seed" json:"seed,omitempty"`
}

// QuantOverride changes the bits or quantizers of the layers whose module
// path matches the glob Match (path.Match syntax: "layer1.*"). Zero fields
// keep the section's values.
type QuantOverride struct {
	Match  string `yaml:"match" json:"match"`
	WBit   int    `yaml:"wbit" json:"wbit,omitempty"`
	ABit   int    `yaml:"abit" json:"abit,omitempty"`
	WQType string `yaml:"wqtype" json:"wqtype,omitempty"`
	XQType string `yaml:"xqtype" json:"xqtype,omitempty"`
}

// Defaults of the quantization section.
const (
	DefaultCalibSamples = 512
	DefaultQuantBatch   = 32
	DefaultReconLR      = 1e-3
	DefaultLambda       = 0.01
	DefaultWarmup       = 0.2
)

// Learns reports whether quantizer parameters are trained (requires_grad).
func (q *Quantization) Learns() bool { return q.RequiresGrad == nil || *q.RequiresGrad }

// LambdaValue is the regulariser weight in force.
func (q *Quantization) LambdaValue() float64 {
	if q.Lambda == nil {
		return DefaultLambda
	}
	return *q.Lambda
}

// WarmupValue is the regulariser warm-up fraction in force.
func (q *Quantization) WarmupValue() float64 {
	if q.Warmup == nil {
		return DefaultWarmup
	}
	return *q.Warmup
}

// ValidateQuantization fills the quantization section's defaults and checks
// its values, naming the key at fault. It fails if the section is absent.
func (c *Config) ValidateQuantization() error {
	q := c.Quantization
	if q == nil {
		return fmt.Errorf("quantization: section missing (wbit, abit, wqtype, xqtype ...)")
	}
	q.defaults()
	return q.validate()
}

func (q *Quantization) defaults() {
	if q.WBit == 0 {
		q.WBit = 8
	}
	if q.ABit == 0 {
		q.ABit = 8
	}
	if q.WQType == "" {
		q.WQType = "minmax_channel"
	}
	if q.XQType == "" {
		q.XQType = "minmax"
	}
	if q.CalibSamples == 0 {
		q.CalibSamples = DefaultCalibSamples
	}
	if q.BatchSize == 0 {
		q.BatchSize = DefaultQuantBatch
	}
	if q.LR == 0 {
		q.LR = DefaultReconLR
	}
	if q.Optim == "" {
		q.Optim = "adam"
	}
	if q.BetaStart == 0 {
		q.BetaStart = 20
	}
	if q.BetaEnd == 0 {
		q.BetaEnd = 2
	}
	if q.ReconInput == "" {
		q.ReconInput = "quant"
	}
}

var granularities = []string{"", "tensor", "channel", "token", "block"}

func (q *Quantization) validate() error {
	checks := []struct {
		ok       bool
		key, msg string
	}{
		{q.WBit > 0, "wbit", fmt.Sprintf("must be positive, got %d", q.WBit)},
		{q.ABit > 0, "abit", fmt.Sprintf("must be positive, got %d", q.ABit)},
		{slices.Contains(granularities, q.WGranularity), "wgranularity", fmt.Sprintf("unknown %q (want tensor, channel, token or block)", q.WGranularity)},
		{slices.Contains(granularities, q.XGranularity), "xgranularity", fmt.Sprintf("unknown %q (want tensor, channel, token or block)", q.XGranularity)},
		{q.CalibSamples >= 1, "calib_samples", fmt.Sprintf("must be ≥ 1, got %d", q.CalibSamples)},
		{q.BatchSize >= 1, "batch_size", fmt.Sprintf("must be ≥ 1, got %d", q.BatchSize)},
		{q.Iters >= 0, "iters", fmt.Sprintf("must be ≥ 0, got %d", q.Iters)},
		{q.LR > 0, "lr", fmt.Sprintf("must be > 0, got %g", q.LR)},
		{q.ScaleLR >= 0, "scale_lr", fmt.Sprintf("must be ≥ 0, got %g", q.ScaleLR)},
		{q.Optim == "adam" || q.Optim == "sgd", "optim", fmt.Sprintf("unknown %q (want adam or sgd)", q.Optim)},
		{q.LambdaValue() >= 0, "lambda", fmt.Sprintf("must be ≥ 0, got %g", q.LambdaValue())},
		{q.BetaEnd > 0 && q.BetaStart >= q.BetaEnd, "beta_start", fmt.Sprintf("AdaRound β must anneal from beta_start ≥ beta_end > 0, got %g → %g", q.BetaStart, q.BetaEnd)},
		{q.WarmupValue() >= 0 && q.WarmupValue() < 1, "warmup", fmt.Sprintf("must be a fraction in [0, 1), got %g", q.WarmupValue())},
		{q.ReconInput == "quant" || q.ReconInput == "float", "recon_input", fmt.Sprintf("unknown %q (want quant or float)", q.ReconInput)},
		{q.SmoothQuantAlpha >= 0 && q.SmoothQuantAlpha <= 1, "smoothquant_alpha", fmt.Sprintf("must be in [0, 1], got %g", q.SmoothQuantAlpha)},
		{q.Iters == 0 || q.Learns(), "requires_grad", "is false, so reconstruction (iters > 0) has nothing to learn"},
	}
	for _, c := range checks {
		if !c.ok {
			return fmt.Errorf("quantization.%s: %s", c.key, c.msg)
		}
	}
	for i, pat := range q.Skip {
		if _, err := path.Match(pat, ""); err != nil || pat == "" {
			return fmt.Errorf("quantization.skip[%d]: bad glob %q", i, pat)
		}
	}
	for i, ov := range q.Overrides {
		key := fmt.Sprintf("quantization.overrides[%d]", i)
		if _, err := path.Match(ov.Match, ""); err != nil || ov.Match == "" {
			return fmt.Errorf("%s.match: bad or missing glob %q", key, ov.Match)
		}
		if ov.WBit < 0 || ov.ABit < 0 {
			return fmt.Errorf("%s: wbit and abit must be positive", key)
		}
		if ov.WBit == 0 && ov.ABit == 0 && ov.WQType == "" && ov.XQType == "" {
			return fmt.Errorf("%s: sets nothing (give wbit, abit, wqtype or xqtype)", key)
		}
	}
	return nil
}
