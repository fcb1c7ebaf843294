package quant_test

import (
	"testing"

	"t2c/graph"
	"t2c/quant"
	"t2c/tensor"
)

func TestPercentile(t *testing.T) {
	// −50..50: the 1st and 99th percentiles are −49 and 49 (h = 0.99·100).
	x := tensor.Zeros(tensor.Float32, 101)
	for i := range x.Float32() {
		x.Float32()[i] = float32(i - 50)
	}
	opt := map[string]graph.Attr{"percentile": graph.FloatAttr(99)}
	g, site := single(t, "percentile", s8, opt, []int{-1}, nil)
	if err := quant.Calibrate(g, x); err != nil {
		t.Fatal(err)
	}
	p, _ := site.QParams(nil)
	near(t, "scale", p.Scale, []float32{49 / 127.5}, 1e-7)

	// Two values interpolate: P99 of {0, 10} = 9.9, P1 = 0.1 (widened to
	// 0); a second batch {0, 20} (P99 = 19.8) averages to 14.85.
	g, site = single(t, "percentile", u8, opt, []int{-1}, nil)
	if err := quant.Calibrate(g, vec(10, 0)); err != nil {
		t.Fatal(err)
	}
	p, _ = site.QParams(nil)
	near(t, "one batch", p.Scale, []float32{9.9 / 255}, 1e-6)
	if err := quant.Calibrate(g, vec(0, 20)); err != nil {
		t.Fatal(err)
	}
	p, _ = site.QParams(nil)
	near(t, "two batches", p.Scale, []float32{14.85 / 255}, 1e-6)
	if p.ZeroPoint[0] != 0 {
		t.Errorf("zero point %d, want 0", p.ZeroPoint[0])
	}
	if _, err := quant.New("percentile", s8, map[string]graph.Attr{"percentile": graph.FloatAttr(40)}); err == nil {
		t.Error("percentile 40 accepted")
	}
}
