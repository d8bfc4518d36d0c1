// Identity for the wasm backend that shares the input's memory, as the CPU
// backend's does, instead of copying it. The engine runs Identity for every
// tensor a gradient saves (engine.clone), several per layer per step; tensors
// are immutable and no kernel writes into its inputs, so a shared buffer is safe.
// The same goes for a Cast to the dtype a tensor already has: every Multiply
// gradient casts its other operand to float32, and the wasm Cast copies it.

import { Cast, Identity } from '@tensorflow/tfjs-core';
import type { KernelBackend, KernelConfig, KernelFunc, Tensor, TensorInfo } from '@tensorflow/tfjs-core';
import { engineInternals, replacedKernel, replacingConfig } from './wasmInternals';
import type { BackendWasm, EngineInternals, KernelArgs } from './wasmInternals';

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

const sharingBackends = new WeakSet<KernelBackend>();
let cloneReplaced = false;

/**
 * The engine keeps each tensor a gradient will need by cloning it
 * (`engine.clone`, for every kernel's saved inputs and outputs and every
 * customGrad's `save`), and each clone is a whole kernel dispatch of Identity:
 * 165 of the 497 dispatches of a training step of the bench's Transformer
 * encoder. On a backend whose Identity shares the buffer (wasm with the kernel
 * above, cpu), the clone is a new tensor over the same data; this makes it
 * directly — the same tensor, reference counts and tape entry as the engine's
 * clone, without the dispatch. Tensors of other backends take the engine's
 * own clone. Idempotent; `backend` is the one just selected.
 */
export function shareSavedTensors(backend: KernelBackend): void {
  sharingBackends.add(backend);
  const engine = engineInternals();
  if (cloneReplaced) return;
  cloneReplaced = true;
  const original = engine.clone;
  engine.clone = function sharedClone(this: EngineInternals, x: Tensor): Tensor {
    const owner = this.state.tensorInfo.get(x.dataId)?.backend;
    if (owner === undefined || !sharingBackends.has(owner) || x.dtype === 'string') return original.call(this, x);
    owner.incRef(x.dataId);
    const y = this.makeTensorFromTensorInfo({ dataId: x.dataId, shape: x.shape, dtype: x.dtype }, owner);
    // As the engine's clone: the gradient through a clone is its dy as float32.
    this.addTapeNode(this.state.activeScope.name, { x }, [y], (dy) => ({ x: () => this.runKernel(Cast, { x: dy }, { dtype: 'float32' }) }), [], {});
    return y;
  };
}
