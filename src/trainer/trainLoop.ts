// The training loop: what tfjs-layers' model.fit does, for a compiled model
// with one input and one output, without its per-batch costs. fit reads every
// batch's loss and metrics asynchronously, runs a callback list, and yields to
// the event loop after every batch; for a small model that overhead is most of
// the step. Here a step is one tidy: slice the batch, compute gradients, apply
// them (Adam in one fused kernel where the backend has it), read the loss — or,
// for a stack of Dense layers on wasm, one call that does all of it on the
// wasm heap with the same numbers (fusedStep.ts; onStepPath says which).
//
// Same semantics as fit: the model's compiled loss, metrics and regularizer
// losses; per-epoch logs averaged over samples (`loss`, metrics, `val_*`);
// shuffling with Math.random (tf.util.shuffle), so a seeded Math.random gives
// the same run; `model.stopTraining = true` stops after the current batch.
// Unlike fit, an epoch that a stop cuts short gets no onEpochEnd: epochs are
// only ever whole ones (a checkpoint, and a resume, start from the last).

import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { fusedSequentialForward, meanSquaredErrorFused } from './fusedLayers';
import type { GradientTap } from './distributionsRecorder';
import { applyAdamFused } from './kernels/adamUpdate';
import { denseStackStep } from './fusedStep';

export type NumericLogs = Record<string, number>;

export interface TrainLoopCallbacks {
  onEpochBegin?: (epoch: number) => unknown;
  /** After every batch, with the batch's `loss` and metrics as numbers. */
  onBatchEnd?: (batch: number, logs: NumericLogs) => unknown;
  onEpochEnd?: (epoch: number, logs: NumericLogs) => unknown;
}

export interface TrainLoopArgs {
  epochs: number;
  batchSize: number;
  shuffle?: boolean;
  validationData?: [tf.Tensor, tf.Tensor];
  callbacks?: TrainLoopCallbacks;
  /** Longest run of batches without yielding to the event loop (abort signals, IPC). */
  yieldEveryMs?: number;
  /** The epoch to start at (0-based), as Keras's initialEpoch: a resumed run carries on from its checkpoint. */
  initialEpoch?: number;
  /**
   * The running shuffle order, shuffled in place each epoch (every epoch
   * permutes the previous epoch's order). Pass it to read it back for a
   * checkpoint, or to continue a saved one; identity order when absent.
   */
  order?: Int32Array;
  /** Handed the gradients of each epoch's last batch, at the epochs it wants them (weight and gradient distributions). */
  gradients?: GradientTap;
  /**
   * false: every step through the engine (the general path), even where the
   * one-call step of fusedStep.ts would take it. Default true.
   */
  fastStep?: boolean;
  /** Told once, before the first step, which path trains: the one-call step, or the general path and why. */
  onStepPath?: (path: StepPath) => void;
}

/** Which step trainModel runs: `fast` (fusedStep.ts) or the general path, with the reason in words. */
export type StepPath = { fast: true } | { fast: false; reason: string };

type LossOrMetricFn = (yTrue: tf.Tensor, yPred: tf.Tensor) => tf.Tensor;

/**
 * Inputs made batch by batch instead of sliced from one tensor (images
 * augmented anew each epoch): `batch` gets the rows of one batch, in the
 * epoch's shuffled order, and returns their input tensor, which the loop
 * disposes. Called once per batch, in order.
 */
export interface BatchInputs {
  rows: number;
  batch(rows: Int32Array): tf.Tensor;
}

function isBatchInputs(x: tf.Tensor | BatchInputs): x is BatchInputs {
  return typeof (x as BatchInputs).batch === 'function';
}

function identity(rows: number): Int32Array {
  return Int32Array.from({ length: rows }, (_, i) => i);
}

/** The parts of a compiled tfjs-layers model that fit uses and does not expose in its types. */
interface CompiledModel {
  optimizer: tf.Optimizer;
  loss: string | string[] | LossOrMetricFn | unknown;
  lossFunctions: LossOrMetricFn[];
  metricsTensors: [LossOrMetricFn, number][];
  metricsNames: string[];
  collectedTrainableWeights?: tfl.LayerVariable[];
  isTraining: boolean;
  stopTraining: boolean;
  calculateLosses(): tf.Scalar[];
}

