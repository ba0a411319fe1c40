//go:build !purego

#include "textflag.h"

// NEON kernels. The assembler has no mnemonics for the vector forms of
// FADD, FMUL, FMAX and FMIN, so they are written as WORD encodings (the
// comment names each instruction). VFMLA Vm, Vn, Vd computes Vd += Vn·Vm,
// fused like the FMA of the AVX2 kernels.

// func pointwiseSIMD(out, in, w, bias, slope, res *float32, npix, cin, ostride, coutP, cres int)
//
// For each block of 16 output channels (four Q registers) pixels are
// processed four at a time (sixteen accumulators V16–V31), then one at a
// time. Accumulators start at the bias and run over the inputs in order;
// the epilogue adds the residual (for blocks below cres) and applies
// PReLU as max(x, 0) + slope·min(x, 0).
//
// Registers: R0 cin·4, R1 ostride·4, R2 cres·4, R3 channel byte offset,
// R4 weight block, R5 input pixel, R6 output pixel, R7 residual pixel (0 if
// none), R8 pixels left, R9 weight pointer, R10–R13 input pointers, R14
// inputs left, R15/R16 scratch.
TEXT ·pointwiseSIMD(SB), NOSPLIT, $0-88
	MOVD cin+56(FP), R0
	LSL  $2, R0, R0
	MOVD ostride+64(FP), R1
	LSL  $2, R1, R1
	MOVD cres+80(FP), R2
	LSL  $2, R2, R2
	MOVD w+16(FP), R4
	MOVD $0, R3

pwblock:
	MOVD coutP+72(FP), R15
	LSL  $2, R15, R15
	CMP  R15, R3
	BGE  pwdone
	MOVD in+8(FP), R5
	MOVD out+0(FP), R6
	ADD  R3, R6, R6
	MOVD npix+48(FP), R8
	MOVD $0, R7
	CMP  R2, R3
	BGE  pwquad
	MOVD res+40(FP), R7
	ADD  R3, R7, R7

pwquad:
	CMP  $4, R8
	BLT  pwsingle
	MOVD bias+24(FP), R15
	ADD  R3, R15, R15
	VLD1 (R15), [V16.S4, V17.S4, V18.S4, V19.S4]
	VORR V16.B16, V16.B16, V20.B16
	VORR V17.B16, V17.B16, V21.B16
	VORR V18.B16, V18.B16, V22.B16
	VORR V19.B16, V19.B16, V23.B16
	VORR V16.B16, V16.B16, V24.B16
	VORR V17.B16, V17.B16, V25.B16
	VORR V18.B16, V18.B16, V26.B16
	VORR V19.B16, V19.B16, V27.B16
	VORR V16.B16, V16.B16, V28.B16
	VORR V17.B16, V17.B16, V29.B16
	VORR V18.B16, V18.B16, V30.B16
	VORR V19.B16, V19.B16, V31.B16
	MOVD R5, R10
	ADD  R0, R10, R11
	ADD  R0, R11, R12
	ADD  R0, R12, R13
	MOVD R4, R9
	MOVD cin+56(FP), R14

