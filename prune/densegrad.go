package prune

import (
	"fmt"
	"math/rand/v2"

	"t2c/autodiff"
	"t2c/graph"
	"t2c/tensor"
)

// Loss is a training loss (train.Loss satisfies it): the mean loss of a
// batch of logits and its gradient.
type Loss interface {
	Loss(logits *tensor.Tensor, labels []int) (float64, *tensor.Tensor, error)
}

// denseGrads computes gradients with respect to the effective weights.
// The gradient the training step sees for a weight W is masked (∂L/∂W =
// ∂L/∂(W⊙M)·M is 0 where pruned), so regrowing needs a pass of its own: a
// copy of the graph whose masks are all ones — the same function, since
// pruned weights are held at 0 — and whose BatchNormalization running
// statistics are scratch copies, so the extra training-mode pass leaves the
// model untouched.
type denseGrads struct {
	g     *graph.Graph
	progs map[string]*autodiff.Program
	rng   *rand.Rand
}

// DenseGrads returns a GradFunc for Update: the gradient of loss on the
// batch x (labels) with respect to each pruned layer's effective weight,
// in training mode. Compiled programs are cached per batch shape.
func (p *Pruner) DenseGrads(x *tensor.Tensor, labels []int, loss Loss) GradFunc {
	return func() (map[string]*tensor.Tensor, error) {
		if p.grads == nil {
			p.grads = &denseGrads{progs: map[string]*autodiff.Program{}, rng: rand.New(rand.NewPCG(1, 0x9e37))}
			c := p.g.Clone()
			for _, l := range p.layers {
				c.Params[l.Mask] = ones(l.Shape)
			}
			for _, n := range c.Find("BatchNormalization") {
				for _, i := range []int{3, 4} {
					if t, ok := c.Params[n.Input(i)]; ok {
						c.Params[n.Input(i)] = t.Clone()
					}
				}
			}
			p.grads.g = c
		}
		d := p.grads
		if len(d.g.Inputs) != 1 || len(d.g.Outputs) != 1 {
			return nil, fmt.Errorf("prune: dense gradients need a model with one input and one output")
		}
		key := fmt.Sprint(x.Shape())
		prog := d.progs[key]
		if prog == nil {
			weights := map[string]bool{}
			for _, l := range p.layers {
				weights[l.Weight] = true
			}
			var err error
			prog, err = autodiff.Compile(d.g, map[string][]int{d.g.Inputs[0].Name: x.Shape()},
				autodiff.Options{Trainable: func(name string) bool { return weights[name] }})
			if err != nil {
				return nil, err
			}
			d.progs[key] = prog
		}
		tape, err := prog.Forward(&graph.Ctx{Training: true, Rand: d.rng}, map[string]*tensor.Tensor{d.g.Inputs[0].Name: x})
		if err != nil {
			return nil, err
		}
		_, dLogits, err := loss.Loss(tape.Output(0), labels)
		if err != nil {
			return nil, err
		}
		return tape.Backward(dLogits)
	}
}
