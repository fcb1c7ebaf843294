//go:build ignore

// gen_asm writes the register-blocked GEMM micro-kernels for amd64:
// float32 FMA and integer (VNNI VPDPBUSD/VPDPWSSD, AVX2 VPMADDWD) kernels,
// one function per tile height so that row tails need no padding.
//
//	go generate ./kernels   (runs go run gen_asm.go in kernels/)
//
// Every kernel computes one MR×NR tile of C from a packed B micro-panel
// (NR columns per k step, contiguous) and an A micro-panel that is either
// packed (rows interleaved per k step) or read in place from a row-major
// matrix (strided). The epilogue applies, by flag, alpha scaling, a per-row
// bias, a per-column bias, accumulation into C (beta·C for float, +C for
// integers) and ReLU, then stores; AVX-512 kernels mask the columns past the
// edge of C so column tails need no temporary tile either.
//
// It also writes wgrad512 and wgradc512, AVX-512 kernels of the convolution
// weight gradient (see wgrad and wgradChannels below and
// kernels/conv_grad.go), and the sconvc512
// kernels of convolutions with few output channels (see convChannels and
// kernels/conv_chan.go).
package main

import (
	"bytes"
	"fmt"
	"go/format"
	"os"
	"strings"
)

// Epilogue flags; keep in sync with the constants in kernels/gemm_drive.go.
const (
	flagAcc   = 1
	flagAlpha = 2
	flagRow   = 4
	flagCol   = 8
	flagRelu  = 16
)

type spec struct {
	name    string
	isa     string // "avx512" or "avx2"
	elem    string // "f32", "s8u8" (A s8 broadcast, B u8), "u8s8" (A u8, B s8), "s16"
	rows    int
	strided bool // A read in place with row stride lda (float only)
}

func (s spec) float() bool { return s.elem == "f32" }
func (s spec) wide() bool  { return s.isa == "avx512" }

// bStep is the bytes of packed B consumed per k step (per k group for
// integers): NR lanes of 4 bytes.
func (s spec) bStep() int {
	if s.wide() {
		return 128
	}
	return 64
}

type gen struct{ b bytes.Buffer }

func (g *gen) p(format string, args ...any) { fmt.Fprintf(&g.b, "\t"+format+"\n", args...) }
func (g *gen) label(l string)               { fmt.Fprintf(&g.b, "%s:\n", l) }

// aAddr is the address of row i's element (group) for unrolled step u.
func (s spec) aAddr(i, u int) string {
	if !s.strided {
		return fmt.Sprintf("%d(AX)", (u*s.rows+i)*4)
	}
	ptr := []string{"R12", "R13", "R14", "R15"}[i/3]
	off := u * 4
	switch i % 3 {
	case 0:
		return fmt.Sprintf("%d(%s)", off, ptr)
	case 1:
		return fmt.Sprintf("%d(%s)(R9*1)", off, ptr)
	default:
		return fmt.Sprintf("%d(%s)(R9*2)", off, ptr)
	}
}

func (s spec) nptr() int { return (s.rows + 2) / 3 }

func acc(s spec, i int) string {
	if s.wide() {
		return fmt.Sprintf("Z%d", i)
	}
	return fmt.Sprintf("Y%d", i)
}

