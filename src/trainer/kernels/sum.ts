// Sum over leading axes for the wasm backend: bias gradients (a [rows, units]
// gradient summed over rows) and normalization-scale gradients. The wasm Sum
// reduces only innermost axes, so for these it first transposes the whole
// input (~1 ms for a [2048, 64] gradient). A sum over rows is a product with
// a row of ones — [1, rows] · [rows, cols] — which XNNPACK does in a tenth of
// that.

import * as tf from '@tensorflow/tfjs-core';
import type { WasmBackendInternals } from './batchMatMul';

type KernelArgs = { inputs: tf.NamedTensorInfoMap; backend: tf.KernelBackend; attrs?: tf.NamedAttrMap };
type KernelFunc = (args: KernelArgs) => tf.TensorInfo | tf.TensorInfo[];

/** Rows of ones on the backend, one per length in use; outside the engine's tensor accounting. */
const onesRows = new WeakMap<tf.KernelBackend, Map<number, tf.TensorInfo>>();
const MAX_CACHED_LENGTHS = 16;

function onesRow(w: WasmBackendInternals, length: number): tf.TensorInfo {
  let rows = onesRows.get(w);
  if (!rows) onesRows.set(w, (rows = new Map()));
  let row = rows.get(length);
  if (!row) {
    if (rows.size >= MAX_CACHED_LENGTHS) {
      for (const r of rows.values()) w.disposeData(r.dataId);
      rows.clear();
    }
    row = w.makeOutput([1, length], 'float32');
    new Float32Array(w.wasm.HEAPU8.buffer, w.dataIdMap.get(row.dataId).memoryOffset, length).fill(1);
    rows.set(length, row);
  }
  return row;
}

export function makeWasmSum(original: KernelFunc, batchMatMul: () => KernelFunc): KernelFunc {
  return (args) => {
    const { inputs, backend, attrs } = args;
    const x = inputs.x as tf.TensorInfo;
    if (x.dtype !== 'float32') return original(args);
    const axes = tf.util.parseAxisParam(attrs!.axis as number | number[], x.shape).sort((a, b) => a - b);
    const r = axes.length;
    // Only the leading-axes case; innermost axes are what the wasm kernel does well.
    if (r === 0 || r === x.shape.length || axes.some((a, i) => a !== i)) return original(args);
    const w = backend as WasmBackendInternals;
    const rows = tf.util.sizeFromShape(x.shape.slice(0, r));
    const cols = tf.util.sizeFromShape(x.shape.slice(r));
    if (rows === 0 || cols === 0) return original(args);
    const out = batchMatMul()({ inputs: { a: onesRow(w, rows), b: { ...x, shape: [rows, cols] } }, backend, attrs: { transposeA: false, transposeB: false } }) as tf.TensorInfo;
    const keepDims = Boolean(attrs!.keepDims);
    return { ...out, shape: keepDims ? x.shape.map((d, i) => (i < r ? 1 : d)) : x.shape.slice(r) };
  };
}

export function registerWasmSum(): boolean {
  const current = tf.getKernel('Sum', 'wasm') as (tf.KernelConfig & { modelLab?: boolean }) | undefined;
  if (!current || current.modelLab) return false;
  tf.unregisterKernel('Sum', 'wasm');
  // Looked up at call time: the BatchMatMul registered then (Model Lab's, when registered).
  const batchMatMul = () => tf.getKernel('BatchMatMul', 'wasm')!.kernelFunc as KernelFunc;
  tf.registerKernel({ kernelName: 'Sum', backendName: 'wasm', setupFunc: current.setupFunc, kernelFunc: makeWasmSum(current.kernelFunc as KernelFunc, batchMatMul) as tf.KernelFunc, modelLab: true } as tf.KernelConfig);
  return true;
}
