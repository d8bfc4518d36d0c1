// Following runs that a cluster scheduler runs: what the editor shows of such
// a run (the status src/core/runLiveness.ts judges from its folder and the
// scheduler's word, with the job's reason or node), which jobs to ask the scheduler about, how many are queued
// and running, and whether anything needs polling at all. Pure: the host's
// ClusterWatcher (src/host/runs/clusterWatcher.ts) feeds it the run folders
// and the scheduler's answers.

import type { JobState, RunLiveness, RunMeta, RunStatus, SchedulerJob } from './types';

/** How often cluster runs' folders and the scheduler are read while a cluster run is queued or running. */
export const CLUSTER_POLL_MS = 3_000;

/** What the editor shows of a run: its status, and for a cluster run the scheduler's reason (queued) or node (running). */
export interface ShownRunState {
  status: RunStatus;
  /** Why a queued job waits (SLURM's Priority, Resources, …). */
  reason?: string;
  /** The node a running job runs on. */
  node?: string;
}

const ACTIVE: readonly RunStatus[] = ['queued', 'running'];

export function isActiveStatus(status: RunStatus): boolean {
  return ACTIVE.includes(status);
}

/** A run submitted to a scheduler (meta.job set). */
export function isClusterRun(meta: RunMeta | undefined): meta is RunMeta & { job: SchedulerJob } {
  return !!meta?.job && typeof meta.job.id === 'string' && meta.job.id.length > 0;
}

/** A run list entry as the reader gives it: meta.json, and how its status was judged (src/core/runLiveness.ts). */
export interface JudgedRun {
  meta?: RunMeta;
  liveness?: Pick<RunLiveness, 'status' | 'recorded'>;
}

/**
 * A cluster run as the editor shows it: the status runLiveness judged from
 * its folder and the scheduler's word on its job (one rule for the editor,
 * `modellab runs` and the trainer's own refusal), with the scheduler's reason
 * while the job waits or has ended, and its node while it runs.
 */
export function clusterRunState(liveness: Pick<RunLiveness, 'status'>, job: JobState | undefined): ShownRunState {
  const status = liveness.status;
  if (status === 'running') return job?.state === 'running' && job.node ? { status, node: job.node } : { status };
  const schedulerSays = job && (status === 'queued' ? job.state === 'queued' : isEndedJob(job) && status !== 'completed');
  return schedulerSays && job.reason ? { status, reason: job.reason } : { status };
}

function isEndedJob(job: JobState): boolean {
  return job.state === 'completed' || job.state === 'failed' || job.state === 'cancelled';
}

/** A run as the editor shows it: cluster runs through clusterRunState, the others as their folder says. */
export function shownRunState(run: JudgedRun, jobs: ReadonlyMap<string, JobState>): ShownRunState | undefined {
  const meta = run.meta;
  if (!meta) return undefined;
  const liveness = run.liveness ?? { status: meta.status };
  return isClusterRun(meta) ? clusterRunState(liveness, jobs.get(meta.job.id)) : { status: liveness.status };
}

/** The cluster runs still to follow: queued or running as shown (their job's state judged in). */
export function activeClusterRuns(runs: readonly JudgedRun[], jobs: ReadonlyMap<string, JobState>): (RunMeta & { job: SchedulerJob })[] {
  return runs.flatMap((r) => (isClusterRun(r.meta) && isActiveStatus(shownRunState(r, jobs)!.status) ? [r.meta] : []));
}

/**
 * The scheduler jobs to ask about, each once: those of cluster runs whose
 * folder says queued or running, and of those it says interrupted — a
 * preempted or requeued job that SLURM carries on from the checkpoint, which
 * only the scheduler can tell from a dead one.
 */
export function jobsToQuery(runs: readonly JudgedRun[]): SchedulerJob[] {
  const seen = new Set<string>();
  const out: SchedulerJob[] = [];
  for (const run of runs) {
    const meta = run.meta;
    if (!isClusterRun(meta) || seen.has(meta.job.id)) continue;
    const recorded = run.liveness?.recorded ?? meta.status;
    if (!isActiveStatus(recorded) && recorded !== 'interrupted') continue;
    seen.add(meta.job.id);
    out.push(meta.job);
  }
  return out;
}

export interface JobCounts {
  queued: number;
  running: number;
}

/** Queued and running cluster runs, as the editor shows them (the status bar's numbers). */
export function countClusterJobs(runs: readonly JudgedRun[], jobs: ReadonlyMap<string, JobState>): JobCounts {
  const counts: JobCounts = { queued: 0, running: 0 };
  for (const run of runs) {
    if (!isClusterRun(run.meta)) continue;
    const { status } = shownRunState(run, jobs)!;
    if (status === 'queued') counts.queued++;
    else if (status === 'running') counts.running++;
  }
  return counts;
}

/** Whole seconds from `since` to `now` (ms since the epoch), never negative: "updated N s ago". */
export function secondsAgo(since: number, now: number): number {
  return Math.max(0, Math.floor((now - since) / 1000));
}