pwquadloop:
	VLD1.P 64(R9), [V0.S4, V1.S4, V2.S4, V3.S4]
	VLD1R.P 4(R10), [V4.S4]
	VLD1R.P 4(R11), [V5.S4]
	VLD1R.P 4(R12), [V6.S4]
	VLD1R.P 4(R13), [V7.S4]
	VFMLA V0.S4, V4.S4, V16.S4
	VFMLA V1.S4, V4.S4, V17.S4
	VFMLA V2.S4, V4.S4, V18.S4
	VFMLA V3.S4, V4.S4, V19.S4
	VFMLA V0.S4, V5.S4, V20.S4
	VFMLA V1.S4, V5.S4, V21.S4
	VFMLA V2.S4, V5.S4, V22.S4
	VFMLA V3.S4, V5.S4, V23.S4
	VFMLA V0.S4, V6.S4, V24.S4
	VFMLA V1.S4, V6.S4, V25.S4
	VFMLA V2.S4, V6.S4, V26.S4
	VFMLA V3.S4, V6.S4, V27.S4
	VFMLA V0.S4, V7.S4, V28.S4
	VFMLA V1.S4, V7.S4, V29.S4
	VFMLA V2.S4, V7.S4, V30.S4
	VFMLA V3.S4, V7.S4, V31.S4
	SUBS $1, R14, R14
	BNE  pwquadloop

	CBZ  R7, pwquadact
	MOVD R7, R16
	VLD1 (R16), [V0.S4, V1.S4, V2.S4, V3.S4]
	WORD $0x4e20d610 // FADD V16.S4, V16.S4, V0.S4 (V16 = V16 + V0)
	WORD $0x4e21d631 // FADD V17.S4, V17.S4, V1.S4 (V17 = V17 + V1)
	WORD $0x4e22d652 // FADD V18.S4, V18.S4, V2.S4 (V18 = V18 + V2)
	WORD $0x4e23d673 // FADD V19.S4, V19.S4, V3.S4 (V19 = V19 + V3)
	ADD  R2, R16, R16
	VLD1 (R16), [V0.S4, V1.S4, V2.S4, V3.S4]
	WORD $0x4e20d694 // FADD V20.S4, V20.S4, V0.S4 (V20 = V20 + V0)
	WORD $0x4e21d6b5 // FADD V21.S4, V21.S4, V1.S4 (V21 = V21 + V1)
	WORD $0x4e22d6d6 // FADD V22.S4, V22.S4, V2.S4 (V22 = V22 + V2)
	WORD $0x4e23d6f7 // FADD V23.S4, V23.S4, V3.S4 (V23 = V23 + V3)
	ADD  R2, R16, R16
	VLD1 (R16), [V0.S4, V1.S4, V2.S4, V3.S4]
	WORD $0x4e20d718 // FADD V24.S4, V24.S4, V0.S4 (V24 = V24 + V0)
	WORD $0x4e21d739 // FADD V25.S4, V25.S4, V1.S4 (V25 = V25 + V1)
	WORD $0x4e22d75a // FADD V26.S4, V26.S4, V2.S4 (V26 = V26 + V2)
	WORD $0x4e23d77b // FADD V27.S4, V27.S4, V3.S4 (V27 = V27 + V3)
	ADD  R2, R16, R16
	VLD1 (R16), [V0.S4, V1.S4, V2.S4, V3.S4]
	WORD $0x4e20d79c // FADD V28.S4, V28.S4, V0.S4 (V28 = V28 + V0)
	WORD $0x4e21d7bd // FADD V29.S4, V29.S4, V1.S4 (V29 = V29 + V1)
	WORD $0x4e22d7de // FADD V30.S4, V30.S4, V2.S4 (V30 = V30 + V2)
	WORD $0x4e23d7ff // FADD V31.S4, V31.S4, V3.S4 (V31 = V31 + V3)
	ADD  R2, R16, R16
	MOVD R16, R7

