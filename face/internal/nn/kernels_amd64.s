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

// PRELU applies r = max(r, 0) + s·min(r, 0) with temporary t; Y14 must
// hold zero.
#define PRELU(r, s, t) VMINPS Y14, r, t; VMAXPS Y14, r, r; VFMADD231PS s, t, r

// func pointwiseSIMD(out, in, w, bias, slope, res *float32, npix, cin, ostride, coutP, cres int)
//
// For each block of 16 output channels (two YMM registers) pixels are
// processed six at a time (twelve accumulators), then four, two and one at a
// time. The weights of a block are [cin][16] floats. Accumulators start at
// the bias; the epilogue adds the residual (for blocks below cres) and
// applies PReLU.
//
// Registers: DX output channel offset, R9 pixels left (both kept in the
// frame while the six-pixel loop borrows them), R10 weight block, R11 cin·4,
// SI input pixel, DI output pixel, R8 residual pixel (0 if none), CX weight
// pointer, AX input offset, BX/R12/R13 pixel pointers.
TEXT ·pointwiseSIMD(SB), NOSPLIT, $16-88
	MOVQ cin+56(FP), R11
	SHLQ $2, R11
	MOVQ w+16(FP), R10
	XORQ DX, DX

block:
	CMPQ DX, coutP+72(FP)
	JGE  done
	MOVQ in+8(FP), SI
	MOVQ out+0(FP), DI
	LEAQ (DI)(DX*4), DI
	MOVQ npix+48(FP), R9
	XORQ R8, R8
	CMPQ DX, cres+80(FP)
	JGE  six
	MOVQ res+40(FP), R8
	LEAQ (R8)(DX*4), R8

six:
	CMPQ R9, $6
	JLT  quad
	MOVQ DX, choff-8(SP)
	MOVQ R9, left-16(SP)
	MOVQ bias+24(FP), AX
	VMOVUPS (AX)(DX*4), Y0
	VMOVUPS 32(AX)(DX*4), Y1
	VMOVAPS Y0, Y2
	VMOVAPS Y1, Y3
	VMOVAPS Y0, Y4
	VMOVAPS Y1, Y5
	VMOVAPS Y0, Y6
	VMOVAPS Y1, Y7
	VMOVAPS Y0, Y8
	VMOVAPS Y1, Y9
	VMOVAPS Y0, Y10
	VMOVAPS Y1, Y11
	LEAQ (SI)(R11*1), R13
	LEAQ (SI)(R11*2), R12
	LEAQ (R12)(R11*1), BX
	LEAQ (SI)(R11*4), R9
	LEAQ (R9)(R11*1), DX
	MOVQ R10, CX
	XORQ AX, AX

sixloop:
	VMOVUPS (CX), Y12
	VMOVUPS 32(CX), Y13
	VBROADCASTSS (SI)(AX*1), Y14
	VFMADD231PS Y12, Y14, Y0
	VFMADD231PS Y13, Y14, Y1
	VBROADCASTSS (R13)(AX*1), Y14
	VFMADD231PS Y12, Y14, Y2
	VFMADD231PS Y13, Y14, Y3
	VBROADCASTSS (R12)(AX*1), Y14
	VFMADD231PS Y12, Y14, Y4
	VFMADD231PS Y13, Y14, Y5
	VBROADCASTSS (BX)(AX*1), Y14
	VFMADD231PS Y12, Y14, Y6
	VFMADD231PS Y13, Y14, Y7
	VBROADCASTSS (R9)(AX*1), Y14
	VFMADD231PS Y12, Y14, Y8
	VFMADD231PS Y13, Y14, Y9
	VBROADCASTSS (DX)(AX*1), Y14
	VFMADD231PS Y12, Y14, Y10
	VFMADD231PS Y13, Y14, Y11
	ADDQ $64, CX
	ADDQ $4, AX
	CMPQ AX, R11
	JLT  sixloop

	MOVQ choff-8(SP), DX
	MOVQ left-16(SP), R9
	TESTQ R8, R8
	JZ    sixact
	MOVQ  cres+80(FP), AX
	SHLQ  $2, AX
	VADDPS (R8), Y0, Y0
	VADDPS 32(R8), Y1, Y1
	VADDPS (R8)(AX*1), Y2, Y2
	VADDPS 32(R8)(AX*1), Y3, Y3
	VADDPS (R8)(AX*2), Y4, Y4
	VADDPS 32(R8)(AX*2), Y5, Y5
	LEAQ   (R8)(AX*2), CX
	VADDPS (CX)(AX*1), Y6, Y6
	VADDPS 32(CX)(AX*1), Y7, Y7
	VADDPS (R8)(AX*4), Y8, Y8
	VADDPS 32(R8)(AX*4), Y9, Y9
	LEAQ   (R8)(AX*4), CX
	VADDPS (CX)(AX*1), Y10, Y10
	VADDPS 32(CX)(AX*1), Y11, Y11
	LEAQ   (CX)(AX*2), R8

