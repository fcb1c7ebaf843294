package export

import (
	"fmt"

	"t2c/graph"
	"t2c/kernels"
	"t2c/tensor"
)

// gemmPlan is an IntConv or IntMatMul seen as Groups products C = A·B
// (the GEMM section of docs/EXPORT.md).
type gemmPlan struct {
	info GEMM
	node *graph.Node
	conv kernels.ConvParams // IntConv

	// IntMatMul: operand shapes and whether b is [..., N, K].
	aShape, bShape, accShape []int
	transB                   bool
}

// planGEMM describes n's GEMM from the value shapes. Ops it cannot
// express (convolutions other than 2-D, 1-D matrix products) get a note
// instead.
func (e *exporter) planGEMM(n *graph.Node) (*gemmPlan, string, error) {
	if len(n.Inputs) < 2 || len(n.Outputs) < 1 {
		return nil, "", fmt.Errorf("%v: needs two inputs and an output", n)
	}
	x1, x2, acc := e.prog.Types[n.Inputs[0]], e.prog.Types[n.Inputs[1]], e.prog.Types[n.Outputs[0]]
	p := &gemmPlan{node: n}
	p.info.AWord, p.info.BWord = e.word(n.Inputs[1]), e.word(n.Inputs[0])
	if n.Op == opIntConv {
		if len(x1.Shape) != len(x2.Shape) || (len(x1.Shape) != 3 && len(x1.Shape) != 4) {
			return nil, "the GEMM view, xcol and tiles cover 1-D and 2-D convolutions only", nil
		}
		c, err := convParams(n, x1.Shape, x2.Shape)
		if err != nil {
			return nil, "", err
		}
		if tensor.NumElems(acc.Shape) != c.N*c.K*c.OutH()*c.OutW() || acc.Shape[1] != c.K {
			return nil, "", fmt.Errorf("%v: accumulator shape %v, convolution gives %v", n, acc.Shape, []int{c.N, c.K, c.OutH(), c.OutW()})
		}
		p.conv = c
		p.info.Groups, p.info.M, p.info.K, p.info.N = c.Groups, c.K/c.Groups, c.C/c.Groups*c.R*c.S, c.OutH()*c.OutW()
		p.info.A = "w[g·m + i] flattened (OIHW row-major: c, r, s)"
		p.info.B = "xcol[g]: im2col of x1 image 0, rows (c, r, s), columns (oh, ow), x_zero_point where the window leaves the image"
		p.info.C = "acc[0, g·m + i] flattened (oh, ow)"
		p.info.AZeroPoint = intAttr(n, "w_zero_point", 0)
		p.info.BZeroPoint = intAttr(n, "x_zero_point", 0)
		return p, "", nil
	}
	if len(x1.Shape) < 2 || len(x2.Shape) < 2 || len(acc.Shape) < 2 {
		return nil, "the GEMM view and tiles cover matrix products of rank ≥ 2 only", nil
	}
	p.aShape, p.bShape, p.accShape = x1.Shape, x2.Shape, acc.Shape
	p.transB = intAttr(n, "trans_b", 0) != 0
	r := len(acc.Shape)
	k := x1.Shape[len(x1.Shape)-1]
	p.info.Groups = tensor.NumElems(acc.Shape[:r-2])
	p.info.M, p.info.K, p.info.N = acc.Shape[r-1], k, acc.Shape[r-2]
	p.info.A = "x2[g] transposed: A[j, k] = b[k, j]"
	if p.transB {
		p.info.A = "x2[g] itself (trans_b = 1): A[j, k] = b[j, k]"
	}
	p.info.B = "x1[g] transposed: B[k, i] = a[i, k]"
	p.info.C = "acc[g] transposed: C[j, i] = acc[i, j]"
	p.info.AZeroPoint = intAttr(n, "b_zero_point", 0)
	p.info.BZeroPoint = intAttr(n, "a_zero_point", 0)
	return p, "", nil
}

