package prune

import (
	"fmt"

	"t2c/tensor"
)

// ERKDensities distributes an overall density over layers the
// Erdős–Rényi-Kernel way (Evci et al., "Rigging the Lottery", 2020): layer
// l of shape (d1, …, dk) gets density ε·Σd/Πd — small layers, whose every
// weight matters more, stay denser — with ε chosen so that the layers keep
// density·Σn weights in total. A layer whose density would exceed 1 is
// made dense and ε solved again over the rest (largest first). For a
// linear layer the factor is (in + out)/(in·out), plain Erdős–Rényi.
func ERKDensities(shapes [][]int, density float64) ([]float64, error) {
	if density <= 0 || density > 1 {
		return nil, fmt.Errorf("prune: ERK density must be in (0, 1], got %g", density)
	}
	n := make([]float64, len(shapes))
	raw := make([]float64, len(shapes))
	total := 0.0
	for l, s := range shapes {
		n[l] = float64(tensor.NumElems(s))
		sum := 0
		for _, d := range s {
			sum += d
		}
		raw[l] = float64(sum) / n[l]
		total += n[l]
	}
	dense := make([]bool, len(shapes))
	out := make([]float64, len(shapes))
	for {
		keepDense, weighted := 0.0, 0.0
		for l := range shapes {
			if dense[l] {
				keepDense += n[l]
			} else {
				weighted += raw[l] * n[l]
			}
		}
		if weighted == 0 {
			break
		}
		eps := (density*total - keepDense) / weighted
		worst := -1
		for l := range shapes {
			if !dense[l] && eps*raw[l] > 1 && (worst < 0 || raw[l] > raw[worst]) {
				worst = l
			}
		}
		if worst < 0 {
			for l := range shapes {
				out[l] = 1
				if !dense[l] {
					out[l] = eps * raw[l]
				}
			}
			return out, nil
		}
		dense[worst] = true
	}
	for l := range out {
		out[l] = 1
	}
	return out, nil
}
