// The attention weights as two kernels (kernels/attention.ts): on wasm (the
// SIMD loops where rows are a multiple of 4 wide, the JavaScript loops
// otherwise) and on cpu, the weights and the scores' gradient equal a float64
// reference of the formula and the composed tfjs ops (the tensorflow backend's path).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-layers';
import { selectBackend } from '../../src/trainer/backend';
import type { AttentionAttrs } from '../../src/trainer/kernels/attention';
import { attentionWeights, attentionWeightsComposed } from '../../src/trainer/transformer';

const MASKED = -1e9;

function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

interface Case {
  batch: number;
  heads: number;
  length: number;
  causal: boolean;
  /** Real tokens of each batch entry (the rest are padding). */
  real: number[];
}

function inputs(c: Case, seed: number) {
  const r = rng(seed);
  const n = c.batch * c.heads * c.length * c.length;
  const scores = Float64Array.from({ length: n }, () => 8 * (r() - 0.5));
  const weights = Float64Array.from({ length: n }, () => r() - 0.5);
  const mask = Float64Array.from({ length: c.batch * c.length }, (_, i) => (i % c.length < c.real[Math.floor(i / c.length)] ? 1 : 0));
  return { scores, weights, mask };
}

/** P and dL/dscores for L = Σ P·W, in float64 from the formula. */
function reference(c: Case, scale: number, scores: Float64Array, weights: Float64Array, mask: Float64Array) {
  const t = c.length;
  const p = new Float64Array(scores.length);
  const ds = new Float64Array(scores.length);
  for (let row = 0; row < scores.length / t; row++) {
    const b = Math.floor(row / (c.heads * t));
    const i = row % t;
    const v = Array.from({ length: t }, (_, j) => scores[row * t + j] * scale + (1 - mask[b * t + j]) * MASKED + (c.causal && j > i ? MASKED : 0));
    const m = Math.max(...v);
    const e = v.map((x) => Math.exp(x - m));
    const sum = e.reduce((a, x) => a + x, 0);
    let dot = 0;
    for (let j = 0; j < t; j++) {
      p[row * t + j] = e[j] / sum;
      dot += p[row * t + j] * weights[row * t + j];
    }
    for (let j = 0; j < t; j++) ds[row * t + j] = scale * p[row * t + j] * (weights[row * t + j] - dot);
  }
  return { p, ds };
}

/** P and the gradient of Σ P·W by `weightsOf` on the current backend. */
function run(c: Case, scores: Float64Array, weights: Float64Array, mask: Float64Array, weightsOf: (s: tf.Tensor3D, m: tf.Tensor2D) => tf.Tensor4D) {
  const t = c.length;
  const s = tf.tensor3d(Float32Array.from(scores), [c.batch * c.heads, t, t]);
  const m = tf.tensor2d(Float32Array.from(mask), [c.batch, t]);
  const w = tf.tensor4d(Float32Array.from(weights), [c.batch, c.heads, t, t]);
  const p = tf.tidy(() => weightsOf(s, m));
  const ds = tf.grad((x: tf.Tensor) => tf.sum(tf.mul(weightsOf(x as tf.Tensor3D, m), w)))(s);
  const out = { p: p.dataSync(), ds: ds.dataSync(), shape: p.shape };
  tf.dispose([s, m, w, p, ds]);
  return out;
}

function close(actual: Float32Array | Int32Array | Uint8Array, expected: Float64Array, tolerance: number, what: string): void {
  assert.equal(actual.length, expected.length, what);
  let worst = 0;
  let at = 0;
  for (let i = 0; i < expected.length; i++) {
    const err = Math.abs(actual[i] - expected[i]);
    if (err > worst) [worst, at] = [err, i];
  }
  assert.ok(worst <= tolerance, `${what}: off by ${worst} at ${at} (${actual[at]} against ${expected[at]})`);
}

const CASES: Record<string, Case> = {
  'encoder, rows a multiple of 4 (SIMD)': { batch: 3, heads: 2, length: 16, causal: false, real: [16, 9, 4] },
  'decoder, causal (SIMD)': { batch: 2, heads: 4, length: 12, causal: true, real: [12, 7] },
  'rows 6 wide (the JavaScript loops)': { batch: 2, heads: 3, length: 6, causal: true, real: [6, 3] },
};

for (const backend of ['wasm', 'cpu'] as const) {
  for (const [name, c] of Object.entries(CASES)) {
    test(`attention weights on ${backend}, ${name}: the formula's values and gradient, and the composed ops'`, async () => {
      if (backend === 'wasm') await selectBackend('wasm');
      else await tf.setBackend('cpu');
      const attrs: AttentionAttrs = { scale: 1 / Math.sqrt(8), masked: MASKED, heads: c.heads, causal: c.causal };
      const { scores, weights, mask } = inputs(c, 7 + c.length);
      const want = reference(c, attrs.scale, scores, weights, mask);
      const before = tf.memory().numTensors;
      const ours = run(c, scores, weights, mask, (s, m) => attentionWeights(s, m, attrs));
      assert.equal(tf.memory().numTensors, before, 'tensors left behind');
      assert.deepEqual(ours.shape, [c.batch, c.heads, c.length, c.length]);
      close(ours.p, want.p, 2e-7, 'weights');
      close(ours.ds, want.ds, 2e-7, 'gradient');
      // Padding keys and (causal) later keys get no weight; every row sums to 1.
      for (let row = 0; row < ours.p.length / c.length; row++) {
        const b = Math.floor(row / (c.heads * c.length));
        const i = row % c.length;
        let sum = 0;
        for (let j = 0; j < c.length; j++) {
          const v = ours.p[row * c.length + j];
          sum += v;
          if (j >= c.real[b] || (c.causal && j > i)) assert.equal(v, 0, `row ${row}, key ${j}`);
        }
        assert.ok(Math.abs(sum - 1) < 1e-6, `row ${row} sums to ${sum}`);
      }
      const theirs = run(c, scores, weights, mask, (s, m) => attentionWeightsComposed(s, m, attrs));
      close(ours.p, Float64Array.from(theirs.p), 2e-7, 'weights against the composed ops');
      close(ours.ds, Float64Array.from(theirs.ds), 2e-7, 'gradient against the composed ops');
    });
  }
}

test('attention weights: scores that do not match the mask are refused with both shapes named', async () => {
  await selectBackend('wasm');
  const s = tf.zeros([6, 5, 5]) as tf.Tensor3D;
  const m = tf.ones([2, 4]) as tf.Tensor2D;
  assert.throws(() => attentionWeights(s, m, { scale: 1, masked: MASKED, heads: 3, causal: false }), /scores \[6,5,5\] with 3 heads do not match the key mask \[2,4\]/);
  tf.dispose([s, m]);
});
