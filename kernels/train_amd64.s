//go:build amd64

#include "textflag.h"

// Elementwise loops of training (ReLU and batch-norm passes); AVX2+FMA.
// Loops that write return the prefix they did (whole blocks of 8); the Go
// wrappers in train.go finish the tails. Reductions do everything.

// func reluGradF32(dx, dy, x []float32) int
// dx[i] = dy[i] where x[i] > 0, else 0, for the largest multiple of 8 ≤ len(dx).
TEXT ·reluGradF32(SB), NOSPLIT, $0-80
	MOVQ dx_base+0(FP), DI
	MOVQ dx_len+8(FP), CX
	MOVQ dy_base+24(FP), SI
	MOVQ x_base+48(FP), BX
	ANDQ $-8, CX
	MOVQ CX, ret+72(FP)
	VXORPS Y15, Y15, Y15
	XORQ DX, DX
rg32:
	LEAQ 32(DX), AX
	CMPQ AX, CX
	JGT  rg8
	VCMPPS $0x01, (BX)(DX*4), Y15, Y0 // 0 < x (false for NaN)
	VCMPPS $0x01, 32(BX)(DX*4), Y15, Y1
	VCMPPS $0x01, 64(BX)(DX*4), Y15, Y2
	VCMPPS $0x01, 96(BX)(DX*4), Y15, Y3
	VANDPS (SI)(DX*4), Y0, Y0
	VANDPS 32(SI)(DX*4), Y1, Y1
	VANDPS 64(SI)(DX*4), Y2, Y2
	VANDPS 96(SI)(DX*4), Y3, Y3
	VMOVUPS Y0, (DI)(DX*4)
	VMOVUPS Y1, 32(DI)(DX*4)
	VMOVUPS Y2, 64(DI)(DX*4)
	VMOVUPS Y3, 96(DI)(DX*4)
	MOVQ AX, DX
	JMP  rg32
rg8:
	CMPQ DX, CX
	JGE  rgdone
	VCMPPS $0x01, (BX)(DX*4), Y15, Y0
	VANDPS (SI)(DX*4), Y0, Y0
	VMOVUPS Y0, (DI)(DX*4)
	ADDQ $8, DX
	JMP  rg8
rgdone:
	VZEROUPPER
	RET

// func sumF32(x []float32) float32
// Σ x[i], in four 8-lane accumulators.
TEXT ·sumF32(SB), NOSPLIT, $0-28
	MOVQ x_base+0(FP), SI
	MOVQ x_len+8(FP), CX
	VXORPS Y0, Y0, Y0
	VXORPS Y1, Y1, Y1
	VXORPS Y2, Y2, Y2
	VXORPS Y3, Y3, Y3
	XORQ DX, DX
su32:
	LEAQ 32(DX), AX
	CMPQ AX, CX
	JGT  su8
	VADDPS (SI)(DX*4), Y0, Y0
	VADDPS 32(SI)(DX*4), Y1, Y1
	VADDPS 64(SI)(DX*4), Y2, Y2
	VADDPS 96(SI)(DX*4), Y3, Y3
	MOVQ AX, DX
	JMP  su32
su8:
	LEAQ 8(DX), AX
	CMPQ AX, CX
	JGT  sured
	VADDPS (SI)(DX*4), Y0, Y0
	MOVQ AX, DX
	JMP  su8
sured:
	VADDPS Y1, Y0, Y0
	VADDPS Y3, Y2, Y2
	VADDPS Y2, Y0, Y0
	VEXTRACTF128 $1, Y0, X1
	VADDPS X1, X0, X0
	VHADDPS X0, X0, X0
	VHADDPS X0, X0, X0
su1:
	CMPQ DX, CX
	JGE  sudone
	VADDSS (SI)(DX*4), X0, X0
	INCQ DX
	JMP  su1
sudone:
	VMOVSS X0, ret+24(FP)
	VZEROUPPER
	RET

// func sumSqDevF32(x []float32, m float32) float32
// Σ (x[i]−m)² (computed as (m−x[i])²).
TEXT ·sumSqDevF32(SB), NOSPLIT, $0-36
	MOVQ x_base+0(FP), SI
	MOVQ x_len+8(FP), CX
	VBROADCASTSS m+24(FP), Y15
	VXORPS Y0, Y0, Y0
	VXORPS Y1, Y1, Y1
	VXORPS Y2, Y2, Y2
	VXORPS Y3, Y3, Y3
	XORQ DX, DX
