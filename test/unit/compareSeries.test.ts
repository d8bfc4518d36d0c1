import assert from 'node:assert/strict';
import { test } from 'node:test';
import { baseMetricName, compareSeriesFor, curveMetrics, fractionalEpoch, metricColumns, metricColumnsAsync } from '../../src/core/compareSeries';
import { makeCompareTranslate } from '../../src/core/compareStringTable';
import { smoothEma } from '../../src/core/smoothing';
import type { MetricPoint } from '../../src/core/types';

const step = (s: number, epoch: number, values: Record<string, number>, time = s * 100): MetricPoint => ({ kind: 'step', step: s, epoch, time, values });
const epochEnd = (s: number, epoch: number, values: Record<string, number>, time = s * 100): MetricPoint => ({ kind: 'epoch', step: s, epoch, time, values });

// two epochs of three batches; epoch points carry the validation metric
const run: MetricPoint[] = [
  step(1, 1, { loss: 5, lr: 0.1 }),
  step(2, 1, { loss: 4, lr: 0.1 }),
  step(3, 1, { loss: 3, lr: 0.1 }),
  epochEnd(3, 1, { loss: 3.5, val_loss: 4.5, mae: 2 }),
  step(4, 2, { loss: 2, lr: 0.05 }),
  step(5, 2, { loss: 1.5, lr: 0.05 }),
  step(6, 2, { loss: 1, lr: 0.05 }),
  epochEnd(6, 2, { loss: 1.5, val_loss: 2.5, mae: 1 }),
];

test('metric columns: step and epoch points apart, each epoch\'s step range and end step', () => {
  const c = metricColumns(run);
  assert.equal(c.count, 8);
  assert.deepEqual([...c.step.keys()], ['loss', 'lr']);
  assert.deepEqual([...c.epoch.keys()], ['loss', 'val_loss', 'mae']);
  assert.deepEqual(c.step.get('loss'), { steps: [1, 2, 3, 4, 5, 6], epochs: [1, 1, 1, 2, 2, 2], times: [100, 200, 300, 400, 500, 600], values: [5, 4, 3, 2, 1.5, 1] });
  assert.deepEqual(c.epoch.get('val_loss'), { steps: [3, 6], epochs: [1, 2], times: [300, 600], values: [4.5, 2.5] });
  assert.deepEqual([...c.epochEndStep], [[1, 3], [2, 6]]);
  assert.deepEqual([...c.epochStepRange], [[1, [1, 3]], [2, [4, 6]]]);
  // steps out of order still give each epoch's first and last step
  const shuffled = metricColumns([step(7, 3, { loss: 1 }), step(5, 3, { loss: 1 }), step(9, 3, { loss: 1 }), step(6, 3, { loss: 1 })]);
  assert.deepEqual(shuffled.epochStepRange.get(3), [5, 9]);
  // a value that is not a number is skipped
  const odd = metricColumns([step(1, 1, { loss: 1, note: 'x' as unknown as number })]);
  assert.deepEqual([...odd.step.keys()], ['loss']);
});

test('metricColumnsAsync gives what metricColumns gives, slice by slice, yielding between slices', async () => {
  for (const slice of [1, 3, 8, 100]) assert.deepEqual(await metricColumnsAsync(run, slice), metricColumns(run));
  assert.deepEqual(await metricColumnsAsync([], 2), metricColumns([]));
  // one slice: done without yielding to the event loop (within microtasks)
  let resolved = false;
  void metricColumnsAsync(run, 8).then(() => (resolved = true));
  for (let i = 0; i < 5 && !resolved; i++) await Promise.resolve();
  assert.equal(resolved, true);
  let yielded = false;
  setImmediate(() => (yielded = true));
  const c = await metricColumnsAsync(run, 4);
  assert.equal(yielded, true);
  assert.equal(c.count, 8);
});

test('curve names: val_ twins folded in, loss first, learning rate last, others alphabetical', () => {
  assert.equal(baseMetricName('val_mae'), 'mae');
  assert.equal(baseMetricName('mae'), 'mae');
  assert.equal(baseMetricName('value'), 'value');
  const other = metricColumns([epochEnd(1, 1, { zeta: 1, val_accuracy: 0.5, lr: 1, loss: 1, alpha: 2 })]);
  assert.deepEqual(curveMetrics([metricColumns(run), other]), ['loss', 'accuracy', 'alpha', 'mae', 'zeta', 'lr']);
  assert.deepEqual(curveMetrics([]), []);
});

