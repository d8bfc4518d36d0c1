// MaxPool on the wasm backend for the common case of a CNN, 2×2 windows at
// stride 2 without padding, float32 NHWC with channels in fours, as a wasm
// SIMD loop (wasmLoops.ts, maxPool2x2): the backend's XNNPACK operator takes
// ~0.40 ms for the benchmark CNN's [64, 26, 26, 32] input, the loop ~0.21. Each
// window's value is its first largest (NaN ignored, −∞ for a window of only
// NaN or −∞), as the CPU backend computes it and MaxPoolGrad (poolGrad.ts)
// routes the gradient. Other cases go to the backend's own kernel.

import { backend_util, MaxPool } from '@tensorflow/tfjs-core';
import type { KernelConfig, TensorInfo } from '@tensorflow/tfjs-core';
import { wasmLoopsFor } from './wasmLoops';
import { heapOffset, replacedKernel, replacingConfig } from './wasmInternals';
import { splitUnits } from './workerPool';
import type { BackendWasm, KernelArgs } from './wasmInternals';

function maxPool(args: KernelArgs<BackendWasm>): TensorInfo {
  const { inputs, backend: w, attrs } = args;
  const x = inputs.x as TensorInfo;
  const loops = wasmLoopsFor(w);
  if (loops && x.dtype === 'float32' && x.shape.length === 4) {
    const info = backend_util.computePool2DInfo(x.shape as [number, number, number, number], attrs!.filterSize as [number, number], attrs!.strides as [number, number], 1, attrs!.pad as 'valid', attrs!.dimRoundingMode as 'round' | undefined);
    const { batchSize, inHeight: inH, inWidth: inW, inChannels: c, outHeight: outH, outWidth: outW } = info;
    const fits = info.filterHeight === 2 && info.filterWidth === 2 && info.strideHeight === 2 && info.strideWidth === 2 && info.padInfo.top === 0 && info.padInfo.left === 0 && c % 4 === 0 && 2 * outH <= inH && 2 * outW <= inW;
    if (fits && info.dataFormat === 'channelsLast') {
      const y = w.makeOutput(info.outShape, 'float32');
      const [xAt, yAt, xImage, yImage] = [heapOffset(w, x), heapOffset(w, y), 4 * inH * inW * c, 4 * outH * outW * c];
      // Images apart on the engine's threads.
      splitUnits(w, 'loops', 'maxPool2x2', loops.maxPool2x2, batchSize, batchSize * inH * inW * c, (b0, b1) => [xAt + b0 * xImage, yAt + b0 * yImage, b1 - b0, inH, inW, c, outH, outW]);
      return y;
    }
  }
  return replacedKernel(MaxPool).kernelFunc(args) as TensorInfo;
}

/** Replaces the wasm backend's MaxPool, which it calls for every other case. */
export const maxPoolConfig: KernelConfig = replacingConfig(MaxPool, maxPool);
