// The local executor: a run trains in a process of this machine (the editor's
// trainer child, or `modellab train` itself). Starting one is the trainer's
// own business (TrainingProcess, the CLI); stopping one from elsewhere — e.g.
// `modellab cancel` in another terminal — is signalling the pid its meta.json
// records, which only means something on the machine that started it.

import { hostname } from 'node:os';
import type { RunMeta } from '../../core/types';
import { readRunMeta } from '../runStoreReader';
import { ExecutorError } from './executor';

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** How long stopLocalRun waits for the trainer to stop after this batch before it terminates it. */
const STOP_WAIT_MS = 30_000;
const STOP_POLL_MS = 200;

/**
 * Stops a local run that is training now: SIGINT (the CLI stops after the
 * current batch and records the run `stopped`), then SIGTERM if it has not
 * ended after `waitMs`. Refuses a run that is not running on this machine.
 * Resolves with the run's meta once its process is gone.
 */
export async function stopLocalRun(runDir: string, waitMs = STOP_WAIT_MS): Promise<RunMeta> {
  const meta = readRunMeta(runDir);
  if (!meta) throw new ExecutorError(`${runDir} holds no readable meta.json`);
  // The recorded host, when the trainer wrote one: a pid means nothing on another machine.
  const host = meta.host;
  if (host !== undefined && host !== hostname()) throw new ExecutorError(`the run ${meta.id} trains on ${host}, not on this machine (${hostname()}); stop it there`);
  if (meta.status !== 'running' || !meta.pid || !alive(meta.pid)) throw new ExecutorError(`the run ${meta.id} is ${meta.status}, not training on this machine; there is nothing to stop`);
  const pid = meta.pid;
  process.kill(pid, 'SIGINT');
  const until = Date.now() + waitMs;
  while (alive(pid) && Date.now() < until) await new Promise((r) => setTimeout(r, STOP_POLL_MS));
  if (alive(pid)) {
    process.kill(pid, 'SIGTERM');
    while (alive(pid) && Date.now() < until + 5000) await new Promise((r) => setTimeout(r, STOP_POLL_MS));
  }
  return readRunMeta(runDir) ?? meta;
}
