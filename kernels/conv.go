package kernels

import "fmt"

// ConvParams describes a 2-D convolution of an NCHW input with OIHW weights
// (O = K output channels, I = C/Groups input channels per group).
type ConvParams struct {
	N, C, H, W       int // input
	K, R, S          int // output channels, kernel height, kernel width
	Groups           int // C and K are split into Groups independent convolutions
	StrideH, StrideW int // output step in the input
	DilH, DilW       int // kernel dilation (1: dense)
	PadT, PadL       int // padding before (top, left)
	PadB, PadR       int // padding after (bottom, right)
}

// OutH is the output height.
func (p ConvParams) OutH() int { return (p.H+p.PadT+p.PadB-p.DilH*(p.R-1)-1)/p.StrideH + 1 }

// OutW is the output width.
func (p ConvParams) OutW() int { return (p.W+p.PadL+p.PadR-p.DilW*(p.S-1)-1)/p.StrideW + 1 }

// Validate checks the parameters describe a computable convolution.
func (p ConvParams) Validate() error {
	switch {
	case p.Groups < 1 || p.C%p.Groups != 0 || p.K%p.Groups != 0:
		return fmt.Errorf("group %d must divide input channels %d and output channels %d", p.Groups, p.C, p.K)
	case p.StrideH < 1 || p.StrideW < 1 || p.DilH < 1 || p.DilW < 1:
		return fmt.Errorf("strides %dx%d and dilations %dx%d must be ≥ 1", p.StrideH, p.StrideW, p.DilH, p.DilW)
	case p.PadT < 0 || p.PadL < 0 || p.PadB < 0 || p.PadR < 0:
		return fmt.Errorf("negative padding")
	case p.OutH() < 1 || p.OutW() < 1:
		return fmt.Errorf("kernel %dx%d (dilation %dx%d) does not fit input %dx%d with padding", p.R, p.S, p.DilH, p.DilW, p.H, p.W)
	}
	return nil
}

// pointwise reports a 1×1, stride-1, unpadded convolution: a plain GEMM on
// the input with no im2col.
func (p ConvParams) pointwise() bool {
	return p.R == 1 && p.S == 1 && p.StrideH == 1 && p.StrideW == 1 && p.PadT+p.PadL+p.PadB+p.PadR == 0
}

// depthwise reports one input and one output channel per group.
func (p ConvParams) depthwise() bool { return p.Groups == p.C && p.Groups == p.K }

// Conv2D computes y = conv(x, w) + bias (bias may be nil). y has shape
// N×K×OutH×OutW and is overwritten.
func Conv2D(p ConvParams, x, w, bias, y []float32) { Conv2DFused(p, x, w, bias, y, false) }

// Conv2DFused is Conv2D followed, when relu is set, by max(0, ·), fused into
// the GEMM epilogue so the output is written once.
func Conv2DFused(p ConvParams, x, w, bias, y []float32, relu bool) {
	if err := p.Validate(); err != nil {
		panic("kernels: Conv2D: " + err.Error())
	}
	if len(x) < p.N*p.C*p.H*p.W || len(w) < p.K*(p.C/p.Groups)*p.R*p.S || len(y) < p.N*p.K*p.OutH()*p.OutW() ||
		(bias != nil && len(bias) < p.K) {
		panic(fmt.Sprintf("kernels: Conv2D %+v: operand too short (x %d, w %d, bias %d, y %d values)", p, len(x), len(w), len(bias), len(y)))
	}
	if sb, ok := backend.(*simdBackend); ok {
		if p.depthwise() {
			depthwiseSIMD(p, x, w, bias, y, relu)
		} else if sb.f.useConvChannels(p, planFor(p)) {
			convChannelsSIMD(sb.f, p, x, w, bias, y, relu)
		} else {
			convFloatSIMD(sb.f, p, x, w, bias, y, relu)
		}
		return
	}
	convReference(p, x, w, bias, y)
	if relu {
		reluInPlace(y)
	}
}

func reluInPlace(y []float32) {
	for i, v := range y {
		if v < 0 {
			y[i] = 0
		}
	}
}

