import assert from 'node:assert/strict';
import { join, resolve } from 'node:path';
import { test } from 'node:test';
import { formatMetric, headlineMetric } from '../../src/host/shell/format';
import { KeyedDebouncer } from '../../src/host/shell/keyedDebouncer';
import { Throttle } from '../../src/host/shell/throttle';
import { LineSplitter } from '../../src/node/lineSplitter';
import { DEFAULT_RUNS_DIRECTORY, resolveRunsDirectory } from '../../src/host/runs/runsDirectory';

test('metrics show three significant digits, exponents for huge and tiny values', () => {
  assert.equal(formatMetric(0.123456), '0.123');
  assert.equal(formatMetric(1.5), '1.5');
  assert.equal(formatMetric(12345), '12300');
  assert.equal(formatMetric(4.2e10), '4.20e+10');
  assert.equal(formatMetric(0.000123), '1.23e-4');
  assert.equal(formatMetric(0), '0');
  assert.equal(formatMetric(-0.5), '-0.5');
  assert.equal(formatMetric(Number.NaN), 'NaN');
  assert.equal(formatMetric(Number.POSITIVE_INFINITY), '∞');
  assert.equal(formatMetric(undefined), '–');
});

test('the headline of a run is its validation loss, else its loss', () => {
  assert.deepEqual(headlineMetric({ loss: 1, val_loss: 2, mae: 3 }), { name: 'val_loss', value: 2 });
  assert.deepEqual(headlineMetric({ loss: 1 }), { name: 'loss', value: 1 });
  assert.equal(headlineMetric({ mae: 1 }), undefined);
  assert.equal(headlineMetric(undefined), undefined);
});

test('the runs directory is relative to the workspace folder unless absolute', () => {
  assert.equal(DEFAULT_RUNS_DIRECTORY, '.modellab/runs');
  assert.equal(resolveRunsDirectory('/w', undefined), join('/w', '.modellab', 'runs'));
  assert.equal(resolveRunsDirectory('/w', '  '), join('/w', '.modellab', 'runs'));
  assert.equal(resolveRunsDirectory('/w', 'out/runs'), join('/w', 'out', 'runs'));
  assert.equal(resolveRunsDirectory('/w', '../shared/runs'), resolve('/shared/runs'));
  assert.equal(resolveRunsDirectory('/w', '/srv/runs/'), '/srv/runs');
});

test('output chunks become whole lines, whatever the chunking', () => {
  const s = new LineSplitter();
  assert.deepEqual(s.push('epo'), []);
  assert.deepEqual(s.push('ch 1\r\nepoch 2\nepo'), ['epoch 1', 'epoch 2']);
  assert.deepEqual(s.push('ch 3'), []);
  assert.deepEqual(s.flush(), ['epoch 3']);
  assert.deepEqual(s.flush(), []);
});

test('typing runs validation once, after the last keystroke settles', async () => {
  const d = new KeyedDebouncer(30);
  const runs: string[] = [];
  d.schedule('a', () => runs.push('a1'));
  d.schedule('b', () => runs.push('b1'));
  await new Promise((r) => setTimeout(r, 10));
  d.schedule('a', () => runs.push('a2'));
  d.cancel('b');
  assert.equal(d.pending, 1);
  await new Promise((r) => setTimeout(r, 60));
  assert.deepEqual(runs, ['a2']);
  d.schedule('c', () => runs.push('c'));
  d.dispose();
  await new Promise((r) => setTimeout(r, 50));
  assert.deepEqual(runs, ['a2']);
});

test('Throttle: a burst runs the action at once and once more at the end of the interval, never more often', async () => {
  const times: number[] = [];
  const started = performance.now();
  const t = new Throttle(40, () => times.push(performance.now() - started));
  for (let i = 0; i < 200; i++) {
    t.schedule();
    if (i % 20 === 0) await new Promise((r) => setTimeout(r, 2));
  }
  await new Promise((r) => setTimeout(r, 120));
  assert.ok(times.length >= 2 && times.length <= 4, `ran ${times.length} times: ${times.map((x) => x.toFixed(0)).join(', ')} ms`);
  assert.ok(times[0] < 10, 'the first call runs at once');
  for (let i = 1; i < times.length; i++) assert.ok(times[i] - times[i - 1] >= 38, `runs ${i - 1} and ${i} were ${(times[i] - times[i - 1]).toFixed(1)} ms apart`);
  // Quiet again: the next call runs at once.
  const before = times.length;
  t.schedule();
  assert.equal(times.length, before + 1);
  t.dispose();
});
