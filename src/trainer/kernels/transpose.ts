// Transpose for the wasm backend where it swaps two neighbouring axes and
// keeps runs of at least 4 values together: a Transformer's heads split off
// and merged back ([batch, tokens, heads, depth] ↔ [batch, heads, tokens,
// depth], runs of `depth` floats). The backend's own Transpose runs on one
// thread; this one is the wasm loop swapAxes, 16 bytes at a time, its work
// split among the engine's threads by the leading axes (or, with too few, by
// the first swapped one). Measured on the encoder's heads ([32, 64, 2, 32],
// one call): 41 µs the backend's, 27 here on one thread, 17 on two. A copy:
// the same values at any thread count. A matrix transposed (the last axis
// moves: runs of one value) stays with the backend's kernel, which is faster
// at that (a [1600, 128] matrix: 117 µs against 326 here on one thread, 229
// on two), as do other permutations and dtypes.

import { Transpose, util } from '@tensorflow/tfjs-core';
import type { KernelConfig, TensorInfo } from '@tensorflow/tfjs-core';
import { wasmLoopsFor } from './wasmLoops';
import { heapOffset, replacedKernel, replacingConfig } from './wasmInternals';
import type { BackendWasm, KernelArgs } from './wasmInternals';
import { kernelPool, share, SPLIT_MIN_ELEMENTS, splitParts } from './workerPool';
import type { Call } from './workerPool';

/** The shortest run (values kept together) this kernel takes; shorter ones are the backend's. */
const MIN_RUN = 4;

/**
 * [A, B, C, R] for a permutation that swaps axes i and i + 1 of `shape` and
 * keeps the others (A the product of the axes before, R of those after), or
 * undefined for any other.
 */
export function swappedAxes(shape: readonly number[], perm: readonly number[]): [number, number, number, number] | undefined {
  const i = perm.findIndex((p, k) => p !== k);
  if (i < 0 || i + 1 >= perm.length || perm[i] !== i + 1 || perm[i + 1] !== i) return undefined;
  if (perm.some((p, k) => k > i + 1 && p !== k)) return undefined;
  return [util.sizeFromShape(shape.slice(0, i)), shape[i], shape[i + 1], util.sizeFromShape(shape.slice(i + 2))];
}

function transpose(args: KernelArgs<BackendWasm>): TensorInfo {
  const { inputs, backend: w, attrs } = args;
  const x = inputs.x as TensorInfo;
  const perm = attrs!.perm as number[];
  const loops = x.dtype === 'float32' || x.dtype === 'int32' ? wasmLoopsFor(w) : undefined;
  const axes = loops ? swappedAxes(x.shape, perm) : undefined;
  if (!loops || !axes || axes[3] < MIN_RUN) return replacedKernel(Transpose).kernelFunc(args) as TensorInfo;
  const [A, B, C, R] = axes;
  const out = w.makeOutput(perm.map((p) => x.shape[p]), x.dtype);
  const size = A * B * C * R;
  if (size === 0) return out;
  const [src, dst] = [heapOffset(w, x), heapOffset(w, out)];
  const pool = kernelPool(w);
  const threads = pool && size >= SPLIT_MIN_ELEMENTS ? pool.threads : 1;
  if (threads < 2 || (A < threads && B < threads)) {
    loops.swapAxes(src, dst, A, B, C, R, 0, B);
    return out;
  }
  const id = pool!.id('loops', 'swapAxes');
  const fn = loops.swapAxes as unknown as Call['fn'];
  const bytes = 4 * B * C * R;
  // By the leading axes where there are enough of them (each part its own blocks), else by B (each part its own runs of each block).
  const byA = A >= threads;
  const parts = splitParts(threads, byA ? A : B, size);
  const units = byA
    ? Array.from({ length: parts }, (_, t) => {
        const [a0, a1] = share(A, parts, t);
        return [{ fn, id, args: [src + a0 * bytes, dst + a0 * bytes, a1 - a0, B, C, R, 0, B] }];
      })
    : Array.from({ length: parts }, (_, t) => {
        const [b0, b1] = share(B, parts, t);
        return [{ fn, id, args: [src, dst, A, B, C, R, b0, b1] }];
      });
  pool!.run(units);
  return out;
}

/** Replaces the wasm backend's Transpose, which it calls for every other permutation and dtype. */
export const transposeConfig: KernelConfig = replacingConfig(Transpose, transpose);
