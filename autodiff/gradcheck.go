package autodiff

import (
	"fmt"
	"math"
	"math/rand/v2"
	"sort"

	"t2c/graph"
	"t2c/tensor"
)

// CheckOptions tunes GradCheck.
type CheckOptions struct {
	Eps      float64 // finite-difference step (default 1e-2)
	Tol      float64 // allowed |analytic − numeric| / max(1, |numeric|) (default 1e-2)
	Samples  int     // elements checked per tensor (default 12; all if fewer)
	Training bool    // run kernels in training mode
	Seed     uint64
}

// GradCheck compares the gradients Backward computes for every float input
// and parameter of g with central finite differences of the scalar
// L = Σ output·R (R fixed and random), and returns an error naming the first
// tensor and element that disagree. g must have one float32 output.
func GradCheck(g *graph.Graph, inputs map[string]*tensor.Tensor, o CheckOptions) error {
	if o.Eps == 0 {
		o.Eps = 1e-2
	}
	if o.Tol == 0 {
		o.Tol = 1e-2
	}
	if o.Samples == 0 {
		o.Samples = 12
	}
	shapes := map[string][]int{}
	for k, v := range inputs {
		shapes[k] = v.Shape()
	}
	p, err := Compile(g, shapes, Options{InputGrads: true})
	if err != nil {
		return err
	}
	rng := rand.New(rand.NewPCG(o.Seed, 7))
	ctx := &graph.Ctx{Training: o.Training, Rand: rng}
	tape, err := p.Forward(ctx, inputs)
	if err != nil {
		return err
	}
	weights := tensor.Zeros(tensor.Float32, tape.Output(0).Shape()...)
	for i := range weights.Float32() {
		weights.Float32()[i] = float32(rng.NormFloat64())
	}
	grads, err := tape.Backward(weights)
	if err != nil {
		return err
	}
	loss := func() (float64, error) {
		t, err := p.Forward(ctx, inputs)
		if err != nil {
			return 0, err
		}
		var s float64
		for i, v := range t.Output(0).Float32() {
			s += float64(v) * float64(weights.Float32()[i])
		}
		return s, nil
	}
	vars := map[string]*tensor.Tensor{}
	for name, v := range inputs {
		if v.DType() == tensor.Float32 {
			vars[name] = v
		}
	}
	for _, name := range p.Trainable() {
		vars[name] = p.Graph.Params[name]
	}
	names := make([]string, 0, len(vars))
	for name := range vars {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		v := vars[name]
		d, ok := grads[name]
		if !ok {
			return fmt.Errorf("no gradient returned for %q", name)
		}
		for _, i := range sampleIndices(rng, v.Len(), o.Samples) {
			x := v.Float32()
			orig := x[i]
			hi, lo := orig+float32(o.Eps), orig-float32(o.Eps)
			x[i] = hi
			up, err := loss()
			if err != nil {
				return err
			}
			x[i] = lo
			down, err := loss()
			x[i] = orig
			if err != nil {
				return err
			}
			numeric := (up - down) / (float64(hi) - float64(lo))
			analytic := float64(d.Float32()[i])
			if math.Abs(analytic-numeric) > o.Tol*math.Max(1, math.Abs(numeric)) {
				return fmt.Errorf("%s[%d]: analytic gradient %.6g, finite difference %.6g", name, i, analytic, numeric)
			}
		}
	}
	return nil
}

func sampleIndices(rng *rand.Rand, n, k int) []int {
	if n <= k {
		idx := make([]int, n)
		for i := range idx {
			idx[i] = i
		}
		return idx
	}
	return rng.Perm(n)[:k]
}
