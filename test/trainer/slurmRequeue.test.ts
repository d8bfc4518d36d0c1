// Preemption and time limits on a real SLURM lose nothing. A run submitted as
// a batch job (SlurmExecutor, the job script it saves) is taken off its node
// mid-run, then carries on from its checkpoint when the job starts again, and
// ends exactly as the same run trained without a break:
//   - `scontrol requeue <job>` (what preemption does): SLURM sends SIGTERM, the
//     trainer records the run interrupted with its checkpoint, SLURM requeues;
//   - the warning before a time limit (`--signal=B:USR1@N`, sent here at once
//     with `scancel --batch --signal=USR1`): the job script forwards it to the
//     trainer and requeues itself.
// A one-node cluster of its own (test/helpers/slurmCluster.ts: own folder and
// ports, stopped even when the test is interrupted) runs the jobs; it needs
// Debian's slurm-wlm and munge and root (bash scripts/install-test-deps.sh).
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import type { RunMeta } from '../../src/core/types';
import { ClusterWatcher } from '../../src/host/runs/clusterWatcher';
import { SlurmExecutor } from '../../src/node/executors/slurm';
import { runFolderStamp } from '../../src/node/runFolderStamp';
import { listRuns } from '../../src/node/runStoreReader';
import { builtBundles } from '../helpers/builtBundles';
import { epochPoints, linearCsv, regressionConfig, tempDir, writeFiles } from '../helpers/fixtures';
import { assertSameRun } from '../helpers/sameRun';
import { startTestCluster } from '../helpers/slurmCluster';
import type { TestCluster } from '../helpers/slurmCluster';

let cluster: TestCluster | undefined;
let slurmEnv: NodeJS.ProcessEnv = process.env;
const EPOCHS = 300; // long enough that the interruption always lands mid-run

function slurm(command: string, args: string[]): string {
  return execFileSync(command, args, { env: slurmEnv, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim();
}

before(async () => {
  cluster = await startTestCluster();
  slurmEnv = cluster.env;
});

after(() => cluster?.stop());

function workspace(prefix: string): string {
  const ws = tempDir(prefix);
  writeFiles(ws, { 'data.csv': linearCsv(300), 'exp.experiment.json': regressionConfig({ training: { optimizer: { type: 'adam', learningRate: 0.01 }, loss: 'mse', metrics: ['mae'], epochs: EPOCHS, batchSize: 16, seed: 5 } }) });
  return ws;
}

const diskMeta = (dir: string) => JSON.parse(readFileSync(join(dir, 'meta.json'), 'utf8')) as RunMeta;

/** Polls until `probe` returns a value; the run folder's files say what happened when it never does. */
async function until<T>(what: string, ms: number, runDir: string, probe: () => T | undefined): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) {
      const files = ['meta.json', 'job.out', 'job.err'].map((f) => (existsSync(join(runDir, f)) ? `── ${f}\n${readFileSync(join(runDir, f), 'utf8').slice(-3000)}` : `── ${f}: none`)).join('\n');
      throw new Error(`timed out waiting for ${what}\n${files}`);
    }
    await sleep(100);
  }
}

/** The uninterrupted run, trained by the same CLI in a run folder of its own. */
function uninterrupted(cli: string): string {
  const ws = workspace('modellab-requeue-full-');
  const dir = join(ws, '.modellab', 'runs', 'full');
  execFileSync(process.execPath, [cli, 'train', join(ws, 'exp.experiment.json'), '--run-dir', dir, '--backend', 'wasm', '--json'], { cwd: ws, stdio: ['ignore', 'ignore', 'pipe'], timeout: 300_000 });
  assert.equal(diskMeta(dir).status, 'completed');
  return dir;
}

