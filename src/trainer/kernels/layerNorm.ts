// Layer normalization over the last axis as two kernels, forward and
// gradient, each one pass over the rows on the heap: the composed ops
// (transformer.ts's layerNorm) take nine kernels forward and some fifteen
// backward, each with the engine's per-kernel cost and a pass over memory of
// its own — a small Transformer's step spent about a fifth of its time in its
// five normalizations. Sums are taken in float64, row by row in order, so the
// result depends on nothing but the inputs (not on the thread count or on
// the backend's own reductions).
//
//   forward:  x̂ = (x − mean) · rstd,  rstd = 1 / √(variance + ε),  y = x̂ · gamma + beta
//   gradient: g = dy · gamma,  dx = rstd · (g − mean(g) − x̂ · mean(g · x̂)),
//             dgamma = Σ_rows dy · x̂,  dbeta = Σ_rows dy

import * as tf from '@tensorflow/tfjs-core';
import type { KernelConfig, KernelFunc } from '@tensorflow/tfjs-core';
import { F32, functionsModuleBytes, I32, modulePerBackend, op, u32, V128, v128Load, v128Store } from './wasmGemm';
import type { Bytes } from './wasmGemm';
import { backendHasKernels, heapF32, heapOffset } from './wasmInternals';
import type { BackendWasm, KernelArgs } from './wasmInternals';
import { splitUnits } from './workerPool';

// ── on wasm: the same passes four floats at a time (rows as wide as a multiple of 4), a module
// assembled in memory as wasmGemm.ts assembles the product kernel. Sums are float32 here, lane by
// lane across the row and then lane 0 + 1 + 2 + 3; dgamma and dbeta add row after row.

const f4 = { add: op.simd(0xe4), sub: op.simd(0xe5), mul: op.simd(0xe6), splat: op.simd(0x13), lane: (i: number) => op.simd(0x1f, i) };
const f1 = { add: [0x92], div: [0x95], sqrt: [0x91], one: [0x43, 0, 0, 0x80, 0x3f], fromU32: [0xb3] };
const zero4 = op.simd(0x0c, ...new Array<number>(16).fill(0));
const loopWhileBelow = (i: number, end: number, ...body: Bytes[]): Bytes => op.block(op.loop(op.get(i), op.get(end), op.geU, op.brIf(1), ...body, op.br(0)));
/** The sum of a v128 local's four lanes, then ÷ width (an i32 local): an f32 on the stack. */
const laneMean = (v: number, width: number): Bytes => [...op.get(v), ...f4.lane(0), ...op.get(v), ...f4.lane(1), ...f1.add, ...op.get(v), ...f4.lane(2), ...f1.add, ...op.get(v), ...f4.lane(3), ...f1.add, ...op.get(width), ...f1.fromU32, ...f1.div];
const load = (base: number, ...offset: number[]): Bytes => [...op.get(base), ...offset.flatMap((o) => [...op.get(o), ...op.add]), ...v128Load()];

// forward(x, gamma, beta, y, xHat, rstd, rows, width: i32; epsilon: f32)
function forwardBody(): Bytes {
  const [x, gamma, beta, y, xh, rstd, rows, width, eps] = [0, 1, 2, 3, 4, 5, 6, 7, 8];
  const [r, rowBytes, j, at] = [9, 10, 11, 12];
  const [sc] = [13];
  const [acc, m4, s4, h] = [14, 15, 16, 17];
  return [
    ...op.get(width), ...op.i32(2), ...op.shl, ...op.set(rowBytes),
    ...op.i32(0), ...op.set(r), ...op.i32(0), ...op.set(at),
    ...loopWhileBelow(r, rows,
      zero4, op.set(acc), op.i32(0), op.set(j),
      loopWhileBelow(j, rowBytes, op.get(acc), load(x, at, j), f4.add, op.set(acc), op.get(j), op.i32(16), op.add, op.set(j)),
      laneMean(acc, width), f4.splat, op.set(m4),
      zero4, op.set(acc), op.i32(0), op.set(j),
      loopWhileBelow(j, rowBytes, load(x, at, j), op.get(m4), f4.sub, op.set(h), op.get(acc), op.get(h), op.get(h), f4.mul, f4.add, op.set(acc), op.get(j), op.i32(16), op.add, op.set(j)),
      f1.one, laneMean(acc, width), op.get(eps), f1.add, f1.sqrt, f1.div, op.set(sc),
      op.get(rstd), op.get(r), op.i32(2), op.shl, op.add, op.get(sc), op.f32Store(),
      op.get(sc), f4.splat, op.set(s4),
      op.i32(0), op.set(j),
      loopWhileBelow(j, rowBytes,
        load(x, at, j), op.get(m4), f4.sub, op.get(s4), f4.mul, op.set(h),
        op.get(xh), op.get(at), op.add, op.get(j), op.add, op.get(h), v128Store(),
        op.get(y), op.get(at), op.add, op.get(j), op.add, op.get(h), load(gamma, j), f4.mul, load(beta, j), f4.add, v128Store(),
        op.get(j), op.i32(16), op.add, op.set(j),
      ),
      op.get(at), op.get(rowBytes), op.add, op.set(at),
      op.get(r), op.i32(1), op.add, op.set(r),
    ),
  ];
}