sixact:
	VXORPS  Y14, Y14, Y14
	MOVQ    slope+32(FP), AX
	VMOVUPS (AX)(DX*4), Y12
	PRELU(Y0, Y12, Y13)
	PRELU(Y2, Y12, Y13)
	PRELU(Y4, Y12, Y13)
	PRELU(Y6, Y12, Y13)
	PRELU(Y8, Y12, Y13)
	PRELU(Y10, Y12, Y13)
	VMOVUPS 32(AX)(DX*4), Y12
	PRELU(Y1, Y12, Y13)
	PRELU(Y3, Y12, Y13)
	PRELU(Y5, Y12, Y13)
	PRELU(Y7, Y12, Y13)
	PRELU(Y9, Y12, Y13)
	PRELU(Y11, Y12, Y13)
	MOVQ    ostride+64(FP), AX
	SHLQ    $2, AX
	VMOVUPS Y0, (DI)
	VMOVUPS Y1, 32(DI)
	VMOVUPS Y2, (DI)(AX*1)
	VMOVUPS Y3, 32(DI)(AX*1)
	VMOVUPS Y4, (DI)(AX*2)
	VMOVUPS Y5, 32(DI)(AX*2)
	LEAQ    (DI)(AX*2), CX
	VMOVUPS Y6, (CX)(AX*1)
	VMOVUPS Y7, 32(CX)(AX*1)
	VMOVUPS Y8, (DI)(AX*4)
	VMOVUPS Y9, 32(DI)(AX*4)
	LEAQ    (DI)(AX*4), CX
	VMOVUPS Y10, (CX)(AX*1)
	VMOVUPS Y11, 32(CX)(AX*1)
	LEAQ    (CX)(AX*2), DI
	LEAQ    (SI)(R11*4), SI
	LEAQ    (SI)(R11*2), SI
	SUBQ    $6, R9
	JMP     six

quad:
	CMPQ R9, $4
	JLT  pair
	MOVQ bias+24(FP), AX
	VMOVUPS (AX)(DX*4), Y0
	VMOVUPS 32(AX)(DX*4), Y1
	VMOVAPS Y0, Y2
	VMOVAPS Y1, Y3
	VMOVAPS Y0, Y4
	VMOVAPS Y1, Y5
	VMOVAPS Y0, Y6
	VMOVAPS Y1, Y7
	LEAQ (SI)(R11*1), R13
	LEAQ (SI)(R11*2), R12
	LEAQ (R12)(R11*1), BX
	MOVQ R10, CX
	XORQ AX, AX

