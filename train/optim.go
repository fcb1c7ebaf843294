package train

import (
	"fmt"
	"math"
	"sort"
	"strings"

	"t2c/tensor"
)

// Optimizer updates parameters in place from their gradients.
type Optimizer interface {
	// Step applies one update with learning rate lr. params and grads are
	// keyed by parameter name; parameters without a gradient are skipped.
	Step(params, grads map[string]*tensor.Tensor, lr float64) error
	// State returns the optimiser's buffers (for checkpoints), keyed
	// "<kind>/<param>"; LoadState restores them.
	State() map[string]*tensor.Tensor
	LoadState(map[string]*tensor.Tensor) error
}

// SGD is stochastic gradient descent with momentum, Nesterov momentum and
// L2 weight decay, exactly as torch.optim.SGD (dampening 0).
type SGD struct {
	Momentum, WeightDecay float64
	Nesterov              bool
	buf                   map[string][]float32
}

// Step implements Optimizer.
func (o *SGD) Step(params, grads map[string]*tensor.Tensor, lr float64) error {
	if o.buf == nil {
		o.buf = map[string][]float32{}
	}
	for _, name := range sortedKeys(grads) {
		p, g, err := pair(params, grads, name)
		if err != nil {
			return err
		}
		buf, seen := o.buf[name]
		if o.Momentum != 0 && !seen {
			buf = make([]float32, len(p))
			o.buf[name] = buf
		}
		mom, wd := float32(o.Momentum), float32(o.WeightDecay)
		for i := range p {
			d := g[i] + wd*p[i]
			if o.Momentum != 0 {
				if seen {
					buf[i] = mom*buf[i] + d
				} else {
					buf[i] = d
				}
				if o.Nesterov {
					d += mom * buf[i]
				} else {
					d = buf[i]
				}
			}
			p[i] -= float32(lr) * d
		}
	}
	return nil
}

// State implements Optimizer.
func (o *SGD) State() map[string]*tensor.Tensor { return exportBuffers("momentum", o.buf) }

// LoadState implements Optimizer.
func (o *SGD) LoadState(s map[string]*tensor.Tensor) error {
	o.buf = importBuffers("momentum", s)
	return nil
}

// Adam is torch.optim.Adam (L2 weight decay added to the gradient), or
// AdamW (decoupled weight decay) when Decoupled is set.
type Adam struct {
	Beta1, Beta2, Eps, WeightDecay float64
	Decoupled                      bool
	m, v                           map[string][]float32
	steps                          map[string]int
}

// NewAdam returns Adam with PyTorch's defaults (β 0.9/0.999, ε 1e-8).
func NewAdam(weightDecay float64, decoupled bool) *Adam {
	return &Adam{Beta1: 0.9, Beta2: 0.999, Eps: 1e-8, WeightDecay: weightDecay, Decoupled: decoupled}
}

// Step implements Optimizer.
func (o *Adam) Step(params, grads map[string]*tensor.Tensor, lr float64) error {
	if o.m == nil {
		o.m, o.v, o.steps = map[string][]float32{}, map[string][]float32{}, map[string]int{}
	}
	for _, name := range sortedKeys(grads) {
		p, g, err := pair(params, grads, name)
		if err != nil {
			return err
		}
		if o.m[name] == nil {
			o.m[name], o.v[name] = make([]float32, len(p)), make([]float32, len(p))
		}
		o.steps[name]++
		t := float64(o.steps[name])
		m, v := o.m[name], o.v[name]
		b1, b2 := float32(o.Beta1), float32(o.Beta2)
		c1, c2 := 1-math.Pow(o.Beta1, t), 1-math.Pow(o.Beta2, t)
		stepSize := lr / c1
		sqrtC2 := math.Sqrt(c2)
		for i := range p {
			gi := g[i]
			if o.Decoupled {
				p[i] *= float32(1 - lr*o.WeightDecay)
			} else {
				gi += float32(o.WeightDecay) * p[i]
			}
			m[i] = b1*m[i] + (1-b1)*gi
			v[i] = b2*v[i] + (1-b2)*gi*gi
			denom := math.Sqrt(float64(v[i]))/sqrtC2 + o.Eps
			p[i] -= float32(stepSize * float64(m[i]) / denom)
		}
	}
	return nil
}

// State implements Optimizer.
func (o *Adam) State() map[string]*tensor.Tensor {
	s := exportBuffers("exp_avg", o.m)
	for k, v := range exportBuffers("exp_avg_sq", o.v) {
		s[k] = v
	}
	for name, n := range o.steps {
		s["step/"+name] = tensor.Scalar(int64(n))
	}
	return s
}

// LoadState implements Optimizer.
func (o *Adam) LoadState(s map[string]*tensor.Tensor) error {
	o.m, o.v = importBuffers("exp_avg", s), importBuffers("exp_avg_sq", s)
	o.steps = map[string]int{}
	for k, t := range s {
		if name, ok := strings.CutPrefix(k, "step/"); ok {
			o.steps[name] = int(t.Int64()[0])
		}
	}
	return nil
}

func pair(params, grads map[string]*tensor.Tensor, name string) ([]float32, []float32, error) {
	p, ok := params[name]
	if !ok {
		return nil, nil, fmt.Errorf("optimizer: gradient for unknown parameter %q", name)
	}
	g := grads[name]
	if p.Len() != g.Len() {
		return nil, nil, fmt.Errorf("optimizer: %q has %d elements, gradient %d", name, p.Len(), g.Len())
	}
	return p.Float32(), g.Float32(), nil
}

func sortedKeys(m map[string]*tensor.Tensor) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func exportBuffers(kind string, bufs map[string][]float32) map[string]*tensor.Tensor {
	out := map[string]*tensor.Tensor{}
	for name, b := range bufs {
		out[kind+"/"+name] = tensor.FromSlice(b)
	}
	return out
}

func importBuffers(kind string, s map[string]*tensor.Tensor) map[string][]float32 {
	out := map[string][]float32{}
	for k, t := range s {
		if name, ok := strings.CutPrefix(k, kind+"/"); ok {
			out[name] = append([]float32(nil), t.Float32()...)
		}
	}
	return out
}
