// BatchMatMul for the wasm backend that keeps every product on XNNPACK's fast
// path. tfjs-backend-wasm sends a product to XNNPACK only when it is a single
// matrix pair without transposes; with transposeA/transposeB, or with a batch
// of pairs, it takes a plain C loop that is ~10× slower. Every matMul gradient
// is a transposed product, and attention is a batch of small products.
//
// So this kernel rewrites each product into fast ones:
// - transposes become physical (the wasm Transpose kernel is a fast copy);
// - [..., M, K] × [K, N] (one right-hand matrix) is one […·M, K] × [K, N] product;
// - a true batch becomes one XNNPACK call per pair, on views into the
//   operands' memory (no slicing copies), writing straight into the output.
// Where our own SIMD kernel runs (wasmGemm.ts, about twice XNNPACK's speed on
// these shapes) it takes every product instead, batch and all, in one call.

import * as tf from '@tensorflow/tfjs-core';
import { gemmFor, offsetOf } from './wasmGemm';

/** What this kernel needs of tfjs-backend-wasm's BackendWasm (not exported as a type). */
export interface WasmBackendInternals extends tf.KernelBackend {
  wasm: {
    cwrap: (name: string, ret: null | string, args: string[]) => (...args: unknown[]) => unknown;
    HEAPU8: Uint8Array;
    /** The module's exports; its memory is what our own kernels import (wasmGemm.ts). */
    asm?: { memory?: WebAssembly.Memory };
    tfjs: { registerTensor: (id: number, size: number, offset: number) => void; disposeData: (id: number) => void };
  };
  dataIdMap: { get: (dataId: object) => { id: number; memoryOffset: number } };
  dataIdNextNumber: number;
  makeOutput: (shape: number[], dtype: tf.DataType) => tf.TensorInfo;
  disposeData: (dataId: object) => boolean;
}

/** tfjs-backend-wasm's C BatchMatMul: tensor ids, shapes as int32 bytes, transposes, output id. */
type MatMulFn = (aId: number, aShape: Uint8Array, aRank: number, bId: number, bShape: Uint8Array, bRank: number, ta: boolean, tb: boolean, outId: number) => void;

type KernelFunc = (args: { inputs: tf.NamedTensorInfoMap; backend: tf.KernelBackend; attrs?: tf.NamedAttrMap }) => tf.TensorInfo | tf.TensorInfo[];