func (g *gen) step(s spec, u int) {
	bo := u * s.bStep()
	if s.wide() {
		mov := "VMOVUPS"
		if !s.float() {
			mov = "VMOVDQU32"
		}
		g.p("%s %d(BX), Z28", mov, bo)
		g.p("%s %d(BX), Z29", mov, bo+64)
		for i := 0; i < s.rows; i++ {
			a := s.aAddr(i, u)
			bc := "Z30"
			if i%2 == 1 {
				bc = "Z31"
			}
			switch s.elem {
			case "f32":
				g.p("VBROADCASTSS %s, %s", a, bc)
				g.p("VFMADD231PS Z28, %s, Z%d", bc, 2*i)
				g.p("VFMADD231PS Z29, %s, Z%d", bc, 2*i+1)
			case "s8u8":
				g.p("VPDPBUSD.BCST %s, Z28, Z%d", a, 2*i)
				g.p("VPDPBUSD.BCST %s, Z29, Z%d", a, 2*i+1)
			case "u8s8":
				g.p("VPBROADCASTD %s, %s", a, bc)
				g.p("VPDPBUSD Z28, %s, Z%d", bc, 2*i)
				g.p("VPDPBUSD Z29, %s, Z%d", bc, 2*i+1)
			case "s16":
				g.p("VPDPWSSD.BCST %s, Z28, Z%d", a, 2*i)
				g.p("VPDPWSSD.BCST %s, Z29, Z%d", a, 2*i+1)
			}
		}
		return
	}
	mov := "VMOVUPS"
	if !s.float() {
		mov = "VMOVDQU"
	}
	g.p("%s %d(BX), Y12", mov, bo)
	g.p("%s %d(BX), Y13", mov, bo+32)
	for i := 0; i < s.rows; i++ {
		a := s.aAddr(i, u)
		switch s.elem {
		case "f32":
			bc := "Y14"
			if i%2 == 1 {
				bc = "Y15"
			}
			g.p("VBROADCASTSS %s, %s", a, bc)
			g.p("VFMADD231PS Y12, %s, Y%d", bc, 2*i)
			g.p("VFMADD231PS Y13, %s, Y%d", bc, 2*i+1)
		case "s16":
			g.p("VPBROADCASTD %s, Y14", a)
			g.p("VPMADDWD Y12, Y14, Y15")
			g.p("VPADDD Y15, Y%d, Y%d", 2*i, 2*i)
			g.p("VPMADDWD Y13, Y14, Y15")
			g.p("VPADDD Y15, Y%d, Y%d", 2*i+1, 2*i+1)
		default:
			panic("no AVX2 kernel for " + s.elem)
		}
	}
}

// argument offsets
type frame struct {
	kc, a, b, c, ldc, lda, alpha, beta, rowBias, colBias, flags, mask, size int
}

var floatFrame = frame{kc: 0, a: 8, b: 16, c: 24, ldc: 32, lda: 40, alpha: 48, beta: 52, rowBias: 56, colBias: 64, flags: 72, mask: 80, size: 88}
var intFrame = frame{kc: 0, a: 8, b: 16, c: 24, ldc: 32, lda: -1, alpha: -1, beta: -1, rowBias: 40, colBias: 48, flags: 56, mask: 64, size: 72}

func (g *gen) kernel(s spec) {
	f := intFrame
	kname := "kg"
	if s.float() {
		f = floatFrame
		kname = "kc"
	}
	fmt.Fprintf(&g.b, "// func %s%s\n", s.name, goSig(s))
	fmt.Fprintf(&g.b, "TEXT ·%s(SB), NOSPLIT, $0-%d\n", s.name, f.size)
	g.p("MOVQ %s+%d(FP), CX", kname, f.kc)
	g.p("MOVQ b+%d(FP), BX", f.b)
	g.p("MOVQ c+%d(FP), DX", f.c)
	g.p("MOVQ ldc+%d(FP), R8", f.ldc)
	g.p("SHLQ $2, R8")
	if s.strided {
		g.p("MOVQ lda+%d(FP), R9", f.lda)
		g.p("SHLQ $2, R9")
		g.p("LEAQ (R9)(R9*2), R10")
		g.p("MOVQ a+%d(FP), R12", f.a)
		ptrs := []string{"R12", "R13", "R14", "R15"}
		for j := 1; j < s.nptr(); j++ {
			g.p("LEAQ (%s)(R10*1), %s", ptrs[j-1], ptrs[j])
		}
	} else {
		g.p("MOVQ a+%d(FP), AX", f.a)
	}
	if s.wide() {
		g.p("MOVQ mask+%d(FP), SI", f.mask)
		g.p("KMOVW SI, K1")
		g.p("SHRQ $16, SI")
		g.p("KMOVW SI, K2")
	}
	for i := 0; i < 2*s.rows; i++ {
		if s.wide() {
			g.p("VPXORD Z%d, Z%d, Z%d", i, i, i)
		} else {
			g.p("VPXOR Y%d, Y%d, Y%d", i, i, i)
		}
	}
	// Warm the C tile: it is read (accumulate) or written at the end.
	g.p("MOVQ DX, R10")
	for i := 0; i < s.rows; i++ {
		g.p("PREFETCHT0 (R10)")
		if s.wide() {
			g.p("PREFETCHT0 64(R10)")
			g.p("PREFETCHT0 124(R10)")
		} else {
			g.p("PREFETCHT0 60(R10)")
		}
		g.p("ADDQ R8, R10")
	}
	const unroll = 4
	g.p("MOVQ CX, DI")
	g.p("SHRQ $2, CX")
	g.p("JZ tail")
	g.label("loop4")
	for u := 0; u < unroll; u++ {
		g.step(s, u)
	}
	g.advance(s, unroll)
	g.p("DECQ CX")
	g.p("JNZ loop4")
	g.label("tail")
	g.p("ANDQ $3, DI")
	g.p("JZ epilogue")
	g.label("loop1")
	g.step(s, 0)
	g.advance(s, 1)
	g.p("DECQ DI")
	g.p("JNZ loop1")
	g.label("epilogue")
	g.p("MOVQ flags+%d(FP), R11", f.flags)
	g.epilogue(s, f)
	g.p("VZEROUPPER")
	g.p("RET")
	g.b.WriteString("\n")
}

