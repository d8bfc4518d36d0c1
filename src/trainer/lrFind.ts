// The learning-rate range test (fastai's lr_find) on a config: its data and a
// fresh model built as training builds them (engine.prepareExperiment), then
// one optimizer step per learning rate of an exponential schedule
// (core/lrFinder.ts), stopped once the smoothed loss blows up. Nothing is
// kept: no run folder, the model is thrown away. Runs in-process for the
// CLI, which the editor forks (`modellab lr-find <config> --json`).
//
// A config with `model.base` is tested on the model its training would start
// from: the base found and the config fitted to it (fineTuneConfig), then the
// training's own fine-tune hooks (textFineTune / imageFineTune: the base's
// tokenizer and weights copied, the new head seeded). What is swept is the
// head's rate, the base as its first epochs see it: frozen when freezeEpochs
// > 0 (for every step of the test), else at model.base.learningRate, else
// (no rate of its own) at the swept rate, as training steps it. The hooks'
// copies (the base's tokenizer, its kept layers) go to a temporary folder,
// removed at the end.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { formatDiagnostic, validateConfigFile } from '../node/configValidation';
import { resolveConfig } from '../core/resolvedConfig';
import { LR_FIND_DEFAULTS, lrAtStep, lrFindDiverged, lrFindSettingsProblem, roundLearningRate, smoothedLosses, suggestLearningRate } from '../core/lrFinder';
import type { LrFindSettings, LrSuggestion } from '../core/lrFinder';
import { formatLogText, logText } from '../core/trainerLogTable';
import type { LogText } from '../core/trainerLogTable';
import type { TrainerLog } from '../core/protocol/trainer';
import type { BackendChoice, BackendName, RunBase } from '../core/types';
import type { ResolvedConfig } from '../core/resolvedConfig';
import { isImageExperiment, isTextExperiment } from '../core/resolvedConfig';
import { baseOptions } from '../node/baseModel';
import { selectBackend } from './backend';
import { applyEngineThreads, threadsOfBackend } from './runThreads';
import type { ThreadRequest } from '../core/threads';
import { ConfigInvalidError, prepareExperiment, withSeededRandom } from './engine';
import { BaseAndHeadOptimizer, fineTuneConfig, textFineTune } from './fineTune';
import { imageBaseOf, imageFineTune } from './imageFineTune';
import { buildOptimizer, getLearningRate, setLearningRate } from './model';

export interface LrFindOptions {
  configPath: string;
  /** Where a `model.base` run id is looked up, as training looks it up (the CLI's --runs-dir, the editor's modelLab.runsDirectory). */
  runsDir: string;
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
  /** A config with `model.base`: its base, and what the swept rate drives (see fineTuneSweep). */
  fineTune?: FineTuneSweep;
}

/** What a fine-tune's range test sweeps: always the head's rate; the base frozen, at its own rate, or at the swept one. */
export interface FineTuneSweep {
  base: RunBase;
  /** `frozen`: freezeEpochs > 0; `fixed`: at model.base.learningRate (baseLr); `shared`: the base steps at the swept rate too. */
  baseWeights: 'frozen' | 'fixed' | 'shared';
  baseLr?: number;
  freezeEpochs: number;
}

/** What the test of a config with `model.base` sweeps, decided from its options as its first epoch trains. */
export function fineTuneSweep(config: ResolvedConfig, base: RunBase): FineTuneSweep {
  const options = baseOptions(config.model.base!);
  if (options.freezeEpochs > 0) return { base, baseWeights: 'frozen', freezeEpochs: options.freezeEpochs };
  if (options.learningRate !== undefined) return { base, baseWeights: 'fixed', baseLr: options.learningRate, freezeEpochs: 0 };
  return { base, baseWeights: 'shared', freezeEpochs: 0 };
}

/** The log line saying what a fine-tune's range test sweeps. */
export function fineTuneSweepLog(sweep: FineTuneSweep): LogText {
  if (sweep.baseWeights === 'frozen') return logText('lrFind.baseFrozen', sweep.freezeEpochs);
  if (sweep.baseWeights === 'fixed') return logText('lrFind.baseFixed', sweep.baseLr!);
  return logText('lrFind.baseShared');
}

