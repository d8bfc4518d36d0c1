import assert from 'node:assert/strict';
import { test } from 'node:test';
import { classificationMetrics, regressionMetrics } from '../../src/core/evaluationMetrics';

test('regression metrics on a known example', () => {
  const m = regressionMetrics([1, 2, 3, 4], [1, 2, 3, 6]);
  assert.equal(m.mse, 1);
  assert.equal(m.mae, 0.5);
  assert.equal(m.rmse, 1);
  assert.equal(m.r2, 1 - 4 / 5);
});

test('classification: confusion matrix, per-class precision/recall/F1 and macro averages', () => {
  // actual:    0 0 0 1 1 2
  // predicted: 0 0 1 1 2 2
  const r = classificationMetrics([0, 0, 0, 1, 1, 2], [0, 0, 1, 1, 2, 2], ['a', 'b', 'c']);
  assert.deepEqual(r.confusion, [[2, 1, 0], [0, 1, 1], [0, 0, 1]]);
  assert.equal(r.metrics.accuracy, 4 / 6);
  assert.deepEqual(r.perClass.map((c) => [c.label, c.precision, c.recall, c.support]), [['a', 1, 2 / 3, 3], ['b', 0.5, 0.5, 2], ['c', 0.5, 1, 1]]);
  assert.ok(Math.abs(r.perClass[0].f1 - 0.8) < 1e-12);
});
