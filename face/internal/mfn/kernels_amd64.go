//go:build !purego

package mfn

// have512 reports whether the CPU and OS support AVX-512F, which
// pointwise512 needs. It is set once at package initialisation.
var have512 = detectAVX512()

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

// pointwise512 is the AVX-512 form of the pointwise convolution; see
// pointwise.
//
//go:noescape
func pointwise512(out, in, w, bias, slope, res *float32, npix, cin, ostride, coutP, cres int)

// biasAct512 is the AVX-512 form of biasAct for c a multiple of 16.
//
//go:noescape
func biasAct512(row, bias *float32, npix, c int, relu bool)
