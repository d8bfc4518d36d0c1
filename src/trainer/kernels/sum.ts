// Sum over leading axes for the wasm backend: bias gradients (a [rows, units]
// gradient summed over rows) and normalization-scale gradients. The wasm Sum
// reduces only innermost axes, so for these it first transposes the whole
// input (~1 ms for a [2048, 64] gradient). Ours walks the rows once, a cache
// line of columns at a time (wasmLoops.ts, sumRows: ~0.13 ms for a CNN's
// [64, 26, 26, 32] bias gradient; on threads, runs of columns apart); without our wasm loops, a sum over rows is
// a product with a row of ones — [1, rows] · [rows, cols] — in a tenth of the
// transpose's time (~0.4 ms for that CNN gradient, as the product walks x once
// per 8 columns).

import { BatchMatMul, getKernel, Sum, util } from '@tensorflow/tfjs-core';
import type { KernelBackend, KernelConfig, TensorInfo } from '@tensorflow/tfjs-core';
import { wasmLoopsFor } from './wasmLoops';
import { heapF32, heapOffset, replacedKernel, replacingConfig } from './wasmInternals';
import type { BackendWasm, KernelArgs } from './wasmInternals';
import { splitUnits } from './workerPool';

/** Rows of ones on the backend, one per length in use; outside the engine's tensor accounting (callers must not dispose them). */
const onesRows = new WeakMap<KernelBackend, Map<number, TensorInfo>>();
const MAX_CACHED_LENGTHS = 16;

export function onesRow(w: BackendWasm, length: number): TensorInfo {
  let rows = onesRows.get(w);
  if (!rows) onesRows.set(w, (rows = new Map()));
  let row = rows.get(length);
  if (!row) {
    if (rows.size >= MAX_CACHED_LENGTHS) {
      for (const r of rows.values()) w.disposeData(r.dataId);
      rows.clear();
    }
    row = w.makeOutput([1, length], 'float32');
    heapF32(w, row).fill(1);
    rows.set(length, row);
  }
  return row;
}

/** The backend's own Sum, for what this kernel leaves to it. */
function original(args: KernelArgs<BackendWasm>): TensorInfo | TensorInfo[] {
  return replacedKernel(Sum).kernelFunc(args);
}

function sum(args: KernelArgs<BackendWasm>): TensorInfo | TensorInfo[] {
  const { inputs, backend, attrs } = args;
  const x = inputs.x as TensorInfo;
  if (x.dtype !== 'float32') return original(args);
  const axes = util.parseAxisParam(attrs!.axis as number | number[], x.shape).sort((a, b) => a - b);
  const r = axes.length;
  // Only the leading-axes case; innermost axes are what the wasm kernel does well.
  if (r === 0 || r === x.shape.length || axes.some((a, i) => a !== i)) return original(args);
  const rows = util.sizeFromShape(x.shape.slice(0, r));
  const cols = util.sizeFromShape(x.shape.slice(r));
  if (rows === 0 || cols === 0) return original(args);
  const keepDims = Boolean(attrs!.keepDims);
  const shape = keepDims ? x.shape.map((d, i) => (i < r ? 1 : d)) : x.shape.slice(r);
  const loops = wasmLoopsFor(backend);
  if (loops) {
    const out = backend.makeOutput(shape, 'float32');
    const [xAt, outAt] = [heapOffset(backend, x), heapOffset(backend, out)];
    // Runs of 16 columns apart on the engine's threads (each column still summed in row order).
    // Sixteen floats are a cache line: units of four columns had each thread read every line of
    // the rows (the bench CNN's bias gradient, [43264, 32], took 205–242 µs at two threads in 8
    // such units against 81–87 in 2 of 16 columns, and 142–152 at one; [43264, 16] 78 µs in
    // units of four, 43 unsplit).
    splitUnits(backend, 'loops', 'sumRows', loops.sumRows, Math.ceil(cols / 16), rows * cols, (u0, u1) => [xAt + 64 * u0, outAt + 64 * u0, rows, Math.min(cols, 16 * u1) - 16 * u0, cols]);
    return out;
  }
  // The BatchMatMul registered at call time (Model Lab's, when registered).
  const batchMatMul = getKernel(BatchMatMul, 'wasm').kernelFunc;
  const out = batchMatMul({ inputs: { a: onesRow(backend, rows), b: { ...x, shape: [rows, cols] } }, backend, attrs: { transposeA: false, transposeB: false } }) as TensorInfo;
  return { ...out, shape };
}

/** Replaces the wasm backend's Sum, which it calls for all but sums over leading axes of float32. */
export const sumConfig: KernelConfig = replacingConfig(Sum, sum);
