// The dashboard opens on a day-long run with its step points downsampled on
// the host: bounded size, every epoch point, spikes and NaN losses kept.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { thinMetricsForDashboard } from '../../src/core/snapshotThinning';
import type { MetricPoint } from '../../src/core/types';

function run(steps: number): MetricPoint[] {
  const out: MetricPoint[] = [];
  for (let s = 1; s <= steps; s++) {
    out.push({ kind: 'step', step: s, epoch: Math.ceil(s / 1000), time: s * 50, values: { loss: 1 / Math.sqrt(s) } });
    if (s % 1000 === 0) out.push({ kind: 'epoch', step: s, epoch: s / 1000, time: s * 50, values: { loss: 1 / Math.sqrt(s), val_loss: 1.1 / Math.sqrt(s) } });
  }
  return out;
}

test('300,000 step points become at most 20,000; every epoch point, the spike and the NaN stay', () => {
  const points = run(300_000);
  points[123_457 + Math.floor(123_457 / 1000)]!.values.loss = 50;
  const nanAt = points.findIndex((p) => p.kind === 'step' && p.step === 222_222);
  points[nanAt]!.values.loss = NaN;
  const thin = thinMetricsForDashboard(points);
  const steps = thin.filter((p) => p.kind === 'step');
  assert.ok(steps.length <= 20_001, `${steps.length} step points`);
  assert.equal(thin.filter((p) => p.kind === 'epoch').length, 300);
  assert.ok(steps.some((p) => p.values.loss === 50), 'the spike was thinned away');
  assert.ok(steps.some((p) => Number.isNaN(p.values.loss)), 'the NaN was thinned away');
  assert.ok(steps.some((p) => p.step === 1) && steps.some((p) => p.step === 300_000));
  // Order is kept.
  for (let i = 1; i < thin.length; i++) assert.ok(thin[i]!.step >= thin[i - 1]!.step);
});

test('a run within the budget is passed through as it is', () => {
  const points = run(5000);
  assert.equal(thinMetricsForDashboard(points), points);
});
