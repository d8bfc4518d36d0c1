import assert from 'node:assert/strict';
import { test } from 'node:test';
import { classificationMetrics, regressionMetrics } from '../../src/core/evaluationMetrics';

test('regression: mean absolute error counts errors of both signs (not the mean signed error)', () => {
  // errors: +2, -2, +1, -1 → signed mean 0, absolute mean 1.5
  const m = regressionMetrics([10, 20, 30, 40], [12, 18, 31, 39]);
  assert.equal(m.mae, 1.5);
  assert.equal(m.mse, (4 + 4 + 1 + 1) / 4);
  assert.equal(m.rmse, Math.sqrt(2.5));
  // mean 25, total sum of squares 225 + 25 + 25 + 225 = 500
  assert.equal(m.r2, 1 - 10 / 500);
});

test('regression: predictions all below the actual values give a positive MAE', () => {
  const m = regressionMetrics([5, 7], [4, 4]);
  assert.equal(m.mae, 2);
  assert.equal(m.mse, 5);
});

test('regression: no rows gives NaN for every metric; a constant target gives NaN r2', () => {
  const empty = regressionMetrics([], []);
  assert.ok(Number.isNaN(empty.mse) && Number.isNaN(empty.mae) && Number.isNaN(empty.rmse) && Number.isNaN(empty.r2));
  const flat = regressionMetrics([3, 3, 3], [3, 4, 2]);
  assert.ok(Number.isNaN(flat.r2));
  assert.equal(flat.mae, 2 / 3);
  const perfect = regressionMetrics([1, 3], [1, 3]);
  assert.equal(perfect.r2, 1);
  assert.equal(perfect.mae, 0);
});

test('classification: macro averages skip classes with no support; empty input', () => {
  // class "c" never occurs in actual, though it is predicted once
  const r = classificationMetrics([0, 0, 1, 1], [0, 2, 1, 0], ['a', 'b', 'c']);
  assert.deepEqual(r.confusion, [[1, 0, 1], [1, 1, 0], [0, 0, 0]]);
  assert.equal(r.metrics.accuracy, 0.5);
  assert.deepEqual(r.perClass.map((c) => [c.precision, c.recall, c.support]), [[0.5, 0.5, 2], [1, 0.5, 2], [0, 0, 0]]);
  assert.equal(r.perClass[2].f1, 0);
  assert.equal(r.metrics.macroPrecision, 0.75);
  assert.equal(r.metrics.macroRecall, 0.5);
  assert.ok(Math.abs(r.metrics.macroF1 - (0.5 + 2 / 3) / 2) < 1e-12);
  const none = classificationMetrics([], [], ['a', 'b']);
  assert.deepEqual(none.metrics, { accuracy: 0, macroPrecision: 0, macroRecall: 0, macroF1: 0 });
  assert.deepEqual(none.perClass.map((c) => [c.precision, c.recall, c.f1, c.support]), [[0, 0, 0, 0], [0, 0, 0, 0]]);
});
