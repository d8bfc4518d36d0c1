// The gradient through an activation, from its output: dy·f'(x) written with
// y = f(x). One kernel where the composed ops take two or three (relu:
// Step + Multiply; sigmoid: Sub + Multiply + Multiply), each with the engine's
// per-kernel overhead — which, for small layers, costs more than the arithmetic.

import * as tf from '@tensorflow/tfjs-core';
import type { WasmBackendInternals } from './batchMatMul';

export const ACTIVATION_GRAD = 'ModelLabActivationGrad';

/** Activations whose derivative is a function of their output. */
export type OutputDifferentiable = 'relu' | 'sigmoid' | 'tanh';

function fill(activation: OutputDifferentiable, dy: Float32Array, y: Float32Array, out: Float32Array): void {
  const n = out.length;
  if (activation === 'relu') for (let i = 0; i < n; i++) out[i] = y[i] > 0 ? dy[i] : 0;
  else if (activation === 'sigmoid') for (let i = 0; i < n; i++) out[i] = dy[i] * y[i] * (1 - y[i]);
  else for (let i = 0; i < n; i++) out[i] = dy[i] * (1 - y[i] * y[i]);
}

type KernelArgs = { inputs: tf.NamedTensorInfoMap; backend: tf.KernelBackend; attrs?: tf.NamedAttrMap };

function wasmActivationGrad({ inputs, backend, attrs }: KernelArgs): tf.TensorInfo {
  const b = backend as WasmBackendInternals;
  const dy = inputs.dy as tf.TensorInfo;
  const out = b.makeOutput(dy.shape, 'float32');
  const view = (t: tf.TensorInfo) => new Float32Array(b.wasm.HEAPU8.buffer, b.dataIdMap.get(t.dataId).memoryOffset, tf.util.sizeFromShape(t.shape));
  fill(attrs!.activation as OutputDifferentiable, view(dy), view(inputs.y as tf.TensorInfo), view(out));
  return out;
}

function cpuActivationGrad({ inputs, backend, attrs }: KernelArgs): tf.TensorInfo {
  const dy = inputs.dy as tf.TensorInfo;
  const out = new Float32Array(tf.util.sizeFromShape(dy.shape));
  fill(attrs!.activation as OutputDifferentiable, backend.readSync(dy.dataId) as Float32Array, backend.readSync((inputs.y as tf.TensorInfo).dataId) as Float32Array, out);
  return { dataId: backend.write(out, dy.shape, 'float32'), shape: dy.shape, dtype: 'float32' };
}

export function registerActivationGradKernels(): void {
  for (const [backendName, kernelFunc] of [['wasm', wasmActivationGrad], ['cpu', cpuActivationGrad]] as const) {
    if (!tf.getKernel(ACTIVATION_GRAD, backendName)) tf.registerKernel({ kernelName: ACTIVATION_GRAD, backendName, kernelFunc: kernelFunc as unknown as tf.KernelFunc });
  }
}

/** dy·f'(x) from y = f(x): the fused kernel where the backend has it, else composed ops. */
export function activationGrad(activation: OutputDifferentiable, dy: tf.Tensor, y: tf.Tensor): tf.Tensor {
  if (dy.dtype === 'float32' && y.dtype === 'float32' && tf.getKernel(ACTIVATION_GRAD, tf.getBackend())) {
    return tf.engine().runKernel(ACTIVATION_GRAD, { dy, y }, { activation }) as tf.Tensor;
  }
  return tf.tidy(() => {
    if (activation === 'relu') return tf.mul(dy, tf.step(y));
    if (activation === 'sigmoid') return tf.mul(dy, tf.mul(y, tf.sub(1, y)));
    return tf.mul(dy, tf.sub(1, tf.square(y)));
  });
}