// gradient(dy, xHat, rstd, gamma, dx, dgamma, dbeta, rows, width: i32)
function gradBody(): Bytes {
  const [dy, xh, rstd, gamma, dx, dgamma, dbeta, rows, width] = [0, 1, 2, 3, 4, 5, 6, 7, 8];
  const [r, rowBytes, j, at] = [9, 10, 11, 12];
  const [accG, accGH, d, h, g, s4] = [13, 14, 15, 16, 17, 18];
  const step = [...op.get(j), ...op.i32(16), ...op.add, ...op.set(j)];
  return [
    ...op.get(width), ...op.i32(2), ...op.shl, ...op.set(rowBytes),
    ...op.i32(0), ...op.set(j),
    ...loopWhileBelow(j, rowBytes, op.get(dgamma), op.get(j), op.add, zero4, v128Store(), op.get(dbeta), op.get(j), op.add, zero4, v128Store(), step),
    ...op.i32(0), ...op.set(r), ...op.i32(0), ...op.set(at),
    ...loopWhileBelow(r, rows,
      zero4, op.set(accG), zero4, op.set(accGH), op.i32(0), op.set(j),
      loopWhileBelow(j, rowBytes,
        load(dy, at, j), op.set(d), load(xh, at, j), op.set(h),
        op.get(d), load(gamma, j), f4.mul, op.set(g),
        op.get(accG), op.get(g), f4.add, op.set(accG),
        op.get(accGH), op.get(g), op.get(h), f4.mul, f4.add, op.set(accGH),
        op.get(dgamma), op.get(j), op.add, load(dgamma, j), op.get(d), op.get(h), f4.mul, f4.add, v128Store(),
        op.get(dbeta), op.get(j), op.add, load(dbeta, j), op.get(d), f4.add, v128Store(),
        step,
      ),
      laneMean(accG, width), f4.splat, op.set(accG),
      laneMean(accGH, width), f4.splat, op.set(accGH),
      op.get(rstd), op.get(r), op.i32(2), op.shl, op.add, op.f32Load(), f4.splat, op.set(s4),
      op.i32(0), op.set(j),
      loopWhileBelow(j, rowBytes,
        op.get(dx), op.get(at), op.add, op.get(j), op.add,
        load(dy, at, j), load(gamma, j), f4.mul, op.get(accG), f4.sub, load(xh, at, j), op.get(accGH), f4.mul, f4.sub, op.get(s4), f4.mul,
        v128Store(),
        step,
      ),
      op.get(at), op.get(rowBytes), op.add, op.set(at),
      op.get(r), op.i32(1), op.add, op.set(r),
    ),
  ];
}

/** The module's bytes: exported functions `forward` and `gradient`, memory imported as env.memory (shared or not). */
export function layerNormModuleBytes(shared = false): Uint8Array<ArrayBuffer> {
  return functionsModuleBytes(shared, [
    { name: 'forward', params: [...new Array<number>(8).fill(I32), F32], locals: [[...u32(4), I32], [...u32(1), F32], [...u32(4), V128]], body: forwardBody() },
    { name: 'gradient', params: new Array<number>(9).fill(I32), locals: [[...u32(4), I32], [...u32(6), V128]], body: gradBody() },
  ]);
}

interface LayerNormLoops {
  forward: (x: number, gamma: number, beta: number, y: number, xHat: number, rstd: number, rows: number, width: number, epsilon: number) => void;
  gradient: (dy: number, xHat: number, rstd: number, gamma: number, dx: number, dgamma: number, dbeta: number, rows: number, width: number) => void;
}

/** The module over a wasm backend's memory, made once; undefined where wasm SIMD is missing. */
export const layerNormLoopsFor = modulePerBackend(layerNormModuleBytes, (e): LayerNormLoops => ({ forward: e.forward as unknown as LayerNormLoops['forward'], gradient: e.gradient as unknown as LayerNormLoops['gradient'] }));

