package quant

import (
	"fmt"
	"math"

	"t2c/graph"
	"t2c/tensor"
)

// This file holds the arithmetic every affine (scale + zero point)
// quantizer shares, in float32 like PyTorch:
//
//	q = clamp(round_half_even(x / s) + z, qmin, qmax),  x̂ = (q − z)·s.

// scaleEps is the smallest scale, as PyTorch's observers
// (torch.finfo(torch.float32).eps): a constant group gets a usable scale.
const scaleEps = 1.1920929e-07

// layout views a tensor as [outer, groups, inner]: element
// (o·groups + g)·inner + k uses scale g.
type layout struct{ outer, groups, inner int }

// each calls f for every contiguous run [lo, hi) of elements sharing a group.
func (l layout) each(f func(g, lo, hi int)) {
	for o := 0; o < l.outer; o++ {
		for g := 0; g < l.groups; g++ {
			lo := (o*l.groups + g) * l.inner
			f(g, lo, lo+l.inner)
		}
	}
}

// perGroup is the number of elements sharing one scale.
func (l layout) perGroup() int { return l.outer * l.inner }

// normAxis maps a possibly negative axis into [0, rank).
func normAxis(axis, rank int) (int, error) {
	if axis < -rank || axis >= rank {
		return 0, fmt.Errorf("axis %d out of range for rank %d", axis, rank)
	}
	if axis < 0 {
		axis += rank
	}
	return axis, nil
}

// layoutFor maps a shape onto groups for an affine granularity. groups is
// the number of scales the state holds; 0 lets per-token granularity take
// one scale per row of this data (dynamic). With a fixed number T of token
// scales, row r uses scale r mod T (T tokens per sample, any batch).
func layoutFor(s Spec, shape []int, groups int) (layout, error) {
	n := tensor.NumElems(shape)
	switch s.Granularity {
	case PerTensor:
		return layout{1, 1, n}, nil
	case PerChannel:
		ax, err := normAxis(s.Axis, len(shape))
		if err != nil {
			return layout{}, fmt.Errorf("channel axis: %w", err)
		}
		outer, c, inner := tensor.SplitAxis(shape, ax)
		if groups > 0 && c != groups {
			return layout{}, fmt.Errorf("operand %v has %d channels on axis %d, the quantizer holds %d scales", shape, c, s.Axis, groups)
		}
		return layout{outer, c, inner}, nil
	case PerToken:
		if len(shape) == 0 {
			return layout{}, fmt.Errorf("token granularity needs a tensor of rank ≥ 1")
		}
		d := shape[len(shape)-1]
		rows := 0
		if d > 0 {
			rows = n / d
		}
		if groups == 0 {
			groups = rows
		}
		if groups == 0 || rows%groups != 0 {
			return layout{}, fmt.Errorf("operand %v has %d token rows, not a multiple of the quantizer's %d token scales", shape, rows, groups)
		}
		return layout{rows / groups, groups, d}, nil
	}
	return layout{}, fmt.Errorf("granularity %q is not affine", s.Granularity)
}

// Groups is the number of scales a static affine quantizer keeps for an
// operand of the given shape: 1 per tensor, the channel count per channel,
// the rows of one sample per token (shape is then that of a batch of one).
func Groups(s Spec, shape []int) (int, error) {
	switch s.Granularity {
	case PerTensor:
		return 1, nil
	case PerChannel, PerToken:
		if shape == nil {
			return 0, fmt.Errorf("%s granularity needs the operand's shape", s.Granularity)
		}
		l, err := layoutFor(s, shape, 0)
		return l.groups, err
	}
	return 0, fmt.Errorf("granularity %q is not affine", s.Granularity)
}

// AffineFromRange returns the scale and zero point that map [lo, hi] onto
// the integer range of s (the range is first widened to include 0, as
// PyTorch's observers do, so that zero — and zero padding — is exact and the
// zero point lies in [QMin, QMax]):
//
//	unsigned: s = (hi − lo)/(qmax − qmin), z = qmin − round(lo/s)
//	signed:   s = max(|lo|, |hi|)/((qmax − qmin)/2), z = 0
func AffineFromRange(s Spec, lo, hi float32) (scale float32, zeroPoint int32) {
	lo, hi = min(lo, 0), max(hi, 0)
	qmin, qmax := float32(s.QMin()), float32(s.QMax())
	if s.Signed {
		scale = max(-lo, hi) / ((qmax - qmin) / 2)
		return max(scale, scaleEps), 0
	}
	scale = max((hi-lo)/(qmax-qmin), scaleEps)
	z := float64(qmin) - math.RoundToEven(float64(lo/scale))
	return scale, int32(min(max(z, float64(qmin)), float64(qmax)))
}

