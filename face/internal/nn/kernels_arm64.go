//go:build !purego

package nn

// On arm64 the assembly kernels use NEON (Advanced SIMD), which every
// ARMv8-A CPU has.

// HaveSIMD reports whether the assembly kernels run on this CPU: on arm64,
// the NEON kernels, always.
func HaveSIMD() bool { return true }

// HaveAVX512 reports whether the AVX-512 kernels run on this CPU: never on
// arm64.
func HaveAVX512() bool { return false }

// FMAPeak has no peak loop on arm64 and reports false.
func FMAPeak(n int) bool { return false }

// pointwiseSIMD is the NEON form of pointwiseGo; see Pointwise.
//
//go:noescape
func pointwiseSIMD(out, in, w, bias, slope, res *float32, npix, cin, ostride, coutP, cres int)

// dwRowNEON is the NEON form of the depthwise row, with an optional bias
// (nil for none) and ReLU; see DepthwiseRow and DepthwiseRowBias.
//
//go:noescape
func dwRowNEON(out, r0, r1, r2, k, bias *float32, ow, c, stride, off int, relu bool)

func dwRowSIMD(out, r0, r1, r2, k, bias *float32, ow, c, stride, off int, relu bool) {
	dwRowNEON(out, r0, r1, r2, k, bias, ow, c, stride, off, relu)
}

func dwRowBiasSIMD(out, r0, r1, r2, k, bias *float32, ow, c, stride, off int, relu bool) {
	dwRowNEON(out, r0, r1, r2, k, bias, ow, c, stride, off, relu)
}

// poolRowSIMD is the NEON form of poolRowGo; see PoolRow.
//
//go:noescape
func poolRowSIMD(out, r0, r1 *float32, ow, c int)

// conv3Asm reports that this build has no assembly form of Conv3.
const conv3Asm = false

func conv3SIMD(out, r0, r1, r2, w, bias, slope *float32, npix, step, ostride, coutP int) {
	panic("nn: no conv3 assembly in this build")
}
