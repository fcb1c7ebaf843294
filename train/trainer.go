package train

import (
	"fmt"
	"math/rand/v2"
	"strings"

	"t2c/autodiff"
	"t2c/data"
	"t2c/graph"
	"t2c/tensor"
)

// Trainer runs optimisation steps on a graph. Parameters are updated in
// place in Graph.Params, so the graph is always the current model.
type Trainer struct {
	Graph     *graph.Graph
	Optimizer Optimizer
	Schedule  Schedule
	Loss      Loss
	// Trainable selects the parameters to update; nil means every float
	// parameter except BatchNormalization running statistics.
	Trainable func(name string) bool

	rng   *rand.Rand
	progs map[string]*autodiff.Program // by mode and batch size
}

// NewTrainer returns a trainer; seed drives training-mode randomness
// (dropout), so runs with the same seed and data order are identical.
func NewTrainer(g *graph.Graph, opt Optimizer, sched Schedule, loss Loss, seed uint64) *Trainer {
	return &Trainer{Graph: g, Optimizer: opt, Schedule: sched, Loss: loss, rng: rand.New(rand.NewPCG(seed, 0x7432))}
}

// StepResult reports one optimisation step.
type StepResult struct {
	Loss    float64
	Correct int // top-1 hits in the batch
	LR      float64
	Grads   autodiff.Grads // the parameter gradients the optimiser applied
}

// Step runs forward, backward and one optimiser update on a batch.
// progress is the position in training in epochs (for the schedule).
func (t *Trainer) Step(b data.Batch, progress float64) (StepResult, error) {
	p, err := t.program(b.X.Shape(), true)
	if err != nil {
		return StepResult{}, err
	}
	ctx := &graph.Ctx{Training: true, Rand: t.rng}
	tape, err := p.Forward(ctx, map[string]*tensor.Tensor{t.Graph.Inputs[0].Name: b.X})
	if err != nil {
		return StepResult{}, err
	}
	logits := tape.Output(0)
	loss, dLogits, err := t.Loss.Loss(logits, b.Labels)
	if err != nil {
		return StepResult{}, err
	}
	grads, err := tape.Backward(dLogits)
	if err != nil {
		return StepResult{}, err
	}
	lr := t.Schedule.LR(progress)
	if err := t.Optimizer.Step(t.Graph.Params, grads, lr); err != nil {
		return StepResult{}, err
	}
	return StepResult{Loss: loss, Correct: countCorrect(logits, b.Labels), LR: lr, Grads: grads}, nil
}

// Run1 evaluates the current parameters on a batch (inference mode); it
// lets package eval measure a model while it trains.
func (t *Trainer) Run1(x *tensor.Tensor) (*tensor.Tensor, error) {
	p, err := t.program(x.Shape(), false)
	if err != nil {
		return nil, err
	}
	tape, err := p.Forward(&graph.Ctx{}, map[string]*tensor.Tensor{t.Graph.Inputs[0].Name: x})
	if err != nil {
		return nil, err
	}
	return tape.Output(0), nil
}

func (t *Trainer) program(shape []int, training bool) (*autodiff.Program, error) {
	if len(t.Graph.Inputs) != 1 || len(t.Graph.Outputs) != 1 {
		return nil, fmt.Errorf("training needs a model with one input and one output")
	}
	key := fmt.Sprint(training, shape)
	if p, ok := t.progs[key]; ok {
		return p, nil
	}
	trainable := t.Trainable
	if trainable == nil {
		trainable = DefaultTrainable(t.Graph)
	}
	if !training {
		trainable = func(string) bool { return false }
	}
	p, err := autodiff.Compile(t.Graph, map[string][]int{t.Graph.Inputs[0].Name: shape}, autodiff.Options{Trainable: trainable})
	if err != nil {
		return nil, err
	}
	if t.progs == nil {
		t.progs = map[string]*autodiff.Program{}
	}
	t.progs[key] = p
	return p, nil
}

// DefaultTrainable selects every float parameter except the running
// statistics that BatchNormalization nodes read (inputs 3 and 4) and the
// state of quantizer nodes (FakeQuant inputs after the first): plain
// training updates weights; QAT opts quantizer parameters in explicitly
// (quant.Trainable). Pruning masks (package prune) are never trainable.
func DefaultTrainable(g *graph.Graph) func(string) bool {
	stats := maskParams(g)
	for _, n := range g.Find("BatchNormalization") {
		for _, i := range []int{3, 4} {
			stats[n.Input(i)] = true
		}
	}
	for _, n := range g.Find("FakeQuant") {
		for _, in := range n.Inputs[1:] {
			stats[in] = true
		}
	}
	return func(name string) bool {
		p, ok := g.Params[name]
		return ok && p.DType().IsFloat() && !stats[name] && !strings.HasSuffix(name, "num_batches_tracked")
	}
}

func countCorrect(logits *tensor.Tensor, labels []int) int {
	c := logits.Dim(1)
	n := 0
	for i, l := range labels {
		row := logits.Float32()[i*c : (i+1)*c]
		best := 0
		for j, v := range row {
			if v > row[best] {
				best = j
			}
		}
		if best == l {
			n++
		}
	}
	return n
}
