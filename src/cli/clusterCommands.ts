// The command line's side of executors: `train`/`sweep --executor slurm`
// submit and return at once (or follow the jobs with --wait and print what a
// local train or sweep prints), `cancel` stops a cluster job or a local run,
// and `runs` shows each cluster run's job and what the scheduler says of it.

import { dirname, join, resolve } from 'node:path';
import { isOneOf, listInWords } from '../core/choices';
import { goalFor } from '../core/metrics';
import { describeParams, sweepMethod } from '../core/sweep';
import { sweepMetricOf } from '../core/sweepValidation';
import { EXECUTOR_NAMES } from '../core/types';
import type { BackendChoice, ExecutorName, JobState } from '../core/types';
import { formatDiagnostic, validateConfigFile } from '../node/configValidation';
import { ExecutorError, SubmissionConfigError } from '../node/executors/executor';
import type { Executor, JobProgram, JobResources, Submitted } from '../node/executors/executor';
import { cancelClusterRun, clusterRunStates, executorFor } from '../node/executors/followJobs';
import type { ClusterRunState } from '../node/executors/followJobs';
import { stopLocalRun } from '../node/executors/local';
import { readRunMeta, readRunSnapshot } from '../node/runStoreReader';
import type { RunListEntry } from '../node/runStoreReader';
import { intOption, UsageError } from './args';
import { printSweepRanking } from './sweepCommand';
import type { PointOutcome } from './sweepCommand';
import { printFoldResults } from './foldReport';
import { printTrainResult } from './trainReport';
import packageJson from '../../package.json';

/** The options `train` and `sweep` take for an executor (parseArgs specs), listed once. */
export const EXECUTOR_OPTIONS = {
  executor: { type: 'string' },
  partition: { type: 'string' },
  account: { type: 'string' },
  time: { type: 'string' },
  cpus: { type: 'string' },
  mem: { type: 'string' },
  gres: { type: 'string' },
  node: { type: 'string' },
  cli: { type: 'string' },
  wait: { type: 'boolean' },
} as const;

/** The executor options' usage text (main.ts's USAGE shows it). */
export const EXECUTOR_USAGE = `[--executor ${EXECUTOR_NAMES.join('|')}] [--partition P] [--account A] [--time T] [--cpus N] [--mem M] [--gres G] [--node PATH] [--cli PATH] [--wait]`;

export type ExecutorValues = { [K in keyof typeof EXECUTOR_OPTIONS]?: (typeof EXECUTOR_OPTIONS)[K]['type'] extends 'boolean' ? boolean : string };

/** How often --wait asks the scheduler and reads the run folders. */
export const FOLLOW_POLL_MS = 1000;

/** A scheduler submission asked for on the command line: what the job asks for and runs, and whether to follow it. */
export interface ClusterRequest {
  executor: Executor;
  resources: JobResources;
  program: JobProgram;
  wait: boolean;
}

/** Model Lab's CLI bundle that a job runs by default: this one, or (running from sources) dist/cli.js. */
export function defaultCliPath(): string {
  const self = require.main?.filename ?? process.argv[1] ?? '';
  if (self.endsWith('.js')) return resolve(self);
  return join(__dirname, '..', '..', 'dist', 'cli.js');
}

/** --executor and the job options; undefined for local training (the job options are then refused). */
export function clusterRequest(values: ExecutorValues, env: NodeJS.ProcessEnv = process.env): ClusterRequest | undefined {
  const name = (values.executor ?? 'local') as ExecutorName;
  if (!isOneOf(EXECUTOR_NAMES, name)) throw new UsageError(`--executor must be ${listInWords(EXECUTOR_NAMES)}, not "${values.executor}"`);
  const executor = executorFor(name, { env, chosenBy: '--executor slurm' });
  if (!executor) {
    const jobOnly = (Object.keys(EXECUTOR_OPTIONS) as (keyof typeof EXECUTOR_OPTIONS)[]).filter((k) => k !== 'executor' && values[k] !== undefined);
    if (jobOnly.length) throw new UsageError(`--${jobOnly[0]} is for a cluster job: add --executor slurm`);
    return undefined;
  }
  const text = (v: string | undefined, option: string): string | undefined => {
    if (v === undefined) return undefined;
    if (!v.trim()) throw new UsageError(`--${option} needs a value`);
    return v.trim();
  };
  return {
    executor,
    resources: {
      partition: text(values.partition, 'partition'),
      account: text(values.account, 'account'),
      timeLimit: text(values.time, 'time'),
      cpusPerTask: intOption('cpus', values.cpus, 1, 1024),
      memory: text(values.mem, 'mem'),
      gres: text(values.gres, 'gres'),
    },
    program: { nodePath: text(values.node, 'node') ?? process.execPath, cliPath: resolve(text(values.cli, 'cli') ?? defaultCliPath()) },
    wait: values.wait === true,
  };
}

