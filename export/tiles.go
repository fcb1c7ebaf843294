package export

// roundUp is n rounded up to a multiple of p.
func roundUp(n, p int) int { return (n + p - 1) / p * p }

// tileMatrix pads the rows×cols row-major matrix m with pad to multiples
// of p and returns its p×p tiles in row-block-major order (all tiles of
// block row 0 from left to right, then block row 1, …), each tile
// row-major.
func tileMatrix(m []int64, rows, cols, p int, pad int64) []int64 {
	rp, cp := roundUp(rows, p), roundUp(cols, p)
	out := make([]int64, 0, rp*cp)
	for bi := 0; bi < rp; bi += p {
		for bj := 0; bj < cp; bj += p {
			for i := bi; i < bi+p; i++ {
				for j := bj; j < bj+p; j++ {
					if i < rows && j < cols {
						out = append(out, m[i*cols+j])
					} else {
						out = append(out, pad)
					}
				}
			}
		}
	}
	return out
}

// tileLayout is the Tiles entry of a GEMM for PE size p (files unset).
func tileLayout(g GEMM, p int) Tiles {
	t := Tiles{PE: p, MPad: roundUp(g.M, p), KPad: roundUp(g.K, p), NPad: roundUp(g.N, p)}
	t.MBlocks, t.KBlocks, t.NBlocks = t.MPad/p, t.KPad/p, t.NPad/p
	t.WTiles = g.Groups * t.MBlocks * t.KBlocks
	t.XTiles = g.Groups * t.KBlocks * t.NBlocks
	t.AccTiles = g.Groups * t.MBlocks * t.NBlocks
	return t
}
