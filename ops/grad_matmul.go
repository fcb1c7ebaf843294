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
	// Zeroed: products of broadcast batches accumulate (β = 1).
	da := ctx.Zeros(tensor.Float32, in[0].Shape()...)
	db := ctx.Zeros(tensor.Float32, in[1].Shape()...)
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
	da := ctx.Alloc(tensor.Float32, in[0].Shape()...) // β = 0: overwritten
	db := ctx.Alloc(tensor.Float32, in[1].Shape()...)
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
		dc := sumRows(dOut[0], m, n, c.Shape())
		if dc == dOut[0] || g.beta != 1 {
			dc = scaled(dc, g.beta)
		}
		grads[2] = dc
	}
	return grads, nil
}

// sumRows is tensor.SumTo(dy, shape) for an m×n dY, with the common bias
// shapes ([n] or [1, n]: the sum of the rows) in a tight loop.
func sumRows(dy *tensor.Tensor, m, n int, shape []int) *tensor.Tensor {
	if tensor.NumElems(shape) != n || (len(shape) != 1 && !(len(shape) == 2 && shape[0] == 1)) || m == 1 {
		return tensor.SumTo(dy, shape)
	}
	out := tensor.Zeros(tensor.Float32, shape...)
	o, d := out.Float32(), dy.Float32()
	for i := 0; i < m; i++ {
		for j, v := range d[i*n : (i+1)*n] {
			o[j] += v
		}
	}
	return out
}

// scaled returns s·t as a new float32 tensor.
func scaled(t *tensor.Tensor, s float32) *tensor.Tensor {
	out := tensor.Zeros(tensor.Float32, t.Shape()...)
	for i, v := range t.Float32() {
		out.Float32()[i] = s * v
	}
	return out
}
