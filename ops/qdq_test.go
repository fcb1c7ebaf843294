package ops

import (
	"math"
	"testing"

	"t2c/graph"
	"t2c/tensor"
)

// Ties must round to even: FakeQuant does, and an exported QDQ model
// must compute the same integers.
func TestQuantizeLinearRoundsHalfToEven(t *testing.T) {
	x := elemF32([]int{9}, 0.5, 1.5, 2.5, -0.5, -1.5, -2.5, 3.49, 1000, -1000)
	s := tensor.Scalar[float32](1)
	got := elemRun(t, elemCase{op: "QuantizeLinear", opset: 13}, x, s, tensor.Scalar[int8](0))[0]
	elemCheck(t, "int8", got, tensor.Int8, []int{9}, 0, 2, 2, 0, -2, -2, 3, 127, -128)
	// zero point 10, uint8: round first, then add, then saturate
	got = elemRun(t, elemCase{op: "QuantizeLinear", opset: 10}, x, s, tensor.Scalar[uint8](10))[0]
	elemCheck(t, "uint8", got, tensor.Uint8, []int{9}, 10, 12, 12, 10, 8, 8, 13, 255, 0)
}

func TestQuantizeLinearDefaultsToUint8(t *testing.T) {
	x := elemF32([]int{4}, -1, 0.26, 1, 100)
	got := elemRun(t, elemCase{op: "QuantizeLinear"}, x, tensor.Scalar[float32](0.5))[0]
	elemCheck(t, "no zero point", got, tensor.Uint8, []int{4}, 0, 1, 2, 200)
}

// The quotient is float32, as in ONNX Runtime and FakeQuant: 0.35/0.1 is
// exactly 3.5 in float32 (a tie, → 4) but 3.4999999 in float64 (→ 3);
// 0.45/0.1 is the tie 4.5 (→ 4, the even neighbour).
func TestQuantizeLinearDividesInFloat32(t *testing.T) {
	x := elemF32([]int{2}, 0.35, 0.45)
	got := elemRun(t, elemCase{op: "QuantizeLinear"}, x, tensor.Scalar[float32](0.1), tensor.Scalar[int8](0))[0]
	elemCheck(t, "float32 quotient", got, tensor.Int8, []int{2}, 4, 4)
}

func TestQuantizeLinearNaNIsZeroPoint(t *testing.T) {
	x := elemF32([]int{1}, float32(math.NaN()))
	got := elemRun(t, elemCase{op: "QuantizeLinear"}, x, tensor.Scalar[float32](1), tensor.Scalar[uint8](7))[0]
	elemCheck(t, "NaN", got, tensor.Uint8, []int{1}, 7)
}

func TestQuantizeLinearPerAxis(t *testing.T) {
	// [2, 3]: axis 1 has scales 1, 2, 4 and zero points 0, 1, −1
	x := elemF32([]int{2, 3}, 3, 3, 3, -8, 8, 1000)
	s := tensor.FromSlice([]float32{1, 2, 4})
	z := tensor.FromSlice([]int8{0, 1, -1})
	want := []float64{3, 3, 0, -8, 5, 127} // 3/2=1.5→2 (+1), 3/4=0.75→1 (−1); 8/2=4 (+1)
	for _, axis := range []int64{1, -1} {
		c := elemCase{op: "QuantizeLinear", opset: 13, attrs: map[string]graph.Attr{"axis": graph.IntAttr(axis)}}
		got := elemRun(t, c, x, s, z)[0]
		elemCheck(t, "per axis", got, tensor.Int8, []int{2, 3}, want...)
	}
	// the default axis is 1: NCHW channels
	y := elemF32([]int{1, 2, 1, 2}, 1, 2, 1, 2)
	got := elemRun(t, elemCase{op: "QuantizeLinear", opset: 13}, y, tensor.FromSlice([]float32{1, 0.5}), tensor.FromSlice([]uint8{0, 0}))[0]
	elemCheck(t, "default axis", got, tensor.Uint8, []int{1, 2, 1, 2}, 1, 2, 2, 4)
}

