// A Transformer's projections into and out of its heads on the heads kernels
// (kernels/heads.ts, wasm) give the composed path's values and gradients (the
// dense op, reshapes and transpose they replace): bit for bit for heads a
// multiple of 8 wide, within float32 rounding for others.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-layers';
import { selectBackend } from '../../src/trainer/backend';
import { denseFused } from '../../src/trainer/fusedLayers';
import { hasHeadsKernels } from '../../src/trainer/kernels/heads';
import { denseFromHeads, denseToHeads } from '../../src/trainer/transformer';
import { lcg } from '../helpers/fixtures';

function random(shape: number[], seed: number): tf.Tensor {
  const r = lcg(seed);
  return tf.tensor(Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => r() * 2 - 1), shape);
}

/** The composed path: the dense op, then [B, T, H, dk] → [B, H, T, dk] → [B·H, T, dk]. */
function composedToHeads(x: tf.Tensor3D, w: tf.Tensor2D, b: tf.Tensor1D, heads: number): tf.Tensor3D {
  const [batch, length] = x.shape;
  const dk = w.shape[1] / heads;
  return tf.reshape(tf.transpose(tf.reshape(denseFused(x, w, b, 'linear'), [batch, length, heads, dk]), [0, 2, 1, 3]), [batch * heads, length, dk]);
}

/** The composed path: [B·H, T, dk] → [B, H, T, dk] → [B, T, H, dk] → [B, T, H·dk], then the dense op. */
function composedFromHeads(ctx: tf.Tensor3D, w: tf.Tensor2D, b: tf.Tensor1D, heads: number): tf.Tensor3D {
  const [bh, length, dk] = ctx.shape;
  const merged = tf.reshape(tf.transpose(tf.reshape(ctx, [bh / heads, heads, length, dk]), [0, 2, 1, 3]), [bh / heads, length, heads * dk]);
  return denseFused(merged as tf.Tensor3D, w, b, 'linear');
}

/**
 * Bit for bit where a head is a multiple of 8 wide; else within float32
 * rounding: the kernel computes columns 8 at a time with fused multiply-adds
 * and the last N % 8 one at a time without, so a head of 4 takes the latter
 * where the composed product over all heads took the former.
 */
function same(actual: tf.Tensor, expected: tf.Tensor, exact: boolean, what: string): void {
  assert.deepEqual(actual.shape, expected.shape, `${what}: shape`);
  const [av, ev] = [actual.dataSync(), expected.dataSync()];
  const [a, e] = [new Uint32Array(av.buffer), new Uint32Array(ev.buffer)];
  const first = exact ? a.findIndex((v, i) => v !== e[i]) : ev.findIndex((v, i) => !(Math.abs(av[i] - v) <= 1e-6 * Math.max(1, Math.abs(v))));
  assert.equal(first, -1, `${what}: value ${first} differs (${av[first]} against ${ev[first]})`);
}

// The bench encoder's sizes (2 heads of 32), the decoder's (4 of 16), and an odd one: 3 texts, 5 tokens, 3 heads of 4, output 10 wide.
const SIZES = [
  { batch: 32, length: 64, d: 64, heads: 2, dOut: 64 },
  { batch: 4, length: 64, d: 64, heads: 4, dOut: 64 },
  { batch: 3, length: 5, d: 7, heads: 3, dOut: 10 },
];

for (const { batch, length, d, heads, dOut } of SIZES) {
  test(`heads kernels, ${batch} texts × ${length} tokens, width ${d}, ${heads} heads: into and out of the heads as the composed ops, values and gradients bit for bit`, async () => {
    await selectBackend('wasm');
    assert.ok(hasHeadsKernels(), 'the heads kernels run on wasm');
    const width = heads * 4 * Math.ceil(d / (heads * 4));
    const [x, wIn, bIn, wOut, bOut, probe] = [
      random([batch, length, d], 1),
      random([d, width], 2),
      random([width], 3),
      random([width, dOut], 4),
      random([dOut], 5),
      random([batch, length, dOut], 6),
    ] as [tf.Tensor3D, tf.Tensor2D, tf.Tensor1D, tf.Tensor2D, tf.Tensor1D, tf.Tensor3D];
    const before = tf.memory().numTensors;
    // Σ probe · out(f(into(x))), f a nonlinearity between (as attention is), so every gradient is a product of both ops'.
    const loss = (into: typeof denseToHeads, outOf: typeof denseFromHeads) => (xt: tf.Tensor, w1: tf.Tensor, b1: tf.Tensor, w2: tf.Tensor, b2: tf.Tensor) =>
      tf.sum(tf.mul(probe, outOf(tf.tanh(into(xt as tf.Tensor3D, w1 as tf.Tensor2D, b1 as tf.Tensor1D, heads)), w2 as tf.Tensor2D, b2 as tf.Tensor1D, heads)));
    const ours = tf.grads(loss(denseToHeads, denseFromHeads))([x, wIn, bIn, wOut, bOut]);
    const theirs = tf.grads(loss(composedToHeads, composedFromHeads))([x, wIn, bIn, wOut, bOut]);
    const exact = (width / heads) % 8 === 0;
    ['dx', 'dw into', 'db into', 'dw out', 'db out'].forEach((name, i) => same(ours[i], theirs[i], exact, name));
    const [into, composedInto] = tf.tidy(() => [denseToHeads(x, wIn, bIn, heads), composedToHeads(x, wIn, bIn, heads)]);
    same(into, composedInto, exact, 'into the heads');
    const [out, composedOut] = tf.tidy(() => [denseFromHeads(into, wOut, bOut, heads), composedFromHeads(into, wOut, bOut, heads)]);
    same(out, composedOut, exact, 'out of the heads');
    tf.dispose([...ours, ...theirs, into, composedInto, out, composedOut]);
    assert.equal(tf.memory().numTensors, before, 'no tensor left behind');
    tf.dispose([x, wIn, bIn, wOut, bOut, probe]);
  });
}
