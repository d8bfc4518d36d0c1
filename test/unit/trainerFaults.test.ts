// Faults of the REAL trainer (dist/trainer.js, `node scripts/build.mjs --only=trainer`)
// as the extension host sees them through TrainingProcess: killed mid-run, out
// of memory, the host going away, two trainings of one config at once, and a
// config whose data lies outside the workspace.

import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import type { StartTrainingMessage, TrainerEvent } from '../../src/core/protocol/trainer';
import type { RunMeta } from '../../src/core/types';
import { TrainingProcess } from '../../src/node/trainingProcess';
import type { TrainingOutcome } from '../../src/node/trainingProcess';
import { builtBundles } from '../helpers/builtBundles';
import { linearCsv, regressionConfig, tempDir, writeFiles } from '../helpers/fixtures';

const REAL_TRAINER = builtBundles('trainer').trainer;

interface Seen {
  events: TrainerEvent[];
  stderr: string[];
  exits: TrainingOutcome[];
}

function start(start: StartTrainingMessage, env: Record<string, string> = {}): { p: TrainingProcess; seen: Seen } {
  const seen: Seen = { events: [], stderr: [], exits: [] };
  const p = new TrainingProcess(
    { trainerScript: REAL_TRAINER, runtime: { execPath: process.execPath, env }, start, stopTimeoutMs: 20_000 },
    {
      onEvent: (e) => seen.events.push(e),
      onOutput: (stream, line) => stream === 'stderr' && seen.stderr.push(line),
      onNote: () => undefined,
      onExit: (o) => seen.exits.push(o),
    },
  );
  return { p, seen };
}

/** A long training (no early stopping) of a linear problem. */
function longWorkspace(epochs = 400): { dir: string; configPath: string; runsDir: string } {
  const dir = tempDir('modellab-realfault-');
  writeFiles(dir, {
    'data.csv': linearCsv(600),
    'exp.experiment.json': regressionConfig({ training: { optimizer: { type: 'adam', learningRate: 0.001 }, loss: 'mse', epochs, batchSize: 8, seed: 5 } }),
  });
  return { dir, configPath: join(dir, 'exp.experiment.json'), runsDir: join(dir, '.modellab', 'runs') };
}

const metricLines = (runDir: string) => readFileSync(join(runDir, 'metrics.jsonl'), 'utf8').split('\n').filter((l) => l.trim() !== '');
const diskMeta = (runDir: string) => JSON.parse(readFileSync(join(runDir, 'meta.json'), 'utf8')) as RunMeta;
const epochsSeen = (seen: Seen) => seen.events.filter((e) => e.type === 'epoch').length;

async function waitUntil(condition: () => boolean, timeoutMs = 60_000): Promise<void> {
  const t0 = Date.now();
  while (!condition()) {
    if (Date.now() - t0 > timeoutMs) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 20));
  }
}

test('SIGKILL mid-run: the run is marked failed, every metric written so far is kept', { timeout: 120_000 }, async () => {
  const ws = longWorkspace();
  const { p, seen } = start({ type: 'start', configPath: ws.configPath, runsDir: ws.runsDir, backend: 'cpu' });
  await waitUntil(() => epochsSeen(seen) >= 2);
  const runDir = p.runDir!;
  const before = metricLines(runDir).length;
  assert.ok(before > 0);
  process.kill(p.pid!, 'SIGKILL');
  const outcome = await p.done;
  assert.equal(outcome.status, 'failed');
  assert.equal(outcome.reportedByTrainer, false);
  assert.match(outcome.reason ?? '', /killed by SIGKILL/);
  const meta = diskMeta(runDir);
  assert.equal(meta.status, 'failed');
  assert.match(meta.error ?? '', /SIGKILL/);
  const after = metricLines(runDir);
  assert.ok(after.length >= before, `${before} metric lines before the kill, ${after.length} after`);
  for (const l of after) JSON.parse(l); // none damaged
  assert.equal(seen.exits.length, 1);
});

test('out of memory (a 48 MB heap for a 58 MB data file): the run is marked failed and says why', { timeout: 120_000 }, async () => {
  // The file's text alone outgrows the heap (numbers are kept off the heap, in typed arrays, once parsed).
  // Two epochs: should the trainer not run out of memory, the test fails on the status, not on a timeout.
  const ws = longWorkspace(2);
  writeFileSync(join(ws.dir, 'data.csv'), linearCsv(1_600_000));
  const { p, seen } = start({ type: 'start', configPath: ws.configPath, runsDir: ws.runsDir, backend: 'cpu' }, { NODE_OPTIONS: '--max-old-space-size=48' });
  const outcome = await p.done;
  assert.equal(outcome.status, 'failed');
  assert.match(`${outcome.reason} ${seen.stderr.join('\n')}`, /heap out of memory|SIGABRT|SIGKILL|code 134/i);
  assert.ok(p.runDir, 'the trainer died before creating the run folder; the test proves less than it says');
  assert.equal(diskMeta(p.runDir).status, 'failed');
});

