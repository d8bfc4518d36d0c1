// Tensors kept for the gradient (kernels/identity.ts, shareSavedTensors): on
// wasm they are new tensors over the same data, made without an Identity
// dispatch, and the gradients, the memory and the tape are what the engine's
// own clone gives (the CPU backend, selected directly here, keeps the
// engine's clone).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-layers';
import { selectBackend } from '../../src/trainer/backend';

const XS = [-1.5, 0.25, 1, 2];

/** Σ eˣ·x², its intermediates disposed by an inner tidy before the backward pass reads them. */
const f = (x: tf.Tensor) => tf.tidy(() => tf.sum(tf.mul(tf.exp(x), tf.square(x))));

async function on(backend: 'wasm' | 'cpu', fn: () => Promise<void>): Promise<void> {
  if (backend === 'wasm') await selectBackend('wasm');
  else await tf.setBackend('cpu');
  await fn();
}

test('a gradient on wasm saves its tensors without an Identity kernel, and reads them after their tidy has ended', async () => {
  await on('wasm', async () => {
    const x = tf.tensor1d(XS);
    const tensorsBefore = tf.memory().numTensors;
    const buffersBefore = tf.backend().numDataIds();
    let grad: number[] = [];
    const profile = await tf.profile(() => {
      const g = tf.grad(f)(x);
      grad = Array.from(g.dataSync());
      g.dispose();
    });
    const names = profile.kernels.map((k) => k.name);
    assert.ok(names.includes('Exp') && names.includes('Square'), names.join(','));
    assert.equal(names.filter((n) => n === 'Identity').length, 0, names.join(','));
    // d/dx eˣx² = eˣ(x² + 2x)
    XS.forEach((v, i) => assert.ok(Math.abs(grad[i] - Math.exp(v) * (v * v + 2 * v)) <= 1e-5 * Math.max(1, Math.abs(grad[i])), `x=${v}: ${grad[i]}`));
    assert.equal(tf.memory().numTensors, tensorsBefore, 'tensors left behind');
    assert.equal(tf.backend().numDataIds(), buffersBefore, 'buffers left behind on the backend');
    x.dispose();
  });
});

test('gradients, second derivatives and memory match the engine\'s own clone (cpu)', async () => {
  const results: Record<string, { first: number[]; second: number[]; leftover: number }> = {};
  for (const backend of ['cpu', 'wasm'] as const) {
    await on(backend, async () => {
      const x = tf.tensor1d(XS);
      const before = tf.memory().numTensors;
      const first = tf.grad(f)(x);
      const second = tf.grad((t: tf.Tensor) => tf.sum(tf.grad(f)(t)))(x);
      results[backend] = { first: Array.from(first.dataSync()), second: Array.from(second.dataSync()), leftover: tf.memory().numTensors - before - 2 };
      tf.dispose([x, first, second]);
    });
  }
  for (const key of ['first', 'second'] as const) {
    results.cpu[key].forEach((v, i) => assert.ok(Math.abs(results.wasm[key][i] - v) <= 1e-4 * Math.max(1, Math.abs(v)), `${key} at x=${XS[i]}: wasm ${results.wasm[key][i]}, cpu ${v}`));
  }
  assert.equal(results.wasm.leftover, results.cpu.leftover);
});

test('a saved tensor outlives the tensor it was saved from: disposing the input before the backward pass', async () => {
  await on('wasm', async () => {
    const buffersBefore = tf.backend().numDataIds();
    const initial = tf.tensor1d(XS);
    const x = tf.variable(initial);
    initial.dispose();
    const { value, grads } = tf.variableGrads(() => {
      // exp(x)'s output is saved for its gradient and disposed with this tidy.
      const y = tf.tidy(() => tf.exp(tf.mul(x, 1)));
      return tf.sum(tf.mul(y, y)) as tf.Scalar;
    });
    // d/dx e^{2x} = 2e^{2x}
    const g = Array.from(grads[x.name].dataSync());
    XS.forEach((v, i) => assert.ok(Math.abs(g[i] - 2 * Math.exp(2 * v)) <= 1e-5 * Math.max(1, g[i]), `x=${v}: ${g[i]}`));
    tf.dispose([value, grads[x.name], x]);
    assert.equal(tf.backend().numDataIds(), buffersBefore, 'buffers left behind on the backend');
  });
});
