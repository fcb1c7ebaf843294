package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"t2c/internal/progress"
	"t2c/onnx"
)

func exportONNXCmd() *cobra.Command {
	var model, out string
	cmd := &cobra.Command{
		Use:   "export-onnx --model MODEL --out FILE.onnx",
		Short: "Write a model (e.g. a t2c training checkpoint) as an ONNX file",
		Long: `export-onnx writes the float graph of a model as ONNX (opset 17; ops newer than
that, such as Gelu, are written as their standard decomposition) so that ONNX
Runtime, PyTorch's onnx2torch or Netron can open a model trained in t2c.`,
		Example: `  t2c export-onnx --model runs/resnet20-fashion/model.safetensors --out resnet20.onnx`,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if out == "" {
				return fmt.Errorf("--out is required")
			}
			g, err := loadModel(model)
			if err != nil {
				return err
			}
			if err := onnx.Save(g, out); err != nil {
				return err
			}
			progress.Logf("wrote %s (%d parameters)", out, g.ParamCount())
			return nil
		},
	}
	cmd.Flags().StringVar(&model, "model", "", "model: ONNX file or t2c checkpoint (.safetensors)")
	cmd.Flags().StringVar(&out, "out", "", "ONNX file to write")
	return cmd
}
