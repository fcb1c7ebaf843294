package integer

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"t2c/tensor"
)

func TestIntAddHandWorked(t *testing.T) {
	// a (uint8, zero point 10), b (int32 wide grid, zero point 0),
	// m_a = 3, m_b = 1, shift 2, out zero point 5, ReLU (lo = 5), hi 255:
	//   a      11   9   10   14    10   200
	//   b       1  -2    2   -7   -10  1000
	//   t = 3(a−10) + b:
	//           4  -5    2    5   -10  1570
	//   t/4     1  -1.25 0.5 1.25 -2.5 392.5
	//   rshift  1  -1    1    1   -2   393
	//   +5      6   4    6    6    3   398
	//   clamp   6   5    6    6    5   255
	a := tensor.New([]int{6}, []uint8{11, 9, 10, 14, 10, 200})
	b := tensor.New([]int{6}, []int32{1, -2, 2, -7, -10, 1000})
	n := NewIntAdd("add", "a", "b", "y", IntAddParams{AZeroPoint: 10, AMultiplier: 3, BMultiplier: 1, Shift: 2,
		Lo: 5, Hi: 255, Out: cnnGrid8(false, 0.1, 5), Layer: "layer1.0"})
	cnnEqual(t, "add", runCNNOp(t, n, a, b), []int64{6, 5, 6, 6, 5, 255})

	// b broadcast per channel ([2, 1]) onto a [2, 3], m_a = m_b = 1, shift 0,
	// signed 8-bit output: a + b, clamped to [−128, 127].
	//   a = [[1 2 3], [100 110 120]], b = [[−5], [20]]
	a = tensor.New([]int{2, 3}, []int8{1, 2, 3, 100, 110, 120})
	b = tensor.New([]int{2, 1}, []int8{-5, 20})
	n = NewIntAdd("add", "a", "b", "y", IntAddParams{AMultiplier: 1, BMultiplier: 1, Out: cnnGrid8(true, 0.1, 0)})
	cnnEqual(t, "broadcast add", runCNNOp(t, n, a, b), []int64{-4, -3, -2, 120, 127, 127})
}

func TestIntAddMatchesReference(t *testing.T) {
	r := rand.New(rand.NewPCG(11, 12))
	for _, c := range []struct{ as, bs []int }{
		{[]int{2, 4, 5, 6}, []int{2, 4, 5, 6}},
		{[]int{2, 4, 5, 6}, []int{4, 1, 1}},
		{[]int{2, 4, 5, 6}, []int{6}},
		{[]int{2, 4, 5, 6}, []int{}},
		{[]int{3, 1, 5}, []int{4, 1}},
		{[]int{4, 1}, []int{3, 1, 5}},
		{[]int{8, 300, 40}, []int{8, 300, 40}},
		{[]int{5, 7}, []int{5, 1}},
	} {
		a := cnnRandInts[int32](r, -1<<30, 1<<30, c.as...)
		b := cnnRandInts[uint8](r, 0, 255, c.bs...)
		azp, bzp := int64(0), int64(r.IntN(256))
		am, bm, shift := r.Int64N(1<<20)-1<<19, r.Int64N(1<<31), r.IntN(40)
		out := Grid{Bits: 8, Signed: false, Scale: []float64{1}, ZeroPoint: int64(r.IntN(256))}
		n := NewIntAdd("add", "a", "b", "y", IntAddParams{AZeroPoint: azp, BZeroPoint: bzp, AMultiplier: am, BMultiplier: bm,
			Shift: shift, Lo: out.ZeroPoint, Hi: 255, Out: out})
		y := runCNNOp(t, n, a, b)
		shape, _ := tensor.BroadcastShapes(c.as, c.bs)
		// the reference broadcasts with package tensor, then applies the formula
		av, bv := tensor.BroadcastTo(a, shape).Int64s(), tensor.BroadcastTo(b, shape).Int64s()
		want := make([]int64, len(av))
		for i := range want {
			want[i] = Clamp(RShift((av[i]-azp)*am+(bv[i]-bzp)*bm, shift)+out.ZeroPoint, out.ZeroPoint, 255)
		}
		cnnEqual(t, fmt.Sprintf("%v + %v", c.as, c.bs), y, want)
	}
}

func TestIntAddRejects(t *testing.T) {
	a := tensor.Zeros(tensor.Int32, 2, 3)
	good := IntAddParams{AMultiplier: 1, BMultiplier: 1, Out: cnnGrid8(true, 1, 0)}
	if _, err := tryCNNOp(NewIntAdd("add", "a", "b", "y", good), a, a); err != nil {
		t.Fatal(err)
	}
	if _, err := tryCNNOp(NewIntAdd("add", "a", "b", "y", good), a, tensor.Zeros(tensor.Int32, 4)); err == nil {
		t.Error("incompatible shapes: no error")
	}
	bad := good
	bad.Shift = 70
	if _, err := tryCNNOp(NewIntAdd("add", "a", "b", "y", bad), a, a); err == nil {
		t.Error("shift 70: no error")
	}
	// Two wide int32 values with multipliers near 2^31 (dyadic): the types
	// alone allow overflow, the values (|q| < 2^30) do not.
	wide := IntAddParams{AMultiplier: 1<<31 - 1, BMultiplier: 1<<31 - 1, Shift: 62, Out: Grid{Bits: 32, Signed: true, Scale: []float64{1}}}
	a30 := tensor.New([]int{3}, []int32{1 << 30, -1 << 30, 7})
	y, err := tryCNNOp(NewIntAdd("add", "a", "b", "y", wide), a30, a30)
	if err != nil {
		t.Fatalf("wide add: %v", err)
	}
	// 2·q·(2^31 − 1)/2^62 = q·(2^32 − 2)/2^62: q = 2^30 → 1 − 2^−31 → 1; 7 → ≈ 0
	cnnEqual(t, "wide add", y, []int64{1, -1, 0})
	a31 := tensor.New([]int{3}, []int32{-1 << 31, 1<<31 - 1, 0})
	if _, err := tryCNNOp(NewIntAdd("add", "a", "b", "y", wide), a31, a31); err == nil {
		t.Error("overflowing wide add: no error")
	}
	n := NewIntAdd("add", "a", "b", "y", good)
	delete(n.Attrs, "b_multiplier")
	if _, err := tryCNNOp(n, a, a); err == nil {
		t.Error("missing multiplier: no error")
	}
}
