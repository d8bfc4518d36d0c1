// Small Transformers as tfjs-layers models: token + positional embedding,
// pre-norm blocks of multi-head self-attention and feed-forward with residuals,
// layer normalization and dropout; an encoder classifier (pooling → softmax)
// and a decoder language model (causal mask → next-token logits).
//
// The custom layers are registered for serialization, so a saved model loads
// with tfl.loadLayersModel as long as this module has been imported.
//
// Speed on the wasm backend: tfjs's own BatchMatMul takes a ~10× slower path
// for transposed or batched products — and the gradients of every matMul are
// exactly such products. Our BatchMatMul kernel (kernels/batchMatMul.ts and
// wasmGemm.ts) runs all of them on its SIMD kernel, a transposed left operand
// read in place, so tfjs's own matMul gradient needs no help; the projections
// go through the fused dense op (fusedLayers.ts) where the backend has it.

import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import type { LayerArgs } from '@tensorflow/tfjs-layers/dist/engine/topology';
import type { ResolvedTransformer } from '../core/resolvedConfig';
import { denseFused } from './fusedLayers';
import { ATTENTION_SOFTMAX, ATTENTION_SOFTMAX_GRAD, hasAttentionKernels } from './kernels/attention';
import type { AttentionAttrs } from './kernels/attention';
import { hasDenseKernel } from './kernels/dense';
import { DENSE_FROM_HEADS, DENSE_FROM_HEADS_GRAD, DENSE_TO_HEADS, DENSE_TO_HEADS_GRAD, hasHeadsKernels } from './kernels/heads';
import { hasLayerNormKernels, LAYER_NORM, LAYER_NORM_GRAD } from './kernels/layerNorm';

type Shape = (number | null)[];
type ConfigDict = tf.serialization.ConfigDict;
type CustomGradientFunc = Parameters<typeof tf.customGrad>[0];

/** Added to the scores of keys a query must not see; exp() of it is exactly 0 in float32. */
const MASKED_SCORE = -1e9;

/**
 * Rows of `table` [V, d] picked by `ids`. The gradient, a scatter-add of dy's
 * rows into a [V, d] table in the order of `ids`, is tfjs's own Gather
 * gradient on wasm, whose UnsortedSegmentSum is our loop on the heap
 * (kernels/unsortedSegmentSum.ts). Elsewhere it is a plain loop here: the CPU
 * backend's UnsortedSegmentSum computes one segment (= vocabulary entry) at a
 * time, seconds per step. Both add in the same order, so the sums are the same
 * floats. (On wasm the loop here cost ~0.7 ms of a 34 ms step of the bench's
 * encoder: dy read off the heap into a new array, a new [V, d] array, and the
 * result copied back.)
 */
export function embeddingLookup(table: tf.Tensor2D, ids: tf.Tensor): tf.Tensor2D {
  const flatIds = tf.reshape(ids, [-1]);
  if (tf.getBackend() === 'wasm') return tf.gather(table, flatIds);
  const indices = flatIds.dataSync() as Int32Array;
  const [vocab, width] = table.shape;
  const lookup = tf.customGrad(((t: tf.Tensor2D) => ({
    value: tf.gather(t, flatIds),
    gradFunc: (dy: tf.Tensor2D) => {
      const rows = dy.dataSync();
      const grad = new Float32Array(vocab * width);
      for (let i = 0; i < indices.length; i++) {
        const from = i * width;
        const to = indices[i] * width;
        for (let j = 0; j < width; j++) grad[to + j] += rows[from + j];
      }
      return tf.tensor2d(grad, [vocab, width]);
    },
  })) as unknown as CustomGradientFunc) as (t: tf.Tensor2D) => tf.Tensor2D;
  return lookup(table);
}

/**
 * activation(x [..., dIn] · w [dIn, dOut] + bias), for x of any rank. Where
 * the backend has the dense kernel (wasm) it is one op with its own gradient
 * (fusedLayers.ts) on x as it is: the bias and ReLU ride in the matMul's
 * epilogue, and the tape holds one entry instead of four or five (two reshapes,
 * the product, the bias add, the ReLU).
 */
