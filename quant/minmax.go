package quant

import (
	"fmt"
	"math"

	"t2c/graph"
	"t2c/tensor"
)

// MinMax observers (Torch2Chip's minmax, minmax_channel, minmax_token):
// scale and zero point from the range [min, max] of the data, asymmetric
// for unsigned formats and symmetric for signed ones (AffineFromRange).
// minmax and minmax_channel keep running min/max over calibration batches
// (state "min", "max") and are static afterwards; minmax_token computes
// one scale per token row from the data at every run, for any number of
// tokens (dynamic quantization: its QParams need the operand).

func init() {
	Register("minmax", minmaxFactory("minmax", PerTensor, PerChannel))
	Register("minmax_channel", minmaxFactory("minmax_channel", PerChannel))
	Register("minmax_token", newMinMaxToken)
	// Torch2Chip's SmoothQuant quantizer names: min-max after smoothing.
	Register("smooth", minmaxFactory("smooth", PerTensor, PerChannel))
	Register("smooth_channel", minmaxFactory("smooth_channel", PerChannel))
	Register("smooth_token", newMinMaxToken)
}

func minmaxFactory(name string, def Granularity, allowed ...Granularity) Factory {
	return func(s Spec, _ *graph.Attrs) (Quantizer, error) {
		s, err := s.withDefault(name, def, allowed...)
		if err != nil {
			return nil, err
		}
		return minmax{Affine{s}}, nil
	}
}

// minmax is a static running min/max observer.
type minmax struct{ Affine }

// rangeParams are the running-range state: min (+Inf) and max (−Inf).
func rangeParams(groups int) []Param {
	lo, hi := tensor.Zeros(tensor.Float32, groups), tensor.Zeros(tensor.Float32, groups)
	for i := 0; i < groups; i++ {
		lo.Float32()[i], hi.Float32()[i] = float32(math.Inf(1)), float32(math.Inf(-1))
	}
	return []Param{{Name: "min", Value: lo}, {Name: "max", Value: hi}}
}

func (q minmax) Init(shape []int) ([]Param, error) {
	g, err := Groups(q.S, shape)
	if err != nil {
		return nil, err
	}
	return AffineParams(g, false, rangeParams(g)...), nil
}

func (q minmax) Observe(x *tensor.Tensor, st State) error {
	_, err := observeRange(q.S, x, st)
	if err != nil {
		return err
	}
	setAffine(q.S, st, st.Extra[0].Float32(), st.Extra[1].Float32())
	return nil
}

// observeRange folds x's per-group range into the running min/max held in
// st.Extra[0:2] and returns x's layout.
func observeRange(s Spec, x *tensor.Tensor, st State) (layout, error) {
	if st.Scale == nil || st.ZeroPoint == nil || len(st.Extra) < 2 {
		return layout{}, fmt.Errorf("needs scale, zero_point, min and max inputs")
	}
	l, err := layoutFor(s, x.Shape(), st.Scale.Len())
	if err != nil {
		return l, err
	}
	lo, hi := groupRange(x.Float32(), l)
	rmin, rmax := st.Extra[0].Float32(), st.Extra[1].Float32()
	if len(rmin) != l.groups || len(rmax) != l.groups {
		return l, fmt.Errorf("min/max hold %d/%d values, want %d", len(rmin), len(rmax), l.groups)
	}
	for g := range lo {
		if math.IsNaN(float64(lo[g])) || math.IsInf(float64(lo[g]), 0) || math.IsInf(float64(hi[g]), 0) {
			return l, fmt.Errorf("calibration data holds a non-finite value")
		}
		rmin[g], rmax[g] = min(rmin[g], lo[g]), max(rmax[g], hi[g])
	}
	return l, nil
}

// dynamicToken quantizes each token row with its own min/max at run time.
type dynamicToken struct{ s Spec }

func newMinMaxToken(s Spec, _ *graph.Attrs) (Quantizer, error) {
	s, err := s.withDefault("minmax_token", PerToken)
	if err != nil {
		return nil, err
	}
	return dynamicToken{s}, nil
}

func (q dynamicToken) Spec() Spec                          { return q.s }
func (q dynamicToken) Init([]int) ([]Param, error)         { return nil, nil }
func (q dynamicToken) Observe(*tensor.Tensor, State) error { return nil }

// params computes one scale and zero point per row of x.
func (q dynamicToken) params(x *tensor.Tensor) (layout, []float32, []int32, error) {
	l, err := layoutFor(q.s, x.Shape(), 0)
	if err != nil {
		return l, nil, nil, err
	}
	lo, hi := groupRange(x.Float32(), l)
	s, z := make([]float32, l.groups), make([]int32, l.groups)
	for g := range lo {
		s[g], z[g] = AffineFromRange(q.s, lo[g], hi[g])
	}
	return l, s, z, nil
}

func (q dynamicToken) Forward(ctx *graph.Ctx, x *tensor.Tensor, _ State, _ bool) (*tensor.Tensor, *tensor.Tensor, error) {
	l, s, z, err := q.params(x)
	if err != nil {
		return nil, nil, err
	}
	y := ctx.Alloc(tensor.Float32, x.Shape()...)
	fakeQuant(x.Float32(), y.Float32(), l, s, z, int32(q.s.QMin()), int32(q.s.QMax()))
	return y, nil, nil
}

// Backward is the straight-through estimator with the row ranges taken as
// constants.
func (q dynamicToken) Backward(_ *graph.Ctx, x *tensor.Tensor, _ State, _ bool, _, dy *tensor.Tensor) (*tensor.Tensor, []*tensor.Tensor, error) {
	l, s, z, err := q.params(x)
	if err != nil {
		return nil, nil, err
	}
	dx := tensor.Zeros(tensor.Float32, x.Shape()...)
	steGrad(x.Float32(), dy.Float32(), dx.Float32(), l, s, z, int32(q.s.QMin()), int32(q.s.QMax()))
	return dx, nil, nil
}

// QParams returns one scale and zero point per row of x (required).
func (q dynamicToken) QParams(x *tensor.Tensor, _ State) (*QParams, error) {
	if x == nil {
		return nil, fmt.Errorf("per-token parameters depend on the data; pass the operand")
	}
	_, s, z, err := q.params(x)
	if err != nil {
		return nil, err
	}
	return &QParams{Spec: q.s, Scale: s, ZeroPoint: z, Shape: append([]int(nil), x.Shape()...)}, nil
}
