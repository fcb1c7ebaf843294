package autodiff_test

import (
	"encoding/json"
	"fmt"
	"maps"
	"math"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"

	"codeberg.org/sbinet/npyio"
	"codeberg.org/sbinet/npyio/npz"

	"t2c/autodiff"
	"t2c/graph"
	"t2c/onnx"
	_ "t2c/ops"
	"t2c/tensor"
)

// gradFixture is testdata/pytorch/grads/{model}.{mode}.json
// (scripts/make_grad_fixtures.py).
type gradFixture struct {
	Labels    []int    `json:"labels"`
	Loss      float64  `json:"loss"`
	Params    []string `json:"params"`     // trainable initializers, keys of the .npz
	InputGrad string   `json:"input_grad"` // .npz key of the input gradient
	Frozen    []string `json:"frozen"`     // BN running statistics
	ZeroGrad  []string `json:"zero_grad"`  // exact gradient is zero
	GradScale float64  `json:"grad_scale"` // largest |gradient| of the mode
}

// Tolerances: per tensor ‖g_t2c − g_torch‖∞ / max(‖g_torch‖∞, 1e-8) ≤
// gradRelTol. Tensors whose exact gradient is zero (fixture "zero_grad")
// are bounded instead by ‖g_t2c‖∞ ≤ zeroGradTol × grad_scale: float32
// rounding noise is ~1e-9 of the scale, while a wrong gradient would be of
// the order of its neighbours' (≥ 1e-3 of the scale).
const (
	gradRelTol  = 1e-4
	zeroGradTol = 1e-6
	lossRelTol  = 1e-5
)

// TestPyTorchGradients compares the gradients of the softmax cross-entropy
// loss (mean over the batch, labels from the fixture) of the three ONNX
// models of scripts/make_fixtures.py with PyTorch's, for every trainable
// parameter and the input, with BatchNormalization in training mode (batch
// statistics) and in eval mode.
func TestPyTorchGradients(t *testing.T) {
	for _, name := range []string{"resnet", "mobilenetv2", "vit"} {
		for _, mode := range []string{"train", "eval"} {
			t.Run(name+"/"+mode, func(t *testing.T) { checkPyTorchGrads(t, name, mode) })
		}
	}
}