function denseLastAxis(x: tf.Tensor, w: tf.Tensor, bias: tf.Tensor, activation: 'linear' | 'relu' = 'linear'): tf.Tensor {
  if (hasDenseKernel(activation)) return denseFused(x, w as tf.Tensor2D, bias as tf.Tensor1D, activation);
  const shape = x.shape;
  const flat = tf.reshape(x, [-1, shape[shape.length - 1]]) as tf.Tensor2D;
  const out = tf.reshape(tf.add(tf.matMul(flat, w), bias), [...shape.slice(0, -1), w.shape[1]!]);
  return activation === 'relu' ? tf.relu(out) : out;
}

function single(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
  return Array.isArray(inputs) ? inputs[0] : inputs;
}

function firstShape(inputShape: tfl.Shape | tfl.Shape[]): Shape {
  return (Array.isArray(inputShape[0]) || inputShape[0] === undefined ? inputShape[0] : inputShape) as Shape;
}

/** The sine/cosine position table of Vaswani et al., [length, dModel]. */
export function sinusoidalPositions(length: number, dModel: number): Float32Array {
  const out = new Float32Array(length * dModel);
  for (let pos = 0; pos < length; pos++) {
    for (let i = 0; i < dModel; i++) {
      const angle = pos / Math.pow(10000, (2 * Math.floor(i / 2)) / dModel);
      out[pos * dModel + i] = i % 2 === 0 ? Math.sin(angle) : Math.cos(angle);
    }
  }
  return out;
}

// ───────────────────────── layers ─────────────────────────

/** 1 where a token id is real, 0 where it is padding (id 0): [B, T] int → [B, T] float. */
export class PaddingMask extends tfl.layers.Layer {
  static className = 'ModelLabPaddingMask';

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => tf.cast(tf.notEqual(single(inputs), 0), 'float32'));
  }

  override computeOutputShape(inputShape: tfl.Shape | tfl.Shape[]): tfl.Shape {
    return firstShape(inputShape);
  }
}

export interface TokenEmbeddingArgs extends LayerArgs {
  vocabSize: number;
  dModel: number;
  maxLength: number;
  positional: 'learned' | 'sinusoidal';
}

/** Token ids [B, T] → token vector · √dModel + position vector: [B, T, dModel]. */
export class TokenAndPositionEmbedding extends tfl.layers.Layer {
  static className = 'ModelLabTokenAndPositionEmbedding';
  readonly vocabSize: number;
  readonly dModel: number;
  readonly maxLength: number;
  readonly positional: 'learned' | 'sinusoidal';
  private tokenTable!: tfl.LayerVariable;
  private positionTable?: tfl.LayerVariable;
  private sinusoid?: Float32Array;

  constructor(args: TokenEmbeddingArgs) {
    super(args);
    this.vocabSize = args.vocabSize;
    this.dModel = args.dModel;
    this.maxLength = args.maxLength;
    this.positional = args.positional;
  }

  override build(): void {
    // Scaled by √dModel in call (as in the paper), so token vectors start at unit size, like the sinusoid.
    this.tokenTable = this.addWeight('tokens', [this.vocabSize, this.dModel], 'float32', tfl.initializers.randomNormal({ mean: 0, stddev: 1 / Math.sqrt(this.dModel) }));
    if (this.positional === 'learned') {
      this.positionTable = this.addWeight('positions', [this.maxLength, this.dModel], 'float32', tfl.initializers.randomNormal({ mean: 0, stddev: 0.02 }));
    } else {
      this.sinusoid = sinusoidalPositions(this.maxLength, this.dModel);
    }
    this.built = true;
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      const ids = tf.cast(single(inputs), 'int32');
      const [batch, length] = ids.shape;
      if (length > this.maxLength) throw new Error(`${length} tokens, but the model's positions stop at maxLength ${this.maxLength}`);
      const tokens = tf.reshape(embeddingLookup(this.tokenTable.read() as tf.Tensor2D, ids), [batch, length, this.dModel]);
      const positions = this.positionTable
        ? tf.slice(this.positionTable.read(), [0, 0], [length, this.dModel])
        : tf.tensor2d(this.sinusoid!.subarray(0, length * this.dModel), [length, this.dModel]);
      return tf.add(tf.mul(tokens, Math.sqrt(this.dModel)), positions);
    });
  }

  override computeOutputShape(inputShape: tfl.Shape | tfl.Shape[]): tfl.Shape {
    const s = firstShape(inputShape);
    return [s[0], s[1], this.dModel];
  }

  override getConfig(): ConfigDict {
    return { ...super.getConfig(), vocabSize: this.vocabSize, dModel: this.dModel, maxLength: this.maxLength, positional: this.positional };
  }
}

