// The SLURM executor without a cluster: what squeue's and sacct's lines mean,
// the job script run by bash with a stand-in Node and scontrol (the arguments
// the trainer gets, the checks that fail a job, the signal forwarded and the
// job requeued), and a run folder brought up to date with its ended job.

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import type { JobState, RunMeta, SchedulerJob } from '../../src/core/types';
import { processStart } from '../../src/node/heartbeat';
import { SchedulerCommandMissing } from '../../src/node/executors/executor';
import { reconcileRun } from '../../src/node/executors/followJobs';
import { carriedOnByScheduler } from '../../src/cli/clusterCommands';
import { parseJobLines, signalSecondsFor, SlurmExecutor, slurmJobScript, slurmTimeSeconds } from '../../src/node/executors/slurm';
import { tempDir } from '../helpers/fixtures';

const AT = '2026-12-06T06:00:00.000Z';

test("squeue's and sacct's lines become queued with the reason, running with the node, and how a job ended", () => {
  const text = [
    '41_0|RUNNING|None|node07',
    '41_1|PENDING|JobArrayTaskLimit|',
    '42|PENDING|Priority|(null)',
    '43|COMPLETED|None|node07',
    '44|FAILED|NonZeroExitCode|node03',
    '45|OUT_OF_MEMORY|OutOfMemory|node03',
    '46|CANCELLED by 0|None|node01',
    '47|TIMEOUT|TimeLimit|node02',
    '48|REQUEUED|BeginTime|',
    '49|SOMETHING_NEW|None|',
  ].join('\n');
  const states = Object.fromEntries([...parseJobLines(text, AT)].map(([id, s]) => [id, { state: s.state, reason: s.reason, node: s.node }]));
  assert.deepEqual(states, {
    '41_0': { state: 'running', reason: undefined, node: 'node07' },
    '41_1': { state: 'queued', reason: 'JobArrayTaskLimit', node: undefined },
    '42': { state: 'queued', reason: 'Priority', node: undefined },
    '43': { state: 'completed', reason: undefined, node: 'node07' },
    '44': { state: 'failed', reason: 'FAILED (NonZeroExitCode)', node: 'node03' },
    '45': { state: 'failed', reason: 'OUT_OF_MEMORY (OutOfMemory)', node: 'node03' },
    '46': { state: 'cancelled', reason: 'CANCELLED by 0', node: 'node01' },
    '47': { state: 'failed', reason: 'TIMEOUT (TimeLimit)', node: 'node02' },
    '48': { state: 'queued', reason: 'BeginTime', node: undefined },
    '49': { state: 'unknown', reason: undefined, node: undefined },
  });
});

test("SLURM's time limits in seconds, and the warning before them: two minutes, or a quarter of a shorter limit", () => {
  const cases: [string, number | undefined][] = [
    ['30', 1800],
    ['5:30', 330],
    ['1:00:00', 3600],
    ['2-0', 172800],
    ['1-12', 129600],
    ['1-2:30', 95400],
    ['1-2:30:15', 95415],
    ['soon', undefined],
    ['infinite', undefined],
  ];
  assert.deepEqual(cases.map(([t]) => slurmTimeSeconds(t)), cases.map(([, s]) => s));
  assert.equal(signalSecondsFor(undefined), 120);
  assert.equal(signalSecondsFor('1:00:00'), 120);
  assert.equal(signalSecondsFor('1'), 15);
  assert.equal(signalSecondsFor('0:2'), 1);
  const script = slurmJobScript({ jobName: 'x', runDirs: ['/r'], configPath: '/c.json', backend: 'auto', resources: { timeLimit: '4' }, program: { nodePath: 'node', cliPath: 'cli.js' }, stdoutPath: 'o', stderrPath: 'e' });
  assert.match(script, /^#SBATCH --signal=B:USR1@60$/m);
});

/** A folder with stand-in `node` and `scontrol` that record what they were given. */
function standIns(dir: string): { node: string; scontrol: string; bin: string } {
  const bin = join(dir, 'bin');
  mkdirSync(bin, { recursive: true });
  const node = join(bin, 'node');
  // Records its arguments one per line, says it started, and on SIGUSR1 exits 75 as the trainer does
  // (told to wait, it waits at most 30 s for the signal, then fails).
  writeFileSync(
    node,
    `#!/bin/bash\nprintf '%s\\n' "$@" > "${dir}/node-args"\ntrap 'echo USR1 > "${dir}/node-signal"; exit 75' USR1\n: > "${dir}/node-started"\nif [ -n "$STAND_IN_WAIT" ]; then for i in $(seq 600); do sleep 0.05; done; exit 1; fi\nexit 0\n`,
    { mode: 0o755 },
  );
  const scontrol = join(bin, 'scontrol');
  writeFileSync(scontrol, `#!/bin/bash\nprintf '%s\\n' "$@" > "${dir}/scontrol-args"\n`, { mode: 0o755 });
  return { node, scontrol, bin };
}

function runScript(script: string, env: NodeJS.ProcessEnv, whileRunning?: (pid: number) => Promise<void>): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn('bash', ['-c', script], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.stdout.resume();
    child.on('close', (code) => resolve({ code, stderr }));
    void whileRunning?.(child.pid!);
  });
}

