package ops

import (
	"testing"

	"t2c/graph"
	"t2c/tensor"
)

func TestGatherNegativeIndices(t *testing.T) {
	x := elemF32([]int{3, 2}, 0, 1, 10, 11, 20, 21)
	got := elemRun(t, elemCase{op: "Gather"}, x, tensor.New([]int{1, 2}, []int64{-1, 0}))[0]
	elemCheck(t, "axis 0", got, tensor.Float32, []int{1, 2, 2}, 20, 21, 0, 1)
	att := map[string]graph.Attr{"axis": graph.IntAttr(-1)}
	got = elemRun(t, elemCase{op: "Gather", attrs: att}, x, tensor.Scalar[int32](-2))[0]
	elemCheck(t, "axis -1 scalar", got, tensor.Float32, []int{3}, 0, 10, 20)
	_, err := elemTry(elemCase{op: "Gather"}, x, elemI64(3))
	elemWantErr(t, err, "out of range")
	_, err = elemTry(elemCase{op: "Gather"}, x, elemI64(-4))
	elemWantErr(t, err, "out of range")
}

func TestSplitVersions(t *testing.T) {
	x := tensor.FromSlice([]int64{1, 2, 3, 4, 5, 6})
	out := elemRun(t, elemCase{op: "Split", nout: 3}, x)
	for i, o := range out {
		elemCheck(t, "equal", o, tensor.Int64, []int{2}, float64(2*i+1), float64(2*i+2))
	}
	out = elemRun(t, elemCase{op: "Split", nout: 3}, x, elemI64(1, 0, 5))
	elemCheck(t, "sizes input", out[1], tensor.Int64, []int{0})
	elemCheck(t, "sizes input", out[2], tensor.Int64, []int{5}, 2, 3, 4, 5, 6)
	att := map[string]graph.Attr{"split": graph.IntsAttr(4, 2), "axis": graph.IntAttr(-1)}
	out = elemRun(t, elemCase{op: "Split", opset: 11, nout: 2, attrs: att}, x.MustReshape(1, 6))
	elemCheck(t, "opset 11", out[1], tensor.Int64, []int{1, 2}, 5, 6)
	_, err := elemTry(elemCase{op: "Split", nout: 4}, x)
	elemWantErr(t, err, "equal parts")
	_, err = elemTry(elemCase{op: "Split", nout: 2}, x, elemI64(1, 2))
	elemWantErr(t, err, "does not cut")
}

func TestTransposeConcatTileExpand(t *testing.T) {
	x := elemF32([]int{2, 3}, 0, 1, 2, 3, 4, 5)
	got := elemRun(t, elemCase{op: "Transpose"}, x)[0]
	elemCheck(t, "Transpose", got, tensor.Float32, []int{3, 2}, 0, 3, 1, 4, 2, 5)
	got = elemRun(t, elemCase{op: "Concat", attrs: map[string]graph.Attr{"axis": graph.IntAttr(-1)}}, x, elemF32([]int{2, 1}, 8, 9))[0]
	elemCheck(t, "Concat", got, tensor.Float32, []int{2, 4}, 0, 1, 2, 8, 3, 4, 5, 9)
	if _, err := elemBuild(elemCase{op: "Concat"}, 2); err == nil {
		t.Errorf("Concat without axis accepted")
	}
	got = elemRun(t, elemCase{op: "Tile"}, elemF32([]int{1, 2}, 1, 2), elemI64(2, 2))[0]
	elemCheck(t, "Tile", got, tensor.Float32, []int{2, 4}, 1, 2, 1, 2, 1, 2, 1, 2)
	got = elemRun(t, elemCase{op: "Expand"}, elemF32([]int{2, 1}, 1, 2), elemI64(2, 1, 3))[0]
	elemCheck(t, "Expand", got, tensor.Float32, []int{2, 2, 3}, 1, 1, 1, 2, 2, 2, 1, 1, 1, 2, 2, 2)
}