quadloop:
	VMOVUPS (CX), Y12
	VMOVUPS 32(CX), Y13
	VBROADCASTSS (SI)(AX*1), Y8
	VFMADD231PS Y12, Y8, Y0
	VFMADD231PS Y13, Y8, Y1
	VBROADCASTSS (R13)(AX*1), Y9
	VFMADD231PS Y12, Y9, Y2
	VFMADD231PS Y13, Y9, Y3
	VBROADCASTSS (R12)(AX*1), Y10
	VFMADD231PS Y12, Y10, Y4
	VFMADD231PS Y13, Y10, Y5
	VBROADCASTSS (BX)(AX*1), Y11
	VFMADD231PS Y12, Y11, Y6
	VFMADD231PS Y13, Y11, Y7
	ADDQ $64, CX
	ADDQ $4, AX
	CMPQ AX, R11
	JLT  quadloop

	TESTQ R8, R8
	JZ    quadact
	MOVQ  cres+80(FP), AX
	SHLQ  $2, AX
	VADDPS (R8), Y0, Y0
	VADDPS 32(R8), Y1, Y1
	VADDPS (R8)(AX*1), Y2, Y2
	VADDPS 32(R8)(AX*1), Y3, Y3
	VADDPS (R8)(AX*2), Y4, Y4
	VADDPS 32(R8)(AX*2), Y5, Y5
	LEAQ   (R8)(AX*2), CX
	VADDPS (CX)(AX*1), Y6, Y6
	VADDPS 32(CX)(AX*1), Y7, Y7
	LEAQ   (R8)(AX*4), R8

quadact:
	MOVQ    slope+32(FP), AX
	VMOVUPS (AX)(DX*4), Y12
	VMOVUPS 32(AX)(DX*4), Y13
	VXORPS  Y14, Y14, Y14
	PRELU(Y0, Y12, Y8)
	PRELU(Y1, Y13, Y8)
	PRELU(Y2, Y12, Y8)
	PRELU(Y3, Y13, Y8)
	PRELU(Y4, Y12, Y8)
	PRELU(Y5, Y13, Y8)
	PRELU(Y6, Y12, Y8)
	PRELU(Y7, Y13, Y8)
	MOVQ    ostride+64(FP), AX
	SHLQ    $2, AX
	VMOVUPS Y0, (DI)
	VMOVUPS Y1, 32(DI)
	VMOVUPS Y2, (DI)(AX*1)
	VMOVUPS Y3, 32(DI)(AX*1)
	VMOVUPS Y4, (DI)(AX*2)
	VMOVUPS Y5, 32(DI)(AX*2)
	LEAQ    (DI)(AX*2), CX
	VMOVUPS Y6, (CX)(AX*1)
	VMOVUPS Y7, 32(CX)(AX*1)
	LEAQ    (DI)(AX*4), DI
	LEAQ    (SI)(R11*4), SI
	SUBQ    $4, R9
	JMP     quad

pair:
	CMPQ R9, $2
	JLT  single
	MOVQ bias+24(FP), AX
	VMOVUPS (AX)(DX*4), Y0
	VMOVUPS 32(AX)(DX*4), Y1
	VMOVAPS Y0, Y2
	VMOVAPS Y1, Y3
	LEAQ (SI)(R11*1), R13
	MOVQ R10, CX
	XORQ AX, AX

pairloop:
	VMOVUPS (CX), Y12
	VMOVUPS 32(CX), Y13
	VBROADCASTSS (SI)(AX*1), Y8
	VFMADD231PS Y12, Y8, Y0
	VFMADD231PS Y13, Y8, Y1
	VBROADCASTSS (R13)(AX*1), Y9
	VFMADD231PS Y12, Y9, Y2
	VFMADD231PS Y13, Y9, Y3
	ADDQ $64, CX
	ADDQ $4, AX
	CMPQ AX, R11
	JLT  pairloop

	TESTQ R8, R8
	JZ    pairact
	MOVQ  cres+80(FP), AX
	SHLQ  $2, AX
	VADDPS (R8), Y0, Y0
	VADDPS 32(R8), Y1, Y1
	VADDPS (R8)(AX*1), Y2, Y2
	VADDPS 32(R8)(AX*1), Y3, Y3
	LEAQ   (R8)(AX*2), R8

pairact:
	MOVQ    slope+32(FP), AX
	VMOVUPS (AX)(DX*4), Y12
	VMOVUPS 32(AX)(DX*4), Y13
	VXORPS  Y14, Y14, Y14
	PRELU(Y0, Y12, Y8)
	PRELU(Y1, Y13, Y8)
	PRELU(Y2, Y12, Y8)
	PRELU(Y3, Y13, Y8)
	MOVQ    ostride+64(FP), AX
	SHLQ    $2, AX
	VMOVUPS Y0, (DI)
	VMOVUPS Y1, 32(DI)
	VMOVUPS Y2, (DI)(AX*1)
	VMOVUPS Y3, 32(DI)(AX*1)
	LEAQ    (DI)(AX*2), DI
	LEAQ    (SI)(R11*2), SI
	SUBQ    $2, R9
	JMP     pair

