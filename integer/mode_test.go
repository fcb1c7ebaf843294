package integer

import (
	"math"
	"strings"
	"testing"

	"t2c/graph"
	"t2c/tensor"
)

// runNL runs one node through a graph session, so that attribute reading,
// shape inference and the kernel are all exercised, and returns the output
// codes as int64.
func runNL(t *testing.T, n *graph.Node, x *tensor.Tensor) []int64 {
	t.Helper()
	out, err := runNLErr(n, x)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func runNLErr(n *graph.Node, x *tensor.Tensor) ([]int64, error) {
	g := graph.New("nl", 17)
	g.Inputs = []graph.ValueInfo{{Name: n.Inputs[0], DType: x.DType(), Shape: x.Shape()}}
	g.Outputs = []graph.ValueInfo{{Name: n.Outputs[0]}}
	g.Nodes = []*graph.Node{n}
	s, err := graph.NewSession(g)
	if err != nil {
		return nil, err
	}
	y, err := s.Run1(x)
	if err != nil {
		return nil, err
	}
	return nlCodes(y)
}

// codesTensor stores int64 codes as the storage type of a bits-bit grid.
func codesTensor(bits int, signed bool, shape []int, v []int64) *tensor.Tensor {
	x := tensor.Zeros(StorageType(bits, signed), shape...)
	nlStore(x, v)
	return x
}

// maxCodeDiff is max |a − b| and where it occurs.
func maxCodeDiff(a, b []int64) (diff int64, at int) {
	for i := range a {
		if d := max(a[i]-b[i], b[i]-a[i]); d > diff {
			diff, at = d, i
		}
	}
	return diff, at
}

func TestParseModeAndIntegerOnly(t *testing.T) {
	for _, s := range []string{"float", "lut", "integer"} {
		if m, err := ParseMode(s); err != nil || string(m) != s {
			t.Fatalf("ParseMode(%q) = %q, %v", s, m, err)
		}
	}
	if _, err := ParseMode("fp"); err == nil {
		t.Fatal("ParseMode accepted an unknown mode")
	}
	out := Grid{Bits: 8, Scale: []float64{1.0 / 255}}
	want := map[Mode]bool{ModeFloat: false, ModeLUT: true, ModeInteger: true}
	for mode, integerOnly := range want {
		n, err := NewSoftmax("sm", "x", "y", 1.0/256, 16, out, mode, 0)
		if err != nil {
			t.Fatal(err)
		}
		if got := IntegerOnly(n); got != integerOnly {
			t.Errorf("IntegerOnly(softmax %s) = %v, want %v", mode, got, integerOnly)
		}
	}
	if !IntegerOnly(&graph.Node{Op: OpLut}) {
		t.Error("a node without a mode must be integer-only")
	}
}

func TestNonlinearitiesRejectBadAttributes(t *testing.T) {
	out := Grid{Bits: 8, Scale: []float64{1.0 / 255}}
	n, err := NewSoftmax("sm", "x", "y", 1.0/256, 16, out, ModeInteger, 0)
	if err != nil {
		t.Fatal(err)
	}
	x := codesTensor(16, true, []int{1, 4}, []int64{0, 1, 2, 3})
	for name, edit := range map[string]func(*graph.Node){
		"unknown attribute": func(n *graph.Node) { n.Attrs["bogus"] = graph.IntAttr(1) },
		"unknown mode":      func(n *graph.Node) { n.Attrs[attrMode] = graph.StringAttr("fp16") },
		"bad q_ln2":         func(n *graph.Node) { n.Attrs["q_ln2"] = graph.IntAttr(0) },
		"missing grid":      func(n *graph.Node) { delete(n.Attrs, AttrOutBits) },
	} {
		c := n.Clone()
		edit(c)
		if _, err := runNLErr(c, x); err == nil {
			t.Errorf("%s: the node built and ran", name)
		}
	}
	c := n.Clone()
	c.Attrs["layer"] = graph.StringAttr("blocks.0.attn")
	if _, err := runNLErr(c, x); err != nil {
		t.Errorf("the layer attribute must be accepted: %v", err)
	}
	if _, err := runNLErr(n, codesTensor(8, true, []int{1, 4}, []int64{0, 1, 2, 3})); err == nil || !strings.Contains(err.Error(), "in_bits") {
		t.Errorf("an int8 input to a 16-bit softmax must be refused naming in_bits, got %v", err)
	}
}

func TestDivRoundIsExactHalfUp(t *testing.T) {
	for b := int64(1); b <= 9; b++ {
		for a := int64(-50); a <= 50; a++ {
			// Half up: ⌊a/b + 1/2⌋ = ⌊(2a + b) / 2b⌋, computed with floats
			// that are exact at this size.
			want := int64(math.Floor(float64(2*a+b) / float64(2*b)))
			if got := nlDivRound(a, b); got != want {
				t.Fatalf("divRound(%d, %d) = %d, want %d", a, b, got, want)
			}
		}
	}
}