// convParams reads an IntConv's attributes (ONNX defaults) for input and
// weight shapes; a 1-D convolution (N×C×W) is the 2-D one of height 1.
func convParams(n *graph.Node, x, w []int) (kernels.ConvParams, error) {
	strides := intsAttr(n, "strides", nil)
	pads := intsAttr(n, "pads", nil)
	dil := intsAttr(n, "dilations", nil)
	if len(x) == 3 { // lift to 2-D: height 1, no vertical stride or padding
		x, w = []int{x[0], x[1], 1, x[2]}, []int{w[0], w[1], 1, w[2]}
		if strides != nil {
			strides = append([]int64{1}, strides...)
		}
		if dil != nil {
			dil = append([]int64{1}, dil...)
		}
		if len(pads) == 2 {
			pads = []int64{0, pads[0], 0, pads[1]}
		}
	}
	if strides == nil {
		strides = []int64{1, 1}
	}
	if pads == nil {
		pads = []int64{0, 0, 0, 0}
	}
	if dil == nil {
		dil = []int64{1, 1}
	}
	if len(strides) != 2 || len(pads) != 4 || len(dil) != 2 {
		return kernels.ConvParams{}, fmt.Errorf("%v: strides %v, pads %v, dilations %v do not match a %d-D convolution", n, strides, pads, dil, len(x)-2)
	}
	c := kernels.ConvParams{
		N: x[0], C: x[1], H: x[2], W: x[3], K: w[0], R: w[2], S: w[3],
		Groups:  int(intAttr(n, "group", 1)),
		StrideH: int(strides[0]), StrideW: int(strides[1]), DilH: int(dil[0]), DilW: int(dil[1]),
		PadT: int(pads[0]), PadL: int(pads[1]), PadB: int(pads[2]), PadR: int(pads[3]),
	}
	if err := c.Validate(); err != nil {
		return c, fmt.Errorf("%v: %w", n, err)
	}
	if c.C/c.Groups != w[1] {
		return c, fmt.Errorf("%v: weights %v do not match %d input channels in %d groups", n, w, c.C, c.Groups)
	}
	return c, nil
}

// matrices returns, per group, A [M×K], B [K×N] and C [M×N] row-major
// from the layer's tensors (image 0 for IntConv).
func (p *gemmPlan) matrices(x1, x2, acc *tensor.Tensor) (a, b, c [][]int64, err error) {
	xs, err := Ints(x1)
	if err != nil {
		return nil, nil, nil, fmt.Errorf("x1: %w", err)
	}
	ws, err := Ints(x2)
	if err != nil {
		return nil, nil, nil, fmt.Errorf("x2: %w", err)
	}
	cs, err := Ints(acc)
	if err != nil {
		return nil, nil, nil, fmt.Errorf("acc: %w", err)
	}
	g := p.info
	for gi := range g.Groups {
		if p.node.Op == opIntConv {
			a = append(a, ws[gi*g.M*g.K:(gi+1)*g.M*g.K])
			b = append(b, im2col(p.conv, xs, gi, g.BZeroPoint))
			c = append(c, cs[gi*g.M*g.N:(gi+1)*g.M*g.N])
			continue
		}
		ao, bo := broadcastOffset(p.accShape, p.aShape, gi), broadcastOffset(p.accShape, p.bShape, gi)
		am, bm, cm := make([]int64, g.M*g.K), make([]int64, g.K*g.N), make([]int64, g.M*g.N)
		for j := range g.M {
			for k := range g.K {
				if p.transB {
					am[j*g.K+k] = ws[bo+j*g.K+k]
				} else {
					am[j*g.K+k] = ws[bo+k*g.M+j]
				}
			}
			for i := range g.N {
				cm[j*g.N+i] = cs[gi*g.M*g.N+i*g.M+j]
			}
		}
		for k := range g.K {
			for i := range g.N {
				bm[k*g.N+i] = xs[ao+i*g.K+k]
			}
		}
		a, b, c = append(a, am), append(b, bm), append(c, cm)
	}
	return a, b, c, nil
}

// broadcastOffset is the element offset of the matrix of operand shape
// that ONNX MatMul broadcasting pairs with matrix gi of the output.
func broadcastOffset(out, shape []int, gi int) int {
	lead := out[:len(out)-2]
	idx := make([]int, len(lead))
	for d := len(lead) - 1; d >= 0; d-- {
		idx[d] = gi % lead[d]
		gi /= lead[d]
	}
	sl := shape[:len(shape)-2]
	off := 0
	for d := range sl {
		i := idx[len(lead)-len(sl)+d]
		if sl[d] == 1 {
			i = 0
		}
		off = off*sl[d] + i
	}
	return off * shape[len(shape)-2] * shape[len(shape)-1]
}

// intAttr reads an int attribute of n, or def.
func intAttr(n *graph.Node, name string, def int64) int64 {
	if a, ok := n.Attrs[name]; ok && a.Kind == graph.AttrInt {
		return a.Int
	}
	return def
}

// intsAttr reads an int-list attribute of n, or def.
func intsAttr(n *graph.Node, name string, def []int64) []int64 {
	if a, ok := n.Attrs[name]; ok && a.Kind == graph.AttrInts {
		return a.Ints
	}
	return def
}
