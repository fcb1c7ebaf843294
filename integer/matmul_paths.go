package integer

import (
	"t2c/kernels"
	"t2c/tensor"
)

// packedMatMul is an int8 weight as W = [N, K] (b itself with trans_b, bᵀ
// otherwise) packed for kernels.PackedS8, with the zero-point correction
// −z_a·Σ_k W[j][k] per output column passed as the column bias:
// Σ a·w − z_a·Σ w = Σ (a − z_a)·w, exact modulo 2³² and so exact.
type packedMatMul struct {
	w    *kernels.PackedS8
	bias []int32
}

// mulPacked is the Linear-layer path: 8-bit activations (all batch rows
// stacked) times one int8 weight with zero point 0.
func (k *matMulKernel) mulPacked(p matPlan, a, b *tensor.Tensor, c []int32) {
	pw := k.cache.get(b, "matmul-s8", func() any {
		w := b.Int8()
		if !k.transB {
			w = transposed(w, p.k, p.n)
		}
		bias := make([]int32, p.n)
		for j := range bias {
			var s int64
			for _, v := range w[j*p.k : (j+1)*p.k] {
				s += int64(v)
			}
			bias[j] = int32(-k.azp * s)
		}
		return &packedMatMul{w: kernels.PackS8(p.n, p.k, w, p.k), bias: bias}
	}).(*packedMatMul)
	rows := tensor.NumElems(p.batch) * p.m
	if a.DType() == tensor.Uint8 {
		pw.w.MulTU8(rows, a.Uint8(), p.k, pw.bias, c, p.n)
		return
	}
	pw.w.MulTS8(rows, a.Int8(), p.k, pw.bias, c, p.n)
}

// transposed returns the cols×rows transpose of the rows×cols matrix m.
func transposed[T any](m []T, rows, cols int) []T {
	out := make([]T, rows*cols)
	for r := 0; r < rows; r++ {
		for c := 0; c < cols; c++ {
			out[c*rows+r] = m[r*cols+c]
		}
	}
	return out
}

// mulS16 subtracts the zero points into int16 (the caller checked they
// fit) and runs kernels.GemmS16S16: one tall product when b is shared,
// else one per batch entry (attention's Q·Kᵀ and attn·V).
func mulS16(p matPlan, a *tensor.Tensor, azp int64, b *tensor.Tensor, bzp int64, transB bool, c []int32) {
	a16 := offsets[int16](a, azp, 0, 0, false)
	// GemmS16S16 wants B as K×N: transpose each [N, K] matrix of b.
	b16 := offsets[int16](b, bzp, p.n, p.k, transB)
	if p.sharedB {
		kernels.GemmS16S16(tensor.NumElems(p.batch)*p.m, p.n, p.k, a16, p.k, b16, p.n, c, p.n)
		return
	}
	mk, kn, mn := p.m*p.k, p.k*p.n, p.m*p.n
	aOff, bOff := p.batchOffsets()
	one := func(lo, hi int) {
		for i := lo; i < hi; i++ {
			kernels.GemmS16S16(p.m, p.n, p.k, a16[aOff[i]*mk:], p.k, b16[bOff[i]*kn:], p.n, c[i*mn:(i+1)*mn], p.n)
		}
	}
	if 2*p.m*p.n*p.k < smallGemmOps || len(aOff) >= 2*kernels.Threads() {
		// Many products (attention heads), or ones too small for the GEMM
		// to split: one fork over the batch rather than one per product.
		kernels.Parallel(len(aOff), 1, one)
		return
	}
	one(0, len(aOff))
}

// smallGemmOps is the size (2·m·n·k) below which the kernels' integer GEMM
// runs on one thread.
const smallGemmOps = 1 << 22

// mulExact is the fallback for operands whose offsets do not fit int16:
// int64 dot products of a's rows with the rows of b as [N, K].
func mulExact(p matPlan, a *tensor.Tensor, azp int64, b *tensor.Tensor, bzp int64, transB bool, c []int32) {
	a64 := offsets[int64](a, azp, 0, 0, false)
	bt := offsets[int64](b, bzp, p.k, p.n, !transB)
	mk, kn, mn := p.m*p.k, p.k*p.n, p.m*p.n
	aOff, bOff := p.batchOffsets()
	kernels.Parallel(len(aOff)*p.m, 1, func(lo, hi int) {
		for r := lo; r < hi; r++ {
			bi, i := r/p.m, r%p.m
			arow := a64[aOff[bi]*mk+i*p.k:][:p.k]
			bm := bt[bOff[bi]*kn:][:kn]
			crow := c[bi*mn+i*p.n:][:p.n]
			for j := range crow {
				var s int64
				for kk, v := range bm[j*p.k : (j+1)*p.k] {
					s += arow[kk] * v
				}
				crow[j] = int32(s) // fits: docs/INTEGER.md §6
			}
		}
	})
}

// batchOffsets lists, per output batch entry, the matrix index of a and b.
func (p matPlan) batchOffsets() (aOff, bOff []int) {
	st := [][]int{append(append([]int(nil), p.aStrides...), 0), append(append([]int(nil), p.bStrides...), 0)}
	tensor.ForEachRow(append(append([]int(nil), p.batch...), 1), st, func(_ int, off, _ []int, _ int) {
		aOff, bOff = append(aOff, off[0]), append(bOff, off[1])
	})
	return aOff, bOff
}

// offsets returns t − z converted to D; with transpose, each trailing
// rows×cols matrix of t is stored transposed (cols×rows).
func offsets[D int16 | int64](t *tensor.Tensor, z int64, rows, cols int, transpose bool) []D {
	switch t.DType() {
	case tensor.Int8:
		return convertOffsets[D](t.Int8(), z, rows, cols, transpose)
	case tensor.Uint8:
		return convertOffsets[D](t.Uint8(), z, rows, cols, transpose)
	case tensor.Int16:
		return convertOffsets[D](tensor.Data[int16](t), z, rows, cols, transpose)
	case tensor.Uint16:
		return convertOffsets[D](tensor.Data[uint16](t), z, rows, cols, transpose)
	}
	return convertOffsets[D](t.Int32(), z, rows, cols, transpose)
}

func convertOffsets[D int16 | int64, T intElem](src []T, z int64, rows, cols int, transpose bool) []D {
	dst := make([]D, len(src))
	if !transpose {
		for i, v := range src {
			dst[i] = D(int64(v) - z)
		}
		return dst
	}
	mat := rows * cols
	for m0 := 0; m0+mat <= len(src); m0 += mat {
		s, d := src[m0:m0+mat], dst[m0:m0+mat]
		for r := 0; r < rows; r++ {
			for c := 0; c < cols; c++ {
				d[c*rows+r] = D(int64(s[r*cols+c]) - z)
			}
		}
	}
	return dst
}
