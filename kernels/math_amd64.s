//go:build amd64

#include "textflag.h"

// Vectorised e^x, GELU and GELU's derivative (AVX2+FMA), 8 floats at a
// time, with the algorithms of ops' exp32 and erf32: e^x = 2^n·e^r, n the
// nearest integer to x·log2(e) and e^r a degree-6 polynomial; erf by its
// Taylor series below |x| = 0.5 and Numerical Recipes' erfc above (both
// computed, then blended). Loops return the prefix they did (whole blocks
// of 8); the Go wrappers in math.go finish the tails.

// mathc holds every constant eight times, so that it can be a 256-bit
// memory operand: log2(e), ln2 (high, low), 1/720 … 1/2, 1, the exp
// range (88.72, −87.33), +Inf, 0.5, 1/√2, the erf series (2/√π, −1/3,
// 1/10, −1/42, 1/216, −1/1320), the erfc polynomial (10 coefficients),
// 1/√(2π), the abs and sign masks, and the integer exponent bias 127.
DATA mathc<>+0(SB)/4, $0x3fb8aa3b
DATA mathc<>+4(SB)/4, $0x3fb8aa3b
DATA mathc<>+8(SB)/4, $0x3fb8aa3b
DATA mathc<>+12(SB)/4, $0x3fb8aa3b
DATA mathc<>+16(SB)/4, $0x3fb8aa3b
DATA mathc<>+20(SB)/4, $0x3fb8aa3b
DATA mathc<>+24(SB)/4, $0x3fb8aa3b
DATA mathc<>+28(SB)/4, $0x3fb8aa3b
DATA mathc<>+32(SB)/4, $0x3f318000
DATA mathc<>+36(SB)/4, $0x3f318000
DATA mathc<>+40(SB)/4, $0x3f318000
DATA mathc<>+44(SB)/4, $0x3f318000
DATA mathc<>+48(SB)/4, $0x3f318000
DATA mathc<>+52(SB)/4, $0x3f318000
DATA mathc<>+56(SB)/4, $0x3f318000
DATA mathc<>+60(SB)/4, $0x3f318000
DATA mathc<>+64(SB)/4, $0xb95e8083
DATA mathc<>+68(SB)/4, $0xb95e8083
DATA mathc<>+72(SB)/4, $0xb95e8083
DATA mathc<>+76(SB)/4, $0xb95e8083
DATA mathc<>+80(SB)/4, $0xb95e8083
DATA mathc<>+84(SB)/4, $0xb95e8083
DATA mathc<>+88(SB)/4, $0xb95e8083
DATA mathc<>+92(SB)/4, $0xb95e8083
DATA mathc<>+96(SB)/4, $0x3ab60b61
DATA mathc<>+100(SB)/4, $0x3ab60b61
DATA mathc<>+104(SB)/4, $0x3ab60b61
DATA mathc<>+108(SB)/4, $0x3ab60b61
DATA mathc<>+112(SB)/4, $0x3ab60b61
DATA mathc<>+116(SB)/4, $0x3ab60b61
DATA mathc<>+120(SB)/4, $0x3ab60b61
DATA mathc<>+124(SB)/4, $0x3ab60b61
DATA mathc<>+128(SB)/4, $0x3c088889
DATA mathc<>+132(SB)/4, $0x3c088889
DATA mathc<>+136(SB)/4, $0x3c088889
DATA mathc<>+140(SB)/4, $0x3c088889
DATA mathc<>+144(SB)/4, $0x3c088889
DATA mathc<>+148(SB)/4, $0x3c088889
DATA mathc<>+152(SB)/4, $0x3c088889
DATA mathc<>+156(SB)/4, $0x3c088889
DATA mathc<>+160(SB)/4, $0x3d2aaaab
DATA mathc<>+164(SB)/4, $0x3d2aaaab
DATA mathc<>+168(SB)/4, $0x3d2aaaab
DATA mathc<>+172(SB)/4, $0x3d2aaaab
DATA mathc<>+176(SB)/4, $0x3d2aaaab
DATA mathc<>+180(SB)/4, $0x3d2aaaab
DATA mathc<>+184(SB)/4, $0x3d2aaaab
DATA mathc<>+188(SB)/4, $0x3d2aaaab
DATA mathc<>+192(SB)/4, $0x3e2aaaab
DATA mathc<>+196(SB)/4, $0x3e2aaaab
DATA mathc<>+200(SB)/4, $0x3e2aaaab
DATA mathc<>+204(SB)/4, $0x3e2aaaab
DATA mathc<>+208(SB)/4, $0x3e2aaaab
DATA mathc<>+212(SB)/4, $0x3e2aaaab
DATA mathc<>+216(SB)/4, $0x3e2aaaab
DATA mathc<>+220(SB)/4, $0x3e2aaaab
DATA mathc<>+224(SB)/4, $0x3f000000
DATA mathc<>+228(SB)/4, $0x3f000000
DATA mathc<>+232(SB)/4, $0x3f000000
DATA mathc<>+236(SB)/4, $0x3f000000
DATA mathc<>+240(SB)/4, $0x3f000000
DATA mathc<>+244(SB)/4, $0x3f000000
DATA mathc<>+248(SB)/4, $0x3f000000
DATA mathc<>+252(SB)/4, $0x3f000000
DATA mathc<>+256(SB)/4, $0x3f800000
DATA mathc<>+260(SB)/4, $0x3f800000
DATA mathc<>+264(SB)/4, $0x3f800000
DATA mathc<>+268(SB)/4, $0x3f800000
DATA mathc<>+272(SB)/4, $0x3f800000
DATA mathc<>+276(SB)/4, $0x3f800000
DATA mathc<>+280(SB)/4, $0x3f800000
DATA mathc<>+284(SB)/4, $0x3f800000
DATA mathc<>+288(SB)/4, $0x42b170a4
DATA mathc<>+292(SB)/4, $0x42b170a4
DATA mathc<>+296(SB)/4, $0x42b170a4
DATA mathc<>+300(SB)/4, $0x42b170a4
DATA mathc<>+304(SB)/4, $0x42b170a4
DATA mathc<>+308(SB)/4, $0x42b170a4
DATA mathc<>+312(SB)/4, $0x42b170a4
DATA mathc<>+316(SB)/4, $0x42b170a4
DATA mathc<>+320(SB)/4, $0xc2aea8f6
DATA mathc<>+324(SB)/4, $0xc2aea8f6
DATA mathc<>+328(SB)/4, $0xc2aea8f6
DATA mathc<>+332(SB)/4, $0xc2aea8f6
DATA mathc<>+336(SB)/4, $0xc2aea8f6
DATA mathc<>+340(SB)/4, $0xc2aea8f6
DATA mathc<>+344(SB)/4, $0xc2aea8f6
DATA mathc<>+348(SB)/4, $0xc2aea8f6
DATA mathc<>+352(SB)/4, $0x7f800000
DATA mathc<>+356(SB)/4, $0x7f800000
DATA mathc<>+360(SB)/4, $0x7f800000
DATA mathc<>+364(SB)/4, $0x7f800000
DATA mathc<>+368(SB)/4, $0x7f800000
DATA mathc<>+372(SB)/4, $0x7f800000
DATA mathc<>+376(SB)/4, $0x7f800000
DATA mathc<>+380(SB)/4, $0x7f800000
DATA mathc<>+384(SB)/4, $0x3f000000
DATA mathc<>+388(SB)/4, $0x3f000000
DATA mathc<>+392(SB)/4, $0x3f000000
DATA mathc<>+396(SB)/4, $0x3f000000
DATA mathc<>+400(SB)/4, $0x3f000000
DATA mathc<>+404(SB)/4, $0x3f000000
DATA mathc<>+408(SB)/4, $0x3f000000
DATA mathc<>+412(SB)/4, $0x3f000000
DATA mathc<>+416(SB)/4, $0x3f3504f3
DATA mathc<>+420(SB)/4, $0x3f3504f3
DATA mathc<>+424(SB)/4, $0x3f3504f3
DATA mathc<>+428(SB)/4, $0x3f3504f3
DATA mathc<>+432(SB)/4, $0x3f3504f3
DATA mathc<>+436(SB)/4, $0x3f3504f3
DATA mathc<>+440(SB)/4, $0x3f3504f3
DATA mathc<>+444(SB)/4, $0x3f3504f3
DATA mathc<>+448(SB)/4, $0x3f906ebb
DATA mathc<>+452(SB)/4, $0x3f906ebb
DATA mathc<>+456(SB)/4, $0x3f906ebb
DATA mathc<>+460(SB)/4, $0x3f906ebb
DATA mathc<>+464(SB)/4, $0x3f906ebb
DATA mathc<>+468(SB)/4, $0x3f906ebb
DATA mathc<>+472(SB)/4, $0x3f906ebb
DATA mathc<>+476(SB)/4, $0x3f906ebb
DATA mathc<>+480(SB)/4, $0xbeaaaaab
DATA mathc<>+484(SB)/4, $0xbeaaaaab
DATA mathc<>+488(SB)/4, $0xbeaaaaab
DATA mathc<>+492(SB)/4, $0xbeaaaaab
DATA mathc<>+496(SB)/4, $0xbeaaaaab
DATA mathc<>+500(SB)/4, $0xbeaaaaab
DATA mathc<>+504(SB)/4, $0xbeaaaaab
DATA mathc<>+508(SB)/4, $0xbeaaaaab
DATA mathc<>+512(SB)/4, $0x3dcccccd
DATA mathc<>+516(SB)/4, $0x3dcccccd
DATA mathc<>+520(SB)/4, $0x3dcccccd
DATA mathc<>+524(SB)/4, $0x3dcccccd
DATA mathc<>+528(SB)/4, $0x3dcccccd
DATA mathc<>+532(SB)/4, $0x3dcccccd
DATA mathc<>+536(SB)/4, $0x3dcccccd
DATA mathc<>+540(SB)/4, $0x3dcccccd
DATA mathc<>+544(SB)/4, $0xbcc30c31
DATA mathc<>+548(SB)/4, $0xbcc30c31
DATA mathc<>+552(SB)/4, $0xbcc30c31
DATA mathc<>+556(SB)/4, $0xbcc30c31
DATA mathc<>+560(SB)/4, $0xbcc30c31
DATA mathc<>+564(SB)/4, $0xbcc30c31
DATA mathc<>+568(SB)/4, $0xbcc30c31
DATA mathc<>+572(SB)/4, $0xbcc30c31
DATA mathc<>+576(SB)/4, $0x3b97b426
DATA mathc<>+580(SB)/4, $0x3b97b426
DATA mathc<>+584(SB)/4, $0x3b97b426
DATA mathc<>+588(SB)/4, $0x3b97b426
DATA mathc<>+592(SB)/4, $0x3b97b426
DATA mathc<>+596(SB)/4, $0x3b97b426
DATA mathc<>+600(SB)/4, $0x3b97b426
DATA mathc<>+604(SB)/4, $0x3b97b426
DATA mathc<>+608(SB)/4, $0xba46980c
DATA mathc<>+612(SB)/4, $0xba46980c
DATA mathc<>+616(SB)/4, $0xba46980c
DATA mathc<>+620(SB)/4, $0xba46980c
DATA mathc<>+624(SB)/4, $0xba46980c
DATA mathc<>+628(SB)/4, $0xba46980c
DATA mathc<>+632(SB)/4, $0xba46980c
DATA mathc<>+636(SB)/4, $0xba46980c
DATA mathc<>+640(SB)/4, $0xbfa1fc4e
DATA mathc<>+644(SB)/4, $0xbfa1fc4e
DATA mathc<>+648(SB)/4, $0xbfa1fc4e
DATA mathc<>+652(SB)/4, $0xbfa1fc4e
DATA mathc<>+656(SB)/4, $0xbfa1fc4e
DATA mathc<>+660(SB)/4, $0xbfa1fc4e
DATA mathc<>+664(SB)/4, $0xbfa1fc4e
DATA mathc<>+668(SB)/4, $0xbfa1fc4e
DATA mathc<>+672(SB)/4, $0x3f8000c7
DATA mathc<>+676(SB)/4, $0x3f8000c7
DATA mathc<>+680(SB)/4, $0x3f8000c7
DATA mathc<>+684(SB)/4, $0x3f8000c7
DATA mathc<>+688(SB)/4, $0x3f8000c7
DATA mathc<>+692(SB)/4, $0x3f8000c7
DATA mathc<>+696(SB)/4, $0x3f8000c7
DATA mathc<>+700(SB)/4, $0x3f8000c7
DATA mathc<>+704(SB)/4, $0x3ebf88fb
DATA mathc<>+708(SB)/4, $0x3ebf88fb
DATA mathc<>+712(SB)/4, $0x3ebf88fb
DATA mathc<>+716(SB)/4, $0x3ebf88fb
DATA mathc<>+720(SB)/4, $0x3ebf88fb
DATA mathc<>+724(SB)/4, $0x3ebf88fb
DATA mathc<>+728(SB)/4, $0x3ebf88fb
DATA mathc<>+732(SB)/4, $0x3ebf88fb
DATA mathc<>+736(SB)/4, $0x3dc636c9
DATA mathc<>+740(SB)/4, $0x3dc636c9
DATA mathc<>+744(SB)/4, $0x3dc636c9
DATA mathc<>+748(SB)/4, $0x3dc636c9
DATA mathc<>+752(SB)/4, $0x3dc636c9
DATA mathc<>+756(SB)/4, $0x3dc636c9
DATA mathc<>+760(SB)/4, $0x3dc636c9
DATA mathc<>+764(SB)/4, $0x3dc636c9
DATA mathc<>+768(SB)/4, $0xbe3ec24c
DATA mathc<>+772(SB)/4, $0xbe3ec24c
DATA mathc<>+776(SB)/4, $0xbe3ec24c
DATA mathc<>+780(SB)/4, $0xbe3ec24c
DATA mathc<>+784(SB)/4, $0xbe3ec24c
DATA mathc<>+788(SB)/4, $0xbe3ec24c
DATA mathc<>+792(SB)/4, $0xbe3ec24c
DATA mathc<>+796(SB)/4, $0xbe3ec24c
DATA mathc<>+800(SB)/4, $0x3e8ec7cc
DATA mathc<>+804(SB)/4, $0x3e8ec7cc
DATA mathc<>+808(SB)/4, $0x3e8ec7cc
DATA mathc<>+812(SB)/4, $0x3e8ec7cc
DATA mathc<>+816(SB)/4, $0x3e8ec7cc
DATA mathc<>+820(SB)/4, $0x3e8ec7cc
DATA mathc<>+824(SB)/4, $0x3e8ec7cc
DATA mathc<>+828(SB)/4, $0x3e8ec7cc
DATA mathc<>+832(SB)/4, $0xbf914e5d
DATA mathc<>+836(SB)/4, $0xbf914e5d
DATA mathc<>+840(SB)/4, $0xbf914e5d
DATA mathc<>+844(SB)/4, $0xbf914e5d
DATA mathc<>+848(SB)/4, $0xbf914e5d
DATA mathc<>+852(SB)/4, $0xbf914e5d
DATA mathc<>+856(SB)/4, $0xbf914e5d
DATA mathc<>+860(SB)/4, $0xbf914e5d
DATA mathc<>+864(SB)/4, $0x3fbe87b0
DATA mathc<>+868(SB)/4, $0x3fbe87b0
DATA mathc<>+872(SB)/4, $0x3fbe87b0
DATA mathc<>+876(SB)/4, $0x3fbe87b0
DATA mathc<>+880(SB)/4, $0x3fbe87b0
DATA mathc<>+884(SB)/4, $0x3fbe87b0
DATA mathc<>+888(SB)/4, $0x3fbe87b0
DATA mathc<>+892(SB)/4, $0x3fbe87b0
DATA mathc<>+896(SB)/4, $0xbf527892
DATA mathc<>+900(SB)/4, $0xbf527892
DATA mathc<>+904(SB)/4, $0xbf527892
DATA mathc<>+908(SB)/4, $0xbf527892
DATA mathc<>+912(SB)/4, $0xbf527892
DATA mathc<>+916(SB)/4, $0xbf527892
DATA mathc<>+920(SB)/4, $0xbf527892
DATA mathc<>+924(SB)/4, $0xbf527892
DATA mathc<>+928(SB)/4, $0x3e2ef945
DATA mathc<>+932(SB)/4, $0x3e2ef945
DATA mathc<>+936(SB)/4, $0x3e2ef945
DATA mathc<>+940(SB)/4, $0x3e2ef945
DATA mathc<>+944(SB)/4, $0x3e2ef945
DATA mathc<>+948(SB)/4, $0x3e2ef945
DATA mathc<>+952(SB)/4, $0x3e2ef945
DATA mathc<>+956(SB)/4, $0x3e2ef945
DATA mathc<>+960(SB)/4, $0x3ecc422a
DATA mathc<>+964(SB)/4, $0x3ecc422a
DATA mathc<>+968(SB)/4, $0x3ecc422a
DATA mathc<>+972(SB)/4, $0x3ecc422a
DATA mathc<>+976(SB)/4, $0x3ecc422a
DATA mathc<>+980(SB)/4, $0x3ecc422a
DATA mathc<>+984(SB)/4, $0x3ecc422a
DATA mathc<>+988(SB)/4, $0x3ecc422a
DATA mathc<>+992(SB)/4, $0x7fffffff
DATA mathc<>+996(SB)/4, $0x7fffffff
DATA mathc<>+1000(SB)/4, $0x7fffffff
DATA mathc<>+1004(SB)/4, $0x7fffffff
DATA mathc<>+1008(SB)/4, $0x7fffffff
DATA mathc<>+1012(SB)/4, $0x7fffffff
DATA mathc<>+1016(SB)/4, $0x7fffffff
DATA mathc<>+1020(SB)/4, $0x7fffffff
DATA mathc<>+1024(SB)/4, $0x80000000
DATA mathc<>+1028(SB)/4, $0x80000000
DATA mathc<>+1032(SB)/4, $0x80000000
DATA mathc<>+1036(SB)/4, $0x80000000
DATA mathc<>+1040(SB)/4, $0x80000000
DATA mathc<>+1044(SB)/4, $0x80000000
DATA mathc<>+1048(SB)/4, $0x80000000
DATA mathc<>+1052(SB)/4, $0x80000000
DATA mathc<>+1056(SB)/4, $0x0000007f
DATA mathc<>+1060(SB)/4, $0x0000007f
DATA mathc<>+1064(SB)/4, $0x0000007f
DATA mathc<>+1068(SB)/4, $0x0000007f
DATA mathc<>+1072(SB)/4, $0x0000007f
DATA mathc<>+1076(SB)/4, $0x0000007f
DATA mathc<>+1080(SB)/4, $0x0000007f
DATA mathc<>+1084(SB)/4, $0x0000007f
GLOBL mathc<>(SB), RODATA|NOPTR, $1088

