package ptq

import (
	"encoding/json"
	"fmt"
	"maps"
	"path/filepath"
	"slices"
	"strings"

	"t2c/checkpoint"
	"t2c/config"
	"t2c/graph"
	"t2c/pipeline"
	"t2c/prune"
	"t2c/quant"
	"t2c/tensor"
)

// MetaKey is the checkpoint metadata key under which a quantized model
// records its quantization section (JSON): what Rebuild needs to recreate
// the quantized graph before the checkpoint's tensors load into it.
const MetaKey = "t2c.quantization"

// metaModel is pipeline's metadata key naming the architecture.
const metaModel = "t2c.model"

// SaveModel writes the quantized graph g as a t2c checkpoint: weights and
// quantizer state (pipeline.SaveModel), the model section m, and q under
// MetaKey, plus any extra metadata.
func SaveModel(path string, g *graph.Graph, m config.Model, q *config.Quantization, meta map[string]string) error {
	raw, err := json.Marshal(q)
	if err != nil {
		return err
	}
	md := maps.Clone(meta)
	if md == nil {
		md = map[string]string{}
	}
	md[MetaKey] = string(raw)
	return pipeline.SaveModel(path, g, m, nil, md)
}

// Rebuild turns a freshly built float graph into the quantized graph that
// a checkpoint with MetaKey value meta was saved from: the same
// SmoothQuant layout (factors are placeholders until the checkpoint loads)
// and the same quantizers, so the checkpoint loads strictly. It is the hook
// pipeline.LoadModel needs for quantized checkpoints.
func Rebuild(g *graph.Graph, meta string) (*config.Quantization, error) {
	var q config.Quantization
	if err := json.Unmarshal([]byte(meta), &q); err != nil {
		return nil, fmt.Errorf("ptq: %s metadata: %w", MetaKey, err)
	}
	if err := (&config.Config{Quantization: &q}).ValidateQuantization(); err != nil {
		return nil, err
	}
	o, err := NewOptions(&q)
	if err != nil {
		return nil, err
	}
	if o.Smooth {
		x, err := zeroInput(g)
		if err != nil {
			return nil, err
		}
		st, err := quant.CollectActStats(g, map[string]*tensor.Tensor{g.Inputs[0].Name: x})
		if err != nil {
			return nil, err
		}
		if _, err := quant.SmoothQuant(g, st, quant.SmoothOptions{Alpha: o.SmoothAlpha}); err != nil {
			return nil, err
		}
	}
	if _, err := quant.Insert(g, o.Quant); err != nil {
		return nil, err
	}
	return &q, nil
}

// zeroInput is a batch of one zero image for the graph's single input.
func zeroInput(g *graph.Graph) (*tensor.Tensor, error) {
	if len(g.Inputs) != 1 || g.Inputs[0].Shape == nil {
		return nil, fmt.Errorf("ptq: need one graph input of known shape")
	}
	s := slices.Clone(g.Inputs[0].Shape)
	for i, d := range s {
		if d < 0 {
			s[i] = 1
		}
	}
	return tensor.Zeros(tensor.Float32, s...), nil
}

// BuildModel is pipeline.BuildModel that also accepts a quantized t2c
// checkpoint (from ptq or qat) as m.Checkpoint: the graph is then rebuilt
// with its quantizers and their state. q is the checkpoint's quantization
// section, or nil for a float model.
func BuildModel(m config.Model, seed uint64) (g *graph.Graph, q *config.Quantization, err error) {
	if m.Checkpoint == "" || !strings.EqualFold(filepath.Ext(m.Checkpoint), ".safetensors") {
		g, err = pipeline.BuildModel(m, seed)
		return g, nil, err
	}
	tensors, meta, err := checkpoint.Load(m.Checkpoint)
	if err != nil {
		return nil, nil, err
	}
	if meta[MetaKey] == "" {
		g, err = pipeline.BuildModel(m, seed)
		return g, nil, err
	}
	ckpt := m.Checkpoint
	m.Checkpoint = ""
	if g, err = pipeline.BuildModel(m, seed); err != nil {
		return nil, nil, err
	}
	if _, err := prune.Rebuild(g, meta[prune.MetaKey]); err != nil { // masks sit under the quantizers
		return nil, nil, fmt.Errorf("%s: %w", ckpt, err)
	}
	if q, err = Rebuild(g, meta[MetaKey]); err != nil {
		return nil, nil, fmt.Errorf("%s: %w", ckpt, err)
	}
	if err := checkpoint.LoadInto(g, tensors, true); err != nil {
		return nil, nil, fmt.Errorf("%s: %w", ckpt, err)
	}
	return g, q, nil
}

// LoadModel opens a model file like pipeline.LoadModel (ONNX, or a t2c
// checkpoint naming its architecture), rebuilding quantized checkpoints
// with their quantizers. q is nil for float models.
func LoadModel(path string) (*graph.Graph, *config.Quantization, error) {
	if !strings.EqualFold(filepath.Ext(path), ".safetensors") {
		g, err := pipeline.LoadModel(path)
		return g, nil, err
	}
	_, meta, err := checkpoint.Load(path)
	if err != nil {
		return nil, nil, err
	}
	if meta[MetaKey] == "" {
		g, err := pipeline.LoadModel(path)
		return g, nil, err
	}
	var m config.Model
	if err := json.Unmarshal([]byte(meta[metaModel]), &m); err != nil || (m.Zoo == "" && m.Path == "") {
		return nil, nil, fmt.Errorf("model %s: no %q metadata naming the architecture", path, metaModel)
	}
	m.Checkpoint = path
	return BuildModel(m, 0)
}
