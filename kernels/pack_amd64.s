//go:build amd64

#include "textflag.h"

// func copyRowsF32(dst, src []float32, offs []int, col, width int)
// dst[p*width : (p+1)*width] = src[offs[p]+col : offs[p]+col+width] for each
// p < len(offs); width is 16 or 32. Uses AVX only (runs on every SIMD backend).
TEXT ·copyRowsF32(SB), NOSPLIT, $0-88
	MOVQ dst_base+0(FP), DI
	MOVQ src_base+24(FP), SI
	MOVQ offs_base+48(FP), BX
	MOVQ offs_len+56(FP), CX
	MOVQ col+72(FP), AX
	LEAQ (SI)(AX*4), SI
	MOVQ width+80(FP), DX
	TESTQ CX, CX
	JZ   done
	CMPQ DX, $32
	JNE  loop16

loop32:
	MOVQ (BX), AX
	VMOVUPS (SI)(AX*4), Y0
	VMOVUPS 32(SI)(AX*4), Y1
	VMOVUPS 64(SI)(AX*4), Y2
	VMOVUPS 96(SI)(AX*4), Y3
	VMOVUPS Y0, (DI)
	VMOVUPS Y1, 32(DI)
	VMOVUPS Y2, 64(DI)
	VMOVUPS Y3, 96(DI)
	ADDQ $8, BX
	ADDQ $128, DI
	DECQ CX
	JNZ  loop32
	JMP  done

loop16:
	MOVQ (BX), AX
	VMOVUPS (SI)(AX*4), Y0
	VMOVUPS 32(SI)(AX*4), Y1
	VMOVUPS Y0, (DI)
	VMOVUPS Y1, 32(DI)
	ADDQ $8, BX
	ADDQ $64, DI
	DECQ CX
	JNZ  loop16

done:
	VZEROUPPER
	RET

// func interleave4x8(dst []int32, src []byte, offs []int, col int, flip uint32)
// Packs len(offs)/4 k groups of one 32-column VNNI micro-panel: for group g
// and column j, dst[32g+j] holds bytes src[offs[4g+t]+col+j] for t = 0..3
// (low byte first), each XORed with the low byte of flip. Uses AVX2 only.
TEXT ·interleave4x8(SB), NOSPLIT, $0-84
	MOVQ dst_base+0(FP), DI
	MOVQ src_base+24(FP), SI
	MOVQ offs_base+48(FP), BX
	MOVQ offs_len+56(FP), CX
	SHRQ $2, CX
	MOVQ col+72(FP), AX
	ADDQ AX, SI
	MOVL flip+80(FP), AX
	MOVD AX, X15
	VPBROADCASTB X15, Y15
	TESTQ CX, CX
	JZ   done

loop:
	MOVQ 0(BX), AX
	VMOVDQU (SI)(AX*1), Y0
	MOVQ 8(BX), AX
	VMOVDQU (SI)(AX*1), Y1
	MOVQ 16(BX), AX
	VMOVDQU (SI)(AX*1), Y2
	MOVQ 24(BX), AX
	VMOVDQU (SI)(AX*1), Y3
	VPXOR Y15, Y0, Y0
	VPXOR Y15, Y1, Y1
	VPXOR Y15, Y2, Y2
	VPXOR Y15, Y3, Y3
	VPUNPCKLBW Y1, Y0, Y4
	VPUNPCKHBW Y1, Y0, Y5
	VPUNPCKLBW Y3, Y2, Y6
	VPUNPCKHBW Y3, Y2, Y7
	VPUNPCKLWD Y6, Y4, Y8
	VPUNPCKHWD Y6, Y4, Y9
	VPUNPCKLWD Y7, Y5, Y10
	VPUNPCKHWD Y7, Y5, Y11
	VPERM2I128 $0x20, Y9, Y8, Y12
	VPERM2I128 $0x20, Y11, Y10, Y13
	VPERM2I128 $0x31, Y9, Y8, Y14
	VPERM2I128 $0x31, Y11, Y10, Y0
	VMOVDQU Y12, 0(DI)
	VMOVDQU Y13, 32(DI)
	VMOVDQU Y14, 64(DI)
	VMOVDQU Y0, 96(DI)
	ADDQ $32, BX
	ADDQ $128, DI
	DECQ CX
	JNZ  loop

