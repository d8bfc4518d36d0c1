// Whether a run whose meta.json says `running` (or `queued`) still trains.
// A trainer that dies without a word (kill -9, the out-of-memory killer, a
// reboot, a node lost) leaves meta.json saying `running`. Who can tell:
//   - the scheduler, for a cluster run: a job it reports ended is over;
//   - on the machine that runs the trainer: its process, by pid, guarded
//     against a recycled pid by the process's start time;
//   - anywhere else: the trainer's heartbeat (heartbeat.json), rewritten
//     every few seconds; one older than a few intervals means it is gone.
// Pure: the reader (src/node/runStoreReader.ts) gathers the facts.

import { HEARTBEAT_TIMING } from './types';
import type { JobState, RunHeartbeat, RunLiveness, RunMeta } from './types';

/** What the recorded trainer process is now, on its own host: running, gone, or its pid taken by another process (a different start time). */
export type PidState = 'alive' | 'gone' | 'reused';

export interface LivenessFacts {
  meta: Pick<RunMeta, 'status' | 'host' | 'pid' | 'pidStart' | 'startedAt' | 'job' | 'trainerJob'>;
  /** heartbeat.json of the run folder, when readable. */
  heartbeat?: RunHeartbeat;
  /** The reader's host name. */
  thisHost: string;
  /** The reader's clock, ms since the epoch. */
  now: number;
  /** The recorded pid's state, asked only on the run's own host (pidToCheck); undefined when not asked or not known. */
  pid?: PidState;
  /** What the scheduler says of the run's job, for a cluster run when it was asked. */
  job?: JobState;
  staleAfterMs?: number;
}

/** Whether the run's trainer runs on the reader's host, as far as meta.json says (a run written before hosts were recorded counts as local). */
export function onThisHost(meta: Pick<RunMeta, 'host'>, thisHost: string): boolean {
  return meta.host === undefined || meta.host === thisHost;
}

/** The pid a reader on `thisHost` should look up for the run, or undefined when its process says nothing here. */
export function pidToCheck(meta: Pick<RunMeta, 'status' | 'host' | 'pid'>, thisHost: string): number | undefined {
  return meta.status === 'running' && meta.pid !== undefined && onThisHost(meta, thisHost) ? meta.pid : undefined;
}

/** The heartbeat if it is the recorded trainer's own (same host and pid): one left by an earlier attempt vouches for nothing. */
function ownHeartbeat(meta: LivenessFacts['meta'], heartbeat: RunHeartbeat | undefined): RunHeartbeat | undefined {
  if (!heartbeat) return undefined;
  if (meta.host !== undefined && heartbeat.host !== meta.host) return undefined;
  if (meta.pid !== undefined && heartbeat.pid !== meta.pid) return undefined;
  return heartbeat;
}

function timeOf(iso: string | undefined): number | undefined {
  if (iso === undefined) return undefined;
  const t = Date.parse(iso);
  return Number.isFinite(t) ? t : undefined;
}

function ago(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 120) return `${s} s ago`;
  const m = Math.round(s / 60);
  if (m < 120) return `${m} min ago`;
  return `${Math.round(m / 60)} h ago`;
}

/**
 * The status a reader shows for a run, and why. A run that has ended shows
 * what it recorded (an interrupted cluster run whose job is back in the
 * queue, or running again, shows the job's state). For a cluster run the scheduler's word comes first; then,
 * on the trainer's own host, its process decides; elsewhere its heartbeat.
 */
