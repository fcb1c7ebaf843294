package ops

import (
	"math"
	"math/rand/v2"
	"testing"

	"t2c/graph"
	"t2c/tensor"
)

func TestUnaryFloat(t *testing.T) {
	x := elemF32([]int{4}, -2, -0.5, 0, 3)
	cases := []struct {
		op    string
		attrs map[string]graph.Attr
		f     func(float64) float64
	}{
		{"Neg", nil, func(v float64) float64 { return -v }},
		{"Abs", nil, math.Abs},
		{"Relu", nil, func(v float64) float64 { return max(v, 0) }},
		{"Exp", nil, math.Exp},
		{"Tanh", nil, math.Tanh},
		{"Erf", nil, math.Erf},
		{"Sigmoid", nil, func(v float64) float64 { return 1 / (1 + math.Exp(-v)) }},
		{"LeakyRelu", map[string]graph.Attr{"alpha": graph.FloatAttr(0.1)}, func(v float64) float64 { return max(v, 0.1*v) }},
		{"HardSwish", nil, func(v float64) float64 { return v * max(0, min(1, v/6+0.5)) }},
		{"Gelu", nil, func(v float64) float64 { return v * (1 + math.Erf(v/math.Sqrt2)) / 2 }},
		{"Gelu", map[string]graph.Attr{"approximate": graph.StringAttr("tanh")}, func(v float64) float64 {
			return v * (1 + math.Tanh(math.Sqrt(2/math.Pi)*(v+0.044715*v*v*v))) / 2
		}},
	}
	for _, c := range cases {
		got := elemRun(t, elemCase{op: c.op, attrs: c.attrs}, x)[0]
		var want []float64
		for _, v := range x.Float32() {
			want = append(want, float64(float32(c.f(float64(v)))))
		}
		elemCheck(t, c.op, got, tensor.Float32, []int{4}, want...)
	}
	got := elemRun(t, elemCase{op: "Sqrt"}, tensor.New([]int{2}, []float64{4, 2}))[0]
	elemCheck(t, "Sqrt", got, tensor.Float64, []int{2}, 2, math.Sqrt2)
	if _, err := elemBuild(elemCase{op: "Gelu", attrs: map[string]graph.Attr{"approximate": graph.StringAttr("fast")}}, 1); err == nil {
		t.Errorf("Gelu accepted approximate=fast")
	}
}

func TestUnaryIntegers(t *testing.T) {
	x := tensor.FromSlice([]int8{-3, 0, 5})
	got := elemRun(t, elemCase{op: "Neg"}, x)[0]
	elemCheck(t, "Neg", got, tensor.Int8, []int{3}, 3, 0, -5)
	got = elemRun(t, elemCase{op: "Abs"}, x)[0]
	elemCheck(t, "Abs", got, tensor.Int8, []int{3}, 3, 0, 5)
	got = elemRun(t, elemCase{op: "Relu"}, x)[0]
	elemCheck(t, "Relu", got, tensor.Int8, []int{3}, 0, 0, 5)
	_, err := elemTry(elemCase{op: "Exp"}, x)
	elemWantErr(t, err, "int8")
	id := elemRun(t, elemCase{op: "Identity"}, x)[0]
	if id != x {
		t.Errorf("Identity copied its input")
	}
}

func TestClipVersions(t *testing.T) {
	x := elemF32([]int{4}, -5, 0.5, 2, float32(math.NaN()))
	att := map[string]graph.Attr{"min": graph.FloatAttr(0), "max": graph.FloatAttr(1)}
	got := elemRun(t, elemCase{op: "Clip", opset: 6, attrs: att}, x)[0]
	g := got.Float32()
	if g[0] != 0 || g[1] != 0.5 || g[2] != 1 || !math.IsNaN(float64(g[3])) {
		t.Fatalf("opset 6 Clip: %v", g)
	}
	got = elemRun(t, elemCase{op: "Clip", opset: 6, attrs: map[string]graph.Attr{"max": graph.FloatAttr(1)}}, x)[0]
	if g := got.Float32(); g[0] != -5 || g[2] != 1 {
		t.Fatalf("opset 6 Clip max only: %v", g)
	}
	i8 := tensor.FromSlice([]int8{-128, 0, 127})
	got = elemRun(t, elemCase{op: "Clip", opset: 13}, i8, nil, tensor.Scalar[int8](10))[0]
	elemCheck(t, "int8 max only", got, tensor.Int8, []int{3}, -128, 0, 10)
	got = elemRun(t, elemCase{op: "Clip", opset: 13}, i8, tensor.Scalar[int8](5), tensor.Scalar[int8](1))[0]
	elemCheck(t, "min > max", got, tensor.Int8, []int{3}, 1, 1, 1)
	_, err := elemTry(elemCase{op: "Clip", opset: 13}, i8, elemF32(nil, 0))
	elemWantErr(t, err, "one-element int8")
}

func TestDropout(t *testing.T) {
	x := elemF32([]int{2, 2}, 1, 2, 3, 4)
	out := elemRun(t, elemCase{op: "Dropout", opset: 10, nout: 2, attrs: map[string]graph.Attr{"ratio": graph.FloatAttr(0.3)}}, x)
	if out[0] != x {
		t.Errorf("inference Dropout should return its input")
	}
	elemCheck(t, "mask", out[1], tensor.Bool, []int{2, 2}, 1, 1, 1, 1)
	out = elemRun(t, elemCase{op: "Dropout", opset: 7, nout: 2}, x)
	elemCheck(t, "opset 7 mask", out[1], tensor.Float32, []int{2, 2}, 1, 1, 1, 1)
	out = elemRun(t, elemCase{op: "Dropout", opset: 13, nout: 2}, x, elemF32(nil, 0), tensor.Scalar(true))
	elemCheck(t, "training ratio 0", out[0], tensor.Float32, []int{2, 2}, 1, 2, 3, 4)
	_, err := elemTry(elemCase{op: "Dropout", opset: 13}, x, elemF32(nil, 0.5), tensor.Scalar(true))
	elemWantErr(t, err, "random source")

	k, err := elemBuild(elemCase{op: "Dropout", opset: 13, nout: 2}, 3)
	if err != nil {
		t.Fatal(err)
	}
	ctx := graph.NewCtx(nil)
	ctx.Training, ctx.Rand = true, rand.New(rand.NewPCG(1, 2))
	big := tensor.Zeros(tensor.Float32, 1000)
	for i := range big.Float32() {
		big.Float32()[i] = 1
	}
	res, err := k.Run(ctx, []*tensor.Tensor{big, elemF32(nil, 0.25)})
	if err != nil {
		t.Fatal(err)
	}
	kept := 0
	for i, v := range res[0].Float32() {
		m := res[1].Bool()[i]
		if (m && v != 1/0.75) || (!m && v != 0) {
			t.Fatalf("element %d: value %v with mask %v", i, v, m)
		}
		if m {
			kept++
		}
	}
	if kept < 680 || kept > 820 {
		t.Errorf("kept %d of 1000 with ratio 0.25", kept)
	}
}