done:
	VZEROUPPER
	RET

// func gather2F32(dst, src []float32) int
// dst[j] = src[2j] for j < n, n = min(len(dst), (len(src)-1)/2 - 7) rounded
// down to a multiple of 8 (full 16-float loads only); returns n. AVX2.
TEXT ·gather2F32(SB), NOSPLIT, $0-56
	MOVQ dst_base+0(FP), DI
	MOVQ dst_len+8(FP), CX
	MOVQ src_base+24(FP), SI
	MOVQ src_len+32(FP), DX
	SHRQ $1, DX              // src pairs available
	CMPQ DX, CX
	CMOVQLT DX, CX
	SHRQ $3, CX              // blocks of 8 outputs (16 inputs)
	MOVQ CX, AX
	SHLQ $3, AX
	MOVQ AX, ret+48(FP)
	TESTQ CX, CX
	JZ   g2fdone
g2floop:
	VMOVUPS (SI), Y0
	VMOVUPS 32(SI), Y1
	VSHUFPS $0x88, Y1, Y0, Y2
	VPERMPD $0xD8, Y2, Y2
	VMOVUPS Y2, (DI)
	ADDQ $64, SI
	ADDQ $32, DI
	DECQ CX
	JNZ  g2floop
g2fdone:
	VZEROUPPER
	RET

DATA evenBytes<>+0(SB)/8, $0x0e0c0a0806040200
DATA evenBytes<>+8(SB)/8, $0x8080808080808080
DATA evenBytes<>+16(SB)/8, $0x0e0c0a0806040200
DATA evenBytes<>+24(SB)/8, $0x8080808080808080
GLOBL evenBytes<>(SB), RODATA|NOPTR, $32

// func gather2U8(dst, src []byte) int
// dst[j] = src[2j] in blocks of 32, then 16, outputs (all reads in bounds);
// returns how many were written. AVX2.
TEXT ·gather2U8(SB), NOSPLIT, $0-56
	MOVQ dst_base+0(FP), DI
	MOVQ dst_len+8(FP), CX
	MOVQ src_base+24(FP), SI
	MOVQ src_len+32(FP), DX
	SHRQ $1, DX
	CMPQ DX, CX
	CMOVQLT DX, CX
	ANDQ $-16, CX
	MOVQ CX, ret+48(FP)
	TESTQ CX, CX
	JZ   g2bdone
	VMOVDQU evenBytes<>(SB), Y7
	MOVQ CX, DX
	SHRQ $5, CX
	JZ   g2b16
g2bloop:
	VMOVDQU (SI), Y0
	VMOVDQU 32(SI), Y1
	VPSHUFB Y7, Y0, Y0
	VPSHUFB Y7, Y1, Y1
	VPUNPCKLQDQ Y1, Y0, Y2
	VPERMQ $0xD8, Y2, Y2
	VMOVDQU Y2, (DI)
	ADDQ $64, SI
	ADDQ $32, DI
	DECQ CX
	JNZ  g2bloop
g2b16:
	TESTQ $16, DX
	JZ   g2bdone
	VMOVDQU (SI), X0
	VMOVDQU 16(SI), X1
	VPSHUFB X7, X0, X0
	VPSHUFB X7, X1, X1
	VPUNPCKLQDQ X1, X0, X2
	VMOVDQU X2, (DI)
g2bdone:
	VZEROUPPER
	RET

