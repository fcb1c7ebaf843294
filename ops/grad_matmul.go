package ops

import (
	"t2c/graph"
	"t2c/kernels"
	"t2c/tensor"
)

// Backward implements autodiff.Differentiable for MatMul: dA = dC·Bᵀ and
// dB = Aᵀ·dC per batch, summed over broadcast batch dimensions.
func (matMul) Backward(ctx *graph.Ctx, in, out, dOut []*tensor.Tensor) ([]*tensor.Tensor, error) {
	p, err := planMatMul(in[0].Shape(), in[1].Shape())
	if err != nil {
		return nil, err
	}
	da := tensor.Zeros(tensor.Float32, in[0].Shape()...)
	db := tensor.Zeros(tensor.Float32, in[1].Shape()...)
	a, b, dc := in[0].Float32(), in[1].Float32(), dOut[0].Float32()
	mk, kn, mn := p.m*p.k, p.k*p.n, p.m*p.n
	i := 0
	tensor.ForEachRow(append(p.batch, 1), appendOne([][]int{p.aStrides, p.bStrides}), func(_ int, off, _ []int, _ int) {
		dci := dc[i*mn : (i+1)*mn]
		kernels.Sgemm(false, true, p.m, p.k, p.n, 1, dci, p.n, b[off[1]*kn:], p.n, 1, da.Float32()[off[0]*mk:], p.k)
		kernels.Sgemm(true, false, p.k, p.n, p.m, 1, a[off[0]*mk:], p.k, dci, p.n, 1, db.Float32()[off[1]*kn:], p.n)
		i++
	})
	return []*tensor.Tensor{da, db}, nil
}

// Backward implements autodiff.Differentiable for Gemm
// (Y = α·op(A)·op(B) + β·C).
func (g gemm) Backward(ctx *graph.Ctx, in, out, dOut []*tensor.Tensor) ([]*tensor.Tensor, error) {
	m, k, n, err := g.dims(in[0].Shape(), in[1].Shape())
	if err != nil {
		return nil, err
	}
	a, b, dy := in[0].Float32(), in[1].Float32(), dOut[0].Float32()
	lda, ldb := k, n
	if g.transA {
		lda = m
	}
	if g.transB {
		ldb = k
	}
	da := tensor.Zeros(tensor.Float32, in[0].Shape()...)
	db := tensor.Zeros(tensor.Float32, in[1].Shape()...)
	if g.transA { // A is k×m: dA = α·op(B)·dYᵀ
		kernels.Sgemm(g.transB, true, k, m, n, g.alpha, b, ldb, dy, n, 0, da.Float32(), m)
	} else { // dA = α·dY·op(B)ᵀ
		kernels.Sgemm(false, !g.transB, m, k, n, g.alpha, dy, n, b, ldb, 0, da.Float32(), k)
	}
	if g.transB { // B is n×k: dB = α·dYᵀ·op(A)
		kernels.Sgemm(true, g.transA, n, k, m, g.alpha, dy, n, a, lda, 0, db.Float32(), k)
	} else { // dB = α·op(A)ᵀ·dY
		kernels.Sgemm(!g.transA, false, k, n, m, g.alpha, a, lda, dy, n, 0, db.Float32(), n)
	}
	grads := []*tensor.Tensor{da, db, nil}
	if c := opt(in, 2); c != nil && g.beta != 0 {
		dc := tensor.SumTo(dOut[0], c.Shape())
		if dc == dOut[0] || g.beta != 1 {
			dc = scaled(dc, g.beta)
		}
		grads[2] = dc
	}
	return grads, nil
}

// scaled returns s·t as a new float32 tensor.
func scaled(t *tensor.Tensor, s float32) *tensor.Tensor {
	out := tensor.Zeros(tensor.Float32, t.Shape()...)
	for i, v := range t.Float32() {
		out.Float32()[i] = s * v
	}
	return out
}
