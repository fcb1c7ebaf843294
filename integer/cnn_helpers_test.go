package integer

import (
	"math/rand/v2"
	"slices"
	"testing"

	"t2c/graph"
	"t2c/tensor"
)

// runCNNOp builds node n, checks that its shape inference agrees with what
// it computes, and runs it on in.
func runCNNOp(t *testing.T, n *graph.Node, in ...*tensor.Tensor) *tensor.Tensor {
	t.Helper()
	y, err := tryCNNOp(n, in...)
	if err != nil {
		t.Fatal(err)
	}
	return y
}

// tryCNNOp is runCNNOp returning errors instead of failing.
func tryCNNOp(n *graph.Node, in ...*tensor.Tensor) (*tensor.Tensor, error) {
	k, err := graph.Build(n, 17)
	if err != nil {
		return nil, err
	}
	infos := make([]graph.ValueInfo, len(in))
	for i, x := range in {
		infos[i] = graph.ValueInfo{DType: x.DType(), Shape: x.Shape()}
	}
	want, err := k.(graph.ShapeInferer).InferShapes(infos, make([]*tensor.Tensor, len(in)))
	if err != nil {
		return nil, err
	}
	out, err := k.Run(nil, in)
	if err != nil {
		return nil, err
	}
	if out[0].DType() != want[0].DType || !slices.Equal(out[0].Shape(), want[0].Shape) {
		panic("shape inference disagrees with the kernel")
	}
	return out[0], nil
}

// cnnRandInts fills a tensor of type T with uniform integers in [lo, hi].
func cnnRandInts[T intElem](r *rand.Rand, lo, hi int64, shape ...int) *tensor.Tensor {
	v := make([]T, tensor.NumElems(shape))
	for i := range v {
		v[i] = T(lo + r.Int64N(hi-lo+1))
	}
	return tensor.New(shape, v)
}

// cnnGrid8 is an 8-bit grid with one scale.
func cnnGrid8(signed bool, scale float64, zp int64) Grid {
	return Grid{Bits: 8, Signed: signed, Scale: []float64{scale}, ZeroPoint: zp}
}

// cnnAccGrid is the int32 accumulator grid IntConv and IntMatMul record.
func cnnAccGrid(scale float64) Grid {
	return Grid{Bits: 32, Signed: true, Scale: []float64{scale}}
}

// cnnEqual fails at the first difference between got and want.
func cnnEqual(t *testing.T, what string, got *tensor.Tensor, want []int64) {
	t.Helper()
	g := got.Int64s()
	if len(g) != len(want) {
		t.Fatalf("%s: %d values, want %d", what, len(g), len(want))
	}
	for i := range g {
		if g[i] != want[i] {
			t.Fatalf("%s: element %d = %d, want %d (got %v…)", what, i, g[i], want[i], g[:min(len(g), 12)])
		}
	}
}
