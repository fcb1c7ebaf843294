package config

import (
	"fmt"
	"math"
	"path"
)

// Pruning is the pruning section of a run (t2c prune). The train section
// configures the fine-tuning (or sparse training) that follows; with
// train.epochs 0 the model is pruned one-shot and saved without training.
// ValidatePruning fills the defaults noted per field.
type Pruning struct {
	// Type is "element" (magnitude, element-wise) or "nm" (N:M).
	Type string `yaml:"type" json:"type"`
	// Sparsity is the element pruner's final fraction of zero weights over
	// the pruned layers, in (0, 1). N:M's is 1 − n/m.
	Sparsity float64 `yaml:"sparsity" json:"sparsity,omitempty"`
	// InitialSparsity is the gradual schedule's starting sparsity (default 0).
	InitialSparsity float64 `yaml:"initial_sparsity" json:"initial_sparsity,omitempty"`
	N               int     `yaml:"n" json:"n,omitempty"` // nm: keep n ...
	M               int     `yaml:"m" json:"m,omitempty"` // ... of every m weights along the input channels
	// Granularity of the element pruner's magnitude threshold: "global"
	// (default; one threshold across layers) or "layer" (the same
	// sparsity in every layer, or its ERK share).
	Granularity string `yaml:"granularity" json:"granularity,omitempty"`
	// ERK gives each layer its Erdős–Rényi-Kernel density (element,
	// granularity layer, which it implies).
	ERK bool `yaml:"erk" json:"erk,omitempty"`
	// Schedule is "oneshot" (default: prune to the target before
	// training) or "gradual" (the cubic schedule from start to end).
	Schedule string `yaml:"schedule" json:"schedule"`
	// StartStep/EndStep or StartEpoch/EndEpoch (one pair, fractions of
	// epochs allowed) bound the gradual schedule; start defaults to 0.
	// Steps count optimiser updates.
	StartStep  *int     `yaml:"start_step" json:"start_step,omitempty"`
	EndStep    *int     `yaml:"end_step" json:"end_step,omitempty"`
	StartEpoch *float64 `yaml:"start_epoch" json:"start_epoch,omitempty"`
	EndEpoch   *float64 `yaml:"end_epoch" json:"end_epoch,omitempty"`
	// Frequency is the number of steps between mask updates of the
	// gradual schedule (default 100).
	Frequency int `yaml:"frequency" json:"frequency,omitempty"`
	// Regrow turns on prune-and-regrow (element pruner).
	Regrow *PruneRegrow `yaml:"regrow" json:"regrow,omitempty"`
	// Exclude lists module-path globs of layers left dense ("conv1", "fc").
	Exclude []string `yaml:"exclude" json:"exclude,omitempty"`
}

// PruneRegrow configures prune-and-regrow: every interval steps until the
// end, each layer drops fraction (decayed by a cosine) of its surviving
// weights of smallest magnitude and regrows as many where |gradient| is
// largest. The end defaults to 75 % of training (end_step or end_epoch).
type PruneRegrow struct {
	Fraction float64  `yaml:"fraction" json:"fraction"`
	Interval int      `yaml:"interval" json:"interval"` // default 100
	EndStep  *int     `yaml:"end_step" json:"end_step,omitempty"`
	EndEpoch *float64 `yaml:"end_epoch" json:"end_epoch,omitempty"`
}

// Defaults of the pruning section.
const (
	DefaultPruneFrequency = 100
	DefaultRegrowInterval = 100
	DefaultRegrowEnd      = 0.75 // of the training steps
)

// ValidatePruning fills the pruning section's defaults and checks its
// values (and that a gradual schedule or regrow has training to run in),
// naming the key at fault. It fails if the section is absent.
func (c *Config) ValidatePruning() error {
	p := c.Pruning
	if p == nil {
		return fmt.Errorf("pruning: section missing (type, sparsity or n/m, schedule ...)")
	}
	if p.Schedule == "" {
		p.Schedule = "oneshot"
	}
	if p.Type == "element" && p.Granularity == "" {
		p.Granularity = "global"
		if p.ERK {
			p.Granularity = "layer"
		}
	}
	if p.Schedule == "gradual" && p.Frequency == 0 {
		p.Frequency = DefaultPruneFrequency
	}
	if p.Regrow != nil && p.Regrow.Interval == 0 {
		p.Regrow.Interval = DefaultRegrowInterval
	}
	if err := p.validate(); err != nil {
		return err
	}
	if p.Schedule == "gradual" && c.Train.Epochs < 1 {
		return fmt.Errorf("pruning.schedule: gradual pruning happens during training: set train.epochs ≥ 1")
	}
	if p.Regrow != nil && c.Train.Epochs < 1 {
		return fmt.Errorf("pruning.regrow: regrowing happens during training: set train.epochs ≥ 1")
	}
	return nil
}