// func dwRowF32(y, x []float32, offs []int, w []float32, bias float32, relu bool) int
// For j in whole blocks of 8 outputs (reads x[offs[t]+j … +8) in bounds by
// the caller's contract): y[j] = bias + Σ_t w[t]·x[offs[t]+j], then ReLU if
// set. Returns how many outputs were written (a multiple of 8). AVX2+FMA.
TEXT ·dwRowF32(SB), NOSPLIT, $0-112
	MOVQ y_base+0(FP), DI
	MOVQ y_len+8(FP), CX
	MOVQ x_base+24(FP), SI
	MOVQ offs_base+48(FP), BX
	MOVQ offs_len+56(FP), R8
	MOVQ w_base+72(FP), R9
	VBROADCASTSS bias+96(FP), Y15
	VXORPS Y14, Y14, Y14
	MOVBLZX relu+100(FP), R11
	ANDQ $-8, CX
	MOVQ CX, ret+104(FP)
	XORQ DX, DX              // j
	// blocks of 32
dw32:
	LEAQ 32(DX), AX
	CMPQ AX, CX
	JGT  dw8
	VMOVAPS Y15, Y0
	VMOVAPS Y15, Y1
	VMOVAPS Y15, Y2
	VMOVAPS Y15, Y3
	XORQ R10, R10
dw32t:
	MOVQ (BX)(R10*8), AX
	ADDQ DX, AX
	VBROADCASTSS (R9)(R10*4), Y4
	VFMADD231PS (SI)(AX*4), Y4, Y0
	VFMADD231PS 32(SI)(AX*4), Y4, Y1
	VFMADD231PS 64(SI)(AX*4), Y4, Y2
	VFMADD231PS 96(SI)(AX*4), Y4, Y3
	INCQ R10
	CMPQ R10, R8
	JLT  dw32t
	TESTQ R11, R11
	JZ   dw32s
	VMAXPS Y0, Y14, Y0
	VMAXPS Y1, Y14, Y1
	VMAXPS Y2, Y14, Y2
	VMAXPS Y3, Y14, Y3
dw32s:
	VMOVUPS Y0, (DI)(DX*4)
	VMOVUPS Y1, 32(DI)(DX*4)
	VMOVUPS Y2, 64(DI)(DX*4)
	VMOVUPS Y3, 96(DI)(DX*4)
	ADDQ $32, DX
	JMP  dw32
dw8:
	CMPQ DX, CX
	JGE  dwdone
	VMOVAPS Y15, Y0
	XORQ R10, R10
dw8t:
	MOVQ (BX)(R10*8), AX
	ADDQ DX, AX
	VBROADCASTSS (R9)(R10*4), Y4
	VFMADD231PS (SI)(AX*4), Y4, Y0
	INCQ R10
	CMPQ R10, R8
	JLT  dw8t
	TESTQ R11, R11
	JZ   dw8s
	VMAXPS Y0, Y14, Y0
dw8s:
	VMOVUPS Y0, (DI)(DX*4)
	ADDQ $8, DX
	JMP  dw8
dwdone:
	VZEROUPPER
	RET

// func maxRowF32(y, x []float32, offs []int) int
// y[j] = max_t x[offs[t]+j] for whole blocks of 8 outputs (reads in bounds by
// the caller's contract); returns how many were written. NaN in any input
// gives NaN. AVX.
TEXT ·maxRowF32(SB), NOSPLIT, $0-80
	MOVQ y_base+0(FP), DI
	MOVQ y_len+8(FP), CX
	MOVQ x_base+24(FP), SI
	MOVQ offs_base+48(FP), BX
	MOVQ offs_len+56(FP), R8
	ANDQ $-8, CX
	MOVQ CX, ret+72(FP)
	XORQ DX, DX
mx32:
	LEAQ 32(DX), AX
	CMPQ AX, CX
	JGT  mx8
	MOVQ (BX), AX
	ADDQ DX, AX
	VMOVUPS (SI)(AX*4), Y0
	VMOVUPS 32(SI)(AX*4), Y1
	VMOVUPS 64(SI)(AX*4), Y2
	VMOVUPS 96(SI)(AX*4), Y3
	MOVQ $1, R10
