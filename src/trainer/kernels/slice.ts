// Slice (tf.slice: a training batch's rows, a validation chunk, a window of a
// sequence) for the wasm backend. Its own kernel first copies the whole input
// off the heap (readSync) and then picks the slice from the copy, so taking a
// batch of 64 rows from a [2048, 28, 28, 1] table copied 6.4 MB a step
// (~2.3 ms, 14% of a CNN step), and the copy grows with the table, not the
// batch. Here the slice is read in place: one typed-array copy per contiguous
// run of the output.

import { Slice, slice_util, util } from '@tensorflow/tfjs-core';
import type { KernelConfig, TensorInfo } from '@tensorflow/tfjs-core';
import { heapView, replacedKernel, replacingConfig } from './wasmInternals';
import type { BackendWasm, KernelArgs } from './wasmInternals';

/** Runs shorter than this are copied element by element (a subarray per run costs more). */
const SHORT_RUN = 16;

function slice(args: KernelArgs<BackendWasm>): TensorInfo | TensorInfo[] {
  const { inputs, backend: w, attrs } = args;
  const x = inputs.x as TensorInfo;
  if (x.dtype !== 'float32' && x.dtype !== 'int32') return replacedKernel(Slice).kernelFunc(args);
  const [begin, size] = slice_util.parseSliceParams(x as never, attrs!.begin as number | number[], attrs!.size as number | number[]);
  slice_util.assertParamsValid(x as never, begin, size);
  const out = w.makeOutput(size, x.dtype);
  const total = util.sizeFromShape(size);
  if (total === 0) return out;
  // Views after the allocation, which may have grown the heap.
  const src = heapView(w, x);
  const dst = heapView(w, out);
  const strides = util.computeStrides(x.shape);
  if (slice_util.isSliceContinous(x.shape, begin, size)) {
    const from = slice_util.computeFlatOffset(begin, strides);
    dst.set(src.subarray(from, from + total));
    return out;
  }
  // The output as runs along the last axis; an odometer over the leading axes gives each run's start.
  const rank = x.shape.length;
  const run = size[rank - 1];
  const lead = size.slice(0, rank - 1);
  const at = new Array<number>(rank - 1).fill(0);
  let base = 0;
  for (let d = 0; d < rank; d++) base += begin[d] * (d < rank - 1 ? strides[d] : 1);
  for (let o = 0; o < total; o += run) {
    let s = base;
    for (let d = 0; d < rank - 1; d++) s += at[d] * strides[d];
    if (run >= SHORT_RUN) dst.set(src.subarray(s, s + run), o);
    else for (let j = 0; j < run; j++) dst[o + j] = src[s + j];
    for (let d = rank - 2; d >= 0; d--) {
      if (++at[d] < lead[d]) break;
      at[d] = 0;
    }
  }
  return out;
}

/** Replaces the wasm backend's Slice, which it calls for other dtypes (strings, bool). */
export const sliceConfig: KernelConfig = replacingConfig(Slice, slice);
