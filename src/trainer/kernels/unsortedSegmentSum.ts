// UnsortedSegmentSum for the wasm backend, which has none: the gradient of
// Gather (embedding lookups) needs it. One pass over the data on the wasm
// heap instead of the CPU fallback's copy in, one pass per segment, copy out:
// for float32 rows of 16 floats or more, each row added by the SIMD loop
// addInto (wasmLoops.ts); else a JavaScript loop over views of the heap.
// Either way each value's sum takes the ids in order, the same floats. The
// JavaScript loop on the threaded build's shared memory is slow: for an
// embedding gradient of 4,096 ids into [2000, 256] the lookup's forward and
// backward took 15–19 ms with it, against 9–11 with a loop over private
// arrays (and copies to and from the heap).

import { UnsortedSegmentSum, util } from '@tensorflow/tfjs-core';
import type { KernelConfig, KernelFunc, TensorInfo } from '@tensorflow/tfjs-core';
import { heapOffset, heapView } from './wasmInternals';
import { wasmLoopsFor } from './wasmLoops';
import type { BackendWasm, KernelArgs } from './wasmInternals';

/** Floats a row has at least for the SIMD loop to take it: below, a call per row costs more than it saves. */
const ROW_LOOP_MIN = 16;

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
  const loops = x.dtype === 'float32' && inner >= ROW_LOOP_MIN ? wasmLoopsFor(w) : undefined;
  if (loops) {
    const [o, xs] = [heapOffset(w, out), heapOffset(w, x)];
    loops.zeroFloats(o, numSegments * inner);
    const ids = segmentIds.dtype === 'int32' ? (heapView(w, segmentIds) as Int32Array) : Int32Array.from(heapView(w, segmentIds));
    const rowBytes = 4 * inner;
    for (let i = 0; i < idCount; i++) {
      const s = ids[i];
      if (s >= 0 && s < numSegments) loops.addInto(o + s * rowBytes, xs + i * rowBytes, inner);
    }
    return out;
  }
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