// func expShiftF32(y, x []float32, shift float32) int
// y[i] = e^(x[i] − shift) for the largest multiple of 8 ≤ len(y), which it
// returns (exp32's algorithm, rounding n to even).
TEXT ·expShiftF32(SB), NOSPLIT, $0-64
	MOVQ y_base+0(FP), DI
	MOVQ y_len+8(FP), CX
	MOVQ x_base+24(FP), SI
	VBROADCASTSS shift+48(FP), Y15
	ANDQ $-8, CX
	MOVQ CX, ret+56(FP)
	XORQ DX, DX
expShiftF32loop:
	CMPQ DX, CX
	JGE expShiftF32done
	VMOVUPS (SI)(DX*4), Y0
	VSUBPS Y15, Y0, Y0
	VMULPS mathc<>+0(SB), Y0, Y2
	VROUNDPS $0, Y2, Y2 // n = nearest integer
	VMOVAPS Y0, Y1
	VFNMADD231PS mathc<>+32(SB), Y2, Y1 // r = x − n·ln2
	VFNMADD231PS mathc<>+64(SB), Y2, Y1
	VMOVUPS mathc<>+96(SB), Y3
	VFMADD213PS mathc<>+128(SB), Y1, Y3
	VFMADD213PS mathc<>+160(SB), Y1, Y3
	VFMADD213PS mathc<>+192(SB), Y1, Y3
	VFMADD213PS mathc<>+224(SB), Y1, Y3
	VFMADD213PS mathc<>+256(SB), Y1, Y3
	VFMADD213PS mathc<>+256(SB), Y1, Y3
	VCVTPS2DQ Y2, Y2
	VPADDD mathc<>+1056(SB), Y2, Y2
	VPSLLD $23, Y2, Y2 // 2^n
	VMULPS Y2, Y3, Y1
	VCMPPS $0x1e, mathc<>+288(SB), Y0, Y2 // x > hi: +Inf
	VBLENDVPS Y2, mathc<>+352(SB), Y1, Y1
	VCMPPS $0x11, mathc<>+320(SB), Y0, Y2 // x < lo: 0
	VANDNPS Y1, Y2, Y1
	VCMPPS $3, Y0, Y0, Y2 // NaN stays NaN
	VBLENDVPS Y2, Y0, Y1, Y1
	VMOVUPS Y1, (DI)(DX*4)
	ADDQ $8, DX
	JMP expShiftF32loop
