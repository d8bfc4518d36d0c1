// Fills in every default of an experiment config, so the trainer and the run
// record see the exact settings a run used.

import { carvedValidationShare, hasValidationData, SPLIT_DEFAULTS } from './splitPlan';
import type { ExperimentConfig, ImageAugmentConfig, ImageDataConfig, LossName, ModelConfig, OptimizerConfig, RecommenderModelConfig, TokenizerConfig, TrainingConfig, TransformerModelConfig } from './types';

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
  /** Only when the config has one: see keptEpoch. */
  checkpoint?: { monitor: string };
  /** Only when the config has it: see distributionsEvery. */
  distributions?: { every: number } | false;
  /** Never set by resolveConfig: a fold run trains one fold (RunMeta.fold); the config's folds are read before. */
  crossValidation?: TrainingConfig['crossValidation'];
  /** Only when the config has it: the trainer resolves the count with the CLI's and the setting's (src/core/threads.ts). */
  threads?: number;
}

/** Every how many epochs a run records its weight and gradient distributions (0: never); every epoch unless the config says. */
export function distributionsEvery(training: Pick<ResolvedTraining, 'distributions'>): number {
  if (training.distributions === false) return 0;
  return training.distributions?.every ?? 1;
}

/**
 * The epoch whose weights a run keeps (in model/, and for the final evaluation): the last one,
 * as Keras does, unless `training.checkpoint` asks for the best by its monitor, or early stopping
 * with `restoreBestWeights` (its default) asks for the best by its own.
 */
export type KeptEpoch = { epoch: 'last' } | { epoch: 'best'; monitor: string; askedBy: 'training.checkpoint' | 'training.earlyStopping' };

export function keptEpoch(training: Pick<ResolvedTraining, 'checkpoint' | 'earlyStopping'>): KeptEpoch {
  if (training.checkpoint) return { epoch: 'best', monitor: training.checkpoint.monitor, askedBy: 'training.checkpoint' };
  if (training.earlyStopping?.restoreBestWeights) return { epoch: 'best', monitor: training.earlyStopping.monitor, askedBy: 'training.earlyStopping' };
  return { epoch: 'last' };
}

export interface ResolvedConfig extends ExperimentConfig {
  training: ResolvedTraining;
}

export type ResolvedTransformer = Required<TransformerModelConfig>;
export type ResolvedTokenizer = Required<TokenizerConfig>;

export function isTransformerModel(model: ModelConfig): model is TransformerModelConfig {
  return model.type === 'transformerEncoder' || model.type === 'transformerDecoder';
}

export function isRecommenderModel(model: ModelConfig): model is RecommenderModelConfig {
  return model.type === 'matrixFactorization' || model.type === 'neuralRecommender';
}

/** Text tasks read text through a tokenizer: text classification and language modelling. */
export function isTextExperiment(config: Pick<ExperimentConfig, 'task' | 'data' | 'model'>): boolean {
  return config.task === 'language-model' || config.task === 'masked-language-model' || config.data.text !== undefined || isTransformerModel(config.model);
}

/** Image classification: the data are images (`data.image`). */
export function isImageExperiment(config: Pick<ExperimentConfig, 'data'>): boolean {
  return config.data.image !== undefined;
}

export interface ResolvedImage {
  size: [number, number];
  channels: 1 | 3;
  scaling: 'unit' | 'standardize';
  column: string;
  onError: 'fail' | 'skip';
  augment?: Required<ImageAugmentConfig>;
}

/** An image config with every default filled in; augmentation only when it changes something. */
export function resolveImage(image: ImageDataConfig): ResolvedImage {
  const a = image.augment;
  const augment = a && (a.flip || a.shift || a.rotate || a.brightness) ? { flip: a.flip ?? false, shift: a.shift ?? 0, rotate: a.rotate ?? 0, brightness: a.brightness ?? 0 } : undefined;
  return { size: image.size, channels: image.channels ?? 3, scaling: image.scaling ?? 'unit', column: image.column ?? 'path', onError: image.onError ?? 'fail', ...(augment ? { augment } : {}) };
}

export const DEFAULT_SEQUENCE_LENGTH = 64;