func (g *gen) advance(s spec, steps int) {
	if s.strided {
		for _, r := range []string{"R12", "R13", "R14", "R15"}[:s.nptr()] {
			g.p("ADDQ $%d, %s", 4*steps, r)
		}
	} else {
		g.p("ADDQ $%d, AX", 4*s.rows*steps)
	}
	g.p("ADDQ $%d, BX", s.bStep()*steps)
}

func (g *gen) epilogue(s spec, f frame) {
	n := 2 * s.rows
	all := func(format string) {
		for i := 0; i < n; i++ {
			r := acc(s, i)
			g.p(strings.ReplaceAll(format, "ACC", r))
		}
	}
	perRow := func(body func(i int)) {
		g.p("MOVQ DX, R10")
		for i := 0; i < s.rows; i++ {
			body(i)
			if i < s.rows-1 {
				g.p("ADDQ R8, R10")
			}
		}
	}
	if s.wide() {
		if s.float() {
			g.p("TESTQ $%d, R11", flagAlpha)
			g.p("JZ noalpha")
			g.p("VBROADCASTSS alpha+%d(FP), Z30", f.alpha)
			all("VMULPS Z30, ACC, ACC")
			g.label("noalpha")
		}
		add, mov, bcast := "VADDPS", "VMOVUPS", "VBROADCASTSS"
		if !s.float() {
			add, mov, bcast = "VPADDD", "VMOVDQU32", "VPBROADCASTD"
		}
		g.p("TESTQ $%d, R11", flagRow)
		g.p("JZ norow")
		g.p("MOVQ rowBias+%d(FP), SI", f.rowBias)
		for i := 0; i < s.rows; i++ {
			g.p("%s %d(SI), Z30", bcast, 4*i)
			g.p("%s Z30, Z%d, Z%d", add, 2*i, 2*i)
			g.p("%s Z30, Z%d, Z%d", add, 2*i+1, 2*i+1)
		}
		g.label("norow")
		g.p("TESTQ $%d, R11", flagCol)
		g.p("JZ nocol")
		g.p("MOVQ colBias+%d(FP), SI", f.colBias)
		g.p("%s.Z (SI), K1, Z28", mov)
		g.p("%s.Z 64(SI), K2, Z29", mov)
		for i := 0; i < s.rows; i++ {
			g.p("%s Z28, Z%d, Z%d", add, 2*i, 2*i)
			g.p("%s Z29, Z%d, Z%d", add, 2*i+1, 2*i+1)
		}
		g.label("nocol")
		g.p("TESTQ $%d, R11", flagAcc)
		g.p("JZ noacc")
		if s.float() {
			g.p("VBROADCASTSS beta+%d(FP), Z30", f.beta)
		}
		perRow(func(i int) {
			g.p("%s.Z (R10), K1, Z28", mov)
			g.p("%s.Z 64(R10), K2, Z29", mov)
			if s.float() {
				g.p("VFMADD231PS Z28, Z30, Z%d", 2*i)
				g.p("VFMADD231PS Z29, Z30, Z%d", 2*i+1)
			} else {
				g.p("VPADDD Z28, Z%d, Z%d", 2*i, 2*i)
				g.p("VPADDD Z29, Z%d, Z%d", 2*i+1, 2*i+1)
			}
		})
		g.label("noacc")
		if s.float() {
			g.p("TESTQ $%d, R11", flagRelu)
			g.p("JZ norelu")
			g.p("VPXORD Z31, Z31, Z31")
			all("VMAXPS ACC, Z31, ACC")
			g.label("norelu")
		}
		perRow(func(i int) {
			g.p("%s Z%d, K1, (R10)", mov, 2*i)
			g.p("%s Z%d, K2, 64(R10)", mov, 2*i+1)
		})
		return
	}
	// AVX2: full 16-column tiles only (the driver uses a scratch tile for
	// column tails).
	if s.float() {
		g.p("TESTQ $%d, R11", flagAlpha)
		g.p("JZ noalpha")
		g.p("VBROADCASTSS alpha+%d(FP), Y14", f.alpha)
		all("VMULPS Y14, ACC, ACC")
		g.label("noalpha")
	}
	add, mov, bcast := "VADDPS", "VMOVUPS", "VBROADCASTSS"
	if !s.float() {
		add, mov, bcast = "VPADDD", "VMOVDQU", "VPBROADCASTD"
	}
	g.p("TESTQ $%d, R11", flagRow)
	g.p("JZ norow")
	g.p("MOVQ rowBias+%d(FP), SI", f.rowBias)
	for i := 0; i < s.rows; i++ {
		g.p("%s %d(SI), Y14", bcast, 4*i)
		g.p("%s Y14, Y%d, Y%d", add, 2*i, 2*i)
		g.p("%s Y14, Y%d, Y%d", add, 2*i+1, 2*i+1)
	}
	g.label("norow")
	g.p("TESTQ $%d, R11", flagCol)
	g.p("JZ nocol")
	g.p("MOVQ colBias+%d(FP), SI", f.colBias)
	g.p("%s (SI), Y12", mov)
	g.p("%s 32(SI), Y13", mov)
	for i := 0; i < s.rows; i++ {
		g.p("%s Y12, Y%d, Y%d", add, 2*i, 2*i)
		g.p("%s Y13, Y%d, Y%d", add, 2*i+1, 2*i+1)
	}
	g.label("nocol")
	g.p("TESTQ $%d, R11", flagAcc)
	g.p("JZ noacc")
	if s.float() {
		g.p("VBROADCASTSS beta+%d(FP), Y14", f.beta)
	}
	perRow(func(i int) {
		if s.float() {
			g.p("VMOVUPS (R10), Y15")
			g.p("VFMADD231PS Y15, Y14, Y%d", 2*i)
			g.p("VMOVUPS 32(R10), Y15")
			g.p("VFMADD231PS Y15, Y14, Y%d", 2*i+1)
		} else {
			g.p("VPADDD (R10), Y%d, Y%d", 2*i, 2*i)
			g.p("VPADDD 32(R10), Y%d, Y%d", 2*i+1, 2*i+1)
		}
	})
	g.label("noacc")
	if s.float() {
		g.p("TESTQ $%d, R11", flagRelu)
		g.p("JZ norelu")
		g.p("VXORPS Y15, Y15, Y15")
		all("VMAXPS ACC, Y15, ACC")
		g.label("norelu")
	}
	perRow(func(i int) {
		g.p("%s Y%d, (R10)", mov, 2*i)
		g.p("%s Y%d, 32(R10)", mov, 2*i+1)
	})
}