single:
	TESTQ R9, R9
	JZ    nextblock
	MOVQ  bias+24(FP), AX
	VMOVUPS (AX)(DX*4), Y0
	VMOVUPS 32(AX)(DX*4), Y1
	VXORPS Y2, Y2, Y2
	VXORPS Y3, Y3, Y3
	MOVQ  R10, CX
	XORQ  AX, AX
	LEAQ  -4(R11), BX

	// Two inputs per iteration into two accumulator pairs to halve the
	// dependency chains, then the odd last input if any.
singleloop:
	CMPQ AX, BX
	JGE  singletail
	VBROADCASTSS (SI)(AX*1), Y8
	VBROADCASTSS 4(SI)(AX*1), Y9
	VFMADD231PS (CX), Y8, Y0
	VFMADD231PS 32(CX), Y8, Y1
	VFMADD231PS 64(CX), Y9, Y2
	VFMADD231PS 96(CX), Y9, Y3
	ADDQ $128, CX
	ADDQ $8, AX
	JMP  singleloop

singletail:
	CMPQ AX, R11
	JGE  singlesum
	VBROADCASTSS (SI)(AX*1), Y8
	VFMADD231PS (CX), Y8, Y0
	VFMADD231PS 32(CX), Y8, Y1

singlesum:
	VADDPS Y2, Y0, Y0
	VADDPS Y3, Y1, Y1
	TESTQ R8, R8
	JZ    singleact
	VADDPS (R8), Y0, Y0
	VADDPS 32(R8), Y1, Y1
	MOVQ  cres+80(FP), AX
	LEAQ  (R8)(AX*4), R8

singleact:
	MOVQ    slope+32(FP), AX
	VMOVUPS (AX)(DX*4), Y12
	VMOVUPS 32(AX)(DX*4), Y13
	VXORPS  Y14, Y14, Y14
	PRELU(Y0, Y12, Y8)
	PRELU(Y1, Y13, Y8)
	VMOVUPS Y0, (DI)
	VMOVUPS Y1, 32(DI)
	MOVQ    ostride+64(FP), AX
	LEAQ    (DI)(AX*4), DI
	ADDQ    R11, SI
	DECQ    R9
	JMP     single

nextblock:
	ADDQ $16, DX
	MOVQ R11, AX
	SHLQ $4, AX
	ADDQ AX, R10
	JMP  block

done:
	VZEROUPPER
	RET

// func dwRowSIMD(out, r0, r1, r2, k *float32, ow, c, stride, off int)
//
// For each group of 8 channels the nine taps stay in Y0–Y8 while the row is
// swept. Output pixel x reads columns x·stride+off … +2 of the three rows.
//
// Registers: CX c·4, DX channel group offset, R10 input step per output
// pixel, R12 initial column offset, SI/DI/R8 row pointers, R9 output,
// R11 pixels left, AX scratch.
TEXT ·dwRowSIMD(SB), NOSPLIT, $0-72
	MOVQ c+48(FP), CX
	SHLQ $2, CX
	MOVQ stride+56(FP), R10
	IMULQ CX, R10
	MOVQ off+64(FP), R12
	IMULQ CX, R12
	XORQ DX, DX