expShiftF32done:
	VZEROUPPER
	RET

// func geluF32(y, x []float32) int
// y[i] = 0.5·x·(1 + erf(x/√2)) for the largest multiple of 8 ≤ len(y),
// which it returns (erf32's algorithm).
TEXT ·geluF32(SB), NOSPLIT, $0-56
	MOVQ y_base+0(FP), DI
	MOVQ y_len+8(FP), CX
	MOVQ x_base+24(FP), SI
	ANDQ $-8, CX
	MOVQ CX, ret+48(FP)
	XORQ DX, DX
geluF32loop:
	CMPQ DX, CX
	JGE geluF32done
	VMOVUPS (SI)(DX*4), Y0
	VMULPS mathc<>+416(SB), Y0, Y8 // u = x/√2
	VANDPS mathc<>+992(SB), Y8, Y2 // a = |x|
	VMULPS Y8, Y8, Y3 // b = x²
	VMOVUPS mathc<>+608(SB), Y4
	VFMADD213PS mathc<>+576(SB), Y3, Y4
	VFMADD213PS mathc<>+544(SB), Y3, Y4
	VFMADD213PS mathc<>+512(SB), Y3, Y4
	VFMADD213PS mathc<>+480(SB), Y3, Y4
	VFMADD213PS mathc<>+256(SB), Y3, Y4
	VMULPS mathc<>+448(SB), Y8, Y5
	VMULPS Y5, Y4, Y4 // c = small-|x| series
	VMOVUPS mathc<>+256(SB), Y5
	VFMADD231PS mathc<>+384(SB), Y2, Y5 // d = 1 + |x|/2
	VMOVUPS mathc<>+256(SB), Y3
	VDIVPS Y5, Y3, Y3 // b = t
	VMOVUPS mathc<>+928(SB), Y5
	VFMADD213PS mathc<>+896(SB), Y3, Y5
	VFMADD213PS mathc<>+864(SB), Y3, Y5
	VFMADD213PS mathc<>+832(SB), Y3, Y5
	VFMADD213PS mathc<>+800(SB), Y3, Y5
	VFMADD213PS mathc<>+768(SB), Y3, Y5
	VFMADD213PS mathc<>+736(SB), Y3, Y5
	VFMADD213PS mathc<>+704(SB), Y3, Y5
	VFMADD213PS mathc<>+672(SB), Y3, Y5
	VFMADD213PS mathc<>+640(SB), Y3, Y5
	VFNMADD231PS Y2, Y2, Y5 // d = −x² + poly(t)
	VMULPS mathc<>+0(SB), Y5, Y1
	VROUNDPS $0, Y1, Y1 // n = nearest integer
	VMOVAPS Y5, Y6
	VFNMADD231PS mathc<>+32(SB), Y1, Y6 // r = x − n·ln2
	VFNMADD231PS mathc<>+64(SB), Y1, Y6
	VMOVUPS mathc<>+96(SB), Y2
	VFMADD213PS mathc<>+128(SB), Y6, Y2
	VFMADD213PS mathc<>+160(SB), Y6, Y2
	VFMADD213PS mathc<>+192(SB), Y6, Y2
	VFMADD213PS mathc<>+224(SB), Y6, Y2
	VFMADD213PS mathc<>+256(SB), Y6, Y2
	VFMADD213PS mathc<>+256(SB), Y6, Y2
	VCVTPS2DQ Y1, Y1
	VPADDD mathc<>+1056(SB), Y1, Y1
	VPSLLD $23, Y1, Y1 // 2^n
	VMULPS Y1, Y2, Y6
	VCMPPS $0x1e, mathc<>+288(SB), Y5, Y1 // x > hi: +Inf
	VBLENDVPS Y1, mathc<>+352(SB), Y6, Y6
	VCMPPS $0x11, mathc<>+320(SB), Y5, Y1 // x < lo: 0
	VANDNPS Y6, Y1, Y6
	VCMPPS $3, Y5, Y5, Y1 // NaN stays NaN
	VBLENDVPS Y1, Y5, Y6, Y6
	VMULPS Y3, Y6, Y6 // e = t·exp(…) = erfc(|x|)
	VMOVUPS mathc<>+256(SB), Y5
	VSUBPS Y6, Y5, Y5 // d = 1 − erfc(|x|)
	VANDPS mathc<>+1024(SB), Y8, Y2
	VORPS Y2, Y5, Y5 // with x's sign
	VANDPS mathc<>+992(SB), Y8, Y2
	VCMPPS $0x11, mathc<>+384(SB), Y2, Y2 // |x| < 0.5: the series
	VBLENDVPS Y2, Y4, Y5, Y1
	VADDPS mathc<>+256(SB), Y1, Y1
	VMULPS mathc<>+384(SB), Y0, Y2
	VMULPS Y2, Y1, Y1
	VMOVUPS Y1, (DI)(DX*4)
	ADDQ $8, DX
	JMP geluF32loop
