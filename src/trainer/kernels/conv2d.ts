// 2-D convolution for the wasm backend, NHWC, forward and both gradients, as
// matrix products on our own SIMD kernel (wasmGemm.ts). tfjs-backend-wasm has
// no Conv2DBackpropFilter at all (the CPU fallback's loop took ~30 s for one
// step of a small CNN), and its Conv2DBackpropInput is a plain C loop (~0.3 s
// for the same step). Here, for M = batch·outHeight·outWidth output pixels and
// the filter's Kf = filterHeight·filterWidth·inChannels taps:
//
//   Conv2D                 y [M, out]   = cols(x) [M, Kf] · W [Kf, out]   (3×3 stride 1: Winograd, below)
//   Conv2DBackpropFilter   dW [Kf, out] = cols(x)ᵀ [Kf, M] · dy [M, out]     (3×3 stride 1: Winograd, below)
//   Conv2DBackpropInput    dx           = col2im(dy [M, out] · Wᵀ [out, Kf])
//
// cols(x) (im2col) is built a chunk of output pixels at a time in a scratch
// tensor on the heap — a chunk small enough to stay in the core's cache while
// the product reads it — so it never exists whole. Each filter row's taps are
// contiguous in both x and a column row (NHWC), so they are copied as one run.
// Dilation 1 only (the gradients have none). What the backend has a kernel
// for, these leave to it when they cannot take it (NCHW, dilated forward
// convolutions, no wasm SIMD); the filter gradient, which it lacks, takes NCHW
// through transposes and runs a plain JavaScript product without SIMD.

import { backend_util, Conv2D, Conv2DBackpropFilter, Conv2DBackpropInput, FusedConv2D, getKernel, Transpose, util } from '@tensorflow/tfjs-core';
import type { KernelConfig, KernelFunc, TensorInfo } from '@tensorflow/tfjs-core';
import { wasmLoopsFor } from './wasmLoops';
import type { Col2imFn } from './wasmLoops';
import { gemmFor } from './wasmGemm';
import type { Gemm, GemmFn } from './wasmGemm';
import { heapFloats, heapOffset, replacedKernel, replacingConfig } from './wasmInternals';
import type { BackendWasm, KernelArgs } from './wasmInternals';

/** Floats of im2col per chunk: ~256 KiB, a quarter of this machine's per-core L2. */
const CHUNK_FLOATS = 64 * 1024;

/** The geometry every kernel here needs, NHWC, dilation 1. */
interface Geometry {
  batch: number;
  inH: number;
  inW: number;
  inC: number;
  outH: number;
  outW: number;
  outC: number;
  fh: number;
  fw: number;
  sh: number;
  sw: number;
  padTop: number;
  padLeft: number;
}

function geometry(info: backend_util.Conv2DInfo): Geometry {
  return {
    batch: info.batchSize,
    inH: info.inHeight,
    inW: info.inWidth,
    inC: info.inChannels,
    outH: info.outHeight,
    outW: info.outWidth,
    outC: info.outChannels,
    fh: info.filterHeight,
    fw: info.filterWidth,
    sh: info.strideHeight,
    sw: info.strideWidth,
    padTop: info.padInfo.top,
    padLeft: info.padInfo.left,
  };
}

/** Output pixels per chunk: at least 4 (one block of the product's rows), at most all of them. */
function chunkRows(g: Geometry): number {
  const kf = g.fh * g.fw * g.inC;
  const m = g.batch * g.outH * g.outW;
  return Math.max(4, Math.min(m, Math.floor(CHUNK_FLOATS / Math.max(1, kf))));
}

