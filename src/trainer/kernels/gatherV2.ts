// GatherV2 (tf.gather: embedding lookups, batch selection) for the wasm
// backend. Its own kernel walks the output element by element with stride
// arithmetic: ~15 ms to pick 2,048 rows of 64 from an embedding table. Here
// each picked slice is one typed-array copy on the wasm heap.

import * as tf from '@tensorflow/tfjs-core';
import type { WasmBackendInternals } from './batchMatMul';

type KernelArgs = { inputs: tf.NamedTensorInfoMap; backend: tf.KernelBackend; attrs?: tf.NamedAttrMap };
type KernelFunc = (args: KernelArgs) => tf.TensorInfo | tf.TensorInfo[];

function view(w: WasmBackendInternals, t: tf.TensorInfo): Float32Array | Int32Array {
  const { memoryOffset } = w.dataIdMap.get(t.dataId);
  const n = tf.util.sizeFromShape(t.shape);
  return t.dtype === 'int32' ? new Int32Array(w.wasm.HEAPU8.buffer, memoryOffset, n) : new Float32Array(w.wasm.HEAPU8.buffer, memoryOffset, n);
}

export function makeWasmGatherV2(original: KernelFunc): KernelFunc {
  return (args) => {
    const { inputs, backend, attrs } = args;
    const w = backend as WasmBackendInternals;
    const x = inputs.x as tf.TensorInfo;
    const indices = inputs.indices as tf.TensorInfo;
    const batchDims = (attrs?.batchDims as number | undefined) ?? 0;
    if (batchDims !== 0 || (x.dtype !== 'float32' && x.dtype !== 'int32') || indices.dtype !== 'int32') return original(args);
    const axis = tf.util.parseAxisParam(attrs!.axis as number, x.shape)[0];
    const outer = tf.util.sizeFromShape(x.shape.slice(0, axis));
    const dim = x.shape[axis];
    const inner = tf.util.sizeFromShape(x.shape.slice(axis + 1));
    const count = tf.util.sizeFromShape(indices.shape);
    const outShape = [...x.shape.slice(0, axis), ...indices.shape, ...x.shape.slice(axis + 1)];
    const out = w.makeOutput(outShape, x.dtype);
    // Views after the allocation, which may have grown the heap.
    const ids = view(w, indices) as Int32Array;
    for (let i = 0; i < count; i++) {
      const index = ids[i];
      if (!(index >= 0 && index < dim)) {
        w.disposeData(out.dataId);
        throw new Error(`GatherV2: the index value ${index} is not in [0, ${dim - 1}]`);
      }
    }
    const src = view(w, x);
    const dst = view(w, out);
    for (let o = 0; o < outer; o++) {
      const from = o * dim * inner;
      const to = o * count * inner;
      if (inner >= 16) {
        for (let i = 0; i < count; i++) dst.set(src.subarray(from + ids[i] * inner, from + (ids[i] + 1) * inner), to + i * inner);
      } else {
        for (let i = 0; i < count; i++) {
          const s = from + ids[i] * inner;
          const d = to + i * inner;
          for (let j = 0; j < inner; j++) dst[d + j] = src[s + j];
        }
      }
    }
    return out;
  };
}

export function registerWasmGatherV2(): boolean {
  const current = tf.getKernel('GatherV2', 'wasm') as (tf.KernelConfig & { modelLab?: boolean }) | undefined;
  if (!current || current.modelLab) return false;
  tf.unregisterKernel('GatherV2', 'wasm');
  tf.registerKernel({ kernelName: 'GatherV2', backendName: 'wasm', setupFunc: current.setupFunc, kernelFunc: makeWasmGatherV2(current.kernelFunc as KernelFunc) as tf.KernelFunc, modelLab: true } as tf.KernelConfig);
  return true;
}
