package onnx

import (
	"fmt"
	"math"
	"os"
	"path/filepath"
	"runtime/debug"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"t2c/graph"
	"t2c/tensor"
)

// conformanceDir holds the ONNX backend node tests shipped by Debian's
// libonnx-testdata package (ONNX 1.12): one directory per test with
// model.onnx and test_data_set_*/{input,output}_*.pb.
const conformanceDir = "/usr/share/libonnx-testdata/data/node"

// conformanceExcluded lists tests that cannot pass by construction, with the
// reason. Keep it tiny: every other test of a supported op must pass or be
// rejected at load time with an explicit unsupported-feature error.
var conformanceExcluded = map[string]string{
	// Dropout in training mode with ratio > 0 draws a random mask; the
	// reference outputs come from NumPy's generator and cannot be matched.
	// (The deterministic training-mode tests with ratio 0 still run.)
	"test_training_dropout":              "training-mode Dropout draws a random mask",
	"test_training_dropout_default":      "training-mode Dropout draws a random mask",
	"test_training_dropout_default_mask": "training-mode Dropout draws a random mask",
	"test_training_dropout_mask":         "training-mode Dropout draws a random mask",
}

// shapeInputs lists, per op, the input positions whose values determine
// output shapes (shape, axes, split sizes, pads, repeats, slice bounds ...).
// t2c specialises shapes at compile time, so these must be constants: in an
// exported model they are initializers or Constant nodes (or folded from
// Shape chains), but the ONNX node tests feed them as graph inputs. The
// harness binds such graph inputs to their test values as initializers
// before compiling; every other input is fed at run time.
var shapeInputs = map[string][]int{
	"CenterCropPad":   {1},
	"ConstantOfShape": {0},
	"Expand":          {1},
	"MaxUnpool":       {2},
	"OneHot":          {1},
	"Pad":             {1, 3},
	"Range":           {0, 1, 2},
	"ReduceL1":        {1},
	"ReduceL2":        {1},
	"ReduceLogSum":    {1},
	"ReduceLogSumExp": {1},
	"ReduceMax":       {1},
	"ReduceMean":      {1},
	"ReduceMin":       {1},
	"ReduceProd":      {1},
	"ReduceSum":       {1},
	"ReduceSumSquare": {1},
	"Reshape":         {1},
	"Resize":          {1, 2, 3},
	"Slice":           {1, 2, 3, 4},
	"Split":           {1},
	"Squeeze":         {1},
	"Tile":            {1},
	"TopK":            {1},
	"Unsqueeze":       {1},
	"Upsample":        {1},
}

// bindShapeInputs returns a copy of g in which the graph inputs listed by
// shapeInputs are initializers holding their test values, and the inputs
// left to feed at run time.
func bindShapeInputs(g *graph.Graph, inputs map[string]*tensor.Tensor) (*graph.Graph, map[string]*tensor.Tensor) {
	bind := map[string]bool{}
	for _, n := range g.Nodes {
		for _, i := range shapeInputs[n.Op] {
			if name := n.Input(i); name != "" && g.IsInput(name) {
				bind[name] = true
			}
		}
	}
	if len(bind) == 0 {
		return g, inputs
	}
	c := g.Clone()
	feed := map[string]*tensor.Tensor{}
	c.Inputs = c.Inputs[:0]
	for _, in := range g.Inputs {
		if bind[in.Name] {
			c.Params[in.Name] = inputs[in.Name]
		} else {
			c.Inputs = append(c.Inputs, in)
			feed[in.Name] = inputs[in.Name]
		}
	}
	return c, feed
}

type confStatus int

const (
	confPassed confStatus = iota
	confFailed
	confUnsupported // load-time error from supported ops: an unsupported feature
	confSkipped     // uses an op with no implementation
	confExcluded    // in conformanceExcluded
)

type confResult struct {
	name   string
	ops    []string
	status confStatus
	msg    string
}

func TestConformance(t *testing.T) {
	entries, err := os.ReadDir(conformanceDir)
	if os.IsNotExist(err) {
		t.Skipf("ONNX backend node tests not found at %s (install Debian package libonnx-testdata)", conformanceDir)
	}
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	var results []confResult
	for _, e := range entries {
		if !e.IsDir() {
			continue
		}
		results = append(results, runConformanceTest(filepath.Join(conformanceDir, e.Name())))
	}
	report := conformanceReport(results)
	t.Logf("conformance over %d tests in %v\n%s", len(results), time.Since(start).Round(time.Millisecond), report)
	if path := os.Getenv("T2C_CONFORMANCE_REPORT"); path != "" {
		if err := os.WriteFile(path, []byte(report), 0o644); err != nil {
			t.Errorf("writing conformance report: %v", err)
		}
	}
	for _, r := range results {
		if r.status == confFailed {
			t.Errorf("%s [%s]: %s", r.name, strings.Join(r.ops, ","), r.msg)
		}
	}
}

