// Where each split of an experiment's data comes from, decided once from the
// config: the trainer's loaders, the config rules, the sweep's ranking metric,
// the callbacks' default monitor and the pipeline diagram all ask here.
// Validation is never silently missing: with a `train` file and no
// `validation` file, `split.validation` carves a seeded share of the training
// file (as Keras' `validation_split`). The test split is for the final
// evaluation only: no monitor or ranking may name it.

import type { DataConfig, ExperimentConfig, TrainingConfig } from './types';

/** What `data.split` means when a key is left out. */
export const SPLIT_DEFAULTS = { validation: 0.2, test: 0.1, seed: 42, shuffle: true } as const;

export type ValidationSource =
  /** The `data.validation` file (folder, listing). */
  | { kind: 'file' }
  /** A share of `data.source`, by `split.validation`. */
  | { kind: 'split'; share: number }
  /** A share carved out of the `data.train` file, by `split.validation`. */
  | { kind: 'carved'; share: number }
  /** A recommender holds out each user's next-to-last interaction. */
  | { kind: 'heldOut' }
  /** k-fold cross-validation: each fold run validates on its own fold of the training data. */
  | { kind: 'folds'; k: number }
  /** None: `split.validation` is 0. */
  | { kind: 'none' };

/** What splitPlan reads of a config: its task, data and (cross-validation) training section. */
export type SplitPlanConfig = { task: ExperimentConfig['task']; data: DataConfig; training?: { crossValidation?: TrainingConfig['crossValidation'] } };

export function validationSourceOf(config: SplitPlanConfig): ValidationSource {
  const data = config.data;
  if (config.task === 'recommendation') return { kind: 'heldOut' };
  const folds = config.training?.crossValidation?.folds;
  if (folds !== undefined) return { kind: 'folds', k: folds };
  if (data.source === undefined && data.validation !== undefined) return { kind: 'file' };
  const share = data.split?.validation ?? SPLIT_DEFAULTS.validation;
  if (!(share > 0)) return { kind: 'none' };
  return data.source !== undefined ? { kind: 'split', share } : { kind: 'carved', share };
}

export function hasValidationData(config: SplitPlanConfig): boolean {
  return validationSourceOf(config).kind !== 'none';
}

/** The share of the `train` file kept for validation (0 when a validation file is given or with `source`). */
export function carvedValidationShare(data: DataConfig): number {
  if (data.source !== undefined || data.train === undefined || data.validation !== undefined) return 0;
  const share = data.split?.validation ?? SPLIT_DEFAULTS.validation;
  return share > 0 ? share : 0;
}

/** The seed and shuffle a split (of `source`, or the carve-out of `train`) uses. */
export function splitSeed(data: DataConfig): { seed: number; shuffle: boolean } {
  return { seed: data.split?.seed ?? SPLIT_DEFAULTS.seed, shuffle: data.split?.shuffle ?? SPLIT_DEFAULTS.shuffle };
}

/** A log or metric name measured on the test split ("test_loss", "test_accuracy"): never a monitor or a ranking. */
export function isTestMetricName(name: string): boolean {
  return /^test[_.-]/i.test(name) || /^test$/i.test(name);
}

/** A log name measured on the training data (not "val_…", not "lr"). */
export function isTrainingMetricName(name: string): boolean {
  return !name.startsWith('val_') && name !== 'lr' && !isTestMetricName(name);
}
