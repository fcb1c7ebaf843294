package ops

import (
	"testing"

	"t2c/graph"
	"t2c/tensor"
)

func TestReshapeSpecials(t *testing.T) {
	x := tensor.Zeros(tensor.Float32, 2, 3, 4)
	cases := []struct {
		spec      []int64
		allowZero bool
		want      []int
	}{
		{[]int64{0, -1}, false, []int{2, 12}},
		{[]int64{-1, 0, 2}, false, []int{4, 3, 2}},
		{[]int64{2, 0, -1}, false, []int{2, 3, 4}},
		{[]int64{0, 0, 0}, true, nil},
		{[]int64{24}, false, []int{24}},
	}
	for _, c := range cases {
		att := map[string]graph.Attr{}
		if c.allowZero {
			att["allowzero"] = graph.IntAttr(1)
		}
		if c.want == nil {
			if _, err := elemTry(elemCase{op: "Reshape", attrs: att}, x, tensor.FromSlice(c.spec)); err == nil {
				t.Errorf("Reshape %v with allowzero: no error", c.spec)
			}
			continue
		}
		got := elemRun(t, elemCase{op: "Reshape", attrs: att}, x, tensor.FromSlice(c.spec))[0]
		if !tensor.SameShape(got.Shape(), c.want) {
			t.Errorf("Reshape %v: got %v, want %v", c.spec, got.Shape(), c.want)
		}
		if got.StorageID() != x.StorageID() {
			t.Errorf("Reshape %v copied its input", c.spec)
		}
	}
	empty := tensor.Zeros(tensor.Float32, 0, 3)
	got := elemRun(t, elemCase{op: "Reshape", attrs: map[string]graph.Attr{"allowzero": graph.IntAttr(1)}}, empty, elemI64(3, 0))[0]
	if !tensor.SameShape(got.Shape(), []int{3, 0}) {
		t.Errorf("allowzero: got %v", got.Shape())
	}
	// without allowzero the 0 copies dimension 1: 3×3 ≠ 0 elements
	if _, err := elemTry(elemCase{op: "Reshape"}, empty, elemI64(3, 0)); err == nil {
		t.Errorf("Reshape [0 3] to [3 0] without allowzero: no error")
	}
	for _, spec := range [][]int64{{-1, -1}, {5, -1}, {-2, 12}} {
		if _, err := elemTry(elemCase{op: "Reshape"}, x, tensor.FromSlice(spec)); err == nil {
			t.Errorf("Reshape %v: no error", spec)
		}
	}
}

func TestFlattenSqueezeUnsqueeze(t *testing.T) {
	x := tensor.Zeros(tensor.Int64, 2, 1, 3, 1)
	shapeOf := func(c elemCase, in ...*tensor.Tensor) []int {
		t.Helper()
		out := elemRun(t, c, in...)[0]
		if out.StorageID() != x.StorageID() {
			t.Errorf("%s copied its input", c.op)
		}
		return out.Shape()
	}
	check := func(what string, got, want []int) {
		t.Helper()
		if !tensor.SameShape(got, want) {
			t.Errorf("%s: got %v, want %v", what, got, want)
		}
	}
	axis := func(a int64) map[string]graph.Attr { return map[string]graph.Attr{"axis": graph.IntAttr(a)} }
	check("Flatten default", shapeOf(elemCase{op: "Flatten"}, x), []int{2, 3})
	check("Flatten 0", shapeOf(elemCase{op: "Flatten", attrs: axis(0)}, x), []int{1, 6})
	check("Flatten 4", shapeOf(elemCase{op: "Flatten", attrs: axis(4)}, x), []int{6, 1})
	check("Flatten -2", shapeOf(elemCase{op: "Flatten", attrs: axis(-2)}, x), []int{2, 3})
	check("Squeeze all", shapeOf(elemCase{op: "Squeeze"}, x), []int{2, 3})
	check("Squeeze -1", shapeOf(elemCase{op: "Squeeze"}, x, elemI64(-1)), []int{2, 1, 3})
	check("Squeeze opset 11", shapeOf(elemCase{op: "Squeeze", opset: 11, attrs: map[string]graph.Attr{"axes": graph.IntsAttr(1)}}, x), []int{2, 3, 1})
	check("Unsqueeze", shapeOf(elemCase{op: "Unsqueeze"}, x, elemI64(-1, 0)), []int{1, 2, 1, 3, 1, 1})
	check("Unsqueeze opset 11", shapeOf(elemCase{op: "Unsqueeze", opset: 11, attrs: map[string]graph.Attr{"axes": graph.IntsAttr(2, 5)}}, x), []int{2, 1, 1, 3, 1, 1})
	_, err := elemTry(elemCase{op: "Squeeze"}, x, elemI64(0))
	elemWantErr(t, err, "size 2")
	_, err = elemTry(elemCase{op: "Unsqueeze"}, x, elemI64(1, -5))
	elemWantErr(t, err, "duplicate")
}

func TestShapeStartEnd(t *testing.T) {
	x := tensor.Zeros(tensor.Float32, 2, 3, 4, 5)
	att := func(kv ...any) map[string]graph.Attr {
		m := map[string]graph.Attr{}
		for i := 0; i < len(kv); i += 2 {
			m[kv[i].(string)] = graph.IntAttr(int64(kv[i+1].(int)))
		}
		return m
	}
	cases := []struct {
		attrs map[string]graph.Attr
		want  []float64
	}{
		{nil, []float64{2, 3, 4, 5}},
		{att("start", 1), []float64{3, 4, 5}},
		{att("start", -1), []float64{5}},
		{att("end", -1), []float64{2, 3, 4}},
		{att("start", 1, "end", 2), []float64{3}},
		{att("start", -10, "end", 10), []float64{2, 3, 4, 5}},
		{att("start", 3, "end", 1), nil},
	}
	for _, c := range cases {
		got := elemRun(t, elemCase{op: "Shape", attrs: c.attrs}, x)[0]
		elemCheck(t, "Shape", got, tensor.Int64, []int{len(c.want)}, c.want...)
		k, err := elemBuild(elemCase{op: "Shape", attrs: c.attrs}, 1)
		if err != nil {
			t.Fatal(err)
		}
		folded, err := k.(graph.TypeFolder).FoldTypes([]graph.ValueInfo{{DType: tensor.Float32, Shape: x.Shape()}})
		if err != nil {
			t.Fatal(err)
		}
		elemCheck(t, "Shape folded", folded[0], tensor.Int64, []int{len(c.want)}, c.want...)
	}
}