/** Rows m0 … m0+rows-1 of im2col(x) into cols (from float index `at`), zeros where the filter hangs over the edge. */
function im2col(heap: Float32Array, xAt: number, at: number, g: Geometry, m0: number, rows: number): void {
  const { inH, inW, inC, outH, outW, fh, fw, sh, sw, padTop, padLeft } = g;
  const rowLen = fw * inC;
  let dst = at;
  for (let m = m0; m < m0 + rows; m++) {
    const ox = m % outW;
    const t = (m - ox) / outW;
    const oy = t % outH;
    const b = (t - oy) / outH;
    const iy0 = oy * sh - padTop;
    const ix0 = ox * sw - padLeft;
    const kwLo = Math.max(0, -ix0);
    const kwHi = Math.min(fw, inW - ix0);
    for (let kh = 0; kh < fh; kh++, dst += rowLen) {
      const iy = iy0 + kh;
      if (iy < 0 || iy >= inH || kwHi <= kwLo) {
        heap.fill(0, dst, dst + rowLen);
        continue;
      }
      const lo = kwLo * inC;
      const hi = kwHi * inC;
      if (lo > 0) heap.fill(0, dst, dst + lo);
      if (hi < rowLen) heap.fill(0, dst + hi, dst + rowLen);
      const src = xAt + ((b * inH + iy) * inW + ix0) * inC;
      if (hi - lo >= 32) heap.copyWithin(dst + lo, src + lo, src + hi);
      else for (let i = lo; i < hi; i++) heap[dst + i] = heap[src + i];
    }
  }
}

/** Rows m0 … m0+n-1 of im2col(x) at byte offset colsAt: the wasm SIMD loop where there is one (wasmLoops.ts), else JavaScript. */
function columns(wasmIm2col: Col2imFn | undefined, heap: Float32Array, xAt: number, colsAt: number, g: Geometry, m0: number, n: number): void {
  if (wasmIm2col) wasmIm2col(xAt * 4, colsAt, m0, m0 + n, g.inH, g.inW, g.inC, g.outH, g.outW, g.fh, g.fw, g.sh, g.sw, g.padTop, g.padLeft);
  else im2col(heap, xAt, colsAt / 4, g, m0, n);
}

/** dx += col2im of rows (JavaScript; wasmLoops.ts has the same loop in wasm SIMD) m0 … m0+rows-1 of cols (from float index `at`): each tap added back where it was read. */
function col2im(heap: Float32Array, dxAt: number, at: number, g: Geometry, m0: number, rows: number): void {
  const { inH, inW, inC, outH, outW, fh, fw, sh, sw, padTop, padLeft } = g;
  const rowLen = fw * inC;
  let src = at;
  for (let m = m0; m < m0 + rows; m++) {
    const ox = m % outW;
    const t = (m - ox) / outW;
    const oy = t % outH;
    const b = (t - oy) / outH;
    const iy0 = oy * sh - padTop;
    const ix0 = ox * sw - padLeft;
    const lo = Math.max(0, -ix0) * inC;
    const hi = Math.min(fw, inW - ix0) * inC;
    for (let kh = 0; kh < fh; kh++, src += rowLen) {
      const iy = iy0 + kh;
      if (iy < 0 || iy >= inH) continue;
      const dst = dxAt + ((b * inH + iy) * inW + ix0) * inC;
      for (let i = lo; i < hi; i++) heap[dst + i] += heap[src + i];
    }
  }
}

/**
 * The product in plain JavaScript, for where our SIMD kernel cannot run (no
 * wasm SIMD, or MODELLAB_GEMM=xnnpack) and the backend has no kernel to hand
 * the work to (Conv2DBackpropFilter). One pair, no bias or activation.
 */
function scalarGemm(w: BackendWasm): Gemm {
  const run: GemmFn = (a, b, c, m, k, n, _batch, _sa, _sb, _sc, _bias, _relu, aRow, aK) => {
    const heap = heapFloats(w);
    const [A, B, C, ar, ak] = [a / 4, b / 4, c / 4, aRow / 4, aK / 4];
    heap.fill(0, C, C + m * n);
    for (let i = 0; i < m; i++) {
      for (let kk = 0; kk < k; kk++) {
        const v = heap[A + i * ar + kk * ak];
        if (v === 0) continue;
        const bRow = B + kk * n;
        const cRow = C + i * n;
        for (let j = 0; j < n; j++) heap[cRow + j] += v * heap[bRow + j];
      }
    }
  };
  return { run, fma: false };
}