export interface AttentionArgs extends LayerArgs {
  heads: number;
  /** Decoder: a query sees only itself and earlier tokens. */
  causal: boolean;
}

/**
 * Multi-head self-attention. Inputs [x [B, T, d], keyMask [B, T]]; outputs
 * [y [B, T, d], attention [B, heads, T, T]] — the softmax weights, each row
 * summing to 1, zero on padding keys (and, when causal, above the diagonal).
 */
export class MultiHeadSelfAttention extends tfl.layers.Layer {
  static className = 'ModelLabMultiHeadSelfAttention';
  readonly heads: number;
  readonly causal: boolean;
  private query!: tfl.LayerVariable;
  private queryBias!: tfl.LayerVariable;
  private key!: tfl.LayerVariable;
  private keyBias!: tfl.LayerVariable;
  private value!: tfl.LayerVariable;
  private valueBias!: tfl.LayerVariable;
  private out!: tfl.LayerVariable;
  private outBias!: tfl.LayerVariable;

  constructor(args: AttentionArgs) {
    super(args);
    this.heads = args.heads;
    this.causal = args.causal;
  }

  override build(inputShape: tfl.Shape | tfl.Shape[]): void {
    const d = firstShape(inputShape)[2];
    if (typeof d !== 'number') throw new Error('attention needs a known model width');
    if (d % this.heads !== 0) throw new Error(`model width ${d} is not divisible by ${this.heads} heads`);
    // Separate Q, K, V matrices rather than one [d, 3d]: splitting a fused
    // projection into heads needs a 5-D transpose, which is slow on wasm.
    const kernel = (name: string) => this.addWeight(`${name}_kernel`, [d, d], 'float32', tfl.initializers.glorotUniform({}));
    const bias = (name: string) => this.addWeight(`${name}_bias`, [d], 'float32', tfl.initializers.zeros());
    this.query = kernel('query');
    this.queryBias = bias('query');
    this.key = kernel('key');
    this.keyBias = bias('key');
    this.value = kernel('value');
    this.valueBias = bias('value');
    this.out = kernel('output');
    this.outBias = bias('output');
    this.built = true;
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor[] {
    return tf.tidy(() => {
      const [x, keyMask] = inputs as tf.Tensor[];
      const [batch, length, d] = x.shape;
      const h = this.heads;
      const dk = d / h;
      // [B, T, d] → [B, T, H, dk] → [B, H, T, dk] → [B·H, T, dk]
      const heads = hasHeadsKernels();
      const perHead = (w: tfl.LayerVariable, b: tfl.LayerVariable) =>
        heads
          ? denseToHeads(x as tf.Tensor3D, w.read() as tf.Tensor2D, b.read() as tf.Tensor1D, h)
          : (tf.reshape(tf.transpose(tf.reshape(denseLastAxis(x, w.read(), b.read()), [batch, length, h, dk]), [0, 2, 1, 3]), [batch * h, length, dk]) as tf.Tensor3D);
      const q = perHead(this.query, this.queryBias);
      const k = perHead(this.key, this.keyBias);
      const v = perHead(this.value, this.valueBias);
      const attention = attentionWeights(tf.matMul(q, k, false, true), keyMask, { scale: 1 / Math.sqrt(dk), masked: MASKED_SCORE, heads: h, causal: this.causal });
      const context: tf.Tensor3D = tf.matMul(tf.reshape(attention, [batch * h, length, length]) as tf.Tensor3D, v); // [B·H, T, dk]
      if (heads) return [denseFromHeads(context, this.out.read() as tf.Tensor2D, this.outBias.read() as tf.Tensor1D, h), attention];
      const merged = tf.reshape(tf.transpose(tf.reshape(context, [batch, h, length, dk]), [0, 2, 1, 3]), [batch, length, d]);
      return [denseLastAxis(merged, this.out.read(), this.outBias.read()), attention];
    });
  }

  override computeOutputShape(inputShape: tfl.Shape | tfl.Shape[]): tfl.Shape[] {
    const s = firstShape(inputShape);
    return [s, [s[0], this.heads, s[1], s[1]]];
  }

  override getConfig(): ConfigDict {
    return { ...super.getConfig(), heads: this.heads, causal: this.causal };
  }
}

/** One op of a heads kernel and its gradient kernel (kernels/heads.ts): inputs `first` (x or ctx), w and bias; the gradient kernel's from dy, `first` and w. */
function headsOp(forward: string, gradient: string, first: 'x' | 'ctx', heads: number): (t: tf.Tensor3D, w: tf.Tensor2D, b: tf.Tensor1D) => tf.Tensor3D {
  return tf.customGrad(((t: tf.Tensor3D, w: tf.Tensor2D, b: tf.Tensor1D, save: tf.GradSaveFunc) => {
    save([t, w]);
    return {
      value: tf.engine().runKernel(forward, { [first]: t, w, bias: b }, { heads }) as tf.Tensor3D,
      gradFunc: (dy: tf.Tensor3D, saved: tf.Tensor[]) => tf.engine().runKernel(gradient, { dy, [first]: saved[0], w: saved[1] }, { heads, bias: true }) as tf.Tensor[],
    };
  }) as unknown as CustomGradientFunc) as unknown as (t: tf.Tensor3D, w: tf.Tensor2D, b: tf.Tensor1D) => tf.Tensor3D;
}

/**
 * x [B, T, d] · w [d, H·dk] + b split into H heads, [B·H, T, dk]: the
 * projection, reshapes and transpose of the composed path (MultiHeadSelfAttention)
 * as one op on the heads kernels (kernels/heads.ts, wasm), which read and write
 * the heads' layout in place, backward as forward; the same values (bit for
 * bit where a head is a multiple of 8 wide).
 */
export function denseToHeads(x: tf.Tensor3D, w: tf.Tensor2D, b: tf.Tensor1D, heads: number): tf.Tensor3D {
  return headsOp(DENSE_TO_HEADS, DENSE_TO_HEADS_GRAD, 'x', heads)(x, w, b);
}

/** The heads [B·H, T, dk] merged, [B, T, H·dk], · w [H·dk, dOut] + b: the composed path's transpose, reshapes and projection as one op (denseToHeads' counterpart). */
export function denseFromHeads(ctx: tf.Tensor3D, w: tf.Tensor2D, b: tf.Tensor1D, heads: number): tf.Tensor3D {
  return headsOp(DENSE_FROM_HEADS, DENSE_FROM_HEADS_GRAD, 'ctx', heads)(ctx, w, b);
}

/**
 * The attention weights [B, heads, T, T] from the scores q·kᵀ [B·heads, T, T]:
 * softmax(scores · scale + (1 − keyMask) · masked, + masked above the diagonal
 * when causal). Where the backend has the kernels (kernels/attention.ts: wasm,
 * cpu) one entry on the gradient tape, forward and backward each one pass over
 * the scores; else the composed ops, which give the same values up to float32
 * rounding (test/trainer/attention.test.ts).
 */
export function attentionWeights(scores: tf.Tensor3D, keyMask: tf.Tensor, attrs: AttentionAttrs): tf.Tensor4D {
  if (scores.dtype === 'float32' && keyMask.dtype === 'float32' && hasAttentionKernels()) {
    const weights = tf.customGrad(((s: tf.Tensor3D, save: tf.GradSaveFunc) => {
      const p = tf.engine().runKernel(ATTENTION_SOFTMAX, { scores: s, mask: keyMask }, { ...attrs }) as tf.Tensor4D;
      save([p]);
      return {
        value: p,
        gradFunc: (dp: tf.Tensor4D, saved: tf.Tensor[]) => tf.engine().runKernel(ATTENTION_SOFTMAX_GRAD, { p: saved[0], dp }, { scale: attrs.scale }) as tf.Tensor3D,
      };
    }) as unknown as CustomGradientFunc) as unknown as (s: tf.Tensor3D) => tf.Tensor4D;
    return weights(scores);
  }
  return attentionWeightsComposed(scores, keyMask, attrs);
}

/** attentionWeights as composed tfjs ops (the tensorflow backend's path), each recorded on the tape. */
export function attentionWeightsComposed(scores: tf.Tensor3D, keyMask: tf.Tensor, attrs: AttentionAttrs): tf.Tensor4D {
  const [bh, length] = scores.shape;
  const batch = bh / attrs.heads;
  let logits = tf.reshape(tf.mul(scores, attrs.scale), [batch, attrs.heads, length, length]);
  logits = tf.add(logits, tf.reshape(tf.mul(tf.sub(1, keyMask), attrs.masked), [batch, 1, 1, length]));
  if (attrs.causal) logits = tf.add(logits, causalBias(length));
  return tf.softmax(logits) as tf.Tensor4D;
}

/** [T, T]: 0 on and below the diagonal, MASKED_SCORE above it. */
function causalBias(length: number): tf.Tensor2D {
  const values = new Float32Array(length * length);
  for (let i = 0; i < length; i++) for (let j = i + 1; j < length; j++) values[i * length + j] = MASKED_SCORE;
  return tf.tensor2d(values, [length, length]);
}

/**
 * (x − mean) / √(variance + ε) · gamma + beta over the last axis, as one
 * entry on the gradient tape with its gradient written out:
 *   dx = rstd · (g − mean(g) − x̂ · mean(g · x̂)),  g = dy · gamma,
 *   dgamma = Σ dy · x̂,  dbeta = Σ dy.
 * Differentiating the forward ops one by one instead records nine tape
 * entries and runs some twenty-five ops backward, each mean's gradient
 * filling a ones array of x's size in JavaScript (a Transformer step spent
 * ~10% there). The forward values are the same ops as before, so bit for bit
 * the same; the gradient equals the op-by-op one up to float32 rounding
 * (test/trainer/transformer.test.ts).
 */
export function layerNorm(x: tf.Tensor, gamma: tf.Tensor1D, beta: tf.Tensor1D, epsilon: number): tf.Tensor {
  if (x.dtype === 'float32' && hasLayerNormKernels()) return layerNormKernels(x, gamma, beta, epsilon);
  const norm = tf.customGrad(((xIn: tf.Tensor, g: tf.Tensor1D, b: tf.Tensor1D, save: tf.GradSaveFunc) => {
    const centered = tf.sub(xIn, tf.mean(xIn, -1, true));
    const variance = tf.mean(tf.square(centered), -1, true);
    const rstd = tf.rsqrt(tf.add(variance, epsilon));
    const normalized = tf.mul(centered, rstd);
    save([normalized, rstd, g]);
    return {
      value: tf.add(tf.mul(normalized, g), b),
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [xHat, r, scale] = saved;
        const width = scale.shape[0];
        const dy2 = tf.reshape(dy, [-1, width]);
        const xHat2 = tf.reshape(xHat, [-1, width]);
        const dScaled = tf.mul(dy2, scale);
        const dx = tf.mul(tf.reshape(r, [-1, 1]), tf.sub(tf.sub(dScaled, tf.mean(dScaled, -1, true)), tf.mul(xHat2, tf.mean(tf.mul(dScaled, xHat2), -1, true))));
        return [tf.reshape(dx, dy.shape), tf.sum(tf.mul(dy2, xHat2), 0), tf.sum(dy2, 0)];
      },
    };
  }) as unknown as CustomGradientFunc) as unknown as (x: tf.Tensor, g: tf.Tensor1D, b: tf.Tensor1D) => tf.Tensor;
  return norm(x, gamma, beta);
}

