// Softmax over the last axis for the wasm backend, for large tensors whose
// rows are a multiple of 8 floats wide: a Transformer's attention weights
// ([batch, heads, tokens, tokens]; the small decoder's are 524,288 floats, two
// a step), which the backend's kernel (XNNPACK's) computes on one thread.
// Here the wasm loop softmaxRows (wasmLoops.ts: e^x by range reduction and a
// series, as accurate as XNNPACK's within a float's rounding), its rows split
// among the engine's threads. Taken at every thread count — the one-thread
// build included — wherever it applies, so a run's numbers do not depend on
// its threads; smaller tensors, other widths and dtypes are the backend's.

import { Softmax, util } from '@tensorflow/tfjs-core';
import type { KernelConfig, TensorInfo } from '@tensorflow/tfjs-core';
import { wasmLoopsFor } from './wasmLoops';
import { heapOffset, replacedKernel, replacingConfig } from './wasmInternals';
import type { BackendWasm, KernelArgs } from './wasmInternals';
import { SPLIT_MIN_ELEMENTS, splitUnits } from './workerPool';

/** The fewest floats this kernel takes (smaller: the backend's). */
const MIN_FLOATS = 4 * SPLIT_MIN_ELEMENTS;

/** Whether a softmax of `rows` rows of `cols` floats is this kernel's (the one-call step, fusedStep.ts, leaves those to the general path). */
export function softmaxIsOurs(rows: number, cols: number): boolean {
  return cols % 8 === 0 && rows * cols >= MIN_FLOATS;
}

function softmax(args: KernelArgs<BackendWasm>): TensorInfo {
  const { inputs, backend: w, attrs } = args;
  const logits = inputs.logits as TensorInfo;
  const rank = logits.shape.length;
  const dim = attrs!.dim as number;
  const cols = logits.shape[rank - 1] ?? 1;
  const n = util.sizeFromShape(logits.shape);
  const rows = cols === 0 ? 0 : n / cols;
  const loops = logits.dtype === 'float32' && (dim === -1 || dim === rank - 1) && softmaxIsOurs(rows, cols) ? wasmLoopsFor(w) : undefined;
  if (!loops) return replacedKernel(Softmax).kernelFunc(args) as TensorInfo;
  const out = w.makeOutput(logits.shape, 'float32');
  const [x, y, rowBytes] = [heapOffset(w, logits), heapOffset(w, out), 4 * cols];
  // Rows apart on the engine's threads.
  splitUnits(w, 'loops', 'softmaxRows', loops.softmaxRows, rows, n, (r0, r1) => [x + r0 * rowBytes, y + r0 * rowBytes, r1 - r0, cols]);
  return out;
}

/** Replaces the wasm backend's Softmax, which it calls for every other case. */
export const softmaxConfig: KernelConfig = replacingConfig(Softmax, softmax);