geluF32done:
	VZEROUPPER
	RET

// func geluGradF32(dx, dy, x []float32) int
// dx[i] = dy[i]·(Φ(x) + x·φ(x)), the GELU derivative, for the largest
// multiple of 8 ≤ len(dx), which it returns.
TEXT ·geluGradF32(SB), NOSPLIT, $0-80
	MOVQ dx_base+0(FP), DI
	MOVQ dx_len+8(FP), CX
	MOVQ dy_base+24(FP), BX
	MOVQ x_base+48(FP), SI
	ANDQ $-8, CX
	MOVQ CX, ret+72(FP)
	XORQ DX, DX
geluGradF32loop:
	CMPQ DX, CX
	JGE geluGradF32done
	VMOVUPS (SI)(DX*4), Y0
	VMULPS mathc<>+416(SB), Y0, Y8 // u = x/√2
	VANDPS mathc<>+992(SB), Y8, Y2 // a = |x|
	VMULPS Y8, Y8, Y3 // b = x²
	VMOVUPS mathc<>+608(SB), Y4
	VFMADD213PS mathc<>+576(SB), Y3, Y4
	VFMADD213PS mathc<>+544(SB), Y3, Y4
	VFMADD213PS mathc<>+512(SB), Y3, Y4
	VFMADD213PS mathc<>+480(SB), Y3, Y4
	VFMADD213PS mathc<>+256(SB), Y3, Y4
	VMULPS mathc<>+448(SB), Y8, Y5
	VMULPS Y5, Y4, Y4 // c = small-|x| series
	VMOVUPS mathc<>+256(SB), Y5
	VFMADD231PS mathc<>+384(SB), Y2, Y5 // d = 1 + |x|/2
	VMOVUPS mathc<>+256(SB), Y3
	VDIVPS Y5, Y3, Y3 // b = t
	VMOVUPS mathc<>+928(SB), Y5
	VFMADD213PS mathc<>+896(SB), Y3, Y5
	VFMADD213PS mathc<>+864(SB), Y3, Y5
	VFMADD213PS mathc<>+832(SB), Y3, Y5
	VFMADD213PS mathc<>+800(SB), Y3, Y5
	VFMADD213PS mathc<>+768(SB), Y3, Y5
	VFMADD213PS mathc<>+736(SB), Y3, Y5
	VFMADD213PS mathc<>+704(SB), Y3, Y5
	VFMADD213PS mathc<>+672(SB), Y3, Y5
	VFMADD213PS mathc<>+640(SB), Y3, Y5
	VFNMADD231PS Y2, Y2, Y5 // d = −x² + poly(t)
	VMULPS mathc<>+0(SB), Y5, Y1
	VROUNDPS $0, Y1, Y1 // n = nearest integer
	VMOVAPS Y5, Y6
	VFNMADD231PS mathc<>+32(SB), Y1, Y6 // r = x − n·ln2
	VFNMADD231PS mathc<>+64(SB), Y1, Y6
	VMOVUPS mathc<>+96(SB), Y2
	VFMADD213PS mathc<>+128(SB), Y6, Y2
	VFMADD213PS mathc<>+160(SB), Y6, Y2
	VFMADD213PS mathc<>+192(SB), Y6, Y2
	VFMADD213PS mathc<>+224(SB), Y6, Y2
	VFMADD213PS mathc<>+256(SB), Y6, Y2
	VFMADD213PS mathc<>+256(SB), Y6, Y2
	VCVTPS2DQ Y1, Y1
	VPADDD mathc<>+1056(SB), Y1, Y1
	VPSLLD $23, Y1, Y1 // 2^n
	VMULPS Y1, Y2, Y6
	VCMPPS $0x1e, mathc<>+288(SB), Y5, Y1 // x > hi: +Inf
	VBLENDVPS Y1, mathc<>+352(SB), Y6, Y6
	VCMPPS $0x11, mathc<>+320(SB), Y5, Y1 // x < lo: 0
	VANDNPS Y6, Y1, Y6
	VCMPPS $3, Y5, Y5, Y1 // NaN stays NaN
	VBLENDVPS Y1, Y5, Y6, Y6
	VMULPS Y3, Y6, Y6 // e = t·exp(…) = erfc(|x|)
	VMOVUPS mathc<>+256(SB), Y5
	VSUBPS Y6, Y5, Y5 // d = 1 − erfc(|x|)
	VANDPS mathc<>+1024(SB), Y8, Y2
	VORPS Y2, Y5, Y5 // with x's sign
	VANDPS mathc<>+992(SB), Y8, Y2
	VCMPPS $0x11, mathc<>+384(SB), Y2, Y2 // |x| < 0.5: the series
	VBLENDVPS Y2, Y4, Y5, Y1
	VADDPS mathc<>+256(SB), Y1, Y1
	VMULPS mathc<>+384(SB), Y1, Y7 // Φ(x)
	VMULPS Y0, Y0, Y9
	VMULPS mathc<>+384(SB), Y9, Y9
	VXORPS mathc<>+1024(SB), Y9, Y9 // −x²/2
	VMULPS mathc<>+0(SB), Y9, Y11
	VROUNDPS $0, Y11, Y11 // n = nearest integer
	VMOVAPS Y9, Y10
	VFNMADD231PS mathc<>+32(SB), Y11, Y10 // r = x − n·ln2
	VFNMADD231PS mathc<>+64(SB), Y11, Y10
	VMOVUPS mathc<>+96(SB), Y12
	VFMADD213PS mathc<>+128(SB), Y10, Y12
	VFMADD213PS mathc<>+160(SB), Y10, Y12
	VFMADD213PS mathc<>+192(SB), Y10, Y12
	VFMADD213PS mathc<>+224(SB), Y10, Y12
	VFMADD213PS mathc<>+256(SB), Y10, Y12
	VFMADD213PS mathc<>+256(SB), Y10, Y12
	VCVTPS2DQ Y11, Y11
	VPADDD mathc<>+1056(SB), Y11, Y11
	VPSLLD $23, Y11, Y11 // 2^n
	VMULPS Y11, Y12, Y10
	VCMPPS $0x1e, mathc<>+288(SB), Y9, Y11 // x > hi: +Inf
	VBLENDVPS Y11, mathc<>+352(SB), Y10, Y10
	VCMPPS $0x11, mathc<>+320(SB), Y9, Y11 // x < lo: 0
	VANDNPS Y10, Y11, Y10
	VCMPPS $3, Y9, Y9, Y11 // NaN stays NaN
	VBLENDVPS Y11, Y9, Y10, Y10
	VMULPS mathc<>+960(SB), Y10, Y10 // φ(x)
	VFMADD231PS Y10, Y0, Y7 // Φ + x·φ
	VMULPS (BX)(DX*4), Y7, Y7
	VMOVUPS Y7, (DI)(DX*4)
	ADDQ $8, DX
	JMP geluGradF32loop
geluGradF32done:
	VZEROUPPER
	RET

