package ptq

import (
	"fmt"

	"t2c/config"
	"t2c/data"
	"t2c/tensor"
)

// Calibration is a calibration set: the first images of a dataset split,
// preprocessed for evaluation (normalised, not augmented).
type Calibration struct {
	Batches []*tensor.Tensor
	Images  int
	Split   string // "train", or "test" when the dataset has no train split
	Note    string // why the test split was used, if it was
}

// LoadCalibration reads the first n images of the dataset's train split
// in batches of batch. The embedded "fashion-mnist" spec holds only test
// images: then the first n test images are used and Note says so.
func LoadCalibration(d config.Dataset, n, batch int) (*Calibration, error) {
	if n < 1 || batch < 1 {
		return nil, fmt.Errorf("ptq: calibration needs n ≥ 1 and batch ≥ 1, got %d and %d", n, batch)
	}
	c := &Calibration{Split: "train"}
	ds, preset, err := data.Open(d.Spec, "train")
	if err != nil && d.Spec == "fashion-mnist" {
		c.Split = "test"
		c.Note = "the embedded fashion-mnist spec has no train split: calibrating on the first test images, which are also evaluated"
		ds, preset, err = data.Open(d.Spec, "test")
	}
	if err != nil {
		return nil, fmt.Errorf("dataset.spec: %w", err)
	}
	if d.Mean != nil {
		preset.Mean = d.Mean
	}
	if d.Std != nil {
		preset.Std = d.Std
	}
	ch, h, w := ds.Shape()
	if _, _, _, err := preset.Normalize().OutShape(ch, h, w); err != nil {
		return nil, fmt.Errorf("dataset: %w", err)
	}
	l := data.NewLoader(ds, data.LoaderOptions{BatchSize: batch, Limit: n, Workers: d.Workers, Transforms: preset.Transforms(false)})
	for b, err := range l.Epoch(0) {
		if err != nil {
			return nil, err
		}
		c.Batches = append(c.Batches, b.X)
		c.Images += b.X.Dim(0)
	}
	if c.Images == 0 {
		return nil, fmt.Errorf("dataset %s: the %s split is empty", d.Spec, c.Split)
	}
	return c, nil
}