// runConformanceTest runs one test directory and classifies the outcome.
func runConformanceTest(dir string) (res confResult) {
	res.name = filepath.Base(dir)
	defer func() {
		if p := recover(); p != nil {
			res.status = confFailed
			res.msg = fmt.Sprintf("panic: %v\n%s", p, firstFrames(debug.Stack(), 12))
		}
	}()
	fail := func(format string, args ...any) confResult {
		res.status, res.msg = confFailed, fmt.Sprintf(format, args...)
		return res
	}
	data, err := os.ReadFile(filepath.Join(dir, "model.onnx"))
	if err != nil {
		return fail("%v", err)
	}
	m, err := unmarshalModel(data, "model.onnx")
	if err != nil {
		return fail("%v", err)
	}
	seen := map[string]bool{}
	var missing []string
	for _, n := range m.GetGraph().GetNode() {
		op := n.GetOpType()
		if d := n.GetDomain(); d != "" && d != "ai.onnx" {
			op = d + "." + op
		}
		if seen[op] {
			continue
		}
		seen[op] = true
		res.ops = append(res.ops, op)
		if !graph.Supported(op) {
			missing = append(missing, op)
		}
	}
	sort.Strings(res.ops)
	if reason, ok := conformanceExcluded[res.name]; ok {
		res.status, res.msg = confExcluded, reason
		return res
	}
	if len(missing) > 0 {
		sort.Strings(missing)
		res.status, res.msg = confSkipped, "op "+strings.Join(missing, ", ")+" not supported"
		return res
	}
	g, err := FromModel(m, "model.onnx")
	if err != nil {
		res.status, res.msg = confUnsupported, err.Error()
		return res
	}
	sets, _ := filepath.Glob(filepath.Join(dir, "test_data_set_*"))
	if len(sets) == 0 {
		return fail("no test_data_set_* directories")
	}
	for _, set := range sets {
		inputs := map[string]*tensor.Tensor{}
		// input_<i>.pb is the model's graph input i, as listed in the file
		// (which may include initializers; those keep their values).
		inFiles := numbered(set, "input")
		protoInputs := m.GetGraph().GetInput()
		if len(inFiles) != len(protoInputs) {
			return fail("%s: %d input files for %d graph inputs", filepath.Base(set), len(inFiles), len(protoInputs))
		}
		for i, f := range inFiles {
			name := protoInputs[i].GetName()
			if !g.IsInput(name) {
				continue
			}
			x, err := LoadTensor(f)
			if err != nil {
				return fail("%v", err)
			}
			inputs[name] = x
		}
		bound, feed := bindShapeInputs(g, inputs)
		sess, err := graph.NewSession(bound)
		if err != nil {
			return fail("session: %v", err)
		}
		got, err := sess.Run(feed)
		if err != nil {
			return fail("run: %v", err)
		}
		outFiles := numbered(set, "output")
		if len(outFiles) != len(g.Outputs) {
			return fail("%s: %d output files for %d graph outputs", filepath.Base(set), len(outFiles), len(g.Outputs))
		}
		for i, f := range outFiles {
			want, err := LoadTensor(f)
			if err != nil {
				return fail("%v", err)
			}
			name := g.Outputs[i].Name
			if err := compareTensors(got[name], want); err != nil {
				return fail("output %q: %v", name, err)
			}
		}
	}
	res.status = confPassed
	return res
}

// numbered lists dir/prefix_<i>.pb in index order.
func numbered(dir, prefix string) []string {
	files, _ := filepath.Glob(filepath.Join(dir, prefix+"_*.pb"))
	idx := func(f string) int {
		s := strings.TrimSuffix(strings.TrimPrefix(filepath.Base(f), prefix+"_"), ".pb")
		i, _ := strconv.Atoi(s)
		return i
	}
	sort.Slice(files, func(a, b int) bool { return idx(files[a]) < idx(files[b]) })
	return files
}

