package main

import (
	"fmt"
	"math"
	"strings"

	"github.com/spf13/cobra"

	"t2c/eval"
	"t2c/fuse"
	"t2c/graph"
	"t2c/integer"
	"t2c/internal/progress"
	"t2c/pipeline"
	"t2c/tensor"
	"t2c/verify"
)

// convertFlags are the conversion options shared by convert, diff and export.
type convertFlags struct {
	cfgPath, modelPath, data string
	format                   string
	swl, sfl                 int
	softmax, gelu, layerNorm string
	lutBits, intBits         int
}

func (f *convertFlags) register(cmd *cobra.Command) {
	cmd.Flags().StringVar(&f.cfgPath, "config", "", "YAML config: a quantized checkpoint, or a float model plus a quantization section (PTQ runs first)")
	cmd.Flags().StringVar(&f.modelPath, "model", "", "a quantized t2c checkpoint (from t2c ptq or qat)")
	cmd.Flags().StringVar(&f.data, "data", "", "dataset spec (default: the config's; with --model: fashion-mnist:)")
	cmd.Flags().StringVar(&f.format, "format", integer.FormatDyadic, "fixed-point multipliers: dyadic (31-bit mantissa + shift per channel) or fixed (Torch2Chip swl/sfl)")
	cmd.Flags().IntVar(&f.swl, "swl", 32, "word length of --format fixed")
	cmd.Flags().IntVar(&f.sfl, "sfl", 26, "fraction length of --format fixed")
	cmd.Flags().StringVar(&f.softmax, "softmax", string(integer.ModeInteger), "softmax: integer (I-BERT), lut or float (not integer-only)")
	cmd.Flags().StringVar(&f.gelu, "gelu", string(integer.ModeInteger), "GELU: integer (I-BERT), lut or float (not integer-only)")
	cmd.Flags().StringVar(&f.layerNorm, "layernorm", string(integer.ModeInteger), "LayerNorm: integer (integer square root) or float (not integer-only)")
	cmd.Flags().IntVar(&f.lutBits, "lut-bits", 8, "input bits of lookup-table nonlinearities")
	cmd.Flags().IntVar(&f.intBits, "int-bits", 24, "input bits of integer-arithmetic nonlinearities")
}

// options checks the flags and returns the converter options.
func (f *convertFlags) options() (fuse.Options, error) {
	o := fuse.Options{Format: integer.Format{Kind: f.format, SWL: f.swl, SFL: f.sfl}, LUTBits: f.lutBits, IntBits: f.intBits}
	if err := o.Format.Validate(); err != nil {
		return o, fmt.Errorf("--format: %w", err)
	}
	for _, m := range []struct {
		flag, v string
		dst     *integer.Mode
	}{{"--softmax", f.softmax, &o.Softmax}, {"--gelu", f.gelu, &o.GELU}, {"--layernorm", f.layerNorm, &o.LayerNorm}} {
		mode, err := integer.ParseMode(m.v)
		if err != nil {
			return o, fmt.Errorf("%s: %w", m.flag, err)
		}
		*m.dst = mode
	}
	return o, nil
}

// load checks the flags, loads the quantized model and prepares its
// integer conversion (value ranges measured on calibration data).
func (f *convertFlags) load() (*quantModel, *fuse.Model, error) {
	opts, err := f.options()
	if err != nil {
		return nil, nil, err
	}
	data := f.data
	if data == "" && f.modelPath != "" {
		data = "fashion-mnist:"
	}
	qm, err := loadQuantModel(f.cfgPath, f.modelPath, data)
	if err != nil {
		return nil, nil, err
	}
	if opts.Ranges, err = verify.Ranges(qm.FakeQuant, qm.Calib); err != nil {
		return nil, nil, err
	}
	m, err := fuse.NewModel(qm.FakeQuant, opts)
	if err != nil {
		return nil, nil, err
	}
	if _, err := m.Convert(qm.Calib[0].Shape()); err != nil {
		return nil, nil, err
	}
	return qm, m, nil
}

// loadSamples is load plus the first samples test images (the images
// diff compares on and export writes tensors of).
func (f *convertFlags) loadSamples(samples int) (*quantModel, *fuse.Model, *tensor.Tensor, error) {
	if samples < 1 {
		return nil, nil, nil, fmt.Errorf("--samples must be ≥ 1, got %d", samples)
	}
	qm, m, err := f.load()
	if err != nil {
		return nil, nil, nil, err
	}
	d, err := pipeline.OpenData(qm.Dataset, samples, 0, false)
	if err != nil {
		return nil, nil, nil, err
	}
	x, err := firstImages(d, samples)
	return qm, m, x, err
}

// convertSummary is the --json output of convert.
type convertSummary struct {
	Model         string         `json:"model"`
	Format        string         `json:"format"`
	Softmax       string         `json:"softmax"`
	GELU          string         `json:"gelu"`
	LayerNorm     string         `json:"layernorm"`
	IntegerOnly   bool           `json:"integer_only"`
	FloatOps      []string       `json:"float_ops,omitempty"`
	FakeQuantTop1 float64        `json:"fakequant_top1"`
	IntegerTop1   float64        `json:"integer_top1"`
	Agreement     float64        `json:"agreement"`
	Images        int            `json:"images"`
	IntegerIPS    float64        `json:"integer_images_per_second"`
	Samples       int            `json:"layer_samples"`
	Layers        []verify.Row   `json:"layers"`
	Ranges        []fuse.Layer   `json:"range_analysis"`
	MaxLayerDiff  float64        `json:"max_layer_diff"`
	Nodes         map[string]int `json:"integer_ops"`
}