pwquadact:
	MOVD slope+32(FP), R15
	ADD  R3, R15, R15
	VLD1 (R15), [V4.S4, V5.S4, V6.S4, V7.S4]
	VEOR V8.B16, V8.B16, V8.B16
	WORD $0x4ea8f609 // FMIN V9.S4, V16.S4, V8.S4
	WORD $0x4e28f610 // FMAX V16.S4, V16.S4, V8.S4
	VFMLA V4.S4, V9.S4, V16.S4
	WORD $0x4ea8f629 // FMIN V9.S4, V17.S4, V8.S4
	WORD $0x4e28f631 // FMAX V17.S4, V17.S4, V8.S4
	VFMLA V5.S4, V9.S4, V17.S4
	WORD $0x4ea8f649 // FMIN V9.S4, V18.S4, V8.S4
	WORD $0x4e28f652 // FMAX V18.S4, V18.S4, V8.S4
	VFMLA V6.S4, V9.S4, V18.S4
	WORD $0x4ea8f669 // FMIN V9.S4, V19.S4, V8.S4
	WORD $0x4e28f673 // FMAX V19.S4, V19.S4, V8.S4
	VFMLA V7.S4, V9.S4, V19.S4
	WORD $0x4ea8f689 // FMIN V9.S4, V20.S4, V8.S4
	WORD $0x4e28f694 // FMAX V20.S4, V20.S4, V8.S4
	VFMLA V4.S4, V9.S4, V20.S4
	WORD $0x4ea8f6a9 // FMIN V9.S4, V21.S4, V8.S4
	WORD $0x4e28f6b5 // FMAX V21.S4, V21.S4, V8.S4
	VFMLA V5.S4, V9.S4, V21.S4
	WORD $0x4ea8f6c9 // FMIN V9.S4, V22.S4, V8.S4
	WORD $0x4e28f6d6 // FMAX V22.S4, V22.S4, V8.S4
	VFMLA V6.S4, V9.S4, V22.S4
	WORD $0x4ea8f6e9 // FMIN V9.S4, V23.S4, V8.S4
	WORD $0x4e28f6f7 // FMAX V23.S4, V23.S4, V8.S4
	VFMLA V7.S4, V9.S4, V23.S4
	WORD $0x4ea8f709 // FMIN V9.S4, V24.S4, V8.S4
	WORD $0x4e28f718 // FMAX V24.S4, V24.S4, V8.S4
	VFMLA V4.S4, V9.S4, V24.S4
	WORD $0x4ea8f729 // FMIN V9.S4, V25.S4, V8.S4
	WORD $0x4e28f739 // FMAX V25.S4, V25.S4, V8.S4
	VFMLA V5.S4, V9.S4, V25.S4
	WORD $0x4ea8f749 // FMIN V9.S4, V26.S4, V8.S4
	WORD $0x4e28f75a // FMAX V26.S4, V26.S4, V8.S4
	VFMLA V6.S4, V9.S4, V26.S4
	WORD $0x4ea8f769 // FMIN V9.S4, V27.S4, V8.S4
	WORD $0x4e28f77b // FMAX V27.S4, V27.S4, V8.S4
	VFMLA V7.S4, V9.S4, V27.S4
	WORD $0x4ea8f789 // FMIN V9.S4, V28.S4, V8.S4
	WORD $0x4e28f79c // FMAX V28.S4, V28.S4, V8.S4
	VFMLA V4.S4, V9.S4, V28.S4
	WORD $0x4ea8f7a9 // FMIN V9.S4, V29.S4, V8.S4
	WORD $0x4e28f7bd // FMAX V29.S4, V29.S4, V8.S4
	VFMLA V5.S4, V9.S4, V29.S4
	WORD $0x4ea8f7c9 // FMIN V9.S4, V30.S4, V8.S4
	WORD $0x4e28f7de // FMAX V30.S4, V30.S4, V8.S4
	VFMLA V6.S4, V9.S4, V30.S4
	WORD $0x4ea8f7e9 // FMIN V9.S4, V31.S4, V8.S4
	WORD $0x4e28f7ff // FMAX V31.S4, V31.S4, V8.S4
	VFMLA V7.S4, V9.S4, V31.S4
	MOVD R6, R16
	VST1 [V16.S4, V17.S4, V18.S4, V19.S4], (R16)
	ADD  R1, R16, R16
	VST1 [V20.S4, V21.S4, V22.S4, V23.S4], (R16)
	ADD  R1, R16, R16
	VST1 [V24.S4, V25.S4, V26.S4, V27.S4], (R16)
	ADD  R1, R16, R16
	VST1 [V28.S4, V29.S4, V30.S4, V31.S4], (R16)
	ADD  R1, R16, R16
	MOVD R16, R6
	ADD  R0, R5, R5
	ADD  R0, R5, R5
	ADD  R0, R5, R5
	ADD  R0, R5, R5
	SUB  $4, R8, R8
	B    pwquad

pwsingle:
	CBZ  R8, pwnext
	MOVD bias+24(FP), R15
	ADD  R3, R15, R15
	VLD1 (R15), [V16.S4, V17.S4, V18.S4, V19.S4]
	MOVD R5, R10
	MOVD R4, R9
	MOVD cin+56(FP), R14

pwsingleloop:
	VLD1.P 64(R9), [V0.S4, V1.S4, V2.S4, V3.S4]
	VLD1R.P 4(R10), [V4.S4]
	VFMLA V0.S4, V4.S4, V16.S4
	VFMLA V1.S4, V4.S4, V17.S4
	VFMLA V2.S4, V4.S4, V18.S4
	VFMLA V3.S4, V4.S4, V19.S4
	SUBS $1, R14, R14
	BNE  pwsingleloop

	CBZ  R7, pwsingleact
	VLD1 (R7), [V0.S4, V1.S4, V2.S4, V3.S4]
	WORD $0x4e20d610 // FADD V16.S4, V16.S4, V0.S4 (V16 = V16 + V0)
	WORD $0x4e21d631 // FADD V17.S4, V17.S4, V1.S4 (V17 = V17 + V1)
	WORD $0x4e22d652 // FADD V18.S4, V18.S4, V2.S4 (V18 = V18 + V2)
	WORD $0x4e23d673 // FADD V19.S4, V19.S4, V3.S4 (V19 = V19 + V3)
	ADD  R2, R7, R7

