package integer

import (
	"math"
	"math/rand/v2"
	"testing"

	"t2c/tensor"
)

func TestQuantizeInputHandWorked(t *testing.T) {
	// scale 0.5, zero point 3, uint8: q = clamp(rne(x/0.5) + 3, 0, 255)
	//   x      0.25  0.75  −0.25  1.25  −0.75  200   −10   NaN  +Inf
	//   x/s    0.5   1.5   −0.5   2.5   −1.5   400   −20
	//   rne    0     2     −0     2     −2     400   −20
	//   q      3     5     3      5     1      255   0     3    255
	x := tensor.New([]int{9}, []float32{0.25, 0.75, -0.25, 1.25, -0.75, 200, -10, float32(math.NaN()), float32(math.Inf(1))})
	n := NewQuantizeInput("q", "x", "xq", QuantizeInputParams{Out: cnnGrid8(false, 0.5, 3)})
	cnnEqual(t, "quantize", runCNNOp(t, n, x), []int64{3, 5, 3, 5, 1, 255, 0, 3, 255})

	// Per channel (axis 1 of [1, 2, 2]), signed 4 bits [−8, 7]:
	//   channel 0 scale 0.25: 0.375/0.25 = 1.5 → 2;  3/0.25 = 12 → 7
	//   channel 1 scale 2:    −3/2 = −1.5 → −2;      −100/2 → −8
	x = tensor.New([]int{1, 2, 2}, []float32{0.375, 3, -3, -100})
	g := Grid{Bits: 4, Signed: true, Scale: []float64{0.25, 2}, Axis: 1}
	y := runCNNOp(t, NewQuantizeInput("q", "x", "xq", QuantizeInputParams{Out: g}), x)
	if y.DType() != tensor.Int8 {
		t.Fatalf("4-bit signed grid stored as %v, want int8", y.DType())
	}
	cnnEqual(t, "per-channel quantize", y, []int64{2, 7, -2, -8})
}

// QuantizeInput divides in float32, as the fake-quant model does: a value
// whose float64 quotient rounds differently must follow float32.
func TestQuantizeInputIsFloat32(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	scale := float32(0.0173)
	x := make([]float32, 4096)
	for i := range x {
		x[i] = float32(r.NormFloat64() * 2)
	}
	y := runCNNOp(t, NewQuantizeInput("q", "x", "xq", QuantizeInputParams{Out: Grid{Bits: 16, Signed: true, Scale: []float64{float64(scale)}}}),
		tensor.New([]int{len(x)}, x))
	for i, v := range y.Int64s() {
		want := Clamp(int64(math.RoundToEven(float64(x[i]/scale))), -32768, 32767)
		if v != want {
			t.Fatalf("x = %v: got %d, want %d", x[i], v, want)
		}
	}
}