func goSig(s spec) string {
	if s.float() {
		return "(kc int, a, b, c unsafe.Pointer, ldc, lda int, alpha, beta float32, rowBias, colBias unsafe.Pointer, flags int, mask uint64)"
	}
	return "(kg int, a, b, c unsafe.Pointer, ldc int, rowBias, colBias unsafe.Pointer, flags int, mask uint64)"
}

type family struct {
	table, prefix, isa, elem string
	rows                     int
	strided                  bool
	doc                      string
}

var families = []family{
	{"f32AVX512Packed", "sgemm512p", "avx512", "f32", 12, false, "AVX-512 float32 kernels, packed A (12×32 tiles)"},
	{"f32AVX512Strided", "sgemm512s", "avx512", "f32", 12, true, "AVX-512 float32 kernels, A read in place (12×32 tiles)"},
	{"f32AVX2Packed", "sgemm256p", "avx2", "f32", 6, false, "AVX2+FMA float32 kernels, packed A (6×16 tiles)"},
	{"f32AVX2Strided", "sgemm256s", "avx2", "f32", 6, true, "AVX2+FMA float32 kernels, A read in place (6×16 tiles)"},
	{"s8u8VNNI", "igemm512s8u8p", "avx512", "s8u8", 12, false, "AVX-512 VNNI kernels: A int8 (broadcast), B uint8 (12×32 tiles, k in groups of 4)"},
	{"u8s8VNNI", "igemm512u8s8p", "avx512", "u8s8", 12, false, "AVX-512 VNNI kernels: A uint8 (broadcast), B int8 (12×32 tiles, k in groups of 4)"},
	{"s16VNNI", "igemm512s16p", "avx512", "s16", 12, false, "AVX-512 VNNI kernels: int16 pairs via VPDPWSSD (12×32 tiles, k in groups of 2)"},
	{"s16AVX2", "igemm256s16p", "avx2", "s16", 6, false, "AVX2 kernels: int16 pairs via VPMADDWD+VPADDD (6×16 tiles, k in groups of 2)"},
}

