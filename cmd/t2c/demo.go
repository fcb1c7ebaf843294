package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"t2c/data"
	"t2c/eval"
	"t2c/graph"
	"t2c/internal/demo"
	"t2c/internal/progress"
	"t2c/onnx"
	"t2c/report"
)

func demoCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "demo",
		Short: "Run t2c end to end on data that ships inside the binary",
		Long: `demo needs no files: it loads the Fashion-MNIST CNN trained with PyTorch
(shipped in the binary), inspects it, and evaluates it on the embedded
2,000-image Fashion-MNIST test subset. Later stages (quantization, integer
conversion, export) join this demo as they are built.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
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
			ds, preset, err := data.Open("fashion-mnist", "test")
			if err != nil {
				return err
			}
			loader := data.NewLoader(ds, data.LoaderOptions{BatchSize: 100, Transforms: preset.Transforms(false)})
			sess, err := graph.NewSession(g)
			if err != nil {
				return err
			}
			res, err := eval.Run(sess, loader, "float eval")
			if err != nil {
				return err
			}
			fmt.Printf("%-28s %8s %8s %10s\n", "stage", "top-1", "top-5", "images/s")
			fmt.Printf("%-28s %7.2f%% %7.2f%% %10.0f\n", "float32 (ONNX, t2c runtime)", 100*res.Top1, 100*res.Top5, res.ImagesPerSecond)
			return nil
		},
	}
}
