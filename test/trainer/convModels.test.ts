// Convolutional stacks built from the config: tfjs-layers' summary gives the
// output shapes and parameter counts Keras prints (and core/layerShapes.ts
// infers without TensorFlow.js), and a forward pass runs on the wasm backend
// with the CPU backend's results.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import { inferLayerShapes } from '../../src/core/layerShapes';
import type { LayerConfig, ModelSummary } from '../../src/core/types';
import { selectBackend } from '../../src/trainer/backend';
import { fusedSequentialForward } from '../../src/trainer/fusedLayers';
import { buildSequential, formatSummary, summarize } from '../../src/trainer/model';
import { DIGITS_CNN, lcg } from '../helpers/fixtures';

function images(count: number, shape: number[], seed: number): tf.Tensor4D {
  const r = lcg(seed);
  const size = count * shape.reduce((a, b) => a * b, 1);
  return tf.tensor4d(Float32Array.from({ length: size }, () => r()), [count, ...shape] as [number, number, number, number]);
}

/** The summary's shapes and parameters are those core/layerShapes.ts infers, layer by layer. */
function assertMatchesInference(summary: ModelSummary, layers: LayerConfig[], inputShape: number[]): void {
  const inferred = inferLayerShapes(layers, inputShape);
  assert.equal(inferred.problem, undefined);
  assert.deepEqual(
    summary.layers.map((l) => ({ shape: l.outputShape, params: l.params })),
    inferred.layers.map((l) => ({ shape: [null, ...l.output], params: l.params })),
  );
  assert.equal(summary.totalParams, inferred.totalParams);
  assert.equal(summary.trainableParams, inferred.trainableParams);
  assert.deepEqual(summary.inputShape, [null, ...inputShape]);
}

/** Builds the same stack (same seed, same weights) on a backend and runs it on `x`. */
async function forward(backend: 'wasm' | 'cpu', layers: LayerConfig[], inputShape: number[], x: () => tf.Tensor4D): Promise<{ shape: number[]; values: Float32Array; summary: ModelSummary }> {
  await selectBackend(backend);
  assert.equal(tf.getBackend(), backend);
  const before = tf.memory().numTensors;
  const model = buildSequential(layers, inputShape);
  // Deterministic weights, the same on every backend.
  const r = lcg(5);
  // A variance must be positive; every other weight may take either sign.
  const weights = model.weights.map((w) =>
    tf.tensor(Float32Array.from({ length: w.shape.reduce((a: number, b) => a * (b ?? 1), 1) }, () => (w.name.includes('variance') ? 0.5 + r() : (r() - 0.5) * 0.2)), w.shape as number[]),
  );
  model.setWeights(weights);
  tf.dispose(weights);
  const input = x();
  const out = model.predict(input) as tf.Tensor;
  const result = { shape: out.shape, values: (await out.data()) as Float32Array, summary: summarize(model, inputShape) };
  tf.dispose([input, out]);
  model.dispose();
  assert.equal(tf.memory().numTensors, before, `${backend}: no tensor leaks`);
  return result;
}

function maxAbsDiff(a: Float32Array, b: Float32Array): number {
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i] - b[i]));
  return worst;
}

test('the digits CNN: Keras output shapes and parameter counts, a forward pass on wasm as on the CPU', async () => {
  const wasm = await forward('wasm', DIGITS_CNN, [28, 28, 1], () => images(3, [28, 28, 1], 1));
  const s = wasm.summary;
  // As Keras' model.summary() prints this model.
  assert.deepEqual(
    s.layers.map((l) => [l.type, l.outputShape, l.params]),
    [
      ['Conv2D', [null, 26, 26, 32], 320],
      ['MaxPooling2D', [null, 13, 13, 32], 0],
      ['Conv2D', [null, 11, 11, 64], 18496],
      ['MaxPooling2D', [null, 5, 5, 64], 0],
      ['Flatten', [null, 1600], 0],
      ['Dense', [null, 128], 204928],
      ['Dense', [null, 10], 1290],
    ],
  );
  assert.equal(s.totalParams, 225034);
  assert.equal(s.trainableParams, 225034);
  assert.deepEqual(s.inputShape, [null, 28, 28, 1]);
  assertMatchesInference(s, DIGITS_CNN, [28, 28, 1]);
  assert.match(formatSummary(s), /\[null,26,26,32\]\s+320/);
  assert.match(formatSummary(s), /Total params: 225,034/);

  assert.deepEqual(wasm.shape, [3, 10]);
  for (let i = 0; i < 3; i++) {
    const row = wasm.values.subarray(i * 10, i * 10 + 10);
    assert.ok(row.every((p) => Number.isFinite(p) && p >= 0), 'probabilities');
    assert.ok(Math.abs(row.reduce((a, b) => a + b, 0) - 1) < 1e-5, 'softmax rows sum to 1');
  }
  const cpu = await forward('cpu', DIGITS_CNN, [28, 28, 1], () => images(3, [28, 28, 1], 1));
  assert.ok(maxAbsDiff(wasm.values, cpu.values) < 1e-5, `wasm and cpu disagree by ${maxAbsDiff(wasm.values, cpu.values)}`);
});

