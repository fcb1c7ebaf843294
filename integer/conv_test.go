package integer

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	"t2c/graph"
	"t2c/kernels"
	"t2c/tensor"
)

func TestIntConvHandWorked(t *testing.T) {
	// x (uint8, zero point 2) 1×1×2×2, w 1×1×2×2, pad 1 on every side,
	// stride 1: padded x − 2 is
	//    0  0  0  0
	//    0  3 -1  0      x = [5 1; 2 4]
	//    0  0  2  0
	//    0  0  0  0
	// and w = [1 2; -1 3] gives the 3×3 output
	// acc[i][j] = Σ_rs xp[i+r][j+s] · w[r][s]:
	//   (0,0) = 0·1 + 0·2 + 0·(−1) + 3·3          =  9
	//   (0,1) = 0 + 0 + 3·(−1) + (−1)·3           = −6
	//   (0,2) = 0 + 0 + (−1)·(−1) + 0             =  1
	//   (1,0) = 0 + 3·2 + 0 + 0·3                 =  6
	//   (1,1) = 3·1 + (−1)·2 + 0·(−1) + 2·3       =  7
	//   (1,2) = (−1)·1 + 0 + 2·(−1) + 0           = −3
	//   (2,0) = 0 + 0·2 + 0 + 0                   =  0
	//   (2,1) = 0·1 + 2·2 + 0 + 0                 =  4
	//   (2,2) = 2·1 + 0 + 0 + 0                   =  2
	x := tensor.New([]int{1, 1, 2, 2}, []uint8{5, 1, 2, 4})
	w := tensor.New([]int{1, 1, 2, 2}, []int8{1, 2, -1, 3})
	n := NewIntConv("conv", "x", "w", "acc", IntConvParams{Pads: []int{1, 1, 1, 1}, XZeroPoint: 2, Out: cnnAccGrid(0.01), Layer: "conv1"})
	y := runCNNOp(t, n, x, w)
	if y.DType() != tensor.Int32 {
		t.Fatalf("accumulator is %v, want int32", y.DType())
	}
	want := []int64{9, -6, 1, 6, 7, -3, 0, 4, 2}
	cnnEqual(t, "uint8 conv", y, want)
	// The same through the 16-bit path (int16 activations, and uint16 ones
	// offset by 2^15).
	cnnEqual(t, "int16 conv", runCNNOp(t, n, tensor.New([]int{1, 1, 2, 2}, []int16{5, 1, 2, 4}), w), want)
	cnnEqual(t, "uint16 conv", runCNNOp(t, n, tensor.New([]int{1, 1, 2, 2}, []uint16{5, 1, 2, 4}), w), want)
}

// refConv is the definition of docs/INTEGER.md §4 in int64: padded
// positions read x_zero_point.
func refConv(p kernels.ConvParams, x []int64, zp int64, w []int64) []int64 {
	oh, ow := p.OutH(), p.OutW()
	cg, kg := p.C/p.Groups, p.K/p.Groups
	y := make([]int64, p.N*p.K*oh*ow)
	for n := 0; n < p.N; n++ {
		for k := 0; k < p.K; k++ {
			g := k / kg
			for i := 0; i < oh; i++ {
				for j := 0; j < ow; j++ {
					var s int64
					for c := 0; c < cg; c++ {
						for r := 0; r < p.R; r++ {
							for q := 0; q < p.S; q++ {
								ih, iw := i*p.StrideH-p.PadT+r*p.DilH, j*p.StrideW-p.PadL+q*p.DilW
								v := zp
								if ih >= 0 && ih < p.H && iw >= 0 && iw < p.W {
									v = x[((n*p.C+g*cg+c)*p.H+ih)*p.W+iw]
								}
								s += (v - zp) * w[((k*cg+c)*p.R+r)*p.S+q]
							}
						}
					}
					if s != int64(int32(s)) {
						panic("reference accumulator overflows int32: the test data are too wide")
					}
					y[((n*p.K+k)*oh+i)*ow+j] = s
				}
			}
		}
	}
	return y
}

// convCase is a convolution geometry of the reference test.
type convCase struct {
	n, c, h, w, k, r, s, group, sh, sw, dh, dw int
	pads                                       [4]int // top, left, bottom, right
}