func checkPyTorchGrads(t *testing.T, name, mode string) {
	dir := filepath.Join("..", "testdata", "pytorch")
	base := filepath.Join(dir, "grads", name+"."+mode)
	var fx gradFixture
	raw, err := os.ReadFile(base + ".json")
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(raw, &fx); err != nil {
		t.Fatalf("%s.json: %v", base, err)
	}
	want := readNPZ(t, base+".npz")

	// A fresh graph per mode: training-mode BN updates the running
	// statistics (graph params) in place.
	g, err := onnx.Load(filepath.Join(dir, name+".onnx"))
	if err != nil {
		t.Fatal(err)
	}
	x := readNPY(t, filepath.Join(dir, name+".input.npy"))

	bnStats := map[string]bool{}
	for _, n := range g.Nodes {
		if n.Op == "BatchNormalization" {
			bnStats[n.Input(3)], bnStats[n.Input(4)] = true, true
		}
	}
	// The fixture's frozen tensors are exactly the BN running statistics,
	// and its parameters are graph params.
	var frozen []string
	for s := range bnStats {
		frozen = append(frozen, s)
	}
	sort.Strings(frozen)
	if fz := slices.Sorted(slices.Values(fx.Frozen)); !slices.Equal(frozen, fz) {
		t.Fatalf("BN running statistics %v, fixture lists %v as frozen", frozen, fz)
	}
	isParam := map[string]bool{}
	for _, p := range fx.Params {
		if _, ok := g.Params[p]; !ok {
			t.Fatalf("fixture parameter %q is not a graph parameter", p)
		}
		isParam[p] = true
	}
	var others []string
	for p, v := range g.Params {
		if v.DType().IsFloat() && !isParam[p] && !bnStats[p] {
			others = append(others, p)
		}
	}
	if len(others) > 0 {
		sort.Strings(others)
		t.Logf("float graph params that are neither trainable initializers nor BN statistics (kept frozen): %v", others)
	}

	p, err := autodiff.Compile(g, map[string][]int{"input": x.Shape()}, autodiff.Options{
		InputGrads: true,
		Trainable:  func(n string) bool { return !bnStats[n] && isParam[n] },
	})
	if err != nil {
		if missing := missingGradients(g, map[string][]int{"input": x.Shape()}, func(n string) bool { return !bnStats[n] && isParam[n] }); missing != "" {
			t.Fatalf("compile: %v\n(all ops on the gradient path without a gradient: %s)", err, missing)
		}
		t.Fatalf("compile: %v", err)
	}
	if tr := slices.Sorted(slices.Values(p.Trainable())); !slices.Equal(tr, slices.Sorted(slices.Values(fx.Params))) {
		t.Fatalf("trainable parameters %v, fixture has %v", tr, fx.Params)
	}
	tape, err := p.Forward(&graph.Ctx{Training: mode == "train"}, map[string]*tensor.Tensor{"input": x})
	if err != nil {
		t.Fatalf("forward: %v", err)
	}
	loss, dlogits := softmaxCrossEntropy(t, tape.Output(0), fx.Labels)
	t.Logf("loss %.7f, PyTorch %.7f", loss, fx.Loss)
	if math.Abs(loss-fx.Loss) > lossRelTol*math.Abs(fx.Loss) {
		t.Errorf("loss %.7f differs from PyTorch's %.7f by more than %g relative", loss, fx.Loss, lossRelTol)
	}
	grads, err := tape.Backward(dlogits)
	if err != nil {
		t.Fatalf("backward: %v", err)
	}

	type result struct {
		name     string
		rel, ref float64
		zero     bool
		bad      bool
	}
	zero := map[string]bool{}
	for _, z := range fx.ZeroGrad {
		zero[z] = true
	}
	var results []result
	names := append(slices.Clone(fx.Params), fx.InputGrad)
	for _, n := range names {
		w, ok := want[n]
		if !ok {
			t.Errorf("%s: missing from %s.npz", n, base)
			continue
		}
		got, ok := grads[n]
		if !ok || got == nil {
			t.Errorf("%s: t2c returned no gradient", n)
			continue
		}
		if !tensor.SameShape(got.Shape(), w.Shape()) {
			t.Errorf("%s: gradient shape %v, PyTorch %v", n, got.Shape(), w.Shape())
			continue
		}
		var diff, ref, mag float64
		gv, wv := got.Float32(), w.Float32()
		for i := range wv {
			diff = math.Max(diff, math.Abs(float64(gv[i])-float64(wv[i])))
			ref = math.Max(ref, math.Abs(float64(wv[i])))
			mag = math.Max(mag, math.Abs(float64(gv[i])))
		}
		r := result{name: n, ref: ref}
		if zero[n] {
			r.zero = true
			r.rel = mag / fx.GradScale
			r.bad = !(r.rel <= zeroGradTol)
		} else {
			r.rel = diff / math.Max(ref, 1e-8)
			r.bad = !(r.rel <= gradRelTol)
		}
		results = append(results, r)
	}
	sort.Slice(results, func(i, j int) bool { return results[i].rel > results[j].rel })
	var worst float64
	for i, r := range results {
		if !r.zero {
			worst = math.Max(worst, r.rel)
		}
		if i < 5 || r.bad || r.zero {
			kind := fmt.Sprintf("rel err %.3g (‖g_torch‖∞ %.3g)", r.rel, r.ref)
			if r.zero {
				kind = fmt.Sprintf("exact gradient 0: ‖g_t2c‖∞ = %.3g × grad scale", r.rel)
			}
			t.Logf("  %-34s %s", r.name, kind)
		}
		if r.bad {
			if r.zero {
				t.Errorf("%s: exact gradient is zero, t2c's ‖g‖∞ is %.3g × grad scale %.3g (> %g)", r.name, r.rel, fx.GradScale, zeroGradTol)
			} else {
				t.Errorf("%s: relative error %.3g > %g (‖g_torch‖∞ %.3g)", r.name, r.rel, gradRelTol, r.ref)
			}
		}
	}
	t.Logf("%d tensors compared, max relative error %.3g", len(results), worst)
}

