package nn

// Pointwise512 is Pointwise (same layouts and result up to the summation
// order) on AVX-512: 32 output channels by 7 pixels per step. It needs
// HaveAVX512, npix a multiple of 7, and len(bias) and cres multiples of
// 32; Fits512 reports whether a shape qualifies. It panics otherwise.
func Pointwise512(out, in []float32, npix, cin, ostride int, w, bias, slope, res []float32, cres int) {
	coutP := len(bias)
	if res == nil {
		cres = 0
	}
	if !HaveAVX512() || !Fits512(npix, cin, ostride, coutP, cres) {
		panic("nn: bad AVX-512 pointwise shape")
	}
	// Bounds checks for the assembly kernel.
	_ = in[npix*cin-1]
	_ = out[(npix-1)*ostride+coutP-1]
	_ = w[coutP*cin-1]
	_ = slope[coutP-1]
	var r *float32
	if cres > 0 {
		_ = res[(npix-1)*cres+cres-1]
		r = &res[0]
	}
	pointwise512(&out[0], &in[0], &w[0], &bias[0], &slope[0], r, npix, cin, ostride, coutP, cres)
}

// Fits512 reports whether Pointwise512 takes a shape: npix a multiple of
// 7, coutP and cres multiples of 32 (cres 0 without residual).
func Fits512(npix, cin, ostride, coutP, cres int) bool {
	return npix > 0 && cin > 0 && npix%7 == 0 && coutP > 0 && coutP%32 == 0 && cres%32 == 0 && ostride >= coutP
}