/** Validation rows evaluated per forward pass: larger than a training batch, as there is no backward pass to hold. */
const EVAL_CHUNK_ROWS = 512;

function rowsOf(t: tf.Tensor, start: number, count: number): tf.Tensor {
  const begin = t.shape.map((_, i) => (i === 0 ? start : 0));
  const size = t.shape.map((d, i) => (i === 0 ? count : d));
  return tf.slice(t, begin, size);
}

/**
 * One optimizer step on the loss that `loss` computes (a forward pass): its
 * gradients with respect to `variables`, applied — Adam in one fused kernel
 * where the backend has it. Returns the loss; the caller disposes it.
 * `onGradients` sees the gradients before they are applied.
 */
export function trainStep(optimizer: tf.Optimizer, variables: tf.Variable[], loss: () => tf.Scalar, onGradients?: (grads: tf.NamedTensorMap) => void): tf.Scalar {
  return tf.tidy(() => {
    const { value, grads } = optimizer.computeGradients(loss, variables);
    onGradients?.(grads);
    if (!applyAdamFused(optimizer, grads)) optimizer.applyGradients(grads);
    return value;
  });
}

/** Trains `model` (compiled) on x, y like model.fit(x, y, args) with verbose 0. */
export async function trainModel(model: tfl.LayersModel, x: tf.Tensor | BatchInputs, y: tf.Tensor, args: TrainLoopArgs): Promise<void> {
  // A Sequential compiles, trains and stops the functional model it wraps.
  const inner = (model as unknown as { model?: tfl.LayersModel }).model;
  const m = (inner ?? model) as unknown as CompiledModel;
  if (!m.optimizer || !m.lossFunctions?.length) throw new Error('the model must be compiled before training');
  if (m.isTraining) throw new Error('the model is already training');
  const source = isBatchInputs(x) ? x : undefined;
  const rows = source ? source.rows : (x as tf.Tensor).shape[0];
  if (y.shape[0] !== rows) throw new Error(`inputs have ${rows} rows but targets have ${y.shape[0]}`);
  const optimizer = m.optimizer;
  const lossFn = m.lossFunctions[0];
  const forward = fusedSequentialForward(model) ?? ((xb: tf.Tensor, training: boolean) => model.apply(xb, { training }) as tf.Tensor);
  const batchLoss = m.loss === 'meanSquaredError' ? meanSquaredErrorFused : (yb: tf.Tensor, predicted: tf.Tensor) => tf.mean(lossFn(yb, predicted)) as tf.Scalar;
  const metricFns = m.metricsTensors.map(([fn]) => fn);
  const labels = m.metricsNames; // ['loss', ...metrics]
  const variables = (m.collectedTrainableWeights ?? model.trainableWeights).map((w) => w.read() as tf.Variable);
  const cb = args.callbacks ?? {};
  const yieldEveryMs = args.yieldEveryMs ?? 50;
  const batchSize = Math.max(1, Math.floor(args.batchSize));
  const order = args.order ?? identity(rows);
  if (order.length !== rows) throw new Error(`the shuffle order has ${order.length} entries for ${rows} rows`);
  let lastYield = performance.now();
  const fast = args.fastStep === false ? 'the general path was asked for' : source ? 'inputs made batch by batch' : denseStackStep(model, m, variables, x, y, batchSize);
  args.onStepPath?.(typeof fast === 'string' ? { fast: false, reason: fast } : { fast: true });

  m.isTraining = true;
  m.stopTraining = false;
  try {
    for (let epoch = args.initialEpoch ?? 0; epoch < args.epochs; epoch++) {
      await cb.onEpochBegin?.(epoch);
      let xs = source ? undefined : (x as tf.Tensor);
      let ys = y;
      if (args.shuffle) {
        tf.util.shuffle(order);
        const idx = tf.tensor1d(order, 'int32');
        ys = tf.gather(y, idx);
        if (xs) xs = tf.gather(xs, idx);
        idx.dispose();
      }
      // The rows of each batch for batch inputs: the epoch's order, or the rows as they are.
      const batchRows = args.shuffle || !source ? order : identity(rows);
      const sums = new Array<number>(labels.length).fill(0);
      let cutShort = false;
      try {
        for (let batch = 0, start = 0; start < rows; batch++, start += batchSize) {
          const size = Math.min(batchSize, rows - start);
          const tap = args.gradients && start + size >= rows && args.gradients.wants(epoch) ? args.gradients : undefined;
          const logs: NumericLogs = { batch, size };
          if (typeof fast !== 'string') {
            fast.run(xs!, ys, start, size, tap && ((grads) => tap.take(grads))).forEach((v, i) => {
              logs[labels[i]] = v;
              sums[i] += v * size;
            });
          } else {
            const outs = tf.tidy(() => {
              const xb = source ? source.batch(batchRows.subarray(start, start + size)) : rowsOf(xs!, start, size);
              const yb = rowsOf(ys, start, size);
              const metricValues: tf.Tensor[] = [];
              const value = trainStep(optimizer, variables, () => {
                const predicted = forward(xb, true);
                let loss: tf.Tensor = batchLoss(yb, predicted);
                for (const fn of metricFns) metricValues.push(tf.keep(tf.mean(fn(yb, predicted))));
                for (const r of m.calculateLosses()) loss = tf.add(loss, r);
                return loss as tf.Scalar;
              }, tap && ((grads) => tap.take(grads)));
              return [value, ...metricValues];
            });
            outs.forEach((t, i) => {
              const v = t.dataSync()[0];
              logs[labels[i]] = v;
              sums[i] += v * size;
            });
            tf.dispose(outs);
          }
          await cb.onBatchEnd?.(batch, logs);
          if (m.stopTraining) {
            cutShort = start + size < rows;
            break;
          }
          if (performance.now() - lastYield >= yieldEveryMs) {
            await new Promise((resolve) => setImmediate(resolve));
            lastYield = performance.now();
          }
        }
      } finally {
        if (ys !== y) tf.dispose(xs && xs !== x ? [xs, ys] : ys);
      }
      // An epoch cut short by a stop is not an epoch: no averages over rows it never saw, no epoch end.
      if (cutShort) break;
      const epochLogs: NumericLogs = {};
      labels.forEach((label, i) => (epochLogs[label] = sums[i] / rows));
      if (args.validationData) Object.assign(epochLogs, evaluateLogs(model, args.validationData[0], args.validationData[1], lossFn, metricFns, labels, 'val_'));
      await cb.onEpochEnd?.(epoch, epochLogs);
      if (m.stopTraining) break;
    }
  } finally {
    m.isTraining = false;
    if (typeof fast !== 'string') fast.dispose();
  }
}

/** Loss and metrics of the model on (x, y), averaged over rows, as fit reports them for validation data. */
function evaluateLogs(model: tfl.LayersModel, x: tf.Tensor, y: tf.Tensor, lossFn: LossOrMetricFn, metricFns: LossOrMetricFn[], labels: string[], prefix: string): NumericLogs {
  const rows = x.shape[0];
  const sums = new Array<number>(labels.length).fill(0);
  for (let start = 0; start < rows; start += EVAL_CHUNK_ROWS) {
    const size = Math.min(EVAL_CHUNK_ROWS, rows - start);
    const values = tf.tidy(() => {
      const yb = rowsOf(y, start, size);
      const predicted = model.apply(rowsOf(x, start, size), { training: false }) as tf.Tensor;
      const parts = [tf.mean(lossFn(yb, predicted)), ...metricFns.map((fn) => tf.mean(fn(yb, predicted)))];
      return tf.stack(parts);
    });
    const v = values.dataSync();
    values.dispose();
    for (let i = 0; i < labels.length; i++) sums[i] += v[i] * size;
  }
  const logs: NumericLogs = {};
  labels.forEach((label, i) => (logs[prefix + label] = rows > 0 ? sums[i] / rows : NaN));
  return logs;
}
