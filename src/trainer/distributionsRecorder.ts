// Records the distributions of a model's weights and gradients
// (src/core/distributions.ts) at the epochs the config asks for. The training
// loops hand it the gradients of an epoch's last batch through a GradientTap,
// before the optimizer applies them; at the epoch's end it reads the weights
// and makes one line per layer. Reading happens once per recorded epoch, so
// the cost is one copy of the parameters and their gradients per epoch.

import type * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { recordsDistributionsAt, tensorStats } from '../core/distributions';
import type { LayerDistributions, TensorStats } from '../core/distributions';

/** What a training loop calls on the last batch of an epoch (0-based `epoch`) when `wants` says so. */
export interface GradientTap {
  wants(epoch: number): boolean;
  /** The batch's gradients by variable name, read at once (the loop disposes them after). */
  take(grads: tf.NamedTensorMap): void;
}

export class DistributionsRecorder implements GradientTap {
  private gradients = new Map<string, TensorStats>();

  /** `every` epochs (0: never); the last of `epochs` is always recorded. */
  constructor(
    private readonly model: tfl.LayersModel,
    private readonly every: number,
    private readonly epochs: number,
  ) {}

  wants(epoch: number): boolean {
    return recordsDistributionsAt(this.every, epoch + 1, this.epochs);
  }

  take(grads: tf.NamedTensorMap): void {
    this.gradients.clear();
    for (const [name, g] of Object.entries(grads)) if (g) this.gradients.set(name, tensorStats(g.dataSync() as Float32Array));
  }

  /** The lines of 1-based epoch `epoch` (after its last update), or none when it is not recorded. */
  epochEnd(epoch: number): LayerDistributions[] {
    if (!this.wants(epoch - 1)) return [];
    return this.weightsNow(epoch);
  }

  /**
   * The weights as they are now, as the lines of 1-based epoch `epoch`, with the gradients taken
   * since the last recorded epoch if any: for a run stopped mid-epoch by a NaN loss, whose
   * huge or not-finite weights show which layers blew up.
   */
  weightsNow(epoch: number): LayerDistributions[] {
    const lines: LayerDistributions[] = [];
    // Named by position and kind ("#1 Dense"): tfjs's own names count layers per process, so a resumed run's differ.
    for (const [i, layer] of this.model.layers.entries()) {
      const tensors = layer.weights.map((w) => {
        const variable = w.read() as tf.Variable;
        const gradients = this.gradients.get(variable.name);
        const name = w.originalName.slice(w.originalName.lastIndexOf('/') + 1) || w.name;
        return { name, shape: variable.shape, weights: tensorStats(variable.dataSync() as Float32Array), ...(gradients ? { gradients } : {}) };
      });
      if (tensors.length) lines.push({ epoch, layer: `#${i + 1} ${layer.getClassName()}`, tensors });
    }
    this.gradients.clear();
    return lines;
  }
}
