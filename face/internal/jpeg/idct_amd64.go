//go:build !purego

package jpeg

// haveAVX2 reports whether the CPU and OS support AVX2, which idctAVX2
// needs. It is set once at package initialisation and never changed.
var haveAVX2 = detectAVX2()

func detectAVX2() bool {
	maxLeaf, _, _, _ := cpuid(0, 0)
	if maxLeaf < 7 {
		return false
	}
	_, _, ecx1, _ := cpuid(1, 0)
	const (
		osxsave = 1 << 27
		avx     = 1 << 28
	)
	if ecx1&(osxsave|avx) != osxsave|avx {
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

// idctAVX2 is idctGo on eight rows, then eight columns, at once.
//
//go:noescape
func idctAVX2(b *block)

// idctStoreAVX2 is idctAVX2 followed by the level shift, clipping and
// store of reconstructBlock: dst[y*stride+x] for the 8×8 samples.
//
//go:noescape
func idctStoreAVX2(b *block, dst *byte, stride int)

// idct is the 2-D inverse DCT; see idctGo.
func idct(b *block, simd bool) {
	if simd {
		idctAVX2(b)
		return
	}
	idctGo(b)
}
