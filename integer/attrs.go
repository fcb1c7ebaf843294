package integer

import (
	"math"

	"t2c/graph"
)

// Attribute names shared by the rescaling ops (Requant, IntAdd, IntAvgPool).
const (
	attrLo = "lo"
	attrHi = "hi"
)

// Limits every op checks at build time (docs/INTEGER.md §3): multipliers
// and zero points are below 2³¹ in magnitude, so that products with 32-bit
// values stay below 2⁶³; shifts are in [0, 62]; biases below 2⁶².
const (
	maxMultiplier = 1<<31 - 1
	maxShift      = 62
	maxBias       = 1<<62 - 1
)

// readLayer marks the optional layer attribute read: it is metadata (the
// float module the node came from) and never changes results.
func readLayer(a *graph.Attrs) { a.String(AttrLayer, "") }

// readOutGrid reads and validates the output grid. Ops whose output type
// is the grid's storage type require it; the accumulator ops (IntConv,
// IntMatMul) record it only as metadata, and must then describe int32.
func readOutGrid(a *graph.Attrs, required bool) (Grid, bool) {
	g, ok := ReadGrid(a)
	if !ok {
		if required {
			a.Fail(AttrOutBits, "is required: the op's output type is its grid's storage type")
		}
		return g, false
	}
	if err := g.Validate(); err != nil {
		a.Fail(AttrOutBits, "%v", err)
	}
	return g, true
}

// readAccGrid reads the optional output grid of an accumulator op, which
// must be a signed 32-bit grid with zero point 0 (the output is int32).
func readAccGrid(a *graph.Attrs) {
	g, ok := readOutGrid(a, false)
	if ok && (g.Bits != 32 || !g.Signed || g.ZeroPoint != 0) {
		a.Fail(AttrOutBits, "an int32 accumulator's grid must be signed 32-bit with zero point 0, got %d bits signed=%v zero point %d",
			g.Bits, g.Signed, g.ZeroPoint)
	}
}

// readClamp reads lo and hi, by default the grid's limits; they must lie
// inside the grid so that storing never wraps.
func readClamp(a *graph.Attrs, g Grid) (lo, hi int64) {
	lo, hi = a.Int(attrLo, g.QMin()), a.Int(attrHi, g.QMax())
	if lo > hi || lo < g.QMin() || hi > g.QMax() {
		a.Fail(attrLo, "clamp range [%d, %d] must be non-empty and inside the output grid [%d, %d]", lo, hi, g.QMin(), g.QMax())
	}
	return lo, hi
}

// checkMultiplier fails unless |m| < 2³¹.
func checkMultiplier(a *graph.Attrs, name string, m int64) {
	if m > maxMultiplier || m < -maxMultiplier {
		a.Fail(name, "multiplier %d does not fit 31 bits and a sign", m)
	}
}

// checkShift fails unless s ∈ [0, 62].
func checkShift(a *graph.Attrs, name string, s int64) {
	if s < 0 || s > maxShift {
		a.Fail(name, "shift %d outside [0, %d]", s, maxShift)
	}
}

// checkZeroPoint fails unless |z| < 2³¹ (the zero point of a grid of at
// most 32 bits).
func checkZeroPoint(a *graph.Attrs, name string, z int64) {
	if z < math.MinInt32 || z > math.MaxInt32 {
		a.Fail(name, "zero point %d does not fit 32 bits", z)
	}
}

// clampOrGrid resolves a params struct's clamp limits: lo = hi = 0 (the zero
// value, never a useful range) means the grid's own limits.
func clampOrGrid(lo, hi int64, g Grid) (int64, int64) {
	if lo == 0 && hi == 0 {
		return g.QMin(), g.QMax()
	}
	return lo, hi
}

// newNode builds a one-output node, adding the layer attribute when set.
func newNode(name, op string, inputs []string, output, layer string, attrs map[string]graph.Attr) *graph.Node {
	if layer != "" {
		attrs[AttrLayer] = graph.StringAttr(layer)
	}
	return &graph.Node{Name: name, Op: op, Inputs: inputs, Outputs: []string{output}, Attrs: attrs}
}

// intsAttr converts Go ints to an integer-list attribute.
func intsAttr[T ~int | ~int64](v []T) graph.Attr {
	out := make([]int64, len(v))
	for i, x := range v {
		out[i] = int64(x)
	}
	return graph.IntsAttr(out...)
}

// boolAttr is 1 for true, 0 for false.
func boolAttr(b bool) graph.Attr {
	if b {
		return graph.IntAttr(1)
	}
	return graph.IntAttr(0)
}

// readOperandWidths marks the optional <role>_bits and <role>_signed
// attributes as read: metadata declaring the width of a parameter operand
// narrower than its storage (4-bit weights in int8), which export writes
// at that width and the arithmetic does not need.
func readOperandWidths(a *graph.Attrs, roles ...string) {
	for _, r := range roles {
		a.Int(r+"_bits", 0)
		a.Int(r+"_signed", 1)
	}
}