/**
 * The same normalization on the backend's kernels of our own (wasm, cpu:
 * kernels/layerNorm.ts), one forward and one gradient kernel, each a pass over
 * the rows; equal to the composed ops up to float32 rounding (its sums are
 * float64), tested in test/trainer/transformer.test.ts.
 */
function layerNormKernels(x: tf.Tensor, gamma: tf.Tensor1D, beta: tf.Tensor1D, epsilon: number): tf.Tensor {
  const norm = tf.customGrad(((xIn: tf.Tensor, g: tf.Tensor1D, b: tf.Tensor1D, save: tf.GradSaveFunc) => {
    const [y, xHat, rstd] = tf.engine().runKernel(LAYER_NORM, { x: xIn, gamma: g, beta: b }, { epsilon }) as tf.Tensor[];
    save([xHat, rstd, g]);
    return {
      value: y,
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [xHatSaved, rstdSaved, scale] = saved;
        return tf.engine().runKernel(LAYER_NORM_GRAD, { dy, xHat: xHatSaved, rstd: rstdSaved, gamma: scale }, {}) as tf.Tensor[];
      },
    };
  }) as unknown as CustomGradientFunc) as unknown as (x: tf.Tensor, g: tf.Tensor1D, b: tf.Tensor1D) => tf.Tensor;
  return norm(x, gamma, beta);
}

