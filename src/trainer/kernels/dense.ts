// activation(x·w + b) in one wasm kernel call (x of any rank, its leading axes the rows): our own SIMD kernel
// (wasmGemm.ts) with bias and ReLU in its epilogue, else XNNPACK's fully
// connected operator with the bias and activation fused. tf.fused.matMul
// would reach the same C function, but only through three reshapes and a
// gradient wrapper of its own — and, while gradients are being recorded, it
// splits into matMul + add + activation. The dense op in fusedLayers.ts has
// its own gradient, so it calls this directly.

import * as tf from '@tensorflow/tfjs-core';
import type { KernelConfig, KernelFunc, TensorInfo } from '@tensorflow/tfjs-core';
import { gemmFor } from './wasmGemm';
import { cwrap, heapOffset, tensorId } from './wasmInternals';
import type { BackendWasm, KernelArgs } from './wasmInternals';

export const DENSE = 'ModelLabDense';

/** The activations the wasm fused matMul applies (tfjs-backend-wasm's FusableActivation codes). */
const WASM_ACTIVATION: Record<string, number> = { linear: 0, relu: 1, sigmoid: 5 };

type FusedMatMulFn = (aId: number, aShape: Uint8Array, aRank: number, bId: number, bShape: Uint8Array, bRank: number, ta: boolean, tb: boolean, activation: number, biasId: number, preluId: number, alpha: number, outId: number) => void;
let fusedMatMul: FusedMatMulFn | undefined;

function shapeBytes(shape: number[]): Uint8Array {
  return new Uint8Array(new Int32Array(shape).buffer);
}

function wasmDense({ inputs, backend: w, attrs }: KernelArgs<BackendWasm>): TensorInfo {
  fusedMatMul ??= cwrap<FusedMatMulFn>(w, '_FusedMatMul', null, ['number', 'array', 'number', 'number', 'array', 'number', 'number', 'number', 'number', 'number', 'number', 'number', 'number']);
  const x = inputs.x as TensorInfo;
  const kernel = inputs.w as TensorInfo;
  const bias = inputs.bias as TensorInfo | undefined;
  // Any rank: x's leading axes are the product's rows.
  const k = x.shape[x.shape.length - 1];
  const m = k === 0 ? 0 : tf.util.sizeFromShape(x.shape) / k;
  const n = kernel.shape[1];
  const out = w.makeOutput([...x.shape.slice(0, -1), n], 'float32');
  const activation = attrs!.activation as string;
  const gemm = activation === 'sigmoid' ? undefined : gemmFor(w);
  if (gemm) {
    gemm.run(heapOffset(w, x), heapOffset(w, kernel), heapOffset(w, out), m, k, n, 1, 0, 0, 0, bias ? heapOffset(w, bias) : 0, activation === 'relu' ? 1 : 0, 4 * k, 4);
    return out;
  }
  fusedMatMul(
    tensorId(w, x),
    shapeBytes([1, m, k]),
    3,
    tensorId(w, kernel),
    shapeBytes([1, k, n]),
    3,
    false,
    false,
    WASM_ACTIVATION[attrs!.activation as string],
    bias ? tensorId(w, bias) : 0,
    0,
    0,
    tensorId(w, out),
  );
  return out;
}

/** Model Lab's own kernel (the backend has none by this name): inputs x, w and optional bias; attr activation. */
export const denseConfig: KernelConfig = {
  kernelName: DENSE,
  backendName: 'wasm',
  kernelFunc: wasmDense as unknown as KernelFunc,
};

/** Whether dense() runs as one kernel here for this activation. */
export function hasDenseKernel(activation: string): boolean {
  return activation in WASM_ACTIVATION && tf.getKernel(DENSE, tf.getBackend()) !== undefined;
}

/** activation(x·w + b), x [..., K] (its leading axes the rows), w [K, N], b [N] → [..., N]: one kernel, no gradient (callers bring their own). */
export function dense<T extends tf.Tensor>(x: T, w: tf.Tensor2D, b: tf.Tensor1D | undefined, activation: 'linear' | 'relu' | 'sigmoid'): T {
  const inputs: tf.NamedTensorMap = b ? { x, w, bias: b } : { x, w };
  return tf.engine().runKernel(DENSE, inputs, { activation }) as T;
}
