// Preemption and time limits lose nothing: `modellab train <config> --run-dir
// <folder>` (what a cluster job runs, the first time and each time it is
// requeued) interrupted by SIGUSR1 or SIGTERM mid-run records the run
// `interrupted` with its last whole epoch's checkpoint and exits 75; the same
// command again carries it on, and the run ends exactly as an uninterrupted
// one: every epoch once in metrics.jsonl, the same losses, the same saved
// weights and evaluation. A folder made at submission (`queued`, with its
// job) starts in place; a finished one is left alone.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { checkpointPath, whyNotResumable } from '../../src/node/checkpointFile';
import { readRunMeta } from '../../src/node/runStoreReader';
import { resumeTraining, runTraining } from '../../src/trainer/engine';
import { trainInRunDir } from '../../src/trainer/runDirTraining';
import type { RunMeta } from '../../src/core/types';
import { builtBundles } from '../helpers/builtBundles';
import { assertSameRun, savedWeights } from '../helpers/sameRun';
import { epochPoints, linearCsv, metricsOf, regressionConfig, tempDir, writeFiles } from '../helpers/fixtures';

// Long enough that a signal sent after the first epochs always lands mid-run, however loaded the machine.
const EPOCHS = 120;

function workspace(prefix: string): string {
  const ws = tempDir(prefix);
  writeFiles(ws, { 'data.csv': linearCsv(300), 'exp.experiment.json': regressionConfig({ training: { optimizer: { type: 'adam', learningRate: 0.01 }, loss: 'mse', metrics: ['mae'], epochs: EPOCHS, batchSize: 16, seed: 5 } }) });
  return ws;
}

/** The folder a submission makes: meta.json `queued` with its job, the job script beside it. */
function queuedFolder(ws: string, id: string): string {
  const dir = join(ws, '.modellab', 'runs', id);
  mkdirSync(dir, { recursive: true });
  const meta: RunMeta = {
    format: 1,
    id,
    name: 'linear',
    task: 'regression',
    configPath: join(ws, 'exp.experiment.json'),
    status: 'queued',
    createdAt: '2026-01-02T03:04:05.000Z',
    versions: { modelLab: '0.0.0', node: process.versions.node },
    seed: 5,
    epochsPlanned: EPOCHS,
    epochsDone: 0,
    job: { executor: 'slurm', id: '4242', submittedAt: '2026-01-02T03:04:05.000Z', script: 'job.sh' },
  };
  writeFileSync(join(dir, 'meta.json'), JSON.stringify(meta, null, 2));
  writeFileSync(join(dir, 'job.sh'), '#!/bin/bash\n#SBATCH --signal=B:USR1@60\n');
  return dir;
}

const cliArgs = (cli: string, ws: string, runDir: string) => [cli, 'train', join(ws, 'exp.experiment.json'), '--run-dir', runDir, '--backend', 'wasm', '--json'];