/** Prints a config's problems when a submission refused it; other errors go on up. */
function refused(e: unknown, configArg: string): number {
  if (e instanceof SubmissionConfigError) {
    for (const d of e.diagnostics) process.stderr.write(formatDiagnostic(configArg, d) + '\n');
    process.stderr.write(`modellab: ${e.message}\n`);
    return 1;
  }
  throw e;
}

function printSubmitted(submitted: Submitted, executor: Executor, json: boolean, what: string): void {
  if (json) {
    process.stdout.write(JSON.stringify({ type: 'submitted', executor: executor.name, jobId: submitted.jobId, sweepId: submitted.sweepId, runs: submitted.runs.map((r) => ({ runId: r.meta.id, runDir: r.runDir, job: r.meta.job?.id })) }) + '\n');
    return;
  }
  process.stdout.write(`submitted ${what} ${submitted.jobId} to ${executor.name}${submitted.sweepId ? `: sweep ${submitted.sweepId}, ${submitted.runs.length} task(s)` : ''}\n`);
  for (const r of submitted.runs) {
    const params = r.meta.sweep ? `  ${describeParams(r.meta.sweep.params)}` : '';
    process.stdout.write(`  job ${r.meta.job?.id ?? '?'}  run ${r.meta.id}  queued${params}\n`);
  }
  if (submitted.runs.length === 1) process.stdout.write(`run folder: ${submitted.runs[0].runDir}\n`);
  else process.stdout.write(`runs folder: ${dirname(submitted.runs[0].runDir)}\n`);
}

/** `modellab train <config> --executor slurm …`: one job; with --wait, followed to its end and printed as a local train. */
export async function submitTrain(request: ClusterRequest, opts: { configPath: string; runsDir: string; backend: BackendChoice; epochs?: number; threads?: number; json: boolean }): Promise<number> {
  let submitted: Submitted;
  try {
    submitted = await request.executor.submitRun({ configPath: opts.configPath, runsDir: opts.runsDir, backend: opts.backend, epochs: opts.epochs, threads: opts.threads, resources: request.resources, program: request.program, modelLabVersion: packageJson.version });
  } catch (e) {
    return refused(e, opts.configPath);
  }
  printSubmitted(submitted, request.executor, opts.json, 'job');
  if (!request.wait) return 0;
  const states = await followUntilEnded(request.executor, submitted.runs.map((r) => r.runDir), opts.json);
  const [state] = states;
  if (!state) throw new ExecutorError(`the run folder ${submitted.runs[0].runDir} has no readable meta.json any more`);
  // A cross-validated config: its folds' table and mean ± std, as a local train prints them.
  const fold = state.meta.fold;
  if (fold) return printFoldResults(opts.json, fold.id, fold.k, states.map((s) => ({ meta: s.meta, runDir: s.runDir, evaluation: readRunSnapshot(s.runDir, false).evaluation })));
  return printTrainResult(opts.json, { meta: state.meta, runDir: state.runDir, evaluation: readRunSnapshot(state.runDir, false).evaluation });
}