func convCases() []convCase {
	return []convCase{
		{n: 2, c: 3, h: 7, w: 9, k: 4, r: 3, s: 3, group: 1, sh: 1, sw: 1, dh: 1, dw: 1, pads: [4]int{1, 1, 1, 1}},
		{n: 1, c: 8, h: 10, w: 10, k: 16, r: 3, s: 3, group: 1, sh: 2, sw: 2, dh: 1, dw: 1, pads: [4]int{1, 1, 1, 1}},
		{n: 3, c: 5, h: 6, w: 11, k: 7, r: 1, s: 1, group: 1, sh: 1, sw: 1, dh: 1, dw: 1},                               // pointwise
		{n: 1, c: 4, h: 9, w: 8, k: 6, r: 3, s: 2, group: 1, sh: 1, sw: 2, dh: 2, dw: 3, pads: [4]int{2, 0, 1, 3}},      // dilated, uneven pads
		{n: 2, c: 8, h: 9, w: 9, k: 8, r: 3, s: 3, group: 8, sh: 1, sw: 1, dh: 1, dw: 1, pads: [4]int{1, 1, 1, 1}},      // depthwise
		{n: 1, c: 6, h: 12, w: 13, k: 6, r: 3, s: 3, group: 6, sh: 2, sw: 2, dh: 1, dw: 1, pads: [4]int{0, 1, 1, 0}},    // depthwise stride 2
		{n: 1, c: 4, h: 7, w: 7, k: 8, r: 3, s: 3, group: 4, sh: 1, sw: 1, dh: 2, dw: 2, pads: [4]int{2, 2, 2, 2}},      // depthwise ×2 multiplier
		{n: 2, c: 6, h: 8, w: 7, k: 9, r: 2, s: 3, group: 3, sh: 1, sw: 1, dh: 1, dw: 1, pads: [4]int{1, 0, 0, 2}},      // grouped
		{n: 1, c: 3, h: 16, w: 16, k: 8, r: 4, s: 4, group: 1, sh: 4, sw: 4, dh: 1, dw: 1},                              // patch embedding
		{n: 1, c: 2, h: 3, w: 3, k: 3, r: 5, s: 5, group: 1, sh: 1, sw: 1, dh: 1, dw: 1, pads: [4]int{2, 2, 2, 2}},      // mostly padding
		{n: 1, c: 16, h: 28, w: 28, k: 16, r: 3, s: 3, group: 1, sh: 1, sw: 1, dh: 1, dw: 1, pads: [4]int{1, 1, 1, 1}},  // ResNet-20 sized
		{n: 4, c: 32, h: 14, w: 14, k: 32, r: 3, s: 3, group: 32, sh: 1, sw: 1, dh: 1, dw: 1, pads: [4]int{1, 1, 1, 1}}, // MobileNet depthwise
		{n: 1, c: 3, h: 1, w: 17, k: 4, r: 1, s: 3, group: 1, sh: 1, sw: 2, dh: 1, dw: 1, pads: [4]int{0, 1, 0, 1}},     // 1-D as 2-D
		{n: 1, c: 2, h: 5, w: 5, k: 2, r: 5, s: 5, group: 1, sh: 1, sw: 1, dh: 1, dw: 1},                                // 1×1 output
		{n: 2, c: 64, h: 6, w: 6, k: 40, r: 3, s: 3, group: 1, sh: 1, sw: 1, dh: 1, dw: 1, pads: [4]int{1, 1, 1, 1}},    // long reduction
		{n: 1, c: 4, h: 6, w: 6, k: 4, r: 3, s: 3, group: 2, sh: 3, sw: 1, dh: 1, dw: 2, pads: [4]int{0, 3, 2, 0}},      // grouped, odd strides
		{n: 1, c: 1, h: 4, w: 4, k: 1, r: 3, s: 3, group: 1, sh: 1, sw: 1, dh: 1, dw: 1, pads: [4]int{1, 1, 1, 1}},      // one channel (depthwise-like)
		{n: 1, c: 8, h: 5, w: 5, k: 8, r: 1, s: 1, group: 1, sh: 2, sw: 2, dh: 1, dw: 1, pads: [4]int{0, 0, 0, 0}},      // strided 1×1 (downsample)
		{n: 2, c: 3, h: 13, w: 13, k: 5, r: 7, s: 7, group: 1, sh: 2, sw: 2, dh: 1, dw: 1, pads: [4]int{3, 3, 3, 3}},    // ImageNet stem
		{n: 1, c: 2, h: 2, w: 2, k: 3, r: 3, s: 3, group: 1, sh: 1, sw: 1, dh: 1, dw: 1, pads: [4]int{0, 0, 2, 2}},      // taps wholly in the padding
		{n: 1, c: 2, h: 2, w: 2, k: 2, r: 3, s: 3, group: 2, sh: 1, sw: 1, dh: 1, dw: 1, pads: [4]int{2, 2, 0, 0}},      // the same, depthwise
	}
}

