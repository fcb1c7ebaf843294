package prune

import (
	"fmt"

	"t2c/sparse"
)

// NMMask keeps the n largest |w| (ties: the lower position) in every group
// of m consecutive weights along the input channels — matrix order of the
// layout, (out, kh, kw, in) for convolutions — and returns the 0/1 mask in
// the weight's own order. The reduction length must be a multiple of m.
func NMMask(w []float32, shape []int, l sparse.Layout, n, m int) ([]float32, error) {
	if m < 1 || n < 0 || n > m {
		return nil, fmt.Errorf("prune: N:M needs 0 ≤ N ≤ M, got %d:%d", n, m)
	}
	_, cols, idx, err := sparse.Order(shape, l)
	if err != nil {
		return nil, err
	}
	if len(idx) != len(w) {
		return nil, fmt.Errorf("prune: weight has %d values for shape %v", len(w), shape)
	}
	if cols%m != 0 {
		return nil, fmt.Errorf("prune: %d:%d needs the reduction length %d (shape %v) to be a multiple of %d", n, m, cols, shape, m)
	}
	mask := make([]float32, len(w))
	group := make([]float32, m)
	for g := 0; g < len(idx); g += m {
		for j := range group {
			group[j] = w[idx[g+j]]
		}
		for _, j := range topK(abs(group), n) {
			mask[idx[g+j]] = 1
		}
	}
	return mask, nil
}

// nmFits reports whether a layer's reduction length is a multiple of m.
func nmFits(l Layer, m int) bool {
	_, cols, _, err := sparse.Order(l.Shape, l.Layout)
	return err == nil && cols%m == 0
}
