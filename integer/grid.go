package integer

import (
	"fmt"

	"t2c/graph"
	"t2c/tensor"
)

// Attribute names of every integer op's output grid (docs/INTEGER.md §1).
const (
	AttrOutBits      = "out_bits"
	AttrOutSigned    = "out_signed"
	AttrOutScale     = "out_scale"
	AttrOutZeroPoint = "out_zero_point"
	AttrOutAxis      = "out_axis"
)

// Grid is the integer grid of a value: real = Scale·(q − ZeroPoint).
type Grid struct {
	Bits      int
	Signed    bool
	Scale     []float64 // one scale, or one per channel of Axis
	Axis      int       // channel axis when len(Scale) > 1
	ZeroPoint int64
}

// QMin is the smallest integer of the grid.
func (g Grid) QMin() int64 {
	if g.Signed {
		return -(int64(1) << (g.Bits - 1))
	}
	return 0
}

// QMax is the largest integer of the grid.
func (g Grid) QMax() int64 {
	if g.Signed {
		return int64(1)<<(g.Bits-1) - 1
	}
	return int64(1)<<g.Bits - 1
}

// MaxAbs is the largest |q − ZeroPoint| on the grid.
func (g Grid) MaxAbs() int64 { return max(g.ZeroPoint-g.QMin(), g.QMax()-g.ZeroPoint) }

// DType is the storage type of the grid's integers.
func (g Grid) DType() tensor.DType { return StorageType(g.Bits, g.Signed) }

// ScaleOf is the scale of channel k (the only scale when per-tensor).
func (g Grid) ScaleOf(k int) float64 {
	if len(g.Scale) == 1 {
		return g.Scale[0]
	}
	return g.Scale[k]
}

// Validate checks the grid is representable.
func (g Grid) Validate() error {
	switch {
	case g.Bits < 2 || g.Bits > 32 || (!g.Signed && g.Bits > 31):
		return fmt.Errorf("grid bits %d (signed %v) out of range 2–32", g.Bits, g.Signed)
	case len(g.Scale) == 0:
		return fmt.Errorf("grid has no scale")
	case g.ZeroPoint < g.QMin() || g.ZeroPoint > g.QMax():
		return fmt.Errorf("zero point %d outside [%d, %d]", g.ZeroPoint, g.QMin(), g.QMax())
	}
	for _, s := range g.Scale {
		if !(s > 0) {
			return fmt.Errorf("grid scale %v is not positive", s)
		}
	}
	return nil
}

// StorageType is the narrowest integer type holding bits-bit values.
func StorageType(bits int, signed bool) tensor.DType {
	switch {
	case bits <= 8 && signed:
		return tensor.Int8
	case bits <= 8:
		return tensor.Uint8
	case bits <= 16 && signed:
		return tensor.Int16
	case bits <= 16:
		return tensor.Uint16
	}
	return tensor.Int32
}

// Attrs encodes the grid as output-grid attributes, added to m.
func (g Grid) Attrs(m map[string]graph.Attr) map[string]graph.Attr {
	if m == nil {
		m = map[string]graph.Attr{}
	}
	signed := int64(0)
	if g.Signed {
		signed = 1
	}
	m[AttrOutBits] = graph.IntAttr(int64(g.Bits))
	m[AttrOutSigned] = graph.IntAttr(signed)
	m[AttrOutScale] = graph.FloatsAttr(toFloat32s(g.Scale)...)
	m[AttrOutZeroPoint] = graph.IntAttr(g.ZeroPoint)
	if len(g.Scale) > 1 {
		m[AttrOutAxis] = graph.IntAttr(int64(g.Axis))
	}
	return m
}

// ReadGrid reads a node's output grid attributes through a (marking them
// read). Nodes without them report ok = false.
func ReadGrid(a *graph.Attrs) (g Grid, ok bool) {
	if !a.Has(AttrOutBits) {
		return Grid{}, false
	}
	g.Bits = int(a.Int(AttrOutBits, 32))
	g.Signed = a.Int(AttrOutSigned, 1) != 0
	for _, s := range a.Floats(AttrOutScale, []float32{1}) {
		g.Scale = append(g.Scale, float64(s))
	}
	g.ZeroPoint = a.Int(AttrOutZeroPoint, 0)
	g.Axis = int(a.Int(AttrOutAxis, 0))
	return g, true
}

// GridOf reads the output grid of node n without an Attrs reader.
func GridOf(n *graph.Node) (Grid, bool) {
	a := graph.NewAttrs(n)
	return ReadGrid(a)
}

func toFloat32s(v []float64) []float32 {
	out := make([]float32, len(v))
	for i, x := range v {
		out[i] = float32(x)
	}
	return out
}