/** Runs the CLI to its end. */
function trainToEnd(cli: string, ws: string, runDir: string) {
  const r = spawnSync(process.execPath, cliArgs(cli, ws, runDir), { cwd: ws, encoding: 'utf8', timeout: 300_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** Runs the CLI and sends `signal` once it has reported epoch `afterEpoch`; resolves with its exit code and output. */
function trainAndSignal(cli: string, ws: string, runDir: string, signal: NodeJS.Signals, afterEpoch: number): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, cliArgs(cli, ws, runDir), { cwd: ws, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let sent = false;
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk;
      const epochs = stdout.split('\n').filter((l) => l.startsWith('{"type":"epoch"')).length;
      if (!sent && epochs >= afterEpoch) {
        sent = true;
        child.kill(signal);
      }
    });
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

const result = (stdout: string) => JSON.parse(stdout.trim().split('\n').filter((l) => l.startsWith('{"type":"result"')).pop()!) as { status: string; epochs: number; runDir: string };
const diskMeta = (dir: string) => JSON.parse(readFileSync(join(dir, 'meta.json'), 'utf8')) as RunMeta;

test('a queued run folder interrupted by SIGUSR1 mid-run, then trained again with the same command, ends exactly as an uninterrupted run', { timeout: 600_000 }, async () => {
  const { cli } = builtBundles('cli');
  const fullWs = workspace('modellab-preempt-full-');
  const fullDir = join(fullWs, '.modellab', 'runs', 'uninterrupted');
  const full = trainToEnd(cli, fullWs, fullDir); // a folder that does not exist yet: a new run named after it
  assert.equal(full.code, 0, full.stderr);
  assert.equal(diskMeta(fullDir).id, 'uninterrupted');
  assert.equal(diskMeta(fullDir).status, 'completed');

  const ws = workspace('modellab-preempt-cut-');
  const dir = queuedFolder(ws, '20260102-030405-linear-abcd');
  const cut = await trainAndSignal(cli, ws, dir, 'SIGUSR1', 2);
  assert.equal(cut.code, 75, `an interrupted training exits 75\n${cut.stderr}`);
  assert.match(cut.stderr, /SIGUSR1: interrupting after this batch/);
  const cutMeta = diskMeta(dir);
  assert.equal(cutMeta.status, 'interrupted');
  assert.ok(cutMeta.epochsDone >= 2 && cutMeta.epochsDone < EPOCHS, `interrupted after epoch ${cutMeta.epochsDone}`);
  assert.equal(result(cut.stdout).epochs, cutMeta.epochsDone);
  assert.equal(cutMeta.job?.id, '4242', 'the job stays recorded');
  assert.equal(cutMeta.createdAt, '2026-01-02T03:04:05.000Z', 'the submission time stays');
  assert.ok(existsSync(join(dir, 'job.sh')), 'the job script stays');
  assert.ok(existsSync(checkpointPath(dir)), 'the checkpoint of the last whole epoch is kept');
  assert.deepEqual(epochPoints(dir).map((p) => p.epoch), Array.from({ length: cutMeta.epochsDone }, (_, i) => i + 1));

  const again = trainToEnd(cli, ws, dir);
  assert.equal(again.code, 0, again.stderr);
  const meta = diskMeta(dir);
  assert.equal(meta.status, 'completed');
  assert.equal(meta.epochsDone, EPOCHS);
  assert.deepEqual(meta.resumes?.map((r) => r.fromEpoch), [cutMeta.epochsDone]);
  assertSameRun(dir, fullDir, EPOCHS);

  // A requeued job whose run already finished: nothing changes, exit 0.
  const before = readFileSync(join(dir, 'meta.json'), 'utf8');
  const done = trainToEnd(cli, ws, dir);
  assert.equal(done.code, 0, done.stderr);
  assert.match(done.stderr, /is already completed/);
  assert.equal(readFileSync(join(dir, 'meta.json'), 'utf8'), before);
});

test('interrupted twice (SIGTERM, then SIGUSR1 while resumed), the run still ends exactly as an uninterrupted one; a failed run folder is refused with the reason', { timeout: 600_000 }, async () => {
  const { cli } = builtBundles('cli');
  const fullWs = workspace('modellab-preempt-twice-full-');
  const fullDir = join(fullWs, '.modellab', 'runs', 'uninterrupted');
  assert.equal(trainToEnd(cli, fullWs, fullDir).code, 0);

  const ws = workspace('modellab-preempt-twice-');
  const dir = queuedFolder(ws, '20260102-030405-linear-twice');
  const first = await trainAndSignal(cli, ws, dir, 'SIGTERM', 1);
  assert.equal(first.code, 75, first.stderr);
  assert.match(first.stderr, /SIGTERM: interrupting after this batch/);
  const firstCut = diskMeta(dir).epochsDone;
  assert.equal(diskMeta(dir).status, 'interrupted');
  const second = await trainAndSignal(cli, ws, dir, 'SIGUSR1', 1);
  assert.equal(second.code, 75, second.stderr);
  const secondCut = diskMeta(dir).epochsDone;
  assert.equal(diskMeta(dir).status, 'interrupted');
  assert.ok(secondCut > firstCut && secondCut < EPOCHS, `cut after epochs ${firstCut} and ${secondCut}`);
  const last = trainToEnd(cli, ws, dir);
  assert.equal(last.code, 0, last.stderr);
  assert.deepEqual(diskMeta(dir).resumes?.map((r) => r.fromEpoch), [firstCut, secondCut]);
  assertSameRun(dir, fullDir, EPOCHS);

  const failed = queuedFolder(ws, '20260102-030405-linear-failed');
  writeFileSync(join(failed, 'meta.json'), JSON.stringify({ ...diskMeta(failed), status: 'failed', error: 'out of memory' }));
  const refused = trainToEnd(cli, ws, failed);
  assert.equal(refused.code, 1);
  assert.match(refused.stderr, /cannot be trained: it is failed \(out of memory\); train the config again for a new run/);
});

test('a run killed after its last epoch (while it evaluated) resumes to evaluate and save only, as the uninterrupted run', { timeout: 300_000 }, async () => {
  const setup = (ws: string) => {
    writeFiles(ws, { 'data.csv': linearCsv(200), 'exp.experiment.json': regressionConfig({ training: { optimizer: { type: 'adam', learningRate: 0.01 }, loss: 'mse', epochs: 5, batchSize: 16, seed: 5 } }) });
    return join(ws, 'exp.experiment.json');
  };
  const fullWs = tempDir('modellab-preempt-last-full-');
  const full = await runTraining({ configPath: setup(fullWs), runsDir: join(fullWs, 'runs'), backend: 'wasm', epochs: 3, onEvent: () => {} });
  assert.equal(full.meta.status, 'completed', full.meta.error);

  // The same run planned for 5 epochs, cut in epoch 4; then its folder rewritten as a 3-epoch run that died while it evaluated.
  const ws = tempDir('modellab-preempt-last-cut-');
  const abort = new AbortController();
  const cut = await runTraining({
    configPath: setup(ws),
    runsDir: join(ws, 'runs'),
    backend: 'wasm',
    signal: abort.signal,
    metricsIntervalMs: 0,
    onEvent: (e) => e.type === 'metrics' && e.points.some((p) => p.epoch === 4) && abort.abort('SIGTERM'),
  });
  assert.equal(cut.meta.status, 'interrupted');
  assert.equal(cut.meta.epochsDone, 3);
  const configFile = join(cut.runDir, 'config.json');
  const snapshot = JSON.parse(readFileSync(configFile, 'utf8'));
  snapshot.training.epochs = 3;
  writeFileSync(configFile, JSON.stringify(snapshot));
  writeFileSync(join(cut.runDir, 'meta.json'), JSON.stringify({ ...diskMeta(cut.runDir), status: 'running', epochsPlanned: 3, pid: 999_999_999 }));
  assert.equal(readRunMeta(cut.runDir)?.status, 'interrupted', 'its trainer is gone');
  assert.equal(whyNotResumable(readRunMeta(cut.runDir), cut.runDir), undefined, 'all epochs trained, not evaluated: resumable');

  const r = await resumeTraining({ runDir: cut.runDir, backend: 'wasm', onEvent: () => {} });
  assert.equal(r.meta.status, 'completed', r.meta.error);
  assert.deepEqual(epochPoints(r.runDir).map((p) => p.epoch), [1, 2, 3], 'no epoch trained again');
  assert.deepEqual(savedWeights(r.runDir), savedWeights(full.runDir));
  assert.deepEqual(r.evaluation?.metrics, full.evaluation?.metrics);
});

test('a signal after the last epoch ended leaves nothing to save: the run evaluates and completes; one before training began ends it interrupted with no epoch', { timeout: 300_000 }, async () => {
  const ws = tempDir('modellab-preempt-late-');
  writeFiles(ws, { 'data.csv': linearCsv(200), 'exp.experiment.json': regressionConfig({ training: { optimizer: { type: 'adam', learningRate: 0.01 }, loss: 'mse', epochs: 3, batchSize: 16, seed: 5 } }) });
  const base = { configPath: join(ws, 'exp.experiment.json'), runsDir: join(ws, 'runs'), backend: 'wasm' as const };
  const late = new AbortController();
  const r = await runTraining({ ...base, signal: late.signal, onEvent: (e) => e.type === 'epoch' && e.epoch === 3 && late.abort('SIGUSR1') });
  assert.equal(r.meta.status, 'completed', r.meta.error);
  assert.ok(r.evaluation, 'evaluated');
  assert.ok(existsSync(join(r.runDir, 'evaluation.json')));

  const early = new AbortController();
  early.abort('SIGTERM');
  const e = await runTraining({ ...base, signal: early.signal, onEvent: () => {} });
  assert.equal(e.meta.status, 'interrupted');
  assert.equal(e.meta.epochsDone, 0);
  assert.deepEqual(metricsOf(e.runDir), [], 'not one step trained');

  // A folder that starts again drops an earlier attempt's checkpoint: cut before its first epoch, it is not resumable from a stale state.
  const dir = queuedFolder(ws, '20260102-030405-linear-stale');
  writeFileSync(checkpointPath(dir), 'MLCK stale');
  const again = new AbortController();
  again.abort('SIGUSR1');
  const s = await runTraining({ ...base, runDir: dir, signal: again.signal, onEvent: () => {} });
  assert.equal(s.meta.status, 'interrupted');
  assert.equal(existsSync(checkpointPath(dir)), false);
  assert.equal(whyNotResumable(readRunMeta(dir), dir), 'it has no checkpoint (it ended before finishing an epoch)');
});

test('a sweep point\'s queued folder trains its point: the values of meta.sweep over the config, the membership kept', { timeout: 300_000 }, async () => {
  const ws = tempDir('modellab-preempt-sweep-');
  writeFiles(ws, { 'data.csv': linearCsv(120), 'exp.experiment.json': regressionConfig({ training: { optimizer: { type: 'adam', learningRate: 0.01 }, loss: 'mse', epochs: 2, batchSize: 16, seed: 5 } }) });
  const dir = queuedFolder(ws, '20260102-030405-linear-pt1');
  const sweep = { id: 'sw-1', index: 1, total: 3, params: { 'training.optimizer.learningRate': 0.05, 'model.layers[0].units': 8 } };
  writeFileSync(join(dir, 'meta.json'), JSON.stringify({ ...diskMeta(dir), epochsPlanned: 2, sweep }));
  const { plan, result: r } = await trainInRunDir({ configPath: join(ws, 'exp.experiment.json'), runsDir: join(ws, '.modellab', 'runs'), runDir: dir, backend: 'wasm', onEvent: () => {} });
  assert.equal(plan.action, 'start');
  assert.equal(r?.meta.status, 'completed', r?.meta.error);
  const config = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8'));
  assert.equal(config.training.optimizer.learningRate, 0.05);
  assert.equal(config.model.layers[0].units, 8);
  assert.deepEqual(diskMeta(dir).sweep, sweep);
  assert.equal(diskMeta(dir).job?.id, '4242');
});