function size(shape: number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

/** [.., R, C] → [.., C, R] as a new tensor on the backend (caller disposes). */
function transposeLast2(x: tf.TensorInfo, backend: tf.KernelBackend, transpose: KernelFunc): tf.TensorInfo {
  const r = x.shape.length;
  const perm = [...Array(r - 2).keys(), r - 1, r - 2];
  return transpose({ inputs: { x }, backend, attrs: { perm } }) as tf.TensorInfo;
}

export function makeWasmBatchMatMul(original: KernelFunc, transpose: KernelFunc): KernelFunc {
  let matMulPair: MatMulFn | undefined;

  return ({ inputs, backend, attrs }) => {
    const w = backend as WasmBackendInternals;
    let a = inputs.a as tf.TensorInfo;
    let b = inputs.b as tf.TensorInfo;
    const transposeA = Boolean(attrs?.transposeA);
    const transposeB = Boolean(attrs?.transposeB);
    if (a.dtype !== 'float32' || b.dtype !== 'float32') return original({ inputs, backend, attrs });
    const ar = a.shape.length;
    const br = b.shape.length;
    const m = transposeA ? a.shape[ar - 1] : a.shape[ar - 2];
    const k = transposeA ? a.shape[ar - 2] : a.shape[ar - 1];
    const kb = transposeB ? b.shape[br - 1] : b.shape[br - 2];
    const n = transposeB ? b.shape[br - 2] : b.shape[br - 1];
    if (k !== kb) return original({ inputs, backend, attrs }); // let the original kernel word the error
    const batchA = size(a.shape.slice(0, -2));
    const batchB = size(b.shape.slice(0, -2));
    if (batchA !== batchB && batchA !== 1 && batchB !== 1) return original({ inputs, backend, attrs });
    const outShape = [...tf.broadcast_util.assertAndGetBroadcastShape(a.shape.slice(0, -2), b.shape.slice(0, -2)), m, n];

    const temps: tf.TensorInfo[] = [];
    try {
      const gemm = gemmFor(w);
      if (gemm) {
        // Our own kernel: every case is one call, a batch of pairs with strides (0 for a shared
        // matrix). It reads a transposed A in place; a transposed B is copied (the wasm Transpose).
        if (transposeB) temps.push((b = transposeLast2(b, backend, transpose)));
        const out = w.makeOutput(outShape, 'float32');
        const [ao, bo, oo] = [offsetOf(w, a), offsetOf(w, b), offsetOf(w, out)];
        const [aRow, aK] = transposeA ? [4, 4 * m] : [4 * k, 4];
        if (batchB === 1 && !transposeA) gemm.run(ao, bo, oo, batchA * m, k, n, 1, 0, 0, 0, 0, 0, aRow, aK);
        else gemm.run(ao, bo, oo, m, k, n, Math.max(batchA, batchB), batchA === 1 ? 0 : 4 * m * k, batchB === 1 ? 0 : 4 * k * n, 4 * m * n, 0, 0, aRow, aK);
        return out;
      }
      if (transposeA) temps.push((a = transposeLast2(a, backend, transpose)));
      if (transposeB) temps.push((b = transposeLast2(b, backend, transpose)));

      if (batchB === 1) {
        // All of A's matrices against one B: stack A's rows into one matrix.
        const out = original({
          inputs: { a: { ...a, shape: [batchA * m, k] }, b: { ...b, shape: [k, n] } },
          backend,
          attrs: { transposeA: false, transposeB: false },
        }) as tf.TensorInfo;
        return { ...out, shape: outShape };
      }
      if (batchA === 1) {
        // One A against a batch of B's: XNNPACK per pair, A shared.
        return pairwise(w, a, b, batchB, m, k, n, 0, outShape);
      }
      return pairwise(w, a, b, batchA, m, k, n, 1, outShape);
    } finally {
      for (const t of temps) backend.disposeData(t.dataId);
    }
  };

  function pairwise(w: WasmBackendInternals, a: tf.TensorInfo, b: tf.TensorInfo, batch: number, m: number, k: number, n: number, aStride: 0 | 1, outShape: number[]): tf.TensorInfo {
    matMulPair ??= w.wasm.cwrap('BatchMatMul', null, ['number', 'array', 'number', 'number', 'array', 'number', 'number', 'number', 'number']) as unknown as MatMulFn;
    const out = w.makeOutput(outShape, 'float32');
    const aBase = w.dataIdMap.get(a.dataId).memoryOffset;
    const bBase = w.dataIdMap.get(b.dataId).memoryOffset;
    const oBase = w.dataIdMap.get(out.dataId).memoryOffset;
    const aShape = new Uint8Array(new Int32Array([1, m, k]).buffer);
    const bShape = new Uint8Array(new Int32Array([1, k, n]).buffer);
    // Views: tensor ids registered at an offset inside another tensor's memory.
    // Released with disposeData of the C side only; the memory belongs to a, b and out.
    const aView = w.dataIdNextNumber++;
    const bView = w.dataIdNextNumber++;
    const oView = w.dataIdNextNumber++;
    for (let i = 0; i < batch; i++) {
      w.wasm.tfjs.registerTensor(aView, m * k, aBase + 4 * aStride * i * m * k);
      w.wasm.tfjs.registerTensor(bView, k * n, bBase + 4 * i * k * n);
      w.wasm.tfjs.registerTensor(oView, m * n, oBase + 4 * i * m * n);
      matMulPair!(aView, aShape, 3, bView, bShape, 3, false, false, oView);
      // Disposing drops XNNPACK's operator cached for bView (its packed weights).
      w.wasm.tfjs.disposeData(aView);
      w.wasm.tfjs.disposeData(bView);
      w.wasm.tfjs.disposeData(oView);
    }
    return out;
  }
}

/** Replaces the wasm backend's BatchMatMul with the fast-path one. Idempotent. */
export function registerWasmBatchMatMul(): boolean {
  const current = tf.getKernel('BatchMatMul', 'wasm');
  const transpose = tf.getKernel('Transpose', 'wasm');
  if (!current || !transpose || (current as { modelLab?: boolean }).modelLab) return false;
  tf.unregisterKernel('BatchMatMul', 'wasm');
  const config = {
    kernelName: 'BatchMatMul',
    backendName: 'wasm',
    setupFunc: current.setupFunc,
    kernelFunc: makeWasmBatchMatMul(current.kernelFunc as KernelFunc, transpose.kernelFunc as KernelFunc),
    modelLab: true,
  };
  tf.registerKernel(config as unknown as tf.KernelConfig);
  return true;
}
