// Training a given run folder to its end, whatever state it is in: what a
// cluster job runs (`modellab train <config> --run-dir <folder>`), the first
// time and again each time the scheduler requeues it. A folder made at
// submission (`queued`) starts there; one whose trainer was interrupted (a
// signal before a time limit or preemption, a lost node) resumes from its
// checkpoint, or starts again when it had none; a finished one is left alone.

import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { checkpointPath } from '../node/checkpointFile';
import { readRunSnapshot } from '../node/runStoreReader';
import type { RunLiveness, RunMeta } from '../core/types';
import { resumeTraining, runTraining } from './engine';
import type { TrainOptions, TrainResult } from './engine';

/** What training a run folder means now. */
export type RunDirPlan =
  | { action: 'start'; meta?: RunMeta }
  | { action: 'resume'; meta: RunMeta; takeOver: boolean }
  | { action: 'finished'; meta: RunMeta }
  | { action: 'refuse'; why: string };

/** The scheduler job this process runs as: SLURM_JOB_ID (an array task has its own), kept across requeues. */
export function currentJobId(env: NodeJS.ProcessEnv): string | undefined {
  return env.SLURM_JOB_ID || undefined;
}

/**
 * Whether the trainer meta.json records as running was this very job's earlier
 * attempt (RunMeta.trainerJob): requeued, the scheduler ended that attempt,
 * whatever meta.json and a heartbeat a few seconds old still say. A trainer
 * started otherwise (a resume from the editor meanwhile) is another writer,
 * judged by its liveness.
 */
export function ownEarlierAttempt(meta: Pick<RunMeta, 'trainerJob'>, env: NodeJS.ProcessEnv): boolean {
  const job = currentJobId(env);
  return job !== undefined && meta.trainerJob === job;
}

function describeRunning(liveness: RunLiveness, meta: RunMeta): string {
  const where = meta.host ? ` on ${meta.host}` : '';
  const beat = liveness.lastHeartbeat ? `, last heartbeat ${liveness.lastHeartbeat}` : '';
  return `it is running (pid ${meta.pid ?? '?'}${where}${beat})`;
}

/** What `train --run-dir` does with the folder: decided from its meta.json, liveness and checkpoint, before anything changes. */
export function planRunDir(runDir: string, env: NodeJS.ProcessEnv = process.env): RunDirPlan {
  if (!existsSync(join(runDir, 'meta.json'))) return { action: 'start' };
  const snapshot = readRunSnapshot(runDir, false);
  const { meta, liveness } = snapshot;
  if (!liveness) return { action: 'refuse', why: `its meta.json is unreadable (${(snapshot.warnings ?? []).join('; ')})` };
  const recorded = liveness.recorded;
  if (recorded === 'queued') return { action: 'start', meta };
  const ownJob = recorded === 'running' && ownEarlierAttempt(meta, env);
  if (recorded === 'running' && !ownJob && liveness.status === 'running') return { action: 'refuse', why: describeRunning(liveness, meta) };
  const status = ownJob ? 'interrupted' : liveness.status;
  switch (status) {
    case 'completed':
    case 'pruned':
      return { action: 'finished', meta };
    case 'failed':
    case 'cancelled':
      return { action: 'refuse', why: `it is ${status}${meta.error ? ` (${meta.error})` : ''}; train the config again for a new run` };
    case 'interrupted':
    case 'stopped':
      return existsSync(checkpointPath(runDir)) ? { action: 'resume', meta, takeOver: recorded === 'running' } : { action: 'start', meta };
    default:
      return { action: 'refuse', why: `it is ${status}` };
  }
}

export class RunDirError extends Error {
  constructor(runDir: string, why: string) {
    super(`the run in ${runDir} cannot be trained: ${why}`);
    this.name = 'RunDirError';
  }
}

/**
 * Trains the run folder to its end (planRunDir): a sweep point's folder trains
 * its point (meta.sweep's values over the config). Resolves with the plan, and
 * the training's result unless the run had already finished; throws
 * RunDirError for a run that must not be trained again.
 */
export async function trainInRunDir(opts: TrainOptions & { runDir: string; env?: NodeJS.ProcessEnv }): Promise<{ plan: RunDirPlan; result?: TrainResult }> {
  const runDir = resolve(opts.runDir);
  const env = opts.env ?? process.env;
  const plan = planRunDir(runDir, env);
  const schedulerJobId = currentJobId(env);
  switch (plan.action) {
    case 'refuse':
      throw new RunDirError(runDir, plan.why);
    case 'finished':
      return { plan };
    case 'resume':
      return { plan, result: await resumeTraining({ ...opts, runDir, takeOver: plan.takeOver, schedulerJobId }) };
    case 'start': {
      const sweep = plan.meta?.sweep ?? opts.sweep;
      // A fold's folder (a cross-validated submission) trains its fold's rows.
      const fold = plan.meta?.fold ?? opts.fold;
      return { plan, result: await runTraining({ ...opts, runDir, sweep, ...(fold ? { fold } : {}), overrides: plan.meta?.sweep?.params ?? opts.overrides, schedulerJobId }) };
    }
  }
}