sq32:
	LEAQ 32(DX), AX
	CMPQ AX, CX
	JGT  sq8
	VSUBPS (SI)(DX*4), Y15, Y4
	VSUBPS 32(SI)(DX*4), Y15, Y5
	VSUBPS 64(SI)(DX*4), Y15, Y6
	VSUBPS 96(SI)(DX*4), Y15, Y7
	VFMADD231PS Y4, Y4, Y0
	VFMADD231PS Y5, Y5, Y1
	VFMADD231PS Y6, Y6, Y2
	VFMADD231PS Y7, Y7, Y3
	MOVQ AX, DX
	JMP  sq32
sq8:
	LEAQ 8(DX), AX
	CMPQ AX, CX
	JGT  sqred
	VSUBPS (SI)(DX*4), Y15, Y4
	VFMADD231PS Y4, Y4, Y0
	MOVQ AX, DX
	JMP  sq8
sqred:
	VADDPS Y1, Y0, Y0
	VADDPS Y3, Y2, Y2
	VADDPS Y2, Y0, Y0
	VEXTRACTF128 $1, Y0, X1
	VADDPS X1, X0, X0
	VHADDPS X0, X0, X0
	VHADDPS X0, X0, X0
sq1:
	CMPQ DX, CX
	JGE  sqdone
	VMOVSS (SI)(DX*4), X4
	VSUBSS X15, X4, X4
	VFMADD231SS X4, X4, X0
	INCQ DX
	JMP  sq1
sqdone:
	VMOVSS X0, ret+32(FP)
	VZEROUPPER
	RET

// func sumDevDotF32(dy, x []float32, m float32) (s, d float32)
// s = Σ dy[i], d = Σ dy[i]·(x[i]−m) over len(dy) (len(x) ≥ len(dy)).
TEXT ·sumDevDotF32(SB), NOSPLIT, $0-64
	MOVQ dy_base+0(FP), SI
	MOVQ dy_len+8(FP), CX
	MOVQ x_base+24(FP), BX
	VBROADCASTSS m+48(FP), Y15
	VXORPS Y0, Y0, Y0
	VXORPS Y1, Y1, Y1
	VXORPS Y2, Y2, Y2
	VXORPS Y3, Y3, Y3
	XORQ DX, DX
dd16:
	LEAQ 16(DX), AX
	CMPQ AX, CX
	JGT  dd8
	VMOVUPS (SI)(DX*4), Y4
	VMOVUPS 32(SI)(DX*4), Y5
	VMOVUPS (BX)(DX*4), Y6
	VMOVUPS 32(BX)(DX*4), Y7
	VSUBPS Y15, Y6, Y6
	VSUBPS Y15, Y7, Y7
	VADDPS Y4, Y0, Y0
	VADDPS Y5, Y1, Y1
	VFMADD231PS Y6, Y4, Y2
	VFMADD231PS Y7, Y5, Y3
	MOVQ AX, DX
	JMP  dd16
dd8:
	LEAQ 8(DX), AX
	CMPQ AX, CX
	JGT  ddred
	VMOVUPS (SI)(DX*4), Y4
	VMOVUPS (BX)(DX*4), Y6
	VSUBPS Y15, Y6, Y6
	VADDPS Y4, Y0, Y0
	VFMADD231PS Y6, Y4, Y2
	MOVQ AX, DX
	JMP  dd8
ddred:
	VADDPS Y1, Y0, Y0
	VADDPS Y3, Y2, Y2
	VEXTRACTF128 $1, Y0, X1
	VADDPS X1, X0, X0
	VHADDPS X0, X0, X0
	VHADDPS X0, X0, X0
	VEXTRACTF128 $1, Y2, X3
	VADDPS X3, X2, X2
	VHADDPS X2, X2, X2
	VHADDPS X2, X2, X2
dd1:
	CMPQ DX, CX
	JGE  dddone
	VMOVSS (SI)(DX*4), X4
	VMOVSS (BX)(DX*4), X6
	VSUBSS X15, X6, X6
	VADDSS X4, X0, X0
	VFMADD231SS X6, X4, X2
	INCQ DX
	JMP  dd1
dddone:
	VMOVSS X0, s+56(FP)
	VMOVSS X2, d+60(FP)
	VZEROUPPER
	RET

