// Pooling gradients for the wasm backend, NHWC: MaxPoolGrad and AvgPoolGrad
// as scatters over the output windows, plain loops on the heap (MaxPoolGrad
// in wasm SIMD, wasmLoops.ts, where the channels come in fours; 2×2 windows
// at stride 2, the common case, by a loop of their own). The
// backend's own MaxPoolGrad walks every input pixel over every window that
// might hold it (~35 ms for a [64, 26, 26, 32] input); a scatter visits each
// window once. Same results as the CPU backend's kernels: the gradient of a
// max goes to the window's first largest value (rows, then columns), none when
// the window holds only NaN or −∞; an average's gradient is dy / (filter
// height · width) for every input pixel in the window, as tfjs computes it
// for 'same' padding too. Dilation 1 (tfjs's 2-D pooling has no other).

import { AvgPoolGrad, backend_util, MaxPoolGrad } from '@tensorflow/tfjs-core';
import type { KernelConfig, TensorInfo } from '@tensorflow/tfjs-core';
import { wasmLoopsFor } from './wasmLoops';
import { heapFloats, heapOffset, replacedKernel, replacingConfig } from './wasmInternals';
import { splitSteps } from './workerPool';
import type { UnitStep } from './workerPool';
import type { BackendWasm, KernelArgs } from './wasmInternals';

function poolInfo(x: TensorInfo, attrs: KernelArgs['attrs']): backend_util.Conv2DInfo {
  return backend_util.computePool2DInfo(
    x.shape as [number, number, number, number],
    attrs!.filterSize as [number, number],
    attrs!.strides as [number, number],
    1,
    attrs!.pad as 'valid',
    attrs!.dimRoundingMode as 'round' | undefined,
  );
}

/** What both gradients start from: x and dy, the pooling's geometry, and dx made (and zeroed, unless `zeroed` says no) on the heap (float offsets of dy and dx). */
interface PoolGradStart {
  x: TensorInfo;
  info: backend_util.Conv2DInfo;
  dx: TensorInfo;
  heap: Float32Array;
  dyAt: number;
  dxAt: number;
  /** dx still to be zeroed (startPoolGrad's zeroLater). */
  zeroHere: boolean;
}

/**
 * Undefined where the replaced kernel takes the case (not float32, not 4-D).
 * With `zeroLater`, dx that needs zeroing is left to the caller (`zeroHere`).
 */
function startPoolGrad(args: KernelArgs<BackendWasm>, zeroed: (info: backend_util.Conv2DInfo) => boolean = () => true, zeroLater = false): PoolGradStart | undefined {
  const { inputs, backend: w, attrs } = args;
  const dy = inputs.dy as TensorInfo;
  const x = inputs.input as TensorInfo;
  if (x.dtype !== 'float32' || dy.dtype !== 'float32' || x.shape.length !== 4) return undefined;
  const info = poolInfo(x, attrs);
  const dx = w.makeOutput(x.shape, 'float32');
  const heap = heapFloats(w);
  const dyAt = heapOffset(w, dy) / 4;
  const dxAt = heapOffset(w, dx) / 4;
  const zeroHere = zeroed(info);
  if (zeroHere && !zeroLater) heap.fill(0, dxAt, dxAt + info.batchSize * info.inHeight * info.inWidth * info.inChannels);
  return { x, info, dx, heap, dyAt, dxAt, zeroHere: zeroHere && zeroLater };
}

/**
 * Visits every output window in dy's order: dy's float offset for it, the float offset of its
 * image in x (pixel index, channel 0), and the in-bounds rows [yLo, yHi) and columns [xLo, xHi).
 */
function eachWindow(info: backend_util.Conv2DInfo, dyAt: number, visit: (dyi: number, xb: number, yLo: number, yHi: number, xLo: number, xHi: number) => void): void {
  const { batchSize, inHeight: inH, inWidth: inW, inChannels: c, outHeight: outH, outWidth: outW, strideHeight: sh, strideWidth: sw, filterHeight: fh, filterWidth: fw } = info;
  const { top, left } = info.padInfo;
  let dyi = dyAt;
  for (let b = 0; b < batchSize; b++) {
    const xb = b * inH * inW;
    for (let oy = 0; oy < outH; oy++) {
      const y0 = oy * sh - top;
      const yLo = Math.max(0, y0);
      const yHi = Math.min(inH, y0 + fh);
      for (let ox = 0; ox < outW; ox++, dyi += c) {
        const x0 = ox * sw - left;
        visit(dyi, xb, yLo, yHi, Math.max(0, x0), Math.min(inW, x0 + fw));
      }
    }
  }
}

/** 2×2 windows at stride 2 without padding, channels in fours: maxPoolGrad2x2's case. */
const pool2x2 = (info: backend_util.Conv2DInfo) =>
  info.filterHeight === 2 && info.filterWidth === 2 && info.strideHeight === 2 && info.strideWidth === 2 && info.padInfo.top === 0 && info.padInfo.left === 0 && info.inChannels % 4 === 0 && 2 * info.outHeight <= info.inHeight && 2 * info.outWidth <= info.inWidth;

