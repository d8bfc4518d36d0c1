import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isSystemKey, SYSTEM_KEYS, systemValues, withoutSystemKeys } from '../../src/core/systemMetrics';
import { curveMetrics, metricColumns } from '../../src/core/compareSeries';

const reading = (wallMs: number, cpuMicros: number, steps: number, samples: number, rssBytes = 256 * 2 ** 20) => ({ wallMs, cpuMicros, steps, samples, rssBytes });

test('system values over a window: CPU percent of one core, MiB, ms per step, samples per second', () => {
  // 2 s of wall time, 3 s of CPU (a multithreaded kernel), 40 steps of 32 rows
  const v = systemValues(reading(1000, 5_000_000, 10, 320), reading(3000, 8_000_000, 50, 1600, 300.25 * 2 ** 20));
  assert.deepEqual(v, { [SYSTEM_KEYS.memory]: 300.3, [SYSTEM_KEYS.cpu]: 150, [SYSTEM_KEYS.stepTime]: 50, [SYSTEM_KEYS.throughput]: 640 });
});

test('a window without steps or without time gives no step time and no throughput, never Infinity', () => {
  const noSteps = systemValues(reading(0, 0, 5, 100), reading(500, 250_000, 5, 100));
  assert.deepEqual(Object.keys(noSteps).sort(), [SYSTEM_KEYS.cpu, SYSTEM_KEYS.memory].sort());
  assert.equal(noSteps[SYSTEM_KEYS.cpu], 50);
  const noTime = systemValues(reading(7, 0, 0, 0), reading(7, 10, 3, 30));
  assert.deepEqual(Object.keys(noTime), [SYSTEM_KEYS.memory]);
  for (const value of [...Object.values(noSteps), ...Object.values(noTime)]) assert.ok(Number.isFinite(value));
});

test('system keys are told apart and left out of a point’s values', () => {
  for (const key of Object.values(SYSTEM_KEYS)) assert.ok(isSystemKey(key), key);
  assert.ok(!isSystemKey('loss') && !isSystemKey('val_mae'));
  assert.deepEqual(withoutSystemKeys({ loss: 1, 'system/rss_mb': 20, val_loss: 2 }), { loss: 1, val_loss: 2 });
});

test('the compare panel offers the system metrics after the model’s metrics and the learning rate', () => {
  const values = { 'system/cpu_percent': 90, lr: 0.01, loss: 1, val_mae: 2, mae: 1.5, 'system/rss_mb': 200 };
  const columns = metricColumns([{ kind: 'epoch', step: 10, epoch: 1, time: 5, values }]);
  assert.deepEqual(curveMetrics([columns]), ['loss', 'mae', 'lr', 'system/cpu_percent', 'system/rss_mb']);
});
