// UnsortedSegmentSum for the wasm backend, which has none: the gradient of
// Gather (embedding lookups) needs it. A plain loop over the wasm heap —
// one pass over the data — instead of the CPU fallback's copy in, one pass
// per segment, copy out.

import * as tf from '@tensorflow/tfjs-core';
import type { WasmBackendInternals } from './batchMatMul';

type View = Float32Array | Int32Array;

function heapView(w: WasmBackendInternals, t: tf.TensorInfo): View {
  const { memoryOffset } = w.dataIdMap.get(t.dataId);
  const n = tf.util.sizeFromShape(t.shape);
  const buffer = w.wasm.HEAPU8.buffer;
  return t.dtype === 'int32' ? new Int32Array(buffer, memoryOffset, n) : new Float32Array(buffer, memoryOffset, n);
}

function unsortedSegmentSum({ inputs, backend, attrs }: { inputs: tf.NamedTensorInfoMap; backend: tf.KernelBackend; attrs?: tf.NamedAttrMap }): tf.TensorInfo {
  const w = backend as WasmBackendInternals;
  const x = inputs.x as tf.TensorInfo;
  const segmentIds = inputs.segmentIds as tf.TensorInfo;
  const numSegments = attrs!.numSegments as number;
  if (x.dtype !== 'float32' && x.dtype !== 'int32') throw new Error(`UnsortedSegmentSum: unsupported dtype ${x.dtype}`);
  const idCount = tf.util.sizeFromShape(segmentIds.shape);
  // Segment ids index the leading dimensions of x; each id owns `inner` values.
  const inner = idCount === 0 ? 0 : tf.util.sizeFromShape(x.shape) / idCount;
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

/** Registers the loop kernel for wasm, replacing the CPU fallback if that was registered first. */
export function registerWasmUnsortedSegmentSum(): boolean {
  const current = tf.getKernel('UnsortedSegmentSum', 'wasm') as (tf.KernelConfig & { modelLab?: boolean }) | undefined;
  if (current?.modelLab) return false;
  if (current) tf.unregisterKernel('UnsortedSegmentSum', 'wasm');
  tf.registerKernel({ kernelName: 'UnsortedSegmentSum', backendName: 'wasm', kernelFunc: unsortedSegmentSum as tf.KernelFunc, modelLab: true } as tf.KernelConfig);
  return true;
}
