// A masked-language model's metrics go the right way everywhere a best run or
// epoch is chosen (early stopping, sweeps, the sidebar): masked accuracy up,
// perplexity down — by the one rule of src/core/metrics.ts.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isImprovement, metricGoal } from '../../src/core/metrics';

test('masked_accuracy is maximized and perplexity minimized, with their val_ and evaluation. forms', () => {
  for (const key of ['masked_accuracy', 'val_masked_accuracy', 'evaluation.masked_accuracy']) assert.equal(metricGoal(key), 'maximize', key);
  for (const key of ['perplexity', 'val_perplexity', 'evaluation.perplexity', 'val_loss']) assert.equal(metricGoal(key), 'minimize', key);
  assert.ok(isImprovement(metricGoal('val_masked_accuracy')!, 0.42, 0.4));
  assert.ok(isImprovement(metricGoal('val_perplexity')!, 8.5, 9));
});
