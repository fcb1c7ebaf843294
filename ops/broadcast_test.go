package ops

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"t2c/graph"
	"t2c/tensor"
)

// elemCase describes one node evaluation for the tests of the elementwise,
// shape and movement ops.
type elemCase struct {
	op    string
	opset int
	attrs map[string]graph.Attr
	nout  int // outputs requested (default 1)
}

// elemBuild compiles the node; inputs may contain nil for omitted ones.
func elemBuild(c elemCase, nin int) (graph.Kernel, error) {
	n := &graph.Node{Name: "n", Op: c.op, Attrs: c.attrs}
	for i := range nin {
		n.Inputs = append(n.Inputs, fmt.Sprintf("i%d", i))
	}
	for i := range max(c.nout, 1) {
		n.Outputs = append(n.Outputs, fmt.Sprintf("o%d", i))
	}
	if c.opset == 0 {
		c.opset = 17
	}
	return graph.Build(n, c.opset)
}

// elemRun builds and runs the node with a pooled context, and checks that
// the kernel's ShapeInferer (if any) agrees with what Run produced.
func elemRun(t *testing.T, c elemCase, in ...*tensor.Tensor) []*tensor.Tensor {
	t.Helper()
	out, err := elemTry(c, in...)
	if err != nil {
		t.Fatalf("%s: %v", c.op, err)
	}
	return out
}

// elemTry is elemRun returning errors instead of failing.
func elemTry(c elemCase, in ...*tensor.Tensor) ([]*tensor.Tensor, error) {
	k, err := elemBuild(c, len(in))
	if err != nil {
		return nil, err
	}
	out, err := k.Run(graph.NewCtx(graph.NewPool()), in)
	if err != nil {
		return nil, err
	}
	if si, ok := k.(graph.ShapeInferer); ok {
		infos := make([]graph.ValueInfo, len(in))
		for i, x := range in {
			if x != nil {
				infos[i] = graph.ValueInfo{Name: fmt.Sprintf("i%d", i), DType: x.DType(), Shape: x.Shape()}
			}
		}
		got, err := si.InferShapes(infos, in)
		if err != nil {
			return nil, fmt.Errorf("InferShapes: %v", err)
		}
		for i, o := range out {
			if i >= len(got) || got[i].DType != o.DType() || !tensor.SameShape(got[i].Shape, o.Shape()) {
				return nil, fmt.Errorf("InferShapes says %v, Run produced %v", got, o)
			}
		}
	}
	return out, nil
}

// elemF32 builds a float32 tensor.
func elemF32(shape []int, v ...float32) *tensor.Tensor { return tensor.New(shape, v) }

// elemI64 builds an int64 tensor of rank 1.
func elemI64(v ...int64) *tensor.Tensor { return tensor.FromSlice(v) }

// elemCheck compares a result's dtype, shape and values (as float64).
func elemCheck(t *testing.T, what string, got *tensor.Tensor, d tensor.DType, shape []int, want ...float64) {
	t.Helper()
	if got.DType() != d || !tensor.SameShape(got.Shape(), shape) {
		t.Fatalf("%s: got %v, want %v%v", what, got, d, shape)
	}
	g := got.Float64s()
	for i := range want {
		if diff := g[i] - want[i]; diff > 1e-6 || diff < -1e-6 || g[i] != g[i] {
			t.Fatalf("%s: got %v, want %v", what, g, want)
		}
	}
	if len(g) != len(want) {
		t.Fatalf("%s: got %d elements, want %d", what, len(g), len(want))
	}
}

// elemWantErr checks that err mentions substr.
func elemWantErr(t *testing.T, err error, substr string) {
	t.Helper()
	if err == nil || !strings.Contains(err.Error(), substr) {
		t.Fatalf("got error %v, want one mentioning %q", err, substr)
	}
}

func TestCoalesce(t *testing.T) {
	out := []int{2, 3, 4, 5}
	b := tensor.BroadcastStrides([]int{3, 1, 1}, out)
	shape, st := coalesce(out, [][]int{b})
	if !slices.Equal(shape, []int{2, 3, 20}) || !slices.Equal(st[0], []int{0, 1, 0}) {
		t.Fatalf("coalesce: %v %v", shape, st)
	}
	shape, _ = coalesce([]int{1, 1}, [][]int{{0, 0}})
	if len(shape) != 0 {
		t.Fatalf("all-ones shape coalesced to %v", shape)
	}
}

