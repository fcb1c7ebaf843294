package main

import (
	"fmt"
	"math"
	"math/rand/v2"
	"path/filepath"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"t2c/graph"
	"t2c/internal/progress"
	"t2c/kernels"
	"t2c/onnx"
	"t2c/tensor"
)

// benchOptions are the flags of `t2c bench`.
type benchOptions struct {
	model         string
	batch         int
	int8          bool
	integer       bool
	asJSON        bool
	warmup, iters int
}

func benchCmd() *cobra.Command {
	var o benchOptions
	cmd := &cobra.Command{
		Use:   "bench",
		Short: "Measure a model's inference latency and throughput on random input",
		Long: `bench runs a model on random normal input of its input shape (with the batch
dimension set by --batch) and reports latency percentiles and images per second.
--threads (a global flag) sets the kernel threads; the default is every core.

With --integer the model must be a quantized t2c checkpoint (t2c ptq or
qat): it is run as the float model, as the fake-quant model and as the
integer golden runtime of its conversion (t2c convert), on the same input.

With --int8 it benchmarks the integer kernels alone: every convolution shape
of the model is run as an exact uint8×int8→int32 convolution
(ConvU8S8Packed, weights prepacked) and as the float convolution, and both
totals and the per-layer speed-up are printed. Latencies in this mode are
for all of the model's convolutions, nothing else.`,
		Example: `  t2c bench --model resnet18.onnx --batch 1 --threads 2
  t2c bench --model testdata/pytorch/vit.onnx --batch 8 --json
  t2c bench --model resnet18.onnx --int8
  t2c bench --model runs/resnet20-fashion-ptq-w8a8/model.safetensors --integer --batch 64`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if o.model == "" {
				return fmt.Errorf("--model is required (an .onnx file)")
			}
			if o.batch < 1 || o.iters < 1 || o.warmup < 0 {
				return fmt.Errorf("--batch and --iters must be ≥ 1 and --warmup ≥ 0")
			}
			g, err := resolveBenchModel(o.model)
			if err != nil {
				return err
			}
			if o.int8 {
				return benchInt8(g, o)
			}
			if o.integer {
				return benchIntegerModel(g, o)
			}
			return benchFloat(g, o)
		},
	}
	cmd.Flags().StringVar(&o.model, "model", "", "model: an .onnx file or a t2c checkpoint (.safetensors)")
	cmd.Flags().IntVar(&o.batch, "batch", 1, "batch size")
	cmd.Flags().BoolVar(&o.int8, "int8", false, "benchmark the int8 convolution kernels on the model's conv shapes")
	cmd.Flags().BoolVar(&o.integer, "integer", false, "benchmark a quantized checkpoint: float, fake-quant and integer golden runtime")
	cmd.Flags().BoolVar(&o.asJSON, "json", false, "print results as one JSON object on stdout")
	cmd.Flags().IntVar(&o.warmup, "warmup", 3, "untimed runs first")
	cmd.Flags().IntVar(&o.iters, "iters", 20, "timed runs")
	return cmd
}

// resolveBenchModel loads an ONNX file or a t2c checkpoint.
func resolveBenchModel(name string) (*graph.Graph, error) {
	if strings.EqualFold(filepath.Ext(name), ".onnx") {
		return onnx.Load(name)
	}
	if strings.EqualFold(filepath.Ext(name), ".safetensors") {
		return loadModel(name)
	}
	return nil, fmt.Errorf("model %q: want an .onnx file or a t2c .safetensors checkpoint", name)
}

// benchInput returns the shape of the model's single float32 input with the
// batch dimension replaced.
func benchInput(g *graph.Graph, batch int) (graph.ValueInfo, []int, error) {
	if len(g.Inputs) != 1 {
		return graph.ValueInfo{}, nil, fmt.Errorf("model has %d inputs; bench needs exactly one", len(g.Inputs))
	}
	in := g.Inputs[0]
	if in.DType != tensor.Float32 {
		return in, nil, fmt.Errorf("input %q is %s; bench feeds float32", in.Name, in.DType)
	}
	if len(in.Shape) == 0 {
		return in, nil, fmt.Errorf("input %q has no shape", in.Name)
	}
	shape := slices.Clone(in.Shape)
	shape[0] = batch
	for i, d := range shape[1:] {
		if d < 1 {
			return in, nil, fmt.Errorf("input %q dimension %d is not fixed (%v); bench needs a concrete input shape", in.Name, i+1, in.Shape)
		}
	}
	return in, shape, nil
}