test('same and valid padding, strides, [h, w] windows, average pooling, batch normalization and dropout on feature maps, global average pooling', async () => {
  const layers: LayerConfig[] = [
    { type: 'conv2d', filters: 8, kernelSize: [3, 5], strides: 2, padding: 'same', useBias: false },
    { type: 'batchNormalization' },
    { type: 'activation', activation: 'relu' },
    { type: 'dropout', rate: 0.25 },
    { type: 'conv2d', filters: 12, kernelSize: 3, strides: [1, 2], activation: 'elu', kernelInitializer: 'heNormal' },
    { type: 'averagePooling2d', poolSize: [2, 3], padding: 'same' },
    { type: 'maxPooling2d', poolSize: 2, strides: 1 },
    { type: 'layerNormalization' },
    { type: 'globalAveragePooling2d' },
    { type: 'dense', units: 4, activation: 'softmax' },
  ];
  const inputShape = [17, 23, 3];
  const wasm = await forward('wasm', layers, inputShape, () => images(2, inputShape, 2));
  assertMatchesInference(wasm.summary, layers, inputShape);
  assert.deepEqual(
    wasm.summary.layers.map((l) => l.outputShape),
    [[null, 9, 12, 8], [null, 9, 12, 8], [null, 9, 12, 8], [null, 9, 12, 8], [null, 7, 5, 12], [null, 4, 2, 12], [null, 3, 1, 12], [null, 3, 1, 12], [null, 12], [null, 4]],
  );
  // Batch normalization: 4 weights per channel, 2 trained (Keras prints 32, and 16 non-trainable).
  assert.equal(wasm.summary.layers[1].params, 32);
  assert.equal(wasm.summary.totalParams - wasm.summary.trainableParams, 16);
  assert.deepEqual(wasm.shape, [2, 4]);
  const cpu = await forward('cpu', layers, inputShape, () => images(2, inputShape, 2));
  assert.ok(maxAbsDiff(wasm.values, cpu.values) < 1e-4, `wasm and cpu disagree by ${maxAbsDiff(wasm.values, cpu.values)}`);
});

test("the training loop's fused forward pass runs a CNN's dense layers fused and its other layers as themselves", async () => {
  await selectBackend('wasm');
  const before = tf.memory().numTensors;
  const model = buildSequential(DIGITS_CNN, [28, 28, 1]);
  const forward = fusedSequentialForward(model);
  assert.ok(forward, 'the dense layers after flatten are fused');
  const x = images(2, [28, 28, 1], 4);
  const reference = model.apply(x, { training: false }) as tf.Tensor;
  const fused = tf.tidy(() => forward!(x, false));
  assert.deepEqual(fused.shape, [2, 10]);
  assert.ok(maxAbsDiff((await fused.data()) as Float32Array, (await reference.data()) as Float32Array) < 1e-5);
  tf.dispose([x, reference, fused]);
  model.dispose();
  assert.equal(tf.memory().numTensors, before, 'no tensor leaks');
});

test('a tabular stack is built from a one-dimensional input shape, and its summary matches the inference too', async () => {
  const layers: LayerConfig[] = [
    { type: 'dense', units: 16, activation: 'relu' },
    { type: 'batchNormalization' },
    { type: 'dropout', rate: 0.1 },
    { type: 'dense', units: 1, useBias: false },
  ];
  await selectBackend('wasm');
  const model = buildSequential(layers, [7]);
  const summary = summarize(model, [7]);
  assertMatchesInference(summary, layers, [7]);
  assert.equal(summary.totalParams, 7 * 16 + 16 + 4 * 16 + 16);
  assert.deepEqual(summarize(model, 7).inputShape, [null, 7]);
  model.dispose();
});

