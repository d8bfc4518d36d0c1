import assert from 'node:assert/strict';
import { join, resolve } from 'node:path';
import { test } from 'node:test';
import { formatMetric, headlineMetric } from '../../src/host/format';
import { KeyedDebouncer } from '../../src/host/keyedDebouncer';
import { LineSplitter } from '../../src/host/lineSplitter';
import { DEFAULT_RUNS_DIRECTORY, resolveRunsDirectory } from '../../src/host/runsDirectory';

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
