package integer

import (
	"fmt"
	"math"

	"t2c/graph"
	"t2c/kernels"
	"t2c/tensor"
)

// This file holds what the transformer nonlinearities (IntSoftmax,
// IntGELU, IntLayerNorm, Lut; docs/INTEGER.md §5) share: the mode, the
// integer-only query, and the plumbing between integer tensors and the
// int64 rows the kernels compute on.

// Op types of the transformer nonlinearities.
const (
	OpIntSoftmax   = "IntSoftmax"
	OpIntGELU      = "IntGELU"
	OpIntLayerNorm = "IntLayerNorm"
	OpLut          = "Lut"
)

// Mode selects how a transformer nonlinearity is computed.
type Mode string

// Modes. Only ModeLUT and ModeInteger give integer-only graphs.
const (
	// ModeFloat dequantizes, computes in float64 and quantizes: a
	// reference, not integer-only (an accelerator would need a float unit).
	ModeFloat Mode = "float"
	// ModeLUT uses integer tables computed at conversion time.
	ModeLUT Mode = "lut"
	// ModeInteger uses I-BERT's integer polynomial approximations.
	ModeInteger Mode = "integer"
)

// attrMode is the string attribute holding a node's Mode.
const attrMode = "mode"

// ParseMode checks a mode name.
func ParseMode(s string) (Mode, error) {
	switch m := Mode(s); m {
	case ModeFloat, ModeLUT, ModeInteger:
		return m, nil
	}
	return "", fmt.Errorf("unknown nonlinearity mode %q (want %q, %q or %q)", s, ModeFloat, ModeLUT, ModeInteger)
}

// IntegerOnly reports whether node n computes with integers only, i.e. an
// accelerator can run it without a float unit. It is false exactly for
// nodes whose mode attribute is "float"; every other op of an integer graph
// is integer-only, except QuantizeInput, the graph's float input boundary,
// which callers treat separately.
func IntegerOnly(n *graph.Node) bool {
	a, ok := n.Attrs[attrMode]
	return !ok || a.Kind != graph.AttrString || Mode(a.String) != ModeFloat
}

// nlReadMode reads the mode attribute, failing on an unknown mode or on one
// the op does not offer.
func nlReadMode(a *graph.Attrs, allowed ...Mode) Mode {
	s := a.String(attrMode, "")
	m, err := ParseMode(s)
	if err != nil {
		a.Fail(attrMode, "%v", err)
		return ""
	}
	for _, ok := range allowed {
		if m == ok {
			return m
		}
	}
	a.Fail(attrMode, "mode %q is not offered by this op", m)
	return ""
}

// nlReadOutGrid reads the required per-tensor output grid and the optional
// layer attribute (metadata that never changes results).
func nlReadOutGrid(a *graph.Attrs) Grid {
	readLayer(a)
	g, ok := readOutGrid(a, true)
	switch {
	case !ok:
		return Grid{Bits: 8, Scale: []float64{1}}
	case g.Validate() == nil && len(g.Scale) != 1:
		a.Fail(AttrOutScale, "the output grid must be per-tensor, got %d scales", len(g.Scale))
	}
	return g
}

// nlF32 rounds a scale to the float32 an attribute stores, so that the
// constants a constructor derives use exactly the scale the node records
// (the float mode and the tables then agree bit for bit).
func nlF32(v float64) float64 { return float64(float32(v)) }

// nlF32Grid is g with its scales rounded as its attributes will store them.
func nlF32Grid(g Grid) Grid {
	g.Scale = append([]float64(nil), g.Scale...)
	for i, s := range g.Scale {
		g.Scale[i] = nlF32(s)
	}
	return g
}

// nlQuantize is the float modes' output quantizer, the same as
// QuantizeInput's: clamp(rne(v/s) + z, qmin, qmax).
func nlQuantize(v float64, g Grid) int64 {
	r := math.RoundToEven(v / g.Scale[0])
	lo, hi := float64(g.QMin()-g.ZeroPoint), float64(g.QMax()-g.ZeroPoint)
	return int64(min(max(r, lo), hi)) + g.ZeroPoint
}

