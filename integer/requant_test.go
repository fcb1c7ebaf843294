package integer

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	"t2c/graph"
	"t2c/tensor"
)

func TestRequantHandWorked(t *testing.T) {
	// in_zero_point 2, m 1, b 0, s 1, out zero point 10 (uint8):
	//   x      3   1   5  -1   2  300  -300
	//   x−2    1  -1   3  -3   0  298  -302
	//   /2   0.5 -0.5 1.5 -1.5 0  149  -151   (rshift: ties up)
	//   q      1   0   2  -1   0  149  -151
	//   +10   11  10  12   9  10  159  -141 → clamp [0, 255] → 0
	x := tensor.New([]int{7}, []int32{3, 1, 5, -1, 2, 300, -300})
	n := NewRequant("rq", "x", "y", RequantParams{Channels: []Fixed{{Multiplier: 1, Shift: 1}},
		InZeroPoint: 2, Out: cnnGrid8(false, 0.1, 10)})
	y := runCNNOp(t, n, x)
	if y.DType() != tensor.Uint8 {
		t.Fatalf("output %v, want uint8", y.DType())
	}
	cnnEqual(t, "requant", y, []int64{11, 10, 12, 9, 10, 159, 0})

	// Per channel on axis 1 of [1, 2, 2], int8 grid clamped to [0, 127]
	// (a fused ReLU), signed, zero point 0:
	//   channel 0: m 3, b 4, s 2:  x = 5 → (15+4)/4 = 4.75 → 5;  x = −9 → (−27+4)/4 = −5.75 → −6 → 0
	//   channel 1: m −5, b −1, s 3: x = 7 → (−35−1)/8 = −4.5 → −4 → 0; x = −13 → (65−1)/8 = 8
	x = tensor.New([]int{1, 2, 2}, []int16{5, -9, 7, -13})
	n = NewRequant("rq", "x", "y", RequantParams{Axis: 1,
		Channels: []Fixed{{Multiplier: 3, Shift: 2, Bias: 4}, {Multiplier: -5, Shift: 3, Bias: -1}},
		Lo:       0, Hi: 127, Out: cnnGrid8(true, 0.1, 0)})
	cnnEqual(t, "per-channel requant", runCNNOp(t, n, x), []int64{5, 0, 0, 8})

	// Lo = Hi = 0 means the grid's limits: −6 survives without the ReLU.
	n = NewRequant("rq", "x", "y", RequantParams{Axis: 1,
		Channels: []Fixed{{Multiplier: 3, Shift: 2, Bias: 4}, {Multiplier: -5, Shift: 3, Bias: -1}},
		Out:      cnnGrid8(true, 0.1, 0)})
	cnnEqual(t, "unclamped requant", runCNNOp(t, n, x), []int64{5, -6, -4, 8})
}

// refRequant is the formula of docs/INTEGER.md §4 on int64 values.
func refRequant(x []int64, shape []int, axis int, ch []Fixed, zin, zout, lo, hi int64) []int64 {
	inner := tensor.NumElems(shape[axis+1:])
	y := make([]int64, len(x))
	for i, v := range x {
		f := ch[0]
		if len(ch) > 1 {
			f = ch[(i/inner)%shape[axis]]
		}
		y[i] = Clamp(RShift((v-zin)*f.Multiplier+f.Bias, f.Shift)+zout, lo, hi)
	}
	return y
}

