// UnsortedSegmentSum for the wasm backend, which has none: the gradient of
// Gather (embedding lookups) needs it. A plain loop over the wasm heap —
// one pass over the data — instead of the CPU fallback's copy in, one pass
// per segment, copy out.

import { UnsortedSegmentSum, util } from '@tensorflow/tfjs-core';
import type { KernelConfig, KernelFunc, TensorInfo } from '@tensorflow/tfjs-core';
import { heapView } from './wasmInternals';
import type { BackendWasm, KernelArgs } from './wasmInternals';

function unsortedSegmentSum({ inputs, backend: w, attrs }: KernelArgs<BackendWasm>): TensorInfo {
  const x = inputs.x as TensorInfo;
  const segmentIds = inputs.segmentIds as TensorInfo;
  const numSegments = attrs!.numSegments as number;
  if (x.dtype !== 'float32' && x.dtype !== 'int32') throw new Error(`UnsortedSegmentSum: unsupported dtype ${x.dtype}`);
  const idCount = util.sizeFromShape(segmentIds.shape);
  // Segment ids index the leading dimensions of x; each id owns `inner` values.
  const inner = idCount === 0 ? 0 : util.sizeFromShape(x.shape) / idCount;
  const outShape = [numSegments, ...x.shape.slice(segmentIds.shape.length)];
  const out = w.makeOutput(outShape, x.dtype);
  // Views are taken after makeOutput: an allocation may grow (and detach) the heap.
  const o = heapView(w, out);
  const xs = heapView(w, x);
  const ids = segmentIds.dtype === 'int32' ? (heapView(w, segmentIds) as Int32Array) : Int32Array.from(heapView(w, segmentIds));
  o.fill(0);
  for (let i = 0; i < idCount; i++) {
    const s = ids[i];
    if (s < 0 || s >= numSegments) continue; // TensorFlow drops out-of-range ids
    const from = i * inner;
    const to = s * inner;
    for (let j = 0; j < inner; j++) o[to + j] += xs[from + j];
  }
  return out;
}

/** The wasm backend has no UnsortedSegmentSum of its own: this one replaces the CPU fallback if that was registered first. */
export const unsortedSegmentSumConfig: KernelConfig = {
  kernelName: UnsortedSegmentSum,
  backendName: 'wasm',
  kernelFunc: unsortedSegmentSum as unknown as KernelFunc,
};
