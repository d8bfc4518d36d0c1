// A Transformer's projections into and out of its attention heads as
// products on our matrix kernel (wasmGemm.ts) that read and write the heads'
// layout in place, for the wasm backend:
//
//   into heads:  x [B, T, d] · w [d, H·dk] + b → [B·H, T, dk]
//   out of them: ctx [B·H, T, dk] → [B, T, H·dk] · w [H·dk, dOut] + b → [B, T, dOut]
//
// Composed of tfjs ops, each is a dense product, two reshapes and a transpose
// (a pass over the activations, on one thread where a run of floats is
// short), forward and again backward, each recorded on the tape. Here each
// head is one call of the kernel over the batch's texts: head h's columns of
// w are a strided B (its rows d·4 bytes apart), its rows of the output a
// strided C, and the kernel's batch strides step from text to text. Every
// value is the same sum in the same order as the composed ops' (k ascending,
// bias last; the weight gradients summed over texts, then tokens, as the
// [B·T, d] product sums its rows), so the two paths agree bit for bit where a
// head is a multiple of 8 wide (the kernel's column strips then fall as the
// composed product's do; a narrower head's columns take the kernel's one-at-a-
// time tail, without fused multiply-adds: equal within float32 rounding).

import * as tf from '@tensorflow/tfjs-core';
import { getKernel, Transpose } from '@tensorflow/tfjs-core';
import type { KernelConfig, KernelFunc, TensorInfo } from '@tensorflow/tfjs-core';
import { onesRow } from './sum';
import { gemmFor } from './wasmGemm';
import type { Gemm } from './wasmGemm';
import { heapF32, heapOffset } from './wasmInternals';
import type { BackendWasm, KernelArgs } from './wasmInternals';

export const DENSE_TO_HEADS = 'ModelLabDenseToHeads';
export const DENSE_TO_HEADS_GRAD = 'ModelLabDenseToHeadsGrad';
export const DENSE_FROM_HEADS = 'ModelLabDenseFromHeads';
export const DENSE_FROM_HEADS_GRAD = 'ModelLabDenseFromHeadsGrad';

/** w [R, C] → [C, R] on the backend (the caller disposes it): a weight matrix, small beside the activations. */
function transposed(w: TensorInfo, backend: BackendWasm): TensorInfo {
  return getKernel(Transpose, 'wasm').kernelFunc({ inputs: { x: w }, backend, attrs: { perm: [1, 0] } }) as TensorInfo;
}

/** A new float32 tensor of zeros on the backend (a gradient the kernel adds into). */
function zeros(backend: BackendWasm, shape: number[]): TensorInfo {
  const t = backend.makeOutput(shape, 'float32');
  heapF32(backend, t).fill(0);
  return t;
}

function kernel(backend: BackendWasm): Gemm {
  const gemm = gemmFor(backend);
  if (!gemm) throw new Error('heads kernels: no matrix kernel on this backend (hasHeadsKernels said there was)');
  return gemm;
}

/** Inputs x [B, T, d], w [d, H·dk], optional bias [H·dk]; attr heads → [B·H, T, dk]. */
function toHeads({ inputs, backend: w, attrs }: KernelArgs<BackendWasm>): TensorInfo {
  const [x, weights, bias] = [inputs.x, inputs.w, inputs.bias] as (TensorInfo | undefined)[] as TensorInfo[];
  const heads = (attrs as Record<string, number>).heads;
  const [batch, length, d] = x.shape;
  const width = weights.shape[1];
  const dk = width / heads;
  const out = w.makeOutput([batch * heads, length, dk], 'float32');
  const gemm = kernel(w);
  const [X, W, O, Bias] = [heapOffset(w, x), heapOffset(w, weights), heapOffset(w, out), bias ? heapOffset(w, bias) : 0];
  for (let h = 0; h < heads; h++) {
    // Texts as the batch: x_b [T, d] · w's columns of head h (rows width·4 bytes apart) → the block of (b, h).
    gemm.run(X, W + 4 * h * dk, O + 4 * h * length * dk, length, d, dk, batch, 4 * length * d, 0, 4 * heads * length * dk, bias ? Bias + 4 * h * dk : 0, 0, 4 * d, 4, 0, 4 * width);
  }
  return out;
}

/** Inputs dy [B·H, T, dk], x, w; attrs heads, bias (whether to give its gradient) → dx, dw (and db). */
function toHeadsGrad({ inputs, backend: w, attrs }: KernelArgs<BackendWasm>): TensorInfo[] {
  const [dy, x, weights] = [inputs.dy, inputs.x, inputs.w] as TensorInfo[];
  const { heads, bias } = attrs as { heads: number; bias: boolean };
  const [batch, length, d] = x.shape;
  const width = weights.shape[1];
  const dk = width / heads;
  const gemm = kernel(w);
  const wT = transposed(weights, w);
  const dwT = zeros(w, [width, d]);
  const dx = w.makeOutput(x.shape, 'float32');
  const db = bias ? zeros(w, [width]) : undefined;
  try {
    const [DY, X, WT, DX, DWT] = [heapOffset(w, dy), heapOffset(w, x), heapOffset(w, wT), heapOffset(w, dx), heapOffset(w, dwT)];
    const [pairStride, headBytes] = [4 * heads * length * dk, 4 * length * dk];
    // db's heads: a row of ones [1, T] · dy_bh, the texts in order.
    const [ones, DB] = db ? [heapOffset(w, onesRow(w, length)), heapOffset(w, db)] : [0, 0];
    for (let h = 0; h < heads; h++) {
      // dx_b (+)= dy_bh · (rows of head h of wᵀ): over the heads in order, as k runs over the merged width.
      gemm.run(DY + h * headBytes, WT + 4 * h * dk * d, DX, length, dk, d, batch, pairStride, 0, 4 * length * d, 0, 0, 4 * dk, 4, h > 0 ? 1 : 0);
      // dwᵀ's rows of head h += dy_bhᵀ · x_b, the texts in order (one C for every pair: split by rows, not pairs).
      gemm.run(DY + h * headBytes, X, DWT + 4 * h * dk * d, dk, length, d, batch, pairStride, 4 * length * d, 0, 0, 0, 4, 4 * dk, 1);
      if (db) gemm.run(ones, DY + h * headBytes, DB + 4 * h * dk, 1, length, dk, batch, 0, pairStride, 0, 0, 0, 4 * length, 4, 1);
    }
    const dw = transposed(dwT, w);
    return db ? [dx, dw, db] : [dx, dw];
  } finally {
    w.disposeData(wT.dataId);
    w.disposeData(dwT.dataId);
  }
}

