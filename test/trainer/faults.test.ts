// Faults inside the engine: a full disk while the run is written, the host
// going away (abort with reason 'disconnect'), and a config whose paths leave
// the workspace. Each keeps what was written and says how the run ended.

import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import type * as fs from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import type { TrainerEvent } from '../../src/core/protocol/trainer';
import { readRunSnapshot } from '../../src/node/runStoreReader';
import { setRunStoreIo } from '../../src/node/runStoreWriter';
import type { RunMeta } from '../../src/core/types';
import { selectBackend } from '../../src/trainer/backend';
import { ConfigInvalidError, runTraining } from '../../src/trainer/engine';
import { linearCsv, regressionConfig, tempDir, writeFiles } from '../helpers/fixtures';

function workspace(config: string): { dir: string; config: string; runs: string } {
  const dir = tempDir('modellab-faults-');
  writeFiles(dir, { 'data.csv': linearCsv(300), 'exp.experiment.json': config });
  return { dir, config: join(dir, 'exp.experiment.json'), runs: join(dir, '.modellab', 'runs') };
}

function filesUnder(dir: string): string[] {
  return (readdirSync(dir, { recursive: true }) as string[]).map(String);
}

test('disk full (ENOSPC) from the end of epoch 2 on: the run fails saying so, earlier metrics and meta stay intact, no temp files', async () => {
  await selectBackend('wasm');
  const ws = workspace(regressionConfig({ training: { optimizer: { type: 'adam', learningRate: 0.01 }, loss: 'mse', epochs: 8, batchSize: 32, seed: 5 } }));
  let full = false;
  let injected = 0;
  const enospc = () => {
    injected++;
    const e = new Error('ENOSPC: no space left on device, write') as NodeJS.ErrnoException;
    e.code = 'ENOSPC';
    return e;
  };
  const realFs = (await import('node:fs')) as typeof fs;
  setRunStoreIo({
    writeSync: (fd, data) => {
      if (full) throw enospc();
      return typeof data === 'string' ? realFs.writeSync(fd, data) : realFs.writeSync(fd, data);
    },
  });
  const events: TrainerEvent[] = [];
  let result: Awaited<ReturnType<typeof runTraining>>;
  try {
    result = await runTraining({
      configPath: ws.config,
      runsDir: ws.runs,
      backend: 'wasm',
      onEvent: (e) => {
        events.push(e);
        if (e.type === 'epoch' && e.epoch === 2) full = true;
      },
    });
  } finally {
    setRunStoreIo();
  }
  assert.ok(injected > 0, 'no write failed: nothing was tested');
  assert.equal(result.meta.status, 'failed');
  assert.match(result.meta.error ?? '', /the disk is full.*ENOSPC/);
  const errors = events.filter((e): e is Extract<TrainerEvent, { type: 'log' }> => e.type === 'log' && e.level === 'error').map((e) => e.message);
  assert.ok(errors.some((m) => /the disk is full/.test(m)), errors.join('\n'));
  assert.equal(events.at(-1)?.type, 'runEnded');
  // On disk: every metric line of epochs 1–2 intact, meta.json whole (as last written), no half-written temp files.
  const lines = readFileSync(join(result.runDir, 'metrics.jsonl'), 'utf8').split('\n').filter((l) => l !== '');
  const points = lines.map((l) => JSON.parse(l) as { kind: string; epoch: number });
  assert.deepEqual(points.filter((p) => p.kind === 'epoch').map((p) => p.epoch), [1, 2]);
  const meta = JSON.parse(readFileSync(join(result.runDir, 'meta.json'), 'utf8')) as RunMeta;
  // The disk filled up while epoch 2's meta was written: meta.json is epoch 1's, whole, not half a file.
  assert.equal(meta.epochsDone, 1);
  assert.equal(meta.status, 'running');
  assert.deepEqual(filesUnder(result.runDir).filter((f) => f.includes('.tmp-')), []);
  assert.ok(existsSync(join(result.runDir, 'model', 'model.json')), 'the checkpoint of epoch 1 is kept');
  const snap = readRunSnapshot(result.runDir);
  assert.equal(snap.metrics.filter((p) => p.kind === 'epoch').length, 2);
});

test('the host going away (abort reason "disconnect") ends the run as interrupted, metrics kept', async () => {
  await selectBackend('wasm');
  const ws = workspace(regressionConfig({ training: { optimizer: { type: 'adam', learningRate: 0.01 }, loss: 'mse', epochs: 50, batchSize: 32, seed: 5 } }));
  const abort = new AbortController();
  const r = await runTraining({
    configPath: ws.config,
    runsDir: ws.runs,
    backend: 'wasm',
    signal: abort.signal,
    onEvent: (e) => {
      if (e.type === 'epoch' && e.epoch === 2) abort.abort('disconnect');
    },
  });
  assert.equal(r.meta.status, 'interrupted');
  const snap = readRunSnapshot(r.runDir);
  assert.equal(snap.meta.status, 'interrupted');
  assert.ok(snap.metrics.filter((p) => p.kind === 'epoch').length >= 2);
  // A plain abort (the Stop button) is still "stopped".
  const stop = new AbortController();
  const s = await runTraining({ configPath: ws.config, runsDir: ws.runs, backend: 'wasm', signal: stop.signal, onEvent: (e) => e.type === 'epoch' && stop.abort() });
  assert.equal(s.meta.status, 'stopped');
});

test('the trainer refuses a config whose data file is outside the workspace root it was given', async () => {
  const ws = workspace(regressionConfig());
  const outside = tempDir('modellab-outside-');
  writeFiles(outside, { 'secret.csv': linearCsv(50) });
  const c = JSON.parse(regressionConfig()) as Record<string, any>;
  c.data.source = join(outside, 'secret.csv');
  writeFiles(ws.dir, { 'exp.experiment.json': JSON.stringify(c) });
  await assert.rejects(
    runTraining({ configPath: ws.config, runsDir: ws.runs, backend: 'cpu', workspaceRoot: ws.dir, onEvent: () => undefined }),
    (e: unknown) => e instanceof ConfigInvalidError && /outside the workspace/.test(e.message),
  );
  assert.equal(existsSync(ws.runs), false, 'a run folder was created');
  // Allowed by the setting: it trains.
  const r = await runTraining({ configPath: ws.config, runsDir: ws.runs, backend: 'cpu', epochs: 1, workspaceRoot: ws.dir, allowPathsOutsideWorkspace: true, onEvent: () => undefined });
  assert.equal(r.meta.status, 'completed', r.meta.error);
});