pwsingleact:
	MOVD slope+32(FP), R15
	ADD  R3, R15, R15
	VLD1 (R15), [V4.S4, V5.S4, V6.S4, V7.S4]
	VEOR V8.B16, V8.B16, V8.B16
	WORD $0x4ea8f609 // FMIN V9.S4, V16.S4, V8.S4
	WORD $0x4e28f610 // FMAX V16.S4, V16.S4, V8.S4
	VFMLA V4.S4, V9.S4, V16.S4
	WORD $0x4ea8f629 // FMIN V9.S4, V17.S4, V8.S4
	WORD $0x4e28f631 // FMAX V17.S4, V17.S4, V8.S4
	VFMLA V5.S4, V9.S4, V17.S4
	WORD $0x4ea8f649 // FMIN V9.S4, V18.S4, V8.S4
	WORD $0x4e28f652 // FMAX V18.S4, V18.S4, V8.S4
	VFMLA V6.S4, V9.S4, V18.S4
	WORD $0x4ea8f669 // FMIN V9.S4, V19.S4, V8.S4
	WORD $0x4e28f673 // FMAX V19.S4, V19.S4, V8.S4
	VFMLA V7.S4, V9.S4, V19.S4
	VST1 [V16.S4, V17.S4, V18.S4, V19.S4], (R6)
	ADD  R1, R6, R6
	ADD  R0, R5, R5
	SUB  $1, R8, R8
	B    pwsingle

pwnext:
	ADD  $64, R3, R3
	LSL  $4, R0, R15
	ADD  R15, R4, R4
	B    pwblock

pwdone:
	RET

// func dwRowNEON(out, r0, r1, r2, k, bias *float32, ow, c, stride, off int, relu bool)
//
// For each group of four channels the nine taps stay in V0–V8 (and the
// bias in V9) while the row is swept; output pixel x reads columns
// x·stride+off … +2 of the three rows. The sums are formed in the order of
// the AVX2 kernel: each row's three products, then row 0 + row 1, + row 2,
// then + bias and, with relu, max(·, 0). bias may be nil (no bias).
//
// Registers: R0 c·4, R1 input step per output pixel, R2 first column
// offset, R3 group offset, R4–R6 row pointers, R7 output, R8 pixels left,
// R9/R10 scratch, R11 bias (0 if none), R12 relu.
TEXT ·dwRowNEON(SB), NOSPLIT, $0-81
	MOVD    c+56(FP), R0
	LSL     $2, R0, R0
	MOVD    stride+64(FP), R1
	MUL     R0, R1, R1
	MOVD    off+72(FP), R2
	MUL     R0, R2, R2
	MOVBU   relu+80(FP), R12
	MOVD    $0, R3
	VEOR    V31.B16, V31.B16, V31.B16

dwgroup:
	CMP  R0, R3
	BGE  dwdone
	MOVD k+32(FP), R9
	ADD  R3, R9, R9
	VLD1 (R9), [V0.S4]
	ADD  R0, R9, R9
	VLD1 (R9), [V1.S4]
	ADD  R0, R9, R9
	VLD1 (R9), [V2.S4]
	ADD  R0, R9, R9
	VLD1 (R9), [V3.S4]
	ADD  R0, R9, R9
	VLD1 (R9), [V4.S4]
	ADD  R0, R9, R9
	VLD1 (R9), [V5.S4]
	ADD  R0, R9, R9
	VLD1 (R9), [V6.S4]
	ADD  R0, R9, R9
	VLD1 (R9), [V7.S4]
	ADD  R0, R9, R9
	VLD1 (R9), [V8.S4]
	MOVD bias+40(FP), R11
	CBZ  R11, dwrows
	ADD  R3, R11, R11
	VLD1 (R11), [V9.S4]