/** A scratch tensor of `n` floats on the backend (the caller disposes it). */
function scratch(w: BackendWasm, n: number): TensorInfo {
  return w.makeOutput([Math.max(1, n)], 'float32');
}

/** y = conv(x, W) (+ bias, ReLU): out [M, outC], chunk by chunk. */
function forward(w: BackendWasm, gemm: Gemm, g: Geometry, x: TensorInfo, filter: TensorInfo, bias: TensorInfo | undefined, relu: boolean): TensorInfo {
  const out = w.makeOutput([g.batch, g.outH, g.outW, g.outC], 'float32');
  const kf = g.fh * g.fw * g.inC;
  const m = g.batch * g.outH * g.outW;
  if (m === 0 || g.outC === 0) return out;
  if (winogradFits(g, wasmLoopsFor(w))) {
    winogradForward(w, gemm, g, x, filter, bias, relu, out);
    return out;
  }
  const rows = chunkRows(g);
  const cols = scratch(w, rows * kf);
  try {
    const heap = heapFloats(w);
    const wasmIm2col = wasmLoopsFor(w)?.im2col;
    const xAt = heapOffset(w, x) / 4;
    const colsAt = heapOffset(w, cols);
    const [fo, oo, bo] = [heapOffset(w, filter), heapOffset(w, out), bias ? heapOffset(w, bias) : 0];
    for (let m0 = 0; m0 < m; m0 += rows) {
      const n = Math.min(rows, m - m0);
      columns(wasmIm2col, heap, xAt, colsAt, g, m0, n);
      gemm.run(colsAt, fo, oo + 4 * m0 * g.outC, n, kf, g.outC, 1, 0, 0, 0, bo, relu ? 1 : 0, 4 * kf, 4);
    }
  } finally {
    w.disposeData(cols.dataId);
  }
  return out;
}

// Winograd F(2×2, 3×3) for 3×3 stride-1 forward convolutions: each 2×2 block
// of output pixels (a tile) from the 4×4 input pixels under it, with 16
// products of [tiles, inC]·[inC, outC] instead of 36 (2.25× fewer
// multiplications; here [2304, 32]·[32, 64] runs at ~53 GFLOP/s against ~41
// for the direct [7744, 288]·[288, 64]). Every step is a pass we already have:
//   d   = im2col(x) with a 4×4 filter at stride 2     [T, 16, inC]  (zeros past the edges)
//   V_t = Bᵀ d_t B                                     two batched products with Bᵀ [4, 4] (rows, then columns)
//   U   = Gw · W                                       [16, 9]·[9, inC·outC]
//   M_ξ = V_ξ · U_ξ (+ bias for ξ = 5, whose row of Aw is all ones)  16 products
//   Y   = Aw · M (ReLU in the epilogue)                [4, 16]·[16, T·outC]
//   y   = the four [T, outC] planes of Y added (col2im, 1×1 at stride 2) into y zeroed
// with Gw = G⊗G, Aw = Aᵀ⊗Aᵀ, the transforms of Lavin and Gray (2015).
// MODELLAB_WINOGRAD=off takes the direct path (measurements). The input
// gradient stays direct: as a convolution of dy padded by 2 its products
// shrink less and its im2col grows (measured no faster, 6.2 → 6.5 ms).
const WB = [[1, 0, -1, 0], [0, 1, 1, 0], [0, -1, 1, 0], [0, 1, 0, -1]];
const WG = [[1, 0, 0], [0.5, 0.5, 0.5], [0.5, -0.5, 0.5], [0, 0, 1]];
const WA = [[1, 1, 1, 0], [0, 1, -1, -1]];
function kronRows(a: number[][], b: number[][]): number[] {
  // (a⊗b)[(i1, i2), (j1, j2)] = a[i1][j1]·b[i2][j2], row-major
  const out: number[] = [];
  for (let i1 = 0; i1 < a.length; i1++) for (let i2 = 0; i2 < b.length; i2++) for (let j1 = 0; j1 < a[0].length; j1++) for (let j2 = 0; j2 < b[0].length; j2++) out.push(a[i1][j1] * b[i2][j2]);
  return out;
}
const WINO_G = kronRows(WG, WG);
const WINO_A = kronRows(WA, WA);
/** Floats of scratch per chunk of tiles (~256 KiB; 128 KiB and 512 KiB measured no faster). */
const WINO_CHUNK_FLOATS = 64 * 1024;
/** The same for the filter gradient (~512 KiB; 256 KiB to 2 MiB measured within noise). */
const WINO_GRAD_CHUNK_FLOATS = 128 * 1024;

