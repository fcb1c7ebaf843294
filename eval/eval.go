// Package eval measures a classifier on a dataset: top-1/top-5 accuracy,
// the predictions themselves (to compare models image by image) and
// throughput. Training, PTQ and conversion reuse it so every command reports
// accuracy the same way.
package eval

import (
	"fmt"
	"time"

	"t2c/data"
	"t2c/graph"
	"t2c/internal/progress"
	"t2c/tensor"
)

// Result is the outcome of one evaluation. Accuracies are fractions in [0,1].
type Result struct {
	Top1            float64 `json:"top1"`
	Top5            float64 `json:"top5"`
	Images          int     `json:"images"`
	Seconds         float64 `json:"seconds"`
	ImagesPerSecond float64 `json:"images_per_second"`
	// Predictions holds the argmax class of every image, in dataset order.
	Predictions []int `json:"-"`
}

// Model is anything that maps a batch of images to logits (N×classes).
type Model interface {
	Run1(x *tensor.Tensor) (*tensor.Tensor, error)
}

var _ Model = (*graph.Session)(nil)

// Run evaluates m on every batch of loader (epoch 0, in order).
func Run(m Model, loader *data.Loader, label string) (Result, error) {
	var r Result
	var hit1, hit5 int
	bar := progress.New(loader.NumBatches(), label)
	defer bar.Done()
	start := time.Now()
	for b, err := range loader.Epoch(0) {
		if err != nil {
			return r, err
		}
		logits, err := m.Run1(b.X)
		if err != nil {
			return r, err
		}
		if logits.Rank() != 2 || logits.Dim(0) != len(b.Labels) {
			return r, fmt.Errorf("model output %v is not batch×classes for a batch of %d", logits.Shape(), len(b.Labels))
		}
		for i, label := range b.Labels {
			rank := rankOf(logits.Float32()[i*logits.Dim(1):(i+1)*logits.Dim(1)], label)
			if rank == 0 {
				hit1++
			}
			if rank < 5 {
				hit5++
			}
			r.Predictions = append(r.Predictions, Argmax(logits.Float32()[i*logits.Dim(1):(i+1)*logits.Dim(1)]))
		}
		r.Images += len(b.Labels)
		bar.Add(1, fmt.Sprintf("%s top1 %.2f%%", label, 100*float64(hit1)/float64(r.Images)))
	}
	if r.Images == 0 {
		return r, fmt.Errorf("dataset is empty")
	}
	r.Seconds = time.Since(start).Seconds()
	r.Top1 = float64(hit1) / float64(r.Images)
	r.Top5 = float64(hit5) / float64(r.Images)
	r.ImagesPerSecond = float64(r.Images) / r.Seconds
	return r, nil
}

// Argmax returns the index of the largest value (the first on ties, as
// PyTorch and NumPy do).
func Argmax(v []float32) int {
	best := 0
	for i, x := range v {
		if x > v[best] {
			best = i
		}
	}
	return best
}

// rankOf counts classes scored strictly higher than label, with ties
// broken by index like a stable descending sort: 0 means top-1.
func rankOf(scores []float32, label int) int {
	rank := 0
	for i, s := range scores {
		if s > scores[label] || (s == scores[label] && i < label) {
			rank++
		}
	}
	return rank
}

// Agreement is the fraction of positions where two prediction lists agree.
func Agreement(a, b []int) float64 {
	if len(a) != len(b) || len(a) == 0 {
		return 0
	}
	same := 0
	for i := range a {
		if a[i] == b[i] {
			same++
		}
	}
	return float64(same) / float64(len(a))
}
