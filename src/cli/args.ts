// Option parsing the `modellab` commands share. A bad command line is a
// UsageError: the CLI prints its message with the usage and exits with 2.

import { resolve } from 'node:path';
import { isOneOf, listInWords } from '../core/choices';
import { BACKEND_CHOICES } from '../core/types';
import type { BackendChoice } from '../core/types';
import { MAX_THREADS } from '../core/threads';
import { threadsSettingFromEnv } from '../node/machineCpus';
import type { ThreadRequest } from '../core/threads';

export class UsageError extends Error {}

/** --backend: one of the backend choices, "auto" when not given. */
export function backendOption(value: string | undefined): BackendChoice {
  const backend = (value ?? 'auto') as BackendChoice;
  if (!isOneOf(BACKEND_CHOICES, backend)) throw new UsageError(`--backend must be ${listInWords(BACKEND_CHOICES)}, not "${value}"`);
  return backend;
}

/** A numeric option that passes `check` (described by `rule` in the error), undefined when not given. */
export function numberOption(name: string, value: string | undefined, check: (n: number) => boolean, rule: string): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isFinite(n) || !check(n)) throw new UsageError(`--${name} must be ${rule}, not "${value}"`);
  return n;
}

/** A whole-number option from `lo` to `hi`. */
export function intOption(name: string, value: string | undefined, lo: number, hi: number): number | undefined {
  return numberOption(name, value, (n) => Number.isInteger(n) && n >= lo && n <= hi, `a whole number from ${lo} to ${hi}`);
}

/** --runs-dir (resolved against the current directory), else `defaultDir`. */
export function runsDirOption(value: string | undefined, defaultDir: string): string {
  return resolve(value ?? defaultDir);
}

/** The option of every command that trains (train, resume, sweep, best, lr-find): the engine's threads per run. */
export const THREADS_OPTION = { threads: { type: 'string' } } as const;

/** --threads N: a whole number from 1 to MAX_THREADS, undefined when not given. */
export function threadsOption(value: string | undefined): number | undefined {
  return intOption('threads', value, 1, MAX_THREADS);
}

/**
 * What the command line asks of a run's threads: --threads (first), MODELLAB_THREADS (below the
 * config's training.threads, as the editor's setting), and how many runs train at once here.
 */
export function threadRequest(value: string | undefined, env: NodeJS.ProcessEnv = process.env, sharedBy?: number): ThreadRequest {
  const cli = threadsOption(value);
  let setting: number | undefined;
  try {
    setting = threadsSettingFromEnv(env);
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
  return { ...(cli !== undefined ? { cli } : {}), ...(setting !== undefined ? { setting } : {}), ...(sharedBy !== undefined ? { sharedBy } : {}) };
}
