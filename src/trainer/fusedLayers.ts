// A training step's forward pass with fewer, larger tape entries. Through
// tfjs-layers, a Dense layer records a matMul, a bias add and an activation on
// the gradient tape, each saving copies of its inputs; its backward pass is a
// dozen kernels. For a small model (the first-lesson MLP) that per-kernel
// overhead, not arithmetic, is most of the step. `denseFused` is the same
// layer as one op with a hand-written gradient: forward one fused matMul,
// backward four kernels. Same math as the layer; test/trainer/fusedLayers.test.ts
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
  if (activation === 'tanh') return tf.tanh(tf.fused.matMul({ a: x, b: w, bias: b })) as tf.Tensor2D;
  return tf.fused.matMul({ a: x, b: w, bias: b, activation }) as tf.Tensor2D;
}

function denseGrads(activation: FusedActivation, hasBias: boolean, wantInputGrad: boolean, dy: tf.Tensor2D, saved: tf.Tensor[]): tf.Tensor[] {
  const [x, w, y] = saved as tf.Tensor2D[];
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
 */
export function denseFused(x: tf.Tensor2D, w: tf.Tensor2D, b: tf.Tensor1D | undefined, activation: FusedActivation, inputIsData = false): tf.Tensor2D {
  const hasBias = b !== undefined;
  // The backward pass needs x, w and the output; `save` keeps them past the
  // forward pass's scope (intermediate tensors are gone by the time gradients are taken).
  const op = tf.customGrad(((...args: unknown[]) => {
    const save = args.pop() as tf.GradSaveFunc;
    const y = denseForward(x, w, b, activation);
    save([x, w, y]);
    return { value: y, gradFunc: (dy: tf.Tensor2D, saved: tf.Tensor[]) => denseGrads(activation, hasBias, !inputIsData, dy, saved) };
  }) as unknown as GradFunc) as unknown as (...inputs: tf.Tensor[]) => tf.Tensor2D;
  const inputs: tf.Tensor[] = inputIsData ? [w] : [x, w];
  if (b) inputs.push(b);
  return op(...inputs);
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
