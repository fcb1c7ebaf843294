package integer

import (
	"fmt"

	"t2c/graph"
	"t2c/kernels"
	"t2c/tensor"
)

func init() { graph.Register(OpIntAvgPool, buildIntAvgPool) }

// IntAvgPoolParams are the Go values of an IntAvgPool node
// (docs/INTEGER.md §4): per window, y = clamp(rshift(Σ(x − InZeroPoint)·
// Multiplier, Shift) + Out.ZeroPoint, Lo, Hi).
type IntAvgPoolParams struct {
	Global               bool  // GlobalAveragePool: one window over all spatial dimensions
	KernelShape, Strides []int // the window otherwise (no padding); nil Strides: 1s
	InZeroPoint          int64
	Multiplier           int64 // ≈ s_in / (s_out · window size)·2^Shift
	Shift                int
	Lo, Hi               int64 // clamp limits; both 0 means the limits of Out
	Out                  Grid
	Layer                string // module path, metadata only
}

// NewIntAvgPool builds an IntAvgPool node reading value in.
func NewIntAvgPool(name, in, out string, p IntAvgPoolParams) *graph.Node {
	lo, hi := clampOrGrid(p.Lo, p.Hi, p.Out)
	attrs := p.Out.Attrs(map[string]graph.Attr{
		"in_zero_point": graph.IntAttr(p.InZeroPoint),
		"multiplier":    graph.IntAttr(p.Multiplier),
		"shift":         graph.IntAttr(int64(p.Shift)),
		attrLo:          graph.IntAttr(lo),
		attrHi:          graph.IntAttr(hi),
	})
	if p.Global {
		attrs["global"] = graph.IntAttr(1)
	} else {
		attrs["kernel_shape"] = intsAttr(p.KernelShape)
		if p.Strides != nil {
			attrs["strides"] = intsAttr(p.Strides)
		}
	}
	return newNode(name, OpIntAvgPool, []string{in}, out, p.Layer, attrs)
}

// avgPoolKernel is IntAvgPool: window sums in int64, one rescale.
type avgPoolKernel struct {
	global          bool
	kernel, strides []int
	zp, m           int64
	shift           int
	lo, hi          int64
	out             Grid
}

func buildIntAvgPool(_ *graph.Node, a *graph.Attrs, _ int) (graph.Kernel, error) {
	readLayer(a)
	k := &avgPoolKernel{global: a.Int("global", 0) != 0, kernel: a.Ints("kernel_shape", nil), strides: a.Ints("strides", nil),
		zp: a.Int("in_zero_point", 0), m: a.Int("multiplier", 0)}
	if !a.Has("multiplier") {
		a.Fail("multiplier", "is required")
	}
	shift := a.Int("shift", 0)
	checkZeroPoint(a, "in_zero_point", k.zp)
	checkMultiplier(a, "multiplier", k.m)
	checkShift(a, "shift", shift)
	k.shift = int(shift)
	k.out, _ = readOutGrid(a, true)
	k.lo, k.hi = readClamp(a, k.out)
	switch {
	case k.global && (k.kernel != nil || k.strides != nil):
		a.Fail("global", "a global pool takes no kernel_shape or strides")
	case !k.global && (len(k.kernel) < 1 || len(k.kernel) > 2):
		a.Fail("kernel_shape", "a 1-D or 2-D window is required (or global = 1)")
	case !k.global && k.strides != nil && len(k.strides) != len(k.kernel):
		a.Fail("strides", "has %d values for a %d-D window", len(k.strides), len(k.kernel))
	}
	for _, v := range append(append([]int(nil), k.kernel...), k.strides...) {
		if v < 1 {
			a.Fail("kernel_shape", "window sizes and strides must be ≥ 1")
		}
	}
	return k, nil
}

// poolGeom is a pooling resolved for one input: planes of h×w pooled by a
// kh×kw window into oh×ow.
type poolGeom struct {
	planes, h, w, kh, kw, sh, sw, oh, ow int
	out                                  []int
}

