package mesh

// Exported float32 kernels, shared with the other networks under
// face/internal (the face embedding network in package mfn). They are the
// kernels the mesh runs, with the same layouts and preconditions; the
// assembly forms are used when the CPU supports them.

// BlockWidth is the number of output channels per weight block of
// Pointwise: filters are laid out by BlockFilter, and bias and slope
// vectors are padded to a multiple of BlockWidth.
const BlockWidth = blockWidth

// SIMD reports whether the assembly kernels run in this process.
func SIMD() bool { return haveSIMD }

// BlockFilter converts a [cout][k] filter to the layout Pointwise reads,
// padding the output channels with zero weights to a multiple of
// BlockWidth.
func BlockFilter(w []float32, cout, k int) []float32 { return blockFilter(w, cout, k) }

// Pointwise is a 1×1 convolution over npix pixels of cin channels with a
// fused epilogue:
//
//	out[p·ostride + o] = PReLU_slope[o](Σ_i in[p·cin + i]·W[o][i] + bias[o] + res[p·cres + o])
//
// for o < len(bias), a multiple of BlockWidth; w is in the BlockFilter
// layout; res, when not nil, is added to the first cres channels (cres a
// multiple of BlockWidth). An all-ones slope makes the activation the
// identity. It panics on inconsistent shapes.
func Pointwise(out, in []float32, npix, cin, ostride int, w, bias, slope, res []float32, cres int) {
	pointwise(haveSIMD, out, in, npix, cin, ostride, w, bias, slope, res, cres)
}

// DepthwiseRow computes one output row of a 3×3 depthwise convolution
// without bias. r0, r1 and r2 are the three input rows including a
// one-pixel zero border on both sides; output pixel x reads the bordered
// columns x·stride+off … x·stride+off+2. k is [9][c], tap-major, and c is
// a multiple of 8.
func DepthwiseRow(out, r0, r1, r2, k []float32, ow, c, stride, off int) {
	dwRow(haveSIMD, out, r0, r1, r2, k, ow, c, stride, off)
}