// wgradRows and wgradCols are wgrad512's tile: 4 rows of dY by 6 rows of
// the transformed input, 24 zmm accumulators.
const wgradRows, wgradCols = 4, 6

// wgrad writes wgrad512, the weight-gradient tile of a convolution:
//
//	C[i·ldc+j] += Σ_img Σ_{q<nq} A[img·aImg + i·lda + q] · B[img·bImg + boffs[j] + q]
//
// for i < 4, j < 6 (strides in elements, nq a multiple of 16, nimg ≥ 1).
// Both operands are contiguous along the reduction q (output pixels), so
// unlike a GEMM nothing is packed or transposed: the 16 lanes of each
// accumulator hold partial sums over q, reduced horizontally once at the
// end. A is the output gradient with rows widened to the input's padded
// row length, B the padded input, read at one offset per kernel tap.
func (g *gen) wgrad() {
	aRegs := []string{"SI", "DI", "DX", "BX"}
	bRegs := []string{"R8", "R9", "R10", "R11", "R12", "R13"}
	g.b.WriteString("// func wgrad512(c unsafe.Pointer, ldc int, a unsafe.Pointer, lda, aImg int, b unsafe.Pointer, boffs *int, bImg, nq, nimg int)\n")
	g.b.WriteString("TEXT ·wgrad512(SB), NOSPLIT, $0-80\n")
	g.p("MOVQ a+16(FP), SI")
	g.p("MOVQ lda+24(FP), R15")
	g.p("SHLQ $2, R15")
	for i := 1; i < wgradRows; i++ {
		g.p("LEAQ (%s)(R15*1), %s", aRegs[i-1], aRegs[i])
	}
	g.p("MOVQ b+40(FP), R15")
	g.p("MOVQ boffs+48(FP), R14")
	for j, r := range bRegs {
		g.p("MOVQ %d(R14), %s", 8*j, r)
		g.p("LEAQ (R15)(%s*4), %s", r, r)
	}
	g.p("MOVQ nq+64(FP), CX")
	g.p("SHLQ $2, CX")
	g.p("MOVQ aImg+32(FP), R15")
	g.p("SHLQ $2, R15")
	g.p("MOVQ nimg+72(FP), R14")
	for k := 0; k < wgradRows*wgradCols; k++ {
		g.p("VPXORD Z%d, Z%d, Z%d", k, k, k)
	}
	g.label("wgimg")
	g.p("XORQ AX, AX")
	g.label("wgq")
	for i, r := range aRegs {
		g.p("VMOVUPS (%s)(AX*1), Z%d", r, 24+i)
	}
	for j, r := range bRegs {
		bz := 28 + j%4
		g.p("VMOVUPS (%s)(AX*1), Z%d", r, bz)
		for i := range aRegs {
			g.p("VFMADD231PS Z%d, Z%d, Z%d", bz, 24+i, i*wgradCols+j)
		}
	}
	g.p("ADDQ $64, AX")
	g.p("CMPQ AX, CX")
	g.p("JLT wgq")
	for _, r := range aRegs {
		g.p("ADDQ R15, %s", r)
	}
	g.p("MOVQ bImg+56(FP), AX")
	g.p("SHLQ $2, AX")
	for _, r := range bRegs {
		g.p("ADDQ AX, %s", r)
	}
	g.p("DECQ R14")
	g.p("JNZ wgimg")
	// Horizontal sums into C. VHADDPS has no EVEX form, so accumulators
	// above Z15 are reduced in Z0, which is free once its own sum is out.
	g.p("MOVQ c+0(FP), R8")
	g.p("MOVQ ldc+8(FP), R9")
	g.p("SHLQ $2, R9")
	for i := 0; i < wgradRows; i++ {
		for j := 0; j < wgradCols; j++ {
			k := i*wgradCols + j
			if k >= 16 {
				g.p("VMOVAPS Z%d, Z0", k)
				k = 0
			}
			g.p("VEXTRACTF64X4 $1, Z%d, Y24", k)
			g.p("VADDPS Y24, Y%d, Y%d", k, k)
			g.p("VEXTRACTF32X4 $1, Y%d, X24", k)
			g.p("VADDPS X24, X%d, X%d", k, k)
			g.p("VHADDPS X%d, X%d, X%d", k, k, k)
			g.p("VHADDPS X%d, X%d, X%d", k, k, k)
			g.p("VADDSS %d(R8), X%d, X%d", 4*j, k, k)
			g.p("VMOVSS X%d, %d(R8)", k, 4*j)
		}
		g.p("ADDQ R9, R8")
	}
	g.p("VZEROUPPER")
	g.p("RET")
	g.b.WriteString("\n")
}

