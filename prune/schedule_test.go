package prune_test

import (
	"math"
	"testing"

	"t2c/prune"
)

func TestCubicScheduleHandComputed(t *testing.T) {
	s := prune.Schedule{Start: 10, End: 110, Frequency: 25, Initial: 0, Final: 0.8}
	// s(t) = 0.8 − 0.8·(1 − (t−10)/100)³
	want := map[int]float64{0: 0, 10: 0, 35: 0.8 * (1 - 0.421875), 60: 0.7, 85: 0.8 * (1 - 0.015625), 110: 0.8, 500: 0.8}
	for step, w := range want {
		if got := s.At(step); math.Abs(got-w) > 1e-12 {
			t.Errorf("At(%d) = %v, want %v", step, got, w)
		}
	}
	for step := 0; step <= 120; step++ {
		due := step == 10 || step == 35 || step == 60 || step == 85 || step == 110
		if s.Due(step) != due {
			t.Errorf("Due(%d) = %v, want %v", step, s.Due(step), due)
		}
	}
	// A frequency that does not divide the span still ends at End.
	s.Frequency = 30
	for step, due := range map[int]bool{10: true, 40: true, 100: true, 109: false, 110: true} {
		if s.Due(step) != due {
			t.Errorf("frequency 30: Due(%d) = %v, want %v", step, s.Due(step), due)
		}
	}
	// From an initial sparsity: s(t) = 0.9 + (0.5 − 0.9)·(1 − t/4)³.
	s = prune.Schedule{Start: 0, End: 4, Frequency: 1, Initial: 0.5, Final: 0.9}
	for step, w := range []float64{0.5, 0.9 - 0.4*27.0/64, 0.9 - 0.4/8, 0.9 - 0.4/64, 0.9} {
		if got := s.At(step); math.Abs(got-w) > 1e-12 {
			t.Errorf("initial 0.5: At(%d) = %v, want %v", step, got, w)
		}
	}
}

func TestGradualPrunerHitsScheduleAtTheRightSteps(t *testing.T) {
	g := resnet8(t)
	p, err := prune.New(g, prune.Options{Type: prune.TypeElement, Sparsity: 0.8, Gradual: true, Start: 2, End: 8, Frequency: 3,
		Exclude: []string{"conv1", "fc"}})
	if err != nil {
		t.Fatal(err)
	}
	if err := p.Begin(); err != nil {
		t.Fatal(err)
	}
	want := 0.0
	for step := 1; step <= 10; step++ {
		ev, err := p.Update(step, nil)
		if err != nil {
			t.Fatal(err)
		}
		// Due at 2, 5, 8: s = 0.8·(1 − (1 − (t−2)/6)³).
		switch step {
		case 2, 5, 8:
			if ev != prune.EventPrune {
				t.Fatalf("step %d: event %q, want prune", step, ev)
			}
			r := 1 - float64(step-2)/6
			want = 0.8 * (1 - r*r*r)
		default:
			if ev != prune.EventNone {
				t.Fatalf("step %d: event %q", step, ev)
			}
		}
		// Per-layer rounding: each layer keeps round((1−s)·n).
		total, zeros := 0, 0
		for _, l := range p.Layers() {
			n := l.Size()
			z := zerosOf(g.Params[l.Mask].Float32())
			if keep := int(math.Round((1 - want) * float64(n))); n-z != keep {
				t.Fatalf("step %d layer %s: keeps %d of %d, want %d", step, l.Name, n-z, n, keep)
			}
			total, zeros = total+n, zeros+z
		}
		if got := p.Sparsity(); math.Abs(got-float64(zeros)/float64(total)) > 1e-12 || math.Abs(got-want) > 0.01 {
			t.Fatalf("step %d: sparsity %v, want %v", step, got, want)
		}
	}
}
