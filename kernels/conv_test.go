package kernels

import (
	"fmt"
	"math/rand/v2"
	"testing"
)

// convCases covers the geometry the implicit GEMM must get right: padding on
// each side, strides and dilations (phase planes), 1×1 direct, groups,
// depthwise, wide rows that spill and odd sizes with column/row tails.
func convCases() []ConvParams {
	c := func(n, ch, h, w, k, r, s, g, sh, sw, dh, dw, pt, pl, pb, pr int) ConvParams {
		return ConvParams{N: n, C: ch, H: h, W: w, K: k, R: r, S: s, Groups: g, StrideH: sh, StrideW: sw,
			DilH: dh, DilW: dw, PadT: pt, PadL: pl, PadB: pb, PadR: pr}
	}
	return []ConvParams{
		c(2, 3, 9, 7, 4, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1),
		c(1, 4, 10, 11, 6, 3, 2, 2, 2, 3, 1, 2, 0, 2, 1, 0),
		c(2, 8, 6, 6, 8, 3, 3, 8, 2, 2, 1, 1, 1, 1, 1, 1),
		c(1, 5, 4, 4, 7, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0),
		c(1, 2, 7, 7, 3, 3, 3, 1, 1, 1, 2, 2, 2, 0, 0, 2),
		c(1, 3, 23, 21, 13, 7, 7, 1, 2, 2, 1, 1, 3, 3, 3, 3),
		c(1, 16, 14, 14, 40, 1, 1, 1, 2, 2, 1, 1, 0, 0, 0, 0),
		c(3, 16, 12, 13, 27, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1),
		c(5, 6, 9, 9, 30, 3, 3, 1, 2, 2, 1, 1, 1, 1, 1, 1),
		c(1, 24, 8, 8, 70, 3, 3, 2, 1, 1, 1, 1, 1, 1, 1, 1),
		c(2, 4, 5, 40, 33, 1, 3, 1, 1, 1, 1, 1, 0, 1, 0, 1),
		c(1, 3, 6, 6, 5, 2, 2, 1, 3, 3, 1, 1, 0, 0, 2, 2),
		c(1, 2, 3, 3, 4, 3, 3, 1, 1, 1, 1, 1, 2, 2, 2, 2),
		c(1, 3, 8, 70, 5, 3, 3, 1, 2, 2, 1, 1, 1, 1, 1, 1),
		c(2, 4, 9, 67, 6, 1, 1, 1, 2, 2, 1, 1, 0, 0, 0, 0),
		c(1, 2, 5, 40, 3, 3, 3, 1, 2, 2, 1, 1, 1, 1, 1, 1),
		c(1, 3, 30, 30, 8, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1),
		c(1, 8, 20, 20, 9, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0),
		c(2, 16, 45, 45, 16, 3, 3, 16, 1, 1, 1, 1, 1, 1, 1, 1),
		c(1, 5, 40, 37, 5, 3, 3, 5, 2, 2, 1, 1, 1, 1, 1, 1),
		c(1, 4, 19, 50, 4, 5, 5, 4, 1, 2, 2, 1, 2, 2, 2, 2),
		c(1, 6, 9, 9, 6, 1, 1, 6, 1, 1, 1, 1, 0, 0, 0, 0),
		c(1, 3, 6, 70, 3, 3, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1),
		// 16, 32 or 64 output channels per group with a batch: the
		// channel-vectorised path (convChannelsSIMD).
		c(4, 3, 9, 11, 16, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1),
		c(5, 8, 13, 7, 32, 3, 3, 1, 2, 2, 1, 1, 1, 1, 1, 1),
		c(4, 4, 6, 6, 64, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1),
		c(4, 8, 10, 10, 32, 3, 3, 2, 1, 1, 2, 2, 2, 2, 2, 2),
		c(4, 16, 9, 9, 16, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0),
		c(6, 5, 3, 17, 16, 2, 3, 1, 1, 2, 1, 1, 0, 1, 1, 0),
		c(4, 2, 5, 40, 16, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1), // rows split into 28 + 12 pixels
		c(4, 3, 9, 9, 64, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1),  // 7 + 2
		// Planes too small for padRowsF32's 8-wide accesses.
		c(2, 2, 3, 4, 3, 3, 3, 1, 1, 1, 1, 1, 1, 0, 2, 1),
		c(1, 3, 2, 5, 2, 2, 2, 1, 1, 1, 1, 1, 0, 0, 0, 0),
		c(2, 3, 6, 4, 2, 3, 2, 1, 1, 1, 1, 1, 1, 2, 1, 0),
		c(2, 2, 6, 4, 3, 3, 2, 1, 1, 1, 1, 1, 1, 1, 0, 0),
	}
}

func TestConvBackends(t *testing.T) {
	forEachBackend(t, func(t *testing.T, _ Backend) {
		r := rand.New(rand.NewPCG(3, 4))
		for _, thr := range []int{1, 2} {
			defer SetThreads(SetThreads(thr))
			for i, p := range convCases() {
				if err := p.Validate(); err != nil {
					t.Fatalf("case %d: %v", i, err)
				}
				x := randSlice(r, p.N*p.C*p.H*p.W)
				w := randSlice(r, p.K*(p.C/p.Groups)*p.R*p.S)
				bias := randSlice(r, p.K)
				want := naiveConv(p, x, w, bias)
				for _, relu := range []bool{false, true} {
					y := randSlice(r, len(want))
					b := bias
					if relu {
						b = nil
					}
					Conv2DFused(p, x, w, b, y, relu)
					wantR := want
					if relu {
						wantR = naiveConv(p, x, w, nil)
						reluInPlace(wantR)
					}
					closeEnough(t, fmt.Sprintf("threads %d case %d %+v relu=%v", thr, i, p, relu), y, wantR, 1e-4)
				}
			}
		}
	})
}
