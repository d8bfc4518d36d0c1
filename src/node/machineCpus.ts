// The CPUs this process may use, for the thread rule (src/core/threads.ts):
// the machine's cores, and the SLURM job's CPUs per task when it runs in one.

import { availableParallelism } from 'node:os';
import { MAX_THREADS, THREADS_ENV } from '../core/threads';
import type { ThreadMachine } from '../core/threads';

/** SLURM_CPUS_PER_TASK (set by sbatch --cpus-per-task in the job's environment), undefined when unset or empty. */
export function slurmCpusPerTask(env: NodeJS.ProcessEnv = process.env): number | undefined {
  const raw = env.SLURM_CPUS_PER_TASK;
  if (raw === undefined || raw.trim() === '') return undefined;
  const n = /^\s*\d+\s*$/.test(raw) ? Number(raw) : NaN;
  if (!Number.isInteger(n) || n < 1) throw new Error(`SLURM_CPUS_PER_TASK must be a whole number ≥ 1, not "${raw}"`);
  return n;
}

export function thisMachine(env: NodeJS.ProcessEnv = process.env): ThreadMachine {
  const slurm = slurmCpusPerTask(env);
  return { cores: availableParallelism(), ...(slurm !== undefined ? { slurmCpusPerTask: slurm } : {}) };
}

/**
 * MODELLAB_THREADS: this machine's default thread count for the CLI and for trainer processes
 * started without one (as modelLab.threads is the editor's; below a config's training.threads);
 * 0: every core. Undefined when unset or empty; an error naming it when it is no such count.
 */
export function threadsSettingFromEnv(env: NodeJS.ProcessEnv = process.env): number | undefined {
  const raw = env[THREADS_ENV];
  if (raw === undefined || raw.trim() === '') return undefined;
  const n = /^\s*\d+\s*$/.test(raw) ? Number(raw) : NaN;
  if (!Number.isInteger(n) || n > MAX_THREADS) throw new Error(`${THREADS_ENV} must be a whole number from 0 (every core) to ${MAX_THREADS}, not "${raw}"`);
  return n;
}
