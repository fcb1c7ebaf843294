package integer

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"t2c/tensor"
)

func TestIntAvgPoolHandWorked(t *testing.T) {
	// Global average of a 1×2×2×2 uint8 input, in zero point 4, m = 1,
	// shift 2 (÷4, the window), out zero point 4, so y = x̄ rounded half up:
	//   channel 0: 5 6 7 8  → Σ(x − 4) = 10 → 10/4 = 2.5 → 3 → 7
	//   channel 1: 0 1 2 4  → Σ(x − 4) = −9 → −2.25 → −2 → 2
	x := tensor.New([]int{1, 2, 2, 2}, []uint8{5, 6, 7, 8, 0, 1, 2, 4})
	n := NewIntAvgPool("gap", "x", "y", IntAvgPoolParams{Global: true, InZeroPoint: 4, Multiplier: 1, Shift: 2,
		Out: cnnGrid8(false, 0.1, 4), Layer: "avgpool"})
	y := runCNNOp(t, n, x)
	if fmt.Sprint(y.Shape()) != "[1 2 1 1]" {
		t.Fatalf("global pool shape %v", y.Shape())
	}
	cnnEqual(t, "global pool", y, []int64{7, 2})

	// 2×2 windows, stride 2, on a 1×1×2×4 int32 input, zero point 0, output
	// on a signed 4-bit grid: m = 3, shift 3 → y = rshift(3·Σ, 3):
	//   windows [1 2; 5 6] Σ = 14 → 42/8 = 5.25 → 5
	//           [3 4; 7 9] Σ = 23 → 69/8 = 8.625 → 9 → clamp 7
	x = tensor.New([]int{1, 1, 2, 4}, []int32{1, 2, 3, 4, 5, 6, 7, 9})
	g := Grid{Bits: 4, Signed: true, Scale: []float64{1}}
	n = NewIntAvgPool("pool", "x", "y", IntAvgPoolParams{KernelShape: []int{2, 2}, Strides: []int{2, 2}, Multiplier: 3, Shift: 3, Out: g})
	cnnEqual(t, "window pool", runCNNOp(t, n, x), []int64{5, 7})
}

func TestIntAvgPoolMatchesReference(t *testing.T) {
	r := rand.New(rand.NewPCG(13, 14))
	for _, c := range []struct {
		shape        []int
		global       bool
		kernel, strd []int
	}{
		{[]int{3, 5, 8, 8}, true, nil, nil},
		{[]int{2, 64, 7, 7}, true, nil, nil},
		{[]int{2, 3, 9, 7}, false, []int{3, 2}, []int{2, 1}},
		{[]int{1, 4, 6, 6}, false, []int{2, 2}, nil},
		{[]int{2, 3, 10}, false, []int{4}, []int{3}},
		{[]int{2, 3, 10}, true, nil, nil},
	} {
		x := cnnRandInts[int16](r, -1<<15, 1<<15-1, c.shape...)
		zp, m, shift := int64(r.IntN(100)-50), r.Int64N(1<<30), 20+r.IntN(20)
		n := NewIntAvgPool("pool", "x", "y", IntAvgPoolParams{Global: c.global, KernelShape: c.kernel, Strides: c.strd,
			InZeroPoint: zp, Multiplier: m, Shift: shift, Out: cnnGrid8(false, 1, 128)})
		y := runCNNOp(t, n, x)
		// reference: explicit window loops over the input as planes of h×w
		xs := x.Int64s()
		h, w := 1, c.shape[len(c.shape)-1]
		if len(c.shape) == 4 {
			h = c.shape[2]
		}
		kh, kw, sh, sw := h, w, 1, 1
		if !c.global {
			kw, sw = c.kernel[len(c.kernel)-1], 1
			if c.strd != nil {
				sw = c.strd[len(c.strd)-1]
			}
			if len(c.shape) == 4 {
				kh, sh = c.kernel[0], 1
				if c.strd != nil {
					sh = c.strd[0]
				}
			} else {
				kh = 1
			}
		}
		oh, ow := (h-kh)/sh+1, (w-kw)/sw+1
		var want []int64
		for pl := 0; pl < c.shape[0]*c.shape[1]; pl++ {
			for i := 0; i < oh; i++ {
				for j := 0; j < ow; j++ {
					var s int64
					for u := 0; u < kh; u++ {
						for v := 0; v < kw; v++ {
							s += xs[pl*h*w+(i*sh+u)*w+j*sw+v] - zp
						}
					}
					want = append(want, Clamp(RShift(s*m, shift)+128, 0, 255))
				}
			}
		}
		cnnEqual(t, fmt.Sprintf("%+v", c), y, want)
	}
}

func TestIntAvgPoolRejects(t *testing.T) {
	x := tensor.Zeros(tensor.Uint8, 1, 2, 4, 4)
	for what, p := range map[string]IntAvgPoolParams{
		"no window":       {Multiplier: 1, Out: cnnGrid8(false, 1, 0)},
		"window too big":  {KernelShape: []int{5, 5}, Multiplier: 1, Out: cnnGrid8(false, 1, 0)},
		"window rank":     {KernelShape: []int{2}, Multiplier: 1, Out: cnnGrid8(false, 1, 0)},
		"zero stride":     {KernelShape: []int{2, 2}, Strides: []int{0, 1}, Multiplier: 1, Out: cnnGrid8(false, 1, 0)},
		"huge multiplier": {Global: true, Multiplier: 1 << 40, Out: cnnGrid8(false, 1, 0)},
	} {
		if _, err := tryCNNOp(NewIntAvgPool("pool", "x", "y", p), x); err == nil {
			t.Errorf("%s: no error", what)
		}
	}
	n := NewIntAvgPool("pool", "x", "y", IntAvgPoolParams{Global: true, Multiplier: 1, Out: cnnGrid8(false, 1, 0)})
	n.Attrs["pads"] = n.Attrs["multiplier"]
	if _, err := tryCNNOp(n, x); err == nil {
		t.Error("pads: no error")
	}
}
