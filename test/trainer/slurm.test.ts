// Runs and sweeps on a real SLURM (a one-node cluster started for this file):
// a sweep submitted as a job array ends as the same sweep trained locally, a
// cancelled job's run says cancelled, SLURM's refusals and a missing sbatch
// say what to do, and a job that fails on the node fails its run with the
// job's stderr. The CLI under test is the built bundle, as a job runs it.

import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import type { RunMeta } from '../../src/core/types';
import { SlurmExecutor } from '../../src/node/executors/slurm';
import { builtBundles } from '../helpers/builtBundles';
import { linearCsv, regressionConfig, tempDir, writeFiles } from '../helpers/fixtures';
import { startTestCluster } from '../helpers/slurmCluster';
import type { TestCluster } from '../helpers/slurmCluster';

let cluster: TestCluster;
let cli: string;

before(async () => {
  cli = builtBundles('cli').cli;
  cluster = await startTestCluster();
});
after(() => cluster?.stop());

interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

function modellab(args: string[], cwd: string, env: NodeJS.ProcessEnv = cluster.env): Promise<CliResult> {
  return new Promise((resolve) => {
    execFile(process.execPath, [cli, ...args], { cwd, env, encoding: 'utf8', maxBuffer: 16 * 1024 * 1024 }, (error, stdout, stderr) => {
      resolve({ code: error ? ((error as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
  });
}

function workspace(training: Record<string, unknown> = {}, sweep?: Record<string, unknown>): { dir: string; config: string; runs: string } {
  const dir = tempDir('modellab-slurm-ws-');
  const config = regressionConfig({
    training: { optimizer: { type: 'adam', learningRate: 0.01 }, loss: 'mse', metrics: ['mae'], epochs: 3, batchSize: 16, seed: 5, ...training },
    ...(sweep ? { sweep } : {}),
  });
  writeFiles(dir, { 'data.csv': linearCsv(160), 'exp.experiment.json': config });
  return { dir, config: join(dir, 'exp.experiment.json'), runs: join(dir, '.modellab', 'runs') };
}

const readMeta = (runDir: string): RunMeta => JSON.parse(readFileSync(join(runDir, 'meta.json'), 'utf8')) as RunMeta;
const jsonLines = (text: string) => text.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as Record<string, unknown>);
/** Waits for `done`; a wait that never ends fails the test after two minutes, saying what it waited for. */
async function until(done: () => boolean, what: () => string, timeoutMs = 120_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!done()) {
    if (Date.now() > deadline) throw new Error(`gave up waiting for ${what()}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}
const runFolders = (runs: string): string[] => (existsSync(runs) ? readdirSync(runs) : []);

test('a 4-point sweep submitted as one job array ends with the same final metrics as the same sweep trained locally', async () => {
  const sweep = { parameters: { 'training.optimizer.learningRate': [0.002, 0.02], 'model.layers[0].units': [4, 16] }, metric: 'val_loss', concurrency: 2 };
  const ws = workspace({}, sweep);
  const onCluster = await modellab(['sweep', ws.config, '--executor', 'slurm', '--backend', 'wasm', '--wait', '--json'], ws.dir);
  assert.equal(onCluster.code, 0, onCluster.stderr + onCluster.stdout);
  const lines = jsonLines(onCluster.stdout);
  const submitted = lines.find((l) => l.type === 'submitted') as { jobId: string; runs: { runId: string; runDir: string; job: string }[] };
  assert.equal(submitted.runs.length, 4);
  assert.deepEqual(submitted.runs.map((r) => r.job), [0, 1, 2, 3].map((i) => `${submitted.jobId}_${i}`));
  // Every task was seen ending, and the ranking is the local sweep's own JSON line.
  const ended = lines.filter((l) => l.type === 'job' && l.state === 'completed').map((l) => l.job).sort();
  assert.deepEqual(ended, submitted.runs.map((r) => r.job).sort());
  const ranking = lines.find((l) => l.type === 'sweep') as { runs: { index: number; status: string; value: number }[] };
  assert.equal(ranking.runs.length, 4);
  assert.ok(ranking.runs.every((r) => r.status === 'completed'));

  const local = await modellab(['sweep', ws.config, '--backend', 'wasm', '--json', '--runs-dir', join(ws.dir, 'local-runs')], ws.dir);
  assert.equal(local.code, 0, local.stderr);
  const localRanking = jsonLines(local.stdout).find((l) => l.type === 'sweep') as { runs: { index: number; value: number }[] };
  const byIndex = (rs: { index: number; value: number }[]) => Object.fromEntries(rs.map((r) => [r.index, r.value]));
  assert.deepEqual(byIndex(ranking.runs), byIndex(localRanking.runs), 'each point\'s val_loss, cluster vs local');

  const localMetas = runFolders(join(ws.dir, 'local-runs')).map((id) => readMeta(join(ws.dir, 'local-runs', id)));
  for (const r of submitted.runs) {
    const meta = readMeta(r.runDir);
    assert.equal(meta.status, 'completed');
    assert.equal(meta.job?.arrayJobId, submitted.jobId);
    assert.equal(meta.job?.arrayIndex, meta.sweep?.index);
    const twin = localMetas.find((m) => m.sweep?.index === meta.sweep?.index)!;
    assert.deepEqual(meta.lastMetrics, twin.lastMetrics, `point ${meta.sweep?.index}: final metrics`);
    assert.equal(meta.epochsDone, 3);
    // The script as submitted, and the job's own output, are in the run folder.
    const script = readFileSync(join(r.runDir, 'job.sh'), 'utf8');
    assert.match(script, /^#SBATCH --array=0-3%2$/m);
    assert.match(script, /^#SBATCH --signal=B:USR1@\d+$/m);
    assert.match(script, /^#SBATCH --requeue$/m);
    assert.match(readFileSync(join(r.runDir, 'job.out'), 'utf8'), new RegExp(`modellab: job \\d+ on .* run folder ${r.runDir}`));
  }
});

test('a cross-validated config submitted as a job array, a task per fold, ends with the folds\' mean ± std and the same fold metrics as training it locally', async () => {
  const ws = workspace({ crossValidation: { folds: 2 } });
  const onCluster = await modellab(['train', ws.config, '--executor', 'slurm', '--backend', 'wasm', '--wait', '--json'], ws.dir);
  assert.equal(onCluster.code, 0, onCluster.stderr + onCluster.stdout);
  const lines = jsonLines(onCluster.stdout);
  const submitted = lines.find((l) => l.type === 'submitted') as { jobId: string; runs: { runId: string; runDir: string; job: string }[] };
  assert.deepEqual(submitted.runs.map((r) => r.job), [0, 1].map((i) => `${submitted.jobId}_${i}`));
  const report = lines.find((l) => l.type === 'crossValidation') as { id: string; k: number; folds: { index: number; status: string; metrics: Record<string, number> }[]; mean: Record<string, number> };
  assert.equal(report.k, 2);
  assert.deepEqual(report.folds.map((f) => [f.index, f.status]), [[0, 'completed'], [1, 'completed']]);
  for (const r of submitted.runs) {
    const meta = readMeta(r.runDir);
    assert.equal(meta.fold?.id, report.id);
    assert.match(readFileSync(join(r.runDir, 'job.sh'), 'utf8'), /^#SBATCH --array=0-1%2$/m);
  }
  const local = await modellab(['train', ws.config, '--backend', 'wasm', '--json', '--runs-dir', join(ws.dir, 'local-runs')], ws.dir);
  assert.equal(local.code, 0, local.stderr);
  const localReport = jsonLines(local.stdout).find((l) => l.type === 'crossValidation') as typeof report;
  assert.deepEqual(report.folds.map((f) => f.metrics.val_loss), localReport.folds.map((f) => f.metrics.val_loss), 'each fold\'s val_loss, cluster vs local');
  assert.equal(report.mean.val_loss, localReport.mean.val_loss);
});

test('a job cancelled while queued, and one cancelled while training, are marked cancelled', async () => {
  const ws = workspace({ epochs: 100000 });
  const executor = new SlurmExecutor({ env: cluster.env });
  const program = { nodePath: process.execPath, cliPath: cli };
  // Held: it stays queued until released, whatever the machine's speed.
  const held = await executor.submitRun({ configPath: ws.config, runsDir: ws.runs, backend: 'wasm', resources: { extraArgs: ['--hold'] }, program, modelLabVersion: 'test' });
  const heldRun = held.runs[0].runDir;
  assert.equal(readMeta(heldRun).status, 'queued');
  assert.equal((await executor.query([readMeta(heldRun).job!])).get(held.jobId)?.state, 'queued');
  const cancelHeld = await modellab(['cancel', heldRun], ws.dir);
  assert.equal(cancelHeld.code, 0, cancelHeld.stderr);
  assert.match(cancelHeld.stdout, new RegExp(`^cancelled: run ${readMeta(heldRun).id} \\(slurm job ${held.jobId}\\)`));
  assert.equal(readMeta(heldRun).status, 'cancelled');
  assert.equal((await executor.query([readMeta(heldRun).job!])).get(held.jobId)?.state, 'cancelled');

  // 100000 epochs: still training when it is cancelled.
  const long = await executor.submitRun({ configPath: ws.config, runsDir: ws.runs, backend: 'wasm', resources: {}, program, modelLabVersion: 'test' });
  const longRun = long.runs[0].runDir;
  await until(() => readMeta(longRun).status === 'running' && readMeta(longRun).epochsDone >= 1, () => `the job to train an epoch (run ${readMeta(longRun).status}; ${readFileSync(join(longRun, 'job.err'), 'utf8').slice(-500)})`);
  const cancelLong = await modellab(['cancel', longRun], ws.dir);
  assert.equal(cancelLong.code, 0, cancelLong.stderr);
  const meta = readMeta(longRun);
  assert.equal(meta.status, 'cancelled');
  assert.ok(meta.epochsDone >= 1 && meta.epochsDone < 100000);
  assert.equal((await executor.query([meta.job!])).get(long.jobId)?.state, 'cancelled');
  // `modellab runs` shows both jobs and what SLURM says of them.
  const runs = await modellab(['runs'], ws.dir);
  assert.match(runs.stdout, new RegExp(`cancelled .*\\[slurm job ${held.jobId}: cancelled`));
  assert.match(runs.stdout, new RegExp(`cancelled .*\\[slurm job ${long.jobId}: cancelled`));
});

test('SLURM refusing the job (unknown partition, bad time) is said in its own words, and leaves no run folder', async () => {
  const ws = workspace();
  const partition = await modellab(['train', ws.config, '--executor', 'slurm', '--partition', 'no-such-partition'], ws.dir);
  assert.equal(partition.code, 1);
  assert.match(partition.stderr, /SLURM refused the job: sbatch: error: invalid partition specified: no-such-partition/);
  const time = await modellab(['train', ws.config, '--executor', 'slurm', '--time', 'soon'], ws.dir);
  assert.equal(time.code, 1);
  assert.match(time.stderr, /SLURM refused the job: sbatch: error: Invalid --time specification/);
  assert.deepEqual(runFolders(ws.runs), []);
});

test('without sbatch on the PATH, the message says the executor is slurm and how to train locally', async () => {
  const ws = workspace();
  const r = await modellab(['train', ws.config, '--executor', 'slurm'], ws.dir, { ...cluster.env, PATH: join(ws.dir, 'no-bin') });
  assert.equal(r.code, 1);
  assert.match(r.stderr, /sbatch was not found on this machine: the executor is "slurm" \(--executor slurm\)/);
  assert.match(r.stderr, /set modelLab\.executor to "local" \(on the command line: --executor local\)/);
  assert.deepEqual(runFolders(ws.runs), []);
});

test('a job that fails on the node (no Node.js there) fails its run, with the end of the job\'s stderr as the error', async () => {
  const ws = workspace();
  const r = await modellab(['train', ws.config, '--executor', 'slurm', '--node', '/opt/no-node-here/bin/node', '--wait'], ws.dir);
  assert.equal(r.code, 1, r.stdout + r.stderr);
  assert.match(r.stdout, /^failed: linear on \? after 0 epoch\(s\) — SLURM job \d+ failed on .*NonZeroExitCode/m);
  const [id] = runFolders(ws.runs);
  const meta = readMeta(join(ws.runs, id));
  assert.equal(meta.status, 'failed');
  assert.match(meta.error ?? '', /modellab: no Node\.js at \/opt\/no-node-here\/bin\/node on .*: set modelLab\.slurm\.nodePath/);
});