// geometry resolves the pooling for input type d and shape x and checks
// that no window can overflow int64 (t is nil during shape inference).
func (k *avgPoolKernel) geometry(d tensor.DType, x []int, t *tensor.Tensor) (poolGeom, error) {
	if err := checkIntInput("input", d); err != nil {
		return poolGeom{}, err
	}
	if len(x) < 3 {
		return poolGeom{}, fmt.Errorf("input %v must be N×C×spatial", x)
	}
	g := poolGeom{planes: x[0] * x[1], h: 1, kh: 1, sh: 1, sw: 1, oh: 1, ow: 1}
	if k.global {
		g.w = tensor.NumElems(x[2:])
		g.kw = g.w
		g.out = append([]int{x[0], x[1]}, make([]int, len(x)-2)...)
		for i := 2; i < len(x); i++ {
			g.out[i] = 1
		}
	} else {
		if len(x)-2 != len(k.kernel) {
			return g, fmt.Errorf("kernel_shape %v for input %v", k.kernel, x)
		}
		g.w, g.kw = x[len(x)-1], k.kernel[len(k.kernel)-1]
		if k.strides != nil {
			g.sw = k.strides[len(k.strides)-1]
		}
		if len(x) == 4 {
			g.h, g.kh = x[2], k.kernel[0]
			if k.strides != nil {
				g.sh = k.strides[0]
			}
		}
		if g.kh > g.h || g.kw > g.w {
			return g, fmt.Errorf("window %v larger than input %v", k.kernel, x)
		}
		g.oh, g.ow = (g.h-g.kh)/g.sh+1, (g.w-g.kw)/g.sw+1
		g.out = []int{x[0], x[1], g.ow}
		if len(x) == 4 {
			g.out = []int{x[0], x[1], g.oh, g.ow}
		}
	}
	fits := func(x []uint64) bool {
		// |x − z| < 2³² and |m| < 2³¹, so their product fits uint64.
		return productsFit(uint64(g.kh*g.kw), x[0]*uabs(k.m), uint64(roundingHalf(k.shift)), 1)
	}
	if ok, decided := noOverflow(fits, operand{d, t, k.zp}); !ok && decided {
		return g, fmt.Errorf("a window of %d values times multiplier %d can overflow int64", g.kh*g.kw, k.m)
	}
	return g, nil
}

func (k *avgPoolKernel) InferShapes(in []graph.ValueInfo, _ []*tensor.Tensor) ([]graph.ValueInfo, error) {
	if err := requireInfos(in, 1); err != nil {
		return nil, err
	}
	g, err := k.geometry(in[0].DType, in[0].Shape, nil)
	if err != nil {
		return nil, err
	}
	return []graph.ValueInfo{{DType: k.out.DType(), Shape: g.out}}, nil
}

func (k *avgPoolKernel) Run(ctx *graph.Ctx, in []*tensor.Tensor) ([]*tensor.Tensor, error) {
	if err := requireInputs(in, 1); err != nil {
		return nil, err
	}
	x := in[0]
	g, err := k.geometry(x.DType(), x.Shape(), x)
	if err != nil {
		return nil, err
	}
	y := ctx.Alloc(k.out.DType(), g.out...)
	sums := windowSumsOf(x, g)
	store := rescaleStoreOf(y, k.shift, k.out.ZeroPoint, k.lo, k.hi)
	per := g.oh * g.ow
	count := int64(g.kh * g.kw)
	kernels.Parallel(g.planes, max(1, parallelGrain/max(1, g.h*g.w)), func(lo, hi int) {
		t := make([]int64, per)
		for pl := lo; pl < hi; pl++ {
			sums(t, pl)
			for i, s := range t {
				t[i] = (s - count*k.zp) * k.m
			}
			store(t, pl*per)
		}
	})
	return []*tensor.Tensor{y}, nil
}

// windowSums writes the window sums Σx of plane pl into t (oh·ow values).
type windowSums func(t []int64, pl int)

func windowSumsOf(x *tensor.Tensor, g poolGeom) windowSums {
	switch x.DType() {
	case tensor.Int8:
		return windowSumsFor(x.Int8(), g)
	case tensor.Uint8:
		return windowSumsFor(x.Uint8(), g)
	case tensor.Int16:
		return windowSumsFor(tensor.Data[int16](x), g)
	case tensor.Uint16:
		return windowSumsFor(tensor.Data[uint16](x), g)
	}
	return windowSumsFor(x.Int32(), g)
}

func windowSumsFor[T intElem](x []T, g poolGeom) windowSums {
	return func(t []int64, pl int) {
		plane := x[pl*g.h*g.w : (pl+1)*g.h*g.w]
		for i := 0; i < g.oh; i++ {
			for j := 0; j < g.ow; j++ {
				var s int64
				for r := 0; r < g.kh; r++ {
					row := plane[(i*g.sh+r)*g.w+j*g.sw:][:g.kw]
					for _, v := range row {
						s += int64(v)
					}
				}
				t[i*g.ow+j] = s
			}
		}
	}
}
