// GatherV2 (tf.gather: embedding lookups, batch selection) for the wasm
// backend. Its own kernel walks the output element by element with stride
// arithmetic: ~15 ms to pick 2,048 rows of 64 from an embedding table. Here
// each picked slice is one copy within the wasm heap (copyWithin: no view
// made per slice, so no garbage per row).

import { GatherV2, util } from '@tensorflow/tfjs-core';
import type { KernelConfig, TensorInfo } from '@tensorflow/tfjs-core';
import { heapFloats, heapOffset, heapView, replacedKernel, replacingConfig } from './wasmInternals';
import type { BackendWasm, KernelArgs } from './wasmInternals';

function gatherV2(args: KernelArgs<BackendWasm>): TensorInfo | TensorInfo[] {
  const { inputs, backend: w, attrs } = args;
  const x = inputs.x as TensorInfo;
  const indices = inputs.indices as TensorInfo;
  const batchDims = (attrs?.batchDims as number | undefined) ?? 0;
  if (batchDims !== 0 || (x.dtype !== 'float32' && x.dtype !== 'int32') || indices.dtype !== 'int32') return replacedKernel(GatherV2).kernelFunc(args);
  const axis = util.parseAxisParam(attrs!.axis as number, x.shape)[0];
  const outer = util.sizeFromShape(x.shape.slice(0, axis));
  const dim = x.shape[axis];
  const inner = util.sizeFromShape(x.shape.slice(axis + 1));
  const count = util.sizeFromShape(indices.shape);
  const outShape = [...x.shape.slice(0, axis), ...indices.shape, ...x.shape.slice(axis + 1)];
  const out = w.makeOutput(outShape, x.dtype);
  // Views after the allocation, which may have grown the heap.
  const ids = heapView(w, indices) as Int32Array;
  for (let i = 0; i < count; i++) {
    const index = ids[i];
    if (!(index >= 0 && index < dim)) {
      w.disposeData(out.dataId);
      throw new Error(`GatherV2: the index value ${index} is not in [0, ${dim - 1}]`);
    }
  }
  if (inner >= 16) {
    // Slices of 16 or more: copies within the whole heap, offsets in floats from its start (int32 alike: bits are copied).
    const heap = heapFloats(w);
    const [src0, dst0] = [heapOffset(w, x) / 4, heapOffset(w, out) / 4];
    for (let o = 0; o < outer; o++) {
      const [from, to] = [src0 + o * dim * inner, dst0 + o * count * inner];
      for (let i = 0; i < count; i++) heap.copyWithin(to + i * inner, from + ids[i] * inner, from + (ids[i] + 1) * inner);
    }
    return out;
  }
  const src = heapView(w, x);
  const dst = heapView(w, out);
  for (let o = 0; o < outer; o++) {
    const from = o * dim * inner;
    const to = o * count * inner;
    for (let i = 0; i < count; i++) {
      const s = from + ids[i] * inner;
      const d = to + i * inner;
      for (let j = 0; j < inner; j++) dst[d + j] = src[s + j];
    }
  }
  return out;
}

/** Replaces the wasm backend's GatherV2, which it calls for batchDims > 0 and other dtypes. */
export const gatherV2Config: KernelConfig = replacingConfig(GatherV2, gatherV2);