export const LAYER_NORM = 'ModelLabLayerNorm';
export const LAYER_NORM_GRAD = 'ModelLabLayerNormGrad';

/** y, x̂ ([rows·width]) and rstd ([rows]) from x, gamma, beta. */
export function layerNormInto(x: Float32Array, gamma: Float32Array, beta: Float32Array, epsilon: number, y: Float32Array, xHat: Float32Array, rstd: Float32Array): void {
  const width = gamma.length;
  const rows = rstd.length;
  for (let r = 0, at = 0; r < rows; r++, at += width) {
    let sum = 0;
    for (let i = at, end = at + width; i < end; i++) sum += x[i];
    const mean = sum / width;
    let squares = 0;
    for (let i = at, end = at + width; i < end; i++) {
      const c = x[i] - mean;
      squares += c * c;
    }
    const s = 1 / Math.sqrt(squares / width + epsilon);
    rstd[r] = s;
    for (let j = 0; j < width; j++) {
      const h = Math.fround((x[at + j] - mean) * s);
      xHat[at + j] = h;
      y[at + j] = h * gamma[j] + beta[j];
    }
  }
}

/** dx ([rows·width]), dgamma and dbeta ([width]) from dy, x̂, rstd and gamma. */
export function layerNormGradInto(dy: Float32Array, xHat: Float32Array, rstd: Float32Array, gamma: Float32Array, dx: Float32Array, dgamma: Float32Array, dbeta: Float32Array): void {
  const width = gamma.length;
  const rows = rstd.length;
  const dg = new Float64Array(width);
  const db = new Float64Array(width);
  for (let r = 0, at = 0; r < rows; r++, at += width) {
    let sumG = 0;
    let sumGH = 0;
    for (let j = 0; j < width; j++) {
      const d = dy[at + j];
      const h = xHat[at + j];
      const g = d * gamma[j];
      sumG += g;
      sumGH += g * h;
      dg[j] += d * h;
      db[j] += d;
    }
    const [meanG, meanGH, s] = [sumG / width, sumGH / width, rstd[r]];
    for (let j = 0; j < width; j++) dx[at + j] = s * (dy[at + j] * gamma[j] - meanG - xHat[at + j] * meanGH);
  }
  dgamma.set(dg);
  dbeta.set(db);
}

function shapes(x: tf.TensorInfo): { rows: number; width: number } {
  const width = x.shape[x.shape.length - 1] ?? 1;
  return { rows: width === 0 ? 0 : tf.util.sizeFromShape(x.shape) / width, width };
}

function wasmLayerNorm({ inputs, backend: w, attrs }: KernelArgs<BackendWasm>): tf.TensorInfo[] {
  const [x, gamma, beta] = [inputs.x, inputs.gamma, inputs.beta] as tf.TensorInfo[];
  const { rows, width } = shapes(x);
  const [y, xHat, rstd] = [w.makeOutput(x.shape, 'float32'), w.makeOutput(x.shape, 'float32'), w.makeOutput([rows], 'float32')];
  const loops = width % 4 === 0 ? layerNormLoopsFor(w) : undefined;
  if (loops) {
    const at = (t: tf.TensorInfo) => heapOffset(w, t);
    const [eps, rowBytes] = [attrs!.epsilon as number, 4 * width];
    // Rows apart on the engine's threads ([2048, 64]: 120 µs on one, 77 on two; [4096, 256]: 779 and 493).
    splitUnits(w, 'layerNorm', 'forward', loops.forward, rows, rows * width, (r0, r1) => [at(x) + r0 * rowBytes, at(gamma), at(beta), at(y) + r0 * rowBytes, at(xHat) + r0 * rowBytes, at(rstd) + 4 * r0, r1 - r0, width, eps]);
    return [y, xHat, rstd];
  }
  layerNormInto(heapF32(w, x), heapF32(w, gamma), heapF32(w, beta), attrs!.epsilon as number, heapF32(w, y), heapF32(w, xHat), heapF32(w, rstd));
  return [y, xHat, rstd];
}

