// Corrupt and foreign run folders (random bytes, JSON of the wrong shape,
// directories where files belong, a newer format): listing and reading never
// throw, the sidebar's tree builds from them, and nothing is overwritten.

import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { listRuns, markRunEnded, readRunSnapshot, readRunSnapshotAsync } from '../../src/node/runStoreReader';
import type { RunMeta } from '../../src/core/types';
import { buildExperimentTree } from '../../src/host/runs/experimentTreeModel';
import { lcg, tempDir } from '../helpers/fixtures';

const FOLDERS = 300;

function validMeta(i: number): RunMeta {
  return {
    format: 1,
    id: `20250101-0000${String(i).padStart(2, '0')}-fuzz-${i}`,
    name: 'fuzz',
    task: 'regression',
    configPath: '/ws/fuzz.experiment.json',
    status: 'completed',
    createdAt: '2025-01-01T00:00:00.000Z',
    versions: { modelLab: '0.1.0', node: '20' },
    seed: 1,
    epochsPlanned: 3,
    epochsDone: 3,
    lastMetrics: { loss: 0.5, val_loss: 0.6 },
    bestEpoch: 2,
    bestMetrics: { loss: 0.4, val_loss: 0.55 },
    sweep: { id: 'sw1', index: i % 3, total: 3, params: { 'training.epochs': i } },
    stages: { data: 'done' },
    dataSizes: { train: 10, validation: 2, test: 2 },
  };
}

const WEIRD_VALUES: unknown[] = [null, 0, -1, 1e308, '', 'x', '../../etc', true, [], [1, 2], {}, { a: 1 }, { toString: 1 }, 'running', '__proto__'];

/** One damaged run folder, chosen by the seeded generator. */
function corrupt(dir: string, i: number, rnd: () => number): string {
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)]!;
  const bytes = (n: number) => Buffer.from(Array.from({ length: n }, () => Math.floor(rnd() * 256)));
  mkdirSync(dir, { recursive: true });
  const meta = validMeta(i) as unknown as Record<string, unknown>;
  const kind = pick(['randomBytes', 'wrongTypes', 'jsonScalar', 'dirs', 'truncated', 'newerFormat', 'badMetrics', 'empty', 'valid']);
  switch (kind) {
    case 'randomBytes':
      writeFileSync(join(dir, 'meta.json'), bytes(1 + Math.floor(rnd() * 400)));
      break;
    case 'wrongTypes': {
      const keys = Object.keys(meta);
      for (let k = 0; k < 1 + rnd() * 5; k++) meta[pick(keys)] = pick(WEIRD_VALUES);
      if (rnd() < 0.3) meta[pick(['sweep', 'lastMetrics', 'versions'])] = { id: pick(WEIRD_VALUES), index: pick(WEIRD_VALUES), params: pick(WEIRD_VALUES) };
      writeFileSync(join(dir, 'meta.json'), JSON.stringify(meta));
      break;
    }
    case 'jsonScalar':
      writeFileSync(join(dir, 'meta.json'), JSON.stringify(pick(WEIRD_VALUES)));
      break;
    case 'dirs':
      for (const f of ['metrics.jsonl', 'meta.json', 'summary.json', 'evaluation.json']) if (rnd() < 0.6) mkdirSync(join(dir, f), { recursive: true });
      break;
    case 'truncated': {
      const text = JSON.stringify(meta);
      writeFileSync(join(dir, 'meta.json'), text.slice(0, Math.floor(rnd() * text.length)));
      break;
    }
    case 'newerFormat':
      writeFileSync(join(dir, 'meta.json'), JSON.stringify({ ...meta, format: 99, status: 'running', pid: 1, somethingNew: { deep: [1, 2] } }));
      mkdirSync(join(dir, 'model'), { recursive: true });
      writeFileSync(join(dir, 'model', 'model.json'), JSON.stringify({ format: 'model-lab-99', modelTopology: 'future' }));
      break;
    case 'badMetrics':
      writeFileSync(join(dir, 'meta.json'), JSON.stringify(meta));
      writeFileSync(
        join(dir, 'metrics.jsonl'),
        [JSON.stringify({ kind: 'step', step: 1, epoch: 1, time: 1, values: { loss: 1 } }), bytes(50).toString('latin1'), 'null', '{"step":"x"}', '{"step":2,"epoch":1,"values":[1]}', '{"kind":"epoch","step":2,"ep'].join('\n'),
      );
      writeFileSync(join(dir, 'summary.json'), JSON.stringify(pick(WEIRD_VALUES)));
      writeFileSync(join(dir, 'evaluation.json'), JSON.stringify({ task: pick(WEIRD_VALUES) }));
      break;
    case 'empty':
      break;
    default:
      writeFileSync(join(dir, 'meta.json'), JSON.stringify(meta));
  }
  return kind;
}

