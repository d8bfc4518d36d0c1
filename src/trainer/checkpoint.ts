// Capturing and restoring a resume checkpoint (format in node/checkpointFile.ts)
// from and into live tfjs objects: the model's weights, the optimizer's own
// state through its getWeights/setWeights (tfjs's format, so Adam's moments
// and step count, momentum's velocities…), the best epoch's weights and the
// tabular loop's shuffle order.

import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { CheckpointError, encodeCheckpoint } from '../node/checkpointFile';
import type { Checkpoint, CheckpointArray, CheckpointArrayInfo, CheckpointHeader } from '../node/checkpointFile';

export interface CheckpointParts {
  model: tfl.LayersModel;
  optimizer: tf.Optimizer;
  /** The best epoch's weights, held so a finished run can restore them. */
  best?: tf.Tensor[];
  /** The tabular loop's running shuffle order. */
  order?: Int32Array;
}

/** A tensor's values as read (encodeCheckpoint copies them into the file's buffer at once). */
function arrayOf(t: tf.Tensor): { dtype: 'float32' | 'int32'; data: CheckpointArray } {
  if (t.dtype === 'int32') return { dtype: 'int32', data: t.dataSync() as Int32Array };
  if (t.dtype === 'float32') return { dtype: 'float32', data: t.dataSync() as Float32Array };
  throw new Error(`a ${t.dtype} tensor cannot go into a checkpoint`);
}

/** The file's bytes for the state at the end of an epoch. */
export async function encodeTrainingCheckpoint(header: Omit<CheckpointHeader, 'arrays'>, parts: CheckpointParts): Promise<Uint8Array> {
  const infos: CheckpointArrayInfo[] = [];
  const arrays: CheckpointArray[] = [];
  const add = (group: CheckpointArrayInfo['group'], name: string, t: tf.Tensor) => {
    const { dtype, data } = arrayOf(t);
    infos.push({ group, name, dtype, shape: [...t.shape] });
    arrays.push(data);
  };
  parts.model.weights.forEach((w) => add('model', w.originalName, w.read()));
  const named = await parts.optimizer.getWeights();
  try {
    named.forEach((n) => add('optimizer', n.name, n.tensor));
  } finally {
    // The step count is a fresh scalar; the rest are the optimizer's own variables.
    tf.dispose(named.filter((n) => n.name === 'iter').map((n) => n.tensor));
  }
  parts.best?.forEach((t, i) => add('best', `best/${i}`, t));
  if (parts.order) {
    infos.push({ group: 'order', name: 'order', dtype: 'int32', shape: [parts.order.length] });
    arrays.push(parts.order);
  }
  return encodeCheckpoint({ ...header, arrays: infos }, arrays);
}

export interface RestoredParts {
  best?: tf.Tensor[];
  order?: Int32Array;
}

/**
 * Puts a checkpoint's weights into a freshly built model and optimizer. The
 * model must be the one the run's config builds: a different layer count or
 * shape is an error naming the first mismatch, and nothing is changed.
 */
export async function restoreTrainingCheckpoint(checkpoint: Checkpoint, file: string, model: tfl.LayersModel, optimizer: tf.Optimizer): Promise<RestoredParts> {
  const { header, arrays } = checkpoint;
  const group = (g: CheckpointArrayInfo['group']) => header.arrays.map((info, i) => ({ info, data: arrays[i] })).filter((e) => e.info.group === g);
  const weights = group('model');
  const variables = model.weights;
  if (weights.length !== variables.length) {
    throw new CheckpointError(file, `it holds ${weights.length} weight arrays but the run's model has ${variables.length}`);
  }
  weights.forEach(({ info }, i) => {
    if (!tf.util.arraysEqual(info.shape, variables[i].shape as number[])) {
      throw new CheckpointError(file, `weight ${info.name} has shape [${info.shape}] but the model's ${variables[i].originalName} is [${variables[i].shape}]`);
    }
  });
  const tensors = (entries: { info: CheckpointArrayInfo; data: CheckpointArray }[]) => entries.map(({ info, data }) => tf.tensor(data, info.shape, info.dtype));
  // Variable by variable, in model.weights' order (the order they were saved in).
  const modelTensors = tensors(weights);
  modelTensors.forEach((t, i) => variables[i].write(t));
  tf.dispose(modelTensors);

  const optimizerEntries = group('optimizer');
  if (optimizerEntries.length > 0) {
    const named = optimizerEntries.map(({ info, data }) => ({ name: info.name, tensor: tf.tensor(data, info.shape, info.dtype) }));
    try {
      await optimizer.setWeights(named);
    } catch (e) {
      throw new CheckpointError(file, `the optimizer state does not fit the run's ${optimizer.getClassName()} optimizer (${(e as Error).message})`);
    } finally {
      // setWeights made variables of its own from these.
      tf.dispose(named.map((n) => n.tensor));
    }
  }
  const best = group('best');
  const order = group('order')[0]?.data;
  return { best: best.length ? tensors(best) : undefined, order: order instanceof Int32Array ? order : undefined };
}
