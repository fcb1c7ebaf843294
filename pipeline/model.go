// Package pipeline wires configs to the library: it builds the model a
// config names (zoo architecture or ONNX file, plus weights), opens its
// datasets, and saves and reloads t2c checkpoints. The CLI commands (train,
// and later ptq, qat, prune, convert) share it so that they accept models
// and data the same way.
package pipeline

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"t2c/checkpoint"
	"t2c/config"
	"t2c/graph"
	"t2c/onnx"
	"t2c/tensor"
	"t2c/zoo"
)

// metaModel is the checkpoint metadata key holding the model section (JSON)
// that rebuilds the architecture a checkpoint's weights belong to.
const metaModel = "t2c.model"

// BuildModel returns the graph for a model section: a zoo architecture
// (randomly initialised from seed) or an ONNX file, then the checkpoint's
// weights if one is named.
func BuildModel(m config.Model, seed uint64) (*graph.Graph, error) {
	var g *graph.Graph
	var err error
	switch {
	case m.Zoo != "":
		g, err = zoo.Build(m.Zoo, zooConfig(m, seed))
	case m.Path != "":
		g, err = onnx.Load(m.Path)
	default:
		err = fmt.Errorf("model: set zoo or path")
	}
	if err != nil {
		return nil, err
	}
	if m.Checkpoint != "" {
		tensors, meta, err := checkpoint.Load(m.Checkpoint)
		if err != nil {
			return nil, err
		}
		if err := rebuildMasks(g, meta, m.Checkpoint); err != nil {
			return nil, err
		}
		if err := checkpoint.LoadInto(g, tensors, true); err != nil {
			return nil, fmt.Errorf("%s: %w", m.Checkpoint, err)
		}
	}
	return g, nil
}

func zooConfig(m config.Model, seed uint64) zoo.Config {
	return zoo.Config{Classes: m.Classes, InChannels: m.InChannels, ImageSize: m.ImageSize, Stem: m.Stem, Width: m.Width,
		PatchSize: m.PatchSize, Dim: m.Dim, Depth: m.Depth, Heads: m.Heads, MLPRatio: m.MLPRatio, Seed: seed}
}

// LoadModel opens a model file: ONNX, or a t2c checkpoint (.safetensors)
// whose metadata names its architecture.
func LoadModel(path string) (*graph.Graph, error) {
	if path == "" {
		return nil, fmt.Errorf("no model given")
	}
	if _, err := os.Stat(path); err != nil {
		return nil, fmt.Errorf("model %s: %w", path, unwrapPath(err))
	}
	switch strings.ToLower(filepath.Ext(path)) {
	case ".onnx":
		return onnx.Load(path)
	case ".safetensors":
		_, meta, err := checkpoint.Load(path)
		if err != nil {
			return nil, err
		}
		var m config.Model
		if err := json.Unmarshal([]byte(meta[metaModel]), &m); err != nil || (m.Zoo == "" && m.Path == "") {
			return nil, fmt.Errorf("model %s: not a t2c checkpoint (no %q metadata naming the architecture); load raw weights through a config's model.checkpoint", path, metaModel)
		}
		m.Checkpoint = path
		return BuildModel(m, 0)
	}
	return nil, fmt.Errorf("model %s: unknown format (want .onnx or a t2c .safetensors checkpoint)", path)
}

// SaveModel writes g's parameters, plus extra tensors (optimizer state) and
// metadata, as a checkpoint that LoadModel can rebuild from m.
func SaveModel(path string, g *graph.Graph, m config.Model, extra map[string]*tensor.Tensor, meta map[string]string) error {
	m.Checkpoint = ""
	spec, err := json.Marshal(m)
	if err != nil {
		return err
	}
	all := map[string]*tensor.Tensor{}
	for k, v := range g.Params {
		all[k] = v
	}
	for k, v := range extra {
		if _, dup := all[k]; dup {
			return fmt.Errorf("checkpoint %s: extra tensor %q collides with a parameter", path, k)
		}
		all[k] = v
	}
	md := map[string]string{metaModel: string(spec)}
	for k, v := range meta {
		md[k] = v
	}
	maskMeta(g, md)
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	return checkpoint.Save(path, all, md)
}

func unwrapPath(err error) error {
	if pe, ok := err.(*os.PathError); ok {
		return pe.Err
	}
	return err
}