// quantize1 quantizes one value and reports whether it fell inside the
// integer range before clamping (where the straight-through gradient flows).
func quantize1(x, s float32, z, qmin, qmax int32) (int32, bool) {
	r := math.RoundToEven(float64(x/s)) + float64(z)
	switch {
	case r < float64(qmin):
		return qmin, false
	case r > float64(qmax):
		return qmax, false
	case r != r: // NaN input
		return z, false
	}
	return int32(r), true
}

// fakeQuant writes the quantize-dequantize of x into y.
func fakeQuant(x, y []float32, l layout, s []float32, z []int32, qmin, qmax int32) {
	l.each(func(g, lo, hi int) {
		sg, zg := s[g], z[g]
		for i := lo; i < hi; i++ {
			q, _ := quantize1(x[i], sg, zg, qmin, qmax)
			y[i] = float32(q-zg) * sg
		}
	})
}

// steGrad is the straight-through gradient of fakeQuant: dy where the
// value was inside the integer range, 0 where it was clamped.
func steGrad(x, dy, dx []float32, l layout, s []float32, z []int32, qmin, qmax int32) {
	l.each(func(g, lo, hi int) {
		for i := lo; i < hi; i++ {
			if _, in := quantize1(x[i], s[g], z[g], qmin, qmax); in {
				dx[i] = dy[i]
			} else {
				dx[i] = 0
			}
		}
	})
}

// lsqScaleGrad accumulates LSQ's step-size gradient per group:
//
//	∂x̂/∂s = round(x/s) − x/s inside the range, q − z where clamped,
//
// times the gradient scale g = 1/√(N·qmax) with N the number of elements
// sharing the scale (numel(x) for a per-tensor scale).
func lsqScaleGrad(x, dy []float32, l layout, s []float32, z []int32, qmin, qmax int32) []float32 {
	ds := make([]float64, l.groups)
	l.each(func(g, lo, hi int) {
		sg, zg := s[g], z[g]
		var acc float64
		for i := lo; i < hi; i++ {
			q, in := quantize1(x[i], sg, zg, qmin, qmax)
			var d float64
			if in {
				v := x[i] / sg
				d = math.RoundToEven(float64(v)) - float64(v)
			} else {
				d = float64(q - zg)
			}
			acc += float64(dy[i]) * d
		}
		ds[g] += acc
	})
	gs := lsqGradScale(l.perGroup(), int(qmax))
	out := make([]float32, l.groups)
	for g, v := range ds {
		out[g] = float32(v * gs)
	}
	return out
}

// lsqGradScale is LSQ's g = 1/√(N·qmax).
func lsqGradScale(n, qmax int) float64 { return 1 / math.Sqrt(float64(n)*float64(qmax)) }

// groupRange returns each group's minimum and maximum.
func groupRange(x []float32, l layout) (lo, hi []float32) {
	lo, hi = make([]float32, l.groups), make([]float32, l.groups)
	for g := range lo {
		lo[g], hi[g] = float32(math.Inf(1)), float32(math.Inf(-1))
	}
	l.each(func(g, a, b int) {
		for _, v := range x[a:b] {
			lo[g], hi[g] = min(lo[g], v), max(hi[g], v)
		}
	})
	return lo, hi
}

// gather copies the elements of group g into dst (reused) and returns it.
func (l layout) gather(x []float32, g int, dst []float32) []float32 {
	dst = dst[:0]
	for o := 0; o < l.outer; o++ {
		lo := (o*l.groups + g) * l.inner
		dst = append(dst, x[lo:lo+l.inner]...)
	}
	return dst
}

// GroupRange returns the minimum and maximum of x per scale group of s
// (groups as in Groups; 0 for one per token row of x).
func GroupRange(s Spec, x *tensor.Tensor, groups int) (lo, hi []float32, err error) {
	l, err := layoutFor(s, x.Shape(), groups)
	if err != nil {
		return nil, nil, err
	}
	lo, hi = groupRange(x.Float32(), l)
	return lo, hi, nil
}