// func affineF32(y, x []float32, a, b float32) int
// y[i] = a·x[i] + b for the largest multiple of 8 ≤ len(y).
TEXT ·affineF32(SB), NOSPLIT, $0-64
	MOVQ y_base+0(FP), DI
	MOVQ y_len+8(FP), CX
	MOVQ x_base+24(FP), SI
	VBROADCASTSS a+48(FP), Y14
	VBROADCASTSS b+52(FP), Y15
	ANDQ $-8, CX
	MOVQ CX, ret+56(FP)
	XORQ DX, DX
af32:
	LEAQ 32(DX), AX
	CMPQ AX, CX
	JGT  af8
	VMOVUPS Y15, Y0
	VMOVUPS Y15, Y1
	VMOVUPS Y15, Y2
	VMOVUPS Y15, Y3
	VFMADD231PS (SI)(DX*4), Y14, Y0
	VFMADD231PS 32(SI)(DX*4), Y14, Y1
	VFMADD231PS 64(SI)(DX*4), Y14, Y2
	VFMADD231PS 96(SI)(DX*4), Y14, Y3
	VMOVUPS Y0, (DI)(DX*4)
	VMOVUPS Y1, 32(DI)(DX*4)
	VMOVUPS Y2, 64(DI)(DX*4)
	VMOVUPS Y3, 96(DI)(DX*4)
	MOVQ AX, DX
	JMP  af32
af8:
	CMPQ DX, CX
	JGE  afdone
	VMOVUPS Y15, Y0
	VFMADD231PS (SI)(DX*4), Y14, Y0
	VMOVUPS Y0, (DI)(DX*4)
	ADDQ $8, DX
	JMP  af8
afdone:
	VZEROUPPER
	RET

// func affine2F32(y, u, v []float32, a, b, c float32) int
// y[i] = a·u[i] + b·v[i] + c for the largest multiple of 8 ≤ len(y).
TEXT ·affine2F32(SB), NOSPLIT, $0-96
	MOVQ y_base+0(FP), DI
	MOVQ y_len+8(FP), CX
	MOVQ u_base+24(FP), SI
	MOVQ v_base+48(FP), BX
	VBROADCASTSS a+72(FP), Y13
	VBROADCASTSS b+76(FP), Y14
	VBROADCASTSS c+80(FP), Y15
	ANDQ $-8, CX
	MOVQ CX, ret+88(FP)
	XORQ DX, DX
a232:
	LEAQ 32(DX), AX
	CMPQ AX, CX
	JGT  a28
	VMOVUPS Y15, Y0
	VMOVUPS Y15, Y1
	VMOVUPS Y15, Y2
	VMOVUPS Y15, Y3
	VFMADD231PS (SI)(DX*4), Y13, Y0
	VFMADD231PS 32(SI)(DX*4), Y13, Y1
	VFMADD231PS 64(SI)(DX*4), Y13, Y2
	VFMADD231PS 96(SI)(DX*4), Y13, Y3
	VFMADD231PS (BX)(DX*4), Y14, Y0
	VFMADD231PS 32(BX)(DX*4), Y14, Y1
	VFMADD231PS 64(BX)(DX*4), Y14, Y2
	VFMADD231PS 96(BX)(DX*4), Y14, Y3
	VMOVUPS Y0, (DI)(DX*4)
	VMOVUPS Y1, 32(DI)(DX*4)
	VMOVUPS Y2, 64(DI)(DX*4)
	VMOVUPS Y3, 96(DI)(DX*4)
	MOVQ AX, DX
	JMP  a232
a28:
	CMPQ DX, CX
	JGE  a2done
	VMOVUPS Y15, Y0
	VFMADD231PS (SI)(DX*4), Y13, Y0
	VFMADD231PS (BX)(DX*4), Y14, Y0
	VMOVUPS Y0, (DI)(DX*4)
	ADDQ $8, DX
	JMP  a28
a2done:
	VZEROUPPER
	RET

