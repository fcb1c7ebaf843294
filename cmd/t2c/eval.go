package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"t2c/data"
	"t2c/eval"
	"t2c/graph"
	"t2c/internal/progress"
)

// dataFlags are the dataset options shared by commands that read images.
type dataFlags struct {
	spec      string
	split     string
	limit     int
	batch     int
	mean, std []float32
}

func (f *dataFlags) register(cmd *cobra.Command) {
	cmd.Flags().StringVar(&f.spec, "data", "fashion-mnist", "dataset: fashion-mnist (embedded subset), fashion-mnist:DIR, mnist:DIR, cifar10:DIR, cifar100:DIR, folder:DIR[@SIZE]")
	cmd.Flags().StringVar(&f.split, "split", "test", "dataset split: train or test")
	cmd.Flags().IntVar(&f.limit, "limit", 0, "use only the first N images (0: all)")
	cmd.Flags().IntVar(&f.batch, "batch", 64, "batch size")
	cmd.Flags().Float32SliceVar(&f.mean, "mean", nil, "normalisation mean per channel (default: the dataset's usual values)")
	cmd.Flags().Float32SliceVar(&f.std, "std", nil, "normalisation std per channel (default: the dataset's usual values)")
}

// loader opens the dataset for evaluation (no augmentation, no shuffle).
func (f *dataFlags) loader() (*data.Loader, data.Preset, error) {
	if f.batch < 1 {
		return nil, data.Preset{}, fmt.Errorf("--batch must be ≥ 1, got %d", f.batch)
	}
	if f.limit < 0 {
		return nil, data.Preset{}, fmt.Errorf("--limit must be ≥ 0, got %d", f.limit)
	}
	ds, preset, err := data.Open(f.spec, f.split)
	if err != nil {
		return nil, preset, err
	}
	if f.mean != nil {
		preset.Mean = f.mean
	}
	if f.std != nil {
		preset.Std = f.std
	}
	norm := preset.Normalize()
	c, h, w := ds.Shape()
	if _, _, _, err := norm.OutShape(c, h, w); err != nil {
		return nil, preset, err
	}
	l := data.NewLoader(ds, data.LoaderOptions{BatchSize: f.batch, Limit: f.limit, Transforms: []data.Transform{norm}})
	return l, preset, nil
}

func evalCmd() *cobra.Command {
	var (
		model  string
		df     dataFlags
		asJSON bool
	)
	cmd := &cobra.Command{
		Use:   "eval",
		Short: "Measure a classifier's top-1/top-5 accuracy and throughput on a dataset",
		Example: `  t2c eval --model testdata/pytorch/fashion/cnn.onnx                      # embedded 2,000-image subset
  t2c eval --model cnn.onnx --data fashion-mnist:/usr/share/datasets/fashion-mnist --json
  t2c eval --model resnet.onnx --data cifar10:./cifar-10-batches-bin --batch 128 --limit 1000`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			g, err := loadModel(model)
			if err != nil {
				return err
			}
			loader, _, err := df.loader()
			if err != nil {
				return err
			}
			sess, err := graph.NewSession(g)
			if err != nil {
				return fmt.Errorf("%s: %w", model, err)
			}
			res, err := eval.Run(sess, loader, "eval")
			if err != nil {
				return fmt.Errorf("evaluating %s on %s: %w", model, df.spec, err)
			}
			progress.Logf("%s on %s (%s): top-1 %.2f%%, top-5 %.2f%% over %d images, %.0f images/s",
				model, df.spec, df.split, 100*res.Top1, 100*res.Top5, res.Images, res.ImagesPerSecond)
			if asJSON {
				return printJSON(map[string]any{
					"model": model, "data": df.spec, "split": df.split,
					"top1": res.Top1, "top5": res.Top5, "images": res.Images,
					"seconds": res.Seconds, "images_per_second": res.ImagesPerSecond,
				})
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&model, "model", "", "model file (.onnx)")
	df.register(cmd)
	cmd.Flags().BoolVar(&asJSON, "json", false, "print results as one JSON object on stdout")
	return cmd
}
