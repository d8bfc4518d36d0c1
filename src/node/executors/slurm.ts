// The SLURM executor: a run is a batch job (`sbatch`), a sweep is one job
// array with a task per point (`--array=0-(N-1)%concurrency`); `squeue`
// (then `sacct`, where the cluster keeps accounting) says what became of a
// job, `scancel` stops one. The job script is written into every run folder
// it trains, and the job's stdout/stderr go there too (job.out, job.err).
//
// The job asks to be signalled before its time limit (`--signal=B:USR1@…`) and
// to be requeued: the script forwards the signal to the trainer, which
// checkpoints and exits; the script then puts the job back in the queue, and
// the requeued job's `modellab train … --run-dir` carries the run on from its
// checkpoint.

import { execFile } from 'node:child_process';
import { mkdirSync, symlinkSync, rmSync, writeFileSync } from 'node:fs';
import { userInfo } from 'node:os';
import { dirname, join } from 'node:path';
import type { JobState, JobStateName, SchedulerJob } from '../../core/types';
import { JOB_FILES, ExecutorError, SchedulerCommandMissing } from './executor';
import type { Executor, JobProgram, JobResources, RunSubmission, Submitted, SweepSubmission } from './executor';
import { createQueuedRuns, discardQueuedRuns, recordJob } from './queuedRuns';
import type { QueuedRuns } from './queuedRuns';

/** Seconds before the time limit at which SLURM signals the job (the trainer checkpoints and the job is requeued). */
export const SLURM_SIGNAL_SECONDS = 120;

/**
 * A SLURM time limit in seconds: "minutes", "minutes:seconds",
 * "hours:minutes:seconds", "days-hours", "days-hours:minutes",
 * "days-hours:minutes:seconds"; undefined for anything else (SLURM then says
 * what is wrong) and for "infinite"/"unlimited".
 */
export function slurmTimeSeconds(limit: string): number | undefined {
  const t = limit.trim();
  const days = /^(\d+)-(\d+)(?::(\d+))?(?::(\d+))?$/.exec(t);
  if (days) return ((Number(days[1]) * 24 + Number(days[2])) * 60 + Number(days[3] ?? 0)) * 60 + Number(days[4] ?? 0);
  if (!/^\d+(:\d+){0,2}$/.test(t)) return undefined;
  const parts = t.split(':').map(Number);
  if (parts.length === 1) return parts[0] * 60;
  if (parts.length === 2) return parts[0] * 60 + parts[1];
  return (parts[0] * 60 + parts[1]) * 60 + parts[2];
}

/**
 * How long before its time limit a job is signalled: two minutes, or a
 * quarter of a shorter limit (a 1-minute job is warned 15 s before, not at
 * once — which would interrupt and requeue it for ever).
 */
export function signalSecondsFor(timeLimit: string | undefined): number {
  const limit = timeLimit ? slurmTimeSeconds(timeLimit) : undefined;
  if (limit === undefined || limit <= 0) return SLURM_SIGNAL_SECONDS;
  return Math.max(1, Math.min(SLURM_SIGNAL_SECONDS, Math.floor(limit / 4)));
}

export interface SlurmExecutorOptions {
  /** The environment of sbatch, squeue, sacct and scancel (PATH, SLURM_CONF); default process.env. */
  env?: NodeJS.ProcessEnv;
  /** How the executor was chosen, for the message when SLURM's commands are missing. */
  chosenBy?: string;
}

/** What the job script needs to know. */
export interface SlurmScriptInput {
  jobName: string;
  /** The run folders the job trains: one, or one per array task in task order. */
  runDirs: string[];
  configPath: string;
  backend: string;
  epochs?: number;
  /** --threads for the trainer, when the submitter gave it (the job's CPUs per task reach it as SLURM_CPUS_PER_TASK). */
  threads?: number;
  resources: JobResources;
  program: JobProgram;
  /** For a sweep: the array's task count and how many run at once. */
  array?: { tasks: number; concurrency: number };
  /** Where SLURM writes the job's stdout and stderr (`%a` is the array task). */
  stdoutPath: string;
  stderrPath: string;
  signalSeconds?: number;
}

