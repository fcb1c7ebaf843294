package quant_test

import (
	"math"
	"testing"

	"t2c/autodiff"
	"t2c/graph"
	"t2c/quant"
	"t2c/tensor"
)

func TestAdaRoundH(t *testing.T) {
	for _, c := range []struct{ alpha, h, dh float64 }{
		{0, 0.5, 1.2 * 0.25},
		{math.Log(3), 0.8, 1.2 * 0.75 * 0.25},
		{10, 1, 0},  // sigmoid·1.2 − 0.1 > 1: clamped
		{-10, 0, 0}, // < 0: clamped
	} {
		h, dh := quant.AdaRoundH(c.alpha)
		if math.Abs(h-c.h) > 1e-12 || math.Abs(dh-c.dh) > 1e-12 {
			t.Errorf("h(%g) = %g, h' = %g; want %g, %g", c.alpha, h, dh, c.h, c.dh)
		}
	}
	for _, f := range []float64{0, 0.3, 0.5, 0.99} {
		if h, _ := quant.AdaRoundH(quant.AdaRoundAlpha(f)); math.Abs(h-f) > 1e-12 {
			t.Errorf("h(AdaRoundAlpha(%g)) = %g", f, h)
		}
	}
}

// adaGraph is a Gemm whose [1, 5] weight has an adaround quantizer with
// scale 0.5 (signed 4-bit, per tensor) and the given α.
func adaGraph(t *testing.T, alpha ...float32) (*graph.Graph, *quant.Site) {
	w := shaped([]int{1, 5}, 0.3, 0.7, -0.2, 1.26, 5)
	g, site := weightGraph(t, "adaround", quant.Spec{Bits: 4, Signed: true, Granularity: quant.PerTensor}, w)
	st, _ := site.State()
	st.Scale.Float32()[0], st.ZeroPoint.Int32()[0] = 0.5, 0
	copy(g.Params[site.Param("alpha")].Float32(), alpha)
	return g, site
}

// Hard and soft rounding on hand values: w/s = 0.6, 1.4, −0.4, 2.52, 10
// → ⌊w/s⌋ = 0, 1, −1, 2, 10.
func TestAdaRoundRounding(t *testing.T) {
	g, site := adaGraph(t, 1, -1, 0, -0.5, 3)
	q, _, err := site.Integer(nil)
	if err != nil {
		t.Fatal(err)
	}
	want := []int64{1, 1, 0, 2, 7} // + 1[α ≥ 0]; 11 clamps to 7
	for i, v := range ints64(q) {
		if v != want[i] {
			t.Fatalf("hard integers %v, want %v", ints64(q), want)
		}
	}
	st, _ := site.State()
	w := g.Params["w"]
	hard, _, _ := site.Quantizer.Forward(nil, w, st, false)
	near(t, "hard", hard.Float32(), []float32{0.5, 0.5, 0, 1, 3.5}, 0)
	soft, _, _ := site.Quantizer.Forward(nil, w, st, true)
	h := func(a float64) float32 { v, _ := quant.AdaRoundH(a); return float32(v) }
	near(t, "soft", soft.Float32(), []float32{0.5 * h(1), 0.5 * (1 + h(-1)), 0.5 * (-1 + 0.5), 0.5 * (2 + h(-0.5)), 3.5}, 1e-6)

	// Modes pick the path: train → soft, quantize → hard.
	x := shaped([]int{1, 5}, 1, 0, 0, 0, 0)
	quant.SetMode(g, quant.ModeTrain)
	if y := run1(t, g, x).Float32()[0]; y != soft.Float32()[0] {
		t.Errorf("train mode: %v, want the soft %v", y, soft.Float32()[0])
	}
	quant.SetMode(g, quant.ModeQuantize)
	if y := run1(t, g, x).Float32()[0]; y != 0.5 {
		t.Errorf("quantize mode: %v, want the hard 0.5", y)
	}
}

// Observing the weight sets h(α) to frac(w/s): the soft weights start equal
// to the float weights wherever they are not clamped.
func TestAdaRoundInit(t *testing.T) {
	w := randn(5, 0.2, 6, 10)
	g, site := weightGraph(t, "adaround", quant.Spec{Bits: 4, Signed: true}, w)
	st, _ := site.State()
	if st.Scale.Len() != 6 {
		t.Fatalf("%d scales, want one per output channel (6)", st.Scale.Len())
	}
	soft, _, _ := site.Quantizer.Forward(nil, g.Params["w"], st, true)
	inside := 0
	for i, v := range w.Float32() {
		s := st.Scale.Float32()[i/10]
		if math.Abs(float64(v/s)) < 7 {
			inside++
			if math.Abs(float64(soft.Float32()[i]-v)) > 1e-5 {
				t.Fatalf("w[%d] = %v, initial soft weight %v", i, v, soft.Float32()[i])
			}
		}
	}
	if inside < 30 {
		t.Fatalf("only %d weights inside the range", inside)
	}
}

