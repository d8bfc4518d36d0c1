// Follows cluster runs while they are queued or running. Their folders live on
// a file system the compute nodes share, which sends the editor no change
// events, and the scheduler says things the folder cannot (why a job waits,
// which node runs it, that it was cancelled before it started). So, every few
// seconds while a cluster run is queued or running — and never when none is —
// the scheduler is asked about those runs' jobs (one query for all of them)
// and their folders are compared with what they were; listeners hear which
// run folders changed. Free of `vscode` so the tests drive it in plain Node
// with their own clock.

import { CLUSTER_POLL_MS, activeClusterRuns, countClusterJobs, isActiveStatus, isClusterRun, jobsToQuery, shownRunState } from '../../core/clusterRuns';
import type { JobCounts, JudgedRun, ShownRunState } from '../../core/clusterRuns';
import type { JobState, SchedulerJob } from '../../core/types';
import type { JobStates, RunListEntry } from '../../node/runStoreReader';
import type { RunFolderStamp } from '../../node/runFolderStamp';

export interface ClusterWatcherDeps {
  /** Every run folder the editor lists, read from disk now, their status judged with what the scheduler said of their jobs (src/node/runStoreReader.ts listRuns). */
  listRuns(jobs: JobStates): readonly RunListEntry[];
  /** What the scheduler says of these jobs now, by job id (jobs it does not know may be missing). */
  query(jobs: readonly SchedulerJob[]): Promise<ReadonlyMap<string, JobState>>;
  /** A run folder's change stamp (src/node/runFolderStamp.ts). */
  stamp(runDir: string): RunFolderStamp;
  intervalMs?: number;
  /** The timer; tests pass one they advance themselves. */
  setTimer?(callback: () => void, ms: number): unknown;
  clearTimer?(handle: unknown): void;
  log?(message: string): void;
}

export interface ClusterChange {
  /** Run folders whose files or scheduler state changed since the last poll. */
  dirs: string[];
  /** Queued and running cluster runs now. */
  counts: JobCounts;
}

export class ClusterWatcher {
  private jobs = new Map<string, JobState>();
  private readonly stamps = new Map<string, RunFolderStamp>();
  /** What the editor shows of each cluster run, by run folder, as of the last poll. */
  private shown = new Map<string, ShownRunState>();
  private readonly listeners = new Set<(change: ClusterChange) => void>();
  private timer: unknown;
  private inFlight: Promise<void> | undefined;
  private again = false;
  private disposed = false;
  private lastCounts: JobCounts = { queued: 0, running: 0 };
  /** Jobs of runs their trainer recorded interrupted that the scheduler said ended (or no longer knows): not carried on, never asked about again (a file event pokes often). */
  private readonly settled = new Map<string, JobState>();
  /** Why the scheduler last failed to answer, so the log says it once. */
  private lastFailure: string | undefined;

  constructor(private readonly deps: ClusterWatcherDeps) {}

  /** Heard after every poll that found a change (files, scheduler state or the counts). */
  onDidChange(listener: (change: ClusterChange) => void): { dispose(): void } {
    this.listeners.add(listener);
    return { dispose: () => this.listeners.delete(listener) };
  }

  /** Whether a poll is scheduled: true exactly while some cluster run is queued or running. */
  get polling(): boolean {
    return this.timer !== undefined;
  }

  get counts(): JobCounts {
    return this.lastCounts;
  }

  /** The scheduler's last word on a job, if it was asked. */
  jobState(jobId: string): JobState | undefined {
    return this.jobs.get(jobId);
  }

  /**
   * A run as the editor shows it, with what the scheduler said at the last
   * poll: a run whose folder says it ended shows that at once; one still
   * queued, running or interrupted shows the status the last poll judged
   * (a requeued run: queued, not interrupted).
   */
  stateOf(run: JudgedRun & { dir: string }): ShownRunState | undefined {
    const recorded = run.liveness?.recorded ?? run.meta?.status;
    if (recorded === undefined) return undefined;
    const open = isActiveStatus(recorded) || recorded === 'interrupted';
    return (open ? this.shown.get(run.dir) : undefined) ?? shownRunState(run, this.jobs);
  }

  /** Whether the scheduler carries the run on by itself (its job queued or running, a requeued run too): the editor must not resume it. */
  carriesOn(run: JudgedRun & { dir: string }): boolean {
    const shown = this.stateOf(run);
    return isClusterRun(run.meta) && shown !== undefined && isActiveStatus(shown.status);
  }

  /** When the followed run's files last changed (ms since the epoch), for "updated N s ago"; undefined for a run not followed. */
  updatedAt(runDir: string): number | undefined {
    return this.stamps.get(runDir)?.updatedAt;
  }

  /** Whether a run is followed from its files (a cluster run still queued or running). */
  follows(runDir: string): boolean {
    return this.stamps.has(runDir);
  }

  /** Runs may have appeared or changed (a submission, a file event, a refresh): look now, and keep polling while a cluster run is active. */
  poke(): Promise<void> {
    return this.poll();
  }