/** Whether a convolution (forward, or its filter gradient) takes the Winograd path: 3×3, stride 1, enough channels in and out to fill the products, our wasm loops. */
const winogradFits = (g: Geometry, loops: unknown) => g.fh === 3 && g.fw === 3 && g.sh === 1 && g.sw === 1 && g.inC >= 8 && g.outC >= 8 && loops !== undefined && process.env.MODELLAB_WINOGRAD !== 'off';

function winogradForward(w: BackendWasm, gemm: Gemm, g: Geometry, x: TensorInfo, filter: TensorInfo, bias: TensorInfo | undefined, relu: boolean, out: TensorInfo): void {
  const loops = wasmLoopsFor(w)!;
  const { inC, outC } = g;
  const tilesH = Math.ceil(g.outH / 2);
  const tilesW = Math.ceil(g.outW / 2);
  const tiles = g.batch * tilesH * tilesW;
  const perTile = 32 * inC + 20 * outC;
  const rows = Math.max(1, Math.min(tiles, Math.floor(WINO_CHUNK_FLOATS / perTile)));
  const consts = scratch(w, 16 + 64 + 144);
  const u = scratch(w, 16 * inC * outC);
  const cols = scratch(w, rows * 16 * inC);
  const v = scratch(w, rows * 16 * inC);
  const mm = scratch(w, rows * 16 * outC);
  const yy = scratch(w, rows * 4 * outC);
  try {
    const heap = heapFloats(w);
    const cAt = heapOffset(w, consts);
    heap.set(WB.flat(), cAt / 4);
    heap.set(WINO_A, cAt / 4 + 16);
    heap.set(WINO_G, cAt / 4 + 80);
    const [bAt, aAt, gAt] = [cAt, cAt + 4 * 16, cAt + 4 * 80];
    const uAt = heapOffset(w, u);
    gemm.run(gAt, heapOffset(w, filter), uAt, 16, 9, inC * outC, 1, 0, 0, 0, 0, 0, 36, 4);
    const outAt = heapOffset(w, out);
    heap.fill(0, outAt / 4, outAt / 4 + g.batch * g.outH * g.outW * outC);
    const [colsAt, vAt, mAt, yAt] = [heapOffset(w, cols), heapOffset(w, v), heapOffset(w, mm), heapOffset(w, yy)];
    const biasAt = bias ? heapOffset(w, bias) : 0;
    const xAt = heapOffset(w, x);
    const ci = 4 * inC;
    const co = 4 * outC;
    for (let t0 = 0; t0 < tiles; t0 += rows) {
      const n = Math.min(rows, tiles - t0);
      loops.im2col(xAt, colsAt, t0, t0 + n, g.inH, g.inW, inC, tilesH, tilesW, 4, 4, 2, 2, g.padTop, g.padLeft);
      // V_t = Bᵀ d_t B in two passes: Bᵀ · d_t as [4, 4·inC] (into v), then Bᵀ · each [4, inC] quarter (back into cols).
      gemm.run(bAt, colsAt, vAt, 4, 4, 4 * inC, n, 0, 16 * ci, 16 * ci, 0, 0, 16, 4);
      gemm.run(bAt, vAt, colsAt, 4, 4, inC, 4 * n, 0, 4 * ci, 4 * ci, 0, 0, 16, 4);
      // M_ξ [n, outC] = V_ξ (rows of 16·inC floats) · U_ξ; ξ = 5 takes the bias.
      gemm.run(colsAt, uAt, mAt, n, inC, outC, 5, ci, ci * outC, n * co, 0, 0, 16 * ci, 4);
      gemm.run(colsAt + 5 * ci, uAt + 5 * ci * outC, mAt + 5 * n * co, n, inC, outC, 1, 0, 0, 0, biasAt, 0, 16 * ci, 4);
      gemm.run(colsAt + 6 * ci, uAt + 6 * ci * outC, mAt + 6 * n * co, n, inC, outC, 10, ci, ci * outC, n * co, 0, 0, 16 * ci, 4);
      gemm.run(aAt, mAt, yAt, 4, 16, n * outC, 1, 0, 0, 0, 0, relu ? 1 : 0, 64, 4);
      for (let p = 0; p < 2; p++) {
        for (let q = 0; q < 2; q++) loops.col2im(outAt, yAt + (p * 2 + q) * n * co, t0, t0 + n, g.outH, g.outW, outC, tilesH, tilesW, 1, 1, 2, 2, -p, -q);
      }
    }
  } finally {
    for (const t of [consts, u, cols, v, mm, yy]) w.disposeData(t.dataId);
  }
}

