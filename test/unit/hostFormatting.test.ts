import assert from 'node:assert/strict';
import { join, resolve } from 'node:path';
import { test } from 'node:test';
import { formatMetric } from '../../src/core/metrics';
import { headlineMetric } from '../../src/host/shell/format';
import { KeyedDebouncer } from '../../src/host/shell/keyedDebouncer';
import { Throttle } from '../../src/host/shell/throttle';
import { LineSplitter } from '../../src/node/lineSplitter';
import { resolveRunsDirectory } from '../../src/node/runsDirectory';
import { DEFAULT_RUNS_DIRECTORY } from '../../src/core/workspaceLayout';

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
  assert.equal(formatMetric(undefined), '—');
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

test('Throttle: a burst runs the action at once and once more at the end of each interval, never more often', (t) => {
  // setTimeout is mocked and the throttle reads a clock the test moves, one millisecond at a time.
  t.mock.timers.enable({ apis: ['setTimeout'] });
  let now = 1_000;
  const advance = (ms: number) => {
    for (let i = 0; i < ms; i++) {
      now += 1;
      t.mock.timers.tick(1);
    }
  };
  const times: number[] = [];
  const throttle = new Throttle(40, () => times.push(now - 1_000), () => now);
  // A call every millisecond for 130 ms, five calls each time.
  for (let ms = 0; ms < 130; ms++) {
    for (let i = 0; i < 5; i++) throttle.schedule();
    advance(1);
  }
  advance(120);
  // At once, then at the end of every interval while calls keep coming, and once after the last call.
  assert.deepEqual(times, [0, 40, 80, 120, 160]);
  // Quiet again: the next call runs at once.
  advance(100);
  throttle.schedule();
  assert.deepEqual(times, [0, 40, 80, 120, 160, 350]);
  // A call within the interval waits for its end; dispose drops it.
  throttle.schedule();
  advance(39);
  assert.equal(times.length, 6);
  throttle.dispose();
  advance(100);
  assert.equal(times.length, 6);
});
