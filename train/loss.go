// Package train holds what turns gradients into a trained model: losses,
// optimisers, learning-rate schedules and the training loop with
// checkpoints. Semantics follow PyTorch's so that recipes carry over.
package train

import (
	"fmt"
	"math"

	"t2c/tensor"
)

// Loss maps a batch of logits (N×C) and labels to a scalar mean loss and
// its gradient with respect to the logits.
type Loss interface {
	Loss(logits *tensor.Tensor, labels []int) (float64, *tensor.Tensor, error)
}

// CrossEntropy is softmax cross-entropy averaged over the batch, with
// optional label smoothing ε: the target puts 1−ε on the label and ε/C on
// every class, as torch.nn.CrossEntropyLoss(label_smoothing=ε).
type CrossEntropy struct {
	Smoothing float64
}

// Loss implements Loss.
func (ce CrossEntropy) Loss(logits *tensor.Tensor, labels []int) (float64, *tensor.Tensor, error) {
	n, c, err := checkLogits(logits, labels)
	if err != nil {
		return 0, nil, err
	}
	grad := tensor.Zeros(tensor.Float32, n, c)
	var total float64
	for i := 0; i < n; i++ {
		row := logits.Float32()[i*c : (i+1)*c]
		p := softmax64(row, 1)
		g := grad.Float32()[i*c : (i+1)*c]
		for j := range row {
			target := ce.Smoothing / float64(c)
			if j == labels[i] {
				target += 1 - ce.Smoothing
			}
			total -= target * math.Log(math.Max(p[j], 1e-300))
			g[j] = float32((p[j] - target) / float64(n))
		}
	}
	return total / float64(n), grad, nil
}

// MSE is the mean squared error against one-hot targets (or, via
// MSETarget, any target tensor).
type MSE struct{}

// Loss implements Loss with one-hot targets.
func (MSE) Loss(logits *tensor.Tensor, labels []int) (float64, *tensor.Tensor, error) {
	n, c, err := checkLogits(logits, labels)
	if err != nil {
		return 0, nil, err
	}
	target := tensor.Zeros(tensor.Float32, n, c)
	for i, l := range labels {
		target.Float32()[i*c+l] = 1
	}
	return MSETarget(logits, target)
}

// MSETarget is mean((x − target)²) over all elements and its gradient.
func MSETarget(x, target *tensor.Tensor) (float64, *tensor.Tensor, error) {
	if !tensor.SameShape(x.Shape(), target.Shape()) {
		return 0, nil, fmt.Errorf("mse: prediction %v vs target %v", x.Shape(), target.Shape())
	}
	grad := tensor.Zeros(tensor.Float32, x.Shape()...)
	var s float64
	n := float64(x.Len())
	for i, v := range x.Float32() {
		d := float64(v - target.Float32()[i])
		s += d * d
		grad.Float32()[i] = float32(2 * d / n)
	}
	return s / n, grad, nil
}

// Distill is knowledge distillation: KL(softmax(t/T) ‖ softmax(s/T))·T²
// against teacher logits, mixed with cross-entropy on the labels:
// (1−Alpha)·CE + Alpha·KD (Hinton et al. 2015).
type Distill struct {
	Teacher     *tensor.Tensor // N×C teacher logits for the current batch
	Temperature float64
	Alpha       float64
	CE          CrossEntropy
}

// Loss implements Loss.
func (d Distill) Loss(logits *tensor.Tensor, labels []int) (float64, *tensor.Tensor, error) {
	n, c, err := checkLogits(logits, labels)
	if err != nil {
		return 0, nil, err
	}
	if d.Teacher == nil || !tensor.SameShape(d.Teacher.Shape(), logits.Shape()) {
		return 0, nil, fmt.Errorf("distill: teacher logits missing or not %v", logits.Shape())
	}
	ce, grad, err := d.CE.Loss(logits, labels)
	if err != nil {
		return 0, nil, err
	}
	T := d.Temperature
	var kl float64
	for i := 0; i < n; i++ {
		s := softmax64(logits.Float32()[i*c:(i+1)*c], T)
		t := softmax64(d.Teacher.Float32()[i*c:(i+1)*c], T)
		g := grad.Float32()[i*c : (i+1)*c]
		for j := range s {
			if t[j] > 0 {
				kl += t[j] * (math.Log(t[j]) - math.Log(math.Max(s[j], 1e-300)))
			}
			// d(T²·KL)/dlogit = T·(s − t); mixed and averaged over the batch.
			g[j] = float32((1-d.Alpha)*float64(g[j]) + d.Alpha*T*(s[j]-t[j])/float64(n))
		}
	}
	return (1-d.Alpha)*ce + d.Alpha*T*T*kl/float64(n), grad, nil
}

func checkLogits(logits *tensor.Tensor, labels []int) (int, int, error) {
	if logits.Rank() != 2 || logits.Dim(0) != len(labels) {
		return 0, 0, fmt.Errorf("loss: logits %v for %d labels (want N×classes)", logits.Shape(), len(labels))
	}
	c := logits.Dim(1)
	for i, l := range labels {
		if l < 0 || l >= c {
			return 0, 0, fmt.Errorf("loss: label %d of image %d outside [0,%d)", l, i, c)
		}
	}
	return logits.Dim(0), c, nil
}

// softmax64 is a numerically stable softmax of x/T in float64.
func softmax64(x []float32, T float64) []float64 {
	m := math.Inf(-1)
	for _, v := range x {
		m = math.Max(m, float64(v)/T)
	}
	p := make([]float64, len(x))
	var s float64
	for i, v := range x {
		p[i] = math.Exp(float64(v)/T - m)
		s += p[i]
	}
	for i := range p {
		p[i] /= s
	}
	return p
}
