import assert from 'node:assert/strict';
import { appendFileSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { listRuns, markRunEnded, readRunSnapshot } from '../../src/node/runStoreReader';
import { newRunId, RunWriter } from '../../src/node/runStoreWriter';
import type { RunMeta } from '../../src/core/types';
import { tempDir } from '../helpers/fixtures';

function meta(over: Partial<RunMeta> = {}): Omit<RunMeta, 'id' | 'format'> {
  return {
    name: 'house prices',
    task: 'regression',
    configPath: '/w/a.experiment.json',
    status: 'running',
    createdAt: new Date().toISOString(),
    versions: { modelLab: '0.1.0', node: process.versions.node },
    seed: 1,
    epochsPlanned: 3,
    epochsDone: 0,
    pid: process.pid,
    ...over,
  };
}

test('a run folder holds meta, config, metrics, summary and evaluation as plain files', () => {
  const runs = tempDir();
  const w = new RunWriter(runs, meta());
  w.writeConfig({ name: 'house prices' });
  w.addMetric({ kind: 'step', step: 1, epoch: 1, time: 5, values: { loss: 2 } });
  w.addMetric({ kind: 'epoch', step: 1, epoch: 1, time: 6, values: { loss: 2, val_loss: 3 } });
  // buffered until flushed: nothing half-written on disk
  assert.equal(readFileSync(join(w.dir, 'metrics.jsonl'), 'utf8'), '');
  w.flush();
  w.end('completed', { epochsDone: 1 });
  assert.deepEqual(readdirSync(w.dir).sort(), ['config.json', 'meta.json', 'metrics.jsonl']);
  const lines = readFileSync(join(w.dir, 'metrics.jsonl'), 'utf8').trim().split('\n');
  assert.equal(lines.length, 2);
  const snap = readRunSnapshot(w.dir);
  assert.equal(snap.meta.status, 'completed');
  assert.equal(snap.meta.epochsDone, 1);
  assert.equal(snap.meta.pid, undefined);
  assert.equal(snap.metrics[1].values.val_loss, 3);
  assert.match(w.meta.id, /^\d{8}-\d{6}-house-prices-[0-9a-f]{4}$/);
});

test('a truncated metrics line is skipped with a warning; the rest is kept', () => {
  const runs = tempDir();
  const w = new RunWriter(runs, meta());
  w.addMetric({ kind: 'epoch', step: 10, epoch: 1, time: 6, values: { loss: 2 } });
  w.flush();
  w.end('completed');
  appendFileSync(join(w.dir, 'metrics.jsonl'), '{"kind":"epoch","step":20,"ep');
  const snap = readRunSnapshot(w.dir);
  assert.equal(snap.metrics.length, 1);
  assert.deepEqual(snap.warnings, ['metrics.jsonl: 1 damaged line skipped']);
});

test('a run whose trainer is gone is listed as interrupted; markRunEnded records failure and keeps metrics', () => {
  const runs = tempDir();
  const w = new RunWriter(runs, meta({ pid: 2 ** 22 + 12345 })); // no such process
  w.addMetric({ kind: 'epoch', step: 1, epoch: 1, time: 6, values: { loss: 2 } });
  w.flush();
  const [entry] = listRuns(runs);
  assert.equal(entry.meta?.status, 'interrupted');
  const ended = markRunEnded(w.dir, 'failed', 'trainer killed (SIGKILL)');
  assert.equal(ended?.status, 'failed');
  const snap = readRunSnapshot(w.dir);
  assert.equal(snap.meta.error, 'trainer killed (SIGKILL)');
  assert.equal(snap.metrics.length, 1);
  // an ended run is not changed again
  assert.equal(markRunEnded(w.dir, 'stopped')?.status, 'failed');
});

test('missing or newer-format meta: listed with a warning, never overwritten', () => {
  const runs = tempDir();
  const w = new RunWriter(runs, meta());
  const newer = { ...w.meta, format: 99 };
  writeFileSync(join(w.dir, 'meta.json'), JSON.stringify(newer));
  const broken = join(runs, '20000101-000000-x-0000');
  require('node:fs').mkdirSync(broken);
  const list = listRuns(runs);
  assert.equal(list.length, 2);
  const byId = Object.fromEntries(list.map((r) => [r.id, r]));
  assert.deepEqual(byId['20000101-000000-x-0000'].warnings, ['meta.json is missing']);
  assert.match(byId[w.meta.id].warnings[0], /newer Model Lab \(format 99\)/);
  markRunEnded(w.dir, 'failed');
  assert.equal(JSON.parse(readFileSync(join(w.dir, 'meta.json'), 'utf8')).format, 99);
  assert.equal(readRunSnapshot(broken).meta.status, 'interrupted');
  assert.deepEqual(listRuns(join(runs, 'does-not-exist')), []);
});

test('run ids sort by creation time', () => {
  const a = newRunId('x', new Date(2026, 0, 2, 3, 4, 5));
  const b = newRunId('x', new Date(2026, 0, 2, 3, 4, 6));
  assert.ok(a < b);
  assert.ok(a.startsWith('20260102-030405-x-'));
});
