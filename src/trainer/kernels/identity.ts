// Identity for the wasm backend that shares the input's memory, as the CPU
// backend's does, instead of copying it. The engine runs Identity for every
// tensor a gradient saves (engine.clone), several per layer per step; tensors
// are immutable and no kernel writes into its inputs, so a shared buffer is safe.
// The same goes for a Cast to the dtype a tensor already has: every Multiply
// gradient casts its other operand to float32, and the wasm Cast copies it.

import * as tf from '@tensorflow/tfjs-core';

function identity({ inputs, backend }: { inputs: tf.NamedTensorInfoMap; backend: tf.KernelBackend }): tf.TensorInfo {
  const x = inputs.x as tf.TensorInfo;
  (backend as tf.KernelBackend & { incRef(dataId: object): void }).incRef(x.dataId);
  return { dataId: x.dataId, shape: x.shape, dtype: x.dtype };
}

export function registerWasmIdentity(): boolean {
  const current = tf.getKernel('Identity', 'wasm') as (tf.KernelConfig & { modelLab?: boolean }) | undefined;
  if (!current || current.modelLab) return false;
  tf.unregisterKernel('Identity', 'wasm');
  tf.registerKernel({ kernelName: 'Identity', backendName: 'wasm', kernelFunc: identity as unknown as tf.KernelFunc, modelLab: true } as tf.KernelConfig);
  const cast = tf.getKernel('Cast', 'wasm') as (tf.KernelConfig & { modelLab?: boolean }) | undefined;
  if (cast && !cast.modelLab) {
    const original = cast.kernelFunc;
    const castOrShare = (args: { inputs: tf.NamedTensorInfoMap; backend: tf.KernelBackend; attrs?: tf.NamedAttrMap }) =>
      (args.inputs.x as tf.TensorInfo).dtype === args.attrs?.dtype ? identity(args) : original(args as Parameters<tf.KernelFunc>[0]);
    tf.unregisterKernel('Cast', 'wasm');
    tf.registerKernel({ ...cast, kernelFunc: castOrShare as unknown as tf.KernelFunc, modelLab: true } as tf.KernelConfig);
  }
  return true;
}