/** `modellab sweep <config> --executor slurm …`: one job array; with --wait, followed to its end and ranked as a local sweep. */
export async function submitSweep(request: ClusterRequest, opts: { configPath: string; runsDir: string; backend: BackendChoice; epochs?: number; threads?: number; concurrency?: number; json: boolean }): Promise<number> {
  const started = Date.now();
  let submitted: Submitted;
  try {
    submitted = await request.executor.submitSweep({ configPath: opts.configPath, runsDir: opts.runsDir, backend: opts.backend, epochs: opts.epochs, threads: opts.threads, concurrency: opts.concurrency, resources: request.resources, program: request.program, modelLabVersion: packageJson.version });
  } catch (e) {
    return refused(e, opts.configPath);
  }
  printSubmitted(submitted, request.executor, opts.json, 'job array');
  if (!request.wait) return 0;
  const states = await followUntilEnded(request.executor, submitted.runs.map((r) => r.runDir), opts.json);
  // The ranking's metric and columns come from the config as submitted (its snapshot in the first run).
  const config = validateConfigFile(resolve(opts.configPath)).config;
  const sweep = config?.sweep;
  if (!config || !sweep) throw new ExecutorError(`${opts.configPath} changed while its sweep ran; the runs are in ${opts.runsDir}`);
  const metric = sweepMetricOf(config);
  // A cross-validated sweep: one outcome per point with its folds (task after task), ranked by their mean.
  const byPoint = new Map<number, ClusterRunState[]>();
  for (const s of states) byPoint.set(s.meta.sweep?.index ?? 0, [...(byPoint.get(s.meta.sweep?.index ?? 0) ?? []), s]);
  const outcomes: PointOutcome[] = [...byPoint.entries()].map(([index, runs]) => {
    const folded = runs[0].meta.fold !== undefined;
    const shown = (folded && runs.find((r) => r.meta.status !== 'completed')) || runs[0];
    return { point: { index, params: runs[0].meta.sweep?.params ?? {} }, meta: shown.meta, runDir: shown.runDir, ...(folded ? { folds: runs.map((r) => r.meta).sort((a, b) => (a.fold?.index ?? 0) - (b.fold?.index ?? 0)) } : {}) };
  });
  return printSweepRanking({ sweepId: submitted.sweepId ?? '?', method: sweepMethod(sweep), metric, goal: goalFor(metric, sweep.goal), paths: Object.keys(sweep.parameters), total: outcomes.length, outcomes, startedMs: started, json: opts.json });
}

/** A job's state in words: "queued (Priority)", "running on node7", "failed (OUT_OF_MEMORY)". */
export function describeJobState(job: JobState): string {
  const extra = job.state === 'running' ? (job.node ? ` on ${job.node}` : '') : job.reason ? ` (${job.reason})` : '';
  return `${job.state}${extra}`;
}

function jobEnded(s: ClusterRunState): boolean {
  if (s.job.state === 'completed' || s.job.state === 'failed' || s.job.state === 'cancelled') return true;
  // A job the scheduler forgot: its folder's word is all there is.
  return s.job.state === 'unknown' && s.meta.status !== 'queued' && s.meta.status !== 'running';
}

/** How long --wait follows a job the scheduler no longer knows while its folder still says queued or running. */
export const FORGOTTEN_JOB_MS = 60_000;

/**
 * Polls the scheduler and the run folders until every job ended, printing
 * each change (stderr; JSON lines on stdout with --json). A job the scheduler
 * has forgotten while its folder still says queued or running is followed
 * for FORGOTTEN_JOB_MS, then given up with a warning.
 */
export async function followUntilEnded(executor: Executor, runDirs: string[], json: boolean, pollMs = FOLLOW_POLL_MS): Promise<ClusterRunState[]> {
  const said = new Map<string, string>();
  const unknownSince = new Map<string, number>();
  const givenUp = new Set<string>();
  for (;;) {
    const runs = runDirs.map((dir) => ({ dir, meta: readRunMeta(dir) }));
    const states = await clusterRunStates(executor, runs);
    for (const s of states) {
      if (s.job.state !== 'unknown') unknownSince.delete(s.runDir);
      else if (!unknownSince.has(s.runDir)) unknownSince.set(s.runDir, Date.now());
      else if (!givenUp.has(s.runDir) && Date.now() - unknownSince.get(s.runDir)! >= FORGOTTEN_JOB_MS) {
        givenUp.add(s.runDir);
        process.stderr.write(`warning: ${executor.name} no longer knows job ${s.meta.job?.id ?? '?'} and run ${s.meta.id} still says ${s.meta.status}; no longer waiting for it\n`);
      }
    }
    for (const s of states) {
      const text = describeJobState(s.job);
      if (said.get(s.runDir) === text) continue;
      said.set(s.runDir, text);
      if (json) process.stdout.write(JSON.stringify({ type: 'job', runId: s.meta.id, job: s.meta.job?.id, state: s.job.state, reason: s.job.reason, node: s.job.node }) + '\n');
      else process.stderr.write(`job ${s.meta.job?.id ?? '?'} (${s.meta.sweep ? `point ${s.meta.sweep.index + 1}, ` : ''}run ${s.meta.id}): ${text}\n`);
    }
    // A folder whose meta.json became unreadable has no state here: nothing more to follow in it.
    if (states.every((s) => jobEnded(s) || givenUp.has(s.runDir))) return states;
    await new Promise((r) => setTimeout(r, pollMs));
  }
}

