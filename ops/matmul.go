package ops

import (
	"fmt"

	"t2c/graph"
	"t2c/kernels"
	"t2c/tensor"
)

func init() {
	graph.Register("MatMul", func(*graph.Node, *graph.Attrs, int) (graph.Kernel, error) { return matMul{}, nil })
	graph.Register("Gemm", buildGemm)
}

// matMul is numpy matmul: 1-D operands are promoted (and the added axis
// removed afterwards), leading batch dimensions broadcast.
type matMul struct{}

// matmulPlan is the resolved geometry of a batched matmul.
type matmulPlan struct {
	m, k, n  int
	batch    []int // broadcast batch shape
	aStrides []int // per batch dim, in matrices (0 where broadcast)
	bStrides []int
	out      []int
	sharedB  bool // B has no batch: the whole batch is one tall GEMM
}

func planMatMul(as, bs []int) (matmulPlan, error) {
	if len(as) == 0 || len(bs) == 0 {
		return matmulPlan{}, fmt.Errorf("matmul of scalar shapes %v, %v", as, bs)
	}
	a, b := as, bs
	if len(a) == 1 {
		a = []int{1, a[0]}
	}
	if len(b) == 1 {
		b = []int{b[0], 1}
	}
	p := matmulPlan{m: a[len(a)-2], k: a[len(a)-1], n: b[len(b)-1]}
	if b[len(b)-2] != p.k {
		return p, fmt.Errorf("inner dimensions differ: %v × %v", as, bs)
	}
	batch, err := tensor.BroadcastShapes(a[:len(a)-2], b[:len(b)-2])
	if err != nil {
		return p, err
	}
	p.batch = batch
	p.aStrides = tensor.BroadcastStrides(a[:len(a)-2], batch)
	p.bStrides = tensor.BroadcastStrides(b[:len(b)-2], batch)
	p.sharedB = tensor.NumElems(b[:len(b)-2]) == 1 && len(a) > 2 && tensor.SameShape(a[:len(a)-2], batch)
	p.out = append(append([]int(nil), batch...), p.m, p.n)
	if len(as) == 1 { // drop the promoted rows axis
		p.out = append(p.out[:len(p.out)-2], p.n)
	}
	if len(bs) == 1 {
		p.out = p.out[:len(p.out)-1]
	}
	return p, nil
}

func (matMul) InferShapes(in []graph.ValueInfo, _ []*tensor.Tensor) ([]graph.ValueInfo, error) {
	p, err := planMatMul(in[0].Shape, in[1].Shape)
	if err != nil {
		return nil, err
	}
	return []graph.ValueInfo{{DType: in[0].DType, Shape: p.out}}, nil
}

func (matMul) Run(ctx *graph.Ctx, in []*tensor.Tensor) ([]*tensor.Tensor, error) {
	if err := need(in, 2); err != nil {
		return nil, err
	}
	if err := float32Only(in, 0, 1); err != nil {
		return nil, err
	}
	p, err := planMatMul(in[0].Shape(), in[1].Shape())
	if err != nil {
		return nil, err
	}
	y := ctx.Alloc(tensor.Float32, p.out...)
	a, b, c := in[0].Float32(), in[1].Float32(), y.Float32()
	mk, kn, mn := p.m*p.k, p.k*p.n, p.m*p.n
	if p.sharedB { // the Linear-layer case: stack A's batch into rows
		kernels.Sgemm(false, false, tensor.NumElems(p.batch)*p.m, p.n, p.k, 1, a, p.k, b[:kn], p.n, 0, c, p.n)
		return []*tensor.Tensor{y}, nil
	}
	st := [][]int{p.aStrides, p.bStrides}
	i := 0
	tensor.ForEachRow(append(p.batch, 1), appendOne(st), func(_ int, off, _ []int, _ int) {
		kernels.Sgemm(false, false, p.m, p.n, p.k, 1, a[off[0]*mk:], p.k, b[off[1]*kn:], p.n, 0, c[i*mn:(i+1)*mn], p.n)
		i++
	})
	return []*tensor.Tensor{y}, nil
}

// appendOne extends each stride set with a trailing unit dimension so that
// ForEachRow visits every batch index once.
func appendOne(st [][]int) [][]int {
	out := make([][]int, len(st))
	for i, s := range st {
		out[i] = append(append([]int(nil), s...), 0)
	}
	return out
}

type gemm struct {
	alpha, beta    float32
	transA, transB bool
}

func buildGemm(n *graph.Node, a *graph.Attrs, opset int) (graph.Kernel, error) {
	return gemm{
		alpha:  a.Float("alpha", 1),
		beta:   a.Float("beta", 1),
		transA: a.Int("transA", 0) != 0,
		transB: a.Int("transB", 0) != 0,
	}, nil
}

func (g gemm) dims(as, bs []int) (m, k, n int, err error) {
	if len(as) != 2 || len(bs) != 2 {
		return 0, 0, 0, fmt.Errorf("A %v and B %v must be 2-D", as, bs)
	}
	m, k = as[0], as[1]
	if g.transA {
		m, k = k, m
	}
	kb, n := bs[0], bs[1]
	if g.transB {
		kb, n = n, kb
	}
	if k != kb {
		return 0, 0, 0, fmt.Errorf("inner dimensions differ: A %v (transA=%v), B %v (transB=%v)", as, g.transA, bs, g.transB)
	}
	return m, k, n, nil
}

func (g gemm) InferShapes(in []graph.ValueInfo, _ []*tensor.Tensor) ([]graph.ValueInfo, error) {
	m, _, n, err := g.dims(in[0].Shape, in[1].Shape)
	if err != nil {
		return nil, err
	}
	return []graph.ValueInfo{{DType: in[0].DType, Shape: []int{m, n}}}, nil
}

func (g gemm) Run(ctx *graph.Ctx, in []*tensor.Tensor) ([]*tensor.Tensor, error) {
	if err := need(in, 2); err != nil {
		return nil, err
	}
	if err := float32Only(in, 0, 1, 2); err != nil {
		return nil, err
	}
	m, k, n, err := g.dims(in[0].Shape(), in[1].Shape())
	if err != nil {
		return nil, err
	}
	y := ctx.Alloc(tensor.Float32, m, n)
	beta := float32(0)
	if c := opt(in, 2); c != nil && g.beta != 0 {
		if _, err := tensor.BroadcastShapes(c.Shape(), []int{m, n}); err != nil || c.Rank() > 2 {
			return nil, fmt.Errorf("C %v does not broadcast to %dx%d", c.Shape(), m, n)
		}
		y.CopyFrom(tensor.BroadcastTo(c, []int{m, n}))
		beta = g.beta
	}
	lda, ldb := k, n
	if g.transA {
		lda = m
	}
	if g.transB {
		ldb = k
	}
	kernels.Sgemm(g.transA, g.transB, m, n, k, g.alpha, in[0].Float32(), lda, in[1].Float32(), ldb, beta, y.Float32(), n)
	return []*tensor.Tensor{y}, nil
}
