package pipeline_test

import (
	"path/filepath"
	"slices"
	"testing"

	"t2c/checkpoint"
	"t2c/config"
	"t2c/graph"
	_ "t2c/ops"
	"t2c/pipeline"
	"t2c/prune"
	"t2c/tensor"
)

// TestPrunedCheckpointRebuildsMasks saves a 2:4-pruned zoo ResNet and
// loads it back both ways (LoadModel, and a config's model.checkpoint):
// the mask nodes are rebuilt, the masks and zeroed weights load, and the
// model computes the same outputs.
func TestPrunedCheckpointRebuildsMasks(t *testing.T) {
	m := config.Model{Zoo: "resnet8", Classes: 4, InChannels: 1, ImageSize: 12}
	g, err := pipeline.BuildModel(m, 1)
	if err != nil {
		t.Fatal(err)
	}
	p, err := prune.New(g, prune.Options{Type: prune.TypeNM, N: 2, M: 4, Exclude: []string{"fc"}})
	if err != nil {
		t.Fatal(err)
	}
	if err := p.Begin(); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "pruned.safetensors")
	if err := pipeline.SaveModel(path, g, m, nil, nil); err != nil {
		t.Fatal(err)
	}
	_, meta, err := checkpoint.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	pm, err := prune.ParseMeta(meta[prune.MetaKey])
	if err != nil || len(pm.Layers) != len(p.Layers()) {
		t.Fatalf("metadata %q: %v", meta[prune.MetaKey], err)
	}
	back, err := pipeline.LoadModel(path)
	if err != nil {
		t.Fatal(err)
	}
	m.Checkpoint = path
	again, err := pipeline.BuildModel(m, 7)
	if err != nil {
		t.Fatal(err)
	}
	x := tensor.Zeros(tensor.Float32, 2, 1, 12, 12)
	for i := range x.Float32() {
		x.Float32()[i] = float32(i%13) / 13
	}
	want := run(t, g, x)
	for _, h := range []*graph.Graph{back, again} {
		if got := prune.Masked(h); len(got) != len(p.Layers()) {
			t.Fatalf("reloaded model has %d masked layers, want %d", len(got), len(p.Layers()))
		}
		if got := run(t, h, x); !slices.Equal(got, want) {
			t.Fatalf("reloaded model computes %v, want %v", got, want)
		}
		if s := prune.Stats(h); s.Sparsity != 0.5 {
			t.Fatalf("reloaded sparsity %v", s.Sparsity)
		}
	}
}

func run(t *testing.T, g *graph.Graph, x *tensor.Tensor) []float32 {
	t.Helper()
	s, err := graph.NewSession(g)
	if err != nil {
		t.Fatal(err)
	}
	y, err := s.Run1(x)
	if err != nil {
		t.Fatal(err)
	}
	return y.Float32()
}