test('series: step points when logged (with a smoothed twin), else epoch points; the x axis as asked', () => {
  const c = metricColumns(run);
  const loss = compareSeriesFor('r1', c, { metric: 'loss', xAxis: 'step', smoothing: 0.5, maxPoints: 100 });
  assert.deepEqual(loss.map((s) => [s.runId, s.key, s.kind, s.smoothed, s.rawCount]), [
    ['r1', 'loss', 'step', false, 6],
    ['r1', 'loss', 'step', true, 6],
    ['r1', 'val_loss', 'epoch', false, 2],
  ]);
  assert.deepEqual(loss[0].x, [1, 2, 3, 4, 5, 6]);
  assert.deepEqual(loss[0].y, [5, 4, 3, 2, 1.5, 1]);
  assert.deepEqual(loss[1].y, smoothEma([5, 4, 3, 2, 1.5, 1], 0.5));
  assert.notDeepEqual(loss[1].y, loss[0].y);
  assert.deepEqual(loss[2].x, [3, 6]);
  assert.deepEqual(loss[2].y, [4.5, 2.5]);
  // no smoothing: no twin
  assert.equal(compareSeriesFor('r1', c, { metric: 'loss', xAxis: 'step', smoothing: 0, maxPoints: 100 }).length, 2);
  // wall time in seconds
  assert.deepEqual(compareSeriesFor('r1', c, { metric: 'mae', xAxis: 'time', smoothing: 0, maxPoints: 100 })[0].x, [0.3, 0.6]);
  // the epoch axis: epoch points at their epoch, batches at fractions of theirs
  const byEpoch = compareSeriesFor('r1', c, { metric: 'loss', xAxis: 'epoch', smoothing: 0, maxPoints: 100 });
  assert.deepEqual(byEpoch[0].x, [1 / 3, 2 / 3, 1, 1 + 1 / 3, 1 + 2 / 3, 2]);
  assert.deepEqual(byEpoch[1].x, [1, 2]);
  // downsampled to the budget
  const many = metricColumns(Array.from({ length: 50 }, (_, i) => step(i + 1, 1, { loss: i % 7 })));
  const few = compareSeriesFor('r', many, { metric: 'loss', xAxis: 'step', smoothing: 0, maxPoints: 10 });
  assert.ok(few[0].x.length <= 10 && few[0].x.length > 2);
  assert.equal(few[0].rawCount, 50);
  // a metric with no points gives no series; empty columns are skipped
  assert.deepEqual(compareSeriesFor('r', c, { metric: 'nothing', xAxis: 'step', smoothing: 0.5, maxPoints: 10 }), []);
  const emptied = metricColumns(run);
  emptied.step.get('loss')!.values.length = 0;
  emptied.epoch.get('val_loss')!.values.length = 0;
  assert.deepEqual(compareSeriesFor('r', emptied, { metric: 'loss', xAxis: 'step', smoothing: 0, maxPoints: 10 }).map((s) => [s.key, s.kind]), [['loss', 'epoch']]);
});

test('fractionalEpoch: from the previous epoch\'s end step, else the epoch\'s own step range', () => {
  const c = metricColumns(run);
  assert.equal(fractionalEpoch(c, 2, 1), 2 / 3);
  assert.equal(fractionalEpoch(c, 5, 2), 1 + 2 / 3);
  // no epoch points yet: the epoch spans its first step - 1 to its last step
  const live = metricColumns([step(11, 3, { loss: 1 }), step(12, 3, { loss: 1 }), step(13, 3, { loss: 1 }), step(14, 3, { loss: 1 })]);
  assert.equal(fractionalEpoch(live, 12, 3), 2 + 2 / 4);
  assert.equal(fractionalEpoch(live, 14, 3), 3);
  // epoch 1 starts at step 0, even when its first logged step is later
  const first = metricColumns([step(2, 1, { loss: 1 }), step(3, 1, { loss: 1 }), step(4, 1, { loss: 1 })]);
  assert.equal(fractionalEpoch(first, 2, 1), 0.5);
  assert.equal(fractionalEpoch(first, 4, 1), 1);
  // an epoch that ends where the previous one ended: at its epoch, not 0 / 0
  const empty = metricColumns([epochEnd(10, 1, {}), epochEnd(10, 2, {})]);
  assert.equal(fractionalEpoch(empty, 10, 2), 2);
  // a step of an epoch with neither range nor end: at its epoch
  assert.equal(fractionalEpoch(metricColumns([]), 7, 4), 4);
  // a single step in its epoch, with the previous end known
  const single = metricColumns([epochEnd(10, 1, {}), step(11, 2, { loss: 1 })]);
  assert.equal(fractionalEpoch(single, 11, 2), 2);
});

test('compare strings: overrides by id, else the English text, with {0} filled', () => {
  const en = makeCompareTranslate(undefined);
  assert.equal(en('compare.count', 3), '3 runs');
  assert.equal(en('compare.title'), 'Compare runs');
  const de = makeCompareTranslate({ 'compare.count': '{0} Läufe' });
  assert.equal(de('compare.count', 2), '2 Läufe');
  assert.equal(de('compare.title'), 'Compare runs');
});
