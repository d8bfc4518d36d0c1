// `modellab cancel` on a local run (src/node/executors/local.ts), with stand-in
// trainers: one that stops on SIGINT and records `stopped` (Ctrl+C's stop),
// one stuck that ignores SIGINT and SIGTERM — killed with SIGKILL and
// recorded `stopped` with why — and a recycled pid, which is never signalled.

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import type { RunMeta } from '../../src/core/types';
import { checkpointPath } from '../../src/node/checkpointFile';
import { ExecutorError } from '../../src/node/executors/executor';
import { stopLocalRun } from '../../src/node/executors/local';
import { processStart } from '../../src/node/heartbeat';
import { tempDir } from '../helpers/fixtures';

const AT = '2026-12-06T06:00:00.000Z';

/** A stand-in trainer: says `ready` once its handlers are set, and `SIGINT` when it gets one. */
async function trainer(t: { after(fn: () => void): void }, onSigint: string): Promise<{ child: ChildProcess; out: () => string; ended: Promise<NodeJS.Signals | number | null> }> {
  const code = `process.on('SIGINT', () => { process.stdout.write('SIGINT\\n'); ${onSigint} }); process.on('SIGTERM', () => process.stdout.write('SIGTERM\\n')); setInterval(() => undefined, 1000); process.stdout.write('ready\\n');`;
  const child = spawn(process.execPath, ['-e', code], { stdio: ['ignore', 'pipe', 'inherit'] });
  t.after(() => child.kill('SIGKILL'));
  let out = '';
  child.stdout!.setEncoding('utf8').on('data', (d: string) => (out += d));
  const ended = new Promise<NodeJS.Signals | number | null>((resolve) => child.on('exit', (c, s) => resolve(s ?? c)));
  while (!out.includes('ready')) await new Promise((r) => child.stdout!.once('data', r));
  return { child, out: () => out, ended };
}

function runFolder(pid: number, pidStart: string | undefined, dir = join(tempDir('modellab-stop-'), 'run')): string {
  mkdirSync(dir, { recursive: true });
  const meta: RunMeta = { format: 1, id: 'r1', name: 'linear', task: 'regression', configPath: '/w/c.json', status: 'running', createdAt: AT, versions: { modelLab: '0', node: '20' }, seed: 1, epochsPlanned: 100, epochsDone: 2, host: hostname(), pid, ...(pidStart ? { pidStart } : {}), startedAt: new Date().toISOString() };
  writeFileSync(join(dir, 'meta.json'), JSON.stringify(meta));
  return dir;
}

const written = (dir: string): RunMeta => JSON.parse(readFileSync(join(dir, 'meta.json'), 'utf8')) as RunMeta;

test('a trainer that stops after its batch on SIGINT records the run stopped itself; nothing is killed', async (t) => {
  const dir = join(tempDir('modellab-stop-'), 'run');
  const file = JSON.stringify(join(dir, 'meta.json'));
  // On SIGINT it does what the CLI does: records `stopped`, then exits 0.
  const stand = await trainer(t, `const fs = require('fs'); const m = JSON.parse(fs.readFileSync(${file}, 'utf8')); fs.writeFileSync(${file}, JSON.stringify({ ...m, status: 'stopped', endedAt: new Date().toISOString() })); process.exit(0);`);
  const pid = stand.child.pid!;
  runFolder(pid, processStart(pid), dir);
  const { meta, killed } = await stopLocalRun(dir, { stopMs: 60_000, pollMs: 20 });
  assert.equal(killed, false);
  assert.equal(meta.status, 'stopped');
  assert.equal(meta.error, undefined);
  assert.equal(await stand.ended, 0);
});

test('a stuck trainer that ignores SIGINT is killed with SIGKILL after the wait, and its run recorded stopped with why', async (t) => {
  const stand = await trainer(t, '/* stuck: ignores it */');
  const pid = stand.child.pid!;
  const dir = runFolder(pid, processStart(pid));
  writeFileSync(checkpointPath(dir), '{}');
  const { meta, killed } = await stopLocalRun(dir, { stopMs: 300, killMs: 30_000, pollMs: 20 });
  assert.equal(killed, true);
  assert.equal(await stand.ended, 'SIGKILL', 'SIGKILL ends it: SIGTERM would be taken for an interruption');
  assert.equal(stand.out().includes('SIGINT'), true, 'asked to stop after its batch first');
  assert.equal(stand.out().includes('SIGTERM'), false);
  const onDisk = written(dir);
  assert.deepEqual([meta.status, onDisk.status], ['stopped', 'stopped']);
  assert.equal(onDisk.pid, undefined);
  assert.ok(onDisk.endedAt);
  assert.equal(onDisk.epochsDone, 2);
  assert.equal(onDisk.error, "stopped by modellab cancel: the trainer did not stop after its batch within 0 s and was killed (SIGKILL); its last whole epoch's checkpoint is kept");
});

test('a pid now taken by another process is never signalled: the run is not training', async (t) => {
  const stand = await trainer(t, '/* a bystander */');
  const pid = stand.child.pid!;
  const dir = runFolder(pid, 'linux:another-boot:1');
  await assert.rejects(stopLocalRun(dir, { stopMs: 300, pollMs: 20 }), (e: Error) => e instanceof ExecutorError && /is interrupted, not training on this machine/.test(e.message));
  assert.equal(stand.child.exitCode, null);
  assert.equal(stand.child.signalCode, null);
  assert.equal(stand.out().includes('SIGINT'), false);
  assert.equal(written(dir).status, 'running');
});
