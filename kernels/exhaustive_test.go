package kernels

import (
	"fmt"
	"math/rand/v2"
	"testing"
)

// TestTileTailsExhaustive runs every tile height (each generated kernel
// variant), every column count of one and a bit register tiles (masked or
// scratch-tile tails) and short reductions that end mid k-group, single
// threaded, float and integer, on every backend.
func TestTileTailsExhaustive(t *testing.T) {
	forEachBackend(t, func(t *testing.T, _ Backend) {
		defer SetThreads(SetThreads(1))
		r := rand.New(rand.NewPCG(17, 18))
		for m := 1; m <= 13; m++ {
			for n := 1; n <= 34; n++ {
				for _, k := range []int{1, 2, 3, 5, 8} {
					what := fmt.Sprintf("%dx%dx%d", m, n, k)
					a, b := randSlice(r, m*k), randSlice(r, k*n)
					c := randSlice(r, m*n)
					want := naiveGemm(false, false, m, n, k, 1, a, k, b, n, 0.5, c, n)
					Sgemm(false, false, m, n, k, 1, a, k, b, n, 0.5, c, n)
					closeEnough(t, "sgemm "+what, c, want, 1e-4)

					au := extremes[uint8](r, m*k, 0, 255)
					as := extremes[int8](r, m*k, -128, 127)
					bs := extremes[int8](r, k*n, -128, 127)
					ci := make([]int32, m*n)
					GemmU8S8(m, n, k, au, k, bs, n, ci, n)
					sameInts(t, "GemmU8S8 "+what, ci, naiveIntGemm(m, n, k, au, k, bs, n, ci, n, nil, nil))
					GemmS8S8(m, n, k, as, k, bs, n, ci, n)
					sameInts(t, "GemmS8S8 "+what, ci, naiveIntGemm(m, n, k, as, k, bs, n, ci, n, nil, nil))
				}
			}
		}
	})
}
