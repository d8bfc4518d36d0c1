// Every kernel of Model Lab's own, and the one call that registers them.

import type { KernelConfig } from '@tensorflow/tfjs-core';
import { activationGradCpuConfig, activationGradWasmConfig } from './activationGrad';
import { adamUpdateCpuConfig, adamUpdateWasmConfig } from './adamUpdate';
import { attentionSoftmaxCpuConfig, attentionSoftmaxGradCpuConfig, attentionSoftmaxGradWasmConfig, attentionSoftmaxWasmConfig } from './attention';
import { batchMatMulConfig } from './batchMatMul';
import { conv2dBackpropFilterConfig, conv2dBackpropInputConfig, conv2dConfig, conv2dGradientsConfig, fusedConv2dConfig } from './conv2d';
import { denseConfig } from './dense';
import { elementwiseConfigs } from './elementwise';
import { gatherV2Config } from './gatherV2';
import { headsKernelConfigs } from './heads';
import { layerNormCpuConfig, layerNormGradCpuConfig, layerNormGradWasmConfig, layerNormWasmConfig } from './layerNorm';
import { castConfig, identityConfig } from './identity';
import { maxPoolConfig } from './maxPool';
import { avgPoolGradConfig, maxPoolGradConfig } from './poolGrad';
import { sliceConfig } from './slice';
import { softmaxConfig } from './softmax';
import { sumConfig } from './sum';
import { transposeConfig } from './transpose';
import { unsortedSegmentSumConfig } from './unsortedSegmentSum';
import { replaceKernel } from './wasmInternals';

/**
 * Wasm only: a BatchMatMul that keeps every product on a fast path, an
 * UnsortedSegmentSum (the backend has none), a copy-free Identity and
 * same-dtype Cast, a fused dense op, GatherV2, Slice and leading-axes Sum
 * as plain loops on the heap, Transpose of two neighbouring axes, same-shape
 * Add, Sub and Multiply and a large Softmax on every thread, 2-D convolutions and their gradients as products
 * on our SIMD kernel (the backend has no Conv2DBackpropFilter), the
 * pooling gradients as scatters, 2×2 max-pooling as a SIMD loop, and a
 * Transformer's projections into and out of its heads on our matrix kernel.
 */
export const wasmKernelConfigs: readonly KernelConfig[] = [
  batchMatMulConfig,
  unsortedSegmentSumConfig,
  identityConfig,
  castConfig,
  denseConfig,
  gatherV2Config,
  sliceConfig,
  sumConfig,
  transposeConfig,
  ...elementwiseConfigs,
  softmaxConfig,
  conv2dConfig,
  fusedConv2dConfig,
  conv2dBackpropFilterConfig,
  conv2dBackpropInputConfig,
  conv2dGradientsConfig,
  maxPoolConfig,
  maxPoolGradConfig,
  avgPoolGradConfig,
  ...headsKernelConfigs,
];

/** The fused Adam step, activation gradient, layer normalization and attention weights, for each backend that runs JavaScript kernels. */
export const jsKernelConfigs: readonly KernelConfig[] = [
  adamUpdateWasmConfig,
  adamUpdateCpuConfig,
  activationGradWasmConfig,
  activationGradCpuConfig,
  layerNormWasmConfig,
  layerNormCpuConfig,
  layerNormGradWasmConfig,
  layerNormGradCpuConfig,
  attentionSoftmaxWasmConfig,
  attentionSoftmaxCpuConfig,
  attentionSoftmaxGradWasmConfig,
  attentionSoftmaxGradCpuConfig,
];

/**
 * Registers our kernels when `backendName` is selected, in place of any
 * registered under the same names (the backend's own, which ours call for the
 * cases they leave, or CPU fallbacks): the wasm ones on wasm, the JavaScript
 * ones (for both backends) on wasm or cpu. Idempotent.
 */
export function registerModelLabKernels(backendName: string): void {
  if (backendName === 'wasm') for (const config of wasmKernelConfigs) replaceKernel(config);
  if (backendName === 'wasm' || backendName === 'cpu') for (const config of jsKernelConfigs) replaceKernel(config);
}
