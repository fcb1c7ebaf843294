package zoo_test

import (
	"bytes"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"

	"t2c/checkpoint"
	"t2c/graph"
	"t2c/internal/npytest"
	_ "t2c/ops"
	"t2c/tensor"
	"t2c/zoo"
)

// The fixtures in testdata/zoo come from scripts/make_zoo_fixtures.py: for
// each PyTorch model, its sorted state_dict names and shapes, an input
// batch and the eval-mode output after filling every state_dict tensor
// with the closed-form formula of fill below. Building the zoo model,
// filling it the same way and running it must give the same output; and
// the graph's sorted parameter names and shapes must be the state_dict's,
// which proves that the zoo's names are PyTorch's.

const fixtureDir = "../testdata/zoo"

type fixture struct {
	Name   string
	Model  string
	Config zoo.Config
	Params int
	Keys   []string
	Shapes [][]int
}

func readManifest(t *testing.T) []fixture {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join(fixtureDir, "manifest.json"))
	if err != nil {
		t.Fatal(err)
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	var m struct{ Fixtures []fixture }
	if err := dec.Decode(&m); err != nil {
		t.Fatalf("manifest.json: %v", err)
	}
	return m.Fixtures
}

// fillValue is element i of the p-th tensor (in sorted name order) of the
// fixture formula; it must stay identical to fill_value in
// scripts/make_zoo_fixtures.py. In float64:
//
//	s = sin(0.7*i + 1.3*p + 0.1)     evaluated as ((0.7*i) + (1.3*p)) + 0.1
//	"…running_var"                   1 + 0.5*|s|
//	"…running_mean"                  0.1*s
//	"….weight", rank 1               1 + 0.1*s
//	"….weight", rank ≥ 2             s/sqrt(fan_in), fan_in = numel/shape[0]
//	"….bias"                         0.1*s
//	anything else                    0.5*s
//
// rounded to float32. The explicit float64 conversions forbid fused
// multiply-adds, which would change the rounding.
func fillValue(name string, p, i int, shape []int) float32 {
	a := float64(0.7 * float64(i))
	b := float64(1.3 * float64(p))
	s := math.Sin(float64(a+b) + 0.1)
	var v float64
	switch {
	case strings.HasSuffix(name, "running_var"):
		v = 1 + float64(0.5*math.Abs(s))
	case strings.HasSuffix(name, "running_mean"):
		v = 0.1 * s
	case strings.HasSuffix(name, ".weight") && len(shape) == 1:
		v = 1 + float64(0.1*s)
	case strings.HasSuffix(name, ".weight"):
		v = s / math.Sqrt(float64(tensor.NumElems(shape)/shape[0]))
	case strings.HasSuffix(name, ".bias"):
		v = 0.1 * s
	default:
		v = 0.5 * s
	}
	return float32(v)
}

// fill sets every parameter of g from the formula.
func fill(g *graph.Graph) {
	names := sortedParams(g)
	for p, name := range names {
		t := g.Params[name]
		w := t.Float32()
		for i := range w {
			w[i] = fillValue(name, p, i, t.Shape())
		}
	}
}

func sortedParams(g *graph.Graph) []string {
	names := make([]string, 0, len(g.Params))
	for name := range g.Params {
		names = append(names, name)
	}
	sort.Strings(names)
	return names
}

// checkNames asserts that g's parameters are exactly the state_dict's.
func checkNames(t *testing.T, g *graph.Graph, f fixture) {
	t.Helper()
	names := sortedParams(g)
	if !slices.Equal(names, f.Keys) {
		for _, n := range names {
			if !slices.Contains(f.Keys, n) {
				t.Errorf("graph parameter %q is not in the PyTorch state_dict", n)
			}
		}
		for _, k := range f.Keys {
			if _, ok := g.Params[k]; !ok {
				t.Errorf("state_dict entry %q is not a graph parameter", k)
			}
		}
		t.FailNow()
	}
	for i, name := range names {
		if got := g.Params[name].Shape(); !slices.Equal(got, f.Shapes[i]) {
			t.Errorf("%s: shape %v, PyTorch %v", name, got, f.Shapes[i])
		}
	}
	if got := zoo.ParamCount(g); got != f.Params {
		t.Errorf("ParamCount = %d, PyTorch counts %d", got, f.Params)
	}
}

