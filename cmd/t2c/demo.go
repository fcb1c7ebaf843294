package main

import (
	"fmt"
	"io"
	"os"

	"github.com/spf13/cobra"

	"t2c/config"
	"t2c/data"
	"t2c/eval"
	"t2c/export"
	"t2c/fuse"
	"t2c/graph"
	"t2c/internal/demo"
	"t2c/internal/progress"
	"t2c/onnx"
	"t2c/ptq"
	"t2c/qdq"
	"t2c/report"
	"t2c/tensor"
	"t2c/verify"
)

// demoCalib is how many of the embedded test images calibrate; the rest
// are evaluated.
const demoCalib = 256

// demoRecipes are the quantizations the demo runs.
var demoRecipes = []struct {
	name string
	q    config.Quantization
}{
	{"W8A8 min-max", config.Quantization{WBit: 8, ABit: 8, WQType: "minmax_channel", XQType: "minmax", BatchSize: 32}},
	{"W4A4 AdaRound+LSQ", config.Quantization{WBit: 4, ABit: 4, WQType: "adaround", XQType: "lsq", FirstLast8Bit: true,
		BatchSize: 32, Iters: 300, LR: 0.01, ScaleLR: 1e-4, BetaStart: 20, BetaEnd: 2}},
}

func demoCmd() *cobra.Command {
	var out string
	cmd := &cobra.Command{
		Use:   "demo",
		Short: "Run the whole pipeline on a model and data that ship inside the binary",
		Long: `demo needs no files: it loads the Fashion-MNIST CNN trained with PyTorch
(shipped in the binary), evaluates it on the embedded Fashion-MNIST test
subset, quantizes it post-training to W8A8 (min-max) and W4A4 (AdaRound
weights, LSQ activations, layer-wise reconstruction) on the first 256
images, fuses each into an integer-only graph, verifies the integer model
against the fake-quant model on the other 1,744 images, exports the W8A8
integer model for hardware (--out), and prints a summary table.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error { return runDemo(stdout, out) },
	}
	cmd.Flags().StringVar(&out, "out", "out/demo", "directory for the exported W8A8 integer model")
	return cmd
}

// demoRow is one line of the summary table.
type demoRow struct {
	stage           string
	top1, agreement float64 // agreement < 0: not applicable
	ips             float64
}

func runDemo(w io.Writer, out string) error {
	g, err := onnx.Decode(demo.FashionCNN, "fashion-cnn.onnx")
	if err != nil {
		return err
	}
	s, err := report.Inspect(g)
	if err != nil {
		return err
	}
	progress.Logf("model: PyTorch-trained Fashion-MNIST CNN, %d parameters, %.1f MMACs/image, ops %s",
		s.Params, float64(s.MACs)/1e6, report.OpList(s.OpCounts))
	calib, test, err := demoData()
	if err != nil {
		return err
	}
	sess, err := graph.NewSession(g)
	if err != nil {
		return err
	}
	fr, err := eval.Run(sess, test, "float")
	if err != nil {
		return err
	}
	rows := []demoRow{{"float32 (t2c runtime)", fr.Top1, -1, fr.ImagesPerSecond}}
	for i, r := range demoRecipes {
		qg, m, qr, ir, err := demoQuantize(g, r.q, calib, test, r.name)
		if err != nil {
			return fmt.Errorf("%s: %w", r.name, err)
		}
		rows = append(rows, demoRow{r.name + " fake-quant", qr.Top1, -1, qr.ImagesPerSecond},
			demoRow{r.name + " integer-only", ir.Top1, eval.Agreement(qr.Predictions, ir.Predictions), ir.ImagesPerSecond})
		if i == 0 {
			if err := demoExport(out, qg, m, calib[0]); err != nil {
				return err
			}
		}
	}
	fmt.Fprintf(w, "Fashion-MNIST CNN, %d calibration + %d test images (embedded subset)\n", demoCalib, fr.Images)
	fmt.Fprintf(w, "%-34s %8s %22s %10s\n", "stage", "top-1", "agreement w/ fake-quant", "images/s")
	for _, r := range rows {
		agree := "—"
		if r.agreement >= 0 {
			agree = fmt.Sprintf("%.2f%%", 100*r.agreement)
		}
		fmt.Fprintf(w, "%-34s %7.2f%% %22s %10.0f\n", r.stage, 100*r.top1, agree, r.ips)
	}
	fmt.Fprintf(w, "W8A8 integer model exported to %s (manifest.json, params/, tensors/, tiles/, params.h, qdq.onnx)\n", out)
	return nil
}

// demoData returns the calibration batches (the first demoCalib embedded
// test images) and a loader over the others.
func demoData() ([]*tensor.Tensor, *data.Loader, error) {
	ds, preset, err := data.Open("fashion-mnist", "test")
	if err != nil {
		return nil, nil, err
	}
	var calib []*tensor.Tensor
	cl := data.NewLoader(ds, data.LoaderOptions{BatchSize: 32, Limit: demoCalib, Transforms: preset.Transforms(false)})
	for b, err := range cl.Epoch(0) {
		if err != nil {
			return nil, nil, err
		}
		calib = append(calib, b.X.Clone())
	}
	test := data.NewLoader(offsetDataset{ds, demoCalib}, data.LoaderOptions{BatchSize: 256, Transforms: preset.Transforms(false)})
	return calib, test, nil
}

// demoQuantize runs PTQ with q on a copy of g, converts it and evaluates
// the fake-quant and the integer model.
func demoQuantize(g *graph.Graph, q config.Quantization, calib []*tensor.Tensor, test *data.Loader, name string) (*graph.Graph, *fuse.Model, eval.Result, eval.Result, error) {
	var none eval.Result
	opts, err := ptq.NewOptions(&q)
	if err != nil {
		return nil, nil, none, none, err
	}
	qg := g.Clone()
	progress.Logf("%s: post-training quantization on %d images", name, demoCalib)
	if _, err := ptq.Run(qg, calib, opts); err != nil {
		return nil, nil, none, none, err
	}
	qm := &quantModel{Name: name, FakeQuant: qg, Calib: calib, Dataset: config.Dataset{Spec: "fashion-mnist"}}
	if err := qm.finish(32); err != nil {
		return nil, nil, none, none, err
	}
	ranges, err := verify.Ranges(qm.FakeQuant, calib[:min(len(calib), rangeBatches)])
	if err != nil {
		return nil, nil, none, none, err
	}
	m, err := fuse.NewModel(qm.FakeQuant, fuse.Options{Ranges: ranges})
	if err != nil {
		return nil, nil, none, none, err
	}
	sess, err := graph.NewSession(qm.FakeQuant)
	if err != nil {
		return nil, nil, none, none, err
	}
	qr, err := eval.Run(sess, test, name+" fake-quant")
	if err != nil {
		return nil, nil, none, none, err
	}
	ir, err := eval.Run(m, test, name+" integer")
	return qm.FakeQuant, m, qr, ir, err
}

// demoExport writes the integer model for the first calibration image and
// the QDQ ONNX of the fake-quant model.
func demoExport(out string, fq *graph.Graph, m *fuse.Model, batch *tensor.Tensor) error {
	x, err := tensor.Slice(batch, []int{0}, []int{0}, []int{1}, []int{1})
	if err != nil {
		return err
	}
	res, err := m.Convert(x.Shape())
	if err != nil {
		return err
	}
	if _, err := export.Write(out, res.Graph, []*tensor.Tensor{x}, export.Options{Name: "fashion-cnn-w8a8", PE: 16}); err != nil {
		return err
	}
	h, err := qdq.Convert(fq)
	if err != nil {
		return err
	}
	return onnx.Save(h, out+string(os.PathSeparator)+"qdq.onnx")
}

// offsetDataset hides the first from images of a dataset.
type offsetDataset struct {
	data.Dataset
	from int
}

func (d offsetDataset) Len() int { return d.Dataset.Len() - d.from }

func (d offsetDataset) Image(i int, dst []float32) int { return d.Dataset.Image(d.from+i, dst) }