// func padRowsF32(dst, src []float32, rows, w, ld int)
// For r < rows: dst[r·ld : r·ld+w] = src[r·w : r·w+w], then zeros from
// r·ld+w, 8 at a time, to at least (r+1)·ld — up to 7 more, into the next
// row, which that row's own copy overwrites. Rows shorter than 8 are copied
// as 8 values (reading into the next source row) whose extra ones the
// zeros then overwrite. Every access must be in bounds (the caller checks).
// AVX.
TEXT ·padRowsF32(SB), NOSPLIT, $0-72
	MOVQ dst_base+0(FP), DI
	MOVQ src_base+24(FP), SI
	MOVQ rows+48(FP), CX
	MOVQ w+56(FP), R10
	SHLQ $2, R10 // w in bytes
	MOVQ ld+64(FP), R8
	SHLQ $2, R8  // ld in bytes
	MOVQ R10, R9
	SUBQ $32, R9 // the row's last 8-wide chunk (the first one if w < 8)
	XORQ AX, AX
	CMPQ R9, AX
	CMOVQLT AX, R9
	VXORPS Y15, Y15, Y15
	TESTQ CX, CX
	JZ   prdone
prrow:
	XORQ AX, AX
prcp:
	CMPQ AX, R9
	JGE  prlast
	VMOVUPS (SI)(AX*1), Y0
	VMOVUPS Y0, (DI)(AX*1)
	ADDQ $32, AX
	JMP  prcp
prlast:
	VMOVUPS (SI)(R9*1), Y0
	VMOVUPS Y0, (DI)(R9*1)
	MOVQ R10, AX
przero:
	CMPQ AX, R8
	JGE  prnext
	VMOVUPS Y15, (DI)(AX*1)
	ADDQ $32, AX
	JMP  przero
prnext:
	ADDQ R10, SI
	ADDQ R8, DI
	DECQ CX
	JNZ  prrow
prdone:
	VZEROUPPER
	RET

// func affineReluF32(y, x []float32, a, b float32) int
// y[i] = max(a·x[i] + b, 0) for the largest multiple of 8 ≤ len(y).
TEXT ·affineReluF32(SB), NOSPLIT, $0-64
	MOVQ y_base+0(FP), DI
	MOVQ y_len+8(FP), CX
	MOVQ x_base+24(FP), SI
	VBROADCASTSS a+48(FP), Y14
	VBROADCASTSS b+52(FP), Y15
	VXORPS Y13, Y13, Y13
	ANDQ $-8, CX
	MOVQ CX, ret+56(FP)
	XORQ DX, DX
ar32:
	LEAQ 32(DX), AX
	CMPQ AX, CX
	JGT  ar8
	VMOVUPS Y15, Y0
	VMOVUPS Y15, Y1
	VMOVUPS Y15, Y2
	VMOVUPS Y15, Y3
	VFMADD231PS (SI)(DX*4), Y14, Y0
	VFMADD231PS 32(SI)(DX*4), Y14, Y1
	VFMADD231PS 64(SI)(DX*4), Y14, Y2
	VFMADD231PS 96(SI)(DX*4), Y14, Y3
	VMAXPS Y0, Y13, Y0 // max(0, v): NaN stays NaN, as ReLU
	VMAXPS Y1, Y13, Y1 // max(0, v): NaN stays NaN, as ReLU
	VMAXPS Y2, Y13, Y2 // max(0, v): NaN stays NaN, as ReLU
	VMAXPS Y3, Y13, Y3 // max(0, v): NaN stays NaN, as ReLU
	VMOVUPS Y0, (DI)(DX*4)
	VMOVUPS Y1, 32(DI)(DX*4)
	VMOVUPS Y2, 64(DI)(DX*4)
	VMOVUPS Y3, 96(DI)(DX*4)
	MOVQ AX, DX
	JMP  ar32
ar8:
	CMPQ DX, CX
	JGE  ardone
	VMOVUPS Y15, Y0
	VFMADD231PS (SI)(DX*4), Y14, Y0
	VMAXPS Y0, Y13, Y0 // max(0, v): NaN stays NaN, as ReLU
	VMOVUPS Y0, (DI)(DX*4)
	ADDQ $8, DX
	JMP  ar8
ardone:
	VZEROUPPER
	RET

// func addF32(y, a, b []float32, relu bool) int
// y[i] = a[i] + b[i], then max(·, 0) when relu is set, for the largest
// multiple of 8 ≤ len(y).
TEXT ·addF32(SB), NOSPLIT, $0-88
	MOVQ y_base+0(FP), DI
	MOVQ y_len+8(FP), CX
	MOVQ a_base+24(FP), SI
	MOVQ b_base+48(FP), BX
	MOVBLZX relu+72(FP), R8
	ANDQ $-8, CX
	MOVQ CX, ret+80(FP)
	VXORPS Y13, Y13, Y13
	XORQ DX, DX
	TESTQ R8, R8
	JNZ  adr32
