package export

import (
	"slices"
	"testing"

	"t2c/graph"
	"t2c/kernels"
	"t2c/tensor"
)

func TestTileMatrixOrder(t *testing.T) {
	// 3×5 matrix, P = 2: padded to 4×6 with 9, tiles row-block-major.
	m := []int64{
		1, 2, 3, 4, 5,
		6, 7, 8, 9, 10,
		11, 12, 13, 14, 15,
	}
	got := tileMatrix(m, 3, 5, 2, 9)
	want := []int64{
		1, 2, 6, 7, // tile (0, 0)
		3, 4, 8, 9, // tile (0, 1)
		5, 9, 10, 9, // tile (0, 2)
		11, 12, 9, 9, // tile (1, 0)
		13, 14, 9, 9, // tile (1, 1)
		15, 9, 9, 9, // tile (1, 2)
	}
	if !slices.Equal(got, want) {
		t.Errorf("tiles %v\nwant  %v", got, want)
	}
	l := tileLayout(GEMM{Groups: 2, M: 3, K: 5, N: 7}, 2)
	if l.MPad != 4 || l.KPad != 6 || l.NPad != 8 || l.WTiles != 2*2*3 || l.XTiles != 2*3*4 || l.AccTiles != 2*2*4 {
		t.Errorf("layout %+v", l)
	}
}

func TestIm2colZeroPoint(t *testing.T) {
	// One 3×3 channel, 2×2 kernel, stride 2, padding 1 all round: output
	// 2×2; padded positions read the zero point 9.
	p := kernels.ConvParams{N: 1, C: 1, H: 3, W: 3, K: 1, R: 2, S: 2, Groups: 1, StrideH: 2, StrideW: 2, DilH: 1, DilW: 1, PadT: 1, PadL: 1, PadB: 1, PadR: 1}
	x := []int64{
		1, 2, 3,
		4, 5, 6,
		7, 8, 9,
	}
	got := im2col(p, x, 0, 9)
	// Rows (r, s); columns output positions (0,0) (0,1) (1,0) (1,1),
	// windows starting at input (-1,-1) (-1,1) (1,-1) (1,1).
	want := []int64{
		9, 9, 9, 5, // (r, s) = (0, 0)
		9, 9, 4, 6, // (0, 1)
		9, 2, 9, 8, // (1, 0)
		1, 3, 7, 9, // (1, 1)
	}
	if !slices.Equal(got, want) {
		t.Errorf("im2col %v\nwant    %v", got, want)
	}
	// Group 1 of a 2-group convolution reads channel 1.
	p2 := kernels.ConvParams{N: 1, C: 2, H: 1, W: 2, K: 2, R: 1, S: 1, Groups: 2, StrideH: 1, StrideW: 1, DilH: 1, DilW: 1}
	if got := im2col(p2, []int64{1, 2, 3, 4}, 1, 0); !slices.Equal(got, []int64{3, 4}) {
		t.Errorf("group 1: %v", got)
	}
}

func TestBroadcastOffset(t *testing.T) {
	out := []int{2, 3, 4, 5}
	for _, c := range []struct {
		shape []int
		gi    int
		want  int
	}{
		{[]int{2, 3, 4, 5}, 4, 4 * 20}, // (1, 1)
		{[]int{3, 4, 5}, 4, 1 * 20},    // missing batch axis
		{[]int{2, 1, 4, 5}, 4, 1 * 20}, // broadcast head axis
		{[]int{4, 5}, 5, 0},            // weights
		{[]int{1, 3, 5, 4}, 5, 2 * 20}, // b of another matrix shape
	} {
		if got := broadcastOffset(out, c.shape, c.gi); got != c.want {
			t.Errorf("%v group %d: offset %d, want %d", c.shape, c.gi, got, c.want)
		}
	}
}

