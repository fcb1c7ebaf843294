package ops

import (
	"testing"

	"t2c/graph"
	"t2c/tensor"
)

func TestConstantForms(t *testing.T) {
	cases := []struct {
		attr  string
		value graph.Attr
		d     tensor.DType
		shape []int
		want  []float64
	}{
		{"value", graph.TensorAttr(tensor.New([]int{2}, []int32{4, 5})), tensor.Int32, []int{2}, []float64{4, 5}},
		{"value_float", graph.FloatAttr(1.5), tensor.Float32, nil, []float64{1.5}},
		{"value_floats", graph.FloatsAttr(1, 2), tensor.Float32, []int{2}, []float64{1, 2}},
		{"value_int", graph.IntAttr(7), tensor.Int64, nil, []float64{7}},
		{"value_ints", graph.IntsAttr(7, 8, 9), tensor.Int64, []int{3}, []float64{7, 8, 9}},
	}
	for _, c := range cases {
		got := elemRun(t, elemCase{op: "Constant", attrs: map[string]graph.Attr{c.attr: c.value}})[0]
		elemCheck(t, c.attr, got, c.d, c.shape, c.want...)
	}
	_, err := elemBuild(elemCase{op: "Constant", attrs: map[string]graph.Attr{"value_string": graph.StringAttr("x")}}, 0)
	elemWantErr(t, err, "value_string")
	_, err = elemBuild(elemCase{op: "Constant", attrs: map[string]graph.Attr{"value_int": graph.IntAttr(1), "value_float": graph.FloatAttr(1)}}, 0)
	elemWantErr(t, err, "both")
}

func TestConstantOfShape(t *testing.T) {
	got := elemRun(t, elemCase{op: "ConstantOfShape"}, elemI64(2, 1))[0]
	elemCheck(t, "default", got, tensor.Float32, []int{2, 1}, 0, 0)
	att := map[string]graph.Attr{"value": graph.TensorAttr(tensor.New([]int{1}, []int32{3}))}
	got = elemRun(t, elemCase{op: "ConstantOfShape", attrs: att}, elemI64(3))[0]
	elemCheck(t, "int32", got, tensor.Int32, []int{3}, 3, 3, 3)
	got = elemRun(t, elemCase{op: "ConstantOfShape", attrs: att}, elemI64(0))[0]
	elemCheck(t, "empty", got, tensor.Int32, []int{0})
	got = elemRun(t, elemCase{op: "ConstantOfShape", attrs: att}, tensor.FromSlice([]int64{}))[0]
	elemCheck(t, "scalar", got, tensor.Int32, nil, 3)
}

func TestRange(t *testing.T) {
	got := elemRun(t, elemCase{op: "Range"}, tensor.Scalar[int32](10), tensor.Scalar[int32](4), tensor.Scalar[int32](-3))[0]
	elemCheck(t, "int negative delta", got, tensor.Int32, []int{2}, 10, 7)
	got = elemRun(t, elemCase{op: "Range"}, tensor.Scalar[int64](1), tensor.Scalar[int64](8), tensor.Scalar[int64](3))[0]
	elemCheck(t, "int ceil", got, tensor.Int64, []int{3}, 1, 4, 7)
	got = elemRun(t, elemCase{op: "Range"}, elemF32(nil, 0), elemF32(nil, 1), elemF32(nil, 0.3))[0]
	elemCheck(t, "float", got, tensor.Float32, []int{4}, 0, float64(float32(0.3)), float64(float32(0.6)), float64(float32(0.3)*3))
	got = elemRun(t, elemCase{op: "Range"}, elemF32(nil, 5), elemF32(nil, 1), elemF32(nil, 1))[0]
	elemCheck(t, "empty", got, tensor.Float32, []int{0})
	_, err := elemTry(elemCase{op: "Range"}, tensor.Scalar[int64](0), tensor.Scalar[int64](5), tensor.Scalar[int64](0))
	elemWantErr(t, err, "delta is 0")
}

func TestCast(t *testing.T) {
	to := func(code int64) map[string]graph.Attr { return map[string]graph.Attr{"to": graph.IntAttr(code)} }
	x := elemF32([]int{4}, -1.7, 0, 2.9, 300)
	got := elemRun(t, elemCase{op: "Cast", attrs: to(6)}, x)[0]
	elemCheck(t, "to INT32", got, tensor.Int32, []int{4}, -1, 0, 2, 300)
	got = elemRun(t, elemCase{op: "Cast", attrs: to(9)}, x)[0]
	elemCheck(t, "to BOOL", got, tensor.Bool, []int{4}, 1, 0, 1, 1)
	got = elemRun(t, elemCase{op: "Cast", attrs: to(11)}, got)[0]
	elemCheck(t, "BOOL to DOUBLE", got, tensor.Float64, []int{4}, 1, 0, 1, 1)
	for code, name := range map[int64]string{10: "FLOAT16", 8: "STRING", 16: "BFLOAT16", 99: "unknown"} {
		_, err := elemBuild(elemCase{op: "Cast", attrs: to(code)}, 1)
		elemWantErr(t, err, name)
	}
	_, err := elemBuild(elemCase{op: "Cast"}, 1)
	elemWantErr(t, err, "required")
}
