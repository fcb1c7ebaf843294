package prune

import (
	"fmt"
	"strings"

	"t2c/graph"
	"t2c/sparse"
	"t2c/tensor"
)

// LayerStats is one layer's sparsity: masked weights, and zeros of the
// effective weight (masked or exactly 0).
type LayerStats struct {
	Layer    string  `json:"layer"`
	Op       string  `json:"op"`
	Shape    []int   `json:"shape"`
	Weights  int     `json:"weights"`
	Masked   int     `json:"masked"`
	Zeros    int     `json:"zeros"`
	Pruned   bool    `json:"pruned"`   // carries a mask
	Sparsity float64 `json:"sparsity"` // Zeros / Weights
	// NM is the finest N:M pattern (M = 4 or 8, smallest N/M) every group
	// of the effective weight satisfies, e.g. "2:4"; "" if none is sparser
	// than dense.
	NM string `json:"nm,omitempty"`
}

// Report is the per-layer sparsity of a graph's prunable layers.
type Report struct {
	Layers []LayerStats `json:"layers"`
	// Sparsity is the fraction of zero effective weights over the pruned
	// layers; Overall over every prunable layer (dense ones included).
	Sparsity float64 `json:"sparsity"`
	Overall  float64 `json:"overall"`
}

// Stats measures every candidate layer of g (Candidates), masked or not.
func Stats(g *graph.Graph) *Report {
	r := &Report{}
	var zp, np, za, na int
	for _, l := range Candidates(g) {
		w := g.Params[l.Weight].Float32()
		var m []float32
		if l.Mask != "" {
			m = g.Params[l.Mask].Float32()
		}
		eff := make([]float32, len(w))
		s := LayerStats{Layer: l.Name, Op: l.Op, Shape: l.Shape, Weights: len(w), Pruned: l.Mask != ""}
		for i, v := range w {
			if m != nil && m[i] == 0 {
				s.Masked++
				v = 0
			}
			eff[i] = v
			if v == 0 {
				s.Zeros++
			}
		}
		s.Sparsity = float64(s.Zeros) / float64(max(1, s.Weights))
		s.NM = finestNM(eff, l)
		r.Layers = append(r.Layers, s)
		za, na = za+s.Zeros, na+s.Weights
		if s.Pruned {
			zp, np = zp+s.Zeros, np+s.Weights
		}
	}
	if np > 0 {
		r.Sparsity = float64(zp) / float64(np)
	}
	if na > 0 {
		r.Overall = float64(za) / float64(na)
	}
	return r
}

// finestNM finds the sparsest N:M (M 4 or 8) the weight satisfies.
func finestNM(eff []float32, l Layer) string {
	_, _, idx, err := sparse.Order(l.Shape, l.Layout)
	if err != nil {
		return ""
	}
	best, bestRatio := "", 1.0
	for _, m := range []int{4, 8} {
		if len(idx)%m != 0 || !nmFits(l, m) {
			continue
		}
		n := 0
		for g := 0; g < len(idx); g += m {
			c := 0
			for j := 0; j < m; j++ {
				if eff[idx[g+j]] != 0 {
					c++
				}
			}
			n = max(n, c)
		}
		if r := float64(n) / float64(m); r < bestRatio {
			best, bestRatio = fmt.Sprintf("%d:%d", n, m), r
		}
	}
	return best
}

// Table renders the report, one layer per line.
func (r *Report) Table() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%-28s %-6s %-16s %9s %9s %9s %5s\n", "layer", "op", "shape", "weights", "zeros", "sparsity", "N:M")
	for _, l := range r.Layers {
		name := l.Layer
		if !l.Pruned {
			name += " (dense)"
		}
		fmt.Fprintf(&b, "%-28s %-6s %-16s %9d %9d %8.2f%% %5s\n", name, l.Op, fmt.Sprint(l.Shape), l.Weights, l.Zeros, 100*l.Sparsity, l.NM)
	}
	fmt.Fprintf(&b, "sparsity %.2f%% over the pruned layers, %.2f%% over all Conv/Gemm/MatMul weights\n", 100*r.Sparsity, 100*r.Overall)
	return b.String()
}

// MaskedInteger applies a layer's mask to integer weights (the converter's
// Integer(FakeQuant(W)) ⊙ mask): entries where the mask is 0 become 0.
func MaskedInteger(q, mask *tensor.Tensor) (*tensor.Tensor, error) {
	if q.Len() != mask.Len() || !q.DType().IsInteger() {
		return nil, fmt.Errorf("prune: integer weight %v%v and mask %v do not match", q.DType(), q.Shape(), mask.Shape())
	}
	vals := q.Int64s()
	for i, m := range mask.Float32() {
		if m == 0 {
			vals[i] = 0
		}
	}
	return tensor.Cast(tensor.New(q.Shape(), vals), q.DType()), nil
}