// AffineParams returns the state of a static affine quantizer with the
// given number of groups — "scale" (ones) and "zero_point" (zeros) — then
// extra.
func AffineParams(groups int, learnScale bool, extra ...Param) []Param {
	ones := tensor.Zeros(tensor.Float32, groups)
	for i := range ones.Float32() {
		ones.Float32()[i] = 1
	}
	return append([]Param{
		{Name: "scale", Value: ones, Learnable: learnScale},
		{Name: "zero_point", Value: tensor.Zeros(tensor.Int32, groups)},
	}, extra...)
}

// Affine implements Spec, Forward, Backward and QParams of a static affine
// quantizer whose State holds Scale and ZeroPoint (one per group): the
// forward is fake quantization with round-half-to-even, the backward the
// straight-through estimator (no gradient for the scale). Embed it and
// write Init and Observe to define a new observer-style algorithm.
type Affine struct{ S Spec }

// Spec implements Quantizer.
func (a Affine) Spec() Spec { return a.S }

func (a Affine) layout(x *tensor.Tensor, st State) (layout, []float32, []int32, error) {
	if st.Scale == nil || st.ZeroPoint == nil {
		return layout{}, nil, nil, fmt.Errorf("needs scale and zero_point inputs")
	}
	if st.Scale.Len() != st.ZeroPoint.Len() {
		return layout{}, nil, nil, fmt.Errorf("scale has %d values, zero_point %d", st.Scale.Len(), st.ZeroPoint.Len())
	}
	l, err := layoutFor(a.S, x.Shape(), st.Scale.Len())
	if err != nil {
		return layout{}, nil, nil, err
	}
	if l.groups != st.Scale.Len() {
		return layout{}, nil, nil, fmt.Errorf("operand %v needs %d scales, the quantizer holds %d", x.Shape(), l.groups, st.Scale.Len())
	}
	return l, st.Scale.Float32(), st.ZeroPoint.Int32(), nil
}

// Forward implements Quantizer.
func (a Affine) Forward(ctx *graph.Ctx, x *tensor.Tensor, st State, _ bool) (*tensor.Tensor, *tensor.Tensor, error) {
	l, s, z, err := a.layout(x, st)
	if err != nil {
		return nil, nil, err
	}
	y := ctx.Alloc(tensor.Float32, x.Shape()...)
	fakeQuant(x.Float32(), y.Float32(), l, s, z, int32(a.S.QMin()), int32(a.S.QMax()))
	return y, nil, nil
}

// Backward implements Quantizer: the straight-through estimator.
func (a Affine) Backward(_ *graph.Ctx, x *tensor.Tensor, st State, _ bool, _, dy *tensor.Tensor) (*tensor.Tensor, []*tensor.Tensor, error) {
	l, s, z, err := a.layout(x, st)
	if err != nil {
		return nil, nil, err
	}
	dx := tensor.Zeros(tensor.Float32, x.Shape()...)
	steGrad(x.Float32(), dy.Float32(), dx.Float32(), l, s, z, int32(a.S.QMin()), int32(a.S.QMax()))
	return dx, nil, nil
}

// QParams implements Quantizer: a copy of the state's scales and zero points.
func (a Affine) QParams(x *tensor.Tensor, st State) (*QParams, error) {
	if st.Scale == nil || st.ZeroPoint == nil {
		return nil, fmt.Errorf("needs scale and zero_point inputs")
	}
	p := &QParams{Spec: a.S, Scale: append([]float32(nil), st.Scale.Float32()...), ZeroPoint: append([]int32(nil), st.ZeroPoint.Int32()...)}
	if x != nil {
		if _, _, _, err := a.layout(x, st); err != nil {
			return nil, err
		}
	}
	return p, nil
}

// setAffine stores per-group scales and zero points computed from ranges.
func setAffine(s Spec, st State, lo, hi []float32) {
	sc, zp := st.Scale.Float32(), st.ZeroPoint.Int32()
	for g := range lo {
		sc[g], zp[g] = AffineFromRange(s, lo[g], hi[g])
	}
}
