package prune

import (
	"encoding/json"
	"fmt"

	"t2c/graph"
)

// MetaKey is the checkpoint metadata key under which a pruned model lists
// its masked layers (JSON, Meta): what Rebuild needs to recreate the mask
// nodes before the checkpoint's tensors (masks included) load.
const MetaKey = "t2c.pruning"

// Meta is the pruning metadata of a checkpoint. Layers is what Rebuild
// needs; the rest describes how the masks were made, when known.
type Meta struct {
	Layers   []string `json:"layers"`             // masked layers (module paths), graph order
	Type     string   `json:"type,omitempty"`     // element or nm
	N        int      `json:"n,omitempty"`        // N:M
	M        int      `json:"m,omitempty"`        // N:M
	Sparsity float64  `json:"sparsity,omitempty"` // fraction of masked weights over the layers
}

// Metadata returns g's pruning metadata as JSON, or "" if no layer of g
// carries a mask.
func Metadata(g *graph.Graph) string {
	return MetadataOf(g, Meta{})
}

// MetadataOf is Metadata with the description in m (Type, N, M) kept;
// Layers and Sparsity are read from g.
func MetadataOf(g *graph.Graph, m Meta) string {
	layers := Masked(g)
	if len(layers) == 0 {
		return ""
	}
	m.Layers = nil
	zeros, total := 0, 0
	for _, l := range layers {
		m.Layers = append(m.Layers, l.Name)
		for _, v := range g.Params[l.Mask].Float32() {
			if v == 0 {
				zeros++
			}
		}
		total += l.Size()
	}
	m.Sparsity = float64(zeros) / float64(total)
	raw, err := json.Marshal(m)
	if err != nil {
		return ""
	}
	return string(raw)
}

// ParseMeta decodes MetaKey metadata.
func ParseMeta(meta string) (*Meta, error) {
	var m Meta
	if err := json.Unmarshal([]byte(meta), &m); err != nil {
		return nil, fmt.Errorf("prune: %s metadata: %w", MetaKey, err)
	}
	return &m, nil
}

// Rebuild attaches masks (of ones) to the layers that MetaKey metadata
// lists, so that a pruned checkpoint loads strictly into a freshly built
// graph; an empty meta does nothing. Call Enforce (or load the checkpoint,
// whose weights are already zero where masked) afterwards.
func Rebuild(g *graph.Graph, meta string) (*Meta, error) {
	if meta == "" {
		return nil, nil
	}
	m, err := ParseMeta(meta)
	if err != nil {
		return nil, err
	}
	if _, err := Attach(g, m.Layers); err != nil {
		return nil, err
	}
	return m, nil
}
