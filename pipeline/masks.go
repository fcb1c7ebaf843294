package pipeline

import (
	"fmt"

	"t2c/graph"
	"t2c/prune"
)

// rebuildMasks recreates the pruning masks a checkpoint's metadata lists
// (prune.MetaKey) on a freshly built graph, so that the checkpoint — whose
// tensors include the masks — loads strictly.
func rebuildMasks(g *graph.Graph, meta map[string]string, path string) error {
	if _, err := prune.Rebuild(g, meta[prune.MetaKey]); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	return nil
}

// maskMeta adds g's pruning metadata to md unless the caller set it.
func maskMeta(g *graph.Graph, md map[string]string) {
	if _, set := md[prune.MetaKey]; set {
		return
	}
	if m := prune.Metadata(g); m != "" {
		md[prune.MetaKey] = m
	}
}