// softmaxCrossEntropy returns the mean cross-entropy of logits [N, C] with
// the given labels and its gradient (softmax − onehot)/N, in float64.
func softmaxCrossEntropy(t *testing.T, logits *tensor.Tensor, labels []int) (float64, *tensor.Tensor) {
	t.Helper()
	if logits.Rank() != 2 || logits.Dim(0) != len(labels) {
		t.Fatalf("logits shape %v for %d labels", logits.Shape(), len(labels))
	}
	n, c := logits.Dim(0), logits.Dim(1)
	z := logits.Float32()
	d := tensor.Zeros(tensor.Float32, n, c)
	dv := d.Float32()
	var loss float64
	for i := range n {
		row := z[i*c : (i+1)*c]
		m := math.Inf(-1)
		for _, v := range row {
			m = math.Max(m, float64(v))
		}
		var s float64
		for _, v := range row {
			s += math.Exp(float64(v) - m)
		}
		lse := m + math.Log(s)
		loss += lse - float64(row[labels[i]])
		for j, v := range row {
			pj := math.Exp(float64(v) - lse)
			if j == labels[i] {
				pj--
			}
			dv[i*c+j] = float32(pj / float64(n))
		}
	}
	return loss / float64(n), d
}

func readNPY(t *testing.T, path string) *tensor.Tensor {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	r, err := npyio.NewReader(f)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	var data []float32
	if err := r.Read(&data); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return tensor.New(r.Header.Descr.Shape, data)
}

// readNPZ reads every float32 array of an .npz file, keyed by array name
// (without numpy's ".npy" suffix).
func readNPZ(t *testing.T, path string) map[string]*tensor.Tensor {
	t.Helper()
	z, err := npz.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer z.Close()
	out := map[string]*tensor.Tensor{}
	for _, key := range z.Keys() {
		rc, err := z.Open(key)
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		r, err := npyio.NewReader(rc)
		if err != nil {
			rc.Close()
			t.Fatalf("%s: %s: %v", path, key, err)
		}
		var data []float32
		err = r.Read(&data)
		rc.Close()
		if err != nil {
			t.Fatalf("%s: %s: %v", path, key, err)
		}
		shape := r.Header.Descr.Shape
		if shape == nil {
			shape = []int{}
		}
		name := key
		if len(name) > 4 && name[len(name)-4:] == ".npy" {
			name = name[:len(name)-4]
		}
		out[name] = tensor.New(shape, data)
	}
	return out
}

// missingGradients lists, as "Op×count, ...", every op type on the gradient
// path of g whose kernel is not autodiff.Differentiable (Compile stops at the
// first one). It mirrors Compile's propagation over the specialised graph.
func missingGradients(g *graph.Graph, inputs map[string][]int, trainable func(string) bool) string {
	vars := map[string]bool{}
	for name, v := range g.Params {
		if v.DType().IsFloat() {
			vars[name] = true
		}
	}
	sg, _, err := graph.SpecializeWith(g, inputs, graph.SpecializeOptions{Variables: vars})
	if err != nil {
		return ""
	}
	grad := map[string]bool{}
	for name := range sg.Params {
		grad[name] = vars[name] && trainable(name)
	}
	for _, in := range sg.Inputs {
		grad[in.Name] = true
	}
	count := map[string]int{}
	for _, n := range sg.Nodes {
		need := false
		for _, in := range n.Inputs {
			need = need || grad[in]
		}
		if !need {
			continue
		}
		for _, o := range n.Outputs {
			grad[o] = true
		}
		k, err := graph.Build(n, sg.Opset)
		if err != nil {
			continue
		}
		if _, ok := k.(autodiff.Differentiable); !ok {
			count[n.Op]++
		}
	}
	var parts []string
	for _, op := range slices.Sorted(maps.Keys(count)) {
		parts = append(parts, fmt.Sprintf("%s×%d", op, count[op]))
	}
	return strings.Join(parts, ", ")
}
