package quant_test

import (
	"math"
	"strings"
	"testing"

	"t2c/graph"
	"t2c/quant"
	"t2c/tensor"
)

var (
	u8 = quant.Spec{Bits: 8, Signed: false, Granularity: quant.PerTensor, Role: quant.Activation}
	s8 = quant.Spec{Bits: 8, Signed: true, Granularity: quant.PerTensor, Role: quant.Activation}
	s4 = quant.Spec{Bits: 4, Signed: true, Granularity: quant.PerTensor, Role: quant.Activation}
)

func TestRanges(t *testing.T) {
	for _, c := range []struct {
		s          quant.Spec
		qmin, qmax int
		dtype      tensor.DType
	}{
		{u8, 0, 255, tensor.Uint8},
		{s8, -128, 127, tensor.Int8},
		{quant.Spec{Bits: 2, Signed: true}, -2, 1, tensor.Int8},
		{quant.Spec{Bits: 12, Signed: true}, -2048, 2047, tensor.Int16},
		{quant.Spec{Bits: 16, Signed: false}, 0, 65535, tensor.Uint16},
	} {
		if c.s.QMin() != c.qmin || c.s.QMax() != c.qmax || c.s.StorageType() != c.dtype {
			t.Errorf("%v: range [%d, %d] %v, want [%d, %d] %v", c.s, c.s.QMin(), c.s.QMax(), c.s.StorageType(), c.qmin, c.qmax, c.dtype)
		}
	}
}

// Asymmetric unsigned: range [−1, 3] → s = 4/255, z = 64.
func TestAffineAsymmetricUnsigned(t *testing.T) {
	s, z := quant.AffineFromRange(u8, -1, 3)
	if s != float32(4)/255 || z != 64 {
		t.Fatalf("scale, zero point = %v, %d; want 4/255, 64", s, z)
	}
	p := &quant.QParams{Spec: u8, Scale: []float32{s}, ZeroPoint: []int32{z}}
	q, err := p.Quantize(vec(-1, 0, 0.5, 3, 5, -2))
	if err != nil {
		t.Fatal(err)
	}
	if q.DType() != tensor.Uint8 {
		t.Fatalf("storage %v, want uint8", q.DType())
	}
	want := []int64{0, 64, 96, 255, 255, 0} // −63.75→−64, 31.875→32, 191.25→191, clamped
	for i, v := range ints64(q) {
		if v != want[i] {
			t.Fatalf("q = %v, want %v", ints64(q), want)
		}
	}
	d, err := p.Dequantize(q)
	if err != nil {
		t.Fatal(err)
	}
	near(t, "dequantized", d.Float32(), []float32{-64 * s, 0, 32 * s, 191 * s, 191 * s, -64 * s}, 0)

	// A range that does not contain 0 is widened to contain it.
	s, z = quant.AffineFromRange(u8, 0.5, 2)
	if s != float32(2)/255 || z != 0 {
		t.Errorf("range [0.5, 2]: %v, %d; want 2/255, 0", s, z)
	}
}

// Symmetric signed: s = max|x| / 127.5, z = 0; ties round half to even.
func TestAffineSymmetricSigned(t *testing.T) {
	s, z := quant.AffineFromRange(s8, -31.875, 10)
	if s != 0.25 || z != 0 {
		t.Fatalf("scale, zero point = %v, %d; want 0.25, 0", s, z)
	}
	p := &quant.QParams{Spec: s8, Scale: []float32{s}, ZeroPoint: []int32{0}}
	q, _ := p.Quantize(vec(-31.875, 31.875, 0.125, 0.375, -32.5, 0.3, -0.125))
	want := []int64{-128, 127, 0, 2, -128, 1, 0} // −127.5→−128 (even), 127.5→128→127, 0.5→0, 1.5→2
	for i, v := range ints64(q) {
		if v != want[i] {
			t.Fatalf("q = %v, want %v", ints64(q), want)
		}
	}
	d, _ := p.Dequantize(q)
	near(t, "dequantized", d.Float32(), []float32{-32, 31.75, 0, 0.5, -32, 0.25, 0}, 0)

	half := &quant.QParams{Spec: s8, Scale: []float32{0.5}, ZeroPoint: []int32{0}}
	q, _ = half.Quantize(vec(0.25, 0.75, 1.25, -0.25, -0.75, -1.25))
	want = []int64{0, 2, 2, 0, -2, -2}
	for i, v := range ints64(q) {
		if v != want[i] {
			t.Fatalf("half-to-even: q = %v, want %v", ints64(q), want)
		}
	}
}

