// The tabular tasks (regression, classification), from config to trained
// MLP: loading the columns, preprocessing with statistics of the training
// split only, a stack of layers trained by trainModel (model.fit's semantics,
// faster), and evaluation on the held-out split.

import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { totalRows } from '../core/dataset';
import { classificationMetrics, regressionEvaluation } from '../core/evaluationMetrics';
import { fitPreprocessor, inverseTarget, scaledTargetLog, transformTable } from '../core/preprocess';
import { logText } from '../core/trainerLogTable';
import type { StageReporter, TrainerLog } from '../core/protocol/trainer';
import type { Encoded, FittedPreprocessor } from '../core/preprocess';
import { isRecommenderModel, isTransformerModel } from '../core/resolvedConfig';
import type { ResolvedConfig } from '../core/resolvedConfig';
import type { Evaluation } from '../core/types';
import { loadSplits } from '../node/dataFiles';
import { partRowsLog } from '../core/crossValidation';
import type { TrainingDataPart } from '../core/crossValidation';
import { buildSequential, summarize } from './model';
import { saveModel } from './modelIo';
import { fitInOrder } from './preparedExperiment';
import type { PreparedExperiment } from './preparedExperiment';

type Stage = StageReporter;
type Log = TrainerLog;

function tensorsFor(config: ResolvedConfig, p: FittedPreprocessor, e: Encoded): { x: tf.Tensor2D; y: tf.Tensor } {
  const x = tf.tensor2d(e.x, [e.rows, p.inputNames.length]);
  if (config.task === 'regression' || config.training.loss === 'binaryCrossentropy') return { x, y: tf.tensor2d(e.y, [e.rows, 1]) };
  if (config.training.loss === 'categoricalCrossentropy') {
    const idx = tf.tensor1d(Int32Array.from(e.y), 'int32');
    const y = tf.oneHot(idx, p.labels!.length);
    idx.dispose();
    return { x, y: tf.cast(y, 'float32') };
  }
  return { x, y: tf.tensor1d(e.y) };
}

/** The tabular path: columns → preprocessing → a stack of layers trained by trainModel (model.fit's semantics, faster). */
export function prepareTabularExperiment(config: ResolvedConfig, configPath: string, stage: Stage, log: Log, part?: TrainingDataPart): PreparedExperiment {
  // ── data
  stage('data', 'running');
  const splits = loadSplits(config.data, configPath, part);
  stage('data', 'done', partRowsLog(totalRows(splits), part));

  // ── preprocessing (statistics from the training split only)
  stage('preprocess', 'running');
  const pre = fitPreprocessor(config, splits.train);
  const train = transformTable(pre, splits.train);
  const val = splits.validation ? transformTable(pre, splits.validation) : undefined;
  const test = splits.test ? transformTable(pre, splits.test) : undefined;
  const skipped = train.skipped + (val?.skipped ?? 0) + (test?.skipped ?? 0);
  if (skipped) log(logText('tabular.rowsSkipped', skipped), 'warn');
  if (train.rows === 0) throw new Error('no training rows are left after preprocessing');
  const dataSizes = { train: train.rows, validation: val?.rows ?? 0, test: test?.rows ?? 0 };
  stage('preprocess', 'done', logText('stage.inputsSplits', pre.inputNames.length, dataSizes.train, dataSizes.validation, dataSizes.test));
  log(logText('data.splitsInputs', dataSizes.train, dataSizes.validation, dataSizes.test, pre.inputNames.length));
  const scaledTarget = scaledTargetLog(pre, config.training.loss, config.training.metrics);
  if (scaledTarget) log(scaledTarget);

  const tensors: tf.Tensor[] = [];
  const trainT = tensorsFor(config, pre, train);
  tensors.push(trainT.x, trainT.y);
  const valT = val && val.rows > 0 ? tensorsFor(config, pre, val) : undefined;
  if (valT) tensors.push(valT.x, valT.y);

  // ── model
  if (isTransformerModel(config.model) || isRecommenderModel(config.model)) throw new Error('this model type does not read tabular features'); // validation rules this out
  const model = buildSequential(config.model.layers, [pre.inputNames.length]);
  const dispose = () => {
    tf.dispose(tensors);
    model.dispose();
  };
  try {
    const outUnits = (model.outputs[0].shape as number[])[1];
    if (config.task === 'classification') {
      const k = pre.labels!.length;
      const need = config.training.loss === 'binaryCrossentropy' ? 1 : k;
      if (config.training.loss === 'binaryCrossentropy' && k !== 2) throw new Error(`"binaryCrossentropy" needs exactly two classes; the target "${pre.target}" has ${k} (${pre.labels!.slice(0, 8).join(', ')})`);
      if (outUnits !== need) throw new Error(`the last dense layer has ${outUnits} units but the target "${pre.target}" has ${k} classes (${pre.labels!.slice(0, 8).join(', ')}); set "units": ${need}`);
    }
  } catch (e) {
    dispose();
    throw e;
  }
  const metrics = config.training.metrics.filter((m) => m === 'mae' || m === 'mse' || m === 'accuracy');
  // The running shuffle order: each epoch permutes the last one's, so a checkpoint carries it.
  const order = Int32Array.from({ length: train.rows }, (_, i) => i);

  return {
    model,
    summary: summarize(model, pre.inputNames.length),
    dataSizes,
    hasValidation: valT !== undefined,
    fit: (args) => fitInOrder({ model, x: trainT.x, y: trainT.y, validation: valT, order, unit: 'rows', loss: config.training.loss, metrics }, args),
    loopState: () => ({ order }),
    save: (dir) => saveModel(model, dir, pre),
    evaluate: async () => {
      const evalSet = test && test.rows > 0 ? { e: test, split: 'test' as const } : val && val.rows > 0 ? { e: val, split: 'validation' as const } : undefined;
      return evalSet && evaluateTabular(model, config, pre, evalSet.e, evalSet.split);
    },
    dispose,
  };
}

function evaluateTabular(model: tfl.LayersModel, config: ResolvedConfig, pre: FittedPreprocessor, e: Encoded, split: 'test' | 'validation'): Evaluation {
  const d = pre.inputNames.length;
  const predicted = tf.tidy(() => {
    const out = model.predict(tf.tensor2d(e.x, [e.rows, d])) as tf.Tensor;
    if (config.task === 'regression') return tf.reshape(out, [e.rows]);
    if (out.shape[1] === 1) return tf.cast(tf.greater(tf.reshape(out, [e.rows]), 0.5), 'int32');
    return tf.argMax(out, 1);
  });
  const values = predicted.dataSync();
  predicted.dispose();
  if (config.task === 'regression') {
    const actual = Array.from(e.y, (v) => inverseTarget(pre, v));
    const pred = Array.from(values, (v) => inverseTarget(pre, v));
    return regressionEvaluation(split, actual, pred);
  }
  const actual = Array.from(e.y, (v) => Math.round(v));
  const pred = Array.from(values, (v) => Math.round(v));
  const labels = pre.labels!;
  return { task: 'classification', split, count: actual.length, labels, ...classificationMetrics(actual, pred, labels) };
}
