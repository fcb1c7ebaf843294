package integer

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"t2c/tensor"
)

func TestIntMatMulHandWorked(t *testing.T) {
	// a (uint8, zero point 1) = [[1 2 3], [4 0 6]] → a − 1 = [[0 1 2], [3 −1 5]]
	// b (int8, zero point 0) as a Linear weight [out=2, in=3], trans_b = 1:
	//   w = [[1 −2 3], [0 4 −1]]
	//   acc[0] = [0·1 + 1·(−2) + 2·3, 0·0 + 1·4 + 2·(−1)]       = [4, 2]
	//   acc[1] = [3·1 + (−1)(−2) + 5·3, 3·0 + (−1)·4 + 5·(−1)]  = [20, −9]
	a := tensor.New([]int{2, 3}, []uint8{1, 2, 3, 4, 0, 6})
	w := tensor.New([]int{2, 3}, []int8{1, -2, 3, 0, 4, -1})
	n := NewIntMatMul("fc", "a", "w", "acc", IntMatMulParams{AZeroPoint: 1, TransB: true, Out: cnnAccGrid(0.5), Layer: "head"})
	want := []int64{4, 2, 20, -9}
	cnnEqual(t, "linear", runCNNOp(t, n, a, w), want)
	// The same with b given as [in, out] (trans_b = 0) and with b's zero
	// point 2 (b + 2 stored), which takes the int16 path.
	wT := tensor.New([]int{3, 2}, []int8{1, 0, -2, 4, 3, -1})
	cnnEqual(t, "trans_b 0", runCNNOp(t, NewIntMatMul("fc", "a", "w", "acc", IntMatMulParams{AZeroPoint: 1}), a, wT), want)
	wz := tensor.New([]int{2, 3}, []int8{3, 0, 5, 2, 6, 1})
	cnnEqual(t, "b zero point", runCNNOp(t, NewIntMatMul("fc", "a", "w", "acc", IntMatMulParams{AZeroPoint: 1, BZeroPoint: 2, TransB: true}), a, wz), want)
}

// refMatMul is docs/INTEGER.md §4 in int64 for operands already broadcast
// to batch shape batch: a [batch, m, k], b [batch, k, n] or [batch, n, k].
func refMatMul(as, bs []int, a []int64, azp int64, b []int64, bzp int64, transB bool) ([]int, []int64) {
	p, err := planIntMatMul(as, bs, transB)
	if err != nil {
		panic(err)
	}
	aSt, bSt := tensor.BroadcastStrides(as, append(append([]int(nil), p.batch...), p.m, p.k)), []int(nil)
	if len(as) == 1 {
		aSt = []int{0, 1}
		for range p.batch {
			aSt = append([]int{0}, aSt...)
		}
	}
	bShape := append(append([]int(nil), p.batch...), p.k, p.n)
	if transB {
		bShape = append(append([]int(nil), p.batch...), p.n, p.k)
	}
	bSt = tensor.BroadcastStrides(bs, bShape)
	if len(bs) == 1 {
		bSt = make([]int, len(bShape))
		if transB {
			bSt[len(bSt)-1] = 1
		} else {
			bSt[len(bSt)-2] = 1
		}
	}
	nb := tensor.NumElems(p.batch)
	out := make([]int64, nb*p.m*p.n)
	idx := make([]int, len(p.batch))
	for bi := 0; bi < nb; bi++ {
		rem := bi
		for d := len(p.batch) - 1; d >= 0; d-- {
			idx[d], rem = rem%p.batch[d], rem/p.batch[d]
		}
		aBase, bBase := 0, 0
		for d, v := range idx {
			aBase += v * aSt[d]
			bBase += v * bSt[d]
		}
		r := len(p.batch)
		for i := 0; i < p.m; i++ {
			for j := 0; j < p.n; j++ {
				var s int64
				for k := 0; k < p.k; k++ {
					av := a[aBase+i*aSt[r]+k*aSt[r+1]]
					var bv int64
					if transB {
						bv = b[bBase+j*bSt[r]+k*bSt[r+1]]
					} else {
						bv = b[bBase+k*bSt[r]+j*bSt[r+1]]
					}
					s += (av - azp) * (bv - bzp)
				}
				if s != int64(int32(s)) {
					panic("reference accumulator overflows int32")
				}
				out[(bi*p.m+i)*p.n+j] = s
			}
		}
	}
	return p.out, out
}

