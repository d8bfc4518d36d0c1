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
import { CONV2D_GRADIENTS } from './kernels/conv2d';

type FusedActivation = 'linear' | OutputDifferentiable;
type GradFunc = Parameters<typeof tf.customGrad>[0];

const FUSED_ACTIVATIONS = new Set<string>(['linear', 'relu', 'sigmoid', 'tanh']);

function denseForward<T extends tf.Tensor>(x: T, w: tf.Tensor2D, b: tf.Tensor1D | undefined, activation: FusedActivation): T {
  if (activation !== 'tanh' && hasDenseKernel(activation) && x.dtype === 'float32') return dense(x, w, b, activation);
  // tf.fused takes matrices: x's leading axes folded into rows and back.
  const rows = x.rank === 2 ? (x as unknown as tf.Tensor2D) : tf.reshape(x, [-1, w.shape[0]]) as tf.Tensor2D;
  // tanh is not among tf.fused's activations.
  const y = activation === 'tanh' ? tf.tanh(tf.fused.matMul({ a: rows, b: w, bias: b })) : tf.fused.matMul({ a: rows, b: w, bias: b, activation });
  return (x.rank === 2 ? y : tf.reshape(y, [...x.shape.slice(0, -1), w.shape[1]])) as T;
}

function denseGrads(activation: FusedActivation, hasBias: boolean, wantInputGrad: boolean, dy: tf.Tensor, saved: tf.Tensor[]): tf.Tensor[] {
  const [x, w, y] = saved;
  const g = activation === 'linear' ? dy : activationGrad(activation, dy, y);
  // dx keeps x's shape (a product of any rank by one matrix); the weight and bias gradients sum over all of x's rows.
  const grads: tf.Tensor[] = wantInputGrad ? [tf.matMul(g, w, false, true)] : [];
  const [xRows, gRows] = x.rank === 2 ? [x, g] : [tf.reshape(x, [-1, w.shape[0]]), tf.reshape(g, [-1, w.shape[1]!])];
  grads.push(tf.matMul(xRows, gRows, true, false));
  if (hasBias) grads.push(tf.sum(gRows, 0));
  return grads;
}

/**
 * activation(x·w + b) as one op on the gradient tape, x [..., K] (its leading
 * axes the rows: a Transformer's [batch, tokens, width] needs no reshapes on
 * the tape) → [..., N]. With `inputIsData` (x is the model's input, which
 * needs no gradient), the backward pass skips dx: one product fewer.
 */