// nlSignedInput fails unless d is a signed integer storage type, the input
// the softmax, GELU and LayerNorm read.
func nlSignedInput(d tensor.DType) error {
	switch d {
	case tensor.Int8, tensor.Int16, tensor.Int32:
		return nil
	}
	return fmt.Errorf("input is %v; want int8, int16 or int32", d)
}

// nlCodes returns the elements of an integer tensor as int64.
func nlCodes(x *tensor.Tensor) ([]int64, error) {
	switch x.DType() {
	case tensor.Int8:
		return nlWiden(tensor.Data[int8](x)), nil
	case tensor.Uint8:
		return nlWiden(tensor.Data[uint8](x)), nil
	case tensor.Int16:
		return nlWiden(tensor.Data[int16](x)), nil
	case tensor.Uint16:
		return nlWiden(tensor.Data[uint16](x)), nil
	case tensor.Int32:
		return nlWiden(tensor.Data[int32](x)), nil
	}
	return nil, fmt.Errorf("input is %v; want an integer storage type (int8…int32)", x.DType())
}

func nlWiden[T int8 | uint8 | int16 | uint16 | int32](v []T) []int64 {
	out := make([]int64, len(v))
	for i, x := range v {
		out[i] = int64(x)
	}
	return out
}

// nlStore writes codes (already clamped to the grid) into y, whose dtype is
// the output grid's storage type.
func nlStore(y *tensor.Tensor, v []int64) {
	switch y.DType() {
	case tensor.Int8:
		nlNarrow(tensor.Data[int8](y), v)
	case tensor.Uint8:
		nlNarrow(tensor.Data[uint8](y), v)
	case tensor.Int16:
		nlNarrow(tensor.Data[int16](y), v)
	case tensor.Uint16:
		nlNarrow(tensor.Data[uint16](y), v)
	case tensor.Int32:
		nlNarrow(tensor.Data[int32](y), v)
	default:
		panic("integer: store into " + y.DType().String())
	}
}

func nlNarrow[T int8 | uint8 | int16 | uint16 | int32](dst []T, v []int64) {
	for i, x := range v {
		dst[i] = T(x)
	}
}

// nlRows runs f on every row (the last axis) of x's codes in parallel and
// stores the results, which f writes in place, as out's dtype.
func nlRows(ctx *graph.Ctx, x *tensor.Tensor, out Grid, f func(row []int64)) (*tensor.Tensor, error) {
	v, err := nlCodes(x)
	if err != nil {
		return nil, err
	}
	d := 1
	if x.Rank() > 0 {
		d = x.Dim(x.Rank() - 1)
	}
	if d > 0 {
		kernels.Parallel(len(v)/d, max(1, 4096/d), func(lo, hi int) {
			for r := lo; r < hi; r++ {
				f(v[r*d : (r+1)*d])
			}
		})
	}
	y := ctx.Alloc(out.DType(), x.Shape()...)
	nlStore(y, v)
	return y, nil
}

// nlSameShape is the type inference of the nonlinearities: the input's
// shape, stored as the output grid's type.
func nlSameShape(in []graph.ValueInfo, out Grid, check func(tensor.DType) error) ([]graph.ValueInfo, error) {
	if len(in) < 1 {
		return nil, fmt.Errorf("needs 1 input")
	}
	if err := check(in[0].DType); err != nil {
		return nil, err
	}
	return []graph.ValueInfo{{DType: out.DType(), Shape: in[0].Shape}}, nil
}

// nlFloorDiv is ⌊a/b⌋ for b > 0 (Go's / truncates toward zero).
func nlFloorDiv(a, b int64) int64 {
	q := a / b
	if a%b != 0 && a < 0 {
		q--
	}
	return q
}

// nlDivRound is a/b rounded half up, for b > 0: ⌊(a + ⌊b/2⌋)/b⌋. For odd b
// no tie exists and the result is the nearest integer; for even b it is
// ⌊a/b + 1/2⌋. Either way it is exact: no wider intermediate is needed than
// a + b/2.
func nlDivRound(a, b int64) int64 { return nlFloorDiv(a+b/2, b) }

// nlFits reports whether a·b + c < 2⁶³: the int64 arithmetic of a term
// bounded so can never overflow. Kernels check it once from the bounds of
// their operands, so the element loops need no checks.
func nlFits(a, b, c uint64) bool { return productsFit(a, b, c, 1) }