/** `modellab cancel <run>`: scancel for a cluster run (marked cancelled), Ctrl+C's stop for a local run training on this machine. */
export async function cancelRun(runDir: string, env: NodeJS.ProcessEnv = process.env): Promise<number> {
  const meta = readRunMeta(runDir);
  if (!meta) throw new ExecutorError(`${runDir} holds no readable meta.json`);
  if (meta.job) {
    const executor = executorFor(meta.job.executor, { env });
    if (!executor) throw new ExecutorError(`no executor for ${meta.job.executor}`);
    const after = await cancelClusterRun(executor, runDir);
    process.stdout.write(`${after.status}: run ${after.id} (${meta.job.executor} job ${meta.job.id})\n`);
    return after.status === 'cancelled' ? 0 : 1;
  }
  const { meta: after, killed } = await stopLocalRun(runDir);
  process.stdout.write(`${after.status}: run ${after.id} (pid ${meta.pid ?? '?'}) after ${after.epochsDone} epoch(s)${killed ? ', killed: it did not stop after its batch' : ''}\n`);
  return 0;
}

/**
 * Why `modellab resume` must not take a cluster run now: its scheduler carries
 * it on (its job queued or running — a preempted, requeued one too), and a
 * second trainer would fight that job for the run folder. Undefined for a run
 * that was never a job, or whose job ended; a scheduler that cannot be asked
 * gives a warning, and the run is resumed.
 */
export async function carriedOnByScheduler(runDir: string, env: NodeJS.ProcessEnv = process.env): Promise<string | undefined> {
  const meta = readRunMeta(runDir);
  if (!meta?.job) return undefined;
  const { notes, warnings } = await jobNotes([{ id: meta.id, dir: runDir, meta, warnings: [] }], env);
  for (const w of warnings) process.stderr.write(`warning: ${w}\n`);
  const note = notes.get(runDir);
  if (!note) return undefined;
  const liveness = readRunSnapshot(runDir, false, new Map([[note.job, note.state]])).liveness;
  if (liveness?.status !== 'queued' && liveness?.status !== 'running') return undefined;
  return `its ${meta.job.executor} job ${meta.job.id} carries it on (${liveness.why ?? liveness.status}); to train it here instead, cancel the job first (modellab cancel ${meta.id})`;
}

/**
 * What the scheduler says of the cluster runs among `list`, as words per run
 * folder, asking each scheduler once; a scheduler that cannot be asked gives
 * one warning instead.
 */
export async function jobNotes(list: readonly RunListEntry[], env: NodeJS.ProcessEnv = process.env): Promise<{ notes: Map<string, { job: string; state: JobState }>; warnings: string[] }> {
  const notes = new Map<string, { job: string; state: JobState }>();
  const warnings: string[] = [];
  const names = new Set(list.flatMap((r) => (r.meta?.job ? [r.meta.job.executor] : [])));
  for (const name of names) {
    const executor = executorFor(name, { env });
    if (!executor) continue;
    try {
      for (const s of await clusterRunStates(executor, list)) notes.set(s.runDir, { job: s.meta.job?.id ?? '?', state: s.job });
    } catch (e) {
      warnings.push(`could not ask ${name} about its jobs: ${(e as Error).message}`);
    }
  }
  return { notes, warnings };
}
