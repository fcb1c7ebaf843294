package fuse

import (
	"math"

	"t2c/graph"
	"t2c/integer"
	"t2c/quant"
	"t2c/tensor"
)

// value is the integer representation of one float value of the source
// graph. Exactly one of the kinds is set.
type value struct {
	shape []int

	// konst: a float constant (parameter or folded value).
	konst *tensor.Tensor

	// weight: a quantized weight's integers and their parameters.
	weight *quantWeight

	// ints: a materialised integer value of the integer graph.
	ints *intValue

	// lazy: a value not yet materialised (accumulator, add, pool).
	lazy *lazyValue
}

// quantWeight is a weight parameter after its quantizer (and mask).
type quantWeight struct {
	q      *tensor.Tensor // integers, storage type of the spec
	params *quant.QParams
	layer  string
}

// intValue is a value of the integer graph and its grid.
type intValue struct {
	name  string
	grid  integer.Grid
	bound float64 // max |real value| it can hold (for range analysis)
}

// maxAbsReal is the largest |real| representable on the value's grid (a
// safe bound when nothing tighter is known).
func (v *intValue) maxAbsReal() float64 {
	s := 0.0
	for i := range v.grid.Scale {
		s = math.Max(s, v.grid.ScaleOf(i))
	}
	return s * float64(v.grid.MaxAbs())
}

// realRange is a closed interval of real values, the clamp that fused
// activations impose on a lazy value.
type realRange struct{ lo, hi float64 }

func fullRange() realRange { return realRange{math.Inf(-1), math.Inf(1)} }

func (r realRange) intersect(o realRange) realRange {
	return realRange{math.Max(r.lo, o.lo), math.Min(r.hi, o.hi)}
}

func (r realRange) isFull() bool { return math.IsInf(r.lo, -1) && math.IsInf(r.hi, 1) }

// lazyValue is a value whose integers are produced on demand on the grid
// the consumer asks for, by emit. Its real value is clamp(v, clip) where
// v is what emit computes before clamping.
type lazyValue struct {
	kind  string // "acc", "add", "pool", "requant" (a materialised value seen through a rescale or clamp)
	clip  realRange
	bound float64 // max |real| before the clamp

	// acc: int32 accumulator `src` with real = alpha[k]·acc + beta[k]
	// along axis (one entry: per tensor).
	src         string
	alpha, beta []float64
	axis        int
	layer       string
	accBound    []float64 // max |acc| per channel

	// add: real = a + gain·b of two materialised operands (gain ±1).
	a, b *intValue

	// pool: average pool of the materialised value in over windows of
	// window elements, with the IntAvgPool attributes poolAttrs.
	in        *intValue
	window    int
	poolAttrs map[string]graph.Attr

	// requant: the materialised value in seen through a positive rescale
	// (real = in.real · gain).
	gain float64

	cache map[string]*intValue // materialisations by target grid
}
