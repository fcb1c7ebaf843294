package ops

import (
	"testing"

	"t2c/graph"
	"t2c/tensor"
)

func TestReduceAxesByOpset(t *testing.T) {
	// x[i][j][k] = 100i + 10j + k, shape 2×2×3
	var v []float32
	for i := range 2 {
		for j := range 2 {
			for k := range 3 {
				v = append(v, float32(100*i+10*j+k))
			}
		}
	}
	x := elemF32([]int{2, 2, 3}, v...)
	noKeep := map[string]graph.Attr{"keepdims": graph.IntAttr(0)}
	got := elemRun(t, elemCase{op: "ReduceSum", opset: 13, attrs: noKeep}, x, elemI64(0, -1))[0]
	elemCheck(t, "sum axes input", got, tensor.Float32, []int{2}, 306, 366)
	att := map[string]graph.Attr{"axes": graph.IntsAttr(1)}
	got = elemRun(t, elemCase{op: "ReduceSum", opset: 11, attrs: att}, x)[0]
	elemCheck(t, "sum axes attr", got, tensor.Float32, []int{2, 1, 3}, 10, 12, 14, 210, 212, 214)
	got = elemRun(t, elemCase{op: "ReduceSum", opset: 13}, x)[0]
	elemCheck(t, "sum all", got, tensor.Float32, []int{1, 1, 1}, 672)
	got = elemRun(t, elemCase{op: "ReduceSum", opset: 13}, x, tensor.FromSlice([]int64{}))[0]
	elemCheck(t, "sum empty axes", got, tensor.Float32, []int{1, 1, 1}, 672)
	noop := map[string]graph.Attr{"noop_with_empty_axes": graph.IntAttr(1)}
	got = elemRun(t, elemCase{op: "ReduceSum", opset: 13, attrs: noop}, x, tensor.FromSlice([]int64{}))[0]
	if got != x {
		t.Fatalf("noop_with_empty_axes should return the input")
	}
	att = map[string]graph.Attr{"axes": graph.IntsAttr(0, 2), "keepdims": graph.IntAttr(0)}
	got = elemRun(t, elemCase{op: "ReduceMean", opset: 13, attrs: att}, x)[0]
	elemCheck(t, "mean", got, tensor.Float32, []int{2}, 51, 61)
	got = elemRun(t, elemCase{op: "ReduceMax", opset: 13, attrs: map[string]graph.Attr{"axes": graph.IntsAttr(-2)}}, x)[0]
	elemCheck(t, "max", got, tensor.Float32, []int{2, 1, 3}, 10, 11, 12, 110, 111, 112)
	got = elemRun(t, elemCase{op: "ReduceMax", opset: 18}, x, elemI64(0))[0]
	elemCheck(t, "max opset 18", got, tensor.Float32, []int{1, 2, 3}, 100, 101, 102, 110, 111, 112)
	// opset 13 ReduceMean takes no axes input: an axes attribute is needed
	if _, err := elemBuild(elemCase{op: "ReduceMean", opset: 13, attrs: noop}, 1); err == nil {
		t.Errorf("ReduceMean opset 13 accepted noop_with_empty_axes")
	}
}

func TestReduceIntegers(t *testing.T) {
	x := tensor.New([]int{2, 3}, []int32{-5, 7, 2, 1, -1, 9})
	got := elemRun(t, elemCase{op: "ReduceMax", opset: 13, attrs: map[string]graph.Attr{"axes": graph.IntsAttr(1)}}, x)[0]
	elemCheck(t, "int max", got, tensor.Int32, []int{2, 1}, 7, 9)
	got = elemRun(t, elemCase{op: "ReduceSum", opset: 13}, x, elemI64(0))[0]
	elemCheck(t, "int sum", got, tensor.Int32, []int{1, 3}, -4, 6, 11)
	got = elemRun(t, elemCase{op: "ReduceMean", opset: 13, attrs: map[string]graph.Attr{"keepdims": graph.IntAttr(0)}}, x)[0]
	elemCheck(t, "int mean", got, tensor.Int32, nil, 2)
	u := tensor.New([]int{2, 2}, []uint8{200, 100, 60, 1})
	got = elemRun(t, elemCase{op: "ReduceSum", opset: 13}, u, elemI64(1))[0]
	elemCheck(t, "uint8 sum wraps", got, tensor.Uint8, []int{2, 1}, 44, 61)
}

func TestReduceNonContiguousAxes(t *testing.T) {
	x := tensor.New([]int{2, 2, 2}, []float64{1, 2, 3, 4, 5, 6, 7, 8})
	att := map[string]graph.Attr{"axes": graph.IntsAttr(0, 2), "keepdims": graph.IntAttr(0)}
	got := elemRun(t, elemCase{op: "ReduceMean", opset: 13, attrs: att}, x)[0]
	elemCheck(t, "mean over 0,2", got, tensor.Float64, []int{2}, 3.5, 5.5)
}
