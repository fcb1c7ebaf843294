package kernels

// simdBackend is a GEMM backend built from assembly micro-kernels (see
// gen_asm.go) driven by the blocked loops in sgemm_drive.go and
// igemm_drive.go. Instances exist only on CPUs that support them.
type simdBackend struct {
	name string
	f    *floatArch
	i    *intArch
}

// Name implements Backend.
func (b *simdBackend) Name() string { return b.name }

// Sgemm implements Backend.
func (b *simdBackend) Sgemm(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, bm []float32, ldb int, beta float32, c []float32, ldc int) {
	if m <= 4 && k >= 16 && n >= 16 {
		gemvRows(transA, transB, m, n, k, alpha, a, lda, bm, ldb, beta, c, ldc)
		return
	}
	g := fGemm{arch: b.f, m: m, n: n, k: k, alpha: alpha, beta: beta,
		a: fMatrix{a, lda, transA}, b: fMatrix{bm, ldb, transB}, c: c, ldc: ldc}
	if !transB && k > 0 {
		rows := rowOffsets(k, ldb)
		defer intPool.put(rows)
		g.bRows, g.bMaxOff = *rows, (k-1)*ldb
	}
	g.directA = !transA && !forcePackA
	g.run()
}

// forcePackA makes Sgemm pack A even when it could read it in place (tests
// cover both paths with it).
var forcePackA = false

// gemvRows is Sgemm for a few rows of C (batch-1 Linear layers): packing B
// would cost as much as the product, so each row of C is computed with dot
// products against the rows of a transposed B, or as a sum of scaled rows
// of B, split over columns across the threads. B is read m times.
func gemvRows(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	rows := f32Pool.get(m * k)
	defer f32Pool.put(rows)
	for i := 0; i < m; i++ {
		r := (*rows)[i*k : (i+1)*k]
		if transA {
			for p := range r {
				r[p] = a[p*lda+i]
			}
		} else {
			copy(r, a[i*lda:i*lda+k])
		}
	}
	parallelN(threads, n, 64, func(lo, hi int) {
		for i := 0; i < m; i++ {
			ai := (*rows)[i*k : (i+1)*k]
			crow := c[i*ldc+lo : i*ldc+hi]
			if transB {
				for j := range crow {
					v := alpha * dotF32(ai, b[(lo+j)*ldb:(lo+j)*ldb+k])
					if beta != 0 {
						v += beta * crow[j]
					}
					crow[j] = v
				}
				continue
			}
			scaleRow(crow, beta)
			for p, av := range ai {
				axpyF32(crow, b[p*ldb+lo:p*ldb+hi], alpha*av)
			}
		}
	})
}
