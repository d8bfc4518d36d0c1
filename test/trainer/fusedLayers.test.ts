// The training loop's fused path computes what tfjs-layers computes: a
// Dense stack's outputs and every weight gradient, with the fused dense op
// and fused MSE, against model.apply and tf.losses under the gradient tape.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { selectBackend } from '../../src/trainer/backend';
import { denseFused, fusedSequentialForward, meanSquaredErrorFused } from '../../src/trainer/fusedLayers';
import { buildSequential } from '../../src/trainer/model';
import { trainModel } from '../../src/trainer/trainLoop';
import { lcg } from '../helpers/fixtures';

const TOLERANCE = 1e-4;

function maxRelDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i] - b[i]) / Math.max(1, Math.abs(b[i])));
  return worst;
}

function data(rows: number, cols: number, seed: number): tf.Tensor2D {
  const r = lcg(seed);
  return tf.tensor2d(Float32Array.from({ length: rows * cols }, () => r() * 2 - 1), [rows, cols]);
}

for (const backend of ['wasm', 'cpu'] as const) {
  test(`${backend}: fused Dense layers give tfjs-layers' outputs and gradients (relu, sigmoid, tanh, linear, no bias, dropout)`, async () => {
    await selectBackend(backend);
    const before = tf.memory().numTensors;
    const model = buildSequential(
      [
        { type: 'dense', units: 12, activation: 'relu' },
        { type: 'dense', units: 9, activation: 'tanh' },
        { type: 'dropout', rate: 0 },
        { type: 'dense', units: 7, activation: 'sigmoid', useBias: false },
        { type: 'dense', units: 3 },
      ],
      [5],
    );
    const forward = fusedSequentialForward(model);
    assert.ok(forward, 'a Dense stack is fused');
    const x = data(16, 5, 1);
    const y = data(16, 3, 2);
    const vars = model.trainableWeights.map((w) => w.read() as tf.Variable);
    const reference = tf.variableGrads(() => tf.mean(tfl.metrics.meanSquaredError(y, model.apply(x, { training: true }) as tf.Tensor)) as tf.Scalar, vars);
    const fused = tf.variableGrads(() => meanSquaredErrorFused(y, forward!(x, true)), vars);
    assert.ok(maxRelDiff(fused.value.dataSync(), reference.value.dataSync()) <= TOLERANCE, 'loss');
    for (const v of vars) {
      const d = maxRelDiff(fused.grads[v.name].dataSync(), reference.grads[v.name].dataSync());
      assert.ok(d <= TOLERANCE, `gradient of ${v.name}: ${d}`);
    }
    const outRef = model.apply(x, { training: false }) as tf.Tensor;
    const outFused = tf.tidy(() => forward!(x, false));
    assert.ok(maxRelDiff(outFused.dataSync(), outRef.dataSync()) <= TOLERANCE, 'outputs');
    tf.dispose([x, y, outRef, outFused, reference.value, fused.value, ...Object.values(reference.grads), ...Object.values(fused.grads)]);
    model.dispose();
    assert.equal(tf.memory().numTensors, before, 'no tensor leaks');
  });
}

test('a model with layers that are not fused is trained through model.apply', async () => {
  await selectBackend('wasm');
  const model = buildSequential([{ type: 'dense', units: 4, activation: 'elu' as never }, { type: 'dense', units: 1 }], [3]);
  const forward = fusedSequentialForward(model);
  // elu is not fused; the linear head is, so the forward still exists — and matches.
  const x = data(8, 3, 3);
  const a = tf.tidy(() => forward!(x, false));
  const b = model.apply(x) as tf.Tensor;
  assert.ok(maxRelDiff(a.dataSync(), b.dataSync()) <= TOLERANCE);
  tf.dispose([x, a, b]);
  model.dispose();
});

