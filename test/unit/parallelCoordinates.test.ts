import { test } from 'node:test';
import assert from 'node:assert/strict';
import { axisPosition, axisValue, brushedRuns, parallelLayout, rankingKey, type NumberAxis } from '../../src/core/parallelCoordinates';

const run = (id: string, lr: number, units: number, optimizer: string, valLoss: number, extra: Record<string, number> = {}) => ({
  id,
  params: { name: 'house-prices', 'training.optimizer.learningRate': lr, 'model.layers[0].units': units, 'training.optimizer.type': optimizer, 'training.epochs': 20 },
  final: { loss: valLoss * 0.9, val_loss: valLoss, ...extra },
});

const RUNS = [run('a', 0.0001, 32, 'adam', 0.4), run('b', 0.001, 64, 'sgd', 0.1), run('c', 0.01, 128, 'adam', 0.2), run('d', 0.1, 64, 'adam', 0.8)];

test('one axis per parameter that differs, then the validation metric the runs are ranked by', () => {
  const layout = parallelLayout(RUNS, 'loss');
  assert.deepEqual(
    layout.axes.map((a) => [a.label, a.kind]),
    [['learningRate', 'number'], ['units', 'number'], ['type', 'category'], ['val_loss', 'number']],
  );
  assert.equal(layout.metricKey, 'val_loss');
  assert.equal(layout.goal, 'minimize');
  // Learning rates span three decades: a log axis, on which each run is a third further up.
  const lr = layout.axes[0] as NumberAxis;
  assert.equal(lr.log, true);
  assert.deepEqual(layout.lines.map((l) => Number(l.positions[0]!.toFixed(6))), [0, 0.333333, 0.666667, 1]);
  // Units 32..128 is linear.
  assert.equal((layout.axes[1] as NumberAxis).log, false);
  assert.deepEqual(layout.lines.map((l) => l.positions[1]), [0, 1 / 3, 1, 1 / 3]);
  // Categories in first-seen order, spread over the axis.
  assert.deepEqual(layout.axes[2].kind === 'category' && layout.axes[2].categories, ['adam', 'sgd']);
  assert.deepEqual(layout.lines.map((l) => l.positions[2]), [0, 1, 0, 0]);
  // Quality: the lowest val_loss (b) is 1, the highest (d) 0.
  assert.deepEqual(layout.lines.map((l) => Number(l.quality!.toFixed(4))), [0.5714, 1, 0.8571, 0]);
});

test('a metric to maximize colours the highest best; without a validation twin the metric itself is used', () => {
  const runs = RUNS.map((r, i) => ({ ...r, final: { accuracy: [0.5, 0.9, 0.7, 0.6][i] } }));
  assert.equal(rankingKey(runs, 'accuracy'), 'accuracy');
  const layout = parallelLayout(runs, 'accuracy');
  assert.equal(layout.goal, 'maximize');
  assert.deepEqual(layout.lines.map((l) => Number(l.quality!.toFixed(4))), [0, 1, 0.5, 0.25]);
});

test('missing values: a run without a parameter or metric has no place on that axis', () => {
  const runs = [run('a', 0.01, 32, 'adam', 0.3), { id: 'b', params: { 'training.optimizer.learningRate': 0.1 }, final: {} }];
  const layout = parallelLayout(runs, 'loss');
  const units = layout.axes.findIndex((a) => a.label === 'units');
  assert.equal(layout.lines[1].positions[units], undefined);
  assert.equal(layout.lines[1].metric, undefined);
  assert.equal(layout.lines[1].quality, undefined);
  // Nothing differs and no metric: no axes at all.
  assert.deepEqual(parallelLayout([run('x', 1, 1, 'adam', NaN)], 'loss').axes, []);
});

test('brushing keeps the runs whose lines pass through every brushed range', () => {
  const layout = parallelLayout(RUNS, 'loss');
  const metric = layout.axes.length - 1;
  // The better half of val_loss (0.1..0.45 of 0.1..0.8): a, b, c.
  const low = axisPosition(layout.axes[metric], 0.1)!;
  const high = axisPosition(layout.axes[metric], 0.45)!;
  assert.deepEqual([...brushedRuns(layout, [{ axis: metric, low, high }])].sort(), ['a', 'b', 'c']);
  // And the learning rate's top half (from 0.003 up): only c. A brush dragged upwards is the same range.
  assert.deepEqual([...brushedRuns(layout, [{ axis: metric, low: high, high: low }, { axis: 0, low: 0.5, high: 1 }])], ['c']);
  assert.deepEqual(brushedRuns(layout, []).size, 4);
  // axisValue inverts axisPosition on log and linear axes.
  for (const axis of [layout.axes[0], layout.axes[1]] as NumberAxis[]) {
    for (const p of [0, 0.25, 0.5, 1]) assert.ok(Math.abs(axisPosition(axis, axisValue(axis, p))! - p) < 1e-9);
  }
});