func TestIntMatMulMatchesReference(t *testing.T) {
	r := rand.New(rand.NewPCG(9, 10))
	u8 := func(s []int) *tensor.Tensor { return cnnRandInts[uint8](r, 0, 255, s...) }
	s8 := func(s []int) *tensor.Tensor { return cnnRandInts[int8](r, -128, 127, s...) }
	s16 := func(s []int) *tensor.Tensor { return cnnRandInts[int16](r, -1000, 1000, s...) }
	u16 := func(s []int) *tensor.Tensor { return cnnRandInts[uint16](r, 0, 3000, s...) }
	s32 := func(s []int) *tensor.Tensor { return cnnRandInts[int32](r, -500, 500, s...) }
	type gen func([]int) *tensor.Tensor
	for _, c := range []struct {
		what     string
		as, bs   []int
		transB   bool
		a, b     gen
		azp, bzp int64
		out      []int
	}{
		{"linear u8", []int{5, 17}, []int{9, 17}, true, u8, s8, 128, 0, []int{5, 9}},
		{"linear s8", []int{5, 17}, []int{9, 17}, true, s8, s8, -3, 0, []int{5, 9}},
		{"linear [in,out]", []int{6, 33}, []int{33, 12}, false, u8, s8, 7, 0, []int{6, 12}},
		{"tokens × weight", []int{2, 197, 64}, []int{96, 64}, true, u8, s8, 130, 0, []int{2, 197, 96}},
		{"batch-1 weight", []int{3, 4, 8}, []int{1, 8, 5}, false, s8, s8, 0, 0, []int{3, 4, 5}},
		{"weight with zero point", []int{4, 8}, []int{8, 6}, false, u8, s8, 20, -5, []int{4, 6}},
		{"vector × weight", []int{8}, []int{8, 6}, false, u8, s8, 20, 0, []int{6}},
		{"weight × vector", []int{4, 8}, []int{8}, false, u8, s8, 20, 3, []int{4}},
		{"vector trans_b", []int{3, 8}, []int{8}, true, s8, s8, 0, 0, []int{3}},
		{"Q·Kᵀ", []int{2, 3, 10, 16}, []int{2, 3, 12, 16}, true, s8, s8, 0, 0, []int{2, 3, 10, 12}},
		{"attn·V", []int{2, 3, 10, 12}, []int{2, 3, 12, 16}, false, u8, s8, 0, 0, []int{2, 3, 10, 16}},
		{"attn·V asymmetric", []int{2, 3, 10, 12}, []int{2, 3, 12, 16}, false, u8, u8, 3, 200, []int{2, 3, 10, 16}},
		{"broadcast batch", []int{2, 1, 5, 7}, []int{3, 7, 4}, false, u8, u8, 100, 50, []int{2, 3, 5, 4}},
		{"broadcast a", []int{5, 7}, []int{4, 7, 6}, false, s8, u8, 0, 9, []int{4, 5, 6}},
		{"int16", []int{3, 9, 20}, []int{20, 7}, false, s16, s16, 0, 0, []int{3, 9, 7}},
		{"uint16 (exact path)", []int{2, 6, 20}, []int{2, 20, 7}, false, u16, s8, 40000, 0, []int{2, 6, 7}},
		{"int32 (exact path)", []int{4, 20}, []int{5, 20}, true, s32, s16, 3, -2, []int{4, 5}},
		{"long reduction", []int{3, 2000}, []int{8, 2000}, true, u8, s8, 255, 0, []int{3, 8}},
	} {
		a, b := c.a(c.as), c.b(c.bs)
		n := NewIntMatMul("mm", "a", "b", "acc", IntMatMulParams{AZeroPoint: c.azp, BZeroPoint: c.bzp, TransB: c.transB})
		_, want := refMatMul(c.as, c.bs, a.Int64s(), c.azp, b.Int64s(), c.bzp, c.transB)
		y := runCNNOp(t, n, a, b)
		if fmt.Sprint(y.Shape()) != fmt.Sprint(c.out) {
			t.Fatalf("%s: shape %v, want %v", c.what, y.Shape(), c.out)
		}
		cnnEqual(t, c.what, y, want)
	}
}

func TestIntMatMulRejects(t *testing.T) {
	a, b := tensor.Zeros(tensor.Uint8, 2, 3), tensor.Zeros(tensor.Int8, 3, 4)
	for what, c := range map[string][2]*tensor.Tensor{
		"inner mismatch": {a, tensor.Zeros(tensor.Int8, 4, 3)},
		"batch mismatch": {tensor.Zeros(tensor.Uint8, 2, 2, 3), tensor.Zeros(tensor.Int8, 3, 3, 4)},
		"float":          {tensor.Zeros(tensor.Float32, 2, 3), b},
		"int64":          {a, tensor.Zeros(tensor.Int64, 3, 4)},
	} {
		if _, err := tryCNNOp(NewIntMatMul("mm", "a", "b", "y", IntMatMulParams{}), c[0], c[1]); err == nil {
			t.Errorf("%s: no error", what)
		}
	}
}
