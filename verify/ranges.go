package verify

import (
	"fmt"
	"math"

	"t2c/graph"
	"t2c/tensor"
)

// Ranges runs g on the batches and returns max |x| of every float32 value
// it computes, by value name.
func Ranges(g *graph.Graph, batches []*tensor.Tensor) (map[string]float64, error) {
	if len(g.Inputs) != 1 {
		return nil, fmt.Errorf("verify: model has %d inputs, want 1", len(g.Inputs))
	}
	sess, err := graph.NewSession(g)
	if err != nil {
		return nil, err
	}
	ranges := map[string]float64{}
	obs := func(_ *graph.Node, name string, t *tensor.Tensor) {
		if t == nil || t.DType() != tensor.Float32 {
			return
		}
		m := ranges[name]
		for _, v := range t.Float32() {
			m = math.Max(m, math.Abs(float64(v)))
		}
		ranges[name] = m
	}
	for i, b := range batches {
		prog, err := sess.Program(map[string][]int{g.Inputs[0].Name: b.Shape()})
		if err != nil {
			return nil, err
		}
		if _, err := prog.RunObserved(map[string]*tensor.Tensor{g.Inputs[0].Name: b}, obs); err != nil {
			return nil, fmt.Errorf("verify: range batch %d: %w", i, err)
		}
	}
	return ranges, nil
}
