import assert from 'node:assert/strict';
import { test } from 'node:test';
import { epochLogNames, sweepMetricOf, withoutSweep } from '../../src/core/sweepValidation';
import type { ExperimentConfig } from '../../src/core/types';

type Loose = Record<string, unknown>;
const cfg = (task: string, data: Loose, training: Loose = {}, sweep?: Loose): ExperimentConfig =>
  ({ name: 't', task, data, model: { layers: [{ type: 'dense', units: task === 'regression' ? 1 : 3 }] }, training, ...(sweep ? { sweep } : {}) }) as unknown as ExperimentConfig;

test('withoutSweep drops only the sweep section', () => {
  const c = { name: 't', sweep: { parameters: {} }, data: { source: 'd.csv' } };
  assert.deepEqual(withoutSweep(c), { name: 't', data: { source: 'd.csv' } });
  assert.deepEqual(c.sweep, { parameters: {} });
});

test('epochLogNames: loss and metrics, their val_ twins when there is validation data, then lr', () => {
  assert.deepEqual(epochLogNames(cfg('regression', { source: 'd.csv' })), ['loss', 'mae', 'val_loss', 'val_mae', 'lr']);
  assert.deepEqual(epochLogNames(cfg('classification', { source: 'd.csv', split: { validation: 0 } })), ['loss', 'accuracy', 'lr']);
  assert.deepEqual(epochLogNames(cfg('regression', { train: 'a.csv', split: { validation: 0 } }, { metrics: ['mse'] })), ['loss', 'mse', 'lr']);
  // A train file without a validation file: validation is carved out of it.
  assert.deepEqual(epochLogNames(cfg('regression', { train: 'a.csv' }, { metrics: ['mse'] })), ['loss', 'mse', 'val_loss', 'val_mse', 'lr']);
  assert.deepEqual(epochLogNames(cfg('regression', { train: 'a.csv', validation: 'b.csv' }, { metrics: [] })), ['loss', 'val_loss', 'lr']);
});

test('sweepMetricOf: the sweep\'s own metric, else val_loss, else loss', () => {
  assert.equal(sweepMetricOf(cfg('regression', { source: 'd.csv' }, {}, { metric: 'val_mae', parameters: {} })), 'val_mae');
  assert.equal(sweepMetricOf(cfg('regression', { source: 'd.csv' }, {}, { parameters: {} })), 'val_loss');
  assert.equal(sweepMetricOf(cfg('regression', { source: 'd.csv', split: { validation: 0 } })), 'loss');
});
