//go:build !amd64 || purego

package nn

func pointwise512(out, in, w, bias, slope, res *float32, npix, cin, ostride, coutP, cres int) {
	panic("nn: no AVX-512 kernel in this build")
}