export interface NormalizationArgs extends LayerArgs {
  epsilon?: number;
}

/**
 * Layer normalization over the last axis. tfjs-layers has one, but it tiles
 * its scale and offset to the input's shape, and the gradient of Tile runs
 * one slice per tile: thousands of kernel calls per step. Broadcasting here
 * keeps the gradient a plain sum.
 */
export class LayerNorm extends tfl.layers.Layer {
  static className = 'ModelLabLayerNorm';
  readonly epsilon: number;
  private gamma!: tfl.LayerVariable;
  private beta!: tfl.LayerVariable;

  constructor(args: NormalizationArgs) {
    super(args);
    this.epsilon = args.epsilon ?? 1e-5;
  }

  override build(inputShape: tfl.Shape | tfl.Shape[]): void {
    const s = firstShape(inputShape);
    const d = s[s.length - 1] as number;
    this.gamma = this.addWeight('gamma', [d], 'float32', tfl.initializers.ones());
    this.beta = this.addWeight('beta', [d], 'float32', tfl.initializers.zeros());
    this.built = true;
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => layerNorm(single(inputs), this.gamma.read() as tf.Tensor1D, this.beta.read() as tf.Tensor1D, this.epsilon));
  }

  override computeOutputShape(inputShape: tfl.Shape | tfl.Shape[]): tfl.Shape {
    return firstShape(inputShape);
  }

  override getConfig(): ConfigDict {
    return { ...super.getConfig(), epsilon: this.epsilon };
  }
}