/** Gradients of a softmax cross-entropy through the stack in training mode, on a backend, from the same weights and images. */
async function trainingGradients(backend: 'wasm' | 'cpu', layers: LayerConfig[], inputShape: number[]): Promise<Float32Array[]> {
  await selectBackend(backend);
  const before = tf.memory().numTensors;
  const model = buildSequential(layers, inputShape);
  const r = lcg(9);
  const weights = model.weights.map((w) =>
    tf.tensor(Float32Array.from({ length: w.shape.reduce((a: number, b) => a * (b ?? 1), 1) }, () => (w.name.includes('variance') ? 0.5 + r() : (r() - 0.5) * 0.4)), w.shape as number[]),
  );
  model.setWeights(weights);
  tf.dispose(weights);
  const x = images(4, inputShape, 3);
  const y = tf.tidy(() => tf.oneHot(tf.tensor1d([0, 1, 2, 1], 'int32'), 3));
  const vars = model.trainableWeights.map((w) => w.read() as tf.Variable);
  const { value, grads } = tf.variableGrads(() => tf.losses.softmaxCrossEntropy(y, model.apply(x, { training: true }) as tf.Tensor), vars);
  assert.ok(Number.isFinite((await value.data())[0]), `${backend}: loss`);
  const out = await Promise.all(vars.map((v) => grads[v.name].data() as Promise<Float32Array>));
  tf.dispose([x, y, value, ...Object.values(grads)]);
  model.dispose();
  assert.equal(tf.memory().numTensors, before, `${backend}: no tensor leaks`);
  return out;
}

function assertSameGradients(wasm: Float32Array[], cpu: Float32Array[]): void {
  assert.equal(wasm.length, cpu.length);
  wasm.forEach((g, i) => {
    assert.ok(g.some((v) => v !== 0), `weight ${i} gets a gradient`);
    assert.ok(maxAbsDiff(g, cpu[i]) < 1e-4, `weight ${i}: wasm and cpu disagree by ${maxAbsDiff(g, cpu[i])}`);
  });
}

test('gradients through convolution, pooling and batch normalization in training mode: wasm as the CPU', async () => {
  const layers: LayerConfig[] = [
    { type: 'conv2d', filters: 6, kernelSize: 3, padding: 'same', activation: 'relu' },
    { type: 'maxPooling2d' },
    { type: 'batchNormalization' },
    { type: 'conv2d', filters: 5, kernelSize: [2, 3], strides: 2, activation: 'tanh' },
    { type: 'averagePooling2d', poolSize: 2, padding: 'same' },
    { type: 'dropout', rate: 0 },
    { type: 'flatten' },
    { type: 'dense', units: 3, activation: 'softmax' },
  ];
  const wasm = await trainingGradients('wasm', layers, [12, 14, 2]);
  assert.equal(wasm.length, 8); // two kernels and biases, gamma and beta, the dense kernel and bias
  assertSameGradients(wasm, await trainingGradients('cpu', layers, [12, 14, 2]));
});

// tfjs-backend-wasm 4.22's own MaxPoolGrad sends some gradients to the wrong
// place when the pooled values are negative (after batch normalization or a
// linear convolution, say): this stack's gradients differed from the CPU
// backend's by ~0.08. Model Lab's wasm kernel (kernels/) replaces it.
test('max pooling after batch normalization passes gradients on wasm as on the CPU', async () => {
  // 4 and 3 channels: a multiple of 4 and not (kernels may take different paths).
  for (const filters of [4, 3]) {
    const layers: LayerConfig[] = [
      { type: 'conv2d', filters, kernelSize: 3, padding: 'same' },
      { type: 'batchNormalization' },
      { type: 'maxPooling2d', poolSize: [2, 3], strides: [2, 2], padding: 'same' },
      { type: 'flatten' },
      { type: 'dense', units: 3, activation: 'softmax' },
    ];
    assertSameGradients(await trainingGradients('wasm', layers, [8, 9, 2]), await trainingGradients('cpu', layers, [8, 9, 2]));
  }
});