/** A word for a POSIX shell: single-quoted, so nothing in it is expanded. */
export function shellWord(value: string): string {
  return `'${value.replace(/'/g, `'\\''`)}'`;
}

/** An #SBATCH directive's value; sbatch reads double quotes around a value with spaces. */
function directiveValue(value: string): string {
  return /[\s"]/.test(value) ? `"${value.replace(/"/g, '\\"')}"` : value;
}

/** The batch script of a run or a sweep: resources as #SBATCH directives, checks, setup lines, then the CLI. */
export function slurmJobScript(input: SlurmScriptInput): string {
  const r = input.resources;
  const directives: string[] = [
    `--job-name=${directiveValue(input.jobName)}`,
    `--chdir=${directiveValue(dirname(input.configPath))}`,
    `--output=${directiveValue(input.stdoutPath)}`,
    `--error=${directiveValue(input.stderrPath)}`,
    '--open-mode=append',
    `--signal=B:USR1@${input.signalSeconds ?? signalSecondsFor(r.timeLimit)}`,
    '--requeue',
  ];
  if (input.array) directives.push(`--array=0-${input.array.tasks - 1}%${input.array.concurrency}`);
  if (r.partition) directives.push(`--partition=${directiveValue(r.partition)}`);
  if (r.account) directives.push(`--account=${directiveValue(r.account)}`);
  if (r.timeLimit) directives.push(`--time=${directiveValue(r.timeLimit)}`);
  if (r.cpusPerTask) directives.push(`--cpus-per-task=${r.cpusPerTask}`);
  if (r.memory) directives.push(`--mem=${directiveValue(r.memory)}`);
  if (r.gres) directives.push(`--gres=${directiveValue(r.gres)}`);
  for (const extra of r.extraArgs ?? []) if (extra.trim()) directives.push(extra.trim());

  const train = [
    '"$NODE"',
    '"$CLI"',
    'train',
    shellWord(input.configPath),
    '--run-dir',
    '"$RUN_DIR"',
    '--backend',
    shellWord(input.backend),
    ...(input.epochs !== undefined ? ['--epochs', String(input.epochs)] : []),
    ...(input.threads !== undefined ? ['--threads', String(input.threads)] : []),
  ].join(' ');
  const setup = (r.setupLines ?? []).filter((l) => l.trim());
  return [
    '#!/bin/bash',
    `# Model Lab: ${input.runDirs.length === 1 ? 'one run' : `a sweep of ${input.runDirs.length} runs, one array task each`} of ${input.configPath}`,
    '# Resubmit with: sbatch <this file>',
    ...directives.map((d) => `#SBATCH ${d}`),
    '',
    `RUN_DIRS=(${input.runDirs.map(shellWord).join(' ')})`,
    'RUN_DIR="${RUN_DIRS[${SLURM_ARRAY_TASK_ID:-0}]}"',
    `NODE=${shellWord(input.program.nodePath)}`,
    `CLI=${shellWord(input.program.cliPath)}`,
    'echo "modellab: job ${SLURM_JOB_ID:-?} on $(hostname) at $(date -u +%Y-%m-%dT%H:%M:%SZ), run folder $RUN_DIR"',
    'if [ ! -f "$RUN_DIR/meta.json" ]; then',
    '  echo "modellab: the run folder $RUN_DIR is not visible on $(hostname): the workspace (and its runs folder) must be on a file system the compute nodes share" >&2',
    '  exit 3',
    'fi',
    ...(setup.length ? ['# setup lines (modelLab.slurm.setupLines)', ...setup] : []),
    'if ! command -v "$NODE" >/dev/null 2>&1; then',
    '  echo "modellab: no Node.js at $NODE on $(hostname): set modelLab.slurm.nodePath (CLI: --node) to a Node.js the compute nodes have, or load one in modelLab.slurm.setupLines" >&2',
    '  exit 4',
    'fi',
    'if [ ! -f "$CLI" ]; then',
    '  echo "modellab: no Model Lab CLI at $CLI on $(hostname): set modelLab.slurm.cliPath (CLI: --cli) to a dist/cli.js the compute nodes see" >&2',
    '  exit 5',
    'fi',
    '',
    '# Before the time limit SLURM signals this script: the trainer checkpoints and exits,',
    '# and the job goes back to the queue to carry the run on from its checkpoint.',
    'requeue=0',
    'child=',
    "trap 'requeue=1; [ -n \"$child\" ] && kill -USR1 \"$child\" 2>/dev/null' USR1",
    "trap '[ -n \"$child\" ] && kill -TERM \"$child\" 2>/dev/null' TERM",
    `${train} &`,
    'child=$!',
    'while :; do',
    '  wait "$child"',
    '  status=$?',
    '  kill -0 "$child" 2>/dev/null || break',
    'done',
    '# 75: the trainer stopped for the signal and kept its checkpoint (a run that ended meanwhile is not requeued).',
    'if [ "$requeue" = 1 ] && [ "$status" = 75 ]; then',
    '  echo "modellab: signalled before the time limit; requeued to resume from the checkpoint" >&2',
    '  scontrol requeue "$SLURM_JOB_ID" && exit 0',
    'fi',
    'exit "$status"',
    '',
  ].join('\n');
}

