// The local executor: a run trains in a process of this machine (the editor's
// trainer child, or `modellab train` itself). Starting one is the trainer's
// own business (TrainingProcess, the CLI); stopping one from elsewhere — e.g.
// `modellab cancel` in another terminal — is signalling the pid its meta.json
// records, which only means something on the machine that started it, and
// only while that pid is still the trainer (its recorded start time).

import { existsSync, readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import type { RunMeta } from '../../core/types';
import { checkpointPath } from '../checkpointFile';
import { pidState } from '../heartbeat';
import { readRunMeta } from '../runStoreReader';
import { RUN_FORMAT, writeJsonAtomic } from '../runStoreWriter';
import { ExecutorError } from './executor';

/** How long stopLocalRun waits for the trainer to stop after its batch, and then for the killed process to go. */
export const STOP_TIMING = { stopMs: 30_000, killMs: 5_000, pollMs: 200 } as const;

export interface StoppedLocalRun {
  /** meta.json as it now is: `stopped`, as the trainer recorded it or, when it had to be killed, as recorded here. */
  meta: RunMeta;
  /** Whether the trainer did not stop by itself within the wait and was killed (SIGKILL). */
  killed: boolean;
}

/**
 * Stops a local run that is training now, as Ctrl+C does: SIGINT, and the
 * trainer stops after its batch and records the run `stopped` (resumable from
 * its last whole epoch's checkpoint). SIGTERM would not do as the last resort
 * (the trainer takes it for a scheduler's interruption and winds down the
 * same way), so a trainer still alive after `stopMs` — stuck in a batch, a
 * data read — is killed with SIGKILL, and the run recorded `stopped` here,
 * with why, since the trainer could not. Refuses a run not training on this
 * machine. Resolves once its process is gone.
 */
export async function stopLocalRun(runDir: string, timing: { stopMs?: number; killMs?: number; pollMs?: number } = {}): Promise<StoppedLocalRun> {
  const { stopMs, killMs, pollMs } = { ...STOP_TIMING, ...timing };
  const meta = readRunMeta(runDir);
  if (!meta) throw new ExecutorError(`${runDir} holds no readable meta.json`);
  // The recorded host, when the trainer wrote one: a pid means nothing on another machine.
  const host = meta.host;
  if (host !== undefined && host !== hostname()) throw new ExecutorError(`the run ${meta.id} trains on ${host}, not on this machine (${hostname()}); stop it there`);
  const pid = meta.pid;
  // The trainer's own process only: a pid since taken by another process (a recycled pid) is never signalled.
  const alive = (): boolean => pid !== undefined && pidState(pid, meta.pidStart) === 'alive';
  if (meta.status !== 'running' || !alive()) throw new ExecutorError(`the run ${meta.id} is ${meta.status}, not training on this machine; there is nothing to stop`);
  const waitGone = async (ms: number): Promise<void> => {
    const until = Date.now() + ms;
    while (alive() && Date.now() < until) await new Promise((r) => setTimeout(r, pollMs));
  };
  process.kill(pid!, 'SIGINT');
  await waitGone(stopMs);
  if (!alive()) return { meta: readRunMeta(runDir) ?? meta, killed: false };
  process.kill(pid!, 'SIGKILL');
  await waitGone(killMs);
  if (alive()) throw new ExecutorError(`the trainer of ${meta.id} (pid ${pid}) did not end, even killed (SIGKILL); it may be stuck in the kernel (a hung file system)`);
  return { meta: recordKilled(runDir, meta, stopMs), killed: true };
}

/** The run as the killed trainer left it, recorded `stopped` with why when it still says running (it could not write its end). */
function recordKilled(runDir: string, before: RunMeta, stopMs: number): RunMeta {
  const file = join(runDir, 'meta.json');
  let written: RunMeta;
  try {
    written = JSON.parse(readFileSync(file, 'utf8')) as RunMeta;
  } catch {
    return readRunMeta(runDir) ?? before;
  }
  if (written.status !== 'running' || (typeof written.format === 'number' && written.format > RUN_FORMAT)) return readRunMeta(runDir) ?? written;
  const next: RunMeta = {
    ...written,
    status: 'stopped',
    endedAt: new Date().toISOString(),
    pid: undefined,
    error: `stopped by modellab cancel: the trainer did not stop after its batch within ${Math.round(stopMs / 1000)} s and was killed (SIGKILL)${existsSync(checkpointPath(runDir)) ? "; its last whole epoch's checkpoint is kept" : ''}`,
  };
  writeJsonAtomic(file, next);
  return next;
}