ad32:
	LEAQ 32(DX), AX
	CMPQ AX, CX
	JGT  ad8
	VMOVUPS (SI)(DX*4), Y0
	VMOVUPS 32(SI)(DX*4), Y1
	VMOVUPS 64(SI)(DX*4), Y2
	VMOVUPS 96(SI)(DX*4), Y3
	VADDPS (BX)(DX*4), Y0, Y0
	VADDPS 32(BX)(DX*4), Y1, Y1
	VADDPS 64(BX)(DX*4), Y2, Y2
	VADDPS 96(BX)(DX*4), Y3, Y3
	VMOVUPS Y0, (DI)(DX*4)
	VMOVUPS Y1, 32(DI)(DX*4)
	VMOVUPS Y2, 64(DI)(DX*4)
	VMOVUPS Y3, 96(DI)(DX*4)
	MOVQ AX, DX
	JMP  ad32
ad8:
	CMPQ DX, CX
	JGE  addone
	VMOVUPS (SI)(DX*4), Y0
	VADDPS (BX)(DX*4), Y0, Y0
	VMOVUPS Y0, (DI)(DX*4)
	ADDQ $8, DX
	JMP  ad8
adr32:
	LEAQ 32(DX), AX
	CMPQ AX, CX
	JGT  adr8
	VMOVUPS (SI)(DX*4), Y0
	VMOVUPS 32(SI)(DX*4), Y1
	VMOVUPS 64(SI)(DX*4), Y2
	VMOVUPS 96(SI)(DX*4), Y3
	VADDPS (BX)(DX*4), Y0, Y0
	VADDPS 32(BX)(DX*4), Y1, Y1
	VADDPS 64(BX)(DX*4), Y2, Y2
	VADDPS 96(BX)(DX*4), Y3, Y3
	VMAXPS Y0, Y13, Y0 // max(0, v): NaN stays NaN, as ReLU
	VMAXPS Y1, Y13, Y1 // max(0, v): NaN stays NaN, as ReLU
	VMAXPS Y2, Y13, Y2 // max(0, v): NaN stays NaN, as ReLU
	VMAXPS Y3, Y13, Y3 // max(0, v): NaN stays NaN, as ReLU
	VMOVUPS Y0, (DI)(DX*4)
	VMOVUPS Y1, 32(DI)(DX*4)
	VMOVUPS Y2, 64(DI)(DX*4)
	VMOVUPS Y3, 96(DI)(DX*4)
	MOVQ AX, DX
	JMP  adr32
adr8:
	CMPQ DX, CX
	JGE  addone
	VMOVUPS (SI)(DX*4), Y0
	VADDPS (BX)(DX*4), Y0, Y0
	VMAXPS Y0, Y13, Y0 // max(0, v): NaN stays NaN, as ReLU
	VMOVUPS Y0, (DI)(DX*4)
	ADDQ $8, DX
	JMP  adr8
addone:
	VZEROUPPER
	RET

// func sumDevDotMaskF32(dy, y, x []float32, m float32) (s, d float32)
// With g = dy[i] where y[i] > 0 and 0 elsewhere (ReLU's backward through
// its output y): s = Σ g, d = Σ g·(x[i]−m) over len(dy).
TEXT ·sumDevDotMaskF32(SB), NOSPLIT, $0-88
	MOVQ dy_base+0(FP), SI
	MOVQ dy_len+8(FP), CX
	MOVQ y_base+24(FP), R8
	MOVQ x_base+48(FP), BX
	VBROADCASTSS m+72(FP), Y15
	VXORPS Y14, Y14, Y14
	VXORPS Y0, Y0, Y0
	VXORPS Y1, Y1, Y1
	VXORPS Y2, Y2, Y2
	VXORPS Y3, Y3, Y3
	XORQ DX, DX
