package mfn

import "github.com/openliveness/openliveness/face/internal/mesh"

// pointwise is the 1×1 convolution with fused bias, residual and PReLU of
// mesh.Pointwise (same layouts and contract). With AVX-512 it runs
// pointwise512 when the shape suits it (a multiple of 7 pixels, and of 32
// output and residual channels); otherwise the mesh's kernel.
func pointwise(out, in []float32, npix, cin, ostride int, w, bias, slope, res []float32, cres int) {
	coutP := len(bias)
	if res == nil {
		cres = 0
	}
	if !have512 || npix <= 0 || cin <= 0 || npix%7 != 0 || coutP%32 != 0 || cres%32 != 0 || ostride < coutP {
		mesh.Pointwise(out, in, npix, cin, ostride, w, bias, slope, res, cres)
		return
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
