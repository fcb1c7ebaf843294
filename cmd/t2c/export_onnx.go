package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"t2c/graph"
	"t2c/internal/progress"
	"t2c/onnx"
	"t2c/qdq"
	"t2c/quant"
)

func exportONNXCmd() *cobra.Command {
	var (
		model, out string
		asQDQ      bool
	)
	cmd := &cobra.Command{
		Use:   "export-onnx --model MODEL --out FILE.onnx [--qdq]",
		Short: "Write a model (e.g. a t2c training checkpoint) as an ONNX file",
		Long: `export-onnx writes the float graph of a model as ONNX (opset 17; ops newer than
that, such as Gelu, are written as their standard decomposition) so that ONNX
Runtime, PyTorch's onnx2torch or Netron can open a model trained in t2c.

With --qdq a quantized model (a t2c ptq or qat checkpoint) is written in the
QDQ format of ONNX Runtime's quantization tools: every quantizer becomes
QuantizeLinear/DequantizeLinear with its exact scales and zero points, weights
are stored as int8 integers (AdaRound's learned rounding included), and ONNX
Runtime computes what t2c eval computes for the fake-quantized model. Dynamic
per-token and MXINT block quantizers have no QDQ form and are refused.`,
		Example: `  t2c export-onnx --model runs/resnet20-fashion/model.safetensors --out resnet20.onnx
  t2c export-onnx --model runs/resnet20-fashion-ptq-w8a8/model.safetensors --qdq --out resnet20-w8a8-qdq.onnx`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if out == "" {
				return fmt.Errorf("--out is required")
			}
			g, err := loadModel(model)
			if err != nil {
				return err
			}
			nq := len(quant.Nodes(g))
			if asQDQ {
				if g, err = toQDQ(g, model, nq); err != nil {
					return err
				}
			} else if nq > 0 {
				progress.Logf("note: %s has %d FakeQuant nodes, which only t2c runs; --qdq writes standard QuantizeLinear/DequantizeLinear", model, nq)
			}
			if err := onnx.Save(g, out); err != nil {
				return err
			}
			if asQDQ {
				// ParamCount counts float parameters only; the weights are int8 now.
				progress.Logf("wrote %s (%d integer weights, %d float parameters)", out, intElems(g), g.ParamCount())
				return nil
			}
			progress.Logf("wrote %s (%d parameters)", out, g.ParamCount())
			return nil
		},
	}
	cmd.Flags().StringVar(&model, "model", "", "model: ONNX file or t2c checkpoint (.safetensors)")
	cmd.Flags().StringVar(&out, "out", "", "ONNX file to write")
	cmd.Flags().BoolVar(&asQDQ, "qdq", false, "write a quantized model's quantizers as QuantizeLinear/DequantizeLinear (QDQ format)")
	return cmd
}

// toQDQ converts a quantized model with nq FakeQuant nodes to QDQ form.
func toQDQ(g *graph.Graph, model string, nq int) (*graph.Graph, error) {
	if nq == 0 {
		return nil, fmt.Errorf("--qdq: %s has no quantizers (FakeQuant nodes); give a quantized checkpoint from t2c ptq or qat", model)
	}
	h, err := qdq.Convert(g)
	if err != nil {
		return nil, fmt.Errorf("--qdq: %s: %w", model, err)
	}
	progress.Logf("converted %d quantizers to QuantizeLinear/DequantizeLinear (%d QuantizeLinear, %d DequantizeLinear)", nq, len(h.Find("QuantizeLinear")), len(h.Find("DequantizeLinear")))
	return h, nil
}

// intElems is the number of elements in integer parameters.
func intElems(g *graph.Graph) int {
	n := 0
	for _, p := range g.Params {
		if p.DType().IsInteger() {
			n += p.Len()
		}
	}
	return n
}
