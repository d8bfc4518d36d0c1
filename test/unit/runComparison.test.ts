import { test } from 'node:test';
import assert from 'node:assert/strict';
import { metricGoal } from '../../src/core/metrics';
import { compareLabels, compareRows, finalMetrics, flattenConfig, metricDelta, visibleRows } from '../../src/core/runComparison';
import { compareSeriesFor, curveMetrics, fractionalEpoch, metricColumns, metricColumnsAsync } from '../../src/core/compareSeries';
import type { MetricPoint, RegressionEvaluation } from '../../src/core/types';

const config = (lr: number, units: number, extra: Record<string, unknown> = {}) => ({
  name: 'house-prices',
  task: 'regression',
  data: { source: 'data/houses.csv', features: ['rooms', 'age'], split: { validation: 0.2 } },
  model: { layers: [{ type: 'dense', units, activation: 'relu' }, { type: 'dense', units: 1 }] },
  training: { optimizer: { type: 'adam', learningRate: lr }, epochs: 10, earlyStopping: null, ...extra },
});

test('a config flattens to dotted paths; scalar arrays stay one value, object arrays are indexed', () => {
  assert.deepEqual(flattenConfig(config(0.003, 64)), {
    name: 'house-prices',
    task: 'regression',
    'data.source': 'data/houses.csv',
    'data.features': '["rooms","age"]',
    'data.split.validation': 0.2,
    'model.layers[0].type': 'dense',
    'model.layers[0].units': 64,
    'model.layers[0].activation': 'relu',
    'model.layers[1].type': 'dense',
    'model.layers[1].units': 1,
    'training.optimizer.type': 'adam',
    'training.optimizer.learningRate': 0.003,
    'training.epochs': 10,
    'training.earlyStopping': null,
  });
  assert.deepEqual(flattenConfig({ a: {}, b: [], c: undefined }), { a: '{}', b: '[]' });
  assert.deepEqual(flattenConfig('not an object'), {});
});

test('rows of three runs: union of keys in first-seen order, what differs, differences only', () => {
  const runs = [
    flattenConfig(config(0.003, 64)),
    flattenConfig(config(0.01, 64)),
    flattenConfig(config(0.003, 64, { batchSize: 16 })),
  ];
  const rows = compareRows(runs);
  assert.equal(rows.length, 15);
  assert.equal(rows[rows.length - 1].key, 'training.batchSize', 'a key only one run has comes last');
  const byKey = new Map(rows.map((r) => [r.key, r]));
  assert.deepEqual(byKey.get('training.optimizer.learningRate'), { key: 'training.optimizer.learningRate', values: [0.003, 0.01, 0.003], differs: true });
  assert.deepEqual(byKey.get('training.batchSize'), { key: 'training.batchSize', values: [undefined, undefined, 16], differs: true });
  assert.equal(byKey.get('model.layers[0].units')!.differs, false);
  assert.equal(byKey.get('training.earlyStopping')!.differs, false, 'null equals null');
  assert.deepEqual(visibleRows(rows, true).map((r) => r.key), ['training.optimizer.learningRate', 'training.batchSize']);
  assert.equal(visibleRows(rows, false).length, 15);
  assert.deepEqual(compareRows([{ x: NaN }, { x: NaN }])[0].differs, false);
});

test('final metrics: the last epoch logs, then the evaluation under evaluation.*', () => {
  const points: MetricPoint[] = [
    { kind: 'epoch', step: 10, epoch: 1, time: 100, values: { loss: 1, val_loss: 1.2 } },
    { kind: 'epoch', step: 20, epoch: 2, time: 200, values: { loss: 0.5, val_loss: 0.7, mae: 0.3 } },
    { kind: 'step', step: 21, epoch: 3, time: 210, values: { loss: 0.45 } },
  ];
  const evaluation: RegressionEvaluation = { task: 'regression', split: 'test', count: 10, metrics: { mse: 0.1, mae: 0.2, rmse: 0.3, r2: 0.9 }, samples: [] };
  assert.deepEqual(finalMetrics({ lastMetrics: { loss: 9 } }, points, evaluation), {
    loss: 0.5,
    val_loss: 0.7,
    mae: 0.3,
    'evaluation.mse': 0.1,
    'evaluation.mae': 0.2,
    'evaluation.rmse': 0.3,
    'evaluation.r2': 0.9,
  });
  assert.deepEqual(finalMetrics({ lastMetrics: { loss: 9 } }, []), { loss: 9 }, 'the meta when no epoch point was read');
});

