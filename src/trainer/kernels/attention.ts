// The attention weights of multi-head self-attention as two kernels, forward
// and gradient, each one pass over the score rows:
//
//   forward:  P[b, h, i, :] = softmax(S[b·H + h, i, :] · scale + (1 − mask[b, :]) · masked
//                                     (+ masked where j > i, causal))
//   gradient: dS = (P · dP − Σ_j (P · dP) · P) · scale
//
// Composed of tfjs ops (transformer.ts) the forward is a multiply, the mask's
// subtract and multiply, two adds and the softmax, each a kernel with the
// engine's per-kernel cost and a pass over the [batch, heads, T, T] scores
// of its own, each recorded for the backward pass; the softmax's gradient and
// the multiply's are five more. The values are the same up to float32
// rounding: the same products and sums in the same order, e^x by the wasm
// loops' series (wasmLoops.ts's exp4, as the large softmax), a row's sums
// across lanes; a key the mask (or causality) hides gets a weight of exactly 0.
//
// On wasm, rows a multiple of 4 floats wide run as a SIMD module over the
// heap, rows split among the engine's threads (each row computed whole by one
// thread: the same values at any thread count); other widths and the CPU
// backend run the JavaScript loops below.

import * as tf from '@tensorflow/tfjs-core';
import type { KernelConfig, KernelFunc, TensorInfo } from '@tensorflow/tfjs-core';
import { F32, functionsModuleBytes, I32, modulePerBackend, op, u32, V128, v128Load, v128Store } from './wasmGemm';
import type { Bytes } from './wasmGemm';
import { EXP_CONSTANTS, exp4, expConstants, simd, splat4 } from './wasmLoops';
import { backendHasKernels, heapF32, heapOffset } from './wasmInternals';
import type { BackendWasm, KernelArgs } from './wasmInternals';
import { splitUnits } from './workerPool';

export const ATTENTION_SOFTMAX = 'ModelLabAttentionSoftmax';
export const ATTENTION_SOFTMAX_GRAD = 'ModelLabAttentionSoftmaxGrad';

const f4 = { ge: simd.f32x4(0x46), add: simd.f32x4(0xe4), sub: simd.f32x4(0xe5), mul: simd.f32x4(0xe6), pmax: simd.f32x4(0xeb), splat: simd.f32x4(0x13), lane: (i: number) => simd.f32x4ExtractLane(i) };
const i4 = { splat: simd.i32x4Splat(), gtS: op.simd(0x3b), add: simd.i32x4Add() };
const f1 = { add: [0x92], max: [0x97], div: [0x95], one: [0x43, 0, 0, 0x80, 0x3f] };
const whileBelow = (i: number, end: number, ...body: Bytes[]): Bytes => op.loopWhile([...op.get(i), ...op.get(end), ...op.geU], ...body);
/** The four lanes of a v128 local combined by an f32 instruction (max or add), left on the stack as an f32. */
const across = (v: number, combine: number[]): Bytes => [...op.get(v), ...f4.lane(0), ...[1, 2, 3].flatMap((k) => [...op.get(v), ...f4.lane(k), ...combine])];

