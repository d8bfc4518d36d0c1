// Identity for the wasm backend that shares the input's memory, as the CPU
// backend's does, instead of copying it. The engine runs Identity for every
// tensor a gradient saves (engine.clone), several per layer per step; tensors
// are immutable and no kernel writes into its inputs, so a shared buffer is safe.
// The same goes for a Cast to the dtype a tensor already has: every Multiply
// gradient casts its other operand to float32, and the wasm Cast copies it.

import { Cast, Identity } from '@tensorflow/tfjs-core';
import type { KernelConfig, KernelFunc, TensorInfo } from '@tensorflow/tfjs-core';
import { replacedKernel, replacingConfig } from './wasmInternals';
import type { BackendWasm, KernelArgs } from './wasmInternals';

function identity({ inputs, backend }: KernelArgs<BackendWasm>): TensorInfo {
  const x = inputs.x as TensorInfo;
  backend.incRef(x.dataId);
  return { dataId: x.dataId, shape: x.shape, dtype: x.dtype };
}

function castOrShare(args: KernelArgs<BackendWasm>): TensorInfo | TensorInfo[] {
  return (args.inputs.x as TensorInfo).dtype === args.attrs?.dtype ? identity(args) : replacedKernel(Cast).kernelFunc(args);
}

export const identityConfig: KernelConfig = {
  kernelName: Identity,
  backendName: 'wasm',
  kernelFunc: identity as unknown as KernelFunc,
};

/** Replaces the wasm backend's Cast, which it calls for a cast that changes the dtype. */
export const castConfig: KernelConfig = replacingConfig(Cast, castOrShare);
