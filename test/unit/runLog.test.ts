// The run's log (log.jsonl): the writer numbers and appends lines, a resumed
// run carries on, and readers return the tail, skipping what is not a line.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseRunLog, RUN_LOG_FILE, RUN_LOG_TAIL } from '../../src/core/runLog';
import { readRunLog, readRunSnapshot, readRunSnapshotAsync } from '../../src/node/runStoreReader';
import { RunWriter } from '../../src/node/runStoreWriter';
import { houseRunMeta, tempDir } from '../helpers/fixtures';

function newRun(t: { after(fn: () => void): void }): RunWriter {
  const { id: _id, format: _format, ...meta } = houseRunMeta();
  return new RunWriter(tempDir('modellab-runlog-', t), meta);
}

test('lines are numbered from 1 in the order written, with their message id, and a snapshot carries them', async (t) => {
  const w = newRun(t);
  assert.equal(w.appendLog({ level: 'info', message: 'data: 140 rows' }), 1);
  assert.equal(w.appendLog({ level: 'warn', message: 'early stopping at epoch 5: val_loss did not improve for 4 epochs', id: 'callbacks.earlyStop', args: [5, 'val_loss', 4] }), 2);
  const lines = readRunLog(w.dir);
  assert.deepEqual(
    lines.map((l) => [l.seq, l.level, l.message, l.id, l.args]),
    [
      [1, 'info', 'data: 140 rows', undefined, undefined],
      [2, 'warn', 'early stopping at epoch 5: val_loss did not improve for 4 epochs', 'callbacks.earlyStop', [5, 'val_loss', 4]],
    ],
  );
  assert.ok(lines.every((l) => !Number.isNaN(Date.parse(l.at))));
  assert.deepEqual(readRunSnapshot(w.dir).logs, lines);
  assert.deepEqual((await readRunSnapshotAsync(w.dir)).logs, lines);
  // A listing reads no logs.
  assert.equal(readRunSnapshot(w.dir, false).logs, undefined);
});

test('a reopened run (a resume) carries on after its last line', (t) => {
  const w = newRun(t);
  w.appendLog({ level: 'info', message: 'one' });
  w.appendLog({ level: 'info', message: 'two' });
  w.end('interrupted');
  const { writer } = RunWriter.reopen(w.dir, 0, { status: 'running' });
  assert.equal(writer.appendLog({ level: 'info', message: 'resuming' }), 3);
  assert.deepEqual(readRunLog(w.dir).map((l) => `${l.seq} ${l.message}`), ['1 one', '2 two', '3 resuming']);
});

test('a torn last line and foreign lines are skipped with a warning; the lines before are kept', (t) => {
  const w = newRun(t);
  w.appendLog({ level: 'info', message: 'kept' });
  appendFileSync(join(w.dir, RUN_LOG_FILE), '{"seq": 2, "level": "info", "message": "no time"}\nnot json\n{"seq":3,"at":"2026-12-06T09:00:00Z","lev');
  const warnings: string[] = [];
  assert.deepEqual(readRunLog(w.dir, warnings).map((l) => l.message), ['kept']);
  assert.deepEqual(warnings, [`${RUN_LOG_FILE}: 3 line(s) unreadable, skipped`]);
  assert.deepEqual(readRunSnapshot(w.dir).warnings, warnings);
});

test('a long log gives its last lines only, also when the file is larger than what a reader looks at', (t) => {
  const w = newRun(t);
  const long = 'x'.repeat(2_000);
  // 700 lines of ~2 kB: 1.4 MB, more than the 512 kB a reader reads from the end.
  for (let i = 1; i <= 700; i++) w.appendLog({ level: 'info', message: `${i} ${long}` });
  assert.ok(readFileSync(join(w.dir, RUN_LOG_FILE)).length > 1_000_000);
  const warnings: string[] = [];
  const lines = readRunLog(w.dir, warnings);
  assert.deepEqual(warnings, [], 'the partial first line of the slice read is not counted as unreadable');
  assert.equal(lines.at(-1)!.seq, 700);
  assert.ok(lines.length > 200 && lines.length <= RUN_LOG_TAIL, `${lines.length} lines`);
  assert.deepEqual(lines.map((l) => l.seq), lines.map((_, i) => 700 - lines.length + 1 + i), 'consecutive, ending at the last');
});

test('parseRunLog keeps the tail it is asked for; a file without a log reads as none', (t) => {
  const text = Array.from({ length: RUN_LOG_TAIL + 20 }, (_, i) => JSON.stringify({ seq: i + 1, at: '2026-12-06T09:00:00Z', level: 'info', message: `m${i + 1}` })).join('\n');
  const { lines, skipped } = parseRunLog(text);
  assert.equal(skipped, 0);
  assert.equal(lines.length, RUN_LOG_TAIL);
  assert.equal(lines[0].message, 'm21');
  const dir = tempDir('modellab-runlog-', t);
  writeFileSync(join(dir, 'meta.json'), '{}');
  assert.deepEqual(readRunLog(dir), []);
});
