package export

import "t2c/kernels"

// im2col lays out group g of image 0 of x (NCHW) as the B operand of the
// convolution's GEMM: a [C/G·R·S × OH·OW] matrix, row (c, r, s), column
// (oh, ow), holding x[0, g·C/G + c, oh·sh + r·dh − pt, ow·sw + s·dw − pl],
// or zero where that position is padding (the input's zero point, so the
// padded products vanish).
func im2col(p kernels.ConvParams, x []int64, g int, zero int64) []int64 {
	cg, oh, ow := p.C/p.Groups, p.OutH(), p.OutW()
	out := make([]int64, cg*p.R*p.S*oh*ow)
	i := 0
	for c := range cg {
		plane := x[(g*cg+c)*p.H*p.W : (g*cg+c+1)*p.H*p.W]
		for r := range p.R {
			for s := range p.S {
				for y := range oh {
					iy := y*p.StrideH + r*p.DilH - p.PadT
					for xo := range ow {
						ix := xo*p.StrideW + s*p.DilW - p.PadL
						if iy < 0 || iy >= p.H || ix < 0 || ix >= p.W {
							out[i] = zero
						} else {
							out[i] = plane[iy*p.W+ix]
						}
						i++
					}
				}
			}
		}
	}
	return out
}
