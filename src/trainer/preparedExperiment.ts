// What the engine's training loop needs from an experiment once its data is
// loaded and its model built — the same for a tabular MLP (trained with
// model.fit) and a Transformer (trained with its own loop over token batches).
// fitInOrder is the fit of the loops that train with trainModel on a running
// shuffle order (tabular, image).

import type * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import type { Evaluation, LossName, ModelSummary } from '../core/types';
import { buildLoss } from './model';
import { trainModel } from './trainLoop';
import type { BatchInputs, StepPath } from './trainLoop';
import type { GradientTap } from './distributionsRecorder';

export interface FitArgs {
  epochs: number;
  batchSize: number;
  shuffle: boolean;
  seed: number;
  optimizer: tf.Optimizer;
  /** Called as model.fit calls them; setting model.stopTraining ends training after the batch. */
  callbacks: tfl.CustomCallbackArgs;
  /** Carry on from a checkpoint: start after its last finished epoch, with the loop's saved state. */
  resume?: { epochsDone: number; loop: LoopState };
  /** Handed the gradients of an epoch's last batch, before they are applied, at the epochs it wants them. */
  gradients?: GradientTap;
  /** Told which step trains (loops that train with trainModel): the one-call step of fusedStep.ts, or the general path and why. */
  onStepPath?: (path: StepPath) => void;
}

/** What a training loop keeps between epochs beyond the model and optimizer (saved in checkpoints). */
export interface LoopState {
  /** Position of the loop's own seeded generator (batch order, negatives, window offsets). */
  random?: number;
  /** The running shuffle order of a loop that permutes it epoch after epoch. */
  order?: Int32Array;
}

export interface PreparedExperiment {
  model: tfl.LayersModel;
  summary: ModelSummary;
  /** Rows (tabular, text classification) or sequences (language model) per split. */
  dataSizes: { train: number; validation: number; test: number };
  /** Whether val_* values are logged each epoch. */
  hasValidation: boolean;
  /** The optimizer the loop steps, when the experiment builds its own (a fine-tuned run's base and head): else the engine builds the config's. */
  optimizer?: tf.Optimizer;
  fit(args: FitArgs): Promise<void>;
  /** The loop's state at the end of the current epoch (read inside onEpochEnd, for a checkpoint). */
  loopState(): LoopState;
  /** Writes the model folder (model, weights and whatever prediction needs beside them). */
  save(dir: string): Promise<void>;
  /** On the test split, else the validation split; undefined when there is neither. */
  evaluate(): Promise<Evaluation | undefined>;
  dispose(): void;
}

/** A model trained by trainModel on a running shuffle order (tabular rows, images). */
export interface OrderedFit {
  model: tfl.LayersModel;
  x: tf.Tensor | BatchInputs;
  y: tf.Tensor;
  validation?: { x: tf.Tensor; y: tf.Tensor };
  /** The running shuffle order, read back for checkpoints. */
  order: Int32Array;
  /** What the order counts, for the message when a checkpoint's order does not fit ("rows", "images"). */
  unit: string;
  loss: LossName;
  metrics: string[];
}

/**
 * Restores a checkpoint's shuffle order (refused when the training split changed size since the
 * run started), compiles the model with the config's loss and metrics, and trains it from the
 * checkpoint's epoch on.
 */
export async function fitInOrder(f: OrderedFit, { epochs, batchSize, shuffle, optimizer, callbacks, resume, gradients, onStepPath }: FitArgs): Promise<void> {
  const { order } = f;
  if (resume?.loop.order) {
    if (resume.loop.order.length !== order.length) throw new Error(`the checkpoint's shuffle order has ${resume.loop.order.length} ${f.unit} but the training split has ${order.length}: the data changed since the run started`);
    order.set(resume.loop.order);
  }
  f.model.compile({ optimizer, loss: buildLoss(f.loss) as any, metrics: f.metrics });
  await trainModel(f.model, f.x, f.y, {
    epochs,
    batchSize,
    shuffle,
    validationData: f.validation ? [f.validation.x, f.validation.y] : undefined,
    callbacks,
    initialEpoch: resume?.epochsDone,
    order,
    gradients,
    onStepPath,
  });
}