func TestNames(t *testing.T) {
	for in, want := range map[string]string{
		"layer1.0.conv1": "layer1.0.conv1", "/layer1/layer1.0/conv1/Conv": "_layer1_layer1.0_conv1_Conv",
		"..": "_..", "a b:c": "a_b_c", "": "_",
	} {
		if got := FileStem(in); got != want {
			t.Errorf("FileStem(%q) = %q, want %q", in, got, want)
		}
	}
	for in, want := range map[string]string{
		"layer1.0.conv1.weight": "layer1_0_conv1_weight", "0.weight": "_0_weight", "/a/b": "_a_b",
	} {
		if got := CIdent(in); got != want {
			t.Errorf("CIdent(%q) = %q, want %q", in, got, want)
		}
	}
	u := newUniqueNames(caseFold)
	if got := []string{u.take("a"), u.take("A"), u.take("a"), u.take("b")}; !slices.Equal(got, []string{"a", "A_2", "a_3", "b"}) {
		t.Errorf("unique names %v", got)
	}
}

func TestCLiterals(t *testing.T) {
	for _, c := range []struct {
		v    int64
		d    tensor.DType
		want string
	}{
		{-5, tensor.Int8, "-5"}, {-2147483648, tensor.Int32, "(-2147483647 - 1)"}, {4294967295, tensor.Uint32, "4294967295U"},
		{1 << 40, tensor.Int64, "INT64_C(1099511627776)"}, {-9223372036854775808, tensor.Int64, "(-INT64_C(9223372036854775807) - 1)"},
		{7, tensor.Int64, "7"},
	} {
		if got := cInt(c.v, c.d); got != c.want {
			t.Errorf("cInt(%d, %v) = %q, want %q", c.v, c.d, got, c.want)
		}
	}
	got, err := cLiterals(tensor.New([]int{3}, []float32{1, -0.5, 3e-8}))
	if err != nil || !slices.Equal(got, []string{"1.0f", "-0.5f", "3e-08f"}) {
		t.Errorf("float literals %v (%v)", got, err)
	}
}

func TestDeclaredWord(t *testing.T) {
	// A consumer's w_bits / w_signed attributes declare the width of its
	// weights (4-bit weights stored in int8 are written as one hex digit);
	// without them the storage dtype's width applies.
	g := graph.New("g", 13)
	g.Params["w4"] = tensor.New([]int{2}, []int8{-8, 7})
	g.Params["w8"] = tensor.New([]int{2}, []int8{-8, 7})
	g.Nodes = []*graph.Node{
		{Name: "c1", Op: "IntConv", Inputs: []string{"x", "w4"}, Outputs: []string{"a"}, Attrs: map[string]graph.Attr{"w_bits": graph.IntAttr(4)}},
		{Name: "c2", Op: "IntConv", Inputs: []string{"x", "w8"}, Outputs: []string{"b"}},
		{Name: "c3", Op: "IntConv", Inputs: []string{"x", "w4"}, Outputs: []string{"c"}, Attrs: map[string]graph.Attr{"w_bits": graph.IntAttr(4), "w_signed": graph.IntAttr(1)}},
	}
	e := &exporter{g: g, consumers: g.Consumers(), words: map[string]Word{}}
	if w, err := e.declaredWord("w4", g.Params["w4"]); err != nil || w != (Word{4, true}) {
		t.Errorf("w4: %v, %v", w, err)
	}
	if w, err := e.declaredWord("w8", g.Params["w8"]); err != nil || w != (Word{8, true}) {
		t.Errorf("w8: %v, %v", w, err)
	}
	g.Nodes[2].Attrs["w_bits"] = graph.IntAttr(6)
	e.consumers = g.Consumers()
	if _, err := e.declaredWord("w4", g.Params["w4"]); err == nil {
		t.Error("conflicting declarations accepted")
	}
	g.Nodes[2].Attrs["w_bits"] = graph.IntAttr(3)
	g.Nodes = g.Nodes[2:]
	e.consumers = g.Consumers()
	if err := e.checkParamWords(); err == nil {
		t.Error("-8 accepted as a 3-bit signed weight")
	}
}
