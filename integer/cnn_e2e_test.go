package integer

import (
	"math"
	"math/rand/v2"
	"testing"

	"t2c/graph"
	"t2c/tensor"
)

// A hand-built integer graph QuantizeInput → IntConv → Requant (folded
// bias, ReLU) → IntAvgPool run by a graph.Session agrees with the float
// computation it stands for to within one step of each output grid.
func TestCNNGraphMatchesFloat(t *testing.T) {
	r := rand.New(rand.NewPCG(15, 16))
	const n, c, h, w, k = 2, 3, 8, 8, 4
	x := make([]float32, n*c*h*w)
	for i := range x {
		x[i] = float32(r.NormFloat64())
	}
	// Input grid: uint8 over [−3, 3.5].
	sx := float64(float32(6.5 / 255))
	zx := int64(math.Round(3 / sx))
	// Weights: per-channel symmetric int8.
	wf := make([]float64, k*c*9)
	for i := range wf {
		wf[i] = r.NormFloat64() * 0.3
	}
	wq := make([]int8, len(wf))
	sw := make([]float64, k)
	for o := 0; o < k; o++ {
		m := 0.0
		for _, v := range wf[o*c*9 : (o+1)*c*9] {
			m = max(m, math.Abs(v))
		}
		sw[o] = m / 127
		for i := o * c * 9; i < (o+1)*c*9; i++ {
			wq[i] = int8(math.RoundToEven(wf[i] / sw[o]))
		}
	}
	bias := []float64{0.3, -0.2, 0.05, 0.7}
	// Output grids: y uint8 with zero point 10 (ReLU clamps at 10), and the
	// pooled output on the same scale, zero point 0.
	sy, zy := float64(float32(0.02)), int64(10)
	so := sy

	g := graph.New("cnn", 17)
	g.Inputs = []graph.ValueInfo{{Name: "x", DType: tensor.Float32, Shape: []int{-1, c, h, w}}}
	g.Outputs = []graph.ValueInfo{{Name: "y"}, {Name: "o"}}
	g.Params["conv.weight"] = tensor.New([]int{k, c, 3, 3}, wq)
	f := DefaultFormat()
	var ch []Fixed
	for o := 0; o < k; o++ {
		e, err := f.Encode(sx*sw[o]/sy, bias[o]/sy)
		if err != nil {
			t.Fatal(err)
		}
		ch = append(ch, e)
	}
	pool, err := f.Encode(sy/(so*h*w), 0)
	if err != nil {
		t.Fatal(err)
	}
	yGrid := Grid{Bits: 8, Scale: []float64{sy}, ZeroPoint: zy}
	g.Nodes = []*graph.Node{
		NewQuantizeInput("quant", "x", "xq", QuantizeInputParams{Out: Grid{Bits: 8, Scale: []float64{sx}, ZeroPoint: zx}}),
		NewIntConv("conv", "xq", "conv.weight", "acc", IntConvParams{Pads: []int{1, 1, 1, 1}, XZeroPoint: zx,
			Out: Grid{Bits: 32, Signed: true, Scale: []float64{sx * sw[0], sx * sw[1], sx * sw[2], sx * sw[3]}, Axis: 1}, Layer: "conv"}),
		NewRequant("rq", "acc", "y", RequantParams{Axis: 1, Channels: ch, Lo: zy, Hi: 255, Out: yGrid, Layer: "conv"}),
		NewIntAvgPool("gap", "y", "o", IntAvgPoolParams{Global: true, InZeroPoint: zy, Multiplier: pool.Multiplier, Shift: pool.Shift,
			Out: Grid{Bits: 8, Scale: []float64{so}}}),
	}

	// Types are inferred without running a kernel.
	_, types, err := graph.Specialize(g, map[string][]int{"x": {n, c, h, w}})
	if err != nil {
		t.Fatal(err)
	}
	for name, want := range map[string]tensor.DType{"xq": tensor.Uint8, "acc": tensor.Int32, "y": tensor.Uint8, "o": tensor.Uint8} {
		if types[name].DType != want {
			t.Errorf("%s inferred as %v, want %v", name, types[name].DType, want)
		}
	}
	if s := types["o"].Shape; len(s) != 4 || s[2] != 1 || s[3] != 1 {
		t.Errorf("pooled shape %v", s)
	}

	sess, err := graph.NewSession(g)
	if err != nil {
		t.Fatal(err)
	}
	out, err := sess.Run(map[string]*tensor.Tensor{"x": tensor.New([]int{n, c, h, w}, x)})
	if err != nil {
		t.Fatal(err)
	}

	// The float model: fake-quantized input, dequantized weights, float64
	// convolution + bias, ReLU, fake-quantized output, float mean.
	xh := make([]float64, len(x))
	for i, v := range x {
		q := Clamp(int64(math.RoundToEven(float64(v/float32(sx))))+zx, 0, 255)
		xh[i] = sx * float64(q-zx)
	}
	yq := out["y"].Int64s()
	oq := out["o"].Int64s()
	var mismatches int
	for b := 0; b < n; b++ {
		for o := 0; o < k; o++ {
			var mean float64
			for i := 0; i < h; i++ {
				for j := 0; j < w; j++ {
					acc := bias[o]
					for cc := 0; cc < c; cc++ {
						for u := 0; u < 3; u++ {
							for v := 0; v < 3; v++ {
								ih, iw := i+u-1, j+v-1
								if ih >= 0 && ih < h && iw >= 0 && iw < w {
									acc += xh[((b*c+cc)*h+ih)*w+iw] * sw[o] * float64(wq[((o*c+cc)*3+u)*3+v])
								}
							}
						}
					}
					want := Clamp(int64(math.RoundToEven(max(acc, 0)/sy))+zy, zy, 255)
					got := yq[((b*k+o)*h+i)*w+j]
					if d := got - want; d < -1 || d > 1 {
						t.Fatalf("y[%d,%d,%d,%d] = %d, float model %d", b, o, i, j, got, want)
					} else if d != 0 {
						mismatches++
					}
					mean += sy * float64(want-zy) / (h * w)
				}
			}
			want := Clamp(int64(math.RoundToEven(mean/so)), 0, 255)
			if d := oq[b*k+o] - want; d < -1 || d > 1 {
				t.Errorf("pooled [%d,%d] = %d, float model %d", b, o, oq[b*k+o], want)
			}
		}
	}
	if mismatches > len(yq)/100 {
		t.Errorf("%d of %d outputs differ by one step: only exact ties should", mismatches, len(yq))
	}
}
