package export

import (
	"math/rand/v2"
	"path/filepath"
	"slices"
	"testing"

	"t2c/graph"
	"t2c/integer"
	"t2c/tensor"
)

// attentionFixture is a transformer-shaped integer graph on x [1, 2, 4, 6]
// (batch, heads, tokens, features): a linear layer (weights [4, 6],
// trans_b), Q·Kᵀ of two activations, their IntAdd, and a matrix product
// with [6, 3] weights that carry a zero point (not transposed).
func attentionFixture(t testing.TB) (*graph.Graph, []*tensor.Tensor) {
	t.Helper()
	r := rand.New(rand.NewPCG(3, 4))
	in := integer.Grid{Bits: 8, Scale: []float64{0.02}, ZeroPoint: 7}
	out := integer.Grid{Bits: 8, Signed: true, Scale: []float64{0.1}}
	acc := integer.Grid{Bits: 32, Signed: true, Scale: []float64{1e-4}}
	rescale := []integer.Fixed{{Multiplier: 1 << 30, Shift: 40, Bias: 3 << 20}}
	fc := make([]int8, 4*6)
	for i := range fc {
		fc[i] = int8(r.IntN(255) - 127)
	}
	head := make([]uint8, 6*3)
	for i := range head {
		head[i] = uint8(r.IntN(256))
	}
	g := graph.New("attention", 13)
	g.Inputs = []graph.ValueInfo{{Name: "x", DType: tensor.Float32, Shape: []int{1, 2, 4, 6}}}
	g.Outputs = []graph.ValueInfo{{Name: "sum"}, {Name: "y3"}}
	g.Params["fc.weight"] = tensor.New([]int{4, 6}, fc)
	g.Params["head.weight"] = tensor.New([]int{6, 3}, head)
	g.Nodes = []*graph.Node{
		integer.NewQuantizeInput("quant", "x", "xq", integer.QuantizeInputParams{Out: in}),
		integer.NewIntMatMul("fc/mm", "xq", "fc.weight", "acc1", integer.IntMatMulParams{AZeroPoint: 7, TransB: true, Out: acc, Layer: "blocks.0.fc"}),
		integer.NewRequant("fc/rq", "acc1", "y1", integer.RequantParams{Channels: rescale, Out: out, Layer: "blocks.0.fc"}),
		integer.NewIntMatMul("qk/mm", "xq", "xq", "acc2", integer.IntMatMulParams{AZeroPoint: 7, BZeroPoint: 7, TransB: true, Out: acc, Layer: "blocks.0.attn.qk"}),
		integer.NewRequant("qk/rq", "acc2", "y2", integer.RequantParams{Channels: rescale, Out: out, Layer: "blocks.0.attn.qk"}),
		integer.NewIntAdd("add", "y1", "y2", "sum", integer.IntAddParams{AMultiplier: 3 << 20, BMultiplier: 5 << 19, Shift: 22, Out: out, Layer: "blocks.0.add"}),
		integer.NewIntMatMul("head/mm", "xq", "head.weight", "acc3", integer.IntMatMulParams{AZeroPoint: 7, BZeroPoint: 128, Out: acc, Layer: "head"}),
		integer.NewRequant("head/rq", "acc3", "y3", integer.RequantParams{Channels: rescale, Out: out, Layer: "head"}),
	}
	x := make([]float32, 2*4*6)
	for i := range x {
		x[i] = float32(r.Float64()*4 - 1)
	}
	return g, []*tensor.Tensor{tensor.New([]int{1, 2, 4, 6}, x)}
}

func TestWriteMatMulLayers(t *testing.T) {
	g, samples := attentionFixture(t)
	dir := filepath.Join(t.TempDir(), "out")
	m, err := Write(dir, g, samples, Options{PE: 3})
	if err != nil {
		t.Fatal(err)
	}
	vals := golden(t, g, samples[0])
	// C = accᵀ per (batch, head) group.
	transposed := func(name string) []int64 {
		a := vals[name]
		rows, cols := a.Dim(-2), a.Dim(-1)
		v := mustInts(t, a)
		var out []int64
		for gi := range a.Len() / (rows * cols) {
			for j := range cols {
				for i := range rows {
					out = append(out, v[gi*rows*cols+i*cols+j])
				}
			}
		}
		return out
	}
	for _, c := range []struct {
		layer, acc string
		m, k, n    int
		azp, bzp   int64
		x2Kind     string
	}{
		{"blocks.0.fc", "acc1", 4, 6, 4, 0, 7, "param"},
		{"blocks.0.attn.qk", "acc2", 4, 6, 4, 7, 7, "activation"},
		{"head", "acc3", 3, 6, 4, 128, 7, "param"},
	} {
		l := layerByName(t, m, c.layer)
		gm := l.GEMM
		if gm == nil || gm.Groups != 2 || gm.M != c.m || gm.K != c.k || gm.N != c.n || gm.AZeroPoint != c.azp || gm.BZeroPoint != c.bzp {
			t.Fatalf("%s: GEMM %+v", c.layer, gm)
		}
		if l.X2 == nil || l.X2.Kind != c.x2Kind || l.Files[0]["xcol"] != nil {
			t.Errorf("%s: x2 %+v, xcol files %v", c.layer, l.X2, l.Files[0]["xcol"])
		}
		checkTiles(t, dir, l, transposed(c.acc))
		assertSameTensor(t, readNPYFile(t, dir, l.Files[0]["acc"][0]), vals[c.acc])
	}
	if n := nodeByName(t, m, "fc/mm"); n.MACs != 2*4*4*6 {
		t.Errorf("fc MACs %d", n.MACs)
	}
	add := layerByName(t, m, "blocks.0.add")
	if add.Acc != nil || add.GEMM != nil || add.X2 == nil || !slices.Equal(add.Params, []string{"blocks.0.add.a_multiplier", "blocks.0.add.b_multiplier", "blocks.0.add.shift"}) {
		t.Errorf("add layer %+v", add)
	}
	assertSameTensor(t, readNPYFile(t, dir, add.Files[0]["x2"][0]), vals["y2"])
	assertSameTensor(t, readNPYFile(t, dir, add.Files[0]["y"][0]), vals["sum"])
	if p := paramByName(t, m, "blocks.0.add.shift"); !slices.Equal(p.Shape, []int{1}) || p.Min != 22 {
		t.Errorf("IntAdd shift entry %+v", p)
	}
	if p := paramByName(t, m, "head.weight"); p.DType != "uint8" || p.Signed || p.Bits != 8 {
		t.Errorf("uint8 weight entry %+v", p)
	}
}
