package ops

import (
	"math"
	"testing"

	"t2c/graph"
	"t2c/tensor"
)

func TestSoftmaxOpsetAxis(t *testing.T) {
	x := elemF32([]int{2, 2}, 0, 1, 2, 3)
	e := func(v float64) float64 { return math.Exp(v) }
	axis0 := map[string]graph.Attr{"axis": graph.IntAttr(0)}
	// opset 11, axis 0: the whole tensor is one row of 4
	s := e(0) + e(1) + e(2) + e(3)
	got := elemRun(t, elemCase{op: "Softmax", opset: 11, attrs: axis0}, x)[0]
	elemCheck(t, "opset 11 axis 0", got, tensor.Float32, []int{2, 2}, e(0)/s, e(1)/s, e(2)/s, e(3)/s)
	// opset 13, axis 0: per column
	c0, c1 := e(0)+e(2), e(1)+e(3)
	got = elemRun(t, elemCase{op: "Softmax", opset: 13, attrs: axis0}, x)[0]
	elemCheck(t, "opset 13 axis 0", got, tensor.Float32, []int{2, 2}, e(0)/c0, e(1)/c1, e(2)/c0, e(3)/c1)
	// defaults: opset 11 axis 1 and opset 13 axis -1 agree on 2-D input
	r0, r1 := e(0)+e(1), e(2)+e(3)
	for _, opset := range []int{11, 13} {
		got = elemRun(t, elemCase{op: "Softmax", opset: opset}, x)[0]
		elemCheck(t, "default axis", got, tensor.Float32, []int{2, 2}, e(0)/r0, e(1)/r0, e(2)/r1, e(3)/r1)
	}
	// opset 11 axis 1 of a 3-D tensor normalises over the last two axes
	y := tensor.New([]int{1, 2, 2}, []float64{0, 1, 2, 3})
	got = elemRun(t, elemCase{op: "Softmax", opset: 11}, y)[0]
	elemCheck(t, "opset 11 3-D", got, tensor.Float64, []int{1, 2, 2}, e(0)/s, e(1)/s, e(2)/s, e(3)/s)
}

func TestSoftmaxLargeValues(t *testing.T) {
	x := elemF32([]int{3}, 1000, 1001, -math.MaxFloat32)
	got := elemRun(t, elemCase{op: "Softmax"}, x)[0].Float32()
	if math.Abs(float64(got[1])-1/(1+math.Exp(-1))) > 1e-6 || got[2] != 0 {
		t.Fatalf("softmax of large values: %v", got)
	}
}