// convChanMaxAccs is how many zmm registers hold accumulators in the
// sconvc512 kernels; the other four hold a row of weights.
const convChanMaxAccs = 28

// convChannels writes sconvc512n<nv>w<tw>, the tile of a convolution with
// 16·nv output channels vectorised across the channels:
//
//	C[i·ldc + j] = Σ_{p<kc} T[offs[p] + i] · W[p·ldw + j]   for i < tw, j < 16·nv
//
// (offsets and strides in elements). T is the padded input at the tile's
// first output pixel, i the tw pixels of one output row, W the weights
// transposed to taps × channels. Each FMA takes its input pixel as an
// embedded broadcast, so nothing is packed; tw·nv zmm accumulators hold
// tw pixels × 16·nv channels, stored pixel by pixel (the caller
// transposes). Tiles never span output rows, so no padding column is
// computed.
func (g *gen) convChannels(nv, tw int) {
	name := fmt.Sprintf("sconvc512n%dw%d", nv, tw)
	fmt.Fprintf(&g.b, "// func %s(kc int, t unsafe.Pointer, offs *int, w unsafe.Pointer, ldw int, c unsafe.Pointer, ldc int)\n", name)
	fmt.Fprintf(&g.b, "TEXT ·%s(SB), NOSPLIT, $0-56\n", name)
	g.p("MOVQ kc+0(FP), CX")
	g.p("MOVQ t+8(FP), SI")
	g.p("MOVQ offs+16(FP), DI")
	g.p("MOVQ w+24(FP), BX")
	g.p("MOVQ ldw+32(FP), R9")
	g.p("SHLQ $2, R9")
	for k := 0; k < tw*nv; k++ {
		g.p("VPXORD Z%d, Z%d, Z%d", k, k, k)
	}
	label := fmt.Sprintf("cc%dw%d", nv, tw)
	g.label(label)
	g.p("MOVQ (DI), AX")
	for v := 0; v < nv; v++ {
		g.p("VMOVUPS %d(BX), Z%d", 64*v, convChanMaxAccs+v)
	}
	for i := 0; i < tw; i++ {
		for v := 0; v < nv; v++ {
			g.p("VFMADD231PS.BCST %d(SI)(AX*4), Z%d, Z%d", 4*i, convChanMaxAccs+v, i*nv+v)
		}
	}
	g.p("ADDQ $8, DI")
	g.p("ADDQ R9, BX")
	g.p("DECQ CX")
	g.p("JNZ %s", label)
	g.p("MOVQ c+40(FP), DX")
	g.p("MOVQ ldc+48(FP), R8")
	g.p("SHLQ $2, R8")
	for i := 0; i < tw; i++ {
		for v := 0; v < nv; v++ {
			g.p("VMOVUPS Z%d, %d(DX)", i*nv+v, 64*v)
		}
		g.p("ADDQ R8, DX")
	}
	g.p("VZEROUPPER")
	g.p("RET")
	g.b.WriteString("\n")
}

