package quant_test

import (
	"math"
	"strings"
	"testing"

	"t2c/graph"
	"t2c/quant"
	"t2c/tensor"
)

// mlp is  x → LayerNorm → fc1 → Gelu → fc2,  with an outlier channel (2)
// made by the LayerNorm scale.
func mlp(t *testing.T) *graph.Graph {
	g := graph.New("mlp", 17)
	g.Inputs = []graph.ValueInfo{{Name: "x", DType: tensor.Float32, Shape: []int{-1, 4}}}
	g.Params["ln.weight"] = vec(1, 0.5, 10, 1)
	g.Params["ln.bias"] = vec(0.1, -0.2, 0.3, 0)
	g.Params["fc1.weight"] = randn(21, 0.5, 6, 4)
	g.Params["fc1.bias"] = randn(22, 0.1, 6)
	g.Params["fc2.weight"] = randn(23, 0.5, 2, 6)
	g.Nodes = []*graph.Node{
		{Name: "ln", Op: "LayerNormalization", Inputs: []string{"x", "ln.weight", "ln.bias"}, Outputs: []string{"ln"},
			Attrs: map[string]graph.Attr{"axis": graph.IntAttr(-1)}},
		{Name: "fc1", Op: "Gemm", Inputs: []string{"ln", "fc1.weight", "fc1.bias"}, Outputs: []string{"fc1"}, Attrs: map[string]graph.Attr{"transB": graph.IntAttr(1)}},
		{Name: "act", Op: "Gelu", Inputs: []string{"fc1"}, Outputs: []string{"act"}},
		{Name: "fc2", Op: "Gemm", Inputs: []string{"act", "fc2.weight"}, Outputs: []string{"y"}, Attrs: map[string]graph.Attr{"transB": graph.IntAttr(1)}},
	}
	g.Outputs = []graph.ValueInfo{{Name: "y", DType: tensor.Float32}}
	return g
}

// colMax is max|w[:, j]| of a [out, in] weight.
func colMax(w *tensor.Tensor) []float32 {
	out := make([]float32, w.Dim(1))
	for i, v := range w.Float32() {
		j := i % w.Dim(1)
		out[j] = max(out[j], float32(math.Abs(float64(v))))
	}
	return out
}

func TestSmoothQuant(t *testing.T) {
	g := mlp(t)
	x := randn(24, 1, 16, 4)
	before := run1(t, g, x)
	in := map[string]*tensor.Tensor{"x": x}
	st, err := quant.CollectActStats(g, in)
	if err != nil {
		t.Fatal(err)
	}
	if st.Max["ln"] == nil || st.Max["act"] == nil || st.Max["ln"][2] < 5*st.Max["ln"][0] {
		t.Fatalf("statistics %v: want channel maxima of ln (outlier channel 2) and act", st.Max)
	}
	w1 := g.Params["fc1.weight"].Clone()
	wmax := colMax(w1)
	rep, err := quant.SmoothQuant(g, st, quant.SmoothOptions{Alpha: 0.5})
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Smoothed) != 2 || rep.Smoothed[0].FoldedInto != "ln" || rep.Smoothed[1].MulNode == "" {
		t.Fatalf("report %+v: want fc1 folded into ln, fc2 through a Mul node", rep.Smoothed)
	}
	// f_j = √(max|X_j| / max|W_j|) scales fc1's column j and divides ln's
	// scale and bias.
	for j := 0; j < 4; j++ {
		f := float32(math.Sqrt(float64(st.Max["ln"][j]) / float64(wmax[j])))
		near(t, "W'/W", []float32{g.Params["fc1.weight"].Float32()[j] / w1.Float32()[j]}, []float32{f}, 1e-5)
		near(t, "γ'", []float32{g.Params["ln.weight"].Float32()[j]}, []float32{[]float32{1, 0.5, 10, 1}[j] / f}, 1e-5)
	}
	near(t, "output after smoothing", run1(t, g, x).Float32(), before.Float32(), 1e-4)
	// With α = 0.5 the smoothed activation and weight have equal channel maxima.
	st2, err := quant.CollectActStats(g, in)
	if err != nil {
		t.Fatal(err)
	}
	near(t, "max|X'| = max|W'| (fc1)", st2.Max["ln"], colMax(g.Params["fc1.weight"]), 1e-4)
	near(t, "max|X'| = max|W'| (fc2)", st2.Max[rep.Smoothed[1].MulNode], colMax(g.Params["fc2.weight"]), 1e-4)

	// Then the smoothquant quantizers: per-channel weights, per-token activations.
	rq, err := quant.Insert(g, quant.Options{WAlgo: "smoothquant", AAlgo: "smoothquant"})
	if err != nil {
		t.Fatal(err)
	}
	q := byNode(rq)
	if q["fc1.wq"].Spec.Granularity != quant.PerChannel || q["fc1.aq"].Spec.Granularity != quant.PerToken {
		t.Errorf("smoothquant granularities: %v, %v", q["fc1.wq"].Spec, q["fc1.aq"].Spec)
	}
	if e := relErr(run1(t, g, x).Float32(), before.Float32()); e > 0.02 {
		t.Errorf("W8A8 smoothquant relative error %v", e)
	}
	if _, err := quant.SmoothQuant(g, st, quant.SmoothOptions{}); err == nil || !strings.Contains(err.Error(), "already has quantizers") {
		t.Errorf("smoothing a quantized graph: err = %v", err)
	}
}

func TestSmoothQuantFoldOnly(t *testing.T) {
	g := mlp(t)
	st, err := quant.CollectActStats(g, map[string]*tensor.Tensor{"x": randn(25, 1, 8, 4)})
	if err != nil {
		t.Fatal(err)
	}
	rep, err := quant.SmoothQuant(g, st, quant.SmoothOptions{FoldOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Smoothed) != 1 || rep.Smoothed[0].Layers[0] != "fc1" || len(g.Find("Mul")) != 0 {
		t.Errorf("fold-only: %+v", rep.Smoothed)
	}
	if _, err := quant.SmoothQuant(mlp(t), st, quant.SmoothOptions{Alpha: 1.5}); err == nil {
		t.Error("alpha 1.5 accepted")
	}
}
