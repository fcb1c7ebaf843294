package quant

import (
	"fmt"
	"math"

	"t2c/graph"
	"t2c/tensor"
)

// AdaRound (Nagel et al., "Up or Down? Adaptive Rounding for Post-Training
// Quantization", ICML 2020), weights only. With a scale s from the MSE
// search and a learnable α per weight (state "alpha", shaped like the
// weight):
//
//	h(α) = clamp(sigmoid(α)·(ζ − γ) + γ, 0, 1),  ζ = 1.1, γ = −0.1
//	training path:  w̃ = s·(clamp(⌊w/s⌋ + h(α) + z, qmin, qmax) − z)   (soft)
//	inference path: w̃ = s·(clamp(⌊w/s⌋ + 1[α ≥ 0] + z, qmin, qmax) − z) (hard)
//
// Observe sets s and z by the MSE search on the weight and α so that h(α)
// equals the fractional part of w/s. ∂w̃/∂α = s·h'(α) inside the range; w
// gets the straight-through gradient. The rounding regulariser of the paper
// is AdaRoundReg, annealed by BetaSchedule; the PTQ loop adds it to the
// reconstruction loss. The default granularity is per output channel
// (Torch2Chip uses one scale per tensor; ask for "tensor" to match it).

func init() { Register("adaround", newAdaRound) }

// AdaRound's stretch parameters.
const (
	AdaRoundZeta  = 1.1
	AdaRoundGamma = -0.1
)

type adaround struct{ Affine }

func newAdaRound(s Spec, _ *graph.Attrs) (Quantizer, error) {
	if s.Role != Weight {
		return nil, fmt.Errorf("adaround quantizes weights, not %ss", s.Role)
	}
	s, err := s.withDefault("adaround", PerChannel, PerTensor)
	if err != nil {
		return nil, err
	}
	return adaround{Affine{s}}, nil
}

func (q adaround) Init(shape []int) ([]Param, error) {
	g, err := Groups(q.S, shape)
	if err != nil {
		return nil, err
	}
	return AffineParams(g, false, Param{Name: "alpha", Value: tensor.Zeros(tensor.Float32, shape...), Learnable: true}), nil
}

// AdaRoundH is the rectified sigmoid h(α) and its derivative.
func AdaRoundH(alpha float64) (h, dh float64) {
	sg := 1 / (1 + math.Exp(-alpha))
	v := sg*(AdaRoundZeta-AdaRoundGamma) + AdaRoundGamma
	switch {
	case v <= 0:
		return 0, 0
	case v >= 1:
		return 1, 0
	}
	return v, (AdaRoundZeta - AdaRoundGamma) * sg * (1 - sg)
}

// AdaRoundAlpha is the α with h(α) = frac, for frac in [0, 1).
func AdaRoundAlpha(frac float64) float64 {
	return -math.Log((AdaRoundZeta-AdaRoundGamma)/(frac-AdaRoundGamma) - 1)
}

func (q adaround) alpha(x *tensor.Tensor, st State) ([]float32, error) {
	if len(st.Extra) < 1 || st.Extra[0].Len() != x.Len() {
		return nil, fmt.Errorf("needs an alpha input shaped like the weight %v", x.Shape())
	}
	return st.Extra[0].Float32(), nil
}

// Observe fits s, z by the MSE search and initialises α from frac(w/s).
func (q adaround) Observe(x *tensor.Tensor, st State) error {
	l, _, _, err := q.layout(x, st)
	if err != nil {
		return err
	}
	al, err := q.alpha(x, st)
	if err != nil {
		return err
	}
	xs := x.Float32()
	lo, hi := groupRange(xs, l)
	mseFit(q.S, xs, l, lo, hi, st)
	sc := st.Scale.Float32()
	l.each(func(g, a, b int) {
		for i := a; i < b; i++ {
			v := xs[i] / sc[g]
			al[i] = float32(AdaRoundAlpha(float64(v) - math.Floor(float64(v))))
		}
	})
	return nil
}

// rounded is ⌊w/s⌋ + (soft or hard rounding) + z before clamping, and dh.
func (q adaround) rounded(w, s float32, z int32, alpha float32, soft bool) (v, dh float64) {
	fl := math.Floor(float64(w / s))
	if soft {
		h, d := AdaRoundH(float64(alpha))
		return fl + h + float64(z), d
	}
	up := 0.0
	if alpha >= 0 {
		up = 1
	}
	return fl + up + float64(z), 0
}

func (q adaround) Forward(ctx *graph.Ctx, x *tensor.Tensor, st State, train bool) (*tensor.Tensor, *tensor.Tensor, error) {
	l, sc, zp, err := q.layout(x, st)
	if err != nil {
		return nil, nil, err
	}
	al, err := q.alpha(x, st)
	if err != nil {
		return nil, nil, err
	}
	qmin, qmax := float64(q.S.QMin()), float64(q.S.QMax())
	y := ctx.Alloc(tensor.Float32, x.Shape()...)
	xs, ys := x.Float32(), y.Float32()
	l.each(func(g, a, b int) {
		for i := a; i < b; i++ {
			v, _ := q.rounded(xs[i], sc[g], zp[g], al[i], train)
			ys[i] = float32(min(max(v, qmin), qmax)-float64(zp[g])) * sc[g]
		}
	})
	return y, nil, nil
}

// Backward: ∂w̃/∂α = s·h'(α) on the soft path where not clamped; the weight
// gets the straight-through gradient.
func (q adaround) Backward(_ *graph.Ctx, x *tensor.Tensor, st State, train bool, _, dy *tensor.Tensor) (*tensor.Tensor, []*tensor.Tensor, error) {
	l, sc, zp, err := q.layout(x, st)
	if err != nil {
		return nil, nil, err
	}
	al, err := q.alpha(x, st)
	if err != nil {
		return nil, nil, err
	}
	qmin, qmax := float64(q.S.QMin()), float64(q.S.QMax())
	dx := tensor.Zeros(tensor.Float32, x.Shape()...)
	var dAlpha *tensor.Tensor
	var da []float32
	if train {
		dAlpha = tensor.Zeros(tensor.Float32, st.Extra[0].Shape()...)
		da = dAlpha.Float32()
	}
	xs, gs, ds := x.Float32(), dy.Float32(), dx.Float32()
	l.each(func(g, a, b int) {
		for i := a; i < b; i++ {
			v, dh := q.rounded(xs[i], sc[g], zp[g], al[i], train)
			if v < qmin || v > qmax {
				continue
			}
			ds[i] = gs[i]
			if train {
				da[i] = gs[i] * sc[g] * float32(dh)
			}
		}
	})
	return dx, []*tensor.Tensor{nil, nil, dAlpha}, nil
}

// Integer returns the hard-rounded integer weights.
func (q adaround) Integer(x *tensor.Tensor, st State) (*tensor.Tensor, error) {
	l, sc, zp, err := q.layout(x, st)
	if err != nil {
		return nil, err
	}
	al, err := q.alpha(x, st)
	if err != nil {
		return nil, err
	}
	qmin, qmax := float64(q.S.QMin()), float64(q.S.QMax())
	qs := make([]int32, x.Len())
	xs := x.Float32()
	l.each(func(g, a, b int) {
		for i := a; i < b; i++ {
			v, _ := q.rounded(xs[i], sc[g], zp[g], al[i], false)
			qs[i] = int32(min(max(v, qmin), qmax))
		}
	})
	return tensor.Cast(tensor.New(x.Shape(), qs), q.S.StorageType()), nil
}
