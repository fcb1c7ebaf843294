package quant_test

import (
	"encoding/json"
	"math"
	"os"
	"testing"

	"t2c/graph"
	"t2c/internal/npytest"
	"t2c/quant"
)

// LSQ's scale gradient on hand-computed values, with the gradient scale g:
// x/s = 0.6, 2, −0.8, 10 on a signed 4-bit grid [−8, 7]:
// ∂x̂/∂s = 1−0.6, 2−2, −1+0.8 inside and qmax = 7 for the clamped 10,
// Σ = 7.2, and g = 1/√(numel·qmax) = 1/√28 must multiply it.
func TestLSQScaleGradientHand(t *testing.T) {
	g, site := single(t, "lsq", s4, nil, []int{-1}, nil)
	st, _ := site.State()
	st.Scale.Float32()[0] = 0.5
	x := vec(0.3, 1.0, -0.4, 5.0)
	y, gr := grads(t, g, x, ones(4), &graph.Ctx{Training: true}, quant.Trainable(g, nil))
	near(t, "y", y.Float32(), []float32{0.5, 1, -0.5, 3.5}, 0)
	ds := gr[site.Param("scale")]
	if ds == nil {
		t.Fatalf("no gradient for the learnable scale %q", site.Param("scale"))
	}
	want := 7.2 / math.Sqrt(28)
	if math.Abs(float64(ds.Float32()[0])-want) > 1e-6 {
		t.Fatalf("∂L/∂s = %v, want 7.2·g = %v (7.2 without the gradient scale)", ds.Float32()[0], want)
	}
	near(t, "dx", gr["x"].Float32(), []float32{1, 1, 1, 0}, 0)
}

// LSQ against PyTorch's learnable fake quantization
// (torch._fake_quantize_learnable_per_tensor_affine with grad_factor g).
func TestLSQMatchesPyTorch(t *testing.T) {
	var meta struct {
		Scale      float32 `json:"scale"`
		ZeroPoint  int32   `json:"zero_point"`
		Bits       int     `json:"bits"`
		Signed     bool    `json:"signed"`
		GradFactor float64 `json:"grad_factor"`
	}
	b, err := os.ReadFile("../testdata/quant/lsq.json")
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &meta); err != nil {
		t.Fatal(err)
	}
	x := npytest.Float32(t, "../testdata/quant/lsq.x.npy")
	dy := npytest.Float32(t, "../testdata/quant/lsq.dy.npy")
	g, site := single(t, "lsq", quant.Spec{Bits: meta.Bits, Signed: meta.Signed, Role: quant.Activation}, nil, x.Shape(), nil)
	st, _ := site.State()
	st.Scale.Float32()[0], st.ZeroPoint.Int32()[0] = meta.Scale, meta.ZeroPoint
	y, gr := grads(t, g, x, dy, &graph.Ctx{Training: true}, quant.Trainable(g, nil))
	near(t, "y", y.Float32(), npytest.Float32(t, "../testdata/quant/lsq.y.npy").Float32(), 1e-6)
	near(t, "dx", gr["x"].Float32(), npytest.Float32(t, "../testdata/quant/lsq.dx.npy").Float32(), 0)
	near(t, "dscale", gr[site.Param("scale")].Float32(), npytest.Float32(t, "../testdata/quant/lsq.dscale.npy").Float32(), 1e-5)
}

// bruteForceMSE recomputes the search independently: every shrink factor,
// its scale and zero point, and the Lp-2.4 error, in float64.
func bruteForceMSE(x []float32, bits int, signed bool) (bestScale float64, bestI int) {
	lo, hi := 0.0, 0.0
	for _, v := range x {
		lo, hi = math.Min(lo, float64(v)), math.Max(hi, float64(v))
	}
	qmin, qmax := 0.0, math.Exp2(float64(bits))-1
	if signed {
		qmin, qmax = -math.Exp2(float64(bits-1)), math.Exp2(float64(bits-1))-1
	}
	best := math.Inf(1)
	for i := 0; i < 100; i++ {
		f := 1 - 0.01*float64(i)
		l, h := lo*f, hi*f
		var s, z float64
		if signed {
			s = math.Max(-l, h) / ((qmax - qmin) / 2)
		} else {
			s = (h - l) / (qmax - qmin)
			z = qmin - math.RoundToEven(l/s)
		}
		var loss float64
		for _, v := range x {
			q := math.Min(math.Max(math.RoundToEven(float64(v)/s)+z, qmin), qmax)
			loss += math.Pow(math.Abs((q-z)*s-float64(v)), 2.4)
		}
		if loss /= float64(len(x)); loss < best {
			best, bestScale, bestI = loss, s, i
		}
	}
	return bestScale, bestI
}

func TestMSESearch(t *testing.T) {
	x := randn(7, 1, 200)
	x.Float32()[17] = 9 // an outlier makes shrinking the range pay
	for _, signed := range []bool{true, false} {
		for _, bits := range []int{3, 4, 8} {
			s := quant.Spec{Bits: bits, Signed: signed, Role: quant.Activation}
			g, site := single(t, "mse", s, nil, []int{-1}, nil)
			if err := quant.Calibrate(g, x); err != nil {
				t.Fatal(err)
			}
			p, _ := site.QParams(nil)
			want, wi := bruteForceMSE(x.Float32(), bits, signed)
			if math.Abs(float64(p.Scale[0])-want) > 1e-6*want {
				t.Errorf("%v: scale %v, brute force %v (shrink candidate %d)", s, p.Scale[0], want, wi)
			}
			if bits == 4 && wi == 0 {
				t.Errorf("%v: the test data should make a shrunk range win", s)
			}
		}
	}
}

// LSQ is initialised by the same search.
func TestLSQInitIsMSE(t *testing.T) {
	x := randn(3, 2, 300)
	g, site := single(t, "lsq", s4, nil, []int{-1}, nil)
	if err := quant.Calibrate(g, x); err != nil {
		t.Fatal(err)
	}
	p, _ := site.QParams(nil)
	want, _ := bruteForceMSE(x.Float32(), 4, true)
	if math.Abs(float64(p.Scale[0])-want) > 1e-6*want {
		t.Errorf("LSQ initial scale %v, MSE search %v", p.Scale[0], want)
	}
}