mx32t:
	CMPQ R10, R8
	JGE  mx32s
	MOVQ (BX)(R10*8), AX
	ADDQ DX, AX
	VMAXPS (SI)(AX*4), Y0, Y0
	VMAXPS 32(SI)(AX*4), Y1, Y1
	VMAXPS 64(SI)(AX*4), Y2, Y2
	VMAXPS 96(SI)(AX*4), Y3, Y3
	INCQ R10
	JMP  mx32t
mx32s:
	VMOVUPS Y0, (DI)(DX*4)
	VMOVUPS Y1, 32(DI)(DX*4)
	VMOVUPS Y2, 64(DI)(DX*4)
	VMOVUPS Y3, 96(DI)(DX*4)
	ADDQ $32, DX
	JMP  mx32
mx8:
	CMPQ DX, CX
	JGE  mxdone
	MOVQ (BX), AX
	ADDQ DX, AX
	VMOVUPS (SI)(AX*4), Y0
	MOVQ $1, R10
mx8t:
	CMPQ R10, R8
	JGE  mx8s
	MOVQ (BX)(R10*8), AX
	ADDQ DX, AX
	VMAXPS (SI)(AX*4), Y0, Y0
	INCQ R10
	JMP  mx8t
mx8s:
	VMOVUPS Y0, (DI)(DX*4)
	ADDQ $8, DX
	JMP  mx8
mxdone:
	VZEROUPPER
	RET

// func dotF32(x, y []float32) float32
// Σ x[i]·y[i] over len(x) (len(y) ≥ len(x)), 32 per step in four
// accumulators, then 8, then scalar. AVX2+FMA.
TEXT ·dotF32(SB), NOSPLIT, $0-52
	MOVQ x_base+0(FP), SI
	MOVQ x_len+8(FP), CX
	MOVQ y_base+24(FP), DI
	VXORPS Y0, Y0, Y0
	VXORPS Y1, Y1, Y1
	VXORPS Y2, Y2, Y2
	VXORPS Y3, Y3, Y3
	XORQ DX, DX
dot32:
	LEAQ 32(DX), AX
	CMPQ AX, CX
	JGT  dot8
	VMOVUPS (SI)(DX*4), Y4
	VMOVUPS 32(SI)(DX*4), Y5
	VMOVUPS 64(SI)(DX*4), Y6
	VMOVUPS 96(SI)(DX*4), Y7
	VFMADD231PS (DI)(DX*4), Y4, Y0
	VFMADD231PS 32(DI)(DX*4), Y5, Y1
	VFMADD231PS 64(DI)(DX*4), Y6, Y2
	VFMADD231PS 96(DI)(DX*4), Y7, Y3
	MOVQ AX, DX
	JMP  dot32
dot8:
	LEAQ 8(DX), AX
	CMPQ AX, CX
	JGT  dotred
	VMOVUPS (SI)(DX*4), Y4
	VFMADD231PS (DI)(DX*4), Y4, Y0
	MOVQ AX, DX
	JMP  dot8
dotred:
	VADDPS Y1, Y0, Y0
	VADDPS Y3, Y2, Y2
	VADDPS Y2, Y0, Y0
	VEXTRACTF128 $1, Y0, X1
	VADDPS X1, X0, X0
	VHADDPS X0, X0, X0
	VHADDPS X0, X0, X0
dot1:
	CMPQ DX, CX
	JGE  dotdone
	VMOVSS (SI)(DX*4), X4
	VFMADD231SS (DI)(DX*4), X4, X0
	INCQ DX
	JMP  dot1
dotdone:
	VMOVSS X0, ret+48(FP)
	VZEROUPPER
	RET