func randomNormal(shape []int, seed uint64) *tensor.Tensor {
	r := rand.New(rand.NewPCG(seed, 0x9e3779b97f4a7c15))
	data := make([]float32, tensor.NumElems(shape))
	for i := range data {
		data[i] = float32(r.NormFloat64())
	}
	return tensor.New(shape, data)
}

// latencyStats summarises run times.
type latencyStats struct {
	P50, P90, P99, Mean, Min, Max time.Duration
}

func summarise(d []time.Duration) latencyStats {
	s := slices.Clone(d)
	slices.Sort(s)
	pct := func(p float64) time.Duration { // nearest rank
		i := int(math.Ceil(p/100*float64(len(s)))) - 1
		return s[max(0, min(len(s)-1, i))]
	}
	var sum time.Duration
	for _, v := range s {
		sum += v
	}
	return latencyStats{P50: pct(50), P90: pct(90), P99: pct(99), Mean: sum / time.Duration(len(s)), Min: s[0], Max: s[len(s)-1]}
}

func ms(d time.Duration) float64 { return float64(d.Nanoseconds()) / 1e6 }

// timeRuns runs f warmup times untimed, then iters times timed.
func timeRuns(warmup, iters int, what string, f func() error) ([]time.Duration, error) {
	for i := 0; i < warmup; i++ {
		if err := f(); err != nil {
			return nil, err
		}
	}
	bar := progress.New(iters, what)
	d := make([]time.Duration, iters)
	for i := range d {
		t0 := time.Now()
		if err := f(); err != nil {
			return nil, err
		}
		d[i] = time.Since(t0)
		bar.Add(1, "")
	}
	bar.Done()
	return d, nil
}

func benchFloat(g *graph.Graph, o benchOptions) error {
	in, shape, err := benchInput(g, o.batch)
	if err != nil {
		return fmt.Errorf("%s: %w", o.model, err)
	}
	sess, err := graph.NewSession(g)
	if err != nil {
		return fmt.Errorf("%s: %w", o.model, err)
	}
	x := randomNormal(shape, 1)
	d, err := timeRuns(o.warmup, o.iters, "bench", func() error {
		_, err := sess.Run1(x)
		return err
	})
	if err != nil {
		return fmt.Errorf("running %s: %w", o.model, err)
	}
	st := summarise(d)
	ips := float64(o.batch) / st.Mean.Seconds()
	progress.Logf("%s: input %s %v, batch %d, %d threads, %s kernels, %d runs after %d warm-up",
		o.model, in.Name, shape, o.batch, kernels.Threads(), kernels.Current().Name(), o.iters, o.warmup)
	progress.Logf("latency p50 %.2f ms, p90 %.2f ms, p99 %.2f ms (min %.2f, mean %.2f); %.1f images/s",
		ms(st.P50), ms(st.P90), ms(st.P99), ms(st.Min), ms(st.Mean), ips)
	if o.asJSON {
		return printJSON(map[string]any{
			"model": o.model, "mode": "float32", "input_shape": shape, "batch": o.batch,
			"threads": kernels.Threads(), "backend": kernels.Current().Name(),
			"warmup": o.warmup, "iters": o.iters,
			"latency_ms_p50": ms(st.P50), "latency_ms_p90": ms(st.P90), "latency_ms_p99": ms(st.P99),
			"latency_ms_mean": ms(st.Mean), "latency_ms_min": ms(st.Min), "latency_ms_max": ms(st.Max),
			"images_per_second": ips,
		})
	}
	return nil
}

// convLayer is one distinct convolution shape of a model.
type convLayer struct {
	name  string // first node with this shape
	p     kernels.ConvParams
	count int
}

// modelConvs lists the model's 2-D convolutions with their concrete
// parameters at the given input shape.
func modelConvs(g *graph.Graph, in graph.ValueInfo, shape []int) ([]*convLayer, error) {
	_, types, err := graph.Specialize(g, map[string][]int{in.Name: shape})
	if err != nil {
		return nil, err
	}
	var layers []*convLayer
	byShape := map[kernels.ConvParams]*convLayer{}
	for _, n := range g.Nodes {
		if n.Op != "Conv" {
			continue
		}
		p, err := convParamsOf(n, types)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", n, err)
		}
		if l := byShape[p]; l != nil {
			l.count++
			continue
		}
		l := &convLayer{name: n.Name, p: p, count: 1}
		byShape[p] = l
		layers = append(layers, l)
	}
	return layers, nil
}

