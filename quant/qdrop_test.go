package quant_test

import (
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"t2c/graph"
	"t2c/quant"
	"t2c/tensor"
)

// QDrop keeps each element's float value with probability p on the
// training path (statistically, with a fixed seed), passes those
// gradients straight through and leaves them out of the scale's gradient.
func TestQDrop(t *testing.T) {
	x := randn(11, 1, 20000)
	for _, p := range []float64{0.5, 0.2} {
		opts := map[string]graph.Attr{"p": graph.FloatAttr(float32(p))}
		g, site := single(t, "qdrop", s8, opts, []int{-1}, nil)
		st, _ := site.State()
		st.Scale.Float32()[0] = 0.01 // 8-bit grid [−1.28, 1.27]
		fq, _, err := site.Quantizer.Forward(nil, x, st, false)
		if err != nil {
			t.Fatal(err)
		}
		quant.SetMode(g, quant.ModeTrain)
		dy := randn(12, 1, 20000)
		ctx := &graph.Ctx{Rand: rand.New(rand.NewPCG(1, 2))}
		y, gr := grads(t, g, x, dy, ctx, quant.Trainable(g, nil))
		kept, differ := 0, 0
		var ds float64
		for i, v := range y.Float32() {
			xi, qi := x.Float32()[i], fq.Float32()[i]
			if qi == xi {
				continue // on the grid: cannot tell
			}
			differ++
			switch v {
			case xi:
				kept++
				if gr["x"].Float32()[i] != dy.Float32()[i] {
					t.Fatalf("kept element %d: dx %v, want dy %v", i, gr["x"].Float32()[i], dy.Float32()[i])
				}
			case qi:
				v := float64(xi / 0.01)
				r := math.RoundToEven(v)
				if r > 127 {
					ds += float64(dy.Float32()[i]) * 127
				} else if r < -128 {
					ds += float64(dy.Float32()[i]) * -128
				} else {
					ds += float64(dy.Float32()[i]) * (r - v)
				}
			default:
				t.Fatalf("y[%d] = %v is neither x %v nor its fake-quant %v", i, v, xi, qi)
			}
		}
		if frac := float64(kept) / float64(differ); math.Abs(frac-p) > 0.02 {
			t.Errorf("p = %v: kept %.3f of the elements", p, frac)
		}
		ds /= math.Sqrt(20000 * 127)
		if got := float64(gr[site.Param("scale")].Float32()[0]); math.Abs(got-ds) > 1e-4*math.Max(1, math.Abs(ds)) {
			t.Errorf("p = %v: scale gradient %v, want %v over the quantized elements", p, got, ds)
		}
		// The inference path never drops.
		quant.SetMode(g, quant.ModeQuantize)
		near(t, "inference path", run1(t, g, x).Float32(), fq.Float32(), 0)
	}
	g, _ := single(t, "qdrop", s8, nil, []int{-1}, nil)
	quant.SetMode(g, quant.ModeTrain)
	s, _ := graph.NewSession(g)
	if _, err := s.Run1(tensor.Zeros(tensor.Float32, 4)); err == nil || !strings.Contains(err.Error(), "random source") {
		t.Errorf("training path without ctx.Rand: err = %v", err)
	}
}