/**
 * The model's and the tokenizer's maxLength default to each other, so one
 * setting is enough: the tokenizer cuts texts to what the positions cover.
 */
export function resolveTransformer(model: TransformerModelConfig, tokenizer: TokenizerConfig = {}): ResolvedTransformer {
  const dModel = model.dModel ?? 64;
  return {
    type: model.type,
    layers: model.layers ?? 2,
    heads: model.heads ?? 4,
    dModel,
    // 2× rather than the paper's 4×: on the wasm backend the feed-forward is most of the time.
    ffDim: model.ffDim ?? 2 * dModel,
    dropout: model.dropout ?? 0.1,
    maxLength: model.maxLength ?? tokenizer.maxLength ?? DEFAULT_SEQUENCE_LENGTH,
    positional: model.positional ?? 'learned',
    pooling: model.pooling ?? 'mean',
  };
}

export function resolveTokenizer(config: Pick<ExperimentConfig, 'task' | 'data' | 'model'>): ResolvedTokenizer {
  const t = config.data.tokenizer ?? {};
  const type = t.type ?? (config.task === 'language-model' ? 'char' : 'word');
  const modelMax = isTransformerModel(config.model) ? config.model.maxLength : undefined;
  return {
    type,
    lowercase: t.lowercase ?? type === 'word',
    punctuation: t.punctuation ?? (type === 'word' ? 'split' : 'keep'),
    // Character vocabularies stay small for alphabetic text but not for Chinese.
    vocabSize: t.vocabSize ?? (type === 'word' ? 8000 : 3000),
    maxLength: t.maxLength ?? modelMax ?? DEFAULT_SEQUENCE_LENGTH,
  };
}

export function defaultLoss(config: ExperimentConfig): LossName {
  if (config.task === 'regression') return 'mse';
  if (isTransformerModel(config.model)) return 'sparseCategoricalCrossentropy';
  // A recommender scores (user, item) pairs: clicked or not, against sampled non-clicks.
  if (config.task === 'recommendation' || isRecommenderModel(config.model)) return 'binaryCrossentropy';
  const layers = config.model.layers;
  const last = [...layers].reverse().find((l) => l.type === 'dense');
  return last && last.type === 'dense' && last.units === 1 ? 'binaryCrossentropy' : 'sparseCategoricalCrossentropy';
}

export function resolveConfig(config: ExperimentConfig, overrides: { epochs?: number } = {}): ResolvedConfig {
  const t = config.training ?? {};
  const hasValidation = hasValidationData(config);
  const defaultMonitor = hasValidation ? 'val_loss' : 'loss';
  const text = isTextExperiment(config);
  const tokenizer = text ? resolveTokenizer(config) : undefined;
  return {
    ...config,
    data: {
      ...config.data,
      split: config.data.source
        ? { ...SPLIT_DEFAULTS, ...config.data.split }
        : carvedValidationShare(config.data) > 0
          ? { validation: SPLIT_DEFAULTS.validation, seed: SPLIT_DEFAULTS.seed, shuffle: SPLIT_DEFAULTS.shuffle, ...config.data.split }
          : config.data.split,
      ...(tokenizer ? { tokenizer } : {}),
    },
    // model.base kept: a run's recorded config says what it was fine-tuned from.
    model: isTransformerModel(config.model) ? { ...resolveTransformer(config.model, config.data.tokenizer), ...(config.model.base !== undefined ? { base: config.model.base } : {}) } : config.model,
    training: {
      optimizer: { ...t.optimizer, type: t.optimizer?.type ?? 'adam', learningRate: t.optimizer?.learningRate ?? 0.001 },
      loss: t.loss ?? defaultLoss(config),
      metrics: t.metrics ?? (config.task === 'regression' ? ['mae'] : config.task === 'language-model' || config.task === 'recommendation' ? [] : ['accuracy']),
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
      ...(t.checkpoint ? { checkpoint: { monitor: t.checkpoint.monitor ?? defaultMonitor } } : {}),
      ...(t.threads === undefined ? {} : { threads: t.threads }),
      ...(t.distributions === undefined ? {} : { distributions: t.distributions === false ? false : { every: (t.distributions === true ? undefined : t.distributions.every) ?? 1 } }),
    },
  };
}
