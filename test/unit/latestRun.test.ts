// "The latest run" for attention and generation is the run that ended last
// (meta.endedAt), never the largest id or the order of the folders on disk:
// ids start with the second a run was created, then its name, so two runs
// created in the same second sort by name, and a resumed run keeps the id of
// the day it started.

import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { byEndTimeNewestFirst, latestTextModelRun, runEndTime } from '../../src/node/textModelRuns';
import type { RunStatus, Task } from '../../src/core/types';
import { houseRunMeta, tempDir, writeFiles } from '../helpers/fixtures';

interface Made {
  id: string;
  dir: string;
}

/** A run folder with a text model (tokenizer beside the model) that started and ended when given. */
function makeRun(runsDir: string, id: string, task: Task, createdAt: string, endedAt: string | undefined, status: RunStatus = 'completed'): Made {
  const dir = join(runsDir, id);
  const meta = houseRunMeta({ id, name: id.split('-').slice(2, -1).join('-'), task, status, createdAt, endedAt, epochsPlanned: 1, epochsDone: 1 });
  writeFiles(dir, { 'meta.json': JSON.stringify(meta), 'model/model.json': '{}', 'model/tokenizer.json': '{}' });
  return { id, dir };
}

test('two runs created in the same second: the one that ended last is the latest, whatever their names', (t) => {
  const runs = tempDir('modellab-latest-', t);
  // Created in the same second; the classifier started after the language model ended.
  const lm = makeRun(runs, '20260101-120000-tiny-lm-bbbb', 'language-model', '2026-01-01T12:00:00.100Z', '2026-01-01T12:00:00.900Z');
  const cls = makeRun(runs, '20260101-120000-intent-classifier-aaaa', 'classification', '2026-01-01T12:00:00.950Z', '2026-01-01T12:00:07.000Z');
  // By id the language model would come first ("t" > "i"); by end time it is the classifier.
  assert.ok(lm.id > cls.id);
  assert.equal(latestTextModelRun(runs)?.dir, cls.dir);
  assert.equal(latestTextModelRun(runs, 'language-model')?.dir, lm.dir);
  assert.equal(latestTextModelRun(runs, 'classification')?.dir, cls.dir);
});

test('a resumed run that ended after a newer run is the latest', (t) => {
  const runs = tempDir('modellab-latest-', t);
  const resumed = makeRun(runs, '20260101-090000-old-aaaa', 'classification', '2026-01-01T09:00:00Z', '2026-01-02T10:00:00Z');
  makeRun(runs, '20260101-180000-new-bbbb', 'classification', '2026-01-01T18:00:00Z', '2026-01-01T18:05:00Z');
  assert.equal(latestTextModelRun(runs)?.dir, resumed.dir);
});

test('only completed runs with a text model count, however late they ended', (t) => {
  const runs = tempDir('modellab-latest-', t);
  const done = makeRun(runs, '20260101-100000-done-aaaa', 'classification', '2026-01-01T10:00:00Z', '2026-01-01T10:01:00Z');
  makeRun(runs, '20260101-110000-failed-bbbb', 'classification', '2026-01-01T11:00:00Z', '2026-01-01T11:01:00Z', 'failed');
  const noTokenizer = makeRun(runs, '20260101-120000-mlp-cccc', 'classification', '2026-01-01T12:00:00Z', '2026-01-01T12:01:00Z');
  // Without model/tokenizer.json a run holds no text model.
  rmSync(join(noTokenizer.dir, 'model', 'tokenizer.json'));
  assert.equal(latestTextModelRun(runs)?.dir, done.dir);
});

test('the order: end time, newest first; no end time counts from the start; equal times by id, larger first', () => {
  const at = (id: string, endedAt?: string, createdAt = '2026-01-01T00:00:00Z') => ({ id, meta: { createdAt, endedAt } });
  const runs = [
    at('a', '2026-01-01T00:00:05Z'),
    at('b', '2026-01-01T00:00:09Z'),
    at('c', undefined, '2026-01-01T00:00:07Z'),
    at('d', '2026-01-01T00:00:05Z'),
    at('e', 'not a date', 'also not a date'),
    { id: 'f' },
    at('g', 'not a date', '2026-01-01T00:00:06Z'),
  ];
  assert.deepEqual([...runs].sort(byEndTimeNewestFirst).map((r) => r.id), ['b', 'c', 'g', 'd', 'a', 'f', 'e']);
  // The same whatever order the runs come in.
  assert.deepEqual([...runs].reverse().sort(byEndTimeNewestFirst).map((r) => r.id), ['b', 'c', 'g', 'd', 'a', 'f', 'e']);
  assert.equal(runEndTime({ createdAt: '2026-01-01T00:00:00Z', endedAt: '2026-01-01T00:00:01.500Z' }), Date.parse('2026-01-01T00:00:01.500Z'));
  assert.equal(runEndTime(undefined), -Infinity);
});
