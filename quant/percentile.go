package quant

import (
	"fmt"
	"math"
	"slices"

	"t2c/graph"
	"t2c/tensor"
)

// Percentile observer: the range is [P_(100−p), P_p] of the data instead
// of [min, max], clipping the rarest outliers. Percentiles are linearly
// interpolated between order statistics (numpy's and torch.quantile's
// default); over several calibration batches the per-batch percentiles
// are averaged (state "lo", "hi", "batches"). Option "percentile"
// (float, default 99.99) is p.

func init() { Register("percentile", newPercentile) }

type percentile struct {
	Affine
	p float64
}

func newPercentile(s Spec, a *graph.Attrs) (Quantizer, error) {
	p := float64(a.Float("percentile", 99.99))
	if !(p > 50 && p <= 100) {
		return nil, fmt.Errorf("option percentile must be in (50, 100], got %g", p)
	}
	s, err := s.withDefault("percentile", PerTensor, PerChannel)
	if err != nil {
		return nil, err
	}
	return percentile{Affine{s}, p}, nil
}

func (q percentile) Init(shape []int) ([]Param, error) {
	g, err := Groups(q.S, shape)
	if err != nil {
		return nil, err
	}
	return AffineParams(g, false,
		Param{Name: "lo", Value: tensor.Zeros(tensor.Float32, g)},
		Param{Name: "hi", Value: tensor.Zeros(tensor.Float32, g)},
		Param{Name: "batches", Value: tensor.Zeros(tensor.Float32, 1)}), nil
}

func (q percentile) Observe(x *tensor.Tensor, st State) error {
	if st.Scale == nil || st.ZeroPoint == nil || len(st.Extra) < 3 {
		return fmt.Errorf("needs scale, zero_point, lo, hi and batches inputs")
	}
	l, err := layoutFor(q.S, x.Shape(), st.Scale.Len())
	if err != nil {
		return err
	}
	lo, hi, n := st.Extra[0].Float32(), st.Extra[1].Float32(), st.Extra[2].Float32()
	if len(lo) != l.groups || len(hi) != l.groups || len(n) != 1 {
		return fmt.Errorf("lo/hi/batches hold %d/%d/%d values, want %d/%d/1", len(lo), len(hi), len(n), l.groups, l.groups)
	}
	var buf []float32
	for g := 0; g < l.groups; g++ {
		buf = l.gather(x.Float32(), g, buf)
		slices.Sort(buf)
		bl, bh := Quantile(buf, 1-q.p/100), Quantile(buf, q.p/100)
		if math.IsNaN(bl) || math.IsInf(bl, 0) || math.IsInf(bh, 0) {
			return fmt.Errorf("calibration data holds a non-finite value")
		}
		k := float64(n[0])
		lo[g] = float32((float64(lo[g])*k + bl) / (k + 1))
		hi[g] = float32((float64(hi[g])*k + bh) / (k + 1))
	}
	n[0]++
	setAffine(q.S, st, lo, hi)
	return nil
}

// Quantile returns the q-quantile (0 ≤ q ≤ 1) of sorted values, linearly
// interpolated between neighbouring order statistics:
// v[⌊h⌋] + (h − ⌊h⌋)·(v[⌊h⌋+1] − v[⌊h⌋]) with h = q·(n−1).
func Quantile(sorted []float32, q float64) float64 {
	if len(sorted) == 0 {
		return math.NaN()
	}
	h := q * float64(len(sorted)-1)
	i := int(math.Floor(h))
	if i >= len(sorted)-1 {
		return float64(sorted[len(sorted)-1])
	}
	a, b := float64(sorted[i]), float64(sorted[i+1])
	return a + (h-float64(i))*(b-a)
}
