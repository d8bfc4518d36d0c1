// A training step's forward pass with fewer, larger tape entries. Through
// tfjs-layers, a Dense layer records a matMul, a bias add and an activation on
// the gradient tape, each saving copies of its inputs; its backward pass is a
// dozen kernels. For a small model (the first-lesson MLP) that per-kernel
// overhead, not arithmetic, is most of the step. `denseFused` is the same
// layer as one op with a hand-written gradient: forward one fused matMul,
// backward four kernels. Same math as the layer; test/unit/fusedLayers.test.ts
// checks outputs and gradients against tfjs-layers'.

import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { activationGrad } from './kernels/activationGrad';
import type { OutputDifferentiable } from './kernels/activationGrad';
import { dense, hasDenseKernel } from './kernels/dense';

type FusedActivation = 'linear' | OutputDifferentiable;
type GradFunc = Parameters<typeof tf.customGrad>[0];

const FUSED_ACTIVATIONS = new Set<string>(['linear', 'relu', 'sigmoid', 'tanh']);

function denseForward(x: tf.Tensor2D, w: tf.Tensor2D, b: tf.Tensor1D | undefined, activation: FusedActivation): tf.Tensor2D {
  if (activation !== 'tanh' && hasDenseKernel(activation) && x.dtype === 'float32') return dense(x, w, b, activation);
  // tanh is not among tf.fused's activations.
  if (activation === 'tanh') return tf.tanh(tf.fused.matMul({ a: x, b: w, bias: b }));
  return tf.fused.matMul({ a: x, b: w, bias: b, activation });
}

function denseGrads(activation: FusedActivation, hasBias: boolean, wantInputGrad: boolean, dy: tf.Tensor2D, x: tf.Tensor2D, w: tf.Tensor2D, y: tf.Tensor2D): tf.Tensor[] {
  if (process.env.DBG) console.log("disposed? x", x.isDisposed, "w", w.isDisposed, "y", y.isDisposed, "dy", dy.isDisposed, x.shape, w.shape);
  const g = activation === 'linear' ? dy : (activationGrad(activation, dy, y) as tf.Tensor2D);
  const grads: tf.Tensor[] = wantInputGrad ? [tf.matMul(g, w, false, true)] : [];
  grads.push(tf.matMul(x, g, true, false));
  if (hasBias) grads.push(tf.sum(g, 0));
  return grads;
}

/**
 * activation(x·w + b) as one op on the gradient tape. With `inputIsData`
 * (x is the model's input, which needs no gradient), the backward pass
 * skips dx: one product fewer.
 *
 * The backward pass reads x, w and the output from this closure rather than
 * through customGrad's `save`, which copies each into a kept tensor: so it is
 * for a forward and backward pass in one optimizer.computeGradients (one
 * scope, where all three are alive until the gradients are taken).
 */
export function denseFused(x: tf.Tensor2D, w: tf.Tensor2D, b: tf.Tensor1D | undefined, activation: FusedActivation, inputIsData = false): tf.Tensor2D {
  const hasBias = b !== undefined;
  let y: tf.Tensor2D;
  const forward = (): tf.Tensor2D => (y = denseForward(x, w, b, activation));
  if (inputIsData) {
    const op = tf.customGrad(((...args: unknown[]) => ({
      value: forward(),
      gradFunc: (dy: tf.Tensor2D) => denseGrads(activation, hasBias, false, dy, x, w, y),
    })) as unknown as GradFunc) as unknown as (...inputs: tf.Tensor[]) => tf.Tensor2D;
    return b ? op(w, b) : op(w);
  }
  const op = tf.customGrad(((...args: unknown[]) => ({
    value: forward(),
    gradFunc: (dy: tf.Tensor2D) => denseGrads(activation, hasBias, true, dy, x, w, y),
  })) as unknown as GradFunc) as unknown as (...inputs: tf.Tensor[]) => tf.Tensor2D;
  return b ? op(x, w, b) : op(x, w);
}

/**
 * Keras' "meanSquaredError" averaged over the batch — mean((yPred − yTrue)²)
 * over every element — as one op whose gradient flows to yPred only.
 */
export function meanSquaredErrorFused(yTrue: tf.Tensor, yPred: tf.Tensor): tf.Scalar {
  const op = tf.customGrad(((p: tf.Tensor, save: tf.GradSaveFunc) => {
    const diff = tf.sub(p, yTrue);
    save([diff]);
    return {
      value: tf.mean(tf.square(diff)),
      gradFunc: (dy: tf.Scalar, saved: tf.Tensor[]) => tf.mul(saved[0], tf.mul(dy, 2 / saved[0].size)),
    };
  }) as unknown as GradFunc) as unknown as (p: tf.Tensor) => tf.Scalar;
  return op(yPred);
}

/** What the fused path reads of a tfjs-layers Dense layer (its fields are not in the public types). */
interface DenseInternals {
  kernel: tfl.LayerVariable;
  bias?: tfl.LayerVariable | null;
  activation: { getClassName(): string };
  kernelRegularizer?: unknown;
  biasRegularizer?: unknown;
  activityRegularizer?: unknown;
}

function fusableDense(layer: tfl.layers.Layer): DenseInternals | undefined {
  if (layer.getClassName() !== 'Dense') return undefined;
  const d = layer as unknown as DenseInternals;
  if (d.kernelRegularizer || d.biasRegularizer || d.activityRegularizer) return undefined;
  return FUSED_ACTIVATIONS.has(d.activation.getClassName().toLowerCase()) ? d : undefined;
}

export type Forward = (x: tf.Tensor, training: boolean) => tf.Tensor;

/**
 * The forward pass of a Sequential model with its Dense layers fused, or
 * undefined when nothing would be fused (then model.apply is as good).
 * Other layers (dropout, normalization, …) run as themselves.
 */
export function fusedSequentialForward(model: tfl.LayersModel): Forward | undefined {
  if (model.getClassName() !== 'Sequential') return undefined;
  const layers = model.layers.filter((l) => l.getClassName() !== 'InputLayer');
  const dense = layers.map(fusableDense);
  if (!dense.some((d) => d)) return undefined;
  return (x, training) => {
    let h = x;
    layers.forEach((layer, i) => {
      const d = dense[i];
      if (d && h.rank === 2 && h.dtype === 'float32') {
        const activation = d.activation.getClassName().toLowerCase() as FusedActivation;
        h = denseFused(h as tf.Tensor2D, d.kernel.read() as tf.Tensor2D, d.bias ? (d.bias.read() as tf.Tensor1D) : undefined, activation, h === x);
      } else {
        h = layer.apply(h, { training }) as tf.Tensor;
      }
    });
    return h;
  };
}