export function runLiveness(facts: LivenessFacts): RunLiveness {
  const { meta, thisHost, now } = facts;
  const recorded = meta.status;
  const staleAfter = facts.staleAfterMs ?? HEARTBEAT_TIMING.staleAfterMs;
  const heartbeat = ownHeartbeat(meta, facts.heartbeat);
  const lastHeartbeat = heartbeat?.time;
  const shown = (status: RunLiveness['status'], why?: string): RunLiveness => ({ status, recorded, ...(why ? { why } : {}), ...(lastHeartbeat ? { lastHeartbeat } : {}) });
  const job = facts.job;
  // Interrupted by its scheduler (preempted, requeued, the time-limit warning) and back in its queue: the job carries it on.
  if (recorded === 'interrupted' && meta.job && (job?.state === 'queued' || job?.state === 'running')) {
    const because = job.reason ? ` (${job.reason})` : '';
    return job.state === 'queued'
      ? shown('queued', `job ${meta.job.id} was requeued${because}: it carries on from its checkpoint when it starts again`)
      : shown('running', `job ${meta.job.id} started again${job.node ? ` on ${job.node}` : ''}: it carries on from its checkpoint`);
  }
  if (recorded !== 'running' && recorded !== 'queued') return shown(recorded);
  // The job speaks for the trainer only when the trainer runs in a scheduler job (RunMeta.trainerJob): a cluster run
  // resumed on this machine after its job ended trains outside it, and its process or heartbeat decides.
  const jobSpeaks = recorded === 'queued' || meta.trainerJob !== undefined;

  if (meta.job && job && job.state !== 'unknown' && jobSpeaks) {
    const id = meta.job.id;
    const because = job.reason ? ` (${job.reason})` : '';
    switch (job.state) {
      case 'cancelled':
        return shown('cancelled', `job ${id} was cancelled${because}`);
      case 'completed':
      case 'failed':
        // Failed, as src/core/clusterRuns.ts shows it and src/node/executors/followJobs.ts records it (with the job's stderr).
        return recorded === 'queued'
          ? shown('failed', `job ${id} ended (${job.state}${job.reason ? `: ${job.reason}` : ''}) before training started`)
          : shown('failed', `job ${id} ended (${job.state}${job.reason ? `: ${job.reason}` : ''}) while the run said running: its trainer stopped without recording it`);
      case 'queued':
        return shown('queued', recorded === 'running' ? `job ${id} went back to the queue${because}: it carries on from its checkpoint when it starts again` : `job ${id} waits${because}`);
      case 'running':
        if (recorded === 'queued') return shown('running', `job ${id} started${job.node ? ` on ${job.node}` : ''}; training has not begun`);
        break; // the job runs: whether its trainer does is the heartbeat's to say, below
    }
  }
  if (recorded === 'queued') return shown('queued');

  if (onThisHost(meta, thisHost) && facts.pid !== undefined) {
    if (facts.pid === 'alive') return shown('running');
    const where = meta.host ? ` on ${meta.host}` : '';
    return shown(
      'interrupted',
      facts.pid === 'reused'
        ? `its trainer (pid ${meta.pid}${where}) is gone: that pid now belongs to another process`
        : `its trainer (pid ${meta.pid}${where}) is no longer running`,
    );
  }
  if (onThisHost(meta, thisHost) && meta.pid === undefined && !heartbeat) return shown('interrupted', 'no trainer process is recorded for it');

  // Another host's trainer (or one whose process cannot be looked up): its last sign of life.
  const beat = timeOf(lastHeartbeat);
  const started = timeOf(meta.startedAt);
  const last = beat === undefined ? started : started === undefined ? beat : Math.max(beat, started);
  const host = meta.host ?? heartbeat?.host ?? 'its host';
  if (last === undefined) return shown('interrupted', `no heartbeat from its trainer on ${host}`);
  if (now - last > staleAfter) {
    // The scheduler says the job still runs: a hung trainer, not a dead one; resuming it meanwhile would make two writers.
    if (meta.job && jobSpeaks && job?.state === 'running') return shown('running', `job ${meta.job.id} still runs${job.node ? ` on ${job.node}` : ''}, but its trainer has sent no heartbeat ${beat !== undefined ? `since ${lastHeartbeat}` : 'yet'}`);
    const since = beat !== undefined ? `no heartbeat from its trainer on ${host} since ${lastHeartbeat} (${ago(now - beat)})` : `its trainer on ${host} started ${ago(now - last)} and never sent a heartbeat`;
    return shown('interrupted', since);
  }
  return shown('running', meta.job && jobSpeaks && job?.state === 'running' && job.node ? `on ${job.node}` : host !== thisHost ? `on ${host}` : undefined);
}
