package mfn

import "github.com/openliveness/openliveness/face/internal/nn"

// kernels selects the kernel forms a Model runs: the assembly kernels of
// package nn (simd) and, on CPUs with AVX-512, its 1×1 convolution over
// seven pixels by 32 channels (wide) where the shape suits it.
type kernels struct{ simd, wide bool }

// bestKernels is the fastest selection this CPU runs.
func bestKernels() kernels {
	return kernels{simd: nn.HaveSIMD(), wide: nn.HaveAVX512()}
}

// pointwise is the 1×1 convolution with fused bias, residual and PReLU of
// nn.Pointwise (same layouts and contract).
func (k kernels) pointwise(out, in []float32, npix, cin, ostride int, w, bias, slope, res []float32, cres int) {
	if res == nil {
		cres = 0
	}
	if k.wide && nn.Fits512(npix, cin, ostride, len(bias), cres) {
		nn.Pointwise512(out, in, npix, cin, ostride, w, bias, slope, res, cres)
		return
	}
	nn.Pointwise(k.simd, out, in, npix, cin, ostride, w, bias, slope, res, cres)
}
