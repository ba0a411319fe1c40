// Package nn holds what the networks under face/internal share: the reader
// of the TensorFlow.js graph-model format (ParseGraph) and the float32
// kernels they run (Conv3, Pointwise, DepthwiseRow, DepthwiseRowBias,
// PoolRow, and on CPUs with AVX-512 Pointwise512).
//
// Activations are NHWC, batch 1. The 1×1 convolution reads its filter in
// the BlockFilter layout, 16 output channels per block, and fuses bias,
// residual and PReLU into one pass; the 3×3 depthwise convolution computes
// one output row from three bordered input rows.
//
// Every kernel has a portable Go form and, selected by the simd argument,
// an assembly form: AVX2 and FMA on amd64 (when the CPU has them, see
// HaveSIMD), NEON on arm64. The build tag purego leaves the assembly out.
// Both forms are tested against naive float64 references, on arm64 under
// qemu-user (make arm64).
//
// The kernels and the Graph are safe for concurrent use: they keep no
// state, and a Graph is not modified after ParseGraph.
package nn