// convParamsOf derives a Conv node's kernel parameters from its attributes
// and the inferred shapes of its input, weight and output.
func convParamsOf(n *graph.Node, types graph.Typed) (kernels.ConvParams, error) {
	x, w, y := types[n.Input(0)].Shape, types[n.Input(1)].Shape, types[n.Outputs[0]].Shape
	if len(x) == 3 { // 1-D: height 1
		x, w, y = []int{x[0], x[1], 1, x[2]}, []int{w[0], w[1], 1, w[2]}, []int{y[0], y[1], 1, y[2]}
	}
	if len(x) != 4 || len(w) != 4 || len(y) != 4 {
		return kernels.ConvParams{}, fmt.Errorf("only 1-D and 2-D convolutions are benchmarked (input %v)", x)
	}
	ints := func(name string, def int) [2]int {
		a, ok := n.Attrs[name]
		if !ok || len(a.Ints) == 0 {
			return [2]int{def, def}
		}
		if len(a.Ints) == 1 {
			return [2]int{1, int(a.Ints[0])}
		}
		return [2]int{int(a.Ints[0]), int(a.Ints[1])}
	}
	st, dil := ints("strides", 1), ints("dilations", 1)
	group := 1
	if a, ok := n.Attrs["group"]; ok {
		group = int(a.Int)
	}
	p := kernels.ConvParams{N: x[0], C: x[1], H: x[2], W: x[3], K: w[0], R: w[2], S: w[3], Groups: group,
		StrideH: st[0], StrideW: st[1], DilH: dil[0], DilW: dil[1]}
	if a, ok := n.Attrs["pads"]; ok && len(a.Ints) > 0 {
		if len(a.Ints) == 2 { // 1-D: begin, end
			p.PadL, p.PadR = int(a.Ints[0]), int(a.Ints[1])
		} else {
			p.PadT, p.PadL, p.PadB, p.PadR = int(a.Ints[0]), int(a.Ints[1]), int(a.Ints[2]), int(a.Ints[3])
		}
	}
	if a, ok := n.Attrs["auto_pad"]; ok && strings.HasPrefix(a.String, "SAME") {
		th := max(0, (y[2]-1)*p.StrideH+(p.R-1)*p.DilH+1-p.H)
		tw := max(0, (y[3]-1)*p.StrideW+(p.S-1)*p.DilW+1-p.W)
		p.PadT, p.PadB, p.PadL, p.PadR = th/2, th-th/2, tw/2, tw-tw/2
		if a.String == "SAME_LOWER" {
			p.PadT, p.PadB, p.PadL, p.PadR = p.PadB, p.PadT, p.PadR, p.PadL
		}
	}
	if err := p.Validate(); err != nil {
		return p, err
	}
	if p.OutH() != y[2] || p.OutW() != y[3] {
		return p, fmt.Errorf("derived output %dx%d does not match inferred %v", p.OutH(), p.OutW(), y)
	}
	return p, nil
}