// forward(x, mask, out, r0, r1, cols, rowsPerBatch, causal: i32; scale, masked: f32): rows [r0, r1)
// of x [rows, cols] (byte offsets of the whole tensors) into out; row r belongs to batch entry
// r ÷ rowsPerBatch (its mask row) and is query r mod cols (causal: keys after it are masked).
function forwardBody(): Bytes {
  const g = op.get;
  const s = op.set;
  const [x, mask, out, r0, r1, cols, rowsPerBatch, causal, scale, masked] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9];
  const [r, at, j, rowBytes, maskRow] = [10, 11, 12, 13, 14];
  const [scale4, masked4, causal4, one4, m4, acc, v, lanes, query, t, rr, keep] = [15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26];
  const k = 27;
  const address = (base: number): Bytes => [...g(base), ...g(at), ...op.add, ...g(j), ...op.add];
  return [
    ...expConstants(k),
    ...g(cols), ...op.i32(2), ...op.shl, ...s(rowBytes),
    ...g(scale), ...f4.splat, ...s(scale4),
    ...g(masked), ...f4.splat, ...s(masked4),
    // Added where a key follows the query: masked, or +0 (an exact no-op) when not causal.
    ...g(masked4), ...splat4(0), ...g(causal), ...op.select, ...s(causal4),
    ...splat4(1), ...s(one4),
    ...g(r0), ...s(r),
    ...g(r0), ...g(rowBytes), ...op.mul, ...s(at),
    ...whileBelow(r, r1,
      g(mask), g(r), g(rowsPerBatch), op.divU, g(rowBytes), op.mul, op.add, s(maskRow),
      g(r), g(cols), op.remU, i4.splat, s(query),
      simd.const([0, 0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 3, 0, 0, 0]), s(lanes),
      // v = x · scale + (1 − mask) · masked (+ masked after the query); into out, and its largest value m
      splat4(-Infinity), s(m4), op.i32(0), s(j),
      whileBelow(j, rowBytes,
        address(x), v128Load(), g(scale4), f4.mul,
        g(one4), g(maskRow), g(j), op.add, v128Load(), f4.sub, g(masked4), f4.mul, f4.add,
        g(lanes), g(query), i4.gtS, g(causal4), simd.and(), f4.add, s(v),
        address(out), g(v), v128Store(),
        g(m4), g(v), f4.pmax, s(m4),
        g(lanes), simd.const([4, 0, 0, 0, 4, 0, 0, 0, 4, 0, 0, 0, 4, 0, 0, 0]), i4.add, s(lanes),
        g(j), op.i32(16), op.add, s(j),
      ),
      across(m4, f1.max), f4.splat, s(m4),
      // e^(v − m), summed; 0 where v − m is below the series' least exponent (a masked key's weight is 0, not e^−86)
      splat4(0), s(acc), op.i32(0), s(j),
      whileBelow(j, rowBytes,
        address(out), v128Load(), g(m4), f4.sub, s(v),
        g(v), g(k), f4.ge, s(keep),
        address(out), exp4(v, t, rr, k), g(keep), simd.and(), s(v), g(v), v128Store(),
        g(acc), g(v), f4.add, s(acc),
        g(j), op.i32(16), op.add, s(j),
      ),
      // ÷ the sum as × (1 / sum)
      f1.one, across(acc, f1.add), f1.div, f4.splat, s(acc),
      op.i32(0), s(j),
      whileBelow(j, rowBytes, address(out), address(out), v128Load(), g(acc), f4.mul, v128Store(), g(j), op.i32(16), op.add, s(j)),
      g(at), g(rowBytes), op.add, s(at),
      g(r), op.i32(1), op.add, s(r),
    ),
  ];
}

// gradient(p, dp, out, r0, r1, cols: i32; scale: f32): rows [r0, r1).
function gradBody(): Bytes {
  const g = op.get;
  const s = op.set;
  const [p, dp, out, r0, r1, cols, scale] = [0, 1, 2, 3, 4, 5, 6];
  const [r, at, j, rowBytes] = [7, 8, 9, 10];
  const [scale4, acc, sum4] = [11, 12, 13];
  const address = (base: number): Bytes => [...g(base), ...g(at), ...op.add, ...g(j), ...op.add];
  const product = [...address(p), ...v128Load(), ...address(dp), ...v128Load(), ...f4.mul];
  return [
    ...g(cols), ...op.i32(2), ...op.shl, ...s(rowBytes),
    ...g(scale), ...f4.splat, ...s(scale4),
    ...g(r0), ...s(r),
    ...g(r0), ...g(rowBytes), ...op.mul, ...s(at),
    ...whileBelow(r, r1,
      splat4(0), s(acc), op.i32(0), s(j),
      whileBelow(j, rowBytes, g(acc), product, f4.add, s(acc), g(j), op.i32(16), op.add, s(j)),
      across(acc, f1.add), f4.splat, s(sum4),
      op.i32(0), s(j),
      whileBelow(j, rowBytes,
        address(out), product, g(sum4), address(p), v128Load(), f4.mul, f4.sub, g(scale4), f4.mul, v128Store(),
        g(j), op.i32(16), op.add, s(j),
      ),
      g(at), g(rowBytes), op.add, s(at),
      g(r), op.i32(1), op.add, s(r),
    ),
  ];
}

/** The module's bytes: exported functions `forward` and `gradient`, memory imported as env.memory (shared or not). */
export function attentionModuleBytes(shared = false): Uint8Array<ArrayBuffer> {
  return functionsModuleBytes(shared, [
    { name: 'forward', params: [...new Array<number>(8).fill(I32), F32, F32], locals: [[...u32(5), I32], [...u32(12 + EXP_CONSTANTS.length), V128]], body: forwardBody() },
    { name: 'gradient', params: [...new Array<number>(6).fill(I32), F32], locals: [[...u32(4), I32], [...u32(3), V128]], body: gradBody() },
  ]);
}