func TestPerChannelLayouts(t *testing.T) {
	// [out=2, in=3] weight, channel axis 0, scales 0.25 and 0.5 (exact).
	w := shaped([]int{2, 3}, 31.875, -10, 0.3, -63.75, 1.1, 20)
	_, site := weightGraph(t, "minmax_channel", quant.Spec{Bits: 8, Signed: true}, w)
	q, p, err := site.Integer(nil)
	if err != nil {
		t.Fatal(err)
	}
	near(t, "scales", p.Scale, []float32{0.25, 0.5}, 0)
	want := []int64{127, -40, 1, -128, 2, 40}
	for i, v := range ints64(q) {
		if v != want[i] {
			t.Fatalf("per-channel q = %v, want %v", ints64(q), want)
		}
	}
	// The same scales on axis 1 of a [3, 2] tensor alternate along rows.
	p1 := &quant.QParams{Spec: quant.Spec{Bits: 8, Signed: true, Granularity: quant.PerChannel, Axis: 1}, Scale: []float32{0.25, 0.5}, ZeroPoint: []int32{0, 0}}
	q, err = p1.Quantize(shaped([]int{3, 2}, 1, 1, 1, 1, -1, -1))
	if err != nil {
		t.Fatal(err)
	}
	want = []int64{4, 2, 4, 2, -4, -2}
	for i, v := range ints64(q) {
		if v != want[i] {
			t.Fatalf("axis-1 q = %v, want %v", ints64(q), want)
		}
	}
	// A conv weight [2, 1, 2, 2]: the first four values use scale 0.25.
	p0 := &quant.QParams{Spec: quant.Spec{Bits: 8, Signed: true, Granularity: quant.PerChannel}, Scale: []float32{0.25, 0.5}, ZeroPoint: []int32{0, 0}}
	q, _ = p0.Quantize(shaped([]int{2, 1, 2, 2}, 1, 1, 1, 1, 1, 1, 1, 1))
	want = []int64{4, 4, 4, 4, 2, 2, 2, 2}
	for i, v := range ints64(q) {
		if v != want[i] {
			t.Fatalf("conv q = %v, want %v", ints64(q), want)
		}
	}
	if _, err := p0.Quantize(shaped([]int{3, 1}, 1, 1, 1)); err == nil {
		t.Error("3 channels quantized with 2 scales")
	}
}

// minmax observes, then fake-quantizes: y = (q − z)·s with s, z from the
// observed range.
func TestMinMaxObserveThenQuantize(t *testing.T) {
	g, site := single(t, "minmax", u8, nil, []int{-1, 4}, nil)
	x1 := shaped([]int{2, 4}, -1, 0.5, 2, 1, 0, 0, 0.25, 0.5)
	x2 := shaped([]int{1, 4}, 0, 3, 0, 0)
	if err := quant.Calibrate(g, x1, x2); err != nil {
		t.Fatal(err)
	}
	p, err := site.QParams(nil)
	if err != nil {
		t.Fatal(err)
	}
	if p.Scale[0] != float32(4)/255 || p.ZeroPoint[0] != 64 {
		t.Fatalf("after observing [−1, 3]: s = %v, z = %d; want 4/255, 64", p.Scale[0], p.ZeroPoint[0])
	}
	y := run1(t, g, x1)
	q, _ := p.Quantize(x1)
	want, _ := p.Dequantize(q)
	near(t, "fake-quant", y.Float32(), want.Float32(), 0)
	if y.Float32()[1] == x1.Float32()[1] {
		t.Errorf("0.5 is not on the grid of step 4/255 but passed unchanged")
	}
}

func TestSTEMask(t *testing.T) {
	g, site := single(t, "minmax", s4, nil, []int{-1}, nil)
	st, _ := site.State()
	st.Scale.Float32()[0] = 0.5 // grid [−4, 3.5]
	x := vec(0.3, 3.4, 3.8, -4.2, -3.9, 10)
	_, gr := grads(t, g, x, ones(6), &graph.Ctx{}, quant.Trainable(g, nil))
	// round(x/s) = 1, 7, 8 (>7), −8, −8, 20 (>7): the clamped ones get 0.
	near(t, "dx", gr["x"].Float32(), []float32{1, 1, 0, 1, 1, 0}, 0)
	if _, ok := gr[site.Param("scale")]; ok {
		t.Errorf("minmax's scale received a gradient: it is not learnable")
	}
}