test('the host going away (IPC disconnect) ends the run as interrupted, metrics kept; a new trainer resumes it in the same folder', { timeout: 120_000 }, async () => {
  const ws = longWorkspace();
  const { p, seen } = start({ type: 'start', configPath: ws.configPath, runsDir: ws.runsDir, backend: 'cpu' });
  await waitUntil(() => epochsSeen(seen) >= 2);
  const runDir = p.runDir!;
  const before = metricLines(runDir).length;
  (p as unknown as { child: { disconnect(): void } }).child.disconnect();
  const outcome = await p.done;
  assert.equal(diskMeta(runDir).status, 'interrupted');
  assert.equal(outcome.status, 'interrupted');
  assert.ok(metricLines(runDir).length >= before);

  // "Resume": a new trainer carries the same run folder on from the checkpoint of the last finished epoch.
  // The last epoch point may be of the cut-short epoch, which has no checkpoint: resuming starts at it or the one before.
  const lastEpoch = Math.max(0, ...metricLines(runDir).filter((l) => l.includes('"kind":"epoch"')).map((l) => (JSON.parse(l) as { epoch: number }).epoch));
  const resumed = start({ type: 'start', configPath: ws.configPath, runsDir: ws.runsDir, backend: 'cpu', resumeRunDir: runDir });
  await waitUntil(() => epochsSeen(resumed.seen) >= 2);
  resumed.p.stop();
  const again = await resumed.p.done;
  assert.equal(again.status, 'stopped', again.reason);
  assert.equal(resumed.p.runDir, runDir, 'the resumed run is the same folder');
  const firstEpoch = resumed.seen.events.find((e) => e.type === 'epoch') as { epoch: number } | undefined;
  assert.ok(firstEpoch && firstEpoch.epoch >= 2 && firstEpoch.epoch <= lastEpoch + 1, `the resumed run started at epoch ${firstEpoch?.epoch}; the interrupted one had reached ${lastEpoch}`);
  const epochs = metricLines(runDir).filter((l) => l.includes('"kind":"epoch"')).map((l) => (JSON.parse(l) as { epoch: number }).epoch);
  assert.deepEqual(epochs, Array.from({ length: epochs.length }, (_, i) => i + 1), 'each epoch once, in order, across the interruption');
  const meta = diskMeta(runDir);
  assert.equal(meta.status, 'stopped');
  assert.equal(meta.resumes?.length, 1);
});

test('the editor closing or reloading (deactivate → shutdown) has the trainer itself record the run as interrupted, with its checkpoint', { timeout: 120_000 }, async () => {
  const ws = longWorkspace();
  const { p, seen } = start({ type: 'start', configPath: ws.configPath, runsDir: ws.runsDir, backend: 'cpu' });
  await waitUntil(() => epochsSeen(seen) >= 2);
  const runDir = p.runDir!;
  // As deactivate() and the disposal VS Code runs right after it (without waiting) do.
  const shutdown = p.shutdown(3_000, 'VS Code closed or reloaded the window during training');
  void p.shutdown(3_000, 'the Model Lab extension was disposed');
  await shutdown;
  const outcome = await p.done;
  assert.equal(outcome.status, 'interrupted');
  assert.equal(outcome.reportedByTrainer, true, `the host had to record the end: ${outcome.reason}`);
  const meta = diskMeta(runDir);
  assert.equal(meta.status, 'interrupted');
  assert.equal(meta.error, undefined);
  assert.ok(existsSync(join(runDir, 'checkpoint.bin')));
});

test('two trainings of the same config at once: two run folders, both complete', { timeout: 180_000 }, async () => {
  const ws = longWorkspace(2);
  const msg: StartTrainingMessage = { type: 'start', configPath: ws.configPath, runsDir: ws.runsDir, backend: 'cpu' };
  const a = start(msg);
  const b = start(msg);
  const [oa, ob] = await Promise.all([a.p.done, b.p.done]);
  assert.equal(oa.status, 'completed', oa.reason);
  assert.equal(ob.status, 'completed', ob.reason);
  assert.notEqual(a.p.runDir, b.p.runDir);
  const runs = readdirSync(ws.runsDir).sort();
  assert.equal(runs.length, 2);
  for (const id of runs) {
    assert.equal(diskMeta(join(ws.runsDir, id)).status, 'completed');
    assert.equal(metricLines(join(ws.runsDir, id)).filter((l) => l.includes('"kind":"epoch"')).length, 2);
  }
});

test('a config whose data is outside the workspace root: the real trainer refuses, names the path, creates no run', { timeout: 60_000 }, async () => {
  const ws = longWorkspace(1);
  const outside = tempDir('modellab-outside-');
  writeFiles(outside, { 'secret.csv': linearCsv(50) });
  const c = JSON.parse(regressionConfig()) as Record<string, any>;
  c.data.source = join(outside, 'secret.csv');
  writeFileSync(ws.configPath, JSON.stringify(c));
  const { p, seen } = start({ type: 'start', configPath: ws.configPath, runsDir: ws.runsDir, backend: 'cpu', workspaceRoot: ws.dir });
  const outcome = await p.done;
  assert.equal(outcome.status, 'failed');
  const logged = seen.events.filter((e) => e.type === 'log').map((e) => (e as { message: string }).message).join('\n');
  assert.match(logged, /secret\.csv is outside the workspace/);
  assert.equal(existsSync(ws.runsDir), false);
});
