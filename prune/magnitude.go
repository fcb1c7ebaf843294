package prune

import (
	"cmp"
	"math"
	"slices"
)

// topK returns the positions of the k largest scores, ties broken by the
// lower position, so masks are deterministic.
func topK(scores []float32, k int) []int {
	idx := make([]int, len(scores))
	for i := range idx {
		idx[i] = i
	}
	slices.SortFunc(idx, func(a, b int) int {
		if c := cmp.Compare(scores[b], scores[a]); c != 0 {
			return c
		}
		return a - b
	})
	return idx[:max(0, min(k, len(idx)))]
}

// magnitudes returns |w·mask| per element (pruned weights score 0, so
// gradual pruning never revives them).
func magnitudes(w, mask []float32) []float32 {
	out := make([]float32, len(w))
	for i := range w {
		out[i] = float32(math.Abs(float64(w[i] * mask[i])))
	}
	return out
}

// keepMask returns a 0/1 mask of length n with ones at the given positions.
func keepMask(n int, keep []int) []float32 {
	m := make([]float32, n)
	for _, i := range keep {
		m[i] = 1
	}
	return m
}

// LayerMasks keeps, in each layer, the keep[l] weights of largest |w|
// (one threshold per layer). Ties go to the lower index.
func LayerMasks(weights [][]float32, keep []int) [][]float32 {
	out := make([][]float32, len(weights))
	for l, w := range weights {
		out[l] = keepMask(len(w), topK(abs(w), keep[l]))
	}
	return out
}

// GlobalMasks keeps the k weights of largest |w| over all layers together
// (one threshold across layers, so layers end with different sparsities).
// Ties go to the earlier layer, then the lower index.
func GlobalMasks(weights [][]float32, k int) [][]float32 {
	var all []float32
	for _, w := range weights {
		all = append(all, abs(w)...)
	}
	keep := topK(all, k)
	slices.Sort(keep)
	out := make([][]float32, len(weights))
	off := 0
	for l, w := range weights {
		lo := off
		off += len(w)
		var mine []int
		for len(keep) > 0 && keep[0] < off {
			mine = append(mine, keep[0]-lo)
			keep = keep[1:]
		}
		out[l] = keepMask(len(w), mine)
	}
	return out
}

func abs(w []float32) []float32 {
	out := make([]float32, len(w))
	for i, v := range w {
		out[i] = float32(math.Abs(float64(v)))
	}
	return out
}

// keepCount is round(density·n), the weights a layer of n keeps.
func keepCount(density float64, n int) int {
	return min(n, max(0, int(math.Round(density*float64(n)))))
}
