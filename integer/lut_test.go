package integer

import (
	"slices"
	"testing"

	"t2c/graph"
	"t2c/tensor"
)

func TestLutLooksUpAndClampsToTheTableEnds(t *testing.T) {
	// A 3-bit signed input (codes −4…3) squared onto uint8.
	out := Grid{Bits: 8, Scale: []float64{1}}
	n, err := NewLut("sq", "x", "y", []int64{16, 9, 4, 1, 0, 1, 4, 9}, -4, out, "square")
	if err != nil {
		t.Fatal(err)
	}
	// −6 and 5 lie outside the table: they read its ends.
	x := codesTensor(8, true, []int{2, 5}, []int64{-4, -1, 0, 3, 2, -6, 5, 1, -3, -2})
	if got := runNL(t, n, x); !slices.Equal(got, []int64{16, 1, 0, 9, 4, 16, 9, 1, 9, 4}) {
		t.Errorf("lut gave %v", got)
	}
	// The output is stored as the grid's type, from any integer input type.
	y, err := runNLErr(n, codesTensor(16, false, []int{3}, []int64{0, 1, 2}))
	if err != nil || !slices.Equal(y, []int64{0, 1, 4}) {
		t.Errorf("uint16 input gave %v, %v; want [0 1 4]", y, err)
	}
}

func TestLutRejectsEntriesOffTheGrid(t *testing.T) {
	out := Grid{Bits: 4, Signed: true, Scale: []float64{1}} // −8…7
	if _, err := NewLut("l", "x", "y", []int64{0, 8}, 0, out, ""); err == nil {
		t.Error("NewLut accepted 8 on a 4-bit signed grid")
	}
	n, err := NewLut("l", "x", "y", []int64{0, 7}, 0, out, "")
	if err != nil {
		t.Fatal(err)
	}
	n.Attrs["table"] = graph.IntsAttr(0, -9)
	if _, err := graph.Build(n, 17); err == nil {
		t.Error("a Lut node with an entry off its grid was built")
	}
	n.Attrs["table"] = graph.IntsAttr(0, 7)
	if _, err := runNLErr(n, tensor.New([]int{2}, []float32{0, 1})); err == nil {
		t.Error("a float input was accepted")
	}
}
