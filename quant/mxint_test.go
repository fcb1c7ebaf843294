package quant_test

import (
	"strings"
	"testing"

	"t2c/graph"
	"t2c/quant"
	"t2c/tensor"
)

func mxRow(v ...float32) []float32 { return append(v, make([]float32, 16-len(v))...) }

// Hand-worked MXINT8 blocks of 16: the block maximum sets e = ⌊log2 max⌋ and
// elements become round_half_away(x·2^(6−e)), clamped to [−128, 127].
func TestMXINT8Blocks(t *testing.T) {
	x := shaped([]int{3, 16}, append(append(
		mxRow(3, 1.5, -0.75, 0.1, 0.015625, -0.015625, 0.046875), // max 3: e = 1, ×32
		mxRow(1.999, -1.999, 0.5)...),                            // max 1.999: e = 0, ×64
		mxRow()...)...) // all zero: e = −127
	s := quant.Spec{Bits: 8, Block: 16, Axis: -1, Role: quant.Activation}
	g, site := single(t, "mxint", s, nil, []int{-1, 16}, nil)
	p, err := site.QParams(x)
	if err != nil {
		t.Fatal(err)
	}
	if p.Exponent[0] != 1 || p.Exponent[1] != 0 || p.Exponent[2] != -127 {
		t.Fatalf("shared exponents %v, want [1 0 -127]", p.Exponent)
	}
	near(t, "block scales", p.Scale[:2], []float32{1.0 / 32, 1.0 / 64}, 0)
	q, err := p.Quantize(x)
	if err != nil {
		t.Fatal(err)
	}
	want := append(append(
		[]int64{96, 48, -24, 3, 1, -1, 2},                                             // 0.5 → 1 and −0.5 → −1 (half away), 1.5 → 2
		make([]int64, 9)...), append([]int64{127, -128, 32}, make([]int64, 13)...)...) // 127.9 clamps to 127; −127.9 → −128
	for i, v := range ints64(q)[:32] {
		if v != want[i] {
			t.Fatalf("q = %v, want %v", ints64(q)[:32], want)
		}
	}
	y := run1(t, g, x)
	d, _ := p.Dequantize(q)
	near(t, "fake-quant = dequantize(quantize)", y.Float32(), d.Float32(), 0)
	near(t, "fake-quant", y.Float32()[:7], []float32{3, 1.5, -0.75, 0.09375, 0.03125, -0.03125, 0.0625}, 0)
	near(t, "clamped", y.Float32()[16:19], []float32{127.0 / 64, -2, 0.5}, 0)

	// The straight-through gradient stops only at the clamped element.
	_, gr := grads(t, g, x, ones(3, 16), &graph.Ctx{}, nil)
	for i, d := range gr["x"].Float32() {
		if (d == 0) != (i == 16) {
			t.Fatalf("dx[%d] = %v (only element 16 was clamped)", i, d)
		}
	}
}

func TestMXINT4(t *testing.T) {
	x := shaped([]int{1, 16}, mxRow(3, 1.5, -0.75, 0.1, 0.25)...) // e = 1: ×2
	_, site := single(t, "mxint", quant.Spec{Bits: 4, Block: 16, Axis: 1, Role: quant.Activation}, nil, []int{-1, 16}, nil)
	q, _, err := site.Integer(x)
	if err != nil {
		t.Fatal(err)
	}
	want := []int64{6, 3, -2, 0, 1} // −1.5 → −2 and 0.5 → 1: half away from zero
	for i, v := range ints64(q)[:5] {
		if v != want[i] {
			t.Fatalf("MXINT4 q = %v, want %v", ints64(q)[:5], want)
		}
	}
}

// Blocks run along the given axis, strided when it is not the last:
// a [32, 2] weight of Gemm(transB=0) has blocks along axis 0, indexed
// (block, column).
func TestMXINTStridedAxis(t *testing.T) {
	w := tensor.Zeros(tensor.Float32, 32, 2)
	for i := range w.Float32() {
		w.Float32()[i] = 0.25
	}
	w.Float32()[20*2+1] = 40 // row 20, column 1: second block of column 1
	p := quant.Spec{Bits: 8, Block: 16, Axis: 0, Role: quant.Weight}
	q, err := quant.New("mxint", p, nil)
	if err != nil {
		t.Fatal(err)
	}
	qp, err := q.QParams(w, quant.State{})
	if err != nil {
		t.Fatal(err)
	}
	want := []int32{-2, -2, -2, 5} // blocks (0,0) (0,1) (1,0) (1,1)
	for i, e := range qp.Exponent {
		if e != want[i] {
			t.Fatalf("exponents %v, want %v", qp.Exponent, want)
		}
	}
}

func TestMXINTErrors(t *testing.T) {
	for _, c := range []struct {
		s    quant.Spec
		want string
	}{
		{quant.Spec{Bits: 5, Role: quant.Weight}, "4 or 8 bits"},
		{quant.Spec{Bits: 8, Block: 24, Role: quant.Weight}, "16 or 32"},
		{quant.Spec{Bits: 8, Granularity: quant.PerChannel, Role: quant.Weight}, "channel"},
	} {
		if _, err := quant.New("mxint", c.s, nil); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%+v: err = %v, want one mentioning %q", c.s, err, c.want)
		}
	}
	q, _ := quant.New("mxint", quant.Spec{Bits: 8, Role: quant.Weight}, nil)
	if s := q.Spec(); s.Block != 32 || !s.Signed || s.Granularity != quant.PerBlock {
		t.Errorf("defaults %+v, want signed blocks of 32", s)
	}
}