test(`${FOLDERS} seeded corrupt run folders: listRuns, readRunSnapshot and the sidebar tree never throw`, () => {
  const runsDir = join(tempDir('modellab-runfuzz-'), 'runs');
  const rnd = lcg(20251128);
  const kinds = new Map<string, number>();
  for (let i = 0; i < FOLDERS; i++) {
    const kind = corrupt(join(runsDir, `2025${String(i).padStart(6, '0')}-run-${i}`), i, rnd);
    kinds.set(kind, (kinds.get(kind) ?? 0) + 1);
  }
  writeFileSync(join(runsDir, 'stray-file.txt'), 'not a run');
  assert.ok(kinds.size >= 8, `only ${[...kinds.keys()].join(', ')}`);

  const list = listRuns(runsDir);
  assert.equal(list.length, FOLDERS);
  for (const entry of list) {
    // A listed meta is usable as the UI uses it: names are strings, statuses known.
    if (entry.meta) {
      assert.equal(typeof entry.meta.name, 'string');
      assert.equal(typeof entry.meta.configPath, 'string');
      assert.equal(typeof entry.meta.createdAt, 'string');
      assert.ok(['queued', 'running', 'completed', 'stopped', 'failed', 'interrupted'].includes(entry.meta.status));
      if (entry.meta.sweep) assert.equal(typeof entry.meta.sweep.id, 'string');
    }
    const snap = readRunSnapshot(entry.dir);
    assert.equal(typeof snap.meta.name, 'string');
    for (const p of snap.metrics) assert.equal(typeof p.step, 'number');
    if (snap.summary) assert.ok(Array.isArray(snap.summary.layers));
  }
  assert.ok(list.some((e) => e.warnings.some((w) => /newer Model Lab/.test(w))));
  assert.ok(list.some((e) => e.warnings.some((w) => /wrong type/.test(w))));
  assert.ok(list.some((e) => e.meta === undefined && e.warnings.length > 0), 'damaged folders carry a warning');

  const tree = buildExperimentTree([{ path: '/ws/fuzz.experiment.json', name: 'fuzz' }], list.map((entry) => ({ entry, training: false })));
  const shown = tree.experiments.reduce((n, e) => n + e.runCount, 0) + tree.damaged.length;
  assert.equal(shown, FOLDERS);
});

test('a run folder from a newer format is never overwritten when the host marks a run ended', () => {
  const dir = join(tempDir('modellab-newer-'), 'runs', '20990101-000000-future-0001');
  mkdirSync(dir, { recursive: true });
  const text = JSON.stringify({ ...validMeta(1), format: 99, status: 'running', pid: 999999 });
  writeFileSync(join(dir, 'meta.json'), text);
  markRunEnded(dir, 'failed', 'killed');
  assert.equal(readFileSync(join(dir, 'meta.json'), 'utf8'), text);
  writeFileSync(join(dir, 'meta.json'), '42');
  assert.equal(markRunEnded(dir, 'failed', 'killed'), undefined);
  assert.equal(readFileSync(join(dir, 'meta.json'), 'utf8'), '42');
});

test('readRunSnapshotAsync gives what readRunSnapshot gives, on good and damaged folders, and lets the event loop turn meanwhile', async () => {
  const runsDir = join(tempDir('modellab-async-'), 'runs');
  const rnd = lcg(77);
  for (let i = 0; i < 40; i++) corrupt(join(runsDir, `2025${String(i).padStart(6, '0')}-run-${i}`), i, rnd);
  // One long, healthy run: 60,000 lines, several slices.
  const long = join(runsDir, '20990101-000000-long-0001');
  mkdirSync(long, { recursive: true });
  writeFileSync(join(long, 'meta.json'), JSON.stringify(validMeta(7)));
  const lines: string[] = [];
  for (let s = 1; s <= 60_000; s++) lines.push(JSON.stringify({ kind: 'step', step: s, epoch: Math.ceil(s / 100), time: s, values: { loss: 1 / s } }));
  writeFileSync(join(long, 'metrics.jsonl'), lines.join('\n') + '\n{"kind":"step","st');
  // The event loop's turns, counted by an immediate that queues itself (not timer ticks, which count time).
  let ticks = 0;
  let ticking = true;
  const tick = () => {
    ticks++;
    if (ticking) setImmediate(tick);
  };
  setImmediate(tick);
  try {
    for (const entry of listRuns(runsDir)) {
      const sync = readRunSnapshot(entry.dir);
      const async = await readRunSnapshotAsync(entry.dir);
      const same = (s: typeof sync) => ({ ...s, meta: { ...s.meta, createdAt: '' }, warnings: s.warnings && [...s.warnings].sort() });
      assert.deepEqual(same(async), same(sync), entry.id);
    }
  } finally {
    ticking = false;
  }
  assert.equal((await readRunSnapshotAsync(long)).metrics.length, 60_000);
  // The long run's 5.7 MB alone is 22 slices of 256 kB, each followed by a turn.
  assert.ok(ticks > 20, `the event loop turned ${ticks} times while reading`);
});
