package ops

import (
	"math"

	"t2c/graph"
	"t2c/kernels"
)

func init() {
	graph.Register("LeakyRelu", buildLeakyRelu)
	graph.Register("HardSwish", buildHardSwish)
	graph.Register("Gelu", buildGelu)
}

func buildLeakyRelu(_ *graph.Node, a *graph.Attrs, _ int) (graph.Kernel, error) {
	alpha := float64(a.Float("alpha", 0.01))
	return unaryKernel{name: "LeakyRelu", f: func(x float64) float64 {
		if x < 0 {
			return alpha * x
		}
		return x
	}, df: func(x, _ float64) float64 {
		if x < 0 {
			return alpha
		}
		return 1
	}}, nil
}

// buildHardSwish is HardSwish: x · max(0, min(1, x/6 + 1/2)).
func buildHardSwish(*graph.Node, *graph.Attrs, int) (graph.Kernel, error) {
	return unaryKernel{name: "HardSwish", f: func(x float64) float64 {
		return x * max(0, min(1, x/6+0.5))
	}, df: func(x, _ float64) float64 { // PyTorch's hardswish_backward
		switch {
		case x < -3:
			return 0
		case x <= 3:
			return x/3 + 0.5
		}
		return 1
	}}, nil
}

// buildGelu is Gelu (opset 20, accepted at any opset): exact (erf) or the
// tanh approximation.
func buildGelu(_ *graph.Node, a *graph.Attrs, _ int) (graph.Kernel, error) {
	approx := a.String("approximate", "none")
	a.OneOf("approximate", approx, "none", "tanh")
	if approx == "tanh" {
		c := math.Sqrt(2 / math.Pi)
		return unaryKernel{name: "Gelu", f: func(x float64) float64 {
			return 0.5 * x * (1 + math.Tanh(c*(x+0.044715*x*x*x)))
		}, df: func(x, _ float64) float64 {
			t := math.Tanh(c * (x + 0.044715*x*x*x))
			return 0.5*(1+t) + 0.5*x*(1-t*t)*c*(1+3*0.044715*x*x)
		}}, nil
	}
	return unaryKernel{name: "Gelu", f: func(x float64) float64 {
		return 0.5 * x * (1 + math.Erf(x/math.Sqrt2))
	}, df: func(x, _ float64) float64 {
		return 0.5*(1+math.Erf(x/math.Sqrt2)) + x*math.Exp(-x*x/2)/math.Sqrt(2*math.Pi)
	}, f32: kernels.GeluF32, d32: gelu32Grad, grad32: kernels.GeluGradF32}, nil
}