func convertCmd() *cobra.Command {
	var (
		f       convertFlags
		samples int
		asJSON  bool
	)
	cmd := &cobra.Command{
		Use:   "convert (--config FILE | --model CHECKPOINT)",
		Short: "Fuse a quantized model into an integer-only graph and verify it on the test set",
		Long: `convert fuses the quantized model (Conv/Gemm/MatMul + BatchNorm + ReLU/Clip
into IntConv/IntMatMul and per-channel Requant, residual IntAdd, integer
pooling, integer softmax/GELU/LayerNorm; docs/INTEGER.md), then runs the
fake-quant model and the integer golden runtime on the test split and
reports the accuracy of each, their top-1 agreement, the range analysis of
every accumulator, and per value the max |integer − fake-quant| after
dequantization on the first --samples test images.`,
		Example: `  t2c convert --model runs/resnet20-fashion-ptq-w8a8/model.safetensors
  t2c convert --config configs/vit-fashion-ptq-w8a8.yaml --softmax lut --json
  t2c convert --config configs/resnet20-fashion-ptq-w4a4.yaml --format fixed --swl 32 --sfl 26`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			qm, m, x, err := f.loadSamples(samples)
			if err != nil {
				return err
			}
			s, err := runConvert(qm, m, &f, x)
			if err != nil {
				return err
			}
			if asJSON {
				return printJSON(s)
			}
			return nil
		},
	}
	f.register(cmd)
	cmd.Flags().IntVar(&samples, "samples", 8, "test images for the per-layer comparison")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print a JSON summary on stdout")
	return cmd
}

func runConvert(qm *quantModel, m *fuse.Model, f *convertFlags, x *tensor.Tensor) (*convertSummary, error) {
	d, err := pipeline.OpenData(qm.Dataset, qm.BatchSize, 0, false)
	if err != nil {
		return nil, err
	}
	sess, err := graph.NewSession(qm.FakeQuant)
	if err != nil {
		return nil, err
	}
	fr, err := eval.Run(sess, d.Test, "fake-quant")
	if err != nil {
		return nil, err
	}
	ir, err := eval.Run(m, d.Test, "integer")
	if err != nil {
		return nil, err
	}
	rows, err := verify.Compare(qm.Float, qm.FakeQuant, m, x)
	if err != nil {
		return nil, err
	}
	res, err := m.Convert(x.Shape())
	if err != nil {
		return nil, err
	}
	opts, _ := f.options()
	s := &convertSummary{Model: qm.Name, Format: opts.Format.String(), Softmax: f.softmax, GELU: f.gelu, LayerNorm: f.layerNorm,
		FakeQuantTop1: fr.Top1, IntegerTop1: ir.Top1, Agreement: eval.Agreement(fr.Predictions, ir.Predictions),
		Images: ir.Images, IntegerIPS: ir.ImagesPerSecond, Samples: x.Dim(0), Layers: rows, Ranges: res.Layers, Nodes: opCounts(res.Graph)}
	s.IntegerOnly, _ = res.IntegerOnly()
	s.FloatOps = res.FloatOps
	for _, r := range rows {
		if !math.IsNaN(r.IntVsFQ) {
			s.MaxLayerDiff = math.Max(s.MaxLayerDiff, r.IntVsFQ)
		}
	}
	progress.Logf("%s", strings.TrimRight(rangeTable(res.Layers), "\n"))
	progress.Logf("%s", strings.TrimRight(diffTable(rows), "\n"))
	only := "integer-only"
	if !s.IntegerOnly {
		only = "NOT integer-only (" + strings.Join(s.FloatOps, ", ") + ")"
	}
	progress.Logf("%s, %s: fake-quant top-1 %.2f%%, integer top-1 %.2f%%, agreement %.2f%% on %d images (%.0f img/s integer); max per-layer |int − fake-quant| %.3g",
		only, s.Format, 100*s.FakeQuantTop1, 100*s.IntegerTop1, 100*s.Agreement, s.Images, s.IntegerIPS, s.MaxLayerDiff)
	return s, nil
}

// opCounts counts the integer graph's ops.
func opCounts(g *graph.Graph) map[string]int {
	m := map[string]int{}
	for _, n := range g.Nodes {
		m[n.Op]++
	}
	return m
}

// rangeTable prints the accumulator range analysis.
func rangeTable(layers []fuse.Layer) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%-32s %-9s %5s %5s %7s %12s %8s %s\n", "layer", "op", "x", "w", "K", "max |acc|", "acc bits", "int32")
	for _, l := range layers {
		ok := "safe"
		if l.Overflow {
			ok = "OVERFLOW"
		}
		fmt.Fprintf(&b, "%-32s %-9s %5d %5d %7d %12.4g %8d %s\n", l.Name, l.Op, l.XBits, l.WBits, l.Reduction, l.AccBound, l.AccBits, ok)
	}
	return b.String()
}

// diffTable prints the per-value comparison.
func diffTable(rows []verify.Row) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%-36s %-18s %4s %10s %10s %10s %10s %12s\n", "value", "op", "bits", "fq SQNR", "fq maxerr", "int SQNR", "int maxerr", "|int − fq|")
	for _, r := range rows {
		flag := ""
		if r.Jump {
			flag = "  ← error jumps here"
		}
		fmt.Fprintf(&b, "%-36s %-18s %4d %10.2f %10.4g %10.2f %10.4g %12.4g%s\n", r.Value, r.Op, r.Bits, r.FQSQNR, r.FQMaxErr, r.IntSQNR, r.IntMaxErr, r.IntVsFQ, flag)
	}
	return b.String()
}
