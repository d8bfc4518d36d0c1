// Fills in every default of an experiment config, so the trainer and the run
// record see the exact settings a run used.

import type { ExperimentConfig, LossName, OptimizerConfig, TrainingConfig } from './types';

export interface ResolvedTraining {
  optimizer: Required<Pick<OptimizerConfig, 'type' | 'learningRate'>> & OptimizerConfig;
  loss: LossName;
  metrics: NonNullable<TrainingConfig['metrics']>;
  epochs: number;
  batchSize: number;
  seed: number;
  shuffle: boolean;
  earlyStopping?: { monitor: string; patience: number; minDelta: number; restoreBestWeights: boolean };
  reduceLrOnPlateau?: { monitor: string; factor: number; patience: number; minLr: number };
  checkpoint: { monitor: string };
}

export interface ResolvedConfig extends ExperimentConfig {
  training: ResolvedTraining;
}

export function defaultLoss(config: ExperimentConfig): LossName {
  if (config.task === 'regression') return 'mse';
  const layers = config.model.layers;
  const last = [...layers].reverse().find((l) => l.type === 'dense');
  return last && last.type === 'dense' && last.units === 1 ? 'binaryCrossentropy' : 'sparseCategoricalCrossentropy';
}

export function resolveConfig(config: ExperimentConfig, overrides: { epochs?: number } = {}): ResolvedConfig {
  const t = config.training ?? {};
  const hasValidation = config.data.train ? config.data.validation !== undefined : (config.data.split?.validation ?? 0.2) > 0;
  const defaultMonitor = hasValidation ? 'val_loss' : 'loss';
  return {
    ...config,
    data: { ...config.data, split: config.data.source ? { validation: 0.2, test: 0.1, seed: 42, shuffle: true, ...config.data.split } : config.data.split },
    training: {
      optimizer: { ...t.optimizer, type: t.optimizer?.type ?? 'adam', learningRate: t.optimizer?.learningRate ?? 0.001 },
      loss: t.loss ?? defaultLoss(config),
      metrics: t.metrics ?? (config.task === 'regression' ? ['mae'] : ['accuracy']),
      epochs: overrides.epochs ?? t.epochs ?? 10,
      batchSize: t.batchSize ?? 32,
      seed: t.seed ?? 1,
      shuffle: t.shuffle ?? true,
      earlyStopping: t.earlyStopping && {
        monitor: t.earlyStopping.monitor ?? defaultMonitor,
        patience: t.earlyStopping.patience ?? 3,
        minDelta: t.earlyStopping.minDelta ?? 0,
        restoreBestWeights: t.earlyStopping.restoreBestWeights ?? true,
      },
      reduceLrOnPlateau: t.reduceLrOnPlateau && {
        monitor: t.reduceLrOnPlateau.monitor ?? defaultMonitor,
        factor: t.reduceLrOnPlateau.factor ?? 0.5,
        patience: t.reduceLrOnPlateau.patience ?? 2,
        minLr: t.reduceLrOnPlateau.minLr ?? 0,
      },
      checkpoint: { monitor: t.checkpoint?.monitor ?? defaultMonitor },
    },
  };
}