/**
 * The filter gradient of a convolution the forward pass ran as Winograd, by
 * the same transforms read backwards: with E_t = Awᵀ · dy_t (dy's 2×2 tile,
 * [4, outC] → [16, outC]), Ũ_ξ = Σ_t V_t,ξᵀ · E_t,ξ ([inC, T]·[T, outC], 16
 * products, A read transposed in place) and dW = Gwᵀ · Ũ. Here the 4×4
 * input taps and the 2×2 dy taps are gathered plane by plane (im2col with a
 * 1×1 filter at stride 2), so V and E come out as [16][T][channels] and both
 * transforms are single products over the chunk.
 */
function winogradFilterGrad(w: BackendWasm, gemm: Gemm, g: Geometry, x: TensorInfo, dy: TensorInfo, dw: TensorInfo): void {
  const loops = wasmLoopsFor(w)!;
  const { inC, outC } = g;
  const tilesH = Math.ceil(g.outH / 2);
  const tilesW = Math.ceil(g.outW / 2);
  const tiles = g.batch * tilesH * tilesW;
  const rows = Math.max(1, Math.min(tiles, Math.floor(WINO_GRAD_CHUNK_FLOATS / (32 * inC + 20 * outC))));
  const size = 16 * inC * outC;
  const consts = scratch(w, 16 + 64 + 144);
  const d = scratch(w, rows * 16 * inC);
  const v = scratch(w, rows * 16 * inC);
  const dyt = scratch(w, rows * 4 * outC);
  const e = scratch(w, rows * 16 * outC);
  const acc = scratch(w, size);
  const part = scratch(w, size);
  try {
    const heap = heapFloats(w);
    const cAt = heapOffset(w, consts);
    heap.set(WB.flat(), cAt / 4);
    heap.set(WINO_A, cAt / 4 + 16);
    heap.set(WINO_G, cAt / 4 + 80);
    const [bAt, aAt, gAt] = [cAt, cAt + 4 * 16, cAt + 4 * 80];
    const [dAt, vAt, dytAt, eAt, accAt, partAt] = [d, v, dyt, e, acc, part].map((t) => heapOffset(w, t));
    const [xAt, dyAt] = [heapOffset(w, x), heapOffset(w, dy)];
    for (let t0 = 0; t0 < tiles; t0 += rows) {
      const n = Math.min(rows, tiles - t0);
      const tc = n * inC;
      const to = n * outC;
      for (let i = 0; i < 4; i++) {
        for (let j = 0; j < 4; j++) loops.im2col(xAt, dAt + 4 * (i * 4 + j) * tc, t0, t0 + n, g.inH, g.inW, inC, tilesH, tilesW, 1, 1, 2, 2, g.padTop - i, g.padLeft - j);
      }
      for (let p = 0; p < 2; p++) {
        for (let q = 0; q < 2; q++) loops.im2col(dyAt, dytAt + 4 * (p * 2 + q) * to, t0, t0 + n, g.outH, g.outW, outC, tilesH, tilesW, 1, 1, 2, 2, -p, -q);
      }
      // V = Bᵀ D B over the planes: columns (per row i of the tile), then rows.
      gemm.run(bAt, dAt, vAt, 4, 4, tc, 4, 0, 16 * tc, 16 * tc, 0, 0, 16, 4);
      gemm.run(bAt, vAt, dAt, 4, 4, 4 * tc, 1, 0, 0, 0, 0, 0, 16, 4);
      // E = Awᵀ · Dy ([16, 4]: Aw [4, 16] read transposed).
      gemm.run(aAt, dytAt, eAt, 16, 4, to, 1, 0, 0, 0, 0, 0, 4, 64);
      gemm.run(dAt, eAt, t0 === 0 ? accAt : partAt, inC, n, outC, 16, 4 * tc, 4 * to, 4 * inC * outC, 0, 0, 4, 4 * inC);
      if (t0 > 0) loops.addInto(accAt, partAt, size);
    }
    // dW [9, inC·outC] = Gwᵀ · Ũ ([9, 16]: Gw [16, 9] read transposed).
    gemm.run(gAt, accAt, heapOffset(w, dw), 9, 16, inC * outC, 1, 0, 0, 0, 0, 0, 4, 36);
  } finally {
    for (const t of [consts, d, v, dyt, e, acc, part]) w.disposeData(t.dataId);
  }
}

