package pipeline

import (
	"fmt"

	"t2c/config"
	"t2c/data"
)

// Data is a dataset section opened for a run.
type Data struct {
	Train, Test *data.Loader
	Preset      data.Preset
}

// OpenData opens the train split (shuffled, augmented unless disabled) and
// the test split. withTrain false opens only the test split.
func OpenData(d config.Dataset, batch int, seed uint64, withTrain bool) (*Data, error) {
	test, preset, err := data.Open(d.Spec, "test")
	if err != nil {
		return nil, fmt.Errorf("dataset.spec: %w", err)
	}
	if d.Mean != nil {
		preset.Mean = d.Mean
	}
	if d.Std != nil {
		preset.Std = d.Std
	}
	c, h, w := test.Shape()
	if _, _, _, err := preset.Normalize().OutShape(c, h, w); err != nil {
		return nil, fmt.Errorf("dataset: %w", err)
	}
	out := &Data{Preset: preset}
	out.Test = data.NewLoader(test, data.LoaderOptions{BatchSize: batch, Limit: d.TestLimit, Workers: d.Workers, Transforms: preset.Transforms(false)})
	if !withTrain {
		return out, nil
	}
	train, _, err := data.Open(d.Spec, "train")
	if err != nil {
		return nil, fmt.Errorf("dataset.spec: %w", err)
	}
	augment := d.Augment == nil || *d.Augment
	out.Train = data.NewLoader(train, data.LoaderOptions{BatchSize: batch, Shuffle: true, Seed: seed, Limit: d.TrainLimit,
		Workers: d.Workers, Transforms: preset.Transforms(augment)})
	return out, nil
}
