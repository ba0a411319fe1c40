//go:build !purego

package nn

// haveAVX2 reports whether the CPU and OS support AVX2 and FMA, which the
// assembly kernels need; have512 whether they also support AVX-512F, which
// pointwise512 needs. Both are set once at package
// initialisation and never change.
var (
	haveAVX2 = detectAVX2FMA()
	have512  = haveAVX2 && detectAVX512()
)

// HaveSIMD reports whether the assembly kernels run on this CPU: on amd64,
// those for AVX2 and FMA.
func HaveSIMD() bool { return haveAVX2 }

// HaveAVX512 reports whether the AVX-512 kernels run on this CPU.
func HaveAVX512() bool { return have512 }

func detectAVX2FMA() bool {
	maxLeaf, _, _, _ := cpuid(0, 0)
	if maxLeaf < 7 {
		return false
	}
	_, _, ecx1, _ := cpuid(1, 0)
	const (
		fma     = 1 << 12
		osxsave = 1 << 27
		avx     = 1 << 28
	)
	if ecx1&(fma|osxsave|avx) != fma|osxsave|avx {
		return false
	}
	// The OS must save the XMM and YMM state.
	if eax, _ := xgetbv(); eax&6 != 6 {
		return false
	}
	_, ebx7, _, _ := cpuid(7, 0)
	return ebx7&(1<<5) != 0 // AVX2
}

func detectAVX512() bool {
	maxLeaf, _, _, _ := cpuid(0, 0)
	if maxLeaf < 7 {
		return false
	}
	const osxsave = 1 << 27
	if _, _, ecx1, _ := cpuid(1, 0); ecx1&osxsave == 0 {
		return false
	}
	// The OS must save the XMM, YMM, opmask and ZMM state.
	if eax, _ := xgetbv(); eax&0xe6 != 0xe6 {
		return false
	}
	_, ebx7, _, _ := cpuid(7, 0)
	return ebx7&(1<<16) != 0 // AVX-512F
}

func cpuid(eaxArg, ecxArg uint32) (eax, ebx, ecx, edx uint32)

func xgetbv() (eax, edx uint32)

// pointwiseSIMD is the AVX2 form of pointwiseGo; see pointwise.
//
//go:noescape
func pointwiseSIMD(out, in, w, bias, slope, res *float32, npix, cin, ostride, coutP, cres int)

// dwRowSIMD is the AVX2 form of the depthwise row, with an optional bias
// (nil for none) and ReLU; see DepthwiseRow and DepthwiseRowBias.
//
//go:noescape
func dwRowSIMD(out, r0, r1, r2, k, bias *float32, ow, c, stride, off int, relu bool)

// dwRowBiasSIMD is the AVX2 form of DepthwiseRowBias that sweeps the row
// pixel by pixel (used for strides other than 1).
//
//go:noescape
func dwRowBiasSIMD(out, r0, r1, r2, k, bias *float32, ow, c, stride, off int, relu bool)

// conv3Asm reports that conv3SIMD is implemented in this build.
const conv3Asm = true

// conv3SIMD is the AVX2 form of Conv3 for npix a multiple of 6.
//
//go:noescape
func conv3SIMD(out, r0, r1, r2, w, bias, slope *float32, npix, step, ostride, coutP int)

// poolRowSIMD is the AVX2 form of poolRowGo; see poolRow.
//
//go:noescape
func poolRowSIMD(out, r0, r1 *float32, ow, c int)

// fmaPeakAVX2 runs n iterations of 12 independent 8-wide FMAs (192 FLOP
// each); see FMAPeak.
//
//go:noescape
func fmaPeakAVX2(n int)

// pointwise512 is the AVX-512 form of the pointwise convolution; see
// Pointwise512.
//
//go:noescape
func pointwise512(out, in, w, bias, slope, res *float32, npix, cin, ostride, coutP, cres int)

// FMAPeak runs n iterations of 12 independent 8-wide FMAs, 192 float32
// FLOP each, for measuring the machine's one-core FMA peak. It reports
// false, doing nothing, without the assembly kernels.
func FMAPeak(n int) bool {
	if !haveAVX2 {
		return false
	}
	fmaPeakAVX2(n)
	return true
}