/** dW [fh, fw, inC, outC] = Σ over chunks of cols(x)ᵀ · dy, each chunk's product read with A transposed in place. */
function filterGrad(w: BackendWasm, gemm: Gemm, g: Geometry, x: TensorInfo, dy: TensorInfo): TensorInfo {
  const kf = g.fh * g.fw * g.inC;
  const m = g.batch * g.outH * g.outW;
  const dw = w.makeOutput([g.fh, g.fw, g.inC, g.outC], 'float32');
  const size = kf * g.outC;
  if (m > 0 && gemm === gemmFor(w) && winogradFits(g, wasmLoopsFor(w))) {
    winogradFilterGrad(w, gemm, g, x, dy, dw);
    return dw;
  }
  const rows = chunkRows(g);
  const cols = scratch(w, rows * kf);
  const part = scratch(w, size);
  try {
    const heap = heapFloats(w);
    const dwAt = heapOffset(w, dw) / 4;
    if (m === 0) heap.fill(0, dwAt, dwAt + size);
    const wasmIm2col = wasmLoopsFor(w)?.im2col;
    const xAt = heapOffset(w, x) / 4;
    const colsAt = heapOffset(w, cols);
    const partAt = heapOffset(w, part);
    const dyAt = heapOffset(w, dy);
    const addInto = wasmLoopsFor(w)?.addInto;
    for (let m0 = 0; m0 < m; m0 += rows) {
      const n = Math.min(rows, m - m0);
      columns(wasmIm2col, heap, xAt, colsAt, g, m0, n);
      // [kf, n] · [n, outC]: A is the chunk of columns [n, kf] read transposed (row step 4 bytes, k step 4·kf).
      // The first chunk's product goes straight into dW; the others' are added to it.
      gemm.run(colsAt, dyAt + 4 * m0 * g.outC, m0 === 0 ? dwAt * 4 : partAt, kf, n, g.outC, 1, 0, 0, 0, 0, 0, 4, 4 * kf);
      if (m0 === 0) continue;
      if (addInto) addInto(dwAt * 4, partAt, size);
      else for (let i = 0, p = partAt / 4; i < size; i++) heap[dwAt + i] += heap[p + i];
    }
  } finally {
    w.disposeData(cols.dataId);
    w.disposeData(part.dataId);
  }
  return dw;
}

