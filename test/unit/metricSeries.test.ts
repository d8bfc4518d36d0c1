// The dashboard's curve store (webview/src/metricSeries.ts) in plain Node: a
// long fast run's curves stay bounded, sit where they sat, and the points the
// page saves rebuild the same curves.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MetricSeriesStore, type Series } from '../../webview/src/metricSeries';
import { MAX_CURVE_POINTS } from '../../src/core/curveThinning';
import type { MetricPoint } from '../../src/core/types';
import { smoothEma } from '../../src/core/smoothing';

const STEPS_PER_EPOCH = 3;

function noise(i: number): number {
  const x = Math.sin(i * 12.9898) * 43758.5453;
  return x - Math.floor(x) - 0.5;
}

/** One epoch of a fast run: its batch points (a loss spike at step 77,777), then its epoch point. */
function epochPoints(epoch: number): MetricPoint[] {
  const points: MetricPoint[] = [];
  for (let s = 1; s <= STEPS_PER_EPOCH; s++) {
    const step = (epoch - 1) * STEPS_PER_EPOCH + s;
    const loss = step === 77_777 ? 40 : 0.1 + 1 / Math.sqrt(step) + 0.05 * noise(step);
    points.push({ kind: 'step', step, epoch, time: step, values: { loss } });
  }
  const step = epoch * STEPS_PER_EPOCH;
  points.push({ kind: 'epoch', step, epoch, time: step, values: { loss: 1 / epoch, val_loss: 1.1 / epoch + 0.01 * noise(epoch) } });
  return points;
}

const byId = (series: readonly Series[]) => new Map(series.map((s) => [s.id, s.points]));

test('a run of 100,000 epochs keeps at most the bound per curve, its latest values exact, its spike, and a bounded record of epochs', () => {
  const store = new MetricSeriesStore();
  const epochs = 100_000;
  let last: MetricPoint[] = [];
  for (let epoch = 1; epoch <= epochs; epoch += 10) {
    last = [];
    for (let e = epoch; e < epoch + 10; e++) last.push(...epochPoints(e));
    store.append(last);
    if (epoch % 1000 === 1) assert.ok(store.trackedEpochs < 40_000, `${store.trackedEpochs} epochs tracked after ${epoch + 9}`);
  }
  const series = byId(store.build(() => true, 'step', 0));
  const lastStep = last.filter((p) => p.kind === 'step').at(-1)!;
  const lastEpoch = last.at(-1)!;
  for (const [id, points] of series) {
    assert.ok(points.length <= MAX_CURVE_POINTS, `${id}: ${points.length} points`);
    assert.ok(points.length > MAX_CURVE_POINTS / 4, `${id}: only ${points.length} points`);
  }
  assert.deepEqual(series.get('step:loss')!.at(-1), { x: lastStep.step, y: lastStep.values.loss });
  assert.deepEqual(series.get('step:loss')![0], { x: 1, y: epochPoints(1)[0].values.loss });
  assert.deepEqual(series.get('epoch:val_loss')!.at(-1), { x: lastEpoch.step, y: lastEpoch.values.val_loss });
  assert.ok(series.get('step:loss')!.some((p) => p.x === 77_777 && p.y === 40), 'the spike is drawn');
  // The smoothed twin averages every batch, not only the kept ones: at each kept step, within a hair of smoothing them all.
  const losses: number[] = [];
  for (let epoch = 1; epoch <= epochs; epoch++) for (const p of epochPoints(epoch)) if (p.kind === 'step') losses.push(p.values.loss);
  const every = smoothEma(losses, 0.99);
  const smoothed = byId(store.build(() => true, 'step', 0.99)).get('smoothed:loss')!;
  const off = smoothed.map((p) => ({ step: p.x, by: Math.abs(p.y - every[p.x - 1]) }));
  // Within a bucket the thinned batches enter as their mean: off by a little where the loss falls steeply inside one (the first 512 steps), a hair after.
  const worst = (from: number) => Math.max(...off.filter((o) => o.step >= from).map((o) => o.by));
  assert.ok(worst(0) < 0.05, `off by ${worst(0)}`);
  assert.ok(worst(1000) < 0.005, `off by ${worst(1000)} after step 1000`);
});

test('on the epoch axis the kept step points sit where every point would have put them', () => {
  const store = new MetricSeriesStore(400);
  // Each epoch's first batch point is not logged (a trainer logs some batches), so the epoch's start comes from the epoch before's end alone.
  for (let epoch = 1; epoch <= 20_000; epoch++) store.append(epochPoints(epoch).filter((p) => p.kind === 'epoch' || p.step % STEPS_PER_EPOCH !== 1));
  // The last epoch is still running: its step points are placed with the previous epoch's length.
  store.append([{ kind: 'step', step: 20_000 * STEPS_PER_EPOCH + 1, epoch: 20_001, time: 0, values: { loss: 0.5 } }]);
  assert.ok(store.trackedEpochs < 5000, `${store.trackedEpochs} epochs tracked`);
  const steps = byId(store.build(() => true, 'step', 0)).get('step:loss')!;
  const epochsAxis = byId(store.build(() => true, 'epoch', 0)).get('step:loss')!;
  assert.equal(epochsAxis.length, steps.length);
  assert.ok(steps.length > 100 && steps.length <= 400);
  // Epoch e holds steps 3e-2, 3e-1, 3e and ends at step 3e: epoch e spans (e-1, e], so step s sits at s / 3.
  for (let i = 0; i < steps.length; i++) {
    assert.ok(Math.abs(epochsAxis[i].x - steps[i].x / STEPS_PER_EPOCH) < 1e-9, `step ${steps[i].x} at epoch ${epochsAxis[i].x}`);
  }
});

test('the points the page saves rebuild the same raw curves', () => {
  const store = new MetricSeriesStore(400);
  for (let epoch = 1; epoch <= 5000; epoch++) store.append(epochPoints(epoch));
  const saved = store.points();
  assert.ok(saved.length < 5000 * (STEPS_PER_EPOCH + 1) / 10, `${saved.length} points saved`);
  const restored = new MetricSeriesStore(400);
  restored.reset(saved);
  // (Not the smoothed twins: the saved points do not say how many points each stood for. The host sends the run again after `ready`.)
  assert.deepEqual(restored.build(() => true, 'step', 0), store.build(() => true, 'step', 0));
});
