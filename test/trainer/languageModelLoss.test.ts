// The language models' loss (textTraining.ts languageModelLoss): the mean
// next-token cross-entropy over real tokens with its gradient written out,
// held to the composed ops it replaced (log-softmax, one-hot, weighted mean).

import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-core/dist/register_all_gradients';
import { selectBackend } from '../../src/trainer/backend';
import { languageModelLoss } from '../../src/trainer/textTraining';

before(async () => {
  await selectBackend('wasm');
});

/** The formula as composed ops, differentiated op by op. */
function reference(logits: tf.Tensor, targets: tf.Tensor2D, weights: tf.Tensor2D): tf.Scalar {
  const nll = tf.neg(tf.sum(tf.mul(tf.logSoftmax(logits), tf.oneHot(targets, logits.shape[2]!)), 2));
  return tf.div(tf.sum(tf.mul(nll, weights)), tf.maximum(tf.sum(weights), 1)) as tf.Scalar;
}

function closeTo(what: string, got: ArrayLike<number>, want: ArrayLike<number>, tolerance: number): void {
  const scale = Math.max(1e-3, ...Array.from(want, Math.abs));
  for (let i = 0; i < want.length; i++) assert.ok(Math.abs(got[i] - want[i]) <= tolerance * scale, `${what}[${i}]: ${got[i]} vs ${want[i]}`);
}

test('value and gradient equal the composed ops, padding left out of both', () => {
  const [b, t, v] = [3, 5, 11];
  const logits = tf.tensor3d(Array.from({ length: b * t * v }, (_, i) => Math.sin(i * 1.7) * 4), [b, t, v]);
  const targets = tf.tensor2d(Array.from({ length: b * t }, (_, i) => (i * 7) % v), [b, t], 'int32');
  // The last two tokens of each row are padding.
  const weights = tf.tensor2d(Array.from({ length: b * t }, (_, i) => (i % t < t - 2 ? 1 : 0)), [b, t]);
  closeTo('loss', languageModelLoss(logits, targets, weights).dataSync(), reference(logits, targets, weights).dataSync(), 1e-6);
  const ours = tf.grad((z: tf.Tensor) => tf.mul(languageModelLoss(z, targets, weights), 3))(logits);
  const theirs = tf.grad((z: tf.Tensor) => tf.mul(reference(z, targets, weights), 3))(logits);
  closeTo('dlogits', ours.dataSync(), theirs.dataSync(), 1e-5);
  // Padding tokens get no gradient at all.
  const g = ours.arraySync() as number[][][];
  for (let r = 0; r < b; r++) for (const p of [t - 2, t - 1]) assert.ok(g[r][p].every((x) => x === 0), `row ${r} token ${p}: padding, no gradient`);
  tf.dispose([logits, targets, weights, ours, theirs]);
});

test('a batch of padding only has loss 0 and no gradient; a target the model rules out costs at most −log 1e-30 a token', () => {
  const logits = tf.tensor3d([0, 5, -5, 1, 2, 3], [1, 2, 3]);
  const targets = tf.tensor2d([[2, 0]], [1, 2], 'int32');
  const none = tf.zeros([1, 2]) as tf.Tensor2D;
  assert.equal(languageModelLoss(logits, targets, none).dataSync()[0], 0);
  assert.ok((tf.grad((z: tf.Tensor) => languageModelLoss(z, targets, none))(logits).dataSync() as Float32Array).every((x) => x === 0));
  // Target 2 at 200 below the best logit: its probability is 0 in float32.
  const far = tf.tensor3d([0, 200, 0, 1, 2, 3], [1, 2, 3]);
  const one = tf.tensor2d([[1, 0]], [1, 2]) as tf.Tensor2D;
  const value = languageModelLoss(far, tf.tensor2d([[0, 0]], [1, 2], 'int32'), one).dataSync()[0];
  assert.ok(Math.abs(value - -Math.log(1e-30)) < 1e-3, `capped at 69.08: ${value}`);
  // Its gradient stays exact: softmax − onehot = (0 − 1, 1 − 0, 0) on the first token.
  const g = tf.grad((z: tf.Tensor) => languageModelLoss(z, tf.tensor2d([[0, 0]], [1, 2], 'int32'), one))(far).dataSync();
  closeTo('dlogits', Array.from(g).slice(0, 3), [-1, 1, 0], 1e-6);
  tf.dispose([logits, targets, none, far, one]);
});
