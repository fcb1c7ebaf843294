package ptq

import (
	"fmt"
	"slices"

	"t2c/config"
	"t2c/graph"
	"t2c/quant"
)

// Recon-input choices (Options.ReconInput).
const (
	// InputQuant feeds each block the output of the already quantized
	// preceding blocks (AdaRound, BRECQ): later blocks learn to correct
	// the error accumulated before them.
	InputQuant = "quant"
	// InputFloat feeds each block its cached float input (Torch2Chip).
	InputFloat = "float"
)

// Options configures Run.
type Options struct {
	// Quant places the quantizers (bits, algorithms, skips, overrides).
	Quant quant.Options
	// Smooth applies SmoothQuant with SmoothAlpha to the float graph,
	// from the calibration set's activation maxima, before placement.
	Smooth      bool
	SmoothAlpha float64
	// Iters is the number of reconstruction iterations per block; 0 runs
	// the observers only.
	Iters int
	// BatchSize is the reconstruction mini-batch (default 32).
	BatchSize int
	// LR is the learning rate of learned quantizer parameters; ScaleLR, if
	// positive, that of learned scales. Both follow a cosine schedule.
	LR, ScaleLR float64
	// Optim is "adam" (default) or "sgd" (momentum 0.9).
	Optim string
	// Lambda weighs AdaRound's rounding regulariser in the loss; Beta
	// anneals its exponent.
	Lambda float64
	Beta   quant.BetaSchedule
	// ReconInput is InputQuant (default) or InputFloat.
	ReconInput string
	// Seed drives mini-batch sampling and QDrop's random drop.
	Seed uint64
}

// smoothAlgos are the quantizer names that imply SmoothQuant.
var smoothAlgos = []string{"smoothquant", "smooth", "smooth_channel", "smooth_token"}

// NewOptions turns a validated quantization section
// (config.ValidateQuantization) into Options, checking what needs the
// quantizer registry: that every quantizer name is registered and accepts
// its role, bit width, granularity and options (mxint at 5 bits, adaround
// on activations and qdrop on weights fail here), for the section and for
// every override. What depends on the model is checked by Check.
func NewOptions(q *config.Quantization) (Options, error) {
	o := Options{
		Quant: quant.Options{
			WBits: q.WBit, ABits: q.ABit, WAlgo: q.WQType, AAlgo: q.XQType,
			WGranularity: quant.Granularity(q.WGranularity), AGranularity: quant.Granularity(q.XGranularity),
			WOptions: attrs(q.WOptions), AOptions: attrs(q.XOptions),
			FirstLast8Bit: q.FirstLast8Bit, Skip: q.Skip,
		},
		Iters: q.Iters, BatchSize: q.BatchSize, LR: q.LR, ScaleLR: q.ScaleLR, Optim: q.Optim,
		Lambda: q.LambdaValue(), Beta: quant.BetaSchedule{Start: q.BetaStart, End: q.BetaEnd, Warmup: q.WarmupValue()},
		ReconInput: q.ReconInput, Seed: q.Seed, SmoothAlpha: q.SmoothQuantAlpha,
	}
	o.Smooth = q.SmoothQuantAlpha > 0 || slices.Contains(smoothAlgos, q.WQType) || slices.Contains(smoothAlgos, q.XQType)
	if o.Smooth && o.SmoothAlpha == 0 {
		o.SmoothAlpha = 0.5
	}
	type probe struct {
		key, algo string
		bits      int
		role      quant.Role
		gran      quant.Granularity
		opts      map[string]graph.Attr
	}
	probes := []probe{
		{"quantization.wqtype", q.WQType, q.WBit, quant.Weight, o.Quant.WGranularity, o.Quant.WOptions},
		{"quantization.xqtype", q.XQType, q.ABit, quant.Activation, o.Quant.AGranularity, o.Quant.AOptions},
	}
	if q.FirstLast8Bit {
		probes = append(probes,
			probe{"quantization.first_last_8bit", q.WQType, 8, quant.Weight, o.Quant.WGranularity, o.Quant.WOptions},
			probe{"quantization.first_last_8bit", q.XQType, 8, quant.Activation, o.Quant.AGranularity, o.Quant.AOptions})
	}
	for i, ov := range q.Overrides {
		o.Quant.Overrides = append(o.Quant.Overrides, quant.Override{Match: ov.Match, WBits: ov.WBit, ABits: ov.ABit, WAlgo: ov.WQType, AAlgo: ov.XQType})
		key := fmt.Sprintf("quantization.overrides[%d] (%s)", i, ov.Match)
		wb, ab, wa, aa := or(ov.WBit, q.WBit), or(ov.ABit, q.ABit), orS(ov.WQType, q.WQType), orS(ov.XQType, q.XQType)
		wopts, aopts := o.Quant.WOptions, o.Quant.AOptions
		if ov.WQType != "" && ov.WQType != q.WQType {
			wopts = nil // the section's options belong to its own quantizer
		}
		if ov.XQType != "" && ov.XQType != q.XQType {
			aopts = nil
		}
		probes = append(probes, probe{key, wa, wb, quant.Weight, o.Quant.WGranularity, wopts}, probe{key, aa, ab, quant.Activation, o.Quant.AGranularity, aopts})
	}
	for _, p := range probes {
		if _, ok := quant.Lookup(p.algo); !ok {
			return o, fmt.Errorf("%s: unknown quantizer %q (registered: %v)", p.key, p.algo, quant.Algorithms())
		}
		// Activations are signed or unsigned depending on their producer:
		// the algorithm must accept at least one of the two.
		var err error
		for _, signed := range []bool{p.role == quant.Weight, true} {
			if _, err = quant.New(p.algo, quant.Spec{Role: p.role, Bits: p.bits, Signed: signed, Granularity: p.gran}, p.opts); err == nil {
				break
			}
		}
		if err != nil {
			return o, fmt.Errorf("%s: %s as a %d-bit %s quantizer: %w", p.key, p.algo, p.bits, p.role, err)
		}
	}
	return o, nil
}