// convReference is the portable convolution: im2col + Sgemm, or the direct
// depthwise loop.
func convReference(p ConvParams, x, w, bias, y []float32) {
	if p.depthwise() {
		depthwiseConv(p, x, w, bias, y)
		return
	}
	oh, ow := p.OutH(), p.OutW()
	cg, kg := p.C/p.Groups, p.K/p.Groups
	kdim := cg * p.R * p.S
	var col []float32
	if !p.pointwise() {
		col = make([]float32, kdim*oh*ow)
	}
	for n := 0; n < p.N; n++ {
		for g := 0; g < p.Groups; g++ {
			xg := x[(n*p.C+g*cg)*p.H*p.W:]
			b := xg
			if col != nil {
				Im2col(p, xg, cg, col)
				b = col
			}
			yg := y[(n*p.K+g*kg)*oh*ow : (n*p.K+(g+1)*kg)*oh*ow]
			Sgemm(false, false, kg, oh*ow, kdim, 1, w[g*kg*kdim:], kdim, b, oh*ow, 0, yg, oh*ow)
		}
	}
	addBias(p.N, p.K, oh*ow, bias, y)
}

// Im2col unrolls cg channels of one image (x starts at the first of them)
// into col, a (cg·R·S) × (OutH·OutW) matrix; padding reads as zero.
func Im2col(p ConvParams, x []float32, cg int, col []float32) {
	oh, ow := p.OutH(), p.OutW()
	Parallel(cg, 1, func(lo, hi int) {
		for c := lo; c < hi; c++ {
			for r := 0; r < p.R; r++ {
				for s := 0; s < p.S; s++ {
					row := col[((c*p.R+r)*p.S+s)*oh*ow:][:oh*ow]
					im2colRow(p, x[c*p.H*p.W:], r, s, row)
				}
			}
		}
	})
}

func im2colRow(p ConvParams, xc []float32, r, s int, row []float32) {
	oh, ow := p.OutH(), p.OutW()
	for i := 0; i < oh; i++ {
		ih := i*p.StrideH - p.PadT + r*p.DilH
		out := row[i*ow : (i+1)*ow]
		if ih < 0 || ih >= p.H {
			clear(out)
			continue
		}
		xrow := xc[ih*p.W : (ih+1)*p.W]
		for j := range out {
			iw := j*p.StrideW - p.PadL + s*p.DilW
			if iw >= 0 && iw < p.W {
				out[j] = xrow[iw]
			} else {
				out[j] = 0
			}
		}
	}
}

// depthwiseConv is the direct loop for one channel per group: there is no
// reduction over channels, so GEMM would only add overhead.
func depthwiseConv(p ConvParams, x, w, bias, y []float32) {
	oh, ow := p.OutH(), p.OutW()
	Parallel(p.N*p.C, 1, func(lo, hi int) {
		for nc := lo; nc < hi; nc++ {
			c := nc % p.C
			xc := x[nc*p.H*p.W : (nc+1)*p.H*p.W]
			yc := y[nc*oh*ow : (nc+1)*oh*ow]
			wc := w[c*p.R*p.S : (c+1)*p.R*p.S]
			var b float32
			if bias != nil {
				b = bias[c]
			}
			for i := 0; i < oh; i++ {
				for j := 0; j < ow; j++ {
					acc := b
					for r := 0; r < p.R; r++ {
						ih := i*p.StrideH - p.PadT + r*p.DilH
						if ih < 0 || ih >= p.H {
							continue
						}
						for s := 0; s < p.S; s++ {
							iw := j*p.StrideW - p.PadL + s*p.DilW
							if iw >= 0 && iw < p.W {
								acc += xc[ih*p.W+iw] * wc[r*p.S+s]
							}
						}
					}
					yc[i*ow+j] = acc
				}
			}
		}
	})
}

func addBias(n, k, hw int, bias, y []float32) {
	if bias == nil {
		return
	}
	for i := 0; i < n; i++ {
		for c := 0; c < k; c++ {
			b := bias[c]
			row := y[(i*k+c)*hw : (i*k+c+1)*hw]
			for j := range row {
				row[j] += b
			}
		}
	}
}
