package ptq

import (
	"slices"
	"strings"
	"testing"

	"t2c/onnx"
	"t2c/quant"
	"t2c/zoo"
)

func TestBlocksCNNAreLayersWithTheirBatchNorm(t *testing.T) {
	g, err := zoo.Build("resnet8", zoo.Config{InChannels: 1, ImageSize: 28, Classes: 10, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := quant.Insert(g, quant.Options{}); err != nil {
		t.Fatal(err)
	}
	blocks, err := Blocks(g)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, b := range blocks {
		names = append(names, b.Name)
		if b.Kind != KindLayer || len(b.Layers) != 1 || len(b.Inputs) != 1 {
			t.Errorf("block %+v", b)
		}
	}
	want := []string{"conv1", "layer1.0.conv1", "layer1.0.conv2", "layer2.0.conv1", "layer2.0.conv2", "layer2.0.downsample.0",
		"layer3.0.conv1", "layer3.0.conv2", "layer3.0.downsample.0", "fc"}
	if !slices.Equal(names, want) {
		t.Fatalf("blocks %v, want %v", names, want)
	}
	b := blocks[1]
	if b.Inputs[0] != "relu" || b.Output != "layer1.0.bn1" || len(b.Nodes) != 4 {
		t.Fatalf("layer1.0.conv1 block: inputs %v output %q, %d nodes", b.Inputs, b.Output, len(b.Nodes))
	}
	if last := blocks[len(blocks)-1]; last.Output != "output" || last.Inputs[0] != "flatten" {
		t.Fatalf("fc block: %v → %q", last.Inputs, last.Output)
	}
}

func TestBlocksTransformerAreAttentionAndMLP(t *testing.T) {
	g, err := zoo.Build("vit", zoo.Config{InChannels: 1, ImageSize: 28, Classes: 10, PatchSize: 7, Dim: 32, Depth: 2, Heads: 2, MLPRatio: 2, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := quant.Insert(g, quant.Options{}); err != nil {
		t.Fatal(err)
	}
	blocks, err := Blocks(g)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, b := range blocks {
		got = append(got, b.Name+"/"+b.Kind)
	}
	want := []string{"patch_embed.proj/layer", "blocks.0.attn/attention", "blocks.0.mlp/mlp", "blocks.1.attn/attention", "blocks.1.mlp/mlp", "head/layer"}
	if !slices.Equal(got, want) {
		t.Fatalf("blocks %v, want %v", got, want)
	}
	attn := blocks[1]
	if !slices.Equal(attn.Layers, []string{"blocks.0.attn.qkv", "blocks.0.attn.scores", "blocks.0.attn.context", "blocks.0.attn.proj"}) ||
		!slices.Equal(attn.Inputs, []string{"tokens"}) || attn.Output != "blocks.0.attn.proj" || attn.Nodes[0].Name != "blocks.0.norm1" {
		t.Fatalf("attention block: layers %v inputs %v output %q first node %q", attn.Layers, attn.Inputs, attn.Output, attn.Nodes[0].Name)
	}
	if mlp := blocks[2]; !slices.Equal(mlp.Inputs, []string{"blocks.0.add"}) || mlp.Output != "blocks.0.mlp.fc2" || len(mlp.Quantizers) != 4 {
		t.Fatalf("mlp block: inputs %v output %q, %d quantizers", mlp.Inputs, mlp.Output, len(mlp.Quantizers))
	}

	// A PyTorch export names nodes "/blocks/blocks.0/attn/..." and keeps
	// shape computations and shared constants inside or around blocks.
	g, err = onnx.Load("../testdata/pytorch/vit.onnx")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := quant.Insert(g, quant.Options{}); err != nil {
		t.Fatal(err)
	}
	if blocks, err = Blocks(g); err != nil {
		t.Fatal(err)
	}
	kinds := map[string]int{}
	for _, b := range blocks {
		kinds[b.Kind]++
		if b.Kind == KindAttention && (len(b.Inputs) != 1 || !strings.Contains(b.Output, "attn/proj")) {
			t.Errorf("%s: inputs %v output %q", b.Name, b.Inputs, b.Output)
		}
	}
	if kinds[KindAttention] == 0 || kinds[KindAttention] != kinds[KindMLP] {
		t.Fatalf("block kinds %v", kinds)
	}
}
