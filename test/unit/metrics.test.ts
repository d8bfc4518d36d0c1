import assert from 'node:assert/strict';
import { test } from 'node:test';
import { formatMetric, goalFor, isImprovement, metricGoal } from '../../src/core/metrics';

test('one rule for which way a metric is better, whatever its prefix', () => {
  for (const key of ['loss', 'val_loss', 'mae', 'val_mse', 'evaluation.rmse', 'perplexity', 'evaluation.perplexity']) assert.equal(metricGoal(key), 'minimize', key);
  for (const key of ['accuracy', 'val_accuracy', 'acc', 'val_acc', 'evaluation.r2', 'macroF1', 'precision', 'recall', 'auc', 'hitRate', 'val_hitRate', 'ndcg', 'evaluation.ndcg', 'test_accuracy'])
    assert.equal(metricGoal(key), 'maximize', key);
  for (const key of ['lr', 'learningRate', 'epoch', 'step']) assert.equal(metricGoal(key), undefined, key);
});

test('a goal the config names wins; a value with no direction ranks as a loss', () => {
  assert.equal(goalFor('val_accuracy', 'minimize'), 'minimize');
  assert.equal(goalFor('val_loss', 'maximize'), 'maximize');
  assert.equal(goalFor('val_ndcg'), 'maximize');
  assert.equal(goalFor('lr'), 'minimize');
});

test('an improvement must beat the best by more than minDelta, in the metric\'s direction', () => {
  assert.equal(isImprovement('minimize', 0.5, 0.6), true);
  assert.equal(isImprovement('minimize', 0.6, 0.6), false);
  assert.equal(isImprovement('minimize', 0.55, 0.6, 0.05), false);
  assert.equal(isImprovement('minimize', 0.549, 0.6, 0.05), true);
  assert.equal(isImprovement('maximize', 0.9, 0.8), true);
  assert.equal(isImprovement('maximize', 0.8, 0.9), false);
  assert.equal(isImprovement('maximize', 0.85, 0.8, 0.05), false);
  assert.equal(isImprovement('maximize', 0.851, 0.8, 0.05), true);
});

test('compact style: three significant digits, exponents outside [0.001, 100000)', () => {
  assert.equal(formatMetric(0.123456), '0.123');
  assert.equal(formatMetric(99999), '100000');
  assert.equal(formatMetric(100000), '1.00e+5');
  assert.equal(formatMetric(0.001), '0.001');
  assert.equal(formatMetric(0.00099), '9.90e-4');
  assert.equal(formatMetric(-Infinity), '-∞');
  assert.equal(formatMetric(undefined, 'table'), '—');
});

test('table style: four significant digits, thousands grouped, exponents outside [0.0001, 1e9)', () => {
  assert.equal(formatMetric(0.873149, 'table'), '0.8731');
  assert.equal(formatMetric(12345.6, 'table'), '12,346');
  assert.equal(formatMetric(1.2345e10, 'table'), '1.235e+10');
  assert.equal(formatMetric(2e-5, 'table'), '2e-5');
  assert.equal(formatMetric(0, 'table'), '0');
  assert.equal(formatMetric(Number.NaN, 'table'), 'NaN');
  assert.equal(formatMetric(-0.5, 'table'), '-0.5');
});