// benchInt8 times every conv shape of the model as an int8 and as a float
// convolution (see the command's help).
func benchInt8(g *graph.Graph, o benchOptions) error {
	in, shape, err := benchInput(g, o.batch)
	if err != nil {
		return fmt.Errorf("%s: %w", o.model, err)
	}
	layers, err := modelConvs(g, in, shape)
	if err != nil {
		return fmt.Errorf("%s: %w", o.model, err)
	}
	if len(layers) == 0 {
		return fmt.Errorf("%s: no convolutions to benchmark in int8", o.model)
	}
	type run struct {
		f32, i8   func()
		tf32, ti8 []time.Duration
	}
	r := rand.New(rand.NewPCG(2, 3))
	runs := make([]*run, len(layers))
	var totalOps float64
	for i, l := range layers {
		p := l.p
		kdim := p.C / p.Groups * p.R * p.S
		xf, wf := make([]float32, p.N*p.C*p.H*p.W), make([]float32, p.K*kdim)
		for j := range xf {
			xf[j] = float32(r.NormFloat64())
		}
		for j := range wf {
			wf[j] = float32(r.NormFloat64())
		}
		xu, wi := make([]uint8, len(xf)), make([]int8, len(wf))
		for j := range xu {
			xu[j] = uint8(r.IntN(256))
		}
		for j := range wi {
			wi[j] = int8(r.IntN(256) - 128)
		}
		bias := make([]int32, p.K)
		packed := kernels.PackConv(p, wi)
		out := p.N * p.K * p.OutH() * p.OutW()
		yf, yi := make([]float32, out), make([]int32, out)
		runs[i] = &run{
			f32: func() { kernels.Conv2D(p, xf, wf, nil, yf) },
			i8:  func() { kernels.ConvU8S8Packed(p, xu, 128, packed, bias, yi) },
		}
		totalOps += float64(l.count) * 2 * float64(out) * float64(kdim)
	}
	// Interleave float and int8 per iteration so machine load affects both.
	var passF, passI []time.Duration
	bar := progress.New(o.warmup+o.iters, "bench --int8")
	for it := 0; it < o.warmup+o.iters; it++ {
		var sumF, sumI time.Duration
		for i, l := range layers {
			t0 := time.Now()
			runs[i].f32()
			tf := time.Since(t0)
			t0 = time.Now()
			runs[i].i8()
			ti := time.Since(t0)
			if it >= o.warmup {
				runs[i].tf32 = append(runs[i].tf32, tf)
				runs[i].ti8 = append(runs[i].ti8, ti)
			}
			sumF += time.Duration(l.count) * tf
			sumI += time.Duration(l.count) * ti
		}
		if it >= o.warmup {
			passF, passI = append(passF, sumF), append(passI, sumI)
		}
		bar.Add(1, "")
	}
	bar.Done()
	sf, si := summarise(passF), summarise(passI)
	ips := float64(o.batch) / si.Mean.Seconds()
	progress.Logf("%s: int8 convolution kernels alone (t2c bench --integer runs the integer model), batch %d, %d threads, %s kernels",
		o.model, o.batch, kernels.Threads(), kernels.Current().Name())
	var table strings.Builder
	w := tabwriter.NewWriter(&table, 0, 2, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(w, "layer\tcount\tC×H×W\tK×R×S/stride\tfloat ms\tint8 ms\tspeed-up\tint8 GOP/s\t")
	var rows []map[string]any
	for i, l := range layers {
		p := l.p
		f, q := summarise(runs[i].tf32).P50, summarise(runs[i].ti8).P50
		ops := 2 * float64(p.N*p.K*p.OutH()*p.OutW()) * float64(p.C/p.Groups*p.R*p.S)
		fmt.Fprintf(w, "%s\t%d\t%d×%d×%d\t%d×%d×%d/%d\t%.3f\t%.3f\t%.2f×\t%.0f\t\n", l.name, l.count, p.C, p.H, p.W,
			p.K, p.R, p.S, p.StrideH, ms(f), ms(q), f.Seconds()/q.Seconds(), ops/q.Seconds()/1e9)
		rows = append(rows, map[string]any{"name": l.name, "count": l.count, "params": p,
			"float_ms_p50": ms(f), "int8_ms_p50": ms(q), "speedup": f.Seconds() / q.Seconds(), "int8_gops": ops / q.Seconds() / 1e9})
	}
	w.Flush()
	progress.Logf("%s", strings.TrimRight(table.String(), "\n"))
	progress.Logf("all convolutions: float p50 %.2f ms, int8 p50 %.2f ms (p90 %.2f), %.2f× faster; %.1f images/s through the int8 convolutions",
		ms(sf.P50), ms(si.P50), ms(si.P90), sf.P50.Seconds()/si.P50.Seconds(), ips)
	if o.asJSON {
		return printJSON(map[string]any{
			"model": o.model, "mode": "int8-conv-kernels",
			"note":  "integer runtime not yet available: times are the model's convolutions only, run as uint8×int8→int32 (ConvU8S8Packed) and as float32 (Conv2D)",
			"batch": o.batch, "threads": kernels.Threads(), "backend": kernels.Current().Name(),
			"warmup": o.warmup, "iters": o.iters, "conv_gops": totalOps / 1e9,
			"latency_ms_p50": ms(si.P50), "latency_ms_p90": ms(si.P90), "latency_ms_mean": ms(si.Mean),
			"float_latency_ms_p50": ms(sf.P50), "float_latency_ms_p90": ms(sf.P90),
			"images_per_second": ips, "layers": rows,
		})
	}
	return nil
}