export interface FeedForwardArgs extends LayerArgs {
  ffDim: number;
}

/** Position-wise feed-forward: relu(x·W1 + b1)·W2 + b2, [B, T, d] → [B, T, d]. */
export class FeedForward extends tfl.layers.Layer {
  static className = 'ModelLabFeedForward';
  readonly ffDim: number;
  private w1!: tfl.LayerVariable;
  private b1!: tfl.LayerVariable;
  private w2!: tfl.LayerVariable;
  private b2!: tfl.LayerVariable;

  constructor(args: FeedForwardArgs) {
    super(args);
    this.ffDim = args.ffDim;
  }

  override build(inputShape: tfl.Shape | tfl.Shape[]): void {
    const d = firstShape(inputShape)[2] as number;
    this.w1 = this.addWeight('inner_kernel', [d, this.ffDim], 'float32', tfl.initializers.heUniform({}));
    this.b1 = this.addWeight('inner_bias', [this.ffDim], 'float32', tfl.initializers.zeros());
    this.w2 = this.addWeight('outer_kernel', [this.ffDim, d], 'float32', tfl.initializers.glorotUniform({}));
    this.b2 = this.addWeight('outer_bias', [d], 'float32', tfl.initializers.zeros());
    this.built = true;
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      // ReLU in the first product's epilogue; its gradient the ReLU-gradient loop (kernels/activationGrad.ts).
      const inner = denseLastAxis(single(inputs), this.w1.read(), this.b1.read(), 'relu');
      return denseLastAxis(inner, this.w2.read(), this.b2.read());
    });
  }

  override computeOutputShape(inputShape: tfl.Shape | tfl.Shape[]): tfl.Shape {
    return firstShape(inputShape);
  }

  override getConfig(): ConfigDict {
    return { ...super.getConfig(), ffDim: this.ffDim };
  }
}

export interface PoolingArgs extends LayerArgs {
  mode: 'mean' | 'first';
}

/** [x [B, T, d], keyMask [B, T]] → [B, d]: the mean over real tokens, or the first token (<cls>). */
export class SequencePooling extends tfl.layers.Layer {
  static className = 'ModelLabSequencePooling';
  readonly mode: 'mean' | 'first';