interface AttentionLoops {
  forward: (x: number, mask: number, out: number, r0: number, r1: number, cols: number, rowsPerBatch: number, causal: number, scale: number, masked: number) => void;
  gradient: (p: number, dp: number, out: number, r0: number, r1: number, cols: number, scale: number) => void;
}

/** The module over a wasm backend's memory, made once; undefined where wasm SIMD is missing. */
export const attentionLoopsFor = modulePerBackend(attentionModuleBytes, (e): AttentionLoops => ({ forward: e.forward as unknown as AttentionLoops['forward'], gradient: e.gradient as unknown as AttentionLoops['gradient'] }));

/** The kernels' settings: the scores' scale (1/√depth), the score a masked key gets, heads, causal. */
export interface AttentionAttrs {
  scale: number;
  masked: number;
  heads: number;
  causal: boolean;
}

/** The forward pass in JavaScript (float32 steps as the wasm loop takes them): x [rows, cols] → out. */
export function attentionSoftmaxInto(x: Float32Array, mask: Float32Array, out: Float32Array, cols: number, rowsPerBatch: number, { scale, masked, causal }: AttentionAttrs): void {
  const f = Math.fround;
  const rows = cols === 0 ? 0 : x.length / cols;
  for (let r = 0, at = 0; r < rows; r++, at += cols) {
    const maskAt = Math.floor(r / rowsPerBatch) * cols;
    const query = r % cols;
    let m = -Infinity;
    for (let j = 0; j < cols; j++) {
      let v = f(f(x[at + j] * scale) + f(f(1 - mask[maskAt + j]) * masked));
      if (causal && j > query) v = f(v + masked);
      out[at + j] = v;
      if (v > m) m = v;
    }
    let sum = 0;
    for (let j = 0; j < cols; j++) {
      const e = f(Math.exp(out[at + j] - m));
      out[at + j] = e;
      sum += e;
    }
    const inverse = f(1 / f(sum));
    for (let j = 0; j < cols; j++) out[at + j] = f(out[at + j] * inverse);
  }
}

/** The gradient in JavaScript: out = (p · dp − Σ (p · dp) · p) · scale, row by row. */
export function attentionSoftmaxGradInto(p: Float32Array, dp: Float32Array, out: Float32Array, cols: number, scale: number): void {
  const f = Math.fround;
  const rows = cols === 0 ? 0 : p.length / cols;
  for (let r = 0, at = 0; r < rows; r++, at += cols) {
    let sum = 0;
    for (let j = 0; j < cols; j++) sum = f(sum + f(p[at + j] * dp[at + j]));
    for (let j = 0; j < cols; j++) out[at + j] = f(f(f(p[at + j] * dp[at + j]) - f(sum * p[at + j])) * scale);
  }
}

function attrsOf(attrs: unknown): AttentionAttrs {
  const a = attrs as Record<string, unknown>;
  return { scale: a.scale as number, masked: a.masked as number, heads: a.heads as number, causal: Boolean(a.causal) };
}

/** [batch, heads, T, T] from the scores [batch·heads, T, T], checking the mask [batch, T] against them. */
function shapes(scores: TensorInfo, mask: TensorInfo, heads: number): { outShape: number[]; cols: number; rowsPerBatch: number } {
  const [bh, t, cols] = scores.shape;
  if (scores.shape.length !== 3 || t !== cols || bh % heads !== 0 || mask.shape.length !== 2 || mask.shape[0] !== bh / heads || mask.shape[1] !== cols) {
    throw new Error(`attention weights: scores [${scores.shape}] with ${heads} heads do not match the key mask [${mask.shape}] (want scores [batch·heads, T, T], mask [batch, T])`);
  }
  return { outShape: [bh / heads, heads, t, cols], cols, rowsPerBatch: heads * t };
}

