package quant

import (
	"math"
	"slices"

	"t2c/graph"
	"t2c/tensor"
)

// MSE range search (Torch2Chip's observer for LSQ and AdaRound, also
// available alone as "mse"): of the 100 shrunk ranges
// [min·(1−0.01i), max·(1−0.01i)], i = 0..99, keep the one whose
// quantize-dequantize x̂ minimises mean |x − x̂|^2.4 (the first on ties).
// The running min/max is kept over calibration batches like minmax; the
// search runs on the latest batch with that running range (on at most
// 16,384 of its elements per scale: see mseMaxSamples).

func init() { Register("mse", newMSE) }

const (
	mseCandidates = 100
	mseStep       = 0.01
	mseNorm       = 2.4
	// mseMaxSamples bounds the elements one group's search evaluates; a
	// larger group is searched on an evenly strided subsample that always
	// holds its minimum and maximum (the range still comes from every
	// element of every batch).
	mseMaxSamples = 1 << 14
)

// MSEShrink returns the shrink factor 1 − 0.01·i of search candidate i.
func MSEShrink(i int) float32 { return float32(1 - float64(i)*mseStep) }

// mseSearch returns the best scale, zero point and candidate index for
// the values vals whose range is [lo, hi].
func mseSearch(s Spec, vals []float32, lo, hi float32) (float32, int32, int) {
	if len(vals) > mseMaxSamples {
		step := float64(len(vals)) / mseMaxSamples
		sub := make([]float32, mseMaxSamples)
		for i := range sub {
			sub[i] = vals[int(float64(i)*step)]
		}
		sub[0], sub[1] = slices.Min(vals), slices.Max(vals)
		vals = sub
	}
	qmin, qmax := int32(s.QMin()), int32(s.QMax())
	best := math.Inf(1)
	var bs float32
	var bz int32
	bi := 0
	for i := 0; i < mseCandidates; i++ {
		f := MSEShrink(i)
		sc, z := AffineFromRange(s, lo*f, hi*f)
		loss := lpLoss(vals, sc, z, qmin, qmax)
		if loss < best || i == 0 {
			best, bs, bz, bi = loss, sc, z, i
		}
	}
	return bs, bz, bi
}

// lpLoss is mean |x − x̂|^2.4.
func lpLoss(vals []float32, s float32, z, qmin, qmax int32) float64 {
	var sum float64
	for _, x := range vals {
		q, _ := quantize1(x, s, z, qmin, qmax)
		d := math.Abs(float64(float32(q-z)*s - x))
		if d != 0 {
			sum += pow24(d)
		}
	}
	return sum / float64(max(len(vals), 1))
}

// mseFit sets every group's scale and zero point by the search over x with
// the ranges lo, hi.
func mseFit(s Spec, x []float32, l layout, lo, hi []float32, st State) {
	sc, zp := st.Scale.Float32(), st.ZeroPoint.Int32()
	var buf []float32
	for g := 0; g < l.groups; g++ {
		buf = l.gather(x, g, buf)
		sc[g], zp[g], _ = mseSearch(s, buf, lo[g], hi[g])
	}
}

// mseObserve is the observer of mse and LSQ: running range, then search.
func mseObserve(s Spec, x *tensor.Tensor, st State) error {
	l, err := observeRange(s, x, st)
	if err != nil {
		return err
	}
	mseFit(s, x.Float32(), l, st.Extra[0].Float32(), st.Extra[1].Float32(), st)
	return nil
}

// mse is a static quantizer calibrated by the MSE search.
type mse struct{ Affine }

func newMSE(s Spec, _ *graph.Attrs) (Quantizer, error) {
	s, err := s.withDefault("mse", PerTensor, PerChannel)
	if err != nil {
		return nil, err
	}
	return mse{Affine{s}}, nil
}

func (q mse) Init(shape []int) ([]Param, error) {
	g, err := Groups(q.S, shape)
	if err != nil {
		return nil, err
	}
	return AffineParams(g, false, rangeParams(g)...), nil
}

func (q mse) Observe(x *tensor.Tensor, st State) error { return mseObserve(q.S, x, st) }
