//go:build !purego

package mesh

// haveSIMD reports whether the CPU and OS support AVX2 and FMA, which the
// assembly kernels need. It is set once at package initialisation.
var haveSIMD = detectAVX2FMA()

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

func cpuid(eaxArg, ecxArg uint32) (eax, ebx, ecx, edx uint32)

func xgetbv() (eax, edx uint32)

// pointwiseAVX2 is the assembly form of pointwiseGo; see pointwise.
//
//go:noescape
func pointwiseAVX2(out, in, w, bias, slope, res *float32, npix, cin, ostride, coutP, cres int)

// dwRowAVX2 is the assembly form of dwRowGo; see dwRow.
//
//go:noescape
func dwRowAVX2(out, r0, r1, r2, k *float32, ow, c, stride, off int)

// poolRowAVX2 is the assembly form of poolRowGo; see poolRow.
//
//go:noescape
func poolRowAVX2(out, r0, r1 *float32, ow, c int)

// fmaPeakAVX2 runs n iterations of 12 independent 8-wide FMAs (192 FLOP
// each), for measuring the machine's FMA peak (BenchmarkFMAPeak).
//
//go:noescape
func fmaPeakAVX2(n int)