/** SLURM's job states (squeue %T, sacct State) as Model Lab's. */
export function jobStateName(slurmState: string): JobStateName {
  const state = slurmState.trim().split(/\s+/)[0].toUpperCase();
  switch (state) {
    case 'PENDING':
    case 'REQUEUED':
    case 'REQUEUE_HOLD':
    case 'REQUEUE_FED':
    case 'PREEMPTED':
    case 'SUSPENDED':
    case 'STOPPED':
    case 'RESV_DEL_HOLD':
      return 'queued';
    case 'CONFIGURING':
    case 'RUNNING':
    case 'COMPLETING':
    case 'RESIZING':
    case 'SIGNALING':
    case 'STAGE_OUT':
      return 'running';
    case 'COMPLETED':
      return 'completed';
    case 'CANCELLED':
    case 'REVOKED':
      return 'cancelled';
    case 'FAILED':
    case 'TIMEOUT':
    case 'NODE_FAIL':
    case 'OUT_OF_MEMORY':
    case 'BOOT_FAIL':
    case 'DEADLINE':
    case 'SPECIAL_EXIT':
      return 'failed';
    default:
      return 'unknown';
  }
}

/** Lines of `squeue --format=%i|%T|%r|%N` (or sacct's JobID|State|Reason|NodeList) as JobStates by job id. */
export function parseJobLines(text: string, checkedAt: string): Map<string, JobState & { slurmState: string }> {
  const out = new Map<string, JobState & { slurmState: string }>();
  for (const line of text.split('\n')) {
    const [id, slurmState, reason, node] = line.trim().split('|');
    if (!id || !slurmState) continue;
    const state = jobStateName(slurmState);
    const entry: JobState & { slurmState: string } = { state, checkedAt, slurmState: slurmState.split(/\s+/)[0] };
    const why = reason && reason !== 'None' && reason !== '(null)' ? reason : undefined;
    if (state === 'queued') entry.reason = why;
    else if (state === 'failed' || state === 'cancelled') entry.reason = why && why !== slurmState ? `${slurmState} (${why})` : slurmState;
    if (node && node !== '(null)' && node !== 'None assigned' && state !== 'queued') entry.node = node;
    out.set(id, entry);
  }
  return out;
}

interface CommandOutput {
  code: number;
  stdout: string;
  stderr: string;
}

export class SlurmExecutor implements Executor {
  readonly name = 'slurm' as const;
  private readonly env: NodeJS.ProcessEnv;