// minmax_token takes one scale per token row of whatever arrives at run
// time: 2 tokens in one run, 3 tokens × batch 2 in the next.
func TestTokenDynamicCount(t *testing.T) {
	g, site := single(t, "minmax_token", quant.Spec{Bits: 8, Signed: true, Role: quant.Activation}, nil, []int{-1, -1, 4}, nil)
	sess, err := graph.NewSession(g)
	if err != nil {
		t.Fatal(err)
	}
	for _, shape := range [][]int{{1, 2, 4}, {2, 3, 4}} {
		x := randn(uint64(shape[1]), 1, shape...)
		x.Float32()[0] = 5 // an outlier in the first token only
		out, err := sess.Run(map[string]*tensor.Tensor{"x": x})
		if err != nil {
			t.Fatal(err)
		}
		y := out["y"].Float32()
		rows := x.Len() / 4
		p, err := site.QParams(x)
		if err != nil {
			t.Fatal(err)
		}
		if len(p.Scale) != rows {
			t.Fatalf("shape %v: %d scales, want one per token (%d)", shape, len(p.Scale), rows)
		}
		for r := 0; r < rows; r++ {
			row := x.Float32()[4*r : 4*r+4]
			var m float32
			for _, v := range row {
				m = max(m, float32(math.Abs(float64(v))))
			}
			s := m / 127.5
			if p.Scale[r] != s {
				t.Fatalf("shape %v row %d: scale %v, want %v", shape, r, p.Scale[r], s)
			}
			for k, v := range row {
				want := float32(min(max(math.RoundToEven(float64(v/s)), -128), 127)) * s
				if y[4*r+k] != want {
					t.Fatalf("shape %v row %d: y = %v, want %v", shape, r, y[4*r:4*r+4], want)
				}
			}
		}
	}
	// Unsigned rows are asymmetric: [0, 5.1] → s = 5.1/255, z = 0;
	// [−1, 3] → s = 4/255, z = 64.
	_, site = single(t, "minmax_token", quant.Spec{Bits: 8, Signed: false, Role: quant.Activation}, nil, []int{-1, 4}, nil)
	p, err := site.QParams(shaped([]int{2, 4}, 0, 1, 2, 5.1, -1, 0, 0.5, 3))
	if err != nil {
		t.Fatal(err)
	}
	near(t, "token scales", p.Scale, []float32{float32(5.1) / 255, float32(4) / 255}, 0)
	if p.ZeroPoint[0] != 0 || p.ZeroPoint[1] != 64 {
		t.Errorf("token zero points %v, want [0 64]", p.ZeroPoint)
	}
}

// lsq_token learns one scale per token position; row r of a batch uses
// scale r mod T, and a different token count is an error.
func TestTokenLearnedScales(t *testing.T) {
	g, site := single(t, "lsq_token", quant.Spec{Bits: 8, Signed: true, Role: quant.Activation}, nil, []int{-1, 3, 2}, []int{1, 3, 2})
	st, _ := site.State()
	if st.Scale.Len() != 3 {
		t.Fatalf("%d token scales, want 3", st.Scale.Len())
	}
	copy(st.Scale.Float32(), []float32{0.5, 1, 2})
	x := shaped([]int{2, 3, 2}, 1.3, 1.3, 1.3, 1.3, 1.3, 1.3, 2.6, 2.6, 2.6, 2.6, 2.6, 2.6)
	y := run1(t, g, x)
	near(t, "y", y.Float32(), []float32{1.5, 1.5, 1, 1, 2, 2, 2.5, 2.5, 3, 3, 2, 2}, 0)
	g.Inputs[0].Shape = []int{-1, -1, 2}
	s, _ := graph.NewSession(g)
	if _, err := s.Run1(randn(1, 1, 1, 4, 2)); err == nil || !strings.Contains(err.Error(), "not a multiple") {
		t.Errorf("4 tokens with 3 learned token scales: err = %v", err)
	}
}