func (p *Pruning) validate() error {
	element, nm, gradual := p.Type == "element", p.Type == "nm", p.Schedule == "gradual"
	checks := []struct {
		ok       bool
		key, msg string
	}{
		{element || nm, "type", fmt.Sprintf("unknown %q (want element or nm)", p.Type)},
		{!element || (p.Sparsity > 0 && p.Sparsity < 1), "sparsity", fmt.Sprintf("must be in (0, 1) for type element, got %g", p.Sparsity)},
		{!nm || p.Sparsity == 0, "sparsity", "is not set for type nm (its sparsity is 1 − n/m)"},
		{!nm || (p.M >= 2 && p.N >= 1 && p.N < p.M), "n", fmt.Sprintf("type nm needs 1 ≤ n < m and m ≥ 2, got n %d, m %d", p.N, p.M)},
		{!element || (p.N == 0 && p.M == 0), "n", "n and m are for type nm"},
		{!nm || (p.Granularity == "" && !p.ERK && p.Regrow == nil), "granularity", "granularity, erk and regrow are element-wise options, not nm"},
		{!element || p.Granularity == "global" || p.Granularity == "layer", "granularity", fmt.Sprintf("unknown %q (want global or layer)", p.Granularity)},
		{!p.ERK || p.Granularity == "layer", "erk", "sets per-layer densities: it needs granularity layer, not global"},
		{p.Schedule == "oneshot" || gradual, "schedule", fmt.Sprintf("unknown %q (want oneshot or gradual)", p.Schedule)},
		{gradual || (p.StartStep == nil && p.EndStep == nil && p.StartEpoch == nil && p.EndEpoch == nil && p.Frequency == 0 && p.InitialSparsity == 0),
			"schedule", "start_step, end_step, start_epoch, end_epoch, frequency and initial_sparsity are for schedule gradual"},
		{(p.StartStep == nil && p.EndStep == nil) || (p.StartEpoch == nil && p.EndEpoch == nil), "start_step", "give the schedule in steps or in epochs, not both"},
		{!gradual || p.EndStep != nil || p.EndEpoch != nil, "end_step", "schedule gradual needs end_step or end_epoch"},
		{p.Frequency >= 0 && (!gradual || p.Frequency >= 1), "frequency", fmt.Sprintf("must be ≥ 1, got %d", p.Frequency)},
		{p.InitialSparsity == 0 || (p.InitialSparsity > 0 && p.InitialSparsity < p.final()), "initial_sparsity", fmt.Sprintf("must be in [0, %g), got %g", p.final(), p.InitialSparsity)},
	}
	for _, c := range checks {
		if !c.ok {
			return fmt.Errorf("pruning.%s: %s", c.key, c.msg)
		}
	}
	if gradual {
		start, end := p.bounds()
		if start < 0 || end <= start {
			return fmt.Errorf("pruning.end_%s: the schedule must end after it starts (≥ 0), got %g → %g", p.unit(), start, end)
		}
	}
	if r := p.Regrow; r != nil {
		switch {
		case r.Fraction <= 0 || r.Fraction > 1:
			return fmt.Errorf("pruning.regrow.fraction: must be in (0, 1], got %g", r.Fraction)
		case r.Interval < 1:
			return fmt.Errorf("pruning.regrow.interval: must be ≥ 1, got %d", r.Interval)
		case r.EndStep != nil && r.EndEpoch != nil:
			return fmt.Errorf("pruning.regrow.end_step: give end_step or end_epoch, not both")
		case r.EndStep != nil && *r.EndStep < 1, r.EndEpoch != nil && *r.EndEpoch <= 0:
			return fmt.Errorf("pruning.regrow.end_step: must be positive")
		}
	}
	for i, pat := range p.Exclude {
		if _, err := path.Match(pat, ""); err != nil || pat == "" {
			return fmt.Errorf("pruning.exclude[%d]: bad glob %q", i, pat)
		}
	}
	return nil
}

// final is the target sparsity.
func (p *Pruning) final() float64 {
	if p.Type == "nm" && p.M > 0 {
		return 1 - float64(p.N)/float64(p.M)
	}
	return p.Sparsity
}

// unit is "step" or "epoch", whichever the schedule uses.
func (p *Pruning) unit() string {
	if p.StartEpoch != nil || p.EndEpoch != nil {
		return "epoch"
	}
	return "step"
}

// bounds are the schedule's start and end in its own unit.
func (p *Pruning) bounds() (start, end float64) {
	if p.unit() == "epoch" {
		if p.StartEpoch != nil {
			start = *p.StartEpoch
		}
		if p.EndEpoch != nil {
			end = *p.EndEpoch
		}
		return start, end
	}
	if p.StartStep != nil {
		start = float64(*p.StartStep)
	}
	if p.EndStep != nil {
		end = float64(*p.EndStep)
	}
	return start, end
}

// Steps converts the gradual schedule and the regrow end to optimiser
// steps, given the steps of one epoch and of the whole run (total).
// Epoch bounds round to the nearest step.
func (p *Pruning) Steps(perEpoch, total int) (start, end, regrowEnd int) {
	toSteps := func(v float64) int {
		if p.unit() == "epoch" {
			return int(math.Round(v * float64(perEpoch)))
		}
		return int(v)
	}
	s, e := p.bounds()
	start, end = toSteps(s), toSteps(e)
	if r := p.Regrow; r != nil {
		switch {
		case r.EndStep != nil:
			regrowEnd = *r.EndStep
		case r.EndEpoch != nil:
			regrowEnd = int(math.Round(*r.EndEpoch * float64(perEpoch)))
		default:
			regrowEnd = int(math.Round(DefaultRegrowEnd * float64(total)))
		}
	}
	return start, end, regrowEnd
}