  /** One look at the scheduler and the folders. Calls during a poll make one more poll after it. */
  poll(): Promise<void> {
    if (this.disposed) return Promise.resolve();
    if (this.inFlight) {
      this.again = true;
      return this.inFlight;
    }
    this.cancelTimer();
    this.inFlight = this.pollOnce()
      .catch((err: unknown) => this.deps.log?.(`cluster runs: polling failed: ${String(err)}`))
      .finally(() => {
        this.inFlight = undefined;
        if (this.again) {
          this.again = false;
          void this.poll();
        }
      });
    return this.inFlight;
  }

  private async pollOnce(): Promise<void> {
    const before = this.deps.listRuns(this.jobs);
    const interruptedJob = (e: RunListEntry) => isClusterRun(e.meta) && (e.liveness?.recorded ?? e.meta.status) === 'interrupted';
    const interruptedJobs = new Set(before.filter(interruptedJob).map((e) => e.meta!.job!.id));
    const asked = jobsToQuery(before).filter((j) => !(interruptedJobs.has(j.id) && this.settled.has(j.id)));
    const jobs = new Map<string, JobState>();
    if (asked.length > 0) {
      try {
        const answer = await this.deps.query(asked);
        for (const job of asked) {
          const state = answer.get(job.id);
          const last = this.jobs.get(job.id);
          // A scheduler forgets ended jobs after a while; how one ended stays known here.
          if (last && isEndedJob(last) && (!state || state.state === 'unknown')) jobs.set(job.id, last);
          else if (state) jobs.set(job.id, state);
        }
        // Ended, or forgotten by the scheduler (a requeued job is always in its queue): not carried on.
        for (const id of interruptedJobs) {
          const said = jobs.get(id) ?? (asked.some((j) => j.id === id) ? { state: 'unknown' as const, checkedAt: new Date().toISOString() } : undefined);
          if (said && (isEndedJob(said) || said.state === 'unknown')) this.settled.set(id, said);
        }
        this.lastFailure = undefined;
      } catch (err) {
        // The scheduler did not answer (a network hiccup, its controller down, no SLURM on this machine): its last word
        // stands. Said once per cause, not every few seconds.
        const why = (err as Error).message ?? String(err);
        if (why !== this.lastFailure) this.deps.log?.(`cluster runs: the scheduler did not answer: ${why}`);
        this.lastFailure = why;
        for (const job of asked) {
          const last = this.jobs.get(job.id);
          if (last) jobs.set(job.id, last);
        }
      }
    }
    // What the scheduler last said of the settled ones stands.
    for (const id of interruptedJobs) {
      const said = this.settled.get(id);
      if (said && !jobs.has(id)) jobs.set(id, said);
    }
    if (this.disposed) return;
    // Read again after the scheduler answered: a job it reports ended has written its folder by then.
    const entries = asked.length > 0 ? this.deps.listRuns(jobs) : before;
    const shown = new Map<string, ShownRunState>();
    const changed: string[] = [];
    const followed = new Set<string>();
    for (const entry of entries) {
      const meta = entry.meta;
      if (!isClusterRun(meta)) continue;
      const state = shownRunState(entry, jobs)!;
      shown.set(entry.dir, state);
      const wasFollowed = this.stamps.has(entry.dir);
      if (!isActiveStatus(meta.status) && !wasFollowed) continue;
      const stamp = this.deps.stamp(entry.dir);
      const last = this.stamps.get(entry.dir);
      const jobBefore = this.jobs.get(meta.job.id);
      const jobNow = jobs.get(meta.job.id);
      if ((last && last.key !== stamp.key) || !sameJobState(jobBefore, jobNow) || (!last && isActiveStatus(meta.status))) changed.push(entry.dir);
      if (isActiveStatus(state.status)) {
        this.stamps.set(entry.dir, stamp);
        followed.add(entry.dir);
      }
    }
    // Runs that ended (or whose folder went away) are no longer followed.
    for (const dir of [...this.stamps.keys()]) {
      if (followed.has(dir)) continue;
      this.stamps.delete(dir);
      if (!changed.includes(dir)) changed.push(dir);
    }
    this.jobs = jobs;
    this.shown = shown;
    const counts = countClusterJobs(entries, jobs);
    const countsChanged = counts.queued !== this.lastCounts.queued || counts.running !== this.lastCounts.running;
    this.lastCounts = counts;
    if (changed.length > 0 || countsChanged) for (const listener of [...this.listeners]) listener({ dirs: changed, counts });
    if (activeClusterRuns(entries, jobs).length > 0 && !this.disposed) {
      const ms = this.deps.intervalMs ?? CLUSTER_POLL_MS;
      const setTimer = this.deps.setTimer ?? ((cb: () => void, delay: number) => setTimeout(cb, delay));
      this.timer = setTimer(() => {
        this.timer = undefined;
        void this.poll();
      }, ms);
    }
  }

  private cancelTimer(): void {
    if (this.timer === undefined) return;
    const clearTimer = this.deps.clearTimer ?? ((handle: unknown) => clearTimeout(handle as NodeJS.Timeout));
    clearTimer(this.timer);
    this.timer = undefined;
  }

  dispose(): void {
    this.disposed = true;
    this.cancelTimer();
    this.listeners.clear();
  }
}

function isEndedJob(job: JobState): boolean {
  return job.state === 'completed' || job.state === 'failed' || job.state === 'cancelled';
}

function sameJobState(a: JobState | undefined, b: JobState | undefined): boolean {
  return a?.state === b?.state && a?.reason === b?.reason && a?.node === b?.node;
}
