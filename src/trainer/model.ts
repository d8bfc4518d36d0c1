// Building a tfjs-layers model from the config, its optimizer and loss, and
// a Keras-style summary.

import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { size2d } from '../core/layerShapes';
import { formatLogText, modelSummaryLog } from '../core/trainerLogTable';
import type { LayerConfig, LossName, ModelSummary, OptimizerConfig } from '../core/types';

type LossFn = (yTrue: tf.Tensor, yPred: tf.Tensor) => tf.Tensor;

const INITIALIZERS: Record<string, string> = {
  glorotUniform: 'glorotUniform',
  glorotNormal: 'glorotNormal',
  heUniform: 'heUniform',
  heNormal: 'heNormal',
  leCunNormal: 'leCunNormal',
  zeros: 'zeros',
  ones: 'ones',
};

function tfActivation(a: string | undefined): any {
  if (a === undefined) return undefined;
  if (a === 'gelu') return 'gelu';
  return a;
}

function buildLayer(cfg: LayerConfig, index: number, inputShape: number[] | undefined): tfl.layers.Layer {
  const common: { name?: string; inputShape?: number[] } = {};
  if (cfg.name) common.name = cfg.name;
  if (inputShape) common.inputShape = inputShape;
  switch (cfg.type) {
    case 'dense':
      return tfl.layers.dense({
        ...common,
        units: cfg.units,
        activation: tfActivation(cfg.activation),
        useBias: cfg.useBias ?? true,
        kernelInitializer: (cfg.kernelInitializer ? INITIALIZERS[cfg.kernelInitializer] : 'glorotUniform') as any,
      });
    case 'conv2d':
      return tfl.layers.conv2d({
        ...common,
        filters: cfg.filters,
        kernelSize: size2d(cfg.kernelSize),
        strides: size2d(cfg.strides ?? 1),
        padding: cfg.padding ?? 'valid',
        activation: tfActivation(cfg.activation),
        useBias: cfg.useBias ?? true,
        kernelInitializer: (cfg.kernelInitializer ? INITIALIZERS[cfg.kernelInitializer] : 'glorotUniform') as any,
      });
    case 'maxPooling2d':
    case 'averagePooling2d': {
      const poolSize = size2d(cfg.poolSize ?? 2);
      const args = { ...common, poolSize, strides: cfg.strides !== undefined ? size2d(cfg.strides) : poolSize, padding: cfg.padding ?? 'valid' };
      return cfg.type === 'maxPooling2d' ? tfl.layers.maxPooling2d(args) : tfl.layers.averagePooling2d(args);
    }
    case 'globalAveragePooling2d':
      return tfl.layers.globalAveragePooling2d(common);
    case 'flatten':
      return tfl.layers.flatten(common);
    case 'dropout':
      return tfl.layers.dropout({ ...common, rate: cfg.rate });
    case 'batchNormalization':
      return tfl.layers.batchNormalization({ ...common, momentum: cfg.momentum ?? 0.99, epsilon: cfg.epsilon ?? 1e-3 });
    case 'layerNormalization':
      return tfl.layers.layerNormalization({ ...common, epsilon: cfg.epsilon ?? 1e-3 });
    case 'activation':
      return tfl.layers.activation({ ...common, activation: tfActivation(cfg.activation) });
    default:
      throw new Error(`model.layers[${index}]: unknown layer type ${JSON.stringify((cfg as { type: unknown }).type)}`);
  }
}

/**
 * A stack of layers on inputs of `inputShape` (without the batch dimension):
 * `[features]` for tabular data, `[height, width, channels]` for images.
 */
export function buildSequential(layers: LayerConfig[], inputShape: readonly number[]): tfl.Sequential {
  const model = tfl.sequential();
  layers.forEach((cfg, i) => model.add(buildLayer(cfg, i, i === 0 ? [...inputShape] : undefined)));
  return model;
}

export function buildOptimizer(cfg: OptimizerConfig & { learningRate: number }): tf.Optimizer {
  const lr = cfg.learningRate;
  switch (cfg.type) {
    case 'sgd':
      return tf.train.sgd(lr);
    case 'momentum':
      return tf.train.momentum(lr, cfg.momentum ?? 0.9);
    case 'adam':
      return tf.train.adam(lr, cfg.beta1 ?? 0.9, cfg.beta2 ?? 0.999, cfg.epsilon ?? 1e-7);
    case 'rmsprop':
      return tf.train.rmsprop(lr, 0.9, cfg.momentum ?? 0, cfg.epsilon ?? 1e-7);
    case 'adagrad':
      return tf.train.adagrad(lr);
  }
}

/** Changes an optimizer's learning rate in place (for reduce-LR-on-plateau). */
export function setLearningRate(opt: tf.Optimizer, lr: number): void {
  const o = opt as unknown as { setLearningRate?: (lr: number) => void; learningRate: number };
  // SGD (and momentum, its subclass) cache the rate as a tensor and expose a setter;
  // the others read `learningRate` at every step.
  if (typeof o.setLearningRate === 'function') o.setLearningRate(lr);
  o.learningRate = lr;
}

export function getLearningRate(opt: tf.Optimizer): number {
  return (opt as unknown as { learningRate: number }).learningRate;
}

const huber: LossFn = (yTrue, yPred) => tf.losses.huberLoss(yTrue, yPred, undefined, 1.0);

export function buildLoss(loss: LossName): string | LossFn {
  switch (loss) {
    case 'mse':
      return 'meanSquaredError';
    case 'mae':
      return 'meanAbsoluteError';
    case 'huber':
      return huber;
    default:
      return loss;
  }
}

/**
 * `input`: the input shape without the batch dimension — a size, a shape such as
 * [height, width, channels], or null for a sequence of token ids of any length.
 */
export function summarize(model: tfl.LayersModel, input: number | null | readonly number[]): ModelSummary {
  const layers = model.layers.map((l) => {
    const shape = l.outputShape as (number | null)[];
    // Our custom layers carry a prefix in their registered class name; the summary shows the plain name.
    return { name: l.name, type: l.getClassName().replace(/^ModelLab/, ''), outputShape: Array.isArray(shape[0]) ? (shape[0] as unknown as (number | null)[]) : shape, params: l.countParams() };
  });
  const trainableParams = model.trainableWeights.reduce((s, w) => s + (w.shape as number[]).reduce((a, b) => a * b, 1), 0);
  return { layers, totalParams: layers.reduce((s, l) => s + l.params, 0), trainableParams, inputShape: [null, ...(Array.isArray(input) ? input : [input as number | null])] };
}

/** The summary as Keras prints it, for the CLI and the log. */
export function formatSummary(s: ModelSummary): string {
  return formatLogText(modelSummaryLog(s));
}
