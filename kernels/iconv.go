package kernels

import (
	"fmt"
	"unsafe"
)

// PackedConv is int8 convolution weights (K × C/Groups × R × S, OIHW)
// packed once per group for ConvU8S8Packed and ConvS8S8Packed; build it with
// PackConv when a layer's weights are reused across calls.
type PackedConv struct {
	K, CG, R, S, Groups int // output channels, input channels per group, kernel size, groups
	groups              []*PackedS8
}

// PackConv packs the int8 weights w of the convolution p.
func PackConv(p ConvParams, w []int8) *PackedConv {
	cg, kg := p.C/p.Groups, p.K/p.Groups
	kdim := cg * p.R * p.S
	if len(w) < p.K*kdim {
		panic(fmt.Sprintf("kernels: PackConv: %d weights for %d×%d×%d×%d", len(w), p.K, cg, p.R, p.S))
	}
	pc := &PackedConv{K: p.K, CG: cg, R: p.R, S: p.S, Groups: p.Groups}
	for g := 0; g < p.Groups; g++ {
		pc.groups = append(pc.groups, PackS8(kg, kdim, w[g*kg*kdim:(g+1)*kg*kdim], kdim))
	}
	return pc
}

// ConvU8S8 computes the exact int32 convolution y = conv(x, w) + bias of
// uint8 activations x (NCHW) and int8 weights w (OIHW); bias (one per output
// channel) may be nil. Padding reads as pad — pass the activations' zero
// point, so that subtracting the zero-point correction afterwards is exact
// at the borders too. y (N×K×OutH×OutW) is overwritten. Exact while
// C/Groups·R·S ≤ 65 793 (see the integer GEMM bounds).
func ConvU8S8(p ConvParams, x []uint8, pad uint8, w []int8, bias []int32, y []int32) {
	ConvU8S8Packed(p, x, pad, PackConv(p, w), bias, y)
}

// ConvU8S8Packed is ConvU8S8 with prepacked weights.
func ConvU8S8Packed(p ConvParams, x []uint8, pad uint8, w *PackedConv, bias []int32, y []int32) {
	convInt(p, x, pad, w, bias, y, false)
}

// ConvS8S8 is ConvU8S8 for int8 activations (padding with the int8 zero
// point pad). Exact while C/Groups·R·S ≤ 131 071.
func ConvS8S8(p ConvParams, x []int8, pad int8, w []int8, bias []int32, y []int32) {
	ConvS8S8Packed(p, x, pad, PackConv(p, w), bias, y)
}

// ConvS8S8Packed is ConvS8S8 with prepacked weights.
func ConvS8S8Packed(p ConvParams, x []int8, pad int8, w *PackedConv, bias []int32, y []int32) {
	convInt(p, x, pad, w, bias, y, true)
}

// convInt runs the integer convolution as the same implicit GEMM as the
// float one (convPlan): per image and group, C = W·B with B read from the
// padded, phase-split input through the offset table.
func convInt[T uint8 | int8](p ConvParams, x []T, pad T, w *PackedConv, bias, y []int32, signed bool) {
	if err := p.Validate(); err != nil {
		panic("kernels: integer convolution: " + err.Error())
	}
	c := planFor(p)
	switch {
	case w.K != p.K || w.CG != c.cg || w.R != p.R || w.S != p.S || w.Groups != p.Groups:
		panic(fmt.Sprintf("kernels: packed weights %d×%d×%d×%d (groups %d) do not match the convolution", w.K, w.CG, w.R, w.S, w.Groups))
	case len(x) < p.N*p.C*p.H*p.W || len(y) < p.N*p.K*c.oh*c.ow:
		panic("kernels: integer convolution: input or output too short")
	case bias != nil && len(bias) < p.K:
		panic("kernels: integer convolution: bias too short")
	}
	ia := intArchOf(backend)
	nr := 32
	if ia != nil {
		nr = ia.nr
	}
	perImage := func(n, t int) {
		var tbuf *[]uint8
		if !c.direct {
			tbuf = u8Pool.get(c.tlen)
			defer u8Pool.put(tbuf)
		}
		bands := c.bands(nr, t)
		for g := 0; g < p.Groups; g++ {
			xg := x[(n*p.C+g*c.cg)*p.H*p.W : (n*p.C+(g+1)*c.cg)*p.H*p.W]
			tg := xg
			if !c.direct {
				tg = sliceAs[T](*tbuf)
				transformInput(c, xg, tg, pad, t > 1)
			}
			yg := y[(n*p.K+g*c.kg)*c.oh*c.ow : (n*p.K+(g+1)*c.kg)*c.oh*c.ow]
			var bg []int32
			if bias != nil {
				bg = bias[g*c.kg : (g+1)*c.kg]
			}
			wg := w.groups[g]
			if bands == nil { // narrow output: split the one GEMM
				out := yg
				var wbuf *[]int32
				if !c.exact {
					wbuf = i32Pool.get(c.kg * c.wide)
					out = *wbuf
				}
				wg.mulOffsets(c.wide, bytesOf(tg), c.offs, signed, bg, out, c.wide, t)
				if !c.exact {
					compactWide(c, out, yg, c.kg)
					i32Pool.put(wbuf)
				}
				continue
			}
			parallelN(t, len(bands)-1, 1, func(lo, hi int) {
				var bbuf *[]int32
				if !c.exact {
					bbuf = i32Pool.get(c.kg * (bands[1] - bands[0] + nr))
					defer i32Pool.put(bbuf)
				}
				for b := lo; b < hi; b++ {
					q0, q1 := bands[b], bands[b+1]
					src := bytesOf(tg[q0:])
					if c.exact {
						wg.mulOffsets(q1-q0, src, c.offs, signed, bg, yg[q0:], c.wide, 1)
						continue
					}
					wg.mulOffsets(q1-q0, src, c.offs, signed, bg, *bbuf, q1-q0, 1)
					compactBand(c, *bbuf, q0, q1, yg)
				}
			})
		}
	}
	t := threads
	if p.N >= 2*t && t > 1 {
		Parallel(p.N, 1, func(lo, hi int) {
			for n := lo; n < hi; n++ {
				perImage(n, 1)
			}
		})
		return
	}
	if 2*p.K*c.oh*c.ow*c.kdim < minParallelOps {
		t = 1 // too little work per image to share it
	}
	for n := 0; n < p.N; n++ {
		perImage(n, t)
	}
}

// sliceAs reinterprets a byte slice as another 8-bit element type.
func sliceAs[T uint8 | int8](b []byte) []T {
	if len(b) == 0 {
		return nil
	}
	return unsafe.Slice((*T)(unsafe.Pointer(&b[0])), len(b))
}
