// Following cluster jobs from their run folders and their scheduler: what
// `modellab runs` / `--wait` / `cancel` (and the editor's Cancel) call.
// A run's meta.json is the trainer's word while it trains; the scheduler's
// word fills the gaps the trainer cannot: a job that failed before the trainer
// started (no Node on the node, run folder not visible) or was killed (out of
// memory, scancel) leaves meta.json `queued` or `running` — those runs are
// brought up to date here, with the tail of the job's stderr as the error.

import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ExecutorName, JobState, RunMeta, SchedulerJob } from '../../core/types';
import { judgeLiveness, readRunMeta } from '../runStoreReader';
import { RUN_FORMAT, writeJsonAtomic } from '../runStoreWriter';
import { ExecutorError, JOB_FILES, JOB_STDERR_TAIL_LINES } from './executor';
import type { Executor } from './executor';
import { SlurmExecutor } from './slurm';
import type { SlurmExecutorOptions } from './slurm';

/** The executor of a scheduler name; `local` has none (a local run is a process of this machine). */
export function executorFor(name: ExecutorName, options: SlurmExecutorOptions = {}): Executor | undefined {
  switch (name) {
    case 'local':
      return undefined;
    case 'slurm':
      return new SlurmExecutor(options);
  }
}

/** A cluster run as it stands: its meta (brought up to date) and what its scheduler says. */
export interface ClusterRunState {
  runDir: string;
  meta: RunMeta;
  job: JobState;
}

/** The last lines of the job's stderr in a run folder ('' when there is none). */
export function jobStderrTail(runDir: string, lines = JOB_STDERR_TAIL_LINES): string {
  const file = join(runDir, JOB_FILES.stderr);
  if (!existsSync(file)) return '';
  try {
    return readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '';
  }
}

const UNFINISHED = new Set<RunMeta['status']>(['queued', 'running']);

/**
 * Brings a run's meta.json up to date with its job's state, when the job
 * ended and the trainer could not say so: failed → `failed` with the job's
 * stderr tail; cancelled → `cancelled`; completed while the meta still says
 * queued or running (the trainer never started, or died) → `failed`.
 * Returns the meta as it now is. A run a newer Model Lab wrote is left alone,
 * and so is a run another trainer is training now (another job, or a resume
 * from the editor, alive by its process or heartbeat): this job's end — e.g.
 * `train --run-dir` refusing because that trainer owns the run — is not the
 * run's.
 */
export function reconcileRun(runDir: string, job: SchedulerJob, state: JobState): RunMeta | undefined {
  const read = readRunMeta(runDir);
  if (!read || read.format > RUN_FORMAT) return read;
  // The status as written: a reader on this host shows `running` as `interrupted` when the pid is
  // not alive here, which says nothing of a trainer on a compute node.
  const meta = { ...read, status: writtenStatus(runDir) ?? read.status };
  const ended = state.state === 'failed' || state.state === 'cancelled' || state.state === 'completed';
  if (!ended) return meta;
  if (trainedByAnother(runDir, meta, job)) return meta;
  if (state.state === 'cancelled') {
    if (!UNFINISHED.has(meta.status) && meta.status !== 'interrupted') return meta;
    return writeEnded(runDir, meta, 'cancelled', meta.error);
  }
  if (!UNFINISHED.has(meta.status)) return meta;
  const tail = jobStderrTail(runDir);
  const where = state.node ? ` on ${state.node}` : '';
  const what = state.state === 'failed' ? `SLURM job ${job.id} failed${where}${state.reason ? `: ${state.reason}` : ''}` : `SLURM job ${job.id} ended${where} before the run finished`;
  const error = tail ? `${what}. The end of the job's stderr (${JOB_FILES.stderr}):\n${tail}` : `${what}, and wrote nothing to ${JOB_FILES.stderr} (can the compute node see the run folder ${runDir}?)`;
  return writeEnded(runDir, meta, 'failed', error);
}

/** Whether meta.json says running and the trainer writing it is not this job's (RunMeta.trainerJob) and is alive by its own signs (pid on its host, else heartbeat). */
function trainedByAnother(runDir: string, meta: RunMeta, job: SchedulerJob): boolean {
  if (meta.status !== 'running' || meta.trainerJob === job.id) return false;
  return judgeLiveness(runDir, meta).status === 'running';
}

function writtenStatus(runDir: string): RunMeta['status'] | undefined {
  try {
    const raw = JSON.parse(readFileSync(join(runDir, 'meta.json'), 'utf8')) as { status?: unknown };
    return typeof raw.status === 'string' ? (raw.status as RunMeta['status']) : undefined;
  } catch {
    return undefined;
  }
}

function writeEnded(runDir: string, meta: RunMeta, status: RunMeta['status'], error: string | undefined): RunMeta {
  const next: RunMeta = { ...meta, status, endedAt: meta.endedAt ?? new Date().toISOString(), error, pid: undefined };
  writeJsonAtomic(join(runDir, 'meta.json'), next);
  return next;
}

/** Asks the scheduler about every cluster run among `runs` (one query), and brings their metas up to date. */
export async function clusterRunStates(executor: Executor, runs: readonly { dir: string; meta?: RunMeta }[]): Promise<ClusterRunState[]> {
  const cluster = runs.filter((r): r is { dir: string; meta: RunMeta & { job: SchedulerJob } } => r.meta?.job?.executor === executor.name);
  if (cluster.length === 0) return [];
  const states = await executor.query(cluster.map((r) => r.meta.job));
  return cluster.map((r) => {
    const job = states.get(r.meta.job.id) ?? { state: 'unknown', checkedAt: new Date().toISOString() };
    return { runDir: r.dir, meta: reconcileRun(r.dir, r.meta.job, job) ?? r.meta, job };
  });
}

/** How long cancelClusterRun waits for the scheduler to end the job before it marks the run anyway. */
const CANCEL_WAIT_MS = 30_000;
const CANCEL_POLL_MS = 500;

/**
 * Cancels a queued or running cluster run: scancel (or the scheduler's own),
 * then, once the scheduler says the job ended (or after a while), the run is
 * marked `cancelled`. A run that already ended is refused with its status.
 */
export async function cancelClusterRun(executor: Executor, runDir: string, waitMs = CANCEL_WAIT_MS): Promise<RunMeta> {
  const meta = readRunMeta(runDir);
  if (!meta) throw new ExecutorError(`${runDir} holds no readable meta.json`);
  const job = meta.job;
  if (!job) throw new ExecutorError(`the run ${meta.id} was not submitted to a scheduler`);
  if (job.executor !== executor.name) throw new ExecutorError(`the run ${meta.id} is a ${job.executor} job, not a ${executor.name} one`);
  const status = writtenStatus(runDir) ?? meta.status;
  if (!UNFINISHED.has(status) && status !== 'interrupted') throw new ExecutorError(`the run ${meta.id} is already ${status}; there is nothing to cancel`);
  await executor.cancel(job);
  const until = Date.now() + waitMs;
  for (;;) {
    const state = (await executor.query([job])).get(job.id);
    if (!state || (state.state !== 'queued' && state.state !== 'running')) break;
    if (Date.now() >= until) break;
    await new Promise((r) => setTimeout(r, CANCEL_POLL_MS));
  }
  const read = readRunMeta(runDir) ?? meta;
  const now = { ...read, status: writtenStatus(runDir) ?? read.status };
  if (now.status === 'completed' || now.status === 'failed' || now.status === 'cancelled') return now;
  return writeEnded(runDir, now, 'cancelled', now.error);
}