// compare runs g on the fixture input and checks the output.
func compare(t *testing.T, g *graph.Graph, name string) {
	t.Helper()
	x := npytest.Float32(t, filepath.Join(fixtureDir, name+".input.npy"))
	want := npytest.Float32(t, filepath.Join(fixtureDir, name+".output.npy"))
	s, err := graph.NewSession(g)
	if err != nil {
		t.Fatal(err)
	}
	y, err := s.Run1(x)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(y.Shape(), want.Shape()) {
		t.Fatalf("output shape %v, PyTorch %v", y.Shape(), want.Shape())
	}
	var diff, scale float64
	for i, w := range want.Float32() {
		diff = max(diff, math.Abs(float64(y.Float32()[i]-w)))
		scale = max(scale, math.Abs(float64(w)))
	}
	if diff > 1e-4*scale || math.IsNaN(diff) {
		t.Errorf("max |Go − PyTorch| = %.3g, allowed %.3g (1e-4 × max|PyTorch| = %.3g)", diff, 1e-4*scale, scale)
	}
	t.Logf("max |Go − PyTorch| = %.3g (max|y| %.3g)", diff, scale)
}

func TestMatchesPyTorch(t *testing.T) {
	for _, f := range readManifest(t) {
		t.Run(f.Name, func(t *testing.T) {
			if testing.Short() && strings.HasPrefix(f.Name, "resnet50") {
				t.Skip("resnet50 takes a few seconds")
			}
			cfg := f.Config
			cfg.SkipInit = true // fill overwrites every parameter
			g, err := zoo.Build(f.Model, cfg)
			if err != nil {
				t.Fatal(err)
			}
			checkNames(t, g, f)
			fill(g)
			compare(t, g, f.Name)
		})
	}
}

// TestPyTorchStateDict loads the one complete state_dict that PyTorch wrote
// (with BatchNorm's int64 num_batches_tracked counters), checks that it
// holds exactly the values of the Go fill formula, loads it into a fresh
// graph strictly and compares that graph's output with PyTorch's.
func TestPyTorchStateDict(t *testing.T) {
	const name = "resnet8"
	var f fixture
	for _, m := range readManifest(t) {
		if m.Name == name {
			f = m
		}
	}
	sd, meta, err := checkpoint.Load(filepath.Join(fixtureDir, name+".safetensors"))
	if err != nil {
		t.Fatal(err)
	}
	if meta["format"] != "pt" {
		t.Errorf("metadata = %v", meta)
	}
	counters := 0
	for k, v := range sd {
		if checkpoint.IsBatchCounter(k) {
			counters++
			if v.DType() != tensor.Int64 || v.Rank() != 0 {
				t.Errorf("%s: %v, want an int64 scalar", k, v)
			}
		}
	}
	if counters == 0 || len(sd)-counters != len(f.Keys) {
		t.Fatalf("state_dict has %d tensors (%d counters), manifest lists %d", len(sd), counters, len(f.Keys))
	}
	mismatches := 0
	for p, k := range f.Keys {
		v := sd[k]
		if v == nil {
			t.Fatalf("state_dict lacks %q", k)
		}
		for i, got := range v.Float32() {
			want := fillValue(k, p, i, v.Shape())
			if got != want {
				mismatches++
				// Go's and glibc's sin may differ in the last bit of a
				// float64, which can flip a float32 rounding: allow 1 ulp.
				if d := int64(math.Float32bits(got)) - int64(math.Float32bits(want)); d > 1 || d < -1 {
					t.Fatalf("%s[%d] = %v, formula gives %v", k, i, got, want)
				}
			}
		}
	}
	if mismatches > 0 {
		t.Logf("%d elements differ from the Go formula by 1 ulp", mismatches)
	}
	g, err := zoo.Build(f.Model, zoo.Config{Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	if err := checkpoint.LoadInto(g, sd, true); err != nil {
		t.Fatal(err)
	}
	compare(t, g, name)
}
