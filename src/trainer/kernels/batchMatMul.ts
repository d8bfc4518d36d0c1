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

import { BatchMatMul, broadcast_util, getKernel, Transpose } from '@tensorflow/tfjs-core';
import type { KernelConfig, TensorInfo } from '@tensorflow/tfjs-core';
import { gemmFor } from './wasmGemm';
import { cwrap, disposeTensorView, heapOffset, newTensorId, registerTensorView, replacedKernel, replacingConfig } from './wasmInternals';
import type { BackendWasm, KernelArgs } from './wasmInternals';

/** tfjs-backend-wasm's C BatchMatMul: tensor ids, shapes as int32 bytes, transposes, output id. */
type MatMulFn = (aId: number, aShape: Uint8Array, aRank: number, bId: number, bShape: Uint8Array, bRank: number, ta: boolean, tb: boolean, outId: number) => void;

function size(shape: number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

/** [.., R, C] → [.., C, R] as a new tensor on the backend (caller disposes), by the wasm Transpose. */
function transposeLast2(x: TensorInfo, backend: BackendWasm): TensorInfo {
  const r = x.shape.length;
  const perm = [...Array(r - 2).keys(), r - 1, r - 2];
  return getKernel(Transpose, 'wasm').kernelFunc({ inputs: { x }, backend, attrs: { perm } }) as TensorInfo;
}

/** The backend's own BatchMatMul, for what this kernel leaves to it. */
function original(args: KernelArgs<BackendWasm>): TensorInfo {
  return replacedKernel(BatchMatMul).kernelFunc(args) as TensorInfo;
}

let matMulPair: MatMulFn | undefined;

function batchMatMul({ inputs, backend, attrs }: KernelArgs<BackendWasm>): TensorInfo {
  let a = inputs.a as TensorInfo;
  let b = inputs.b as TensorInfo;
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
  const outShape = [...broadcast_util.assertAndGetBroadcastShape(a.shape.slice(0, -2), b.shape.slice(0, -2)), m, n];

  const temps: TensorInfo[] = [];
  try {
    const gemm = gemmFor(backend);
    if (gemm) {
      // Our own kernel: every case is one call, a batch of pairs with strides (0 for a shared
      // matrix). It reads a transposed A in place; a transposed B is copied (the wasm Transpose).
      if (transposeB) temps.push((b = transposeLast2(b, backend)));
      const out = backend.makeOutput(outShape, 'float32');
      const [ao, bo, oo] = [heapOffset(backend, a), heapOffset(backend, b), heapOffset(backend, out)];
      const [aRow, aK] = transposeA ? [4, 4 * m] : [4 * k, 4];
      if (batchB === 1 && !transposeA) gemm.run(ao, bo, oo, batchA * m, k, n, 1, 0, 0, 0, 0, 0, aRow, aK);
      else gemm.run(ao, bo, oo, m, k, n, Math.max(batchA, batchB), batchA === 1 ? 0 : 4 * m * k, batchB === 1 ? 0 : 4 * k * n, 4 * m * n, 0, 0, aRow, aK);
      return out;
    }
    if (transposeA) temps.push((a = transposeLast2(a, backend)));
    if (transposeB) temps.push((b = transposeLast2(b, backend)));

    if (batchB === 1) {
      // All of A's matrices against one B: stack A's rows into one matrix.
      const out = original({
        inputs: { a: { ...a, shape: [batchA * m, k] }, b: { ...b, shape: [k, n] } },
        backend,
        attrs: { transposeA: false, transposeB: false },
      });
      return { ...out, shape: outShape };
    }
    if (batchA === 1) {
      // One A against a batch of B's: XNNPACK per pair, A shared.
      return pairwise(backend, a, b, batchB, m, k, n, 0, outShape);
    }
    return pairwise(backend, a, b, batchA, m, k, n, 1, outShape);
  } finally {
    for (const t of temps) backend.disposeData(t.dataId);
  }
}

function pairwise(w: BackendWasm, a: TensorInfo, b: TensorInfo, batch: number, m: number, k: number, n: number, aStride: 0 | 1, outShape: number[]): TensorInfo {
  matMulPair ??= cwrap<MatMulFn>(w, 'BatchMatMul', null, ['number', 'array', 'number', 'number', 'array', 'number', 'number', 'number', 'number']);
  const out = w.makeOutput(outShape, 'float32');
  const aBase = heapOffset(w, a);
  const bBase = heapOffset(w, b);
  const oBase = heapOffset(w, out);
  const aShape = new Uint8Array(new Int32Array([1, m, k]).buffer);
  const bShape = new Uint8Array(new Int32Array([1, k, n]).buffer);
  // Views: tensor ids registered at an offset inside another tensor's memory.
  // Released with disposeData of the C side only; the memory belongs to a, b and out.
  const aView = newTensorId(w);
  const bView = newTensorId(w);
  const oView = newTensorId(w);
  for (let i = 0; i < batch; i++) {
    registerTensorView(w, aView, m * k, aBase + 4 * aStride * i * m * k);
    registerTensorView(w, bView, k * n, bBase + 4 * i * k * n);
    registerTensorView(w, oView, m * n, oBase + 4 * i * m * n);
    matMulPair(aView, aShape, 3, bView, bShape, 3, false, false, oView);
    // Disposing drops XNNPACK's operator cached for bView (its packed weights).
    disposeTensorView(w, aView);
    disposeTensorView(w, bView);
    disposeTensorView(w, oView);
  }
  return out;
}

/** Replaces the wasm backend's BatchMatMul, which it calls for what it leaves (non-float32 operands, shapes it cannot broadcast). */
export const batchMatMulConfig: KernelConfig = replacingConfig(BatchMatMul, batchMatMul);
