//go:build !amd64 || purego

package mesh

// haveSIMD is false: this build has no assembly kernels.
const haveSIMD = false

func pointwiseAVX2(out, in, w, bias, slope, res *float32, npix, cin, ostride, coutP, cres int) {
	panic("mesh: no assembly kernels in this build")
}

func dwRowAVX2(out, r0, r1, r2, k *float32, ow, c, stride, off int) {
	panic("mesh: no assembly kernels in this build")
}

func poolRowAVX2(out, r0, r1 *float32, ow, c int) {
	panic("mesh: no assembly kernels in this build")
}

func fmaPeakAVX2(n int) {
	panic("mesh: no assembly kernels in this build")
}