func TestAddBroadcast(t *testing.T) {
	a := elemF32([]int{2, 3, 1}, 0, 10, 20, 30, 40, 50)
	b := elemF32([]int{4}, 1, 2, 3, 4)
	got := elemRun(t, elemCase{op: "Add"}, a, b)[0]
	elemCheck(t, "Add", got, tensor.Float32, []int{2, 3, 4},
		1, 2, 3, 4, 11, 12, 13, 14, 21, 22, 23, 24, 31, 32, 33, 34, 41, 42, 43, 44, 51, 52, 53, 54)
	// scalar on the left of a non-commutative op
	got = elemRun(t, elemCase{op: "Sub"}, elemF32(nil, 10), elemF32([]int{3}, 1, 2, 3))[0]
	elemCheck(t, "Sub", got, tensor.Float32, []int{3}, 9, 8, 7)
	got = elemRun(t, elemCase{op: "Div"}, elemF32([]int{3, 1}, 1, 2, 3), elemF32([]int{1, 2}, 1, 2))[0]
	elemCheck(t, "Div", got, tensor.Float32, []int{3, 2}, 1, 0.5, 2, 1, 3, 1.5)
	_, err := elemTry(elemCase{op: "Mul"}, elemF32([]int{2}, 1, 2), elemF32([]int{3}, 1, 2, 3))
	elemWantErr(t, err, "broadcast")
	_, err = elemTry(elemCase{op: "Add"}, elemF32([]int{1}, 1), elemI64(1))
	elemWantErr(t, err, "differ")
}

func TestIntegerDiv(t *testing.T) {
	a := tensor.FromSlice([]int32{-7, 7, -7, 7, 5})
	b := tensor.FromSlice([]int32{2, -2, -2, 2, 7})
	got := elemRun(t, elemCase{op: "Div"}, a, b)[0]
	elemCheck(t, "Div", got, tensor.Int32, []int{5}, -3, -3, 3, 3, 0)
	got = elemRun(t, elemCase{op: "Div"}, tensor.FromSlice([]uint8{200, 7}), tensor.Scalar[uint8](3))[0]
	elemCheck(t, "Div uint8", got, tensor.Uint8, []int{2}, 66, 2)
	_, err := elemTry(elemCase{op: "Div"}, a, tensor.Scalar[int32](0))
	elemWantErr(t, err, "division by zero")
}

func TestMinMaxVariadic(t *testing.T) {
	a := elemF32([]int{2, 1}, 1, 5)
	b := elemF32([]int{3}, 0, 3, 6)
	c := elemF32(nil, 4)
	got := elemRun(t, elemCase{op: "Max"}, a, b, c)[0]
	elemCheck(t, "Max", got, tensor.Float32, []int{2, 3}, 4, 4, 6, 5, 5, 6)
	got = elemRun(t, elemCase{op: "Min"}, a, b, c)[0]
	elemCheck(t, "Min", got, tensor.Float32, []int{2, 3}, 0, 1, 1, 0, 3, 4)
	one := elemRun(t, elemCase{op: "Min"}, a)[0]
	if one != a {
		t.Fatalf("single-input Min should return its input")
	}
	got = elemRun(t, elemCase{op: "Max"}, tensor.FromSlice([]int8{-3, 4}), tensor.FromSlice([]int8{-5, 9}))[0]
	elemCheck(t, "Max int8", got, tensor.Int8, []int{2}, -3, 9)
}

func TestPowTypes(t *testing.T) {
	got := elemRun(t, elemCase{op: "Pow"}, tensor.FromSlice([]int32{2, -3, 5}), tensor.FromSlice([]int64{10, 3, 0}))[0]
	elemCheck(t, "int^int", got, tensor.Int32, []int{3}, 1024, -27, 1)
	got = elemRun(t, elemCase{op: "Pow"}, tensor.FromSlice([]int64{1, 2, 3}), elemF32([]int{3}, 4, 0.5, 2))[0]
	elemCheck(t, "int^float", got, tensor.Int64, []int{3}, 1, 1, 9)
	got = elemRun(t, elemCase{op: "Pow"}, elemF32([]int{2}, 2, 4), tensor.FromSlice([]uint64{3, 0}))[0]
	elemCheck(t, "float^uint", got, tensor.Float32, []int{2}, 8, 1)
	got = elemRun(t, elemCase{op: "Pow"}, elemF32([]int{2}, -3, 4), elemF32(nil, 2))[0]
	elemCheck(t, "float^2", got, tensor.Float32, []int{2}, 9, 16)
	got = elemRun(t, elemCase{op: "Pow"}, elemF32([]int{2}, 9, 4), elemF32([]int{1}, 0.5))[0]
	elemCheck(t, "float^0.5", got, tensor.Float32, []int{2}, 3, 2)
}

func TestEqualWhere(t *testing.T) {
	eq := elemRun(t, elemCase{op: "Equal"}, elemI64(1, 2, 3), tensor.New([]int{2, 1}, []int64{2, 3}))[0]
	elemCheck(t, "Equal", eq, tensor.Bool, []int{2, 3}, 0, 1, 0, 0, 0, 1)
	got := elemRun(t, elemCase{op: "Where"}, eq, elemF32(nil, 1), elemF32([]int{3}, 7, 8, 9))[0]
	elemCheck(t, "Where", got, tensor.Float32, []int{2, 3}, 7, 1, 9, 7, 8, 1)
}
