// The learning-rate range test (fastai's lr_find) on a config: its data and a
// fresh model built as training builds them (engine.prepareExperiment), then
// one optimizer step per learning rate of an exponential schedule
// (core/lrFinder.ts), stopped once the smoothed loss blows up. Nothing is
// written: no run folder, the model is thrown away. Runs in-process for the
// CLI, which the editor forks (`modellab lr-find <config> --json`).

import { resolve } from 'node:path';
import { formatDiagnostic, validateConfigFile } from '../node/configValidation';
import { resolveConfig } from '../core/resolvedConfig';
import { LR_FIND_DEFAULTS, lrAtStep, lrFindDiverged, lrFindSettingsProblem, roundLearningRate, smoothedLosses, suggestLearningRate } from '../core/lrFinder';
import type { LrFindSettings, LrSuggestion } from '../core/lrFinder';
import { formatLogText } from '../core/trainerLogTable';
import type { BackendChoice, BackendName } from '../core/types';
import { selectBackend } from './backend';
import { applyEngineThreads, threadsOfBackend } from './runThreads';
import type { ThreadRequest } from '../core/threads';
import { ConfigInvalidError, prepareExperiment, withSeededRandom } from './engine';
import { buildOptimizer, getLearningRate, setLearningRate } from './model';

export interface LrFindOptions {
  configPath: string;
  backend: BackendChoice;
  nativeModuleDirs?: string[];
  workspaceRoot?: string;
  allowPathsOutsideWorkspace?: boolean;
  settings?: Partial<LrFindSettings>;
  /** --threads and MODELLAB_THREADS (the editor's modelLab.threads): with the config's training.threads, the engine's threads (src/core/threads.ts). */
  threads?: ThreadRequest;
  signal?: AbortSignal;
  /** After every step. */
  onStep?: (step: LrFindStep) => void;
  onLog?: (message: string) => void;
}

export interface LrFindStep {
  step: number;
  lr: number;
  loss: number;
  smoothed: number;
}

export interface LrFindResult {
  configPath: string;
  backend: BackendName;
  /** The engine's threads (absent for native TensorFlow, which keeps its own). */
  threads?: number;
  settings: LrFindSettings;
  /** The config's own learning rate. */
  configLr: number;
  points: LrFindStep[];
  /** Why the test ended: the loss blew up, the schedule ended, or it was stopped. */
  end: 'diverged' | 'completed' | 'stopped';
  /** Undefined when the loss never fell. */
  suggestion?: LrSuggestion & { rounded: number };
}

export async function findLearningRate(opts: LrFindOptions): Promise<LrFindResult> {
  const settings: LrFindSettings = { ...LR_FIND_DEFAULTS, ...opts.settings };
  const problem = lrFindSettingsProblem(settings);
  if (problem) throw new Error(problem);
  const configPath = resolve(opts.configPath);
  const validation = validateConfigFile(configPath, { workspaceRoot: opts.workspaceRoot, allowOutside: opts.allowPathsOutsideWorkspace });
  if (!validation.config) throw new ConfigInvalidError(configPath, validation.diagnostics);
  for (const d of validation.diagnostics) opts.onLog?.(formatDiagnostic(configPath, d));
  const config = resolveConfig(validation.config, {});
  // The engine's threads are fixed before the backend starts, as for a training.
  applyEngineThreads(opts.threads, config.training.threads);
  const sel = await selectBackend(opts.backend, opts.nativeModuleDirs);
  const tc = config.training;

  return withSeededRandom(tc.seed, async () => {
    const prepared = prepareExperiment(config, configPath, () => {}, (m) => opts.onLog?.(typeof m === 'string' ? m : formatLogText(m)));
    const optimizer = buildOptimizer(tc.optimizer);
    const configLr = getLearningRate(optimizer);
    const points: LrFindStep[] = [];
    const losses: number[] = [];
    let end: LrFindResult['end'] = 'completed';
    const onAbort = () => {
      end = 'stopped';
      prepared.model.stopTraining = true;
    };
    try {
      setLearningRate(optimizer, lrAtStep(0, settings));
      opts.signal?.addEventListener('abort', onAbort);
      if (!opts.signal?.aborted) {
        await prepared.fit({
          // One batch per step; as many epochs as the steps need, stopped at the last step.
          epochs: settings.steps,
          batchSize: tc.batchSize,
          shuffle: tc.shuffle,
          seed: tc.seed,
          optimizer,
          callbacks: {
            onBatchEnd: async (_batch, logs) => {
              const i = points.length;
              const lr = lrAtStep(i, settings);
              const loss = Number(logs?.loss);
              losses.push(loss);
              const smoothed = smoothedLosses(losses, settings.smoothing)[i];
              const step = { step: i + 1, lr, loss, smoothed };
              points.push(step);
              opts.onStep?.(step);
              if (lrFindDiverged(smoothedLosses(losses, settings.smoothing), losses, settings.divergeFactor)) {
                end = 'diverged';
                prepared.model.stopTraining = true;
              } else if (points.length >= settings.steps) prepared.model.stopTraining = true;
              else setLearningRate(optimizer, lrAtStep(i + 1, settings));
            },
          },
        });
      } else end = 'stopped';
    } finally {
      opts.signal?.removeEventListener('abort', onAbort);
      prepared.dispose();
      optimizer.dispose();
    }
    const suggestion = suggestLearningRate(points, settings.smoothing);
    return { configPath, backend: sel.backend, threads: threadsOfBackend(sel.backend), settings, configLr, points, end, suggestion: suggestion && { ...suggestion, rounded: roundLearningRate(suggestion.lr) } };
  });
}
