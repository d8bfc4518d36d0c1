// Following runs that a cluster scheduler runs: what the editor shows of such
// a run (its run folder's word, moved on by what the scheduler says when the
// files lag behind), which jobs to ask the scheduler about, how many are queued
// and running, and whether anything needs polling at all. Pure: the host's
// ClusterWatcher (src/host/runs/clusterWatcher.ts) feeds it the run folders
// and the scheduler's answers.

import type { JobState, RunMeta, RunStatus, SchedulerJob } from './types';

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

/**
 * A cluster run as the editor shows it. The run folder speaks first once it
 * has ended; while it says queued or running, the scheduler's answer moves it
 * on: a queued run whose job started shows running on its node (the trainer
 * has not written yet), a running run whose job went back to the queue
 * (preempted, requeued) shows queued with the reason, and a job the scheduler
 * reports ended while the folder still says queued or running shows how it
 * ended: cancelled, or failed (the trainer never started, or died without a
 * word) — as src/node/executors/followJobs.ts then records it in the folder.
 */
export function clusterRunState(meta: RunMeta, job: JobState | undefined): ShownRunState {
  if (!isActiveStatus(meta.status)) return { status: meta.status };
  if (!job || job.state === 'unknown') return { status: meta.status };
  switch (job.state) {
    case 'queued':
      return { status: 'queued', ...(job.reason ? { reason: job.reason } : {}) };
    case 'running':
      return { status: 'running', ...(job.node ? { node: job.node } : {}) };
    case 'cancelled':
      return { status: 'cancelled' };
    case 'completed':
    case 'failed':
      return { status: 'failed', ...(job.reason ? { reason: job.reason } : {}) };
  }
}

/** A run as the editor shows it: cluster runs through clusterRunState, the others as their folder says. */
export function shownRunState(meta: RunMeta, jobs: ReadonlyMap<string, JobState>): ShownRunState {
  return isClusterRun(meta) ? clusterRunState(meta, jobs.get(meta.job.id)) : { status: meta.status };
}

/** The cluster runs still to follow: their folder says queued or running and the scheduler has not said they ended. */
export function activeClusterRuns(metas: readonly (RunMeta | undefined)[], jobs: ReadonlyMap<string, JobState>): (RunMeta & { job: SchedulerJob })[] {
  return metas.filter((m): m is RunMeta & { job: SchedulerJob } => isClusterRun(m) && isActiveStatus(clusterRunState(m, jobs.get(m.job.id)).status));
}

/** The scheduler jobs to ask about: those of cluster runs whose folder says queued or running, each once. */
export function jobsToQuery(metas: readonly (RunMeta | undefined)[]): SchedulerJob[] {
  const seen = new Set<string>();
  const out: SchedulerJob[] = [];
  for (const meta of metas) {
    if (!isClusterRun(meta) || !isActiveStatus(meta.status) || seen.has(meta.job.id)) continue;
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
export function countClusterJobs(metas: readonly (RunMeta | undefined)[], jobs: ReadonlyMap<string, JobState>): JobCounts {
  const counts: JobCounts = { queued: 0, running: 0 };
  for (const meta of metas) {
    if (!isClusterRun(meta)) continue;
    const { status } = clusterRunState(meta, jobs.get(meta.job.id));
    if (status === 'queued') counts.queued++;
    else if (status === 'running') counts.running++;
  }
  return counts;
}

/** Whole seconds from `since` to `now` (ms since the epoch), never negative: "updated N s ago". */
export function secondsAgo(since: number, now: number): number {
  return Math.max(0, Math.floor((now - since) / 1000));
}
