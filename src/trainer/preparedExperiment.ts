// What the engine's training loop needs from an experiment once its data is
// loaded and its model built — the same for a tabular MLP (trained with
// model.fit) and a Transformer (trained with its own loop over token batches).

import type * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import type { Evaluation, ModelSummary } from '../core/types';

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
  fit(args: FitArgs): Promise<void>;
  /** The loop's state at the end of the current epoch (read inside onEpochEnd, for a checkpoint). */
  loopState(): LoopState;
  /** Writes the model folder (model, weights and whatever prediction needs beside them). */
  save(dir: string): Promise<void>;
  /** On the test split, else the validation split; undefined when there is neither. */
  evaluate(): Promise<Evaluation | undefined>;
  dispose(): void;
}
