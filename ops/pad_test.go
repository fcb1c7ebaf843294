package ops

import (
	"testing"

	"t2c/graph"
	"t2c/tensor"
)

func TestPadModes(t *testing.T) {
	x := elemF32([]int{3}, 1, 2, 3)
	mode := func(m string) map[string]graph.Attr { return map[string]graph.Attr{"mode": graph.StringAttr(m)} }
	got := elemRun(t, elemCase{op: "Pad", attrs: mode("reflect")}, x, elemI64(2, 2))[0]
	elemCheck(t, "reflect", got, tensor.Float32, []int{7}, 3, 2, 1, 2, 3, 2, 1)
	got = elemRun(t, elemCase{op: "Pad", attrs: mode("reflect")}, x, elemI64(4, 0))[0]
	elemCheck(t, "reflect beyond size", got, tensor.Float32, []int{7}, 1, 2, 3, 2, 1, 2, 3)
	got = elemRun(t, elemCase{op: "Pad", attrs: mode("edge")}, x, elemI64(2, 1))[0]
	elemCheck(t, "edge", got, tensor.Float32, []int{6}, 1, 1, 1, 2, 3, 3)
	got = elemRun(t, elemCase{op: "Pad"}, x, elemI64(1, 2), elemF32(nil, 9))[0]
	elemCheck(t, "constant", got, tensor.Float32, []int{6}, 9, 1, 2, 3, 9, 9)
	got = elemRun(t, elemCase{op: "Pad"}, x, elemI64(-1, 2))[0]
	elemCheck(t, "crop then pad", got, tensor.Float32, []int{4}, 2, 3, 0, 0)
	got = elemRun(t, elemCase{op: "Pad", attrs: mode("reflect")}, x, elemI64(-1, 1))[0]
	elemCheck(t, "reflect after crop", got, tensor.Float32, []int{3}, 2, 3, 2)
	_, err := elemTry(elemCase{op: "Pad"}, x, elemI64(-2, -2))
	elemWantErr(t, err, "remove more")
	_, err = elemTry(elemCase{op: "Pad", attrs: mode("wrap")}, x, elemI64(1, 1))
	elemWantErr(t, err, "wrap")
}

func TestPad2DAndOpset10(t *testing.T) {
	x := tensor.New([]int{2, 2}, []int32{1, 2, 3, 4})
	got := elemRun(t, elemCase{op: "Pad", attrs: map[string]graph.Attr{"mode": graph.StringAttr("reflect")}}, x, elemI64(1, 0, 0, 1))[0]
	elemCheck(t, "2-D reflect", got, tensor.Int32, []int{3, 3}, 3, 4, 3, 1, 2, 1, 3, 4, 3)
	att := map[string]graph.Attr{"pads": graph.IntsAttr(0, 1, 1, 0), "value": graph.FloatAttr(-1)}
	got = elemRun(t, elemCase{op: "Pad", opset: 10, attrs: att}, x)[0]
	elemCheck(t, "opset 10", got, tensor.Int32, []int{3, 3}, -1, 1, 2, -1, 3, 4, -1, -1, -1)
	_, err := elemTry(elemCase{op: "Pad"}, x, elemI64(1, 1, 1, 1), nil, elemI64(0))
	elemWantErr(t, err, "axes")
}