/** Submits the run, takes it off the node with `interrupt` once two epochs are in, and follows it to its end. */
async function submitAndInterrupt(cli: string, interrupt: (jobId: string) => void): Promise<{ runDir: string; cutAfter: number; jobOut: string }> {
  const ws = workspace('modellab-requeue-cut-');
  const executor = new SlurmExecutor({ env: slurmEnv });
  const submitted = await executor.submitRun({
    configPath: join(ws, 'exp.experiment.json'),
    runsDir: join(ws, '.modellab', 'runs'),
    backend: 'wasm',
    resources: {},
    program: { nodePath: process.execPath, cliPath: cli },
  });
  const { runDir } = submitted.runs[0];
  const jobId = submitted.jobId;
  await until('two finished epochs', 120_000, runDir, () => (existsSync(join(runDir, 'metrics.jsonl')) && epochPoints(runDir).length >= 2 ? true : undefined));
  interrupt(jobId);
  const cut = await until('the run recorded interrupted', 60_000, runDir, () => (diskMeta(runDir).status === 'interrupted' ? diskMeta(runDir) : undefined));
  assert.ok(cut.epochsDone >= 2 && cut.epochsDone < EPOCHS, `interrupted after epoch ${cut.epochsDone} of ${EPOCHS}`);
  // Back in the queue; SLURM holds a requeued job two minutes (BeginTime): the test does not wait them out.
  await until('the job back in the queue', 60_000, runDir, () => (slurm('squeue', ['--noheader', '--jobs', jobId, '--format=%T']) === 'PENDING' ? true : undefined));
  // While it waits, `modellab runs` asks SLURM and shows it queued (not dead, not to be resumed by hand).
  const runsOut = execFileSync(process.execPath, [cli, 'runs', '--runs-dir', join(runDir, '..'), '--json'], { env: slurmEnv, encoding: 'utf8', timeout: 60_000 });
  const [row] = JSON.parse(runsOut) as { status: string; recordedStatus: string; statusWhy: string }[];
  assert.deepEqual([row.status, row.recordedStatus], ['queued', 'interrupted'], runsOut);
  assert.match(row.statusWhy, new RegExp(`^job ${jobId} was requeued( \\(\\w+\\))?: it carries on from its checkpoint when it starts again$`));
  // The editor's watcher, asking this SLURM: the run its trainer recorded interrupted is followed as queued, and never offered to resume by hand.
  const watcher = new ClusterWatcher({ listRuns: (jobs) => listRuns(join(runDir, '..'), jobs), query: (jobs) => executor.query(jobs), stamp: runFolderStamp, setTimer: () => undefined });
  await watcher.poke();
  const entry = listRuns(join(runDir, '..'))[0];
  assert.equal(entry.meta?.status, 'interrupted', 'read without the scheduler, the folder says interrupted');
  assert.equal(watcher.stateOf(entry)?.status, 'queued');
  assert.equal(watcher.carriesOn(entry), true);
  assert.deepEqual(watcher.counts, { queued: 1, running: 0 });
  watcher.dispose();
  slurm('scontrol', ['update', `JobId=${jobId}`, 'StartTime=now']);
  const done = await until('the run completed', 240_000, runDir, () => (['completed', 'failed'].includes(diskMeta(runDir).status) ? diskMeta(runDir) : undefined));
  assert.equal(done.status, 'completed', done.error);
  assert.equal(done.job?.id, jobId, 'the same job carried it on');
  assert.equal(done.trainerJob, jobId, 'its trainer ran as that job');
  assert.deepEqual(done.resumes?.map((r) => r.fromEpoch), [cut.epochsDone], 'resumed once, from the checkpoint of the epoch it was cut after');
  return { runDir, cutAfter: cut.epochsDone, jobOut: readFileSync(join(runDir, 'job.out'), 'utf8') };
}

test('scontrol requeue mid-run (preemption): the requeued job resumes from the checkpoint and the run ends exactly as an uninterrupted one', { timeout: 600_000 }, async () => {
  const { cli } = builtBundles('cli');
  const full = uninterrupted(cli);
  const { runDir, jobOut } = await submitAndInterrupt(cli, (jobId) => slurm('scontrol', ['requeue', jobId]));
  assert.equal(jobOut.match(/^modellab: job \d+ on /gm)?.length, 2, `the job started twice:\n${jobOut}`);
  assert.match(readFileSync(join(runDir, 'job.err'), 'utf8'), /SIGTERM: interrupting after this batch/);
  assertSameRun(runDir, full, EPOCHS);
});

test('the warning before a time limit (SIGUSR1 to the job script): the trainer checkpoints, the job requeues itself, the run ends exactly as an uninterrupted one', { timeout: 600_000 }, async () => {
  const { cli } = builtBundles('cli');
  const full = uninterrupted(cli);
  const { runDir } = await submitAndInterrupt(cli, (jobId) => slurm('scancel', ['--batch', '--signal=USR1', jobId]));
  const err = readFileSync(join(runDir, 'job.err'), 'utf8');
  assert.match(err, /SIGUSR1: interrupting after this batch/);
  assert.match(err, /requeued to resume from the checkpoint/);
  assertSameRun(runDir, full, EPOCHS);
});