group:
	CMPQ DX, CX
	JGE  dwdone
	MOVQ k+32(FP), AX
	ADDQ DX, AX
	VMOVUPS (AX), Y0
	VMOVUPS (AX)(CX*1), Y1
	VMOVUPS (AX)(CX*2), Y2
	LEAQ    (AX)(CX*2), AX
	ADDQ    CX, AX
	VMOVUPS (AX), Y3
	VMOVUPS (AX)(CX*1), Y4
	VMOVUPS (AX)(CX*2), Y5
	LEAQ    (AX)(CX*2), AX
	ADDQ    CX, AX
	VMOVUPS (AX), Y6
	VMOVUPS (AX)(CX*1), Y7
	VMOVUPS (AX)(CX*2), Y8
	MOVQ r0+8(FP), SI
	ADDQ R12, SI
	ADDQ DX, SI
	MOVQ r1+16(FP), DI
	ADDQ R12, DI
	ADDQ DX, DI
	MOVQ r2+24(FP), R8
	ADDQ R12, R8
	ADDQ DX, R8
	MOVQ out+0(FP), R9
	ADDQ DX, R9
	MOVQ ow+40(FP), R11

xloop:
	VMULPS      (SI), Y0, Y9
	VFMADD231PS (SI)(CX*1), Y1, Y9
	VFMADD231PS (SI)(CX*2), Y2, Y9
	VMULPS      (DI), Y3, Y10
	VFMADD231PS (DI)(CX*1), Y4, Y10
	VFMADD231PS (DI)(CX*2), Y5, Y10
	VMULPS      (R8), Y6, Y11
	VFMADD231PS (R8)(CX*1), Y7, Y11
	VFMADD231PS (R8)(CX*2), Y8, Y11
	VADDPS      Y10, Y9, Y9
	VADDPS      Y11, Y9, Y9
	VMOVUPS     Y9, (R9)
	ADDQ R10, SI
	ADDQ R10, DI
	ADDQ R10, R8
	ADDQ CX, R9
	DECQ R11
	JNZ  xloop

	ADDQ $32, DX
	JMP  group

dwdone:
	VZEROUPPER
	RET

// func poolRowSIMD(out, r0, r1 *float32, ow, c int)
//
// Output pixel x is the maximum of input pixels 2x and 2x+1 of both rows.
// Registers: CX c·4, SI/DI inputs, R8 output, R9 pixels left, DX channel
// offset.
TEXT ·poolRowSIMD(SB), NOSPLIT, $0-40
	MOVQ c+32(FP), CX
	SHLQ $2, CX
	MOVQ r0+8(FP), SI
	MOVQ r1+16(FP), DI
	MOVQ out+0(FP), R8
	MOVQ ow+24(FP), R9

poolpix:
	XORQ DX, DX

poolgroup:
	LEAQ    (SI)(DX*1), AX
	VMOVUPS (AX), Y0
	VMAXPS  (AX)(CX*1), Y0, Y0
	LEAQ    (DI)(DX*1), AX
	VMAXPS  (AX), Y0, Y0
	VMAXPS  (AX)(CX*1), Y0, Y0
	VMOVUPS Y0, (R8)(DX*1)
	ADDQ    $32, DX
	CMPQ    DX, CX
	JLT     poolgroup

	LEAQ (SI)(CX*2), SI
	LEAQ (DI)(CX*2), DI
	ADDQ CX, R8
	DECQ R9
	JNZ  poolpix
	VZEROUPPER
	RET

// func fmaPeakAVX2(n int)
//
// fmaPeakAVX2 runs n iterations of 12 independent 8-wide FMAs (enough
// accumulators to cover the FMA latency on two ports): 192 float32 FLOP per
// iteration, the machine's peak that the kernels are measured against.
TEXT ·fmaPeakAVX2(SB), NOSPLIT, $0-8
	MOVQ n+0(FP), CX
	VXORPS Y0, Y0, Y0
	VXORPS Y1, Y1, Y1
	VXORPS Y2, Y2, Y2
	VXORPS Y3, Y3, Y3
	VXORPS Y4, Y4, Y4
	VXORPS Y5, Y5, Y5
	VXORPS Y6, Y6, Y6
	VXORPS Y7, Y7, Y7
	VXORPS Y8, Y8, Y8
	VXORPS Y9, Y9, Y9
	VXORPS Y10, Y10, Y10
	VXORPS Y11, Y11, Y11
	VXORPS Y12, Y12, Y12
	VXORPS Y13, Y13, Y13

