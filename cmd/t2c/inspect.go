package main

import (
	"fmt"
	"os"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"t2c/report"
)

func inspectCmd() *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "inspect MODEL",
		Short: "Show a model's ops, parameters, per-layer output shapes and MACs",
		Example: `  t2c inspect testdata/pytorch/resnet.onnx
  t2c inspect --json model.onnx | jq .macs`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			g, err := loadModel(args[0])
			if err != nil {
				return err
			}
			s, err := report.Inspect(g)
			if err != nil {
				return fmt.Errorf("%s: %w", args[0], err)
			}
			if asJSON {
				return printJSON(s)
			}
			printSummary(s)
			return nil
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the summary as JSON on stdout")
	return cmd
}

func printSummary(s *report.Summary) {
	w := tabwriter.NewWriter(os.Stderr, 0, 2, 2, ' ', 0)
	fmt.Fprintf(w, "model %s (opset %d): %d parameters, %.3f GMACs at batch 1\n", s.Name, s.Opset, s.Params, float64(s.MACs)/1e9)
	for _, in := range s.Inputs {
		fmt.Fprintf(w, "input  %s %s %v\n", in.Name, in.DType, in.Shape)
	}
	for _, o := range s.Outputs {
		fmt.Fprintf(w, "output %s %s %v\n", o.Name, o.DType, o.Shape)
	}
	fmt.Fprintf(w, "ops: %s (%d shape nodes folded)\n\n", report.OpList(s.OpCounts), s.FoldedNodes)
	fmt.Fprintln(w, "layer\top\toutput\tparams\tMACs")
	for _, l := range s.Layers {
		fmt.Fprintf(w, "%s\t%s\t%v\t%d\t%d\n", l.Name, l.Op, l.OutputShape, l.Params, l.MACs)
	}
	w.Flush()
}