/** Whether the windows leave part of dx uncovered (an odd last row or column), which must then be zeroed. */
const uncovered = (info: backend_util.Conv2DInfo) => 2 * info.outHeight !== info.inHeight || 2 * info.outWidth !== info.inWidth;

function maxPoolGrad(args: KernelArgs<BackendWasm>): TensorInfo {
  // The wasm loops take channels in fours.
  const loops = (args.inputs.input as TensorInfo).shape[3] % 4 === 0 ? wasmLoopsFor(args.backend) : undefined;
  const fast = loops !== undefined;
  // maxPoolGrad2x2 writes every pixel its windows cover: dx is zeroed only where they leave some;
  // with the wasm loops, by them (in the units that then write it).
  const start = startPoolGrad(args, (info) => !(fast && pool2x2(info)) || uncovered(info), fast);
  if (!start) return replacedKernel(MaxPoolGrad).kernelFunc(args) as TensorInfo;
  const w = args.backend;
  const { x, info, dx, heap, dyAt, dxAt } = start;
  const { batchSize, inHeight: inH, inWidth: inW, inChannels: c, outHeight: outH, outWidth: outW, strideHeight: sh, strideWidth: sw, filterHeight: fh, filterWidth: fw } = info;
  const { top, left } = info.padInfo;
  const xAt = heapOffset(w, x) / 4;
  if (loops) {
    // Images apart on the engine's threads (a window reads and writes its own image only), each
    // part zeroing its images' dx first where that is needed.
    const [name, fn] = pool2x2(info) ? (['maxPoolGrad2x2', loops.maxPoolGrad2x2] as const) : (['maxPoolGrad', loops.maxPoolGrad] as const);
    const [xImage, yImage] = [4 * inH * inW * c, 4 * outH * outW * c];
    const zero: UnitStep = { key: 'loops', name: 'zeroFloats', fn: loops.zeroFloats, args: (b0, b1) => [4 * dxAt + b0 * xImage, ((b1 - b0) * xImage) / 4] };
    const pass: UnitStep = { key: 'loops', name, fn, args: (b0, b1) => [4 * xAt + b0 * xImage, 4 * dyAt + b0 * yImage, 4 * dxAt + b0 * xImage, b1 - b0, inH, inW, c, outH, outW, fh, fw, sh, sw, top, left] };
    splitSteps(w, start.zeroHere ? [zero, pass] : [pass], batchSize, batchSize * inH * inW * c);
    return dx;
  }
  // The window's in-bounds pixels (float offsets of channel 0 in x and dx), in scan order.
  const offsets = new Int32Array(fh * fw);
  eachWindow(info, dyAt, (dyi, xb, yLo, yHi, xLo, xHi) => {
    let n = 0;
    for (let iy = yLo; iy < yHi; iy++) for (let ix = xLo; ix < xHi; ix++) offsets[n++] = (xb + iy * inW + ix) * c;
    for (let ch = 0; ch < c; ch++) {
      let bestValue = -Infinity;
      let bestAt = -1;
      for (let q = 0; q < n; q++) {
        const p = offsets[q] + ch;
        const v = heap[xAt + p];
        if (v > bestValue) {
          bestValue = v;
          bestAt = p;
        }
      }
      if (bestAt >= 0) heap[dxAt + bestAt] += heap[dyi + ch];
    }
  });
  return dx;
}

function avgPoolGrad(args: KernelArgs<BackendWasm>): TensorInfo {
  const start = startPoolGrad(args);
  if (!start) return replacedKernel(AvgPoolGrad).kernelFunc(args) as TensorInfo;
  const { info, dx, heap, dyAt, dxAt } = start;
  const { inWidth: inW, inChannels: c } = info;
  const scale = 1 / (info.filterHeight * info.filterWidth);
  eachWindow(info, dyAt, (dyi, xb, yLo, yHi, xLo, xHi) => {
    for (let iy = yLo; iy < yHi; iy++) {
      for (let ix = xLo; ix < xHi; ix++) {
        const at = dxAt + (xb + iy * inW + ix) * c;
        for (let ch = 0; ch < c; ch++) heap[at + ch] += heap[dyi + ch] * scale;
      }
    }
  });
  return dx;
}

/** Replaces the wasm backend's MaxPoolGrad, which it calls for other dtypes. */
export const maxPoolGradConfig: KernelConfig = replacingConfig(MaxPoolGrad, maxPoolGrad);

/** Replaces the wasm backend's AvgPoolGrad, which it calls for other dtypes. */
export const avgPoolGradConfig: KernelConfig = replacingConfig(AvgPoolGrad, avgPoolGrad);
