package integer

import (
	"fmt"

	"t2c/graph"
	"t2c/tensor"
)

func init() { graph.Register(OpIntMatMul, buildIntMatMul) }

// IntMatMulParams are the Go values of an IntMatMul node (docs/INTEGER.md §4).
type IntMatMulParams struct {
	AZeroPoint, BZeroPoint int64
	TransB                 bool   // b is [..., N, K] (a Linear weight [out, in])
	Out                    Grid   // accumulator grid (metadata); Bits = 0 leaves it out
	Layer                  string // module path, metadata only
}

// NewIntMatMul builds an IntMatMul node acc = (a − z_a)·(b − z_b).
func NewIntMatMul(name, a, b, out string, p IntMatMulParams) *graph.Node {
	attrs := map[string]graph.Attr{
		"a_zero_point": graph.IntAttr(p.AZeroPoint),
		"b_zero_point": graph.IntAttr(p.BZeroPoint),
		"trans_b":      boolAttr(p.TransB),
	}
	if p.Out.Bits != 0 {
		p.Out.Attrs(attrs)
	}
	return newNode(name, OpIntMatMul, []string{a, b}, out, p.Layer, attrs)
}

// matMulKernel is IntMatMul: the exact int32 accumulator of a batched
// matrix product of zero-point-corrected integers.
type matMulKernel struct {
	azp, bzp int64
	transB   bool
	cache    weightCache
}

func buildIntMatMul(_ *graph.Node, a *graph.Attrs, _ int) (graph.Kernel, error) {
	readLayer(a)
	readOperandWidths(a, "a", "b")
	readAccGrid(a)
	k := &matMulKernel{azp: a.Int("a_zero_point", 0), bzp: a.Int("b_zero_point", 0), transB: a.Int("trans_b", 0) != 0}
	checkZeroPoint(a, "a_zero_point", k.azp)
	checkZeroPoint(a, "b_zero_point", k.bzp)
	return k, nil
}

// matPlan is the geometry of a batched product with ONNX MatMul
// broadcasting of the leading dimensions.
type matPlan struct {
	m, k, n  int
	batch    []int // broadcast batch shape
	aStrides []int // per batch dimension, in matrices (0 where broadcast)
	bStrides []int
	out      []int
	sharedB  bool // one b for the whole batch and a not broadcast: stack a's rows
}

func planIntMatMul(as, bs []int, transB bool) (matPlan, error) {
	if len(as) == 0 || len(bs) == 0 {
		return matPlan{}, fmt.Errorf("matmul of scalar shapes %v, %v", as, bs)
	}
	a, b := as, bs
	if len(a) == 1 {
		a = []int{1, a[0]}
	}
	if len(b) == 1 { // a vector is a column whether or not b is transposed
		b = []int{b[0], 1}
		if transB {
			b = []int{1, bs[0]}
		}
	}
	kb, nb := b[len(b)-2], b[len(b)-1]
	if transB {
		kb, nb = nb, kb
	}
	p := matPlan{m: a[len(a)-2], k: a[len(a)-1], n: nb}
	if kb != p.k {
		return p, fmt.Errorf("inner dimensions differ: %v × %v (trans_b %v)", as, bs, transB)
	}
	batch, err := tensor.BroadcastShapes(a[:len(a)-2], b[:len(b)-2])
	if err != nil {
		return p, err
	}
	p.batch = batch
	p.aStrides = tensor.BroadcastStrides(a[:len(a)-2], batch)
	p.bStrides = tensor.BroadcastStrides(b[:len(b)-2], batch)
	p.sharedB = tensor.NumElems(b[:len(b)-2]) == 1 && tensor.NumElems(a[:len(a)-2]) == tensor.NumElems(batch)
	p.out = append(append([]int(nil), batch...), p.m, p.n)
	if len(as) == 1 { // drop the promoted axes
		p.out = append(p.out[:len(p.out)-2], p.n)
	}
	if len(bs) == 1 {
		p.out = p.out[:len(p.out)-1]
	}
	return p, nil
}

// checkMatMulTypes accepts the integer storage types for both operands.
func checkMatMulTypes(a, b tensor.DType) error {
	if err := checkIntInput("a", a); err != nil {
		return err
	}
	return checkIntInput("b", b)
}

func (k *matMulKernel) InferShapes(in []graph.ValueInfo, _ []*tensor.Tensor) ([]graph.ValueInfo, error) {
	if err := requireInfos(in, 2); err != nil {
		return nil, err
	}
	if err := checkMatMulTypes(in[0].DType, in[1].DType); err != nil {
		return nil, err
	}
	p, err := planIntMatMul(in[0].Shape, in[1].Shape, k.transB)
	if err != nil {
		return nil, err
	}
	return []graph.ValueInfo{{DType: tensor.Int32, Shape: p.out}}, nil
}

func (k *matMulKernel) Run(ctx *graph.Ctx, in []*tensor.Tensor) ([]*tensor.Tensor, error) {
	if err := requireInputs(in, 2); err != nil {
		return nil, err
	}
	a, b := in[0], in[1]
	if err := checkMatMulTypes(a.DType(), b.DType()); err != nil {
		return nil, err
	}
	p, err := planIntMatMul(a.Shape(), b.Shape(), k.transB)
	if err != nil {
		return nil, err
	}
	y := ctx.Alloc(tensor.Int32, p.out...)
	c := y.Int32()
	switch {
	case p.sharedB && b.DType() == tensor.Int8 && k.bzp == 0 && (a.DType() == tensor.Uint8 || a.DType() == tensor.Int8):
		k.mulPacked(p, a, b, c)
	case fitsInt16(a.DType(), k.azp) && fitsInt16(b.DType(), k.bzp):
		mulS16(p, a, k.azp, b, k.bzp, k.transB, c)
	default: // 16-bit unsigned or 32-bit operands
		mulExact(p, a, k.azp, b, k.bzp, k.transB, c)
	}
	return []*tensor.Tensor{y}, nil
}

// fitsInt16 reports whether v − z fits int16 for every value v of type d.
func fitsInt16(d tensor.DType, z int64) bool {
	lo, hi, _ := dtypeRange(d)
	return lo-z >= -1<<15 && hi-z < 1<<15
}
