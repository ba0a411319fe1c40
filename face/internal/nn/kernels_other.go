//go:build (!amd64 && !arm64) || purego

package nn

// HaveSIMD reports whether the assembly kernels run on this CPU; this
// build has none.
func HaveSIMD() bool { return false }

// HaveAVX512 reports whether the AVX-512 kernels run on this CPU; this
// build has none.
func HaveAVX512() bool { return false }

// FMAPeak has no assembly to run in this build and reports false.
func FMAPeak(n int) bool { return false }

func pointwiseSIMD(out, in, w, bias, slope, res *float32, npix, cin, ostride, coutP, cres int) {
	panic("nn: no assembly kernels in this build")
}

func dwRowSIMD(out, r0, r1, r2, k, bias *float32, ow, c, stride, off int, relu bool) {
	panic("nn: no assembly kernels in this build")
}

func dwRowBiasSIMD(out, r0, r1, r2, k, bias *float32, ow, c, stride, off int, relu bool) {
	panic("nn: no assembly kernels in this build")
}

func poolRowSIMD(out, r0, r1 *float32, ow, c int) {
	panic("nn: no assembly kernels in this build")
}

// conv3Asm reports that this build has no assembly form of Conv3.
const conv3Asm = false

func conv3SIMD(out, r0, r1, r2, w, bias, slope *float32, npix, step, ostride, coutP int) {
	panic("nn: no conv3 assembly in this build")
}
