package autodiff_test

import (
	"math/rand/v2"
	"testing"

	"t2c/data"
	_ "t2c/ops"
	"t2c/tensor"
	"t2c/train"
	"t2c/zoo"
)

// benchTrainStep times full training steps (forward, loss, backward, SGD
// update) of a zoo model on one fixed batch of 128 random 1×28×28 images —
// the shapes of configs/resnet20-fashion.yaml and configs/vit-fashion.yaml —
// so the training loop can be profiled without a dataset or a whole epoch:
//
//	go test ./autodiff -run '^$' -bench TrainStep -benchmem -cpuprofile cpu.prof
//
// images/s is 128·steps/s, comparable with `t2c train`'s progress bar.
func benchTrainStep(b *testing.B, name string, cfg zoo.Config, opt train.Optimizer) {
	cfg.Classes, cfg.InChannels, cfg.ImageSize, cfg.Seed = 10, 1, 28, 1
	g, err := zoo.Build(name, cfg)
	if err != nil {
		b.Fatal(err)
	}
	const batch = 128
	rng := rand.New(rand.NewPCG(1, 2))
	x := tensor.Zeros(tensor.Float32, batch, 1, 28, 28)
	for i := range x.Float32() {
		x.Float32()[i] = float32(rng.NormFloat64())
	}
	labels := make([]int, batch)
	for i := range labels {
		labels[i] = rng.IntN(10)
	}
	tr := train.NewTrainer(g, opt, train.Constant{Base: 0.01}, train.CrossEntropy{}, 1)
	step := func() {
		if _, err := tr.Step(data.Batch{X: x, Labels: labels}, 0); err != nil {
			b.Fatal(err)
		}
	}
	step() // compile the program and warm the buffer pools
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		step()
	}
	b.ReportMetric(float64(batch*b.N)/b.Elapsed().Seconds(), "images/s")
}

// BenchmarkTrainStepResNet20 is one step of configs/resnet20-fashion.yaml.
func BenchmarkTrainStepResNet20(b *testing.B) {
	benchTrainStep(b, "resnet20", zoo.Config{}, &train.SGD{Momentum: 0.9, WeightDecay: 5e-4, Nesterov: true})
}

// BenchmarkTrainStepViT is one step of configs/vit-fashion.yaml.
func BenchmarkTrainStepViT(b *testing.B) {
	benchTrainStep(b, "vit", zoo.Config{PatchSize: 4, Dim: 64, Depth: 4, Heads: 4, MLPRatio: 2}, train.NewAdam(0.05, true))
}