function wasmLayerNormGrad({ inputs, backend: w }: KernelArgs<BackendWasm>): tf.TensorInfo[] {
  const [dy, xHat, rstd, gamma] = [inputs.dy, inputs.xHat, inputs.rstd, inputs.gamma] as tf.TensorInfo[];
  const [dx, dgamma, dbeta] = [w.makeOutput(dy.shape, 'float32'), w.makeOutput(gamma.shape, 'float32'), w.makeOutput(gamma.shape, 'float32')];
  const { rows, width } = shapes(dy);
  const loops = width % 4 === 0 ? layerNormLoopsFor(w) : undefined;
  if (loops) {
    const at = (t: tf.TensorInfo) => heapOffset(w, t);
    // One thread: split in two passes, by rows for dx and by columns for dgamma and dbeta (each column
    // summed in row order, as here), it measured no faster on two threads than this one pass on one
    // ([2048, 64]: 105 µs against 97; [4096, 256]: 700 against 714).
    loops.gradient(at(dy), at(xHat), at(rstd), at(gamma), at(dx), at(dgamma), at(dbeta), rows, width);
    return [dx, dgamma, dbeta];
  }
  layerNormGradInto(heapF32(w, dy), heapF32(w, xHat), heapF32(w, rstd), heapF32(w, gamma), heapF32(w, dx), heapF32(w, dgamma), heapF32(w, dbeta));
  return [dx, dgamma, dbeta];
}

function cpuLayerNorm({ inputs, backend, attrs }: KernelArgs): tf.TensorInfo[] {
  const [x, gamma, beta] = [inputs.x, inputs.gamma, inputs.beta] as tf.TensorInfo[];
  const read = (t: tf.TensorInfo) => backend.readSync(t.dataId) as Float32Array;
  const { rows } = shapes(x);
  const n = tf.util.sizeFromShape(x.shape);
  const [y, xHat, rstd] = [new Float32Array(n), new Float32Array(n), new Float32Array(rows)];
  layerNormInto(read(x), read(gamma), read(beta), attrs!.epsilon as number, y, xHat, rstd);
  return [
    { dataId: backend.write(y, x.shape, 'float32'), shape: x.shape, dtype: 'float32' },
    { dataId: backend.write(xHat, x.shape, 'float32'), shape: x.shape, dtype: 'float32' },
    { dataId: backend.write(rstd, [rows], 'float32'), shape: [rows], dtype: 'float32' },
  ];
}

function cpuLayerNormGrad({ inputs, backend }: KernelArgs): tf.TensorInfo[] {
  const [dy, xHat, rstd, gamma] = [inputs.dy, inputs.xHat, inputs.rstd, inputs.gamma] as tf.TensorInfo[];
  const read = (t: tf.TensorInfo) => backend.readSync(t.dataId) as Float32Array;
  const width = gamma.shape[0];
  const [dx, dgamma, dbeta] = [new Float32Array(tf.util.sizeFromShape(dy.shape)), new Float32Array(width), new Float32Array(width)];
  layerNormGradInto(read(dy), read(xHat), read(rstd), read(gamma), dx, dgamma, dbeta);
  return [
    { dataId: backend.write(dx, dy.shape, 'float32'), shape: dy.shape, dtype: 'float32' },
    { dataId: backend.write(dgamma, gamma.shape, 'float32'), shape: gamma.shape, dtype: 'float32' },
    { dataId: backend.write(dbeta, gamma.shape, 'float32'), shape: gamma.shape, dtype: 'float32' },
  ];
}

/** Inputs x, gamma, beta (float32; gamma and beta as wide as x's last axis); attr epsilon; outputs y, x̂, rstd. */
export const layerNormWasmConfig: KernelConfig = { kernelName: LAYER_NORM, backendName: 'wasm', kernelFunc: wasmLayerNorm as unknown as KernelFunc };
export const layerNormCpuConfig: KernelConfig = { kernelName: LAYER_NORM, backendName: 'cpu', kernelFunc: cpuLayerNorm as unknown as KernelFunc };
/** Inputs dy, x̂, rstd, gamma (as the forward kernel gave them); outputs dx, dgamma, dbeta. */
export const layerNormGradWasmConfig: KernelConfig = { kernelName: LAYER_NORM_GRAD, backendName: 'wasm', kernelFunc: wasmLayerNormGrad as unknown as KernelFunc };
export const layerNormGradCpuConfig: KernelConfig = { kernelName: LAYER_NORM_GRAD, backendName: 'cpu', kernelFunc: cpuLayerNormGrad as unknown as KernelFunc };

/** Whether the current backend has the kernels (wasm and cpu do, once registered; tensorflow takes the composed ops). */
export function hasLayerNormKernels(): boolean {
  return backendHasKernels(LAYER_NORM, LAYER_NORM_GRAD);
}
