//go:build !amd64 || purego

package mfn

// have512 is false: this build has no assembly kernels of its own.
const have512 = false

func pointwise512(out, in, w, bias, slope, res *float32, npix, cin, ostride, coutP, cres int) {
	panic("mfn: no AVX-512 kernel in this build")
}

func biasAct512(row, bias *float32, npix, c int, relu bool) {
	panic("mfn: no AVX-512 kernel in this build")
}