test('metric directions and deltas against a baseline', () => {
  assert.equal(metricGoal('val_loss'), 'minimize');
  assert.equal(metricGoal('evaluation.r2'), 'maximize');
  assert.equal(metricGoal('val_accuracy'), 'maximize');
  assert.equal(metricGoal('evaluation.perplexity'), 'minimize');
  assert.equal(metricGoal('lr'), undefined);
  assert.deepEqual(metricDelta('val_loss', 0.2, 0.25), { absolute: 0.2 - 0.25, relative: (0.2 - 0.25) / 0.25, better: true });
  assert.deepEqual(metricDelta('evaluation.r2', 0.8, 0.9)?.better, false);
  assert.deepEqual(metricDelta('loss', 1, 0), { absolute: 1, relative: undefined, better: false });
  assert.equal(metricDelta('lr', 0.1, 0.01)?.better, undefined);
  assert.equal(metricDelta('loss', 1, 1)?.better, undefined);
  assert.equal(metricDelta('loss', undefined, 1), undefined);
  assert.equal(metricDelta('loss', NaN, 1), undefined);
});

function runPoints(epochs: number, stepsPerEpoch: number, lossAt: (step: number) => number): MetricPoint[] {
  const points: MetricPoint[] = [];
  for (let e = 1; e <= epochs; e++) {
    for (let s = 1; s <= stepsPerEpoch; s++) {
      const step = (e - 1) * stepsPerEpoch + s;
      points.push({ kind: 'step', step, epoch: e, time: step * 50, values: { loss: lossAt(step) } });
    }
    const step = e * stepsPerEpoch;
    points.push({ kind: 'epoch', step, epoch: e, time: step * 50, values: { loss: lossAt(step), val_loss: lossAt(step) * 1.1, mae: 1 / e, lr: 0.001 } });
  }
  return points;
}

