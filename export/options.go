package export

import (
	"fmt"
	"slices"
)

// Options configure Write.
type Options struct {
	// Name is the model name in the manifest and the C header guard;
	// default the graph's name, else "model".
	Name string
	// Samples is how many of the given samples get per-layer tensors
	// under tensors/; 0 means 1 (none when no samples are given).
	Samples int
	// PE is the size P of a P×P processing-element array: every IntConv
	// and IntMatMul is also written as P×P tiles of its GEMM under
	// tiles/. 0 writes no tiles.
	PE int
	// Formats selects the files among npy, hex, bin (parameters and
	// tensors; tensors use npy and hex only) and h (params.h); nil means
	// all. The manifest is always written, tiles always as hex.
	Formats []string
}

// resolve checks the options and fills defaults for a graph named name
// and n given samples.
func (o Options) resolve(name string, n int) (Options, error) {
	if o.Name == "" {
		o.Name = name
	}
	if o.Name == "" {
		o.Name = "model"
	}
	switch {
	case o.Samples < 0:
		return o, fmt.Errorf("Options.Samples = %d: want ≥ 0", o.Samples)
	case o.Samples > n:
		return o, fmt.Errorf("Options.Samples = %d but only %d samples given", o.Samples, n)
	case o.Samples == 0:
		o.Samples = min(1, n)
	}
	if o.PE < 0 {
		return o, fmt.Errorf("Options.PE = %d: want ≥ 0 (0: no tiles)", o.PE)
	}
	if o.Formats == nil {
		o.Formats = slices.Clone(AllFormats)
	}
	var formats []string
	for _, f := range o.Formats {
		if !slices.Contains(AllFormats, f) {
			return o, fmt.Errorf("unknown export format %q (want some of %v)", f, AllFormats)
		}
		if !slices.Contains(formats, f) {
			formats = append(formats, f)
		}
	}
	o.Formats = formats
	return o, nil
}

// has reports whether format f is selected.
func (o Options) has(f string) bool { return slices.Contains(o.Formats, f) }

// tensorFormats are the selected formats per-sample tensors use.
func (o Options) tensorFormats() []string {
	var out []string
	for _, f := range o.Formats {
		if f == FormatNPY || f == FormatHex {
			out = append(out, f)
		}
	}
	return out
}
