// A run's engine threads in this process: decided by the rule of
// src/core/threads.ts with this machine's CPUs (and the SLURM job's), then
// fixed with setEngineThreads before the backend starts.

import { inferenceThreads, resolveThreads } from '../core/threads';
import type { ThreadDecision, ThreadRequest } from '../core/threads';
import type { BackendName } from '../core/types';
import { thisMachine, threadsSettingFromEnv } from '../node/machineCpus';
import { engineThreads, setEngineThreads } from './threads';

/**
 * Decides this process's engine threads from what the user asked and the config's
 * training.threads, and fixes them. Call before selectBackend. Without a setting in the request
 * (a start message from the editor always has one), MODELLAB_THREADS stands for it.
 */
export function applyEngineThreads(request: ThreadRequest | undefined, configThreads: number | undefined): ThreadDecision {
  const setting = request?.setting ?? threadsSettingFromEnv();
  const decision = resolveThreads({ ...request, ...(setting !== undefined ? { setting } : {}) }, configThreads, thisMachine());
  setEngineThreads(decision.threads);
  return decision;
}

/**
 * The threads a run on `backend` trains with, as the run records them: the engine's count on
 * WebAssembly, one on plain JavaScript, nothing for native TensorFlow (its own thread pool).
 */
export function threadsOfBackend(backend: BackendName): number | undefined {
  return backend === 'wasm' ? engineThreads() : backend === 'cpu' ? 1 : undefined;
}

/** The inference child's threads (attention, saliency, predictions): the setting's count or every core, at most two. Call before selectBackend. */
export function applyInferenceThreads(setting: number | undefined): number {
  const threads = inferenceThreads(setting ?? threadsSettingFromEnv(), thisMachine());
  setEngineThreads(threads);
  return threads;
}