func TestDequantizeLinear(t *testing.T) {
	s := tensor.FromSlice([]float32{0.5, 2})
	axis0 := map[string]graph.Attr{"axis": graph.IntAttr(0)}
	got := elemRun(t, elemCase{op: "DequantizeLinear", opset: 13, attrs: axis0},
		tensor.New([]int{2, 2}, []int8{-128, 127, -3, 4}), s, tensor.FromSlice([]int8{0, -3}))[0]
	elemCheck(t, "int8 per axis", got, tensor.Float32, []int{2, 2}, -64, 63.5, 0, 14)
	got = elemRun(t, elemCase{op: "DequantizeLinear", opset: 10},
		tensor.FromSlice([]uint8{0, 128, 255}), tensor.Scalar[float32](0.25), tensor.Scalar[uint8](128))[0]
	elemCheck(t, "uint8", got, tensor.Float32, []int{3}, -32, 0, 31.75)
	// int32 (a bias) has no zero point
	got = elemRun(t, elemCase{op: "DequantizeLinear"}, tensor.FromSlice([]int32{-1 << 20, 3}), tensor.Scalar[float32](0.5))[0]
	elemCheck(t, "int32", got, tensor.Float32, []int{2}, -(1 << 19), 1.5)
}

// Dequantize(Quantize(x)) is FakeQuant's formula, element by element.
func TestQuantizeDequantizeIsFakeQuant(t *testing.T) {
	xs := make([]float32, 2001)
	for i := range xs {
		xs[i] = float32(i-1000) * 0.0125 // includes exact ties of x/s
	}
	x := elemF32([]int{len(xs)}, xs...)
	s, z := float32(0.025), int32(7)
	sT, zT := tensor.Scalar(s), tensor.Scalar(uint8(z))
	q := elemRun(t, elemCase{op: "QuantizeLinear"}, x, sT, zT)[0]
	y := elemRun(t, elemCase{op: "DequantizeLinear"}, q, sT, zT)[0].Float32()
	for i, v := range xs {
		r := min(max(math.RoundToEven(float64(v/s))+float64(z), 0), 255)
		if want := float32(int32(r)-z) * s; y[i] != want {
			t.Fatalf("x=%v: got %v, want %v", v, y[i], want)
		}
	}
}

func TestQDQErrors(t *testing.T) {
	x := elemF32([]int{2, 3}, 1, 2, 3, 4, 5, 6)
	s2 := tensor.FromSlice([]float32{1, 2})
	_, err := elemTry(elemCase{op: "QuantizeLinear", opset: 13}, x, s2, tensor.FromSlice([]uint8{0, 0}))
	elemWantErr(t, err, "has 3 elements on axis 1, scale has 2")
	_, err = elemTry(elemCase{op: "QuantizeLinear", opset: 10}, x, s2, tensor.FromSlice([]uint8{0, 0}))
	elemWantErr(t, err, "scalar before opset 13")
	_, err = elemTry(elemCase{op: "QuantizeLinear", opset: 10, attrs: map[string]graph.Attr{"axis": graph.IntAttr(0)}}, x, tensor.Scalar[float32](1))
	elemWantErr(t, err, "axis")
	_, err = elemTry(elemCase{op: "QuantizeLinear", opset: 9}, x, tensor.Scalar[float32](1))
	elemWantErr(t, err, "needs opset 10")
	_, err = elemTry(elemCase{op: "QuantizeLinear"}, x, tensor.Scalar[float32](1), tensor.Scalar[int32](0))
	elemWantErr(t, err, "uint8 or int8")
	_, err = elemTry(elemCase{op: "QuantizeLinear"}, x, tensor.Scalar[float32](1), tensor.FromSlice([]uint8{0, 0}))
	elemWantErr(t, err, "zero point shape")
	_, err = elemTry(elemCase{op: "DequantizeLinear"}, tensor.FromSlice([]int8{1}), tensor.Scalar[float32](1), tensor.Scalar[uint8](0))
	elemWantErr(t, err, "must match")
	_, err = elemTry(elemCase{op: "DequantizeLinear"}, x, tensor.Scalar[float32](1))
	elemWantErr(t, err, "uint8, int8 or int32")
	_, err = elemTry(elemCase{op: "DequantizeLinear"}, tensor.FromSlice([]int8{1}), tensor.Scalar[float64](1))
	elemWantErr(t, err, "scale must be float32")
}
