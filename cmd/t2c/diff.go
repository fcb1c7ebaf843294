package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"t2c/fuse"
	"t2c/internal/progress"
	"t2c/pipeline"
	"t2c/tensor"
	"t2c/verify"
)

// diffSummary is the --json output of diff.
type diffSummary struct {
	Model   string       `json:"model"`
	Samples int          `json:"samples"`
	Jump    string       `json:"first_jump,omitempty"`
	Values  []verify.Row `json:"values"`
	Ranges  []fuse.Layer `json:"range_analysis"`
}

func diffCmd() *cobra.Command {
	var (
		f       convertFlags
		samples int
		asJSON  bool
	)
	cmd := &cobra.Command{
		Use:   "diff (--config FILE | --model CHECKPOINT)",
		Short: "Find the layer that hurts: float vs fake-quant vs integer, value by value",
		Long: `diff runs the float model, the fake-quant model and the integer golden
runtime side by side on the first --samples test images and prints, for
every value the integer graph holds, in graph order, the SQNR and max
|error| of the fake-quant and of the (dequantized) integer value against
float, flagging the first value where the integer SQNR drops by more than
6 dB. It also prints the static range analysis: per layer the worst-case
accumulator magnitude for its bits and reduction length and whether int32
can overflow.`,
		Example: `  t2c diff --model runs/resnet20-fashion-ptq-w4a4/model.safetensors --samples 16
  t2c diff --config configs/vit-fashion-ptq-w8a8.yaml --json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			qm, m, x, err := f.loadSamples(samples)
			if err != nil {
				return err
			}
			rows, err := verify.Compare(qm.Float, qm.FakeQuant, m, x)
			if err != nil {
				return err
			}
			res, err := m.Convert(x.Shape())
			if err != nil {
				return err
			}
			s := &diffSummary{Model: qm.Name, Samples: x.Dim(0), Values: rows, Ranges: res.Layers}
			for _, r := range rows {
				if r.Jump {
					s.Jump = r.Value
				}
			}
			if asJSON {
				return printJSON(s)
			}
			fmt.Fprint(stdout, diffTable(rows))
			fmt.Fprintln(stdout)
			fmt.Fprint(stdout, rangeTable(res.Layers))
			if s.Jump != "" {
				progress.Logf("integer error first jumps at %s", s.Jump)
			}
			return nil
		},
	}
	f.register(cmd)
	cmd.Flags().IntVar(&samples, "samples", 8, "test images to compare on")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print a JSON summary on stdout")
	return cmd
}

// firstImages returns the first n test images as one batch.
func firstImages(d *pipeline.Data, n int) (*tensor.Tensor, error) {
	var parts []*tensor.Tensor
	got := 0
	for b, err := range d.Test.Epoch(0) {
		if err != nil {
			return nil, err
		}
		take := min(n-got, b.X.Dim(0))
		x, err := tensor.Slice(b.X, []int{0}, []int{0}, []int{take}, []int{1})
		if err != nil {
			return nil, err
		}
		parts = append(parts, x)
		if got += take; got == n {
			break
		}
	}
	if got == 0 {
		return nil, fmt.Errorf("the test split is empty")
	}
	if len(parts) == 1 {
		return parts[0], nil
	}
	return tensor.Concat(parts, 0)
}