  constructor(private readonly options: SlurmExecutorOptions = {}) {
    this.env = options.env ?? process.env;
  }

  /** Runs one of SLURM's commands; its absence is an ExecutorError that says how to go back to local training. */
  private run(command: string, args: string[], cwd?: string): Promise<CommandOutput> {
    return new Promise((resolvePromise, reject) => {
      execFile(command, args, { env: this.env, cwd, encoding: 'utf8', maxBuffer: 16 * 1024 * 1024, timeout: 60_000 }, (error, stdout, stderr) => {
        const e = error as unknown as { code?: number | string; message: string } | null;
        if (e && e.code === 'ENOENT') {
          const how = this.options.chosenBy ? ` (${this.options.chosenBy})` : '';
          reject(
            new SchedulerCommandMissing(
              command,
              'slurm',
              `${command} was not found on this machine: the executor is "slurm"${how}, which hands runs to a SLURM cluster and needs SLURM's commands (sbatch, squeue, scancel) on the PATH. ` +
                'To train on this machine instead, set modelLab.executor to "local" (on the command line: --executor local).',
            ),
          );
          return;
        }
        if (e && typeof e.code !== 'number') {
          reject(new ExecutorError(`${command} could not run: ${e.message}`));
          return;
        }
        resolvePromise({ code: e ? Number(e.code) : 0, stdout, stderr });
      });
    });
  }

  async submitRun(request: RunSubmission): Promise<Submitted> {
    const runs = createQueuedRuns(request, false);
    // A cross-validated config: one folder per fold, one array task each.
    if (runs.writers.length > 1) return this.submitArray(runs, request, runs.writers.length, runs.writers[0].meta.fold!.id, `modellab-${runs.writers[0].meta.name}-cv`);
    const runDir = runs.writers[0].dir;
    const script = slurmJobScript({
      jobName: `modellab-${runs.writers[0].meta.name}`,
      runDirs: [runDir],
      configPath: runs.configPath,
      backend: request.backend,
      epochs: request.epochs,
      threads: request.threads,
      resources: request.resources,
      program: request.program,
      stdoutPath: join(runDir, JOB_FILES.stdout),
      stderrPath: join(runDir, JOB_FILES.stderr),
    });
    const jobId = await this.sbatch(runs, script);
    const submittedAt = new Date().toISOString();
    const metas = recordJob(runs, () => ({ executor: 'slurm', id: jobId, submittedAt, script: JOB_FILES.script }));
    return { jobId, runs: [{ runDir, meta: metas[0] }] };
  }

  async submitSweep(request: SweepSubmission): Promise<Submitted> {
    const runs = createQueuedRuns(request, true);
    const n = runs.writers.length;
    return this.submitArray(runs, request, request.concurrency ?? runs.sweepConcurrency ?? n, runs.sweepId!, `modellab-${runs.writers[0].meta.name}-sweep`);
  }

  /** One job array over the queued folders (task i trains folder i), `concurrency` tasks at a time; `linksId` names its folder of links. */
  private async submitArray(runs: QueuedRuns, request: RunSubmission, concurrencyAsked: number, linksId: string, jobName: string): Promise<Submitted> {
    const n = runs.writers.length;
    const concurrency = Math.max(1, Math.min(concurrencyAsked, n));
    // SLURM names an array task's output by pattern (%a), not by our run ids: a folder of
    // links, task index → run folder, lets that pattern land in each run folder.
    const links = sweepLinksDir(request.runsDir, linksId);
    mkdirSync(links, { recursive: true });
    runs.writers.forEach((w, i) => symlinkSync(w.dir, join(links, String(i)), 'dir'));
    const script = slurmJobScript({
      jobName,
      runDirs: runs.writers.map((w) => w.dir),
      configPath: runs.configPath,
      backend: request.backend,
      epochs: request.epochs,
      threads: request.threads,
      resources: request.resources,
      program: request.program,
      array: { tasks: n, concurrency },
      stdoutPath: join(links, '%a', JOB_FILES.stdout),
      stderrPath: join(links, '%a', JOB_FILES.stderr),
    });
    let jobId: string;
    try {
      jobId = await this.sbatch(runs, script);
    } catch (e) {
      rmSync(links, { recursive: true, force: true });
      throw e;
    }
    const submittedAt = new Date().toISOString();
    const metas = recordJob(runs, (i) => ({ executor: 'slurm', id: `${jobId}_${i}`, arrayJobId: jobId, arrayIndex: i, submittedAt, script: JOB_FILES.script }));
    return { jobId, sweepId: runs.sweepId, runs: runs.writers.map((w, i) => ({ runDir: w.dir, meta: metas[i] })) };
  }

