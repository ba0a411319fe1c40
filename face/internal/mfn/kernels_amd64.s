//go:build !purego

#include "textflag.h"

// func cpuid(eaxArg, ecxArg uint32) (eax, ebx, ecx, edx uint32)
TEXT ·cpuid(SB), NOSPLIT, $0-24
	MOVL eaxArg+0(FP), AX
	MOVL ecxArg+4(FP), CX
	CPUID
	MOVL AX, eax+8(FP)
	MOVL BX, ebx+12(FP)
	MOVL CX, ecx+16(FP)
	MOVL DX, edx+20(FP)
	RET

// func xgetbv() (eax, edx uint32)
TEXT ·xgetbv(SB), NOSPLIT, $0-8
	MOVL $0, CX
	XGETBV
	MOVL AX, eax+0(FP)
	MOVL DX, edx+4(FP)
	RET

// Two weight vectors (32 output channels) times the broadcast input of
// one pixel, accumulated into a and b.
#define FMA2(src, t, a, b) VBROADCASTSS src, t; VFMADD231PS Z14, t, a; VFMADD231PS Z15, t, b

// Residual add for one pixel: R8 points at its residual, AX is the
// residual row stride in bytes.
#define RES2(a, b) VADDPS (R8), a, a; VADDPS 64(R8), b, b; ADDQ AX, R8

// PReLU with the slopes in Z28/Z29 (Z30 holds zero): negative lanes are
// multiplied by their slope.
#define ACT2(a, b) VCMPPS $1, Z30, a, K1; VMULPS Z28, a, K1, a; VCMPPS $1, Z30, b, K2; VMULPS Z29, b, K2, b

// Store one pixel's 32 channels at CX and step CX by the output stride R12.
#define STORE2(a, b) VMOVUPS a, (CX); VMOVUPS b, 64(CX); ADDQ R12, CX

// func pointwise512(out, in, w, bias, slope, res *float32, npix, cin, ostride, coutP, cres int)
//
// The AVX-512 form of the pointwise convolution (see pointwise): for each
// tile of 32 output channels (two blocks of the mesh's filter layout, two
// ZMM registers), pixels are processed seven at a time (fourteen
// accumulators). npix must be a multiple of 7, coutP and cres multiples of
// 32.
//
// Registers: DX output channel offset, R9 pixels left, R10 weight tile,
// R11 cin·4, BX weight block stride (cin·64), SI/R12/R13 input pixel
// pointers, DI output pixel, R8 residual pixel (0 if none), CX weight
// pointer, AX input offset.
TEXT ·pointwise512(SB), NOSPLIT, $0-88
	MOVQ   cin+56(FP), R11
	SHLQ   $2, R11
	MOVQ   R11, BX
	SHLQ   $4, BX
	MOVQ   w+16(FP), R10
	VPXORD Z30, Z30, Z30
	XORQ   DX, DX

tile:
	CMPQ    DX, coutP+72(FP)
	JGE     done
	MOVQ    slope+32(FP), AX
	VMOVUPS (AX)(DX*4), Z28
	VMOVUPS 64(AX)(DX*4), Z29
	MOVQ    in+8(FP), SI
	MOVQ    out+0(FP), DI
	LEAQ    (DI)(DX*4), DI
	XORQ    R8, R8
	CMPQ    DX, cres+80(FP)
	JGE     pixels
	MOVQ    res+40(FP), R8
	LEAQ    (R8)(DX*4), R8

pixels:
	MOVQ npix+48(FP), R9