// func axpyF32(y, x []float32, a float32)
// y[i] += a·x[i] over len(y) (len(x) ≥ len(y)). AVX2+FMA.
TEXT ·axpyF32(SB), NOSPLIT, $0-52
	MOVQ y_base+0(FP), DI
	MOVQ y_len+8(FP), CX
	MOVQ x_base+24(FP), SI
	VBROADCASTSS a+48(FP), Y15
	XORQ DX, DX
ax32:
	LEAQ 32(DX), AX
	CMPQ AX, CX
	JGT  ax8
	VMOVUPS (DI)(DX*4), Y0
	VMOVUPS 32(DI)(DX*4), Y1
	VMOVUPS 64(DI)(DX*4), Y2
	VMOVUPS 96(DI)(DX*4), Y3
	VFMADD231PS (SI)(DX*4), Y15, Y0
	VFMADD231PS 32(SI)(DX*4), Y15, Y1
	VFMADD231PS 64(SI)(DX*4), Y15, Y2
	VFMADD231PS 96(SI)(DX*4), Y15, Y3
	VMOVUPS Y0, (DI)(DX*4)
	VMOVUPS Y1, 32(DI)(DX*4)
	VMOVUPS Y2, 64(DI)(DX*4)
	VMOVUPS Y3, 96(DI)(DX*4)
	MOVQ AX, DX
	JMP  ax32
ax8:
	LEAQ 8(DX), AX
	CMPQ AX, CX
	JGT  ax1
	VMOVUPS (DI)(DX*4), Y0
	VFMADD231PS (SI)(DX*4), Y15, Y0
	VMOVUPS Y0, (DI)(DX*4)
	MOVQ AX, DX
	JMP  ax8
ax1:
	CMPQ DX, CX
	JGE  axdone
	VMOVSS (DI)(DX*4), X0
	VFMADD231SS (SI)(DX*4), X15, X0
	VMOVSS X0, (DI)(DX*4)
	INCQ DX
	JMP  ax1
axdone:
	VZEROUPPER
	RET

// func reluF32(y, x []float32)
// y[i] = max(x[i], 0) over len(y) (NaN stays NaN). AVX.
TEXT ·reluF32(SB), NOSPLIT, $0-48
	MOVQ y_base+0(FP), DI
	MOVQ y_len+8(FP), CX
	MOVQ x_base+24(FP), SI
	VXORPS Y15, Y15, Y15
	XORQ DX, DX
re32:
	LEAQ 32(DX), AX
	CMPQ AX, CX
	JGT  re1
	VMAXPS (SI)(DX*4), Y15, Y0
	VMAXPS 32(SI)(DX*4), Y15, Y1
	VMAXPS 64(SI)(DX*4), Y15, Y2
	VMAXPS 96(SI)(DX*4), Y15, Y3
	VMOVUPS Y0, (DI)(DX*4)
	VMOVUPS Y1, 32(DI)(DX*4)
	VMOVUPS Y2, 64(DI)(DX*4)
	VMOVUPS Y3, 96(DI)(DX*4)
	MOVQ AX, DX
	JMP  re32
re1:
	CMPQ DX, CX
	JGE  redone
	VMOVSS (SI)(DX*4), X0
	VMAXSS X0, X15, X0
	VMOVSS X0, (DI)(DX*4)
	INCQ DX
	JMP  re1
redone:
	VZEROUPPER
	RET