// lossFn evaluates L(α) = Σ y·R on the soft path.
func alphaLoss(t *testing.T, g *graph.Graph, x, r *tensor.Tensor) func() float64 {
	p, err := autodiff.Compile(g, map[string][]int{"x": x.Shape()}, autodiff.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return func() float64 {
		tape, err := p.Forward(&graph.Ctx{}, map[string]*tensor.Tensor{"x": x})
		if err != nil {
			t.Fatal(err)
		}
		var s float64
		for i, v := range tape.Output(0).Float32() {
			s += float64(v) * float64(r.Float32()[i])
		}
		return s
	}
}

// numericGrad is the central difference of f in each element of p.
func numericGrad(p *tensor.Tensor, eps float32, f func() float64) []float32 {
	out := make([]float32, p.Len())
	for i := range out {
		v := p.Float32()[i]
		p.Float32()[i] = v + eps
		up := f()
		p.Float32()[i] = v - eps
		down := f()
		p.Float32()[i] = v
		out[i] = float32((up - down) / float64(2*eps))
	}
	return out
}

// ∂L/∂α on the soft path against finite differences.
func TestAdaRoundAlphaGradient(t *testing.T) {
	g, site := adaGraph(t, 1.2, -0.7, 0.1, -1.5, 0.4)
	quant.SetMode(g, quant.ModeTrain)
	x, r := randn(1, 1, 3, 5), randn(2, 1, 3, 1)
	alpha := site.Param("alpha")
	_, gr := grads(t, g, x, r, &graph.Ctx{}, func(n string) bool { return n == alpha })
	want := numericGrad(g.Params[alpha], 1e-3, alphaLoss(t, g, x, r))
	near(t, "dα", gr[alpha].Float32()[:4], want[:4], 1e-3)
	if gr[alpha].Float32()[4] != 0 {
		t.Errorf("dα of the clamped weight = %v, want 0", gr[alpha].Float32()[4])
	}
}

func TestAdaRoundRegulariser(t *testing.T) {
	g, site := adaGraph(t, 0, float32(math.Log(3)), 10, -10, 1)
	alpha := site.Param("alpha")
	reg, dr, err := quant.AdaRoundReg(g, 2)
	if err != nil {
		t.Fatal(err)
	}
	h1, _ := quant.AdaRoundH(1)
	want := 1 + (1 - 0.36) + 0 + 0 + (1 - math.Pow(2*h1-1, 2))
	if math.Abs(reg-want) > 1e-6 {
		t.Fatalf("regulariser %v, want %v", reg, want)
	}
	num := numericGrad(g.Params[alpha], 1e-3, func() float64 { v, _, _ := quant.AdaRoundReg(g, 2); return v })
	near(t, "dR/dα", dr[alpha].Float32(), num, 1e-3)

	// β annealing: 20 during the 20 % warm-up (regulariser off), then
	// linearly to 2.
	sch := quant.DefaultBetaSchedule()
	for _, c := range []struct {
		iter int
		beta float64
		on   bool
	}{{0, 20, false}, {19, 20, false}, {20, 20, true}, {60, 11, true}, {100, 2, true}} {
		if b, on := sch.At(c.iter, 100); math.Abs(b-c.beta) > 1e-12 || on != c.on {
			t.Errorf("β at %d/100 = %v (on %v), want %v (%v)", c.iter, b, on, c.beta, c.on)
		}
	}
}

// The regulariser is part of the optimised loss: the gradient a
// reconstruction step uses (autodiff's ∂MSE/∂α plus λ·∂R/∂α) matches finite
// differences of MSE + λ·R, and differs from the MSE gradient alone.
func TestAdaRoundRegulariserInLoss(t *testing.T) {
	g, site := adaGraph(t, 0.3, -0.2, 0.8, -0.9, 0.05)
	quant.SetMode(g, quant.ModeTrain)
	alpha := site.Param("alpha")
	x, target := randn(3, 1, 4, 5), randn(4, 1, 4, 1)
	const lambda, beta = 0.5, 4.0
	p, err := autodiff.Compile(g, map[string][]int{"x": x.Shape()}, autodiff.Options{Trainable: func(n string) bool { return n == alpha }})
	if err != nil {
		t.Fatal(err)
	}
	total := func() (float64, autodiff.Grads) {
		tape, err := p.Forward(&graph.Ctx{}, map[string]*tensor.Tensor{"x": x})
		if err != nil {
			t.Fatal(err)
		}
		y := tape.Output(0).Float32()
		dy := tensor.Zeros(tensor.Float32, 4, 1)
		var mse float64
		for i, v := range y {
			d := float64(v - target.Float32()[i])
			mse += d * d / 4
			dy.Float32()[i] = float32(2 * d / 4)
		}
		gr, err := tape.Backward(dy)
		if err != nil {
			t.Fatal(err)
		}
		reg, dr, err := quant.AdaRoundReg(g, beta)
		if err != nil {
			t.Fatal(err)
		}
		return mse + lambda*reg, map[string]*tensor.Tensor{"mse": gr[alpha], "reg": dr[alpha]}
	}
	_, gr := total()
	combined := make([]float32, 5)
	var regPart float64
	for i := range combined {
		combined[i] = gr["mse"].Float32()[i] + lambda*gr["reg"].Float32()[i]
		regPart = max(regPart, math.Abs(float64(lambda*gr["reg"].Float32()[i])))
	}
	num := numericGrad(g.Params[alpha], 1e-3, func() float64 { v, _ := total(); return v })
	near(t, "d(MSE+λR)/dα", combined, num, 2e-3)
	if regPart < 0.02 {
		t.Fatalf("the regulariser's share of the gradient is at most %g: too small for the test to tell", regPart)
	}
}
