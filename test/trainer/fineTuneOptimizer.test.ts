// BaseAndHeadOptimizer on two plain variables: a frozen step leaves the base
// untouched, each group steps at its own rate, a plateau's new rate keeps
// their ratio, and its state saved and restored into a fresh pair carries on
// exactly as the original (momentum and Adam).

import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import { selectBackend } from '../../src/trainer/backend';
import { BaseAndHeadOptimizer } from '../../src/trainer/fineTune';
import { buildOptimizer, getLearningRate, setLearningRate } from '../../src/trainer/model';
import type { OptimizerConfig } from '../../src/core/types';

before(async () => {
  await selectBackend('wasm');
});

function pair(cfg: OptimizerConfig & { learningRate: number }, baseRate: number, base: tf.Variable, head: tf.Variable): BaseAndHeadOptimizer {
  return new BaseAndHeadOptimizer(buildOptimizer(cfg), buildOptimizer({ ...cfg, learningRate: baseRate }), [head.name], [base.name]);
}

const grads = (base: tf.Variable | undefined, head: tf.Variable, g = 1): tf.NamedTensorMap => ({
  ...(base ? { [base.name]: tf.fill(base.shape, g) } : {}),
  [head.name]: tf.fill(head.shape, g),
});

for (const cfg of [{ type: 'momentum', learningRate: 0.1, momentum: 0.9 }, { type: 'adam', learningRate: 0.1 }] as const) {
  test(`${cfg.type}: frozen steps leave the base bit for bit; each group at its own rate; saved and restored it carries on exactly`, async () => {
    const base = tf.variable(tf.zeros([3]), true, `base_${cfg.type}`);
    const head = tf.variable(tf.zeros([2]), true, `head_${cfg.type}`);
    const opt = pair(cfg, 0.001, base, head);
    opt.applyGradients(grads(undefined, head)); // frozen: the head alone
    assert.deepEqual(Array.from(base.dataSync()), [0, 0, 0]);
    assert.ok(head.dataSync()[0] < 0);
    opt.applyGradients(grads(base, head));
    const baseStep = -base.dataSync()[0];
    assert.ok(baseStep > 0 && baseStep <= 0.001 * 1.0001, `the base's first step ${baseStep} is at most its rate`);
    // A plateau's cut: the head's rate as asked, the base's in the same ratio.
    setLearningRate(opt, 0.05);
    assert.equal(getLearningRate(opt), 0.05);
    assert.ok(Math.abs(getLearningRate(opt.base) - 0.0005) < 1e-12);

    // Saved (as the checkpoint does) and restored into a fresh pair over copies of the variables.
    const saved = (await opt.getWeights()).map((w) => ({ name: w.name, tensor: tf.clone(w.tensor) }));
    assert.deepEqual(saved.filter((w) => w.name === 'iter').length, 2, "the head's and the base's counters");
    const base2 = tf.variable(base.clone(), true, `base2_${cfg.type}`);
    const head2 = tf.variable(head.clone(), true, `head2_${cfg.type}`);
    // The restored moments carry the original variables' names; the copy is looked up by position, as tfjs does.
    const restored = pair(cfg, 0.001, base2, head2);
    await restored.setWeights(saved);
    setLearningRate(restored, 0.05);
    for (let i = 0; i < 3; i++) {
      opt.applyGradients(grads(base, head, 0.5 + i));
      restored.applyGradients(grads(base2, head2, 0.5 + i));
    }
    assert.deepEqual(Array.from(base2.dataSync()), Array.from(base.dataSync()));
    assert.deepEqual(Array.from(head2.dataSync()), Array.from(head.dataSync()));
    // A state without the two parts is refused, naming what it holds.
    await assert.rejects(restored.setWeights(saved.slice(1)), /the head's and the base's, each starting with "iter"; this one does not/);
    opt.dispose();
    restored.dispose();
  });
}