func (c convCase) params() kernels.ConvParams {
	return kernels.ConvParams{N: c.n, C: c.c, H: c.h, W: c.w, K: c.k, R: c.r, S: c.s, Groups: c.group,
		StrideH: c.sh, StrideW: c.sw, DilH: c.dh, DilW: c.dw, PadT: c.pads[0], PadL: c.pads[1], PadB: c.pads[2], PadR: c.pads[3]}
}

// convOperands are activation and weight generators of one element-type
// combination, with the zero points to test.
type convOperands struct {
	name string
	x    func(r *rand.Rand, shape []int) *tensor.Tensor
	w    func(r *rand.Rand, shape []int) *tensor.Tensor
	zps  []int64
}

func convOperandSets() []convOperands {
	i8 := func(r *rand.Rand, s []int) *tensor.Tensor { return cnnRandInts[int8](r, -128, 127, s...) }
	return []convOperands{
		{"uint8×int8", func(r *rand.Rand, s []int) *tensor.Tensor { return cnnRandInts[uint8](r, 0, 255, s...) }, i8, []int64{0, 131, 255}},
		{"int8×int8", i8, i8, []int64{0, -128, 57}},
		{"uint4×int8", func(r *rand.Rand, s []int) *tensor.Tensor { return cnnRandInts[uint8](r, 0, 15, s...) }, i8, []int64{7}},
		{"int16×int8", func(r *rand.Rand, s []int) *tensor.Tensor { return cnnRandInts[int16](r, -2000, 2000, s...) }, i8, []int64{0, -9}},
		{"uint8×int16", func(r *rand.Rand, s []int) *tensor.Tensor { return cnnRandInts[uint8](r, 0, 255, s...) },
			func(r *rand.Rand, s []int) *tensor.Tensor { return cnnRandInts[int16](r, -3000, 3000, s...) }, []int64{100}},
		{"int16×int16", func(r *rand.Rand, s []int) *tensor.Tensor { return cnnRandInts[int16](r, -300, 300, s...) },
			func(r *rand.Rand, s []int) *tensor.Tensor { return cnnRandInts[int16](r, -300, 300, s...) }, []int64{0}},
		{"uint16×int8", func(r *rand.Rand, s []int) *tensor.Tensor { return cnnRandInts[uint16](r, 0, 4000, s...) }, i8, []int64{2048}},
		{"uint8×int8 zp 300", func(r *rand.Rand, s []int) *tensor.Tensor { return cnnRandInts[uint8](r, 0, 255, s...) }, i8, []int64{300}},
		{"int16 zp 40000 (direct path)", func(r *rand.Rand, s []int) *tensor.Tensor { return cnnRandInts[int16](r, -300, 300, s...) },
			func(r *rand.Rand, s []int) *tensor.Tensor { return cnnRandInts[int8](r, -3, 3, s...) }, []int64{40000}},
	}
}

func TestIntConvMatchesReference(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	for ci, cc := range convCases() {
		p := cc.params()
		for _, ops := range convOperandSets() {
			x := ops.x(r, []int{p.N, p.C, p.H, p.W})
			w := ops.w(r, []int{p.K, p.C / p.Groups, p.R, p.S})
			if ci == 12 { // run the 1-D case as a real 1-D convolution too
				x1, _ := x.Reshape(p.N, p.C, p.W)
				w1, _ := w.Reshape(p.K, p.C/p.Groups, p.S)
				n := NewIntConv("conv", "x", "w", "acc", IntConvParams{Strides: []int{p.StrideW}, Pads: []int{p.PadL, p.PadR}, XZeroPoint: ops.zps[0]})
				cnnEqual(t, ops.name+" 1-D", runCNNOp(t, n, x1, w1), refConv(p, x.Int64s(), ops.zps[0], w.Int64s()))
			}
			for _, zp := range ops.zps {
				what := fmt.Sprintf("case %d %+v %s zp %d", ci, cc, ops.name, zp)
				n := NewIntConv("conv", "x", "w", "acc", IntConvParams{
					Strides: []int{p.StrideH, p.StrideW}, Dilations: []int{p.DilH, p.DilW}, Group: p.Groups,
					Pads: []int{p.PadT, p.PadL, p.PadB, p.PadR}, XZeroPoint: zp})
				cnnEqual(t, what, runCNNOp(t, n, x, w), refConv(p, x.Int64s(), zp, w.Int64s()))
			}
		}
	}
}