  constructor(args: PoolingArgs) {
    super(args);
    this.mode = args.mode;
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      const [x, keyMask] = inputs as tf.Tensor[];
      const [batch, , d] = x.shape;
      if (this.mode === 'first') return tf.reshape(tf.slice(x, [0, 0, 0], [batch, 1, d]), [batch, d]);
      // Σ_t mask·x as a product, [B, 1, T]·[B, T, d]: its gradient is a product too, where a sum's
      // multiplies its gradient by a tensor of ones as large as x, filled in JavaScript each step.
      const count = tf.maximum(tf.sum(keyMask, 1, true), 1);
      const summed = tf.reshape(tf.matMul(tf.reshape(keyMask, [batch, 1, x.shape[1]!]) as tf.Tensor3D, x as tf.Tensor3D), [batch, d]);
      return tf.div(summed, count);
    });
  }

  override computeOutputShape(inputShape: tfl.Shape | tfl.Shape[]): tfl.Shape {
    const s = firstShape(inputShape);
    return [s[0], s[2]];
  }

  override getConfig(): ConfigDict {
    return { ...super.getConfig(), mode: this.mode };
  }
}

export interface TokenLogitsArgs extends LayerArgs {
  vocabSize: number;
}

/** [B, T, d] → next-token logits [B, T, vocabSize]. */
export class TokenLogits extends tfl.layers.Layer {
  static className = 'ModelLabTokenLogits';
  readonly vocabSize: number;
  private kernel!: tfl.LayerVariable;
  private bias!: tfl.LayerVariable;

  constructor(args: TokenLogitsArgs) {
    super(args);
    this.vocabSize = args.vocabSize;
  }

  override build(inputShape: tfl.Shape | tfl.Shape[]): void {
    const d = firstShape(inputShape)[2] as number;
    this.kernel = this.addWeight('kernel', [d, this.vocabSize], 'float32', tfl.initializers.glorotUniform({}));
    this.bias = this.addWeight('bias', [this.vocabSize], 'float32', tfl.initializers.zeros());
    this.built = true;
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => denseLastAxis(single(inputs), this.kernel.read(), this.bias.read()));
  }

  override computeOutputShape(inputShape: tfl.Shape | tfl.Shape[]): tfl.Shape {
    const s = firstShape(inputShape);
    return [s[0], s[1], this.vocabSize];
  }

  override getConfig(): ConfigDict {
    return { ...super.getConfig(), vocabSize: this.vocabSize };
  }
}

for (const layer of [PaddingMask, TokenAndPositionEmbedding, MultiHeadSelfAttention, LayerNorm, FeedForward, SequencePooling, TokenLogits]) {
  tf.serialization.registerClass(layer as unknown as tf.serialization.SerializableConstructor<tf.serialization.Serializable>);
}

// ───────────────────────── models ─────────────────────────

export interface TransformerOutputs {
  /** Encoder: the number of classes of the softmax. */
  classes?: number;
  /** Encoder: logits over the vocabulary at every position (a masked-language model) instead of a classifier. */
  tokenLogits?: boolean;
  /** Encoder: one number per text (a linear Dense(1) after the pooling: text regression) instead of a classifier. */
  regression?: boolean;
}

/** Text regression's head: Dense(1), linear, on the pooled vector. */
export const REGRESSION_HEAD_LAYER = 'regressor';

/** A masked-language model's head: the only layer a classifier fine-tuned from it does not take (every other layer keeps the classifier's name). */
export const MLM_HEAD_LAYER = 'mlm_logits';

/**
 * The model from the config. Input: token ids [B, T] (int32, T ≤ maxLength,
 * 0 = padding). Output: class probabilities [B, classes] (encoder), one
 * number [B, 1] (encoder with `regression`: the target standardized), token
 * logits [B, T, vocab] at every position (encoder with `tokenLogits`), or
 * next-token logits [B, T, vocab] (decoder).
 */
