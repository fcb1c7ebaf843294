package ops

import (
	"math"
	"testing"

	"t2c/graph"
	"t2c/tensor"
)

func elemArange10() *tensor.Tensor {
	return elemF32([]int{10}, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9)
}

func TestSliceClamping(t *testing.T) {
	x := elemArange10()
	cases := []struct {
		name                string
		starts, ends, steps []int64
		want                []float64
	}{
		{"reverse all, clamped", []int64{20}, []int64{-20}, []int64{-1}, []float64{9, 8, 7, 6, 5, 4, 3, 2, 1, 0}},
		{"negative start", []int64{-3}, []int64{100}, []int64{1}, []float64{7, 8, 9}},
		{"negative step 3", []int64{8}, []int64{2}, []int64{-3}, []float64{8, 5}},
		{"INT64_MAX end", []int64{1}, []int64{math.MaxInt64}, []int64{2}, []float64{1, 3, 5, 7, 9}},
		{"INT64_MIN end, step -2", []int64{-1}, []int64{math.MinInt64}, []int64{-2}, []float64{9, 7, 5, 3, 1}},
		{"start past end", []int64{5}, []int64{5}, []int64{1}, nil},
		{"start out of bounds", []int64{12}, []int64{20}, []int64{1}, nil},
		{"negative step, end past start", []int64{2}, []int64{5}, []int64{-1}, nil},
		{"negative step from -1 to -11", []int64{-1}, []int64{-11}, []int64{-4}, []float64{9, 5, 1}},
	}
	for _, c := range cases {
		got := elemRun(t, elemCase{op: "Slice"}, x, tensor.FromSlice(c.starts), tensor.FromSlice(c.ends), elemI64(0), tensor.FromSlice(c.steps))[0]
		elemCheck(t, c.name, got, tensor.Float32, []int{len(c.want)}, c.want...)
	}
}

func TestSlice2D(t *testing.T) {
	x := elemF32([]int{3, 4}, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11)
	// axes [-1, 0] in either order, default steps
	got := elemRun(t, elemCase{op: "Slice"}, x, elemI64(1, 1), elemI64(-1, 1000), elemI64(-1, 0))[0]
	elemCheck(t, "axes", got, tensor.Float32, []int{2, 2}, 5, 6, 9, 10)
	// no axes: leading axes; int32 bounds
	got = elemRun(t, elemCase{op: "Slice"}, x, tensor.FromSlice([]int32{2}), tensor.FromSlice([]int32{0}), nil, tensor.FromSlice([]int32{-1}))[0]
	elemCheck(t, "int32 reverse", got, tensor.Float32, []int{2, 4}, 8, 9, 10, 11, 4, 5, 6, 7)
	// opset 9: attributes
	att := map[string]graph.Attr{"starts": graph.IntsAttr(0, 1), "ends": graph.IntsAttr(-1, 1000), "axes": graph.IntsAttr(1, 0)}
	got = elemRun(t, elemCase{op: "Slice", opset: 9, attrs: att}, x)[0]
	elemCheck(t, "opset 9", got, tensor.Float32, []int{2, 3}, 4, 5, 6, 8, 9, 10)
	_, err := elemTry(elemCase{op: "Slice"}, x, elemI64(0, 0), elemI64(1, 1), elemI64(0, -2))
	elemWantErr(t, err, "twice")
	_, err = elemTry(elemCase{op: "Slice"}, x, elemI64(0), elemI64(1), elemI64(0), elemI64(0))
	elemWantErr(t, err, "step 0")
}