  /** Saves the script in every run folder and submits it; a refusal removes the queued folders and says SLURM's words. */
  private async sbatch(runs: QueuedRuns, script: string): Promise<string> {
    for (const w of runs.writers) writeFileSync(join(w.dir, JOB_FILES.script), script, { mode: 0o755 });
    let out: CommandOutput;
    try {
      out = await this.run('sbatch', ['--parsable', join(runs.writers[0].dir, JOB_FILES.script)], dirname(runs.configPath));
    } catch (e) {
      discardQueuedRuns(runs);
      throw e;
    }
    const jobId = out.stdout.trim().split('\n').pop()?.split(';')[0].trim() ?? '';
    if (out.code !== 0 || !/^\d+$/.test(jobId)) {
      discardQueuedRuns(runs);
      const said = out.stderr.trim() || out.stdout.trim() || `exit code ${out.code}`;
      throw new ExecutorError(`SLURM refused the job: ${said}`);
    }
    return jobId;
  }

  async query(jobs: readonly SchedulerJob[]): Promise<Map<string, JobState>> {
    const checkedAt = new Date().toISOString();
    const wanted = new Set(jobs.map((j) => j.id));
    const out = new Map<string, JobState>();
    if (wanted.size === 0) return out;
    // Every job of this user, array tasks one per line, ended ones too (while SLURM keeps them, MinJobAge).
    const q = await this.run('squeue', [`--user=${userInfo().username}`, '--array', '--states=all', '--noheader', '--format=%i|%T|%r|%N']);
    if (q.code !== 0) throw new ExecutorError(`squeue failed: ${q.stderr.trim() || `exit code ${q.code}`}`);
    for (const [id, state] of parseJobLines(q.stdout, checkedAt)) if (wanted.has(id)) out.set(id, withoutSlurmState(state));
    const missing = [...wanted].filter((id) => !out.has(id));
    if (missing.length) {
      // Jobs squeue has forgotten: the accounting database, where the cluster keeps one.
      const a = await this.run('sacct', ['--noheader', '--parsable2', '--allocations', `--jobs=${missing.join(',')}`, '--format=JobID,State,Reason,NodeList']).catch(() => undefined);
      if (a && a.code === 0) for (const [id, state] of parseJobLines(a.stdout, checkedAt)) if (wanted.has(id) && !out.has(id)) out.set(id, withoutSlurmState(state));
    }
    for (const id of wanted) if (!out.has(id)) out.set(id, { state: 'unknown', reason: 'SLURM no longer knows this job', checkedAt });
    return out;
  }

  async cancel(job: SchedulerJob): Promise<void> {
    const out = await this.run('scancel', [job.id]);
    if (out.code !== 0) throw new ExecutorError(`scancel ${job.id} failed: ${out.stderr.trim() || `exit code ${out.code}`}`);
  }
}

function withoutSlurmState(s: JobState & { slurmState: string }): JobState {
  const { slurmState: _slurmState, ...state } = s;
  return state;
}

/** The folder of links (array task index → run folder) of a sweep submitted as a job array: beside the runs folder, never inside it. */
export function sweepLinksDir(runsDir: string, sweepId: string): string {
  return join(dirname(runsDir), 'jobs', sweepId);
}
