package main

import (
	"bytes"
	"math"
	"strings"
	"testing"

	"t2c/quant"
)

func TestCustomQuantizer(t *testing.T) {
	g, res, err := quantize(32)
	if err != nil {
		t.Fatal(err)
	}
	if res.report.Count() != 20 {
		t.Fatalf("%d quantizers inserted, want 20", res.report.Count())
	}
	if res.relErr > 0.05 || res.agreement < 0.9 {
		t.Errorf("fake-quant far from float: relative error %v, agreement %v", res.relErr, res.agreement)
	}
	sites, err := quant.Sites(g)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range sites {
		if s.Algo != "pow2" {
			t.Fatalf("%s uses %q", s.Node.Name, s.Algo)
		}
		p, err := s.QParams(nil)
		if err != nil {
			t.Fatal(err)
		}
		for i, sc := range p.Scale {
			if e := math.Log2(float64(sc)); e != math.Trunc(e) || sc == 1 {
				t.Fatalf("%s: scale %d = %v is not a calibrated power of two", s.Node.Name, i, sc)
			}
		}
		for _, z := range p.ZeroPoint {
			if int(z) < p.QMin() || int(z) > p.QMax() {
				t.Fatalf("%s: zero point %d outside [%d, %d]", s.Node.Name, z, p.QMin(), p.QMax())
			}
		}
	}
	var out bytes.Buffer
	if err := report(&out, g, res, 3); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"top-1 agreement", "layer1.0.conv1", "int8 weights in"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, out.String())
		}
	}
	if _, err := quant.New("pow2", quant.Spec{Bits: 8, Granularity: quant.PerToken, Role: quant.Activation}, nil); err == nil {
		t.Error("pow2 accepted token granularity")
	}
}