/** dx = col2im(dy · Wᵀ), chunk by chunk; Wᵀ [outC, Kf] made once. */
function inputGrad(w: BackendWasm, gemm: Gemm, g: Geometry, dy: TensorInfo, filter: TensorInfo): TensorInfo {
  const kf = g.fh * g.fw * g.inC;
  const m = g.batch * g.outH * g.outW;
  const dx = w.makeOutput([g.batch, g.inH, g.inW, g.inC], 'float32');
  const rows = chunkRows(g);
  const cols = scratch(w, rows * kf);
  const wt = scratch(w, kf * g.outC);
  try {
    const heap = heapFloats(w);
    const dxAt = heapOffset(w, dx) / 4;
    heap.fill(0, dxAt, dxAt + g.batch * g.inH * g.inW * g.inC);
    const fAt = heapOffset(w, filter) / 4;
    const wtAt = heapOffset(w, wt) / 4;
    for (let i = 0; i < kf; i++) for (let o = 0; o < g.outC; o++) heap[wtAt + o * kf + i] = heap[fAt + i * g.outC + o];
    const colsAt = heapOffset(w, cols);
    const dyAt = heapOffset(w, dy);
    const wasmCol2im = wasmLoopsFor(w)?.col2im;
    for (let m0 = 0; m0 < m && g.outC > 0; m0 += rows) {
      const n = Math.min(rows, m - m0);
      gemm.run(dyAt + 4 * m0 * g.outC, wtAt * 4, colsAt, n, g.outC, kf, 1, 0, 0, 0, 0, 0, 4 * g.outC, 4);
      if (wasmCol2im) wasmCol2im(dxAt * 4, colsAt, m0, m0 + n, g.inH, g.inW, g.inC, g.outH, g.outW, g.fh, g.fw, g.sh, g.sw, g.padTop, g.padLeft);
      else col2im(heap, dxAt, colsAt / 4, g, m0, n);
    }
  } finally {
    w.disposeData(cols.dataId);
    w.disposeData(wt.dataId);
  }
  return dx;
}

/** MODELLAB_CONV=ours: every forward convolution ours, whatever its channels (tests, measurements). */
const forceOurs = () => process.env.MODELLAB_CONV === 'ours';

/** x with its axes permuted by the wasm Transpose (a new tensor the caller disposes). */
function transpose(w: BackendWasm, x: TensorInfo, perm: number[]): TensorInfo {
  return getKernel(Transpose, 'wasm').kernelFunc({ inputs: { x }, backend: w, attrs: { perm } }) as TensorInfo;
}
const TO_NHWC = [0, 2, 3, 1];

const isNchw = (dataFormat: unknown) => dataFormat === 'NCHW';
/**
 * Whether a forward convolution is ours rather than XNNPACK's: with few input
 * and output channels our product has too little to do per column copied
 * (measured, 3×3 'same', batch 64: 2 → 16 channels 1.75 ms on XNNPACK, 2.3 here;
 * 1 → 32 2.1 and 1.8; 3 → 32 4.3 and 3.8; 8 → 16 1.4 and 1.2; 32 → 64 14 and 6.6).
 */
const oursForward = (inC: number, outC: number) => inC >= 8 || outC >= 32;
const dilated = (dilations: unknown) => dilations !== undefined && !(dilations === 1 || (Array.isArray(dilations) && dilations.every((d) => d === 1)));

function conv2d(args: KernelArgs<BackendWasm>): TensorInfo {
  const { inputs, backend: w, attrs } = args;
  const x = inputs.x as TensorInfo;
  const filter = inputs.filter as TensorInfo;
  const gemm = gemmFor(w);
  if (!gemm || x.dtype !== 'float32' || filter.dtype !== 'float32' || isNchw(attrs!.dataFormat) || dilated(attrs!.dilations) || x.shape.length !== 4 || (!forceOurs() && !oursForward(filter.shape[2], filter.shape[3]))) {
    return replacedKernel(Conv2D).kernelFunc(args) as TensorInfo;
  }
  const info = backend_util.computeConv2DInfo(x.shape as [number, number, number, number], filter.shape as [number, number, number, number], attrs!.strides as number, 1, attrs!.pad as 'valid', attrs!.dimRoundingMode as 'round' | undefined);
  return forward(w, gemm, geometry(info), x, filter, undefined, false);
}

