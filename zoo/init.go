package zoo

import (
	"math"
	"math/rand/v2"
)

// initFn fills a new parameter from a random stream.
type initFn func(r *rand.Rand, w []float32)

// constInit fills with v (BatchNorm and LayerNorm weights, running var).
func constInit(v float32) initFn {
	return func(_ *rand.Rand, w []float32) {
		for i := range w {
			w[i] = v
		}
	}
}

// normalInit is torch.nn.init.normal_(std).
func normalInit(std float64) initFn {
	return func(r *rand.Rand, w []float32) {
		for i := range w {
			w[i] = float32(r.NormFloat64() * std)
		}
	}
}

// kaimingNormalFanOut is torch.nn.init.kaiming_normal_(mode="fan_out",
// nonlinearity="relu"): N(0, 2/fan_out), fan_out = out_channels · kernel area.
func kaimingNormalFanOut(fanOut int) initFn {
	return normalInit(math.Sqrt(2 / float64(fanOut)))
}

// uniformInit is U(-bound, bound).
func uniformInit(bound float64) initFn {
	return func(r *rand.Rand, w []float32) {
		for i := range w {
			w[i] = float32((2*r.Float64() - 1) * bound)
		}
	}
}

// torchDefault is PyTorch's default initialisation of nn.Linear and
// nn.Conv2d weights and biases: kaiming_uniform_(a=√5) for the weight and
// U(±1/√fan_in) for the bias, both of which come to U(±1/√fan_in).
func torchDefault(fanIn int) initFn {
	return uniformInit(1 / math.Sqrt(float64(fanIn)))
}

// truncNormal is timm's trunc_normal_(std, a=-2, b=2): a normal
// distribution resampled outside the absolute bounds [-2, 2].
func truncNormal(std float64) initFn {
	return func(r *rand.Rand, w []float32) {
		for i := range w {
			v := r.NormFloat64() * std
			for v < -2 || v > 2 {
				v = r.NormFloat64() * std
			}
			w[i] = float32(v)
		}
	}
}