function wasmForward({ inputs, backend: w, attrs }: KernelArgs<BackendWasm>): TensorInfo {
  const [scores, mask] = [inputs.scores, inputs.mask] as TensorInfo[];
  const a = attrsOf(attrs);
  const { outShape, cols, rowsPerBatch } = shapes(scores, mask, a.heads);
  const out = w.makeOutput(outShape, 'float32');
  const loops = cols % 4 === 0 ? attentionLoopsFor(w) : undefined;
  if (!loops) {
    attentionSoftmaxInto(heapF32(w, scores), heapF32(w, mask), heapF32(w, out), cols, rowsPerBatch, a);
    return out;
  }
  const [x, m, y] = [heapOffset(w, scores), heapOffset(w, mask), heapOffset(w, out)];
  const rows = tf.util.sizeFromShape(outShape) / Math.max(1, cols);
  splitUnits(w, 'attention', 'forward', loops.forward, rows, rows * cols, (r0, r1) => [x, m, y, r0, r1, cols, rowsPerBatch, a.causal ? 1 : 0, a.scale, a.masked]);
  return out;
}

function wasmGrad({ inputs, backend: w, attrs }: KernelArgs<BackendWasm>): TensorInfo {
  const [p, dp] = [inputs.p, inputs.dp] as TensorInfo[];
  const scale = (attrs as Record<string, number>).scale;
  const [bh, t, cols] = [p.shape[0] * p.shape[1], p.shape[2], p.shape[3]];
  const out = w.makeOutput([bh, t, cols], 'float32');
  const loops = cols % 4 === 0 ? attentionLoopsFor(w) : undefined;
  if (!loops) {
    attentionSoftmaxGradInto(heapF32(w, p), heapF32(w, dp), heapF32(w, out), cols, scale);
    return out;
  }
  const [pAt, dpAt, outAt] = [heapOffset(w, p), heapOffset(w, dp), heapOffset(w, out)];
  const rows = bh * t;
  splitUnits(w, 'attention', 'gradient', loops.gradient, rows, rows * cols, (r0, r1) => [pAt, dpAt, outAt, r0, r1, cols, scale]);
  return out;
}

function cpuForward({ inputs, backend, attrs }: KernelArgs): TensorInfo {
  const [scores, mask] = [inputs.scores, inputs.mask] as TensorInfo[];
  const a = attrsOf(attrs);
  const { outShape, cols, rowsPerBatch } = shapes(scores, mask, a.heads);
  const read = (t: TensorInfo) => backend.readSync(t.dataId) as Float32Array;
  const out = new Float32Array(tf.util.sizeFromShape(outShape));
  attentionSoftmaxInto(read(scores), read(mask), out, cols, rowsPerBatch, a);
  return { dataId: backend.write(out, outShape, 'float32'), shape: outShape, dtype: 'float32' };
}

function cpuGrad({ inputs, backend, attrs }: KernelArgs): TensorInfo {
  const [p, dp] = [inputs.p, inputs.dp] as TensorInfo[];
  const read = (t: TensorInfo) => backend.readSync(t.dataId) as Float32Array;
  const shape = [p.shape[0] * p.shape[1], p.shape[2], p.shape[3]];
  const out = new Float32Array(tf.util.sizeFromShape(shape));
  attentionSoftmaxGradInto(read(p), read(dp), out, p.shape[3], (attrs as Record<string, number>).scale);
  return { dataId: backend.write(out, shape, 'float32'), shape, dtype: 'float32' };
}

/** Inputs scores [batch·heads, T, T] and mask [batch, T] (float32, 1 for a key, 0 for padding); attrs AttentionAttrs; output the weights [batch, heads, T, T]. */
export const attentionSoftmaxWasmConfig: KernelConfig = { kernelName: ATTENTION_SOFTMAX, backendName: 'wasm', kernelFunc: wasmForward as unknown as KernelFunc };
export const attentionSoftmaxCpuConfig: KernelConfig = { kernelName: ATTENTION_SOFTMAX, backendName: 'cpu', kernelFunc: cpuForward as unknown as KernelFunc };
/** Inputs p (the forward kernel's weights) and dp, [batch, heads, T, T]; attr scale; output the scores' gradient [batch·heads, T, T]. */
export const attentionSoftmaxGradWasmConfig: KernelConfig = { kernelName: ATTENTION_SOFTMAX_GRAD, backendName: 'wasm', kernelFunc: wasmGrad as unknown as KernelFunc };
export const attentionSoftmaxGradCpuConfig: KernelConfig = { kernelName: ATTENTION_SOFTMAX_GRAD, backendName: 'cpu', kernelFunc: cpuGrad as unknown as KernelFunc };

/** Whether the current backend has the kernels (wasm and cpu do, once registered; tensorflow takes the composed ops). */
export function hasAttentionKernels(): boolean {
  return backendHasKernels(ATTENTION_SOFTMAX, ATTENTION_SOFTMAX_GRAD);
}
