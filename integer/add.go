package integer

import (
	"fmt"

	"t2c/graph"
	"t2c/kernels"
	"t2c/tensor"
)

func init() { graph.Register(OpIntAdd, buildIntAdd) }

// IntAddParams are the Go values of an IntAdd node (docs/INTEGER.md §4):
// y = clamp(rshift((a − z_a)·m_a + (b − z_b)·m_b, Shift) + Out.ZeroPoint, Lo, Hi).
type IntAddParams struct {
	AZeroPoint, BZeroPoint   int64
	AMultiplier, BMultiplier int64
	Shift                    int
	Lo, Hi                   int64 // clamp limits; both 0 means the limits of Out
	Out                      Grid
	Layer                    string // module path, metadata only
}

// NewIntAdd builds an IntAdd node of values a and b (b broadcasts).
func NewIntAdd(name, a, b, out string, p IntAddParams) *graph.Node {
	lo, hi := clampOrGrid(p.Lo, p.Hi, p.Out)
	attrs := p.Out.Attrs(map[string]graph.Attr{
		"a_zero_point": graph.IntAttr(p.AZeroPoint),
		"b_zero_point": graph.IntAttr(p.BZeroPoint),
		"a_multiplier": graph.IntAttr(p.AMultiplier),
		"b_multiplier": graph.IntAttr(p.BMultiplier),
		"shift":        graph.IntAttr(int64(p.Shift)),
		attrLo:         graph.IntAttr(lo),
		attrHi:         graph.IntAttr(hi),
	})
	return newNode(name, OpIntAdd, []string{a, b}, out, p.Layer, attrs)
}

// addKernel is IntAdd: the residual add of two values on different grids.
type addKernel struct {
	azp, bzp, am, bm int64
	shift            int
	lo, hi           int64
	out              Grid
}

func buildIntAdd(_ *graph.Node, a *graph.Attrs, _ int) (graph.Kernel, error) {
	readLayer(a)
	k := &addKernel{azp: a.Int("a_zero_point", 0), bzp: a.Int("b_zero_point", 0)}
	if !a.Has("a_multiplier") || !a.Has("b_multiplier") {
		a.Fail("a_multiplier", "a_multiplier and b_multiplier are required")
	}
	k.am, k.bm = a.Int("a_multiplier", 0), a.Int("b_multiplier", 0)
	shift := a.Int("shift", 0)
	checkZeroPoint(a, "a_zero_point", k.azp)
	checkZeroPoint(a, "b_zero_point", k.bzp)
	checkMultiplier(a, "a_multiplier", k.am)
	checkMultiplier(a, "b_multiplier", k.bm)
	checkShift(a, "shift", shift)
	k.shift = int(shift)
	k.out, _ = readOutGrid(a, true)
	k.lo, k.hi = readClamp(a, k.out)
	return k, nil
}

// check validates the operand types and that t + 2^(shift−1) cannot
// overflow int64 (ta and tb are nil during shape inference).
func (k *addKernel) check(a, b tensor.DType, ta, tb *tensor.Tensor) error {
	if err := checkIntInput("a", a); err != nil {
		return err
	}
	if err := checkIntInput("b", b); err != nil {
		return err
	}
	fits := func(x []uint64) bool {
		return productsFit(x[0], uabs(k.am), x[1], uabs(k.bm), uint64(roundingHalf(k.shift)), 1)
	}
	if ok, decided := noOverflow(fits, operand{a, ta, k.azp}, operand{b, tb, k.bzp}); !ok && decided {
		return fmt.Errorf("(a − %d)·%d + (b − %d)·%d can overflow int64 for these %v and %v operands", k.azp, k.am, k.bzp, k.bm, a, b)
	}
	return nil
}

func (k *addKernel) InferShapes(in []graph.ValueInfo, _ []*tensor.Tensor) ([]graph.ValueInfo, error) {
	if err := requireInfos(in, 2); err != nil {
		return nil, err
	}
	if err := k.check(in[0].DType, in[1].DType, nil, nil); err != nil {
		return nil, err
	}
	shape, err := tensor.BroadcastShapes(in[0].Shape, in[1].Shape)
	if err != nil {
		return nil, err
	}
	return []graph.ValueInfo{{DType: k.out.DType(), Shape: shape}}, nil
}

// addSegment is a run of output elements whose inputs advance by fixed
// steps: a row of the broadcast, or a piece of one.
type addSegment struct{ out, a, b, n int }

// addChunk bounds a segment so that its int64 terms stay in L1.
const addChunk = 1024

func (k *addKernel) Run(ctx *graph.Ctx, in []*tensor.Tensor) ([]*tensor.Tensor, error) {
	if err := requireInputs(in, 2); err != nil {
		return nil, err
	}
	a, b := in[0], in[1]
	if err := k.check(a.DType(), b.DType(), a, b); err != nil {
		return nil, err
	}
	shape, err := tensor.BroadcastShapes(a.Shape(), b.Shape())
	if err != nil {
		return nil, err
	}
	y := ctx.Alloc(k.out.DType(), shape...)
	if y.Len() == 0 {
		return []*tensor.Tensor{y}, nil
	}
	// Same shapes are one flat row; otherwise the rows of the broadcast.
	walk, st := shape, [][]int{tensor.BroadcastStrides(a.Shape(), shape), tensor.BroadcastStrides(b.Shape(), shape)}
	if tensor.SameShape(a.Shape(), b.Shape()) {
		walk, st = []int{y.Len()}, [][]int{{1}, {1}}
	}
	var segs []addSegment
	var astep, bstep int
	tensor.ForEachRow(walk, st, func(out int, off, step []int, n int) {
		astep, bstep = step[0], step[1]
		for i := 0; i < n; i += addChunk {
			segs = append(segs, addSegment{out + i, off[0] + i*step[0], off[1] + i*step[1], min(addChunk, n-i)})
		}
	})
	loadA, loadB := scaledRowsOf(a, k.azp, k.am), scaledRowsOf(b, k.bzp, k.bm)
	store := rescaleStoreOf(y, k.shift, k.out.ZeroPoint, k.lo, k.hi)
	perSeg := max(1, y.Len()/len(segs))
	kernels.Parallel(len(segs), max(1, parallelGrain/perSeg), func(lo, hi int) {
		var buf [addChunk]int64
		for _, s := range segs[lo:hi] {
			t := buf[:s.n]
			loadA(t, s.a, astep, true)
			loadB(t, s.b, bstep, false)
			store(t, s.out)
		}
	})
	return []*tensor.Tensor{y}, nil
}
