// How many threads this trainer or inference process's engine may use. Set once,
// before the backend starts (the wasm backend fixes its thread pool when it
// initializes); read by the backend selection and by our kernels' worker pool.
// The count itself is decided elsewhere (the setting, the config, the CLI, a
// sweep's concurrency): see resolveThreads in src/core/threads.ts.

import { availableParallelism } from 'node:os';

let threads: number | undefined;

/** Fixes the engine's thread count for this process (at least 1). Later calls with another count are ignored once the backend has started. */
export function setEngineThreads(n: number): void {
  if (!Number.isInteger(n) || n < 1) throw new RangeError(`thread count must be a whole number of at least 1, got ${n}`);
  threads = n;
}

/** The engine's thread count: as set, else every core of this machine. */
export function engineThreads(): number {
  return threads ?? availableParallelism();
}