peakloop:
	VFMADD231PS Y12, Y13, Y0
	VFMADD231PS Y12, Y13, Y1
	VFMADD231PS Y12, Y13, Y2
	VFMADD231PS Y12, Y13, Y3
	VFMADD231PS Y12, Y13, Y4
	VFMADD231PS Y12, Y13, Y5
	VFMADD231PS Y12, Y13, Y6
	VFMADD231PS Y12, Y13, Y7
	VFMADD231PS Y12, Y13, Y8
	VFMADD231PS Y12, Y13, Y9
	VFMADD231PS Y12, Y13, Y10
	VFMADD231PS Y12, Y13, Y11
	DECQ CX
	JNZ  peakloop
	VZEROUPPER
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

// func dwRowBiasSIMD(out, r0, r1, r2, k, bias *float32, ow, c, stride, off int, relu bool)
//
// The depthwise row of dwRowSIMD followed by the bias and, with relu, a
// clamp at zero, in one pass. For wide channel counts the row is swept
// pixel by pixel, channel groups inside, so that each step reads
// contiguous memory; the taps are read from memory (they stay in L1). The
// arithmetic is that of dwRowSIMD then BiasAct, in the same order.
//
// Registers: CX c·4, R8 byte offset of the pixel's first column, DI pixels
// left, R9 output; per group R10/R11/R12 the three rows, R13/AX/BX taps 0,
// 3 and 6, DX bias, SI bytes left.
TEXT ·dwRowBiasSIMD(SB), NOSPLIT, $0-81
	MOVQ    c+56(FP), CX
	SHLQ    $2, CX
	MOVQ    off+72(FP), R8
	IMULQ   CX, R8
	MOVQ    out+0(FP), R9
	MOVQ    ow+48(FP), DI
	VXORPS  Y15, Y15, Y15

dbpix:
	MOVQ r0+8(FP), R10
	ADDQ R8, R10
	MOVQ r1+16(FP), R11
	ADDQ R8, R11
	MOVQ r2+24(FP), R12
	ADDQ R8, R12
	MOVQ k+32(FP), R13
	LEAQ (R13)(CX*2), AX
	ADDQ CX, AX
	LEAQ (AX)(CX*2), BX
	ADDQ CX, BX
	MOVQ bias+40(FP), DX
	MOVQ CX, SI

dbgroup:
	VMOVUPS     (R13), Y0
	VMULPS      (R10), Y0, Y1
	VMOVUPS     (R13)(CX*1), Y2
	VFMADD231PS (R10)(CX*1), Y2, Y1
	VMOVUPS     (R13)(CX*2), Y3
	VFMADD231PS (R10)(CX*2), Y3, Y1
	VMOVUPS     (AX), Y4
	VMULPS      (R11), Y4, Y5
	VMOVUPS     (AX)(CX*1), Y6
	VFMADD231PS (R11)(CX*1), Y6, Y5
	VMOVUPS     (AX)(CX*2), Y7
	VFMADD231PS (R11)(CX*2), Y7, Y5
	VMOVUPS     (BX), Y8
	VMULPS      (R12), Y8, Y9
	VMOVUPS     (BX)(CX*1), Y10
	VFMADD231PS (R12)(CX*1), Y10, Y9
	VMOVUPS     (BX)(CX*2), Y11
	VFMADD231PS (R12)(CX*2), Y11, Y9
	VADDPS      Y5, Y1, Y1
	VADDPS      Y9, Y1, Y1
	VADDPS      (DX), Y1, Y1
	CMPB        relu+80(FP), $0
	JEQ         dbstore
	VMAXPS      Y15, Y1, Y1

dbstore:
	VMOVUPS Y1, (R9)
	ADDQ    $32, R10
	ADDQ    $32, R11
	ADDQ    $32, R12
	ADDQ    $32, R13
	ADDQ    $32, AX
	ADDQ    $32, BX
	ADDQ    $32, DX
	ADDQ    $32, R9
	SUBQ    $32, SI
	JNZ     dbgroup

	MOVQ  stride+64(FP), SI
	IMULQ CX, SI
	ADDQ  SI, R8
	DECQ  DI
	JNZ   dbpix
	VZEROUPPER
	RET