dm16:
	LEAQ 16(DX), AX
	CMPQ AX, CX
	JGT  dm8
	VCMPPS $0x01, (R8)(DX*4), Y14, Y8 // 0 < y
	VCMPPS $0x01, 32(R8)(DX*4), Y14, Y9
	VANDPS (SI)(DX*4), Y8, Y4
	VANDPS 32(SI)(DX*4), Y9, Y5
	VMOVUPS (BX)(DX*4), Y6
	VMOVUPS 32(BX)(DX*4), Y7
	VSUBPS Y15, Y6, Y6
	VSUBPS Y15, Y7, Y7
	VADDPS Y4, Y0, Y0
	VADDPS Y5, Y1, Y1
	VFMADD231PS Y6, Y4, Y2
	VFMADD231PS Y7, Y5, Y3
	MOVQ AX, DX
	JMP  dm16
dm8:
	LEAQ 8(DX), AX
	CMPQ AX, CX
	JGT  dmred
	VCMPPS $0x01, (R8)(DX*4), Y14, Y8
	VANDPS (SI)(DX*4), Y8, Y4
	VMOVUPS (BX)(DX*4), Y6
	VSUBPS Y15, Y6, Y6
	VADDPS Y4, Y0, Y0
	VFMADD231PS Y6, Y4, Y2
	MOVQ AX, DX
	JMP  dm8
dmred:
	VADDPS Y1, Y0, Y0
	VADDPS Y3, Y2, Y2
	VEXTRACTF128 $1, Y0, X1
	VADDPS X1, X0, X0
	VHADDPS X0, X0, X0
	VHADDPS X0, X0, X0
	VEXTRACTF128 $1, Y2, X3
	VADDPS X3, X2, X2
	VHADDPS X2, X2, X2
	VHADDPS X2, X2, X2
dm1:
	CMPQ DX, CX
	JGE  dmdone
	VMOVSS (R8)(DX*4), X8
	VUCOMISS X14, X8
	JBE  dmskip // y ≤ 0 or NaN: no gradient
	VMOVSS (SI)(DX*4), X4
	VMOVSS (BX)(DX*4), X6
	VSUBSS X15, X6, X6
	VADDSS X4, X0, X0
	VFMADD231SS X6, X4, X2
dmskip:
	INCQ DX
	JMP  dm1
dmdone:
	VMOVSS X0, s+80(FP)
	VMOVSS X2, d+84(FP)
	VZEROUPPER
	RET

// func affine2MaskF32(r, dy, y, x []float32, a, b, c float32) int
// r[i] = a·g + b·x[i] + c with g = dy[i] where y[i] > 0, else 0, for the
// largest multiple of 8 ≤ len(r).
TEXT ·affine2MaskF32(SB), NOSPLIT, $0-120
	MOVQ r_base+0(FP), DI
	MOVQ r_len+8(FP), CX
	MOVQ dy_base+24(FP), SI
	MOVQ y_base+48(FP), R8
	MOVQ x_base+72(FP), BX
	VBROADCASTSS a+96(FP), Y13
	VBROADCASTSS b+100(FP), Y14
	VBROADCASTSS c+104(FP), Y15
	VXORPS Y12, Y12, Y12
	ANDQ $-8, CX
	MOVQ CX, ret+112(FP)
	XORQ DX, DX
am16:
	LEAQ 16(DX), AX
	CMPQ AX, CX
	JGT  am8
	VCMPPS $0x01, (R8)(DX*4), Y12, Y8
	VCMPPS $0x01, 32(R8)(DX*4), Y12, Y9
	VANDPS (SI)(DX*4), Y8, Y4
	VANDPS 32(SI)(DX*4), Y9, Y5
	VMOVUPS Y15, Y0
	VMOVUPS Y15, Y1
	VFMADD231PS Y4, Y13, Y0
	VFMADD231PS Y5, Y13, Y1
	VFMADD231PS (BX)(DX*4), Y14, Y0
	VFMADD231PS 32(BX)(DX*4), Y14, Y1
	VMOVUPS Y0, (DI)(DX*4)
	VMOVUPS Y1, 32(DI)(DX*4)
	MOVQ AX, DX
	JMP  am16
am8:
	CMPQ DX, CX
	JGE  amdone
	VCMPPS $0x01, (R8)(DX*4), Y12, Y8
	VANDPS (SI)(DX*4), Y8, Y4
	VMOVUPS Y15, Y0
	VFMADD231PS Y4, Y13, Y0
	VFMADD231PS (BX)(DX*4), Y14, Y0
	VMOVUPS Y0, (DI)(DX*4)
	ADDQ $8, DX
	JMP  am8
amdone:
	VZEROUPPER
	RET