// Check runs the placement pass on a copy of g to find, before any work,
// what NewOptions cannot see: layers an algorithm cannot quantize (a
// granularity that does not fit a shape, for instance).
func Check(g *graph.Graph, o Options) error {
	_, err := quant.Insert(g.Clone(), o.Quant)
	return err
}

func (o Options) withDefaults() Options {
	if o.BatchSize <= 0 {
		o.BatchSize = config.DefaultQuantBatch
	}
	if o.LR <= 0 {
		o.LR = config.DefaultReconLR
	}
	if o.Optim == "" {
		o.Optim = "adam"
	}
	if o.Beta == (quant.BetaSchedule{}) {
		o.Beta = quant.DefaultBetaSchedule()
	}
	if o.ReconInput == "" {
		o.ReconInput = InputQuant
	}
	if o.Smooth && o.SmoothAlpha == 0 {
		o.SmoothAlpha = 0.5
	}
	return o
}

func (o Options) validate() error {
	switch {
	case o.Iters < 0:
		return fmt.Errorf("iterations must be ≥ 0, got %d", o.Iters)
	case o.Optim != "adam" && o.Optim != "sgd":
		return fmt.Errorf("optimizer %q: want adam or sgd", o.Optim)
	case o.ReconInput != InputQuant && o.ReconInput != InputFloat:
		return fmt.Errorf("reconstruction input %q: want %q or %q", o.ReconInput, InputQuant, InputFloat)
	case o.Lambda < 0:
		return fmt.Errorf("lambda must be ≥ 0, got %g", o.Lambda)
	}
	return nil
}

// attrs turns numeric options into FakeQuant attributes.
func attrs(m map[string]float64) map[string]graph.Attr {
	if len(m) == 0 {
		return nil
	}
	out := make(map[string]graph.Attr, len(m))
	for k, v := range m {
		out[k] = graph.FloatAttr(float32(v))
	}
	return out
}

func or(a, b int) int {
	if a != 0 {
		return a
	}
	return b
}

func orS(a, b string) string {
	if a != "" {
		return a
	}
	return b
}
