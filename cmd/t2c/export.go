package main

import (
	"fmt"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"t2c/export"
	"t2c/internal/progress"
	"t2c/onnx"
	"t2c/qdq"
	"t2c/tensor"
)

func exportCmd() *cobra.Command {
	var (
		f       convertFlags
		out     string
		samples int
		pe      int
		formats string
		noQDQ   bool
		asJSON  bool
	)
	cmd := &cobra.Command{
		Use:   "export (--config FILE | --model CHECKPOINT) --out DIR",
		Short: "Write the integer model for hardware: manifest, integer parameters, golden per-layer tensors, PE tiles, QDQ ONNX",
		Long: `export converts the quantized model as t2c convert does and writes DIR:
manifest.json (the integer graph: ops, tensors, shapes, bit widths,
signedness, grids, fixed-point multipliers/shifts/biases), every integer
parameter as .npy, .hex ($readmemh, one two's-complement word per line),
.bin and params.h, and for the first --samples test images every layer's
integer inputs, int32 accumulator and requantized output (tensors/). With
--pe P each IntConv/IntMatMul is also written as its GEMM padded and tiled
into P×P blocks (tiles/). DIR/qdq.onnx is the quantized model in ONNX's
QuantizeLinear/DequantizeLinear form for ONNX Runtime. docs/EXPORT.md
describes every file.`,
		Example: `  t2c export --model runs/resnet20-fashion-ptq-w8a8/model.safetensors --out out/resnet20-w8a8
  t2c export --config configs/vit-fashion-ptq-w8a8.yaml --out out/vit --pe 16 --samples 4`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if out == "" {
				return fmt.Errorf("--out DIR is required")
			}
			var fs []string
			if formats != "" {
				fs = strings.Split(formats, ",")
			}
			qm, m, x, err := f.loadSamples(samples)
			if err != nil {
				return err
			}
			one := append([]int{1}, x.Shape()[1:]...)
			res, err := m.Convert(one)
			if err != nil {
				return err
			}
			var xs []*tensor.Tensor
			for i := range x.Dim(0) {
				xi, err := tensor.Slice(x, []int{0}, []int{i}, []int{i + 1}, []int{1})
				if err != nil {
					return err
				}
				xs = append(xs, xi)
			}
			man, err := export.Write(out, res.Graph, xs, export.Options{Name: qm.Name, Samples: len(xs), PE: pe, Formats: fs})
			if err != nil {
				return err
			}
			if !noQDQ {
				h, err := qdq.Convert(qm.FakeQuant)
				if err != nil {
					return fmt.Errorf("QDQ ONNX: %w", err)
				}
				if err := onnx.Save(h, filepath.Join(out, "qdq.onnx")); err != nil {
					return err
				}
			}
			progress.Logf("exported %s: %d integer ops, %d samples, %s → %s", qm.Name, len(res.Graph.Nodes), len(xs), man.Sparse.Summary(), out)
			if asJSON {
				return printJSON(man)
			}
			return nil
		},
	}
	f.register(cmd)
	cmd.Flags().StringVar(&out, "out", "", "output directory (written atomically; must not exist or be empty)")
	cmd.Flags().IntVar(&samples, "samples", 1, "test images whose per-layer integer tensors are written")
	cmd.Flags().IntVar(&pe, "pe", 0, "also tile every GEMM into P×P blocks for a P×P PE array (0: no tiles)")
	cmd.Flags().StringVar(&formats, "formats", "", "comma-separated subset of npy,hex,bin,h (default all)")
	cmd.Flags().BoolVar(&noQDQ, "no-qdq", false, "do not write DIR/qdq.onnx")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the manifest on stdout")
	return cmd
}