export async function findLearningRate(opts: LrFindOptions): Promise<LrFindResult> {
  const settings: LrFindSettings = { ...LR_FIND_DEFAULTS, ...opts.settings };
  const problem = lrFindSettingsProblem(settings);
  if (problem) throw new Error(problem);
  const configPath = resolve(opts.configPath);
  const validation = validateConfigFile(configPath, { workspaceRoot: opts.workspaceRoot, allowOutside: opts.allowPathsOutsideWorkspace, runsDir: opts.runsDir });
  if (!validation.config) throw new ConfigInvalidError(configPath, validation.diagnostics);
  for (const d of validation.diagnostics) opts.onLog?.(formatDiagnostic(configPath, d));
  // As runTraining does: the base found and the config fitted to it (the same errors when it does not fit).
  const fine = fineTuneConfig(validation.config, configPath, opts.runsDir);
  const base = fine?.base ?? imageBaseOf(validation.config, configPath, opts.runsDir);
  const config = resolveConfig(fine?.config ?? validation.config, {});
  const sweep = base && fineTuneSweep(config, base);
  // The engine's threads are fixed before the backend starts, as for a training.
  applyEngineThreads(opts.threads, config.training.threads);
  const sel = await selectBackend(opts.backend, opts.nativeModuleDirs);
  const tc = config.training;

  const log: TrainerLog = (m) => opts.onLog?.(typeof m === 'string' ? m : formatLogText(m));
  if (sweep) log(fineTuneSweepLog(sweep));
  // The fine-tune hooks keep the base's tokenizer or kept layers in a run's folder: here a throwaway one.
  const scratch = base ? mkdtempSync(join(tmpdir(), 'modellab-lr-find-')) : undefined;

  return withSeededRandom(tc.seed, async () => {
    let prepared: ReturnType<typeof prepareExperiment>;
    try {
      prepared = prepareExperiment(config, configPath, () => {}, log, undefined, base && scratch ? fineTuneHooks(config, base, scratch, settings.steps, log) : undefined);
    } catch (e) {
      if (scratch) rmSync(scratch, { recursive: true, force: true });
      throw e;
    }
    const optimizer = prepared.optimizer ?? buildOptimizer(tc.optimizer);
    const configLr = getLearningRate(optimizer);
    // The swept rate: the head's alone when the base is frozen or has its own rate; else the one optimizer's.
    // (Not instanceof: tf.Optimizer's Symbol.hasInstance takes any optimizer for any optimizer class.)
    const sweptOptimizer = optimizer.constructor === BaseAndHeadOptimizer && sweep?.baseWeights !== 'shared' ? (optimizer as BaseAndHeadOptimizer).head : optimizer;
    const points: LrFindStep[] = [];
    const losses: number[] = [];
    let end: LrFindResult['end'] = 'completed';
    const onAbort = () => {
      end = 'stopped';
      prepared.model.stopTraining = true;
    };
    try {
      setLearningRate(sweptOptimizer, lrAtStep(0, settings));
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
              else setLearningRate(sweptOptimizer, lrAtStep(i + 1, settings));
            },
          },
        });
      } else end = 'stopped';
    } finally {
      opts.signal?.removeEventListener('abort', onAbort);
      prepared.dispose();
      optimizer.dispose();
      if (scratch) rmSync(scratch, { recursive: true, force: true });
    }
    const suggestion = suggestLearningRate(points, settings.smoothing);
    return { configPath, backend: sel.backend, threads: threadsOfBackend(sel.backend), settings, configLr, points, end, suggestion: suggestion && { ...suggestion, rounded: roundLearningRate(suggestion.lr) }, ...(sweep ? { fineTune: sweep } : {}) };
  });
}

/**
 * The training's fine-tune hooks for the test: a frozen base stays frozen for
 * every step (the config's freezeEpochs raised to the test's steps, each step
 * at most an epoch), and the hooks' line about freezing is left out (the
 * test's own line says it).
 */
function fineTuneHooks(config: ResolvedConfig, base: RunBase, runDir: string, steps: number, log: TrainerLog) {
  const options = baseOptions(config.model.base!);
  const held: ResolvedConfig = options.freezeEpochs > 0 ? { ...config, model: { ...config.model, base: { ...options, freezeEpochs: Math.max(options.freezeEpochs, steps) } } } : config;
  const hookLog: TrainerLog = (m, level) => {
    if (typeof m !== 'string' && m.id === 'fineTune.frozen') return;
    log(m, level);
  };
  const args = { config: held, runDir, base, resuming: false, log: hookLog };
  if (isTextExperiment(config)) return textFineTune(args);
  if (isImageExperiment(config)) return imageFineTune(args);
  return undefined;
}