test('series for a metric: batch curve, its smoothed twin and the validation curve, on each x axis', () => {
  const columns = metricColumns(runPoints(3, 4, (s) => 1 / s));
  assert.deepEqual(curveMetrics([columns]), ['loss', 'mae', 'lr']);
  const bySteps = compareSeriesFor('r1', columns, { metric: 'loss', xAxis: 'step', smoothing: 0.6, maxPoints: 1000 });
  assert.deepEqual(bySteps.map((s) => [s.key, s.kind, s.smoothed, s.rawCount]), [
    ['loss', 'step', false, 12],
    ['loss', 'step', true, 12],
    ['val_loss', 'epoch', false, 3],
  ]);
  assert.deepEqual(bySteps[0].x, [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);
  assert.deepEqual(bySteps[2].x, [4, 8, 12]);
  assert.ok(bySteps[1].y.every((v, i) => i === 0 || v > bySteps[0].y[i]), 'the smoothed falling curve lags above the raw one');

  const byEpoch = compareSeriesFor('r1', columns, { metric: 'loss', xAxis: 'epoch', smoothing: 0, maxPoints: 1000 });
  assert.equal(byEpoch.length, 2, 'no smoothed twin at smoothing 0');
  assert.deepEqual(byEpoch[0].x, [0.25, 0.5, 0.75, 1, 1.25, 1.5, 1.75, 2, 2.25, 2.5, 2.75, 3]);
  assert.deepEqual(byEpoch[1].x, [1, 2, 3]);
  const byTime = compareSeriesFor('r1', columns, { metric: 'mae', xAxis: 'time', smoothing: 0.6, maxPoints: 1000 });
  assert.deepEqual(byTime.map((s) => [s.key, s.kind, s.x]), [['mae', 'epoch', [0.2, 0.4, 0.6]]]);
  assert.deepEqual(compareSeriesFor('r1', columns, { metric: 'accuracy', xAxis: 'step', smoothing: 0, maxPoints: 1000 }), []);
});

test('an epoch still running is placed with the steps seen so far', () => {
  const points = runPoints(1, 10, () => 1);
  points.push({ kind: 'step', step: 11, epoch: 2, time: 1, values: { loss: 1 } }, { kind: 'step', step: 12, epoch: 2, time: 2, values: { loss: 1 } });
  const columns = metricColumns(points);
  assert.equal(fractionalEpoch(columns, 11, 2), 1.5);
  assert.equal(fractionalEpoch(columns, 12, 2), 2);
});

// Left out of mutation testing (Stryker's tap runner sets STRYKER_NAMESPACE): a million points through instrumented code take minutes per mutant.
test('a million logged points: smoothed on the full series, then downsampled within the budget, min and max kept', { skip: process.env.STRYKER_NAMESPACE !== undefined }, () => {
  const n = 1_000_000;
  const points: MetricPoint[] = new Array(n);
  for (let i = 0; i < n; i++) points[i] = { kind: 'step', step: i + 1, epoch: Math.floor(i / 10_000) + 1, time: i, values: { loss: i === 654_321 ? 50 : 1 + Math.exp(-i / 100_000) } };
  const started = performance.now();
  const columns = metricColumns(points);
  const series = compareSeriesFor('big', columns, { metric: 'loss', xAxis: 'step', smoothing: 0.9, maxPoints: 2000 });
  const ms = performance.now() - started;
  assert.equal(series.length, 2);
  for (const s of series) {
    assert.equal(s.rawCount, n);
    assert.ok(s.x.length <= 2000 && s.x.length > 1000, `${s.x.length} points sent`);
  }
  assert.equal(Math.max(...series[0].y), 50, 'the spike is sent');
  assert.equal(series[0].x[series[0].y.indexOf(50)], 654_322);
  assert.ok(Math.max(...series[1].y) < 50 && Math.max(...series[1].y) > 5, 'the smoothed twin has the spike averaged in, not dropped');
  assert.ok(ms < 5000, `prepared in ${ms.toFixed(0)} ms`);
});

test('columns built in slices (the compare panel\'s path for long runs) equal the columns built at once, and yield between slices', async () => {
  const points = runPoints(40, 250, (s) => Math.exp(-s / 3000));
  // Counts the event loop's turns, not time: an immediate that queues itself runs once per turn
  // (a timer counter depended on how fast the slices ran, and failed on a fast or a slow machine).
  let turns = 0;
  let ticking = true;
  const tick = () => {
    turns++;
    if (ticking) setImmediate(tick);
  };
  setImmediate(tick);
  const sliced = await metricColumnsAsync(points, 1000);
  ticking = false;
  assert.deepEqual(sliced, metricColumns(points));
  const pieces = Math.ceil(points.length / 1000);
  assert.ok(turns >= pieces - 1, `the event loop turned ${turns} times while ${points.length} points were sliced into ${pieces} pieces: not between every two`);
});

test('compare labels name runs by what sets them apart, not by their time', () => {
  const base = { 'training.optimizer.learningRate': 0.01, 'model.layers[0].units': 64, 'training.epochs': 40, 'data.source': 'houses.csv' };
  const runs = [
    { name: 'house-prices', when: '12-06 06:01:00', params: base },
    { name: 'house-prices', when: '12-06 06:02:00', params: { ...base, 'training.optimizer.learningRate': 0.001 } },
    { name: 'house-prices', when: '12-06 06:03:00', params: { ...base, 'training.optimizer.learningRate': 0.001, 'model.layers[0].units': 32 } },
  ];
  assert.deepEqual(compareLabels(runs), ['learningRate=0.01 · units=64', 'learningRate=0.001 · units=64', 'learningRate=0.001 · units=32']);
  // Two experiments: each label starts with its experiment.
  const wide = { ...runs[1], name: 'house-prices-wide', params: { ...runs[1].params, name: 'house-prices-wide' } };
  assert.deepEqual(compareLabels([{ ...runs[0], params: { ...base, name: 'house-prices' } }, wide]), ['house-prices · learningRate=0.01', 'house-prices-wide · learningRate=0.001']);
  // Nothing differs (the same config trained twice): the time tells them apart.
  assert.deepEqual(compareLabels([runs[0], { ...runs[0], when: '12-06 07:00:00' }]), ['12-06 06:01:00', '12-06 07:00:00']);
  // At most three parameters; two runs left with one name get their times.
  const many = (v: number) => ({ a: v, b: v, c: v, d: v === 1 ? 1 : 2 });
  assert.deepEqual(compareLabels([{ name: 'x', when: 't1', params: many(1) }, { name: 'x', when: 't2', params: many(2) }]), ['a=1 · b=1 · c=1', 'a=2 · b=2 · c=2']);
  assert.deepEqual(
    compareLabels([{ name: 'x', when: 't1', params: { a: 1, b: 1, c: 1, d: 1 } }, { name: 'x', when: 't2', params: { a: 1, b: 1, c: 1, d: 2 } }], 0),
    ['t1', 't2'],
  );
});