export function denseFused<T extends tf.Tensor>(x: T, w: tf.Tensor2D, b: tf.Tensor1D | undefined, activation: FusedActivation, inputIsData = false): T {
  const hasBias = b !== undefined;
  // The backward pass needs x, w and the output; `save` keeps them past the
  // forward pass's scope (intermediate tensors are gone by the time gradients are taken).
  const op = tf.customGrad(((...args: unknown[]) => {
    const save = args.pop() as tf.GradSaveFunc;
    const y = denseForward(x, w, b, activation);
    save([x, w, y]);
    return { value: y, gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => denseGrads(activation, hasBias, !inputIsData, dy, saved) };
  }) as unknown as GradFunc) as unknown as (...inputs: tf.Tensor[]) => T;
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

/**
 * A 2-D convolution layer, activation(conv(x, w) + b), NHWC, as one op on the
 * gradient tape. Through tfjs-layers, while gradients are recorded, it is a
 * conv2d, a bias add and a ReLU, each kept for the backward pass, whose
 * gradient is then six kernels over tensors as large as the layer's output.
 * Here: forward one FusedConv2D kernel (bias and ReLU in the product's
 * epilogue on wasm, kernels/conv2d.ts); backward the fused activation
 * gradient, the two convolution gradients (one kernel on wasm, which runs
 * them side by side on two threads) and the bias sum. With `inputIsData`
 * (x is the model's input) dx is skipped.
 */
export function conv2dFused(x: tf.Tensor4D, w: tf.Tensor4D, b: tf.Tensor1D | undefined, strides: [number, number], pad: 'valid' | 'same', activation: 'linear' | 'relu', inputIsData = false): tf.Tensor4D {
  const conv = { strides, pad, dataFormat: 'NHWC' };
  const op = tf.customGrad(((...args: unknown[]) => {
    const save = args.pop() as tf.GradSaveFunc;
    const inputs: tf.NamedTensorMap = b ? { x, filter: w, bias: b } : { x, filter: w };
    const y = tf.engine().runKernel(tf.FusedConv2D, inputs, { ...conv, dilations: [1, 1], activation }) as tf.Tensor4D;
    save([x, w, y]);
    return {
      value: y,
      gradFunc: (dy: tf.Tensor4D, saved: tf.Tensor[]) => {
        const [sx, sw, sy] = saved as tf.Tensor4D[];
        const g = activation === 'relu' ? (activationGrad('relu', dy, sy) as tf.Tensor4D) : dy;
        const filterGrad = () => tf.engine().runKernel(tf.Conv2DBackpropFilter, { x: sx, dy: g }, { ...conv, filterShape: sw.shape }) as tf.Tensor;
        let grads: tf.Tensor[];
        if (inputIsData) grads = [filterGrad()];
        else if (tf.getKernel(CONV2D_GRADIENTS, tf.getBackend())) grads = tf.engine().runKernel(CONV2D_GRADIENTS, { x: sx, dy: g, filter: sw }, conv) as unknown as tf.Tensor[];
        else grads = [tf.engine().runKernel(tf.Conv2DBackpropInput, { dy: g, filter: sw }, { ...conv, inputShape: sx.shape }) as tf.Tensor, filterGrad()];
        if (b) grads.push(tf.sum(g, [0, 1, 2]));
        return grads;
      },
    };
  }) as unknown as GradFunc) as unknown as (...inputs: tf.Tensor[]) => tf.Tensor4D;
  const inputs: tf.Tensor[] = inputIsData ? [w] : [x, w];
  if (b) inputs.push(b);
  return op(...inputs);
}

/** What the fused path reads of a tfjs-layers Conv2D layer (its fields are not in the public types). */
interface ConvInternals extends DenseInternals {
  strides: number[];
  padding: string;
  dataFormat: string;
  dilationRate: number[];
}

function fusableConv(layer: tfl.layers.Layer): ConvInternals | undefined {
  if (layer.getClassName() !== 'Conv2D') return undefined;
  const c = layer as unknown as ConvInternals;
  if (c.kernelRegularizer || c.biasRegularizer || c.activityRegularizer) return undefined;
  if (c.dataFormat !== 'channelsLast' || (c.padding !== 'valid' && c.padding !== 'same') || c.dilationRate.some((d) => d !== 1)) return undefined;
  const activation = c.activation.getClassName().toLowerCase();
  return activation === 'linear' || activation === 'relu' ? c : undefined;
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
 * The forward pass of a Sequential model with its Dense and Conv2D layers
 * fused, or undefined when nothing would be fused (then model.apply is as
 * good). Other layers (pooling, dropout, normalization, …) run as themselves.
 */
export function fusedSequentialForward(model: tfl.LayersModel): Forward | undefined {
  if (model.getClassName() !== 'Sequential') return undefined;
  const layers = model.layers.filter((l) => l.getClassName() !== 'InputLayer');
  const dense = layers.map(fusableDense);
  const convs = layers.map(fusableConv);
  if (!dense.some((d) => d) && !convs.some((c) => c)) return undefined;
  return (x, training) => {
    let h = x;
    layers.forEach((layer, i) => {
      const d = dense[i];
      const c = convs[i];
      if (d && h.rank === 2 && h.dtype === 'float32') {
        const activation = d.activation.getClassName().toLowerCase() as FusedActivation;
        h = denseFused(h as tf.Tensor2D, d.kernel.read() as tf.Tensor2D, d.bias ? (d.bias.read() as tf.Tensor1D) : undefined, activation, h === x);
      } else if (c && h.rank === 4 && h.dtype === 'float32') {
        const activation = c.activation.getClassName().toLowerCase() as 'linear' | 'relu';
        h = conv2dFused(h as tf.Tensor4D, c.kernel.read() as tf.Tensor4D, c.bias ? (c.bias.read() as tf.Tensor1D) : undefined, c.strides as [number, number], c.padding as 'valid' | 'same', activation, h === x);
      } else {
        h = layer.apply(h, { training }) as tf.Tensor;
      }
    });
    return h;
  };
}