export function buildTransformer(cfg: ResolvedTransformer, vocabSize: number, outputs: TransformerOutputs = {}): tfl.LayersModel {
  const decoder = cfg.type === 'transformerDecoder';
  if (!decoder && !outputs.tokenLogits && !outputs.regression && !(outputs.classes && outputs.classes >= 2)) throw new Error('an encoder classifier needs the number of classes (at least 2)');
  const ids = tfl.input({ shape: [null], dtype: 'int32', name: 'token_ids' });
  const mask = new PaddingMask({ name: 'padding_mask' }).apply(ids) as tfl.SymbolicTensor;
  let x = new TokenAndPositionEmbedding({ name: 'embedding', vocabSize, dModel: cfg.dModel, maxLength: cfg.maxLength, positional: cfg.positional }).apply(ids) as tfl.SymbolicTensor;
  const dropout = (name: string, t: tfl.SymbolicTensor) => (cfg.dropout > 0 ? (tfl.layers.dropout({ rate: cfg.dropout, name }).apply(t) as tfl.SymbolicTensor) : t);
  x = dropout('embedding_dropout', x);
  for (let i = 1; i <= cfg.layers; i++) {
    const b = `block${i}`;
    let h = new LayerNorm({ name: `${b}_attention_norm` }).apply(x) as tfl.SymbolicTensor;
    const [attended] = new MultiHeadSelfAttention({ name: `${b}_attention`, heads: cfg.heads, causal: decoder }).apply([h, mask]) as tfl.SymbolicTensor[];
    x = tfl.layers.add({ name: `${b}_attention_residual` }).apply([x, dropout(`${b}_attention_dropout`, attended)]) as tfl.SymbolicTensor;
    h = new LayerNorm({ name: `${b}_feed_forward_norm` }).apply(x) as tfl.SymbolicTensor;
    const fed = new FeedForward({ name: `${b}_feed_forward`, ffDim: cfg.ffDim }).apply(h) as tfl.SymbolicTensor;
    x = tfl.layers.add({ name: `${b}_feed_forward_residual` }).apply([x, dropout(`${b}_feed_forward_dropout`, fed)]) as tfl.SymbolicTensor;
  }
  x = new LayerNorm({ name: 'final_norm' }).apply(x) as tfl.SymbolicTensor;
  let out: tfl.SymbolicTensor;
  if (decoder) {
    out = new TokenLogits({ name: 'next_token_logits', vocabSize }).apply(x) as tfl.SymbolicTensor;
  } else if (outputs.tokenLogits) {
    // No pooling and no causal mask: every position sees the whole sentence and predicts its own token.
    out = new TokenLogits({ name: MLM_HEAD_LAYER, vocabSize }).apply(x) as tfl.SymbolicTensor;
  } else {
    const pooled = new SequencePooling({ name: 'pooling', mode: cfg.pooling }).apply([x, mask]) as tfl.SymbolicTensor;
    out = outputs.regression
      ? (tfl.layers.dense({ name: REGRESSION_HEAD_LAYER, units: 1, activation: 'linear' }).apply(pooled) as tfl.SymbolicTensor)
      : (tfl.layers.dense({ name: 'classifier', units: outputs.classes!, activation: 'softmax' }).apply(pooled) as tfl.SymbolicTensor);
  }
  return tfl.model({ inputs: ids, outputs: out, name: decoder ? 'transformer_decoder' : 'transformer_encoder' });
}

/** The attention layers of a model, in order (block 1 first). */
export function attentionLayers(model: tfl.LayersModel): MultiHeadSelfAttention[] {
  return model.layers.filter((l): l is MultiHeadSelfAttention => l instanceof MultiHeadSelfAttention);
}

/**
 * A model sharing `model`'s weights whose outputs are [model output,
 * attention of block 1, block 2, …] — what the heatmaps show.
 */
export function withAttentionOutputs(model: tfl.LayersModel): tfl.LayersModel {
  const layers = attentionLayers(model);
  if (layers.length === 0) throw new Error('the model has no attention layers');
  const maps = layers.map((l) => (l.output as tfl.SymbolicTensor[])[1]);
  return tfl.model({ inputs: model.inputs, outputs: [...model.outputs, ...maps], name: `${model.name}_with_attention` });
}

/** True for a model built by buildTransformer (after loading, too). */
export function isTransformer(model: tfl.LayersModel): boolean {
  return attentionLayers(model).length > 0;
}