func TestRequantMatchesReference(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	type inCase struct {
		make   func(shape []int) *tensor.Tensor
		zin    int64
		maxMul int64
	}
	ins := map[string]inCase{
		"int32":  {func(s []int) *tensor.Tensor { return cnnRandInts[int32](r, -1<<31, 1<<31-1, s...) }, 0, 1<<31 - 1},
		"int32z": {func(s []int) *tensor.Tensor { return cnnRandInts[int32](r, -1<<20, 1<<20, s...) }, 12345, 1 << 20},
		"uint8":  {func(s []int) *tensor.Tensor { return cnnRandInts[uint8](r, 0, 255, s...) }, 77, 1<<31 - 1},
		"int8":   {func(s []int) *tensor.Tensor { return cnnRandInts[int8](r, -128, 127, s...) }, 0, 1<<31 - 1},
		"int16":  {func(s []int) *tensor.Tensor { return cnnRandInts[int16](r, -1<<15, 1<<15-1, s...) }, -3, 1<<31 - 1},
		"uint16": {func(s []int) *tensor.Tensor { return cnnRandInts[uint16](r, 0, 1<<16-1, s...) }, 40000, 1<<31 - 1},
	}
	outs := []Grid{
		cnnGrid8(false, 1, 128), cnnGrid8(true, 1, 0),
		{Bits: 4, Signed: false, Scale: []float64{1}, ZeroPoint: 3},
		{Bits: 16, Signed: true, Scale: []float64{1}},
		{Bits: 12, Signed: false, Scale: []float64{1}, ZeroPoint: 2048},
		{Bits: 32, Signed: true, Scale: []float64{1}},
	}
	shapes := []struct {
		shape []int
		axis  int
	}{{[]int{2, 5, 3, 4}, 1}, {[]int{7, 6}, -1}, {[]int{3, 4, 5}, 2}, {[]int{1000, 3, 41}, 1}, {[]int{9}, 0}}
	for name, ic := range ins {
		for oi, out := range outs {
			for si, sc := range shapes {
				for _, perChannel := range []bool{false, true} {
					what := fmt.Sprintf("%s→grid%d shape%v perChannel=%v", name, oi, sc.shape, perChannel)
					axis, _ := normAxis(sc.axis, len(sc.shape))
					nch := 1
					if perChannel {
						nch = sc.shape[axis]
					}
					ch := make([]Fixed, nch)
					for c := range ch {
						// multipliers small enough that the outputs land inside
						// and outside the grid, shifts 0–40, biases of both signs
						ch[c] = Fixed{Multiplier: r.Int64N(2*ic.maxMul+1) - ic.maxMul, Shift: r.IntN(41), Bias: r.Int64N(1<<40) - 1<<39}
						ch[c].Multiplier >>= r.IntN(20)
					}
					lo, hi := out.QMin(), out.QMax()
					if si%2 == 1 { // a fused ReLU / clip
						lo, hi = out.ZeroPoint, out.QMax()-1
					}
					x := ic.make(sc.shape)
					n := NewRequant("rq", "x", "y", RequantParams{Axis: sc.axis, Channels: ch, InZeroPoint: ic.zin, Lo: lo, Hi: hi, Out: out})
					y, err := tryCNNOp(n, x)
					if err != nil {
						t.Fatalf("%s: %v", what, err)
					}
					if y.DType() != out.DType() {
						t.Fatalf("%s: output %v, want %v", what, y.DType(), out.DType())
					}
					cnnEqual(t, what, y, refRequant(x.Int64s(), sc.shape, axis, ch, ic.zin, out.ZeroPoint, lo, hi))
				}
			}
		}
	}
}

func TestRequantRejects(t *testing.T) {
	g := cnnGrid8(false, 1, 0)
	ok := func() *graph.Node {
		return NewRequant("rq", "x", "y", RequantParams{Channels: []Fixed{{Multiplier: 3, Shift: 2}}, Out: g, Layer: "layer1.0"})
	}
	x := tensor.New([]int{2, 3}, []int32{1, 2, 3, 4, 5, 6})
	if _, err := tryCNNOp(ok(), x); err != nil {
		t.Fatalf("valid node: %v", err)
	}
	for name, edit := range map[string]func(n *graph.Node){
		"unknown attribute": func(n *graph.Node) { n.Attrs["rounding"] = graph.StringAttr("even") },
		"no grid":           func(n *graph.Node) { delete(n.Attrs, AttrOutBits) },
		"no multiplier":     func(n *graph.Node) { delete(n.Attrs, "multiplier") },
		"huge multiplier":   func(n *graph.Node) { n.Attrs["multiplier"] = graph.IntsAttr(1 << 31) },
		"negative shift":    func(n *graph.Node) { n.Attrs["shift"] = graph.IntsAttr(-1) },
		"shift 63":          func(n *graph.Node) { n.Attrs["shift"] = graph.IntsAttr(63) },
		"clamp outside":     func(n *graph.Node) { n.Attrs[attrHi] = graph.IntAttr(256) },
		"empty clamp":       func(n *graph.Node) { n.Attrs[attrLo] = graph.IntAttr(9); n.Attrs[attrHi] = graph.IntAttr(3) },
		"channel count":     func(n *graph.Node) { n.Attrs["multiplier"] = graph.IntsAttr(1, 2, 3, 4) },
		"list lengths": func(n *graph.Node) {
			n.Attrs["multiplier"] = graph.IntsAttr(1, 2)
			n.Attrs["bias"] = graph.IntsAttr(1, 2, 3)
		},
	} {
		n := ok()
		edit(n)
		_, buildErr := graph.Build(n, 17)
		if _, err := tryCNNOp(n, x); err == nil {
			t.Errorf("%s: no error", name)
		} else if buildErr != nil && !strings.Contains(buildErr.Error(), `"rq"`) {
			t.Errorf("%s: build error %q does not name the node", name, buildErr)
		}
	}
	if _, err := tryCNNOp(ok(), tensor.New([]int{2}, []float32{1, 2})); err == nil {
		t.Error("float input: no error")
	}
	// An int32 input far from a large zero point, times a large multiplier,
	// overflows int64; the same node runs on values close to it.
	n := ok()
	n.Attrs["in_zero_point"] = graph.IntAttr(-1 << 31)
	n.Attrs["multiplier"] = graph.IntsAttr(1<<31 - 1)
	n.Attrs["bias"] = graph.IntsAttr(1 << 61)
	if _, err := tryCNNOp(n, tensor.New([]int{2}, []int32{0, 1<<31 - 1})); err == nil {
		t.Error("overflowing input: no error")
	}
	if _, err := tryCNNOp(n, tensor.New([]int{2}, []int32{-1 << 31, -1<<31 + 5})); err != nil {
		t.Errorf("input near the zero point: %v", err)
	}
}