test('the job script runs the CLI on its array task\'s run folder, with paths that need quoting kept whole', async () => {
  const dir = tempDir("modellab-job script 'quoted' ");
  const { node, bin } = standIns(dir);
  const runDirs = [join(dir, 'runs', 'a b'), join(dir, 'runs', "it's")];
  for (const r of runDirs) {
    mkdirSync(r, { recursive: true });
    writeFileSync(join(r, 'meta.json'), '{}');
  }
  const config = join(dir, 'my exp.experiment.json');
  const script = slurmJobScript({
    jobName: 'modellab-x',
    runDirs,
    configPath: config,
    backend: 'wasm',
    epochs: 2,
    threads: 3,
    resources: { partition: 'gpu', timeLimit: '1:00:00', cpusPerTask: 4, memory: '8G', gres: 'gpu:1', account: 'lab', extraArgs: ['--qos=high'], setupLines: ['export FROM_SETUP=yes'] },
    program: { nodePath: node, cliPath: join(dir, 'dist', 'cli.js') },
    array: { tasks: 2, concurrency: 1 },
    stdoutPath: join(dir, 'links', '%a', 'job.out'),
    stderrPath: join(dir, 'links', '%a', 'job.err'),
  });
  for (const d of ['--array=0-1%1', '--partition=gpu', '--time=1:00:00', '--cpus-per-task=4', '--mem=8G', '--gres=gpu:1', '--account=lab', '--qos=high', '--requeue', '--open-mode=append']) {
    assert.match(script, new RegExp(`^#SBATCH ${d.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`, 'm'));
  }
  assert.match(script, /^#SBATCH --output=".*links\/%a\/job\.out"$/m, 'a path with spaces is quoted for sbatch');
  mkdirSync(join(dir, 'dist'));
  writeFileSync(join(dir, 'dist', 'cli.js'), '');
  const r = await runScript(script, { PATH: `${bin}:/usr/bin:/bin`, SLURM_ARRAY_TASK_ID: '1', SLURM_JOB_ID: '77' });
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(readFileSync(join(dir, 'node-args'), 'utf8').split('\n').filter(Boolean), [join(dir, 'dist', 'cli.js'), 'train', config, '--run-dir', runDirs[1], '--backend', 'wasm', '--epochs', '2', '--threads', '3']);
});

test('the job script fails with a clear message when the node cannot see the run folder, or has no Node.js or CLI there', async () => {
  const dir = tempDir('modellab-job-checks-');
  const { node, bin } = standIns(dir);
  const runDir = join(dir, 'run');
  const base = { jobName: 'x', configPath: join(dir, 'c.json'), backend: 'auto', resources: {}, stdoutPath: 'o', stderrPath: 'e' };
  const env = { PATH: `${bin}:/usr/bin:/bin`, SLURM_JOB_ID: '5' };
  const cli = join(dir, 'cli.js');
  const unseen = await runScript(slurmJobScript({ ...base, runDirs: [runDir], program: { nodePath: node, cliPath: cli } }), env);
  assert.equal(unseen.code, 3);
  assert.match(unseen.stderr, new RegExp(`modellab: the run folder ${runDir} is not visible on .*: the workspace \\(and its runs folder\\) must be on a file system the compute nodes share`));
  mkdirSync(runDir);
  writeFileSync(join(runDir, 'meta.json'), '{}');
  const noNode = await runScript(slurmJobScript({ ...base, runDirs: [runDir], program: { nodePath: join(dir, 'nowhere', 'node'), cliPath: cli } }), env);
  assert.equal(noNode.code, 4);
  assert.match(noNode.stderr, /modellab: no Node\.js at .*nowhere\/node on .*: set modelLab\.slurm\.nodePath/);
  const noCli = await runScript(slurmJobScript({ ...base, runDirs: [runDir], program: { nodePath: node, cliPath: cli } }), env);
  assert.equal(noCli.code, 5);
  assert.match(noCli.stderr, /modellab: no Model Lab CLI at .*cli\.js on .*: set modelLab\.slurm\.cliPath/);
  assert.equal(existsSync(join(dir, 'node-args')), false, 'the trainer never started');
});

test("SLURM's warning before the time limit reaches the trainer, and the job requeues itself to resume", async () => {
  const dir = tempDir('modellab-job-signal-');
  const { node, bin } = standIns(dir);
  const runDir = join(dir, 'run');
  mkdirSync(runDir);
  writeFileSync(join(runDir, 'meta.json'), '{}');
  writeFileSync(join(dir, 'cli.js'), '');
  const script = slurmJobScript({ jobName: 'x', runDirs: [runDir], configPath: join(dir, 'c.json'), backend: 'auto', resources: {}, program: { nodePath: node, cliPath: join(dir, 'cli.js') }, stdoutPath: 'o', stderrPath: 'e' });
  const r = await runScript(script, { PATH: `${bin}:/usr/bin:/bin`, SLURM_JOB_ID: '123', STAND_IN_WAIT: '1' }, async (pid) => {
    // The stand-in trainer has started (so the script's trap is set): SLURM's B:USR1 goes to the batch shell.
    const deadline = Date.now() + 30_000;
    while (!existsSync(join(dir, 'node-started')) && Date.now() < deadline) await new Promise((res) => setTimeout(res, 20));
    process.kill(pid, 'SIGUSR1');
  });
  assert.equal(readFileSync(join(dir, 'node-signal'), 'utf8').trim(), 'USR1', 'the trainer got the signal');
  assert.deepEqual(readFileSync(join(dir, 'scontrol-args'), 'utf8').split('\n').filter(Boolean), ['requeue', '123']);
  assert.equal(r.code, 0);
  assert.match(r.stderr, /requeued to resume from the checkpoint/);
});

test('a job whose trainer ended anyway when the warning came (completed, or failed) is not requeued', async () => {
  const dir = tempDir('modellab-job-signal-done-');
  const { bin } = standIns(dir);
  // A trainer that finishes (exit 0) on the signal instead of stopping for it.
  const node = join(bin, 'node-finishing');
  writeFileSync(node, `#!/bin/bash\ntrap 'exit 0' USR1\n: > "${dir}/node-started"\nfor i in $(seq 600); do sleep 0.05; done\nexit 1\n`, { mode: 0o755 });
  const runDir = join(dir, 'run');
  mkdirSync(runDir);
  writeFileSync(join(runDir, 'meta.json'), '{}');
  writeFileSync(join(dir, 'cli.js'), '');
  const script = slurmJobScript({ jobName: 'x', runDirs: [runDir], configPath: join(dir, 'c.json'), backend: 'auto', resources: {}, program: { nodePath: node, cliPath: join(dir, 'cli.js') }, stdoutPath: 'o', stderrPath: 'e' });
  const r = await runScript(script, { PATH: `${bin}:/usr/bin:/bin`, SLURM_JOB_ID: '124' }, async (pid) => {
    const deadline = Date.now() + 30_000;
    while (!existsSync(join(dir, 'node-started')) && Date.now() < deadline) await new Promise((res) => setTimeout(res, 20));
    process.kill(pid, 'SIGUSR1');
  });
  assert.equal(r.code, 0);
  assert.equal(existsSync(join(dir, 'scontrol-args')), false, 'scontrol requeue was not run');
});

function runFolder(status: RunMeta['status'], stderrLines: number): { dir: string; job: SchedulerJob } {
  const dir = join(tempDir('modellab-reconcile-'), 'run');
  mkdirSync(dir);
  const job: SchedulerJob = { executor: 'slurm', id: '900', submittedAt: AT, script: 'job.sh' };
  const meta: RunMeta = { format: 1, id: 'r1', name: 'linear', task: 'regression', configPath: '/w/c.json', status, createdAt: AT, versions: { modelLab: '0', node: '20' }, seed: 1, epochsPlanned: 3, epochsDone: 0, job };
  writeFileSync(join(dir, 'meta.json'), JSON.stringify(meta));
  if (stderrLines) writeFileSync(join(dir, 'job.err'), Array.from({ length: stderrLines }, (_, i) => `line ${i + 1}`).join('\n') + '\n');
  return { dir, job };
}

test('a job that failed before its trainer could say so fails its run, with the last 20 lines of its stderr', () => {
  const { dir, job } = runFolder('queued', 30);
  const meta = reconcileRun(dir, job, { state: 'failed', reason: 'OUT_OF_MEMORY (OutOfMemory)', node: 'node03', checkedAt: AT })!;
  assert.equal(meta.status, 'failed');
  const onDisk = JSON.parse(readFileSync(join(dir, 'meta.json'), 'utf8')) as RunMeta;
  assert.equal(onDisk.status, 'failed');
  assert.ok(onDisk.endedAt);
  assert.match(onDisk.error!, /^SLURM job 900 failed on node03: OUT_OF_MEMORY \(OutOfMemory\)\. The end of the job's stderr \(job\.err\):\nline 11\n/);
  assert.match(onDisk.error!, /line 30$/);
  assert.doesNotMatch(onDisk.error!, /line 10\n/);
});

test('a job with no stderr says where to look; a cancelled job cancels its run; a finished run keeps its word', () => {
  const silent = runFolder('running', 0);
  assert.match(reconcileRun(silent.dir, silent.job, { state: 'failed', reason: 'FAILED (NonZeroExitCode)', checkedAt: AT })!.error!, /wrote nothing to job\.err \(can the compute node see the run folder .*\?\)/);
  const cancelled = runFolder('running', 0);
  assert.equal(reconcileRun(cancelled.dir, cancelled.job, { state: 'cancelled', reason: 'CANCELLED by 0', checkedAt: AT })!.status, 'cancelled');
  const done = runFolder('completed', 3);
  assert.equal(reconcileRun(done.dir, done.job, { state: 'failed', checkedAt: AT })!.status, 'completed');
  const waiting = runFolder('queued', 0);
  assert.equal(reconcileRun(waiting.dir, waiting.job, { state: 'queued', reason: 'Priority', checkedAt: AT })!.status, 'queued');
});

test('a job that ends while another trainer trains its run leaves the run alone; its own dead trainer\'s run fails', () => {
  const failed: JobState = { state: 'failed', reason: 'FAILED (NonZeroExitCode)', node: 'node03', checkedAt: AT };
  const rewrite = (dir: string, extra: Partial<RunMeta>) => {
    const meta = JSON.parse(readFileSync(join(dir, 'meta.json'), 'utf8')) as RunMeta;
    writeFileSync(join(dir, 'meta.json'), JSON.stringify({ ...meta, ...extra }));
  };
  // A resubmitted job refused (`train --run-dir`: another trainer owns the run) while job 901's trainer on node05 beats.
  const elsewhere = runFolder('running', 3);
  const now = new Date().toISOString();
  rewrite(elsewhere.dir, { host: 'node05', pid: 4242, startedAt: now, trainerJob: '901' });
  writeFileSync(join(elsewhere.dir, 'heartbeat.json'), JSON.stringify({ host: 'node05', pid: 4242, time: now }));
  assert.equal(reconcileRun(elsewhere.dir, elsewhere.job, failed)!.status, 'running');
  assert.equal((JSON.parse(readFileSync(join(elsewhere.dir, 'meta.json'), 'utf8')) as RunMeta).status, 'running', 'the live run\'s meta.json is untouched');
  // A resume from the editor on this machine (no scheduler job), alive by its pid: likewise, and a cancelled job too.
  const here = runFolder('running', 0);
  rewrite(here.dir, { host: hostname(), pid: process.pid, pidStart: processStart(process.pid), startedAt: now });
  assert.equal(reconcileRun(here.dir, here.job, failed)!.status, 'running');
  assert.equal(reconcileRun(here.dir, here.job, { state: 'cancelled', checkedAt: AT })!.status, 'running');
  // The trainer was this job's own (trainerJob 900) and its heartbeat has gone stale: the run is dead, and fails.
  const own = runFolder('running', 3);
  const old = new Date(Date.now() - 10 * 60_000).toISOString();
  rewrite(own.dir, { host: 'node05', pid: 4242, startedAt: old, trainerJob: '900' });
  writeFileSync(join(own.dir, 'heartbeat.json'), JSON.stringify({ host: 'node05', pid: 4242, time: old }));
  assert.equal(reconcileRun(own.dir, own.job, failed)!.status, 'failed');
  // Another job's trainer whose heartbeat went stale is as dead: the run fails.
  const gone = runFolder('running', 3);
  rewrite(gone.dir, { host: 'node05', pid: 4242, startedAt: old, trainerJob: '901' });
  writeFileSync(join(gone.dir, 'heartbeat.json'), JSON.stringify({ host: 'node05', pid: 4242, time: old }));
  assert.equal(reconcileRun(gone.dir, gone.job, failed)!.status, 'failed');
});

test('without SLURM on the PATH the error names the missing command and the executor, so the editor can say it in the user\'s language', async () => {
  const empty = tempDir('modellab-nopath-');
  const executor = new SlurmExecutor({ env: { PATH: empty }, chosenBy: 'the setting modelLab.executor' });
  const job: SchedulerJob = { executor: 'slurm', id: '7', submittedAt: AT, script: 'job.sh' };
  await assert.rejects(executor.query([job]), (e: Error) => {
    assert.ok(e instanceof SchedulerCommandMissing);
    assert.deepEqual([e.command, e.executor], ['squeue', 'slurm']);
    assert.match(e.message, /^squeue was not found on this machine: the executor is "slurm" \(the setting modelLab\.executor\)/);
    assert.match(e.message, /set modelLab\.executor to "local"/);
    return true;
  });
  await assert.rejects(executor.cancel(job), (e: Error) => e instanceof SchedulerCommandMissing && e.command === 'scancel');
});

test('modellab resume refuses a cluster run whose job SLURM carries on (requeued), and takes one whose job ended', async () => {
  const dir = tempDir('modellab-carried-');
  const bin = join(dir, 'bin');
  mkdirSync(bin);
  // squeue: job 900 back in the queue after preemption; sacct: nothing more.
  writeFileSync(join(bin, 'squeue'), `#!/bin/bash\ncat "${dir}/squeue-says"\n`, { mode: 0o755 });
  writeFileSync(join(bin, 'sacct'), `#!/bin/bash\ncat "${dir}/sacct-says"\n`, { mode: 0o755 });
  const env = { PATH: `${bin}:/usr/bin:/bin` };
  const { dir: runDir } = runFolder('interrupted', 0);
  writeFileSync(join(dir, 'squeue-says'), '900|PENDING|BeginTime|\n');
  writeFileSync(join(dir, 'sacct-says'), '');
  assert.equal(await carriedOnByScheduler(runDir, env), 'its slurm job 900 carries it on (job 900 was requeued (BeginTime): it carries on from its checkpoint when it starts again); to train it here instead, cancel the job first (modellab cancel r1)');
  // The job ended for good (not requeued): the run is the user's to resume.
  writeFileSync(join(dir, 'squeue-says'), '');
  writeFileSync(join(dir, 'sacct-says'), '900|NODE_FAIL|None|node03\n');
  assert.equal(await carriedOnByScheduler(runDir, env), undefined);
  // A local run never asks a scheduler.
  const local = runFolder('interrupted', 0);
  const meta = JSON.parse(readFileSync(join(local.dir, 'meta.json'), 'utf8')) as RunMeta;
  writeFileSync(join(local.dir, 'meta.json'), JSON.stringify({ ...meta, job: undefined }));
  assert.equal(await carriedOnByScheduler(local.dir, { PATH: '/nonexistent' }), undefined);
});

test("query: squeue's answer for the jobs asked about, sacct's for those squeue forgot, unknown for the rest", async () => {
  const dir = tempDir('modellab-query-');
  const bin = join(dir, 'bin');
  mkdirSync(bin);
  // squeue knows 7_0 (running), 7_1 (pending) and someone else's 99; sacct knows 5 (ended long ago).
  writeFileSync(join(bin, 'squeue'), `#!/bin/bash\nprintf '%s\\n' "$@" > "${dir}/squeue-args"\nprintf '7_0|RUNNING|None|node1\\n7_1|PENDING|Priority|\\n99|RUNNING|None|node2\\n'\n`, { mode: 0o755 });
  writeFileSync(join(bin, 'sacct'), `#!/bin/bash\nprintf '%s\\n' "$@" > "${dir}/sacct-args"\nprintf '5|OUT_OF_MEMORY|None|node3\\n'\n`, { mode: 0o755 });
  const executor = new SlurmExecutor({ env: { PATH: `${bin}:/usr/bin:/bin` } });
  const job = (id: string): SchedulerJob => ({ executor: 'slurm', id, submittedAt: AT, script: 'job.sh' });
  const states = await executor.query([job('7_0'), job('7_1'), job('5'), job('6')]);
  assert.deepEqual(
    Object.fromEntries([...states].map(([id, s]) => [id, [s.state, s.reason, s.node]])),
    { '7_0': ['running', undefined, 'node1'], '7_1': ['queued', 'Priority', undefined], '5': ['failed', 'OUT_OF_MEMORY', 'node3'], '6': ['unknown', 'SLURM no longer knows this job', undefined] },
  );
  const squeueArgs = readFileSync(join(dir, 'squeue-args'), 'utf8');
  assert.match(squeueArgs, /^--array$/m, 'array tasks one per line');
  assert.match(squeueArgs, /^--states=all$/m, 'ended jobs too');
  assert.match(readFileSync(join(dir, 'sacct-args'), 'utf8'), /^--jobs=5,6$/m, 'sacct is asked only about the jobs squeue did not know');
});

test('query: a scheduler that cannot be reached says so with its own words', async () => {
  const dir = tempDir('modellab-query-down-');
  const bin = join(dir, 'bin');
  mkdirSync(bin);
  writeFileSync(join(bin, 'squeue'), `#!/bin/bash\necho 'squeue: error: Unable to contact slurm controller (connect failure)' >&2\nexit 1\n`, { mode: 0o755 });
  const executor = new SlurmExecutor({ env: { PATH: `${bin}:/usr/bin:/bin` } });
  await assert.rejects(executor.query([{ executor: 'slurm', id: '1', submittedAt: AT, script: 'job.sh' }]), /squeue failed: squeue: error: Unable to contact slurm controller \(connect failure\)/);
});
