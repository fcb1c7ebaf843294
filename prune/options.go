package prune

import (
	"fmt"
	"path"
)

// Pruner types.
const (
	TypeElement = "element" // magnitude, element-wise
	TypeNM      = "nm"      // N:M structured
)

// Options configures a Pruner. Steps count optimiser updates completed
// (0 = before training).
type Options struct {
	Type string // TypeElement or TypeNM
	// Sparsity is the element pruner's final fraction of zeros over the
	// pruned layers, in [0, 1). (N:M's is 1 − N/M.)
	Sparsity float64
	// InitialSparsity is the gradual schedule's sparsity at Start.
	InitialSparsity float64
	N, M            int // N:M: keep N of every M weights
	// Global uses one magnitude threshold across all pruned layers
	// (element pruner); otherwise each layer gets the same sparsity, or
	// its ERK share.
	Global bool
	// ERK gives each layer the Erdős–Rényi-Kernel density for the target
	// (element pruner, per layer; not with Global).
	ERK bool
	// Gradual follows the cubic Schedule from Start to End, updating every
	// Frequency steps; otherwise the target is reached at once (Begin).
	Gradual               bool
	Start, End, Frequency int
	// Regrow, with Fraction > 0, runs prune-and-regrow (element pruner).
	Regrow Regrow
	// Exclude lists module-path globs of layers left dense ("conv1", "fc").
	Exclude []string
}

// Regrow configures RigL-style prune-and-regrow: every Interval steps
// until End, each layer drops the Fraction·cos-decayed share of its active
// weights of smallest magnitude and regrows as many where the gradient is
// largest (RegrowMask); the fraction decays as Fraction/2·(1 + cos(πt/End)).
type Regrow struct {
	Fraction float64
	Interval int
	End      int
}

// Validate checks the options.
func (o Options) Validate() error {
	switch o.Type {
	case TypeElement:
		if o.Sparsity < 0 || o.Sparsity >= 1 {
			return fmt.Errorf("prune: sparsity must be in [0, 1), got %g", o.Sparsity)
		}
		if o.Global && o.ERK {
			return fmt.Errorf("prune: ERK sets per-layer densities; it does not combine with a global threshold")
		}
	case TypeNM:
		if o.M < 2 || o.N < 1 || o.N >= o.M {
			return fmt.Errorf("prune: N:M needs 1 ≤ N < M and M ≥ 2, got %d:%d", o.N, o.M)
		}
		if o.Global || o.ERK || o.Regrow.Fraction > 0 {
			return fmt.Errorf("prune: global thresholds, ERK and regrow are element-wise options, not N:M")
		}
	default:
		return fmt.Errorf("prune: unknown type %q (want %s or %s)", o.Type, TypeElement, TypeNM)
	}
	if o.InitialSparsity < 0 || o.InitialSparsity > o.final() {
		return fmt.Errorf("prune: initial sparsity must be in [0, %g], got %g", o.final(), o.InitialSparsity)
	}
	if o.Gradual && (o.Start < 0 || o.End <= o.Start || o.Frequency < 1) {
		return fmt.Errorf("prune: a gradual schedule needs 0 ≤ start < end and frequency ≥ 1, got %d, %d, %d", o.Start, o.End, o.Frequency)
	}
	if r := o.Regrow; r.Fraction != 0 && (r.Fraction < 0 || r.Fraction > 1 || r.Interval < 1 || r.End < 1) {
		return fmt.Errorf("prune: regrow needs a fraction in (0, 1], interval ≥ 1 and end ≥ 1, got %g, %d, %d", r.Fraction, r.Interval, r.End)
	}
	for _, p := range o.Exclude {
		if _, err := path.Match(p, ""); err != nil || p == "" {
			return fmt.Errorf("prune: bad exclude pattern %q", p)
		}
	}
	return nil
}

// final is the target sparsity.
func (o Options) final() float64 {
	if o.Type == TypeNM {
		return 1 - float64(o.N)/float64(o.M)
	}
	return o.Sparsity
}