/** Inputs ctx [B·H, T, dk], w [H·dk, dOut], optional bias [dOut]; attr heads → [B, T, dOut]. */
function fromHeads({ inputs, backend: w, attrs }: KernelArgs<BackendWasm>): TensorInfo {
  const [ctx, weights, bias] = [inputs.ctx, inputs.w, inputs.bias] as (TensorInfo | undefined)[] as TensorInfo[];
  const heads = (attrs as Record<string, number>).heads;
  const [bh, length, dk] = ctx.shape;
  const batch = bh / heads;
  const dOut = weights.shape[1];
  const out = w.makeOutput([batch, length, dOut], 'float32');
  const gemm = kernel(w);
  const [C, W, O] = [heapOffset(w, ctx), heapOffset(w, weights), heapOffset(w, out)];
  for (let h = 0; h < heads; h++) {
    // out_b (+)= ctx_bh · (w's rows of head h); the bias with the last head.
    const last = h === heads - 1;
    gemm.run(C + 4 * h * length * dk, W + 4 * h * dk * dOut, O, length, dk, dOut, batch, 4 * heads * length * dk, 0, 4 * length * dOut, last && bias ? heapOffset(w, bias) : 0, 0, 4 * dk, 4, h > 0 ? 1 : 0);
  }
  return out;
}

/** Inputs dy [B, T, dOut], ctx, w; attrs heads, bias → dctx, dw (and db). */
function fromHeadsGrad({ inputs, backend: w, attrs }: KernelArgs<BackendWasm>): TensorInfo[] {
  const [dy, ctx, weights] = [inputs.dy, inputs.ctx, inputs.w] as TensorInfo[];
  const { heads, bias } = attrs as { heads: number; bias: boolean };
  const [bh, length, dk] = ctx.shape;
  const batch = bh / heads;
  const [width, dOut] = weights.shape;
  const gemm = kernel(w);
  const wT = transposed(weights, w);
  const dctx = w.makeOutput(ctx.shape, 'float32');
  const dw = zeros(w, weights.shape);
  const db = bias ? w.makeOutput([dOut], 'float32') : undefined;
  try {
    const [DY, C, WT, DC, DW] = [heapOffset(w, dy), heapOffset(w, ctx), heapOffset(w, wT), heapOffset(w, dctx), heapOffset(w, dw)];
    const [pairStride, headBytes] = [4 * heads * length * dk, 4 * length * dk];
    for (let h = 0; h < heads; h++) {
      // dctx_bh = dy_b · (wᵀ's columns of head h, rows width·4 bytes apart).
      gemm.run(DY, WT + 4 * h * dk, DC + h * headBytes, length, dOut, dk, batch, 4 * length * dOut, 0, pairStride, 0, 0, 4 * dOut, 4, 0, 4 * width);
      // dw's rows of head h += ctx_bhᵀ · dy_b, the texts in order (one C for every pair).
      gemm.run(C + h * headBytes, DY, DW + 4 * h * dk * dOut, dk, length, dOut, batch, pairStride, 4 * length * dOut, 0, 0, 0, 4, 4 * dk, 1);
    }
    // db: the rows of dy [B·T, dOut] summed in order.
    if (db) gemm.run(heapOffset(w, onesRow(w, batch * length)), DY, heapOffset(w, db), 1, batch * length, dOut, 1, 0, 0, 0, 0, 0, 4 * batch * length, 4);
    return db ? [dctx, dw, db] : [dctx, dw];
  } finally {
    w.disposeData(wT.dataId);
  }
}

const config = (kernelName: string, kernelFunc: unknown): KernelConfig => ({ kernelName, backendName: 'wasm', kernelFunc: kernelFunc as KernelFunc });
export const headsKernelConfigs: readonly KernelConfig[] = [
  config(DENSE_TO_HEADS, toHeads),
  config(DENSE_TO_HEADS_GRAD, toHeadsGrad),
  config(DENSE_FROM_HEADS, fromHeads),
  config(DENSE_FROM_HEADS_GRAD, fromHeadsGrad),
];

/** Whether the current backend runs the heads kernels: wasm with our matrix kernel (not with MODELLAB_GEMM=xnnpack, nor without SIMD). */
export function hasHeadsKernels(): boolean {
  return tf.getBackend() === 'wasm' && tf.getKernel(DENSE_TO_HEADS, 'wasm') !== undefined && gemmFor(tf.backend() as BackendWasm) !== undefined;
}
