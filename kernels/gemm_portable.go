package kernels

// Portable is the pure-Go GEMM: correct for every input, parallel over rows
// of C, and the reference that SIMD backends are tested against.
type Portable struct{}

// Name implements Backend.
func (Portable) Name() string { return "portable" }

// Sgemm implements Backend.
func (Portable) Sgemm(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	// Bring op(B) to row-major k×n so the inner loop streams rows of B and C.
	bp, ldbp := b, ldb
	if transB {
		bp, ldbp = transpose(b, ldb, n, k), n
	}
	Parallel(m, 4, func(lo, hi int) {
		rowA := make([]float32, k)
		for i := lo; i < hi; i++ {
			crow := c[i*ldc : i*ldc+n]
			scaleRow(crow, beta)
			for p := 0; p < k; p++ {
				if transA {
					rowA[p] = a[p*lda+i]
				} else {
					rowA[p] = a[i*lda+p]
				}
			}
			for p, av := range rowA {
				axpy(crow, bp[p*ldbp:p*ldbp+n], alpha*av)
			}
		}
	})
}

func scaleRow(c []float32, beta float32) {
	switch beta {
	case 1:
	case 0:
		clear(c)
	default:
		for j := range c {
			c[j] *= beta
		}
	}
}

// axpy computes y += s·x, four elements per iteration.
func axpy(y, x []float32, s float32) {
	x = x[:len(y)]
	j := 0
	for ; j+4 <= len(y); j += 4 {
		y[j] += s * x[j]
		y[j+1] += s * x[j+1]
		y[j+2] += s * x[j+2]
		y[j+3] += s * x[j+3]
	}
	for ; j < len(y); j++ {
		y[j] += s * x[j]
	}
}

// transpose returns the cols×rows transpose of the rows×cols matrix b
// stored with row stride ld: out[p*rows+j] = b[j*ld+p] for j<rows, p<cols.
func transpose(b []float32, ld, rows, cols int) []float32 {
	out := make([]float32, rows*cols)
	for j := 0; j < rows; j++ {
		for p := 0; p < cols; p++ {
			out[p*rows+j] = b[j*ld+p]
		}
	}
	return out
}