// func transpose8F32(dst unsafe.Pointer, dstStride int, src unsafe.Pointer, srcStride int)
// dst[t*dstStride+i] = src[i*srcStride+t] for i, t < 8 (strides in floats). AVX.
TEXT ·transpose8F32(SB), NOSPLIT, $0-32
	MOVQ dst+0(FP), DI
	MOVQ dstStride+8(FP), DX
	SHLQ $2, DX
	MOVQ src+16(FP), SI
	MOVQ srcStride+24(FP), CX
	SHLQ $2, CX
	LEAQ (CX)(CX*2), AX      // 3·stride
	VMOVUPS (SI), Y0
	VMOVUPS (SI)(CX*1), Y1
	VMOVUPS (SI)(CX*2), Y2
	VMOVUPS (SI)(AX*1), Y3
	LEAQ (SI)(CX*4), SI
	VMOVUPS (SI), Y4
	VMOVUPS (SI)(CX*1), Y5
	VMOVUPS (SI)(CX*2), Y6
	VMOVUPS (SI)(AX*1), Y7
	VUNPCKLPS Y1, Y0, Y8
	VUNPCKHPS Y1, Y0, Y9
	VUNPCKLPS Y3, Y2, Y10
	VUNPCKHPS Y3, Y2, Y11
	VUNPCKLPS Y5, Y4, Y12
	VUNPCKHPS Y5, Y4, Y13
	VUNPCKLPS Y7, Y6, Y14
	VUNPCKHPS Y7, Y6, Y15
	VSHUFPS $0x44, Y10, Y8, Y0
	VSHUFPS $0xEE, Y10, Y8, Y1
	VSHUFPS $0x44, Y11, Y9, Y2
	VSHUFPS $0xEE, Y11, Y9, Y3
	VSHUFPS $0x44, Y14, Y12, Y4
	VSHUFPS $0xEE, Y14, Y12, Y5
	VSHUFPS $0x44, Y15, Y13, Y6
	VSHUFPS $0xEE, Y15, Y13, Y7
	VPERM2F128 $0x20, Y4, Y0, Y8
	VPERM2F128 $0x20, Y5, Y1, Y9
	VPERM2F128 $0x20, Y6, Y2, Y10
	VPERM2F128 $0x20, Y7, Y3, Y11
	VPERM2F128 $0x31, Y4, Y0, Y12
	VPERM2F128 $0x31, Y5, Y1, Y13
	VPERM2F128 $0x31, Y6, Y2, Y14
	VPERM2F128 $0x31, Y7, Y3, Y15
	LEAQ (DX)(DX*2), AX
	VMOVUPS Y8, (DI)
	VMOVUPS Y9, (DI)(DX*1)
	VMOVUPS Y10, (DI)(DX*2)
	VMOVUPS Y11, (DI)(AX*1)
	LEAQ (DI)(DX*4), DI
	VMOVUPS Y12, (DI)
	VMOVUPS Y13, (DI)(DX*1)
	VMOVUPS Y14, (DI)(DX*2)
	VMOVUPS Y15, (DI)(AX*1)
	VZEROUPPER
	RET

// func deinterleaveF32(even, odd, src []float32) int
// even[j] = src[2j], odd[j] = src[2j+1] for j in whole blocks of 8 with
// 2j+15 < len(src) and j < len(even), len(odd); returns how many. AVX2.
TEXT ·deinterleaveF32(SB), NOSPLIT, $0-80
	MOVQ even_base+0(FP), DI
	MOVQ even_len+8(FP), CX
	MOVQ odd_base+24(FP), R8
	MOVQ odd_len+32(FP), DX
	CMPQ DX, CX
	CMOVQLT DX, CX
	MOVQ src_base+48(FP), SI
	MOVQ src_len+56(FP), DX
	SHRQ $1, DX
	CMPQ DX, CX
	CMOVQLT DX, CX
	SHRQ $3, CX
	MOVQ CX, AX
	SHLQ $3, AX
	MOVQ AX, ret+72(FP)
	TESTQ CX, CX
	JZ   dedone
deloop:
	VMOVUPS (SI), Y0
	VMOVUPS 32(SI), Y1
	VSHUFPS $0x88, Y1, Y0, Y2
	VSHUFPS $0xDD, Y1, Y0, Y3
	VPERMPD $0xD8, Y2, Y2
	VPERMPD $0xD8, Y3, Y3
	VMOVUPS Y2, (DI)
	VMOVUPS Y3, (R8)
	ADDQ $64, SI
	ADDQ $32, DI
	ADDQ $32, R8
	DECQ CX
	JNZ  deloop
dedone:
	VZEROUPPER
	RET