group:
	CMPQ    R9, $0
	JLE     nexttile
	MOVQ    bias+24(FP), AX
	VMOVUPS (AX)(DX*4), Z0
	VMOVUPS 64(AX)(DX*4), Z1
	VMOVAPS Z0, Z2
	VMOVAPS Z1, Z3
	VMOVAPS Z0, Z4
	VMOVAPS Z1, Z5
	VMOVAPS Z0, Z6
	VMOVAPS Z1, Z7
	VMOVAPS Z0, Z8
	VMOVAPS Z1, Z9
	VMOVAPS Z0, Z10
	VMOVAPS Z1, Z11
	VMOVAPS Z0, Z12
	VMOVAPS Z1, Z13
	LEAQ    (SI)(R11*1), R12
	LEAQ    (SI)(R11*2), R13
	MOVQ    R10, CX
	XORQ    AX, AX

kloop:
	VMOVUPS (CX), Z14
	VMOVUPS (CX)(BX*1), Z15
	FMA2((SI), Z16, Z0, Z1)
	FMA2((SI)(R11*1), Z17, Z2, Z3)
	FMA2((SI)(R11*2), Z18, Z4, Z5)
	FMA2((R12)(R11*2), Z19, Z6, Z7)
	FMA2((SI)(R11*4), Z20, Z8, Z9)
	FMA2((R12)(R11*4), Z21, Z10, Z11)
	FMA2((R13)(R11*4), Z22, Z12, Z13)
	ADDQ    $64, CX
	ADDQ    $4, SI
	ADDQ    $4, R12
	ADDQ    $4, R13
	ADDQ    $4, AX
	CMPQ    AX, R11
	JLT     kloop

	TESTQ R8, R8
	JZ    act
	MOVQ  cres+80(FP), AX
	SHLQ  $2, AX
	RES2(Z0, Z1)
	RES2(Z2, Z3)
	RES2(Z4, Z5)
	RES2(Z6, Z7)
	RES2(Z8, Z9)
	RES2(Z10, Z11)
	RES2(Z12, Z13)

act:
	ACT2(Z0, Z1)
	ACT2(Z2, Z3)
	ACT2(Z4, Z5)
	ACT2(Z6, Z7)
	ACT2(Z8, Z9)
	ACT2(Z10, Z11)
	ACT2(Z12, Z13)
	MOVQ ostride+64(FP), R12
	SHLQ $2, R12
	MOVQ DI, CX
	STORE2(Z0, Z1)
	STORE2(Z2, Z3)
	STORE2(Z4, Z5)
	STORE2(Z6, Z7)
	STORE2(Z8, Z9)
	STORE2(Z10, Z11)
	STORE2(Z12, Z13)
	MOVQ CX, DI
	// SI moved by cin·4 in the loop: the next group starts 6·cin·4 on.
	LEAQ (SI)(R11*4), SI
	LEAQ (SI)(R11*2), SI
	SUBQ $7, R9
	JMP  group

nexttile:
	ADDQ $32, DX
	LEAQ (R10)(BX*2), R10
	JMP  tile

done:
	VZEROUPPER
	RET

// func biasAct512(row, bias *float32, npix, c int, relu bool)
//
// row[p·c + i] += bias[i], then max(·, 0) when relu; c is a multiple of 16.
TEXT ·biasAct512(SB), NOSPLIT, $0-33
	MOVQ   row+0(FP), DI
	MOVQ   npix+16(FP), R9
	MOVQ   c+24(FP), R11
	SHLQ   $2, R11
	MOVBQZX relu+32(FP), R10
	VPXORD Z30, Z30, Z30

pixel:
	CMPQ R9, $0
	JLE  bdone
	MOVQ bias+8(FP), SI
	XORQ AX, AX

chan:
	VMOVUPS (DI)(AX*1), Z0
	VADDPS  (SI)(AX*1), Z0, Z0
	TESTQ   R10, R10
	JZ      store
	VMAXPS  Z30, Z0, Z0

store:
	VMOVUPS Z0, (DI)(AX*1)
	ADDQ    $64, AX
	CMPQ    AX, R11
	JLT     chan
	ADDQ    R11, DI
	DECQ    R9
	JMP     pixel

bdone:
	VZEROUPPER
	RET