// The packed weights are cached per weight tensor: a second weight gives
// its own result, and running the first again still gives the first.
func TestIntConvWeightCache(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 8))
	p := convCases()[0].params()
	n := NewIntConv("conv", "x", "w", "acc", IntConvParams{Pads: []int{1, 1, 1, 1}, XZeroPoint: 9})
	k, err := graph.Build(n, 17)
	if err != nil {
		t.Fatal(err)
	}
	x := cnnRandInts[uint8](r, 0, 255, p.N, p.C, p.H, p.W)
	w1 := cnnRandInts[int8](r, -128, 127, p.K, p.C, p.R, p.S)
	w2 := cnnRandInts[int8](r, -128, 127, p.K, p.C, p.R, p.S)
	for i, w := range []*tensor.Tensor{w1, w2, w1} {
		out, err := k.Run(nil, []*tensor.Tensor{x, w})
		if err != nil {
			t.Fatal(err)
		}
		cnnEqual(t, fmt.Sprintf("run %d", i), out[0], refConv(p, x.Int64s(), 9, w.Int64s()))
	}
}

func TestIntConvRejects(t *testing.T) {
	x := tensor.Zeros(tensor.Uint8, 1, 4, 5, 5)
	w := tensor.Zeros(tensor.Int8, 2, 4, 3, 3)
	good := func() *graph.Node { return NewIntConv("c", "x", "w", "y", IntConvParams{XZeroPoint: 3}) }
	if _, err := tryCNNOp(good(), x, w); err != nil {
		t.Fatal(err)
	}
	for name, c := range map[string]struct {
		edit func(n *graph.Node)
		x, w *tensor.Tensor
	}{
		"auto_pad":          {func(n *graph.Node) { n.Attrs["auto_pad"] = graph.StringAttr("SAME_UPPER") }, x, w},
		"bias attribute":    {func(n *graph.Node) { n.Attrs["bias"] = graph.IntsAttr(1, 2) }, x, w},
		"8-bit acc grid":    {func(n *graph.Node) { cnnGrid8(true, 1, 0).Attrs(n.Attrs) }, x, w},
		"group 0":           {func(n *graph.Node) { n.Attrs["group"] = graph.IntAttr(0) }, x, w},
		"group mismatch":    {func(n *graph.Node) { n.Attrs["group"] = graph.IntAttr(2) }, x, w},
		"kernel_shape":      {func(n *graph.Node) { n.Attrs["kernel_shape"] = graph.IntsAttr(2, 2) }, x, w},
		"pads length":       {func(n *graph.Node) { n.Attrs["pads"] = graph.IntsAttr(1, 1) }, x, w},
		"float activations": {func(*graph.Node) {}, tensor.Zeros(tensor.Float32, 1, 4, 5, 5), w},
		"uint8 weights":     {func(*graph.Node) {}, x, tensor.Zeros(tensor.Uint8, 2, 4, 3, 3)},
		"int32 activations": {func(*graph.Node) {}, tensor.Zeros(tensor.Int32, 1, 4, 5, 5), w},
		"too small":         {func(*graph.Node) {}, tensor.Zeros(tensor.Uint8, 1, 4, 2, 2), w},
	} {
		n := good()
		c.edit(n)
		if _, err := tryCNNOp(n, c.x, c.w); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
	// An ignored layer attribute and a valid accumulator grid are accepted.
	n := NewIntConv("c", "x", "w", "y", IntConvParams{Out: Grid{Bits: 32, Signed: true, Scale: []float64{0.1, 0.2}, Axis: 1}, Layer: "features.0"})
	if _, err := tryCNNOp(n, x, w); err != nil || !strings.Contains(fmt.Sprint(n.Attrs[AttrLayer]), "features.0") {
		t.Errorf("layer and accumulator grid: %v", err)
	}
}