test('trainModel keeps the tensor count flat across epochs and reports fit-style logs', async () => {
  await selectBackend('wasm');
  const model = buildSequential([{ type: 'dense', units: 8, activation: 'relu' }, { type: 'dense', units: 1 }], [4]);
  model.compile({ optimizer: tf.train.adam(0.01), loss: 'meanSquaredError', metrics: ['mae'] });
  const x = data(100, 4, 4);
  const y = tf.tidy(() => tf.sum(x, 1, true));
  const xv = data(30, 4, 5);
  const yv = tf.tidy(() => tf.sum(xv, 1, true));
  const counts: number[] = [];
  const epochs: Record<string, number>[] = [];
  let batches = 0;
  await trainModel(model, x, y, {
    epochs: 6,
    batchSize: 16,
    shuffle: true,
    validationData: [xv, yv],
    callbacks: {
      onBatchEnd: (_b, logs) => {
        batches++;
        assert.ok(Number.isFinite(logs.loss) && Number.isFinite(logs.mae));
      },
      onEpochEnd: (_e, logs) => {
        epochs.push(logs);
        counts.push(tf.memory().numTensors);
      },
    },
  });
  assert.equal(batches, 6 * 7);
  assert.deepEqual(Object.keys(epochs[0]).sort(), ['loss', 'mae', 'val_loss', 'val_mae']);
  assert.ok(epochs[5].loss < epochs[0].loss, 'it learns');
  assert.ok(counts.every((c) => c === counts[0]), `tensor count per epoch: ${counts.join(', ')}`);
  // Validation logs are the model's loss on the validation data, as evaluate() computes it.
  const evaluated = model.evaluate(xv, yv) as tf.Scalar[];
  assert.ok(Math.abs(evaluated[0].dataSync()[0] - epochs[5].val_loss) < 1e-5);
  tf.dispose([x, y, xv, yv, ...evaluated]);
  model.dispose();
});

for (const backend of ['wasm', 'cpu'] as const) {
  test(`${backend}: the fused dense op on a [batch, tokens, width] input gives the 2-D op's values and gradients in the input's shape`, async () => {
    await selectBackend(backend);
    const before = tf.memory().numTensors;
    const [x3, w, b, probe] = tf.tidy(() => [
      tf.reshape(data(3 * 5, 8, 11), [3, 5, 8]),
      data(8, 6, 12),
      // Made 1-D, not reshaped: the wasm backend's fused product (the tanh path) checks the shape its buffer was written with.
      tf.tensor1d(data(1, 6, 13).dataSync()),
      tf.reshape(data(3 * 5, 6, 14), [3, 5, 6]),
    ]) as [tf.Tensor3D, tf.Tensor2D, tf.Tensor1D, tf.Tensor3D];
    for (const activation of ['linear', 'relu', 'tanh'] as const) {
      // Σ probe · dense(x): its gradients reach x (in x's shape), w and b.
      const ours = tf.grads((x: tf.Tensor, wt: tf.Tensor, bt: tf.Tensor) => tf.sum(tf.mul(probe, denseFused(x, wt as tf.Tensor2D, bt as tf.Tensor1D, activation))))([x3, w, b]);
      const flat = tf.grads((x: tf.Tensor, wt: tf.Tensor, bt: tf.Tensor) => tf.sum(tf.mul(probe, tf.reshape(denseFused(tf.reshape(x, [15, 8]) as tf.Tensor2D, wt as tf.Tensor2D, bt as tf.Tensor1D, activation), [3, 5, 6]))))([x3, w, b]);
      const [y3, y2] = tf.tidy(() => [denseFused(x3, w, b, activation), tf.reshape(denseFused(tf.reshape(x3, [15, 8]) as tf.Tensor2D, w, b, activation), [3, 5, 6])]);
      assert.deepEqual(y3.shape, [3, 5, 6], `${activation}: output shape`);
      assert.ok(maxRelDiff(y3.dataSync(), y2.dataSync()) <= 1e-6, `${activation}: outputs`);
      assert.ok(activation !== 'relu' || y3.dataSync().some((v) => v === 0), 'relu clips some outputs to 0');
      assert.deepEqual(ours[0].shape, [3, 5, 8], `${activation}: dx in x's shape`);
      ['dx', 'dw', 'db'].forEach((name, i) => assert.ok(maxRelDiff(ours[i].dataSync(), flat[i].dataSync()) <= 1e-6, `${activation}: ${name}`));
      tf.dispose([y3, y2, ...ours, ...flat]);
    }
    tf.dispose([x3, w, b, probe]);
    assert.equal(tf.memory().numTensors, before, 'no tensor leaks');
  });
}