function fusedConv2d(args: KernelArgs<BackendWasm>): TensorInfo {
  const { inputs, backend: w, attrs } = args;
  const x = inputs.x as TensorInfo;
  const filter = inputs.filter as TensorInfo;
  const bias = inputs.bias as TensorInfo | undefined;
  const activation = (attrs!.activation as string | undefined) ?? 'linear';
  const gemm = gemmFor(w);
  const outC = filter.shape[3];
  if (
    !gemm ||
    x.dtype !== 'float32' ||
    filter.dtype !== 'float32' ||
    (bias && (bias.dtype !== 'float32' || util.sizeFromShape(bias.shape) !== outC)) ||
    inputs.preluActivationWeights ||
    (activation !== 'linear' && activation !== 'relu') ||
    isNchw(attrs!.dataFormat) ||
    dilated(attrs!.dilations) ||
    x.shape.length !== 4 ||
    (!forceOurs() && !oursForward(filter.shape[2], outC))
  ) {
    return replacedKernel(FusedConv2D).kernelFunc(args) as TensorInfo;
  }
  const info = backend_util.computeConv2DInfo(x.shape as [number, number, number, number], filter.shape as [number, number, number, number], attrs!.strides as number, 1, attrs!.pad as 'valid', attrs!.dimRoundingMode as 'round' | undefined);
  return forward(w, gemm, geometry(info), x, filter, bias, activation === 'relu');
}

function conv2dBackpropFilter(args: KernelArgs<BackendWasm>): TensorInfo {
  const { inputs, backend: w, attrs } = args;
  let x = inputs.x as TensorInfo;
  let dy = inputs.dy as TensorInfo;
  if (x.dtype !== 'float32' || dy.dtype !== 'float32') throw new Error('Conv2DBackpropFilter (wasm): float32 tensors only');
  const gemm = gemmFor(w) ?? scalarGemm(w);
  const temps: TensorInfo[] = [];
  try {
    if (isNchw(attrs!.dataFormat)) {
      temps.push((x = transpose(w, x, TO_NHWC)), (dy = transpose(w, dy, TO_NHWC)));
    }
    const info = backend_util.computeConv2DInfo(x.shape as [number, number, number, number], attrs!.filterShape as [number, number, number, number], attrs!.strides as number, 1, attrs!.pad as 'valid', attrs!.dimRoundingMode as 'round' | undefined);
    return filterGrad(w, gemm, geometry(info), x, dy);
  } finally {
    for (const t of temps) w.disposeData(t.dataId);
  }
}

function conv2dBackpropInput(args: KernelArgs<BackendWasm>): TensorInfo {
  const { inputs, backend: w, attrs } = args;
  const dy = inputs.dy as TensorInfo;
  const filter = inputs.filter as TensorInfo;
  const gemm = gemmFor(w);
  if (!gemm || dy.dtype !== 'float32' || filter.dtype !== 'float32' || isNchw(attrs!.dataFormat)) return replacedKernel(Conv2DBackpropInput).kernelFunc(args) as TensorInfo;
  const inputShape = attrs!.inputShape as [number, number, number, number];
  const info = backend_util.computeConv2DInfo(inputShape, filter.shape as [number, number, number, number], attrs!.strides as number, 1, attrs!.pad as 'valid', attrs!.dimRoundingMode as 'round' | undefined);
  return inputGrad(w, gemm, geometry(info), dy, filter);
}

/** Replaces the wasm backend's Conv2D, which it calls for NCHW, dilations and other dtypes. */
export const conv2dConfig: KernelConfig = replacingConfig(Conv2D, conv2d);

/** Replaces the wasm backend's FusedConv2D (bias and ReLU in the product's epilogue); it calls the original for other activations, prelu, NCHW and dilations. */
export const fusedConv2dConfig: KernelConfig = replacingConfig(FusedConv2D, fusedConv2d);

/** The wasm backend has no Conv2DBackpropFilter: this one takes every case (NCHW through transposes). */
export const conv2dBackpropFilterConfig: KernelConfig = {
  kernelName: Conv2DBackpropFilter,
  backendName: 'wasm',
  kernelFunc: conv2dBackpropFilter as unknown as KernelFunc,
};

/** Replaces the wasm backend's Conv2DBackpropInput, which it calls for NCHW and other dtypes. */
export const conv2dBackpropInputConfig: KernelConfig = replacingConfig(Conv2DBackpropInput, conv2dBackpropInput);