dwrows:
	MOVD r0+8(FP), R4
	ADD  R2, R4, R4
	ADD  R3, R4, R4
	MOVD r1+16(FP), R5
	ADD  R2, R5, R5
	ADD  R3, R5, R5
	MOVD r2+24(FP), R6
	ADD  R2, R6, R6
	ADD  R3, R6, R6
	MOVD out+0(FP), R7
	ADD  R3, R7, R7
	MOVD ow+48(FP), R8

dwx:
	VLD1 (R4), [V10.S4]
	ADD  R0, R4, R9
	VLD1 (R9), [V11.S4]
	ADD  R0, R9, R9
	VLD1 (R9), [V12.S4]
	VLD1 (R5), [V13.S4]
	ADD  R0, R5, R9
	VLD1 (R9), [V14.S4]
	ADD  R0, R9, R9
	VLD1 (R9), [V15.S4]
	VLD1 (R6), [V16.S4]
	ADD  R0, R6, R9
	VLD1 (R9), [V17.S4]
	ADD  R0, R9, R9
	VLD1 (R9), [V18.S4]
	WORD $0x6e2adc14 // FMUL V20.S4, V0.S4, V10.S4 (V20 = V0 · V10)
	VFMLA V1.S4, V11.S4, V20.S4
	VFMLA V2.S4, V12.S4, V20.S4
	WORD $0x6e2ddc75 // FMUL V21.S4, V3.S4, V13.S4 (V21 = V3 · V13)
	VFMLA V4.S4, V14.S4, V21.S4
	VFMLA V5.S4, V15.S4, V21.S4
	WORD $0x6e30dcd6 // FMUL V22.S4, V6.S4, V16.S4 (V22 = V6 · V16)
	VFMLA V7.S4, V17.S4, V22.S4
	VFMLA V8.S4, V18.S4, V22.S4
	WORD $0x4e35d694 // FADD V20.S4, V20.S4, V21.S4 (V20 = V20 + V21)
	WORD $0x4e36d694 // FADD V20.S4, V20.S4, V22.S4 (V20 = V20 + V22)
	CBZ  R11, dwstore
	WORD $0x4e29d694 // FADD V20.S4, V20.S4, V9.S4 (V20 = V20 + V9)
	CBZ  R12, dwstore
	WORD $0x4e3ff694 // FMAX V20.S4, V20.S4, V31.S4

dwstore:
	VST1 [V20.S4], (R7)
	ADD  R1, R4, R4
	ADD  R1, R5, R5
	ADD  R1, R6, R6
	ADD  R0, R7, R7
	SUBS $1, R8, R8
	BNE  dwx
	ADD  $16, R3, R3
	B    dwgroup

dwdone:
	RET

// func poolRowSIMD(out, r0, r1 *float32, ow, c int)
//
// Output pixel x is the maximum of input pixels 2x and 2x+1 of both rows.
// Registers: R0 c·4, R1/R2 inputs, R3 output, R4 pixels left, R5 channel
// offset, R6–R9 scratch.
TEXT ·poolRowSIMD(SB), NOSPLIT, $0-40
	MOVD c+32(FP), R0
	LSL  $2, R0, R0
	MOVD r0+8(FP), R1
	MOVD r1+16(FP), R2
	MOVD out+0(FP), R3
	MOVD ow+24(FP), R4

poolpix:
	MOVD $0, R5

poolgroup:
	ADD  R5, R1, R6
	VLD1 (R6), [V0.S4]
	ADD  R0, R6, R6
	VLD1 (R6), [V1.S4]
	ADD  R5, R2, R7
	VLD1 (R7), [V2.S4]
	ADD  R0, R7, R7
	VLD1 (R7), [V3.S4]
	WORD $0x4e21f400 // FMAX V0.S4, V0.S4, V1.S4
	WORD $0x4e23f442 // FMAX V2.S4, V2.S4, V3.S4
	WORD $0x4e22f400 // FMAX V0.S4, V0.S4, V2.S4
	ADD  R5, R3, R8
	VST1 [V0.S4], (R8)
	ADD  $16, R5, R5
	CMP  R0, R5
	BLT  poolgroup

	ADD  R0, R1, R1
	ADD  R0, R1, R1
	ADD  R0, R2, R2
	ADD  R0, R2, R2
	ADD  R0, R3, R3
	SUBS $1, R4, R4
	BNE  poolpix
	RET
