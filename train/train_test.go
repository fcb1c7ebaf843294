package train

import (
	"encoding/json"
	"math"
	"os"
	"testing"

	"t2c/tensor"
)

// reference holds PyTorch's values (scripts/make_train_fixtures.py).
type reference struct {
	Logits  []float32   `json:"logits"`
	Labels  []int       `json:"labels"`
	CE0     lossRef     `json:"ce_0.0"`
	CE1     lossRef     `json:"ce_0.1"`
	KD      kdRef       `json:"kd"`
	P0      []float32   `json:"p0"`
	Grads   [][]float32 `json:"grads"`
	SGD     []float32   `json:"sgd"`
	SGDNest []float32   `json:"sgd_nesterov"`
	Adam    []float32   `json:"adam"`
	AdamW   []float32   `json:"adamw"`
	Cosine  []float64   `json:"cosine_lrs"`
}

type lossRef struct {
	Loss float64   `json:"loss"`
	Grad []float32 `json:"grad"`
}

type kdRef struct {
	Teacher []float32 `json:"teacher"`
	Loss    float64   `json:"loss"`
	Grad    []float32 `json:"grad"`
}

func loadReference(t *testing.T) reference {
	raw, err := os.ReadFile("../testdata/pytorch/train_reference.json")
	if err != nil {
		t.Fatal(err)
	}
	var r reference
	if err := json.Unmarshal(raw, &r); err != nil {
		t.Fatal(err)
	}
	return r
}

func near(t *testing.T, what string, got, want []float32, tol float64) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: %d values, want %d", what, len(got), len(want))
	}
	for i := range want {
		if math.Abs(float64(got[i]-want[i])) > tol*math.Max(1, math.Abs(float64(want[i]))) {
			t.Fatalf("%s[%d] = %v, PyTorch %v", what, i, got[i], want[i])
		}
	}
}

func TestLossesMatchPyTorch(t *testing.T) {
	r := loadReference(t)
	logits := tensor.New([]int{4, 5}, r.Logits)
	for _, c := range []struct {
		eps float64
		ref lossRef
	}{{0, r.CE0}, {0.1, r.CE1}} {
		loss, grad, err := CrossEntropy{Smoothing: c.eps}.Loss(logits, r.Labels)
		if err != nil {
			t.Fatal(err)
		}
		if math.Abs(loss-c.ref.Loss) > 1e-6 {
			t.Fatalf("CE(ε=%v) = %v, PyTorch %v", c.eps, loss, c.ref.Loss)
		}
		near(t, "CE grad", grad.Float32(), c.ref.Grad, 1e-6)
	}
	kd := Distill{Teacher: tensor.New([]int{4, 5}, r.KD.Teacher), Temperature: 4, Alpha: 0.5}
	loss, grad, err := kd.Loss(logits, r.Labels)
	if err != nil {
		t.Fatal(err)
	}
	if math.Abs(loss-r.KD.Loss) > 1e-5 {
		t.Fatalf("KD loss %v, PyTorch %v", loss, r.KD.Loss)
	}
	near(t, "KD grad", grad.Float32(), r.KD.Grad, 1e-6)
	if _, _, err := (CrossEntropy{}).Loss(logits, []int{0, 9, 1, 1}); err == nil {
		t.Fatal("out-of-range label must fail")
	}
}

func TestOptimizersMatchPyTorch(t *testing.T) {
	r := loadReference(t)
	cases := map[string]struct {
		opt  Optimizer
		lr   float64
		want []float32
	}{
		"sgd":          {&SGD{Momentum: 0.9, WeightDecay: 5e-4}, 0.1, r.SGD},
		"sgd_nesterov": {&SGD{Momentum: 0.9, WeightDecay: 5e-4, Nesterov: true}, 0.1, r.SGDNest},
		"adam":         {NewAdam(1e-2, false), 0.01, r.Adam},
		"adamw":        {NewAdam(1e-2, true), 0.01, r.AdamW},
	}
	for name, c := range cases {
		p := tensor.FromSlice(r.P0)
		params := map[string]*tensor.Tensor{"w": p}
		for _, g := range r.Grads {
			if err := c.opt.Step(params, map[string]*tensor.Tensor{"w": tensor.FromSlice(g)}, c.lr); err != nil {
				t.Fatal(err)
			}
		}
		near(t, name, p.Float32(), c.want, 1e-6)
	}
}

func TestOptimizerStateRoundTrip(t *testing.T) {
	r := loadReference(t)
	run := func(resumeAfter int) []float32 {
		p := tensor.FromSlice(r.P0)
		params := map[string]*tensor.Tensor{"w": p}
		opt := Optimizer(NewAdam(0, false))
		for i, g := range r.Grads {
			if i == resumeAfter {
				fresh := NewAdam(0, false)
				if err := fresh.LoadState(opt.State()); err != nil {
					t.Fatal(err)
				}
				opt = fresh
			}
			if err := opt.Step(params, map[string]*tensor.Tensor{"w": tensor.FromSlice(g)}, 0.01); err != nil {
				t.Fatal(err)
			}
		}
		return p.Float32()
	}
	near(t, "resumed Adam", run(2), run(-1), 0)
}

func TestSchedules(t *testing.T) {
	r := loadReference(t)
	c := Cosine{Base: 0.1, Total: 10}
	for e, want := range r.Cosine {
		if got := c.LR(float64(e)); math.Abs(got-want) > 1e-9 {
			t.Fatalf("cosine epoch %d: %v, PyTorch %v", e, got, want)
		}
	}
	w := Cosine{Base: 0.1, Warmup: 2, Total: 10}
	if w.LR(1) != 0.05 || w.LR(2) != 0.1 {
		t.Fatalf("warm-up: %v %v", w.LR(1), w.LR(2))
	}
	ms := MultiStep{Base: 1, Gamma: 0.1, Milestones: []int{3, 6}}
	if ms.LR(2.9) != 1 || math.Abs(ms.LR(3)-0.1) > 1e-12 || math.Abs(ms.LR(7)-0.01) > 1e-12 {
		t.Fatal("multistep boundaries wrong")
	}
	if _, err := NewSchedule("poly", 0.1, 10, 0, 0, nil, 0.1); err == nil {
		t.Fatal("unknown schedule must fail")
	}
}