// wgradMaxTaps is how many taps a wgradc512 tile covers at most: one tap
// pointer each in the general registers left after the loop's own.
const wgradMaxTaps = 9

// wgradChannels writes wgradc512n<nv>t<tt>, a tile of a convolution's
// weight gradient vectorised across 16·nv output channels:
//
//	C[t·ldc + j] += Σ_{r<rows} Σ_{q<cols} T[toffs[t] + r·ldt + q] · DY[(r·cols+q)·ldy + j]
//
// for taps t < tt and j < 16·nv. T is an image's padded input, toffs the
// taps' offsets in it, DY the output gradient transposed to pixels ×
// channels. Each output pixel loads nv vectors of DY and does one FMA per
// tap and vector, taking T's value as an embedded broadcast from the tap's
// pointer: no packing, no horizontal sums, and the output's padding
// columns are skipped (rows of cols pixels, ldt apart in T).
func (g *gen) wgradChannels(nv, tt int) {
	taps := []string{"R8", "R9", "R10", "R11", "R12", "R13", "R14", "R15", "SI"}
	name := fmt.Sprintf("wgradc512n%dt%d", nv, tt)
	fmt.Fprintf(&g.b, "// func %s(c unsafe.Pointer, ldc int, t unsafe.Pointer, toffs *int, dy unsafe.Pointer, ldy, rows, cols, ldt int)\n", name)
	fmt.Fprintf(&g.b, "TEXT ·%s(SB), NOSPLIT, $0-72\n", name)
	g.p("MOVQ t+16(FP), AX")
	g.p("MOVQ toffs+24(FP), BX")
	for i, r := range taps[:tt] {
		g.p("MOVQ %d(BX), %s", 8*i, r)
		g.p("LEAQ (AX)(%s*4), %s", r, r)
	}
	acc := func(t, v int) int { return t*nv + v }
	g.p("MOVQ c+0(FP), BX")
	g.p("MOVQ ldc+8(FP), DX")
	g.p("SHLQ $2, DX")
	for t := 0; t < tt; t++ {
		for v := 0; v < nv; v++ {
			g.p("VMOVUPS %d(BX), Z%d", 64*v, acc(t, v))
		}
		g.p("ADDQ DX, BX")
	}
	g.p("MOVQ dy+32(FP), BX")
	g.p("MOVQ ldy+40(FP), DI")
	g.p("SHLQ $2, DI")
	g.p("XORQ AX, AX")
	g.p("MOVQ rows+48(FP), CX")
	row, col := fmt.Sprintf("wgr%dt%d", nv, tt), fmt.Sprintf("wgc%dt%d", nv, tt)
	g.label(row)
	g.p("MOVQ cols+56(FP), DX")
	g.label(col)
	for v := 0; v < nv; v++ {
		g.p("VMOVUPS %d(BX), Z%d", 64*v, 30+v)
	}
	for t := 0; t < tt; t++ {
		for v := 0; v < nv; v++ {
			g.p("VFMADD231PS.BCST (%s)(AX*4), Z%d, Z%d", taps[t], 30+v, acc(t, v))
		}
	}
	g.p("INCQ AX")
	g.p("ADDQ DI, BX")
	g.p("DECQ DX")
	g.p("JNZ %s", col)
	g.p("ADDQ ldt+64(FP), AX")
	g.p("SUBQ cols+56(FP), AX")
	g.p("DECQ CX")
	g.p("JNZ %s", row)
	g.p("MOVQ c+0(FP), BX")
	g.p("MOVQ ldc+8(FP), DX")
	g.p("SHLQ $2, DX")
	for t := 0; t < tt; t++ {
		for v := 0; v < nv; v++ {
			g.p("VMOVUPS Z%d, %d(BX)", acc(t, v), 64*v)
		}
		g.p("ADDQ DX, BX")
	}
	g.p("VZEROUPPER")
	g.p("RET")
	g.b.WriteString("\n")
}