// compareTensors checks dtype and shape exactly, floats within relative
// tolerance 1e-4 (NaN matches NaN), integers and bools exactly.
func compareTensors(got, want *tensor.Tensor) error {
	if got == nil {
		return fmt.Errorf("not produced")
	}
	if got.DType() != want.DType() {
		return fmt.Errorf("dtype %v, want %v", got.DType(), want.DType())
	}
	if !tensor.SameShape(got.Shape(), want.Shape()) {
		return fmt.Errorf("shape %v, want %v", got.Shape(), want.Shape())
	}
	g, w := got.Float64s(), want.Float64s()
	bad, first := 0, -1
	for i := range w {
		if !closeEnough(g[i], w[i], want.DType()) {
			if first < 0 {
				first = i
			}
			bad++
		}
	}
	if bad == 0 && !want.DType().IsFloat() {
		// Float64s is lossy above 2^53: compare 64-bit integers exactly.
		switch want.DType() {
		case tensor.Int64:
			gi, wi := got.Int64(), want.Int64()
			for i := range wi {
				if gi[i] != wi[i] {
					return fmt.Errorf("element %d is %d, want %d", i, gi[i], wi[i])
				}
			}
		case tensor.Uint64:
			gi, wi := tensor.Data[uint64](got), tensor.Data[uint64](want)
			for i := range wi {
				if gi[i] != wi[i] {
					return fmt.Errorf("element %d is %d, want %d", i, gi[i], wi[i])
				}
			}
		}
	}
	if bad > 0 {
		return fmt.Errorf("%d of %d elements differ; first at %d (index %v): got %v, want %v", bad, len(w), first, unravel(first, want.Shape()), g[first], w[first])
	}
	return nil
}

func closeEnough(g, w float64, d tensor.DType) bool {
	if g == w {
		return true
	}
	if !d.IsFloat() {
		return false
	}
	if math.IsNaN(w) {
		return math.IsNaN(g)
	}
	return math.Abs(g-w) <= 1e-4*math.Abs(w)+1e-5
}

func unravel(i int, shape []int) []int {
	idx := make([]int, len(shape))
	for d := len(shape) - 1; d >= 0; d-- {
		if shape[d] > 0 {
			idx[d] = i % shape[d]
			i /= shape[d]
		}
	}
	return idx
}

func firstFrames(stack []byte, lines int) string {
	s := strings.Split(string(stack), "\n")
	if len(s) > lines {
		s = s[:lines]
	}
	return strings.Join(s, "\n")
}

// conformanceReport renders the per-op table, the summary line and the
// failing, unsupported-feature and excluded tests with their messages.
func conformanceReport(results []confResult) string {
	type counts [5]int
	perOp := map[string]*counts{}
	var total counts
	for _, r := range results {
		total[r.status]++
		for _, op := range r.ops {
			if perOp[op] == nil {
				perOp[op] = &counts{}
			}
			perOp[op][r.status]++
		}
	}
	ops := make([]string, 0, len(perOp))
	for op := range perOp {
		ops = append(ops, op)
	}
	// Supported ops first, then the ops t2c does not implement.
	sort.Slice(ops, func(i, j int) bool {
		si, sj := graph.Supported(ops[i]), graph.Supported(ops[j])
		if si != sj {
			return si
		}
		return ops[i] < ops[j]
	})
	var b strings.Builder
	fmt.Fprintf(&b, "conformance: %d passed, %d failed, %d unsupported-feature, %d skipped (unsupported ops)", total[confPassed], total[confFailed], total[confUnsupported], total[confSkipped])
	if total[confExcluded] > 0 {
		fmt.Fprintf(&b, ", %d excluded", total[confExcluded])
	}
	b.WriteString("\n\nA test counts for every op type in its graph.\n\n")
	b.WriteString("| op | passed | failed | unsupported-feature | skipped | excluded |\n")
	b.WriteString("| --- | ---: | ---: | ---: | ---: | ---: |\n")
	for _, op := range ops {
		c := perOp[op]
		name := op
		if !graph.Supported(op) {
			name += " (not implemented)"
		}
		fmt.Fprintf(&b, "| %s | %d | %d | %d | %d | %d |\n", name, c[confPassed], c[confFailed], c[confUnsupported], c[confSkipped], c[confExcluded])
	}
	list := func(title string, st confStatus) {
		var rs []confResult
		for _, r := range results {
			if r.status == st {
				rs = append(rs, r)
			}
		}
		if len(rs) == 0 {
			return
		}
		fmt.Fprintf(&b, "\n%s (%d):\n\n", title, len(rs))
		for _, r := range rs {
			fmt.Fprintf(&b, "- %s [%s]: %s\n", r.name, strings.Join(r.ops, ","), strings.ReplaceAll(r.msg, "\n", "\n    "))
		}
	}
	list("Failed", confFailed)
	list("Unsupported features (rejected at load time)", confUnsupported)
	list("Excluded", confExcluded)
	return b.String()
}
