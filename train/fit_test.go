package train_test

import (
	"math/rand/v2"
	"slices"
	"testing"

	"t2c/data"
	"t2c/graph"
	_ "t2c/ops"
	"t2c/tensor"
	"t2c/train"
	"t2c/zoo"
)

// blobs is a tiny learnable dataset: the class decides which quadrant of a
// 1×8×8 image is bright.
type blobs struct{ n int }

func (b blobs) Len() int             { return b.n }
func (b blobs) Shape() (c, h, w int) { return 1, 8, 8 }
func (b blobs) Classes() int         { return 4 }
func (b blobs) Image(i int, dst []float32) int {
	r := rand.New(rand.NewPCG(uint64(i), 1))
	label := i % 4
	for y := 0; y < 8; y++ {
		for x := 0; x < 8; x++ {
			v := 0.2 * float32(r.Float64())
			if (y/4)*2+x/4 == label {
				v += 0.8
			}
			dst[y*8+x] = v
		}
	}
	return label
}

func model(t *testing.T) *graph.Graph {
	g, err := zoo.Build("resnet8", zoo.Config{Classes: 4, InChannels: 1, ImageSize: 8, Seed: 3})
	if err != nil {
		t.Fatal(err)
	}
	return g
}

func loaders() (*data.Loader, *data.Loader) {
	tr := data.NewLoader(blobs{n: 96}, data.LoaderOptions{BatchSize: 32, Shuffle: true, Seed: 5, Transforms: []data.Transform{data.RandomCrop{Size: 8, Padding: 1}}})
	te := data.NewLoader(blobs{n: 40}, data.LoaderOptions{BatchSize: 16})
	return tr, te
}

func fit(t *testing.T, g *graph.Graph, opt train.Optimizer, start, epochs int) []train.EpochStats {
	tr, te := loaders()
	trainer := train.NewTrainer(g, opt, train.Cosine{Base: 0.05, Total: 6}, train.CrossEntropy{Smoothing: 0.1}, 11)
	h, err := train.Fit(trainer, tr, te, train.FitOptions{Epochs: epochs, StartEpoch: start})
	if err != nil {
		t.Fatal(err)
	}
	return h
}

func snapshot(g *graph.Graph) map[string][]float32 {
	m := map[string][]float32{}
	for k, v := range g.Params {
		if v.DType() == tensor.Float32 {
			m[k] = slices.Clone(v.Float32())
		}
	}
	return m
}

// TestTrainingIsDeterministicAndResumable trains the same model twice with
// the same seeds (identical weights; the last batch of each epoch is
// smaller, so mixed batch sizes are covered), and once split into 3 epochs +
// resume for 3 more with the optimizer state carried over (identical to 6
// straight epochs).
func TestTrainingIsDeterministicAndResumable(t *testing.T) {
	a, b := model(t), model(t)
	ha := fit(t, a, &train.SGD{Momentum: 0.9, WeightDecay: 5e-4}, 0, 6)
	fit(t, b, &train.SGD{Momentum: 0.9, WeightDecay: 5e-4}, 0, 6)
	wa, wb := snapshot(a), snapshot(b)
	for k := range wa {
		if !slices.Equal(wa[k], wb[k]) {
			t.Fatalf("same seed, different %s", k)
		}
	}
	if ha[len(ha)-1].TestTop1 < 0.9 {
		t.Fatalf("did not learn the blobs: %+v", ha[len(ha)-1])
	}

	c := model(t)
	opt := &train.SGD{Momentum: 0.9, WeightDecay: 5e-4}
	fit(t, c, opt, 0, 3)
	state := opt.State()
	resumed := &train.SGD{Momentum: 0.9, WeightDecay: 5e-4}
	if err := resumed.LoadState(state); err != nil {
		t.Fatal(err)
	}
	fit(t, c, resumed, 3, 6)
	wc := snapshot(c)
	for k := range wa {
		if !slices.Equal(wa[k], wc[k]) {
			t.Fatalf("resumed run differs in %s", k)
		}
	}
}
