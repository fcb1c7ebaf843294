package train

import (
	"fmt"
	"math"
	"slices"
)

// Schedule gives the learning rate for a point in training; progress is
// measured in epochs as a float (epoch + step/stepsPerEpoch) so schedules
// can change the rate within an epoch.
type Schedule interface {
	LR(epoch float64) float64
}

// Constant keeps the base rate.
type Constant struct{ Base float64 }

// LR implements Schedule.
func (c Constant) LR(float64) float64 { return c.Base }

// Step multiplies the rate by Gamma every StepSize epochs (torch StepLR).
type Step struct {
	Base, Gamma float64
	StepSize    int
}

// LR implements Schedule.
func (s Step) LR(epoch float64) float64 {
	return s.Base * math.Pow(s.Gamma, math.Floor(epoch/float64(s.StepSize)))
}

// MultiStep multiplies the rate by Gamma at each milestone epoch (torch
// MultiStepLR).
type MultiStep struct {
	Base, Gamma float64
	Milestones  []int
}

// LR implements Schedule.
func (s MultiStep) LR(epoch float64) float64 {
	n := 0
	for _, m := range s.Milestones {
		if epoch >= float64(m) {
			n++
		}
	}
	return s.Base * math.Pow(s.Gamma, float64(n))
}

// Cosine warms up linearly from 0 over Warmup epochs, then follows a
// half cosine from Base to Min at Total epochs, evaluated per step.
type Cosine struct {
	Base, Min     float64
	Warmup, Total float64
}

// LR implements Schedule.
func (c Cosine) LR(epoch float64) float64 {
	if epoch < c.Warmup {
		return c.Base * epoch / c.Warmup
	}
	span := c.Total - c.Warmup
	if span <= 0 {
		return c.Base
	}
	t := math.Min(1, (epoch-c.Warmup)/span)
	return c.Min + (c.Base-c.Min)*(1+math.Cos(math.Pi*t))/2
}

// NewSchedule builds a schedule by its config name: "constant", "step",
// "multistep" or "cos"/"cosine".
func NewSchedule(name string, base float64, epochs int, warmup float64, stepSize int, milestones []int, gamma float64) (Schedule, error) {
	switch name {
	case "", "constant":
		return Constant{Base: base}, nil
	case "step":
		if stepSize <= 0 {
			return nil, fmt.Errorf("lr_sch step needs step_size > 0")
		}
		return Step{Base: base, Gamma: gamma, StepSize: stepSize}, nil
	case "multistep":
		if len(milestones) == 0 || !slices.IsSorted(milestones) {
			return nil, fmt.Errorf("lr_sch multistep needs increasing milestones, got %v", milestones)
		}
		return MultiStep{Base: base, Gamma: gamma, Milestones: milestones}, nil
	case "cos", "cosine":
		return Cosine{Base: base, Warmup: warmup, Total: float64(epochs)}, nil
	}
	return nil, fmt.Errorf("unknown lr_sch %q (want constant, step, multistep or cosine)", name)
}
