// The gradient through an activation, from its output: dy·f'(x) written with
// y = f(x). One kernel where the composed ops take two or three (relu:
// Step + Multiply; sigmoid: Sub + Multiply + Multiply), each with the engine's
// per-kernel overhead — which, for small layers, costs more than the arithmetic.
// On wasm, ReLU's goes four floats at a time (wasmLoops.ts): a conv
// layer's output is a million floats and more.

import * as tf from '@tensorflow/tfjs-core';
import type { KernelConfig, KernelFunc } from '@tensorflow/tfjs-core';
import { wasmLoopsFor } from './wasmLoops';
import { heapF32, heapOffset } from './wasmInternals';
import { splitUnits } from './workerPool';
import type { BackendWasm, KernelArgs } from './wasmInternals';

export const ACTIVATION_GRAD = 'ModelLabActivationGrad';

/** Activations whose derivative is a function of their output. */
export type OutputDifferentiable = 'relu' | 'sigmoid' | 'tanh';

/** out = dy·f'(x) from y = f(x), element by element (out may be dy); the kernel's own arithmetic, which the one-call training step (fusedStep.ts) shares. */
export function activationGradInto(activation: OutputDifferentiable, dy: Float32Array, y: Float32Array, out: Float32Array): void {
  const n = out.length;
  if (activation === 'relu') for (let i = 0; i < n; i++) out[i] = y[i] > 0 ? dy[i] : 0;
  else if (activation === 'sigmoid') for (let i = 0; i < n; i++) out[i] = dy[i] * y[i] * (1 - y[i]);
  else for (let i = 0; i < n; i++) out[i] = dy[i] * (1 - y[i] * y[i]);
}

function wasmActivationGrad({ inputs, backend, attrs }: KernelArgs<BackendWasm>): tf.TensorInfo {
  const dy = inputs.dy as tf.TensorInfo;
  const out = backend.makeOutput(dy.shape, 'float32');
  const loops = attrs!.activation === 'relu' ? wasmLoopsFor(backend) : undefined;
  if (loops) {
    const [dyAt, yAt, outAt, n] = [heapOffset(backend, dy), heapOffset(backend, inputs.y as tf.TensorInfo), heapOffset(backend, out), tf.util.sizeFromShape(dy.shape)];
    // Runs of four floats apart on the engine's threads.
    splitUnits(backend, 'loops', 'reluGrad', loops.reluGrad, Math.ceil(n / 4), n, (q0, q1) => [dyAt + 16 * q0, yAt + 16 * q0, outAt + 16 * q0, Math.min(n, 4 * q1) - 4 * q0]);
    return out;
  }
  activationGradInto(attrs!.activation as OutputDifferentiable, heapF32(backend, dy), heapF32(backend, inputs.y as tf.TensorInfo), heapF32(backend, out));
  return out;
}

function cpuActivationGrad({ inputs, backend, attrs }: KernelArgs): tf.TensorInfo {
  const dy = inputs.dy as tf.TensorInfo;
  const out = new Float32Array(tf.util.sizeFromShape(dy.shape));
  activationGradInto(attrs!.activation as OutputDifferentiable, backend.readSync(dy.dataId) as Float32Array, backend.readSync((inputs.y as tf.TensorInfo).dataId) as Float32Array, out);
  return { dataId: backend.write(out, dy.shape, 'float32'), shape: dy.shape, dtype: 'float32' };
}

/** Inputs dy and y (float32, one shape); attr activation. */
export const activationGradWasmConfig: KernelConfig = {
  kernelName: ACTIVATION_GRAD,
  backendName: 'wasm',
  kernelFunc: wasmActivationGrad as unknown as KernelFunc,
};

export const activationGradCpuConfig: KernelConfig = {
  kernelName: ACTIVATION_GRAD,
  backendName: 'cpu',
  kernelFunc: cpuActivationGrad as unknown as KernelFunc,
};

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