func main() {
	var asm gen
	asm.b.WriteString("// Code generated by gen_asm.go; DO NOT EDIT.\n\n//go:build amd64\n\n#include \"textflag.h\"\n\n")
	var goSrc bytes.Buffer
	goSrc.WriteString("// Code generated by gen_asm.go; DO NOT EDIT.\n\n//go:build amd64\n\npackage kernels\n\nimport \"unsafe\"\n\n")
	for _, fam := range families {
		names := []string{"nil"}
		for r := 1; r <= fam.rows; r++ {
			s := spec{name: fmt.Sprintf("%s%d", fam.prefix, r), isa: fam.isa, elem: fam.elem, rows: r, strided: fam.strided}
			asm.kernel(s)
			fmt.Fprintf(&goSrc, "//go:noescape\nfunc %s%s\n\n", s.name, goSig(s))
			names = append(names, s.name)
		}
		typ := "intKernel"
		if fam.elem == "f32" {
			typ = "floatKernel"
		}
		fmt.Fprintf(&goSrc, "// %s holds the %s, indexed by tile height.\nvar %s = [...]%s{%s}\n\n", fam.table, fam.doc, fam.table, typ, strings.Join(names, ", "))
	}
	asm.wgrad()
	var wtable []string
	for _, nv := range []int{1, 2} {
		var row []string
		for tt := 1; tt <= wgradMaxTaps; tt++ {
			asm.wgradChannels(nv, tt)
			name := fmt.Sprintf("wgradc512n%dt%d", nv, tt)
			fmt.Fprintf(&goSrc, "//go:noescape\nfunc %s(c unsafe.Pointer, ldc int, t unsafe.Pointer, toffs *int, dy unsafe.Pointer, ldy, rows, cols, ldt int)\n\n", name)
			row = append(row, fmt.Sprintf("%d: %s", tt, name))
		}
		wtable = append(wtable, fmt.Sprintf("%d: {%s}", nv, strings.Join(row, ", ")))
	}
	fmt.Fprintf(&goSrc, "// wgradc512 holds the channel-vectorised weight-gradient tiles (see gen_asm.go), indexed by 16-channel vectors and taps per tile.\nvar wgradc512 = [...][%d]wgradChanKernel{%s}\n\n", wgradMaxTaps+1, strings.Join(wtable, ", "))
	var table []string
	for _, nv := range []int{1, 2, 4} {
		var row []string
		for tw := 1; tw*nv <= convChanMaxAccs; tw++ {
			asm.convChannels(nv, tw)
			name := fmt.Sprintf("sconvc512n%dw%d", nv, tw)
			fmt.Fprintf(&goSrc, "//go:noescape\nfunc %s(kc int, t unsafe.Pointer, offs *int, w unsafe.Pointer, ldw int, c unsafe.Pointer, ldc int)\n\n", name)
			row = append(row, fmt.Sprintf("%d: %s", tw, name))
		}
		table = append(table, fmt.Sprintf("%d: {%s}", nv, strings.Join(row, ", ")))
	}
	fmt.Fprintf(&goSrc, "// sconvc512 holds the channel-vectorised convolution tiles (see gen_asm.go), indexed by 16-channel vectors and pixels per tile.\nvar sconvc512 = [...][%d]convChanKernel{%s}\n\n", convChanMaxAccs+1, strings.Join(table, ", "))
	goSrc.WriteString("// wgrad512 is the AVX-512 weight-gradient tile of a convolution (see gen_asm.go).\n//\n//go:noescape\nfunc wgrad512(c unsafe.Pointer, ldc int, a unsafe.Pointer, lda, aImg int, b unsafe.Pointer, boffs *int, bImg, nq, nimg int)\n\n")
	if err := os.WriteFile("kernels_amd64.s", asm.b.Bytes(), 0o644); err != nil {
		panic(err)
	}
	src, err := format.Source(goSrc.Bytes())
	if err != nil {
		panic(err)
	}
	if err := os.WriteFile("kernels_amd64_decl.go", src, 0o644); err != nil {
		panic(err)
	}
}
