package checkpoint

import (
	"fmt"
	"slices"
	"strings"

	"t2c/graph"
	"t2c/tensor"
)

// LoadInto copies tensors into g.Params by name, like PyTorch's
// load_state_dict: each tensor must have its parameter's dtype and shape
// (a mismatch is always an error). With strict, parameters without a tensor
// ("missing keys") and tensors without a parameter ("unexpected keys") are
// errors too; otherwise they are skipped. BatchNorm's
// "*.num_batches_tracked" counters, which PyTorch state_dicts hold but t2c
// graphs do not, are ignored in either mode. Nothing is copied unless the
// whole load succeeds; values are copied into the existing parameter
// tensors, so programs compiled from g see the new values.
func LoadInto(g *graph.Graph, tensors map[string]*tensor.Tensor, strict bool) error {
	var missing, unexpected, mismatch []string
	for _, name := range sortedKeys(g.Params) {
		p := g.Params[name]
		src, ok := tensors[name]
		switch {
		case !ok:
			missing = append(missing, name)
		case src.DType() != p.DType() || !tensor.SameShape(src.Shape(), p.Shape()):
			mismatch = append(mismatch, fmt.Sprintf("%s: checkpoint has %v%v, graph has %v%v", name, src.DType(), src.Shape(), p.DType(), p.Shape()))
		}
	}
	for _, name := range sortedKeys(tensors) {
		if _, ok := g.Params[name]; !ok && !IsBatchCounter(name) {
			unexpected = append(unexpected, name)
		}
	}
	var problems []string
	if len(mismatch) > 0 {
		problems = append(problems, "size or dtype mismatch for "+list(mismatch))
	}
	if strict && len(missing) > 0 {
		problems = append(problems, "missing keys: "+list(missing))
	}
	if strict && len(unexpected) > 0 {
		problems = append(problems, "unexpected keys: "+list(unexpected))
	}
	if len(problems) > 0 {
		return fmt.Errorf("checkpoint: loading into graph %q: %s", g.Name, strings.Join(problems, "; "))
	}
	for name, p := range g.Params {
		if src, ok := tensors[name]; ok {
			if err := p.CopyFrom(src); err != nil { // checked above
				return fmt.Errorf("checkpoint: loading %q: %w", name, err)
			}
		}
	}
	return nil
}

// IsBatchCounter reports whether name is a BatchNorm "num_batches_tracked"
// counter, the state_dict entry t2c graphs leave out.
func IsBatchCounter(name string) bool {
	return name == "num_batches_tracked" || strings.HasSuffix(name, ".num_batches_tracked")
}

func sortedKeys(m map[string]*tensor.Tensor) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// list joins names for an error message, eliding after the first ten.
func list(names []string) string {
	const show = 10
	if len(names) <= show {
		return strings.Join(names, ", ")
	}
	return fmt.Sprintf("%s, … and %d more", strings.Join(names[:show], ", "), len(names)-show)
}
