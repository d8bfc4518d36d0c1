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
import type { Col2imFn, WasmLoops } from './wasmLoops';
import { gemmFor } from './wasmGemm';
import type { Gemm, GemmFn } from './wasmGemm';
import { heapFloats, heapOffset, replacedKernel, replacingConfig } from './wasmInternals';
import { F2, F4, winogradLoopsFor } from './winogradLoops';
import type { WinogradVariant } from './winogradLoops';
import type { BackendWasm, KernelArgs } from './wasmInternals';
import { kernelPool, MAX_CALLS, MAX_UNITS, runPlans, share, SPLIT_MIN_ELEMENTS, splitParts } from './workerPool';
import type { Call, KernelPool } from './workerPool';

// On more than one engine thread (workerPool.ts) each pass below splits into
// the chunks one thread would take, so every value is computed as on one
// thread. Where a chunk's scratch is only its own (the forward passes, the
// input gradient's chunks of whole images), all its chunks are units of one
// run, each in the scratch of the thread that takes it (its lane: one set a
// thread). Where chunks add into the same values — the filter gradient's
// sums over chunks, dx under overlapping tiles — the pass works in rounds of
// a few chunks a thread, each chunk with scratch of its own, and a second
// step adds them in the one-thread order: the partial sums chunk by chunk
// into disjoint ranges of the sum, dx image by image.

/** A module function as a plan calls it: here, and by its id in the pool (-1 without one). */
interface PoolFn {
  fn: (...args: number[]) => void;
  id: number;
}
const poolFn = (pool: KernelPool | undefined, key: string, name: string, fn: (...args: never[]) => void): PoolFn => ({ fn: fn as unknown as PoolFn['fn'], id: pool ? pool.id(key, name) : -1 });
const call = (f: PoolFn, ...args: number[]): Call => ({ fn: f.fn, id: f.id, args });
/** The product in plans of `parts` threads: the serial kernel in each, or with one part the kernel that splits itself among the pool. */
const gemmCall = (pool: KernelPool | undefined, parts: number, gemm: Gemm): PoolFn => (parts > 1 ? poolFn(pool, 'gemm', 'gemm', gemm.serial) : { fn: gemm.run as PoolFn['fn'], id: -1 });

/**
 * Chunks per thread in a round of a pass (the filter gradients' transforms
 * and products, an input gradient's chunks within images; measured when the
 * forward passes also went in rounds): the thread that is free takes the
 * next, so a worker the system runs late, or a slower core, leaves less to
 * wait for (a filter gradient's chunk each with a partial sum of its own,
 * added in chunk order). Four, not two: half the rounds, each a pool run
 * whose last chunk the others wait for — the bench CNN's second convolution
 * at two threads, forward 2.34 → 1.91 ms, input gradient 2.32 → 1.92, filter
 * gradient 2.90 → 2.41 (six a thread measured no better than four).
 */
const UNITS_PER_THREAD = 4;
const unitsFor = (threads: number) => (threads > 1 ? Math.min(MAX_UNITS, UNITS_PER_THREAD * threads) : 1);

/** The kernel pool and how many threads a pass splits into: one for the scalar product (JavaScript, not in the pool). */
function threadsFor(w: BackendWasm, gemm: Gemm): { pool: KernelPool | undefined; threads: number } {
  const pool = gemm === gemmFor(w) ? kernelPool(w) : undefined;
  return { pool, threads: pool?.threads ?? 1 };
}

/**
 * dst += each of `parts` (byte offsets, in order) over `size` floats, the
 * range split into splitParts units on `threads` threads (a multiple of 4 floats each): every
 * float gets the same sum in the same order as one thread gives it.
 */
function foldPlans(add: PoolFn, threads: number, dst: number, parts: readonly number[], size: number): Call[][] {
  const quads = Math.ceil(size / 4);
  if (parts.length === 0) return [];
  const units = splitParts(threads, quads, size);
  return Array.from({ length: units }, (_, t) => {
    const [q0, q1] = share(quads, units, t);
    const [f0, f1] = [4 * q0, Math.min(size, 4 * q1)];
    return parts.map((p) => call(add, dst + 4 * f0, p + 4 * f0, f1 - f0));
  });
}

/**
 * A pass's calls kept to run beside another pass's (conv2dGradients), in
 * order, with the scratch they use, freed once they have run. `chunks`: where
 * the calls fall into units (each from `chunks[i]` to the next) that read and
 * write apart from one another, in scratch of their thread's lane, so that
 * any thread may run any of them.
 */
interface Deferred {
  pool: KernelPool;
  calls: Call[];
  chunks?: number[];
  scratch: Scratch[];
}

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

/**
 * The wasm loop that builds im2col(x) for a convolution, if any:
 * im2colNarrow where each tap row is at most 16 floats, there is no padding
 * and x has 16 bytes of memory after it (a first layer on grey or colour
 * images; the columns then need 16 bytes of room, COLS_SLACK), else im2col.
 */
function im2colLoop(loops: WasmLoops | undefined, heap: Float32Array, xAt: number, g: Geometry): Col2imFn | undefined {
  const inside = (g.outH - 1) * g.sh + g.fh <= g.inH && (g.outW - 1) * g.sw + g.fw <= g.inW;
  const room = xAt + g.batch * g.inH * g.inW * g.inC + 4 <= heap.length;
  return loops && g.fw * g.inC <= 16 && g.padTop === 0 && g.padLeft === 0 && inside && room ? loops.im2colNarrow : loops?.im2col;
}
/** Floats of room after a column scratch for im2colNarrow's last 16-byte store. */
const COLS_SLACK = 4;

/** Rows m0 … m0+n-1 of im2col(x) at byte offset colsAt: the wasm SIMD loop where there is one (im2colLoop), else JavaScript. */
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
  const run: GemmFn = (a, b, c, m, k, n, _batch, _sa, _sb, _sc, _bias, _relu, aRow, aK, accumulate) => {
    const heap = heapFloats(w);
    const [A, B, C, ar, ak] = [a / 4, b / 4, c / 4, aRow / 4, aK / 4];
    if (!accumulate) heap.fill(0, C, C + m * n);
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
  return { run, serial: run, fma: false };
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
  const v = winograd(w, g);
  if (v) {
    winogradForward(w, gemm, v, g, x, filter, bias, relu, out);
    return out;
  }
  const rows = chunkRows(g);
  const loops = wasmLoopsFor(w);
  const wasmIm2col = im2colLoop(loops, heapFloats(w), heapOffset(w, x) / 4, g);
  const { pool, threads } = threadsFor(w, gemm);
  // On threads (with the wasm loop the pool runs), every chunk a unit of one run, each thread
  // building its columns in its own scratch (a lane); else chunk by chunk here, the product split
  // by itself.
  const split = wasmIm2col !== undefined && threads > 1 && m > rows;
  const s = new Scratch(w);
  try {
    const { at: lane, bytes } = laneScratch(s, split ? pool : undefined, { cols: rows * kf + COLS_SLACK });
    const heap = heapFloats(w);
    const xAt = heapOffset(w, x) / 4;
    const [fo, oo, bo] = [heapOffset(w, filter), heapOffset(w, out), bias ? heapOffset(w, bias) : 0];
    if (!split) {
      for (let m0 = 0; m0 < m; m0 += rows) {
        const n = Math.min(rows, m - m0);
        columns(wasmIm2col, heap, xAt, lane.cols, g, m0, n);
        gemm.run(lane.cols, fo, oo + 4 * m0 * g.outC, n, kf, g.outC, 1, 0, 0, 0, bo, relu ? 1 : 0, 4 * kf, 4);
      }
      return out;
    }
    const im2colFn = poolFn(pool, 'loops', wasmIm2col === loops!.im2colNarrow ? 'im2colNarrow' : 'im2col', wasmIm2col);
    const gemmFn = gemmCall(pool, 2, gemm);
    const units: Call[][] = [];
    for (let m0 = 0; m0 < m; m0 += rows) {
      const n = Math.min(rows, m - m0);
      units.push([
        laned(call(im2colFn, xAt * 4, lane.cols, m0, m0 + n, g.inH, g.inW, g.inC, g.outH, g.outW, g.fh, g.fw, g.sh, g.sw, g.padTop, g.padLeft), bytes, 1),
        laned(call(gemmFn, lane.cols, fo, oo + 4 * m0 * g.outC, n, kf, g.outC, 1, 0, 0, 0, bo, relu ? 1 : 0, 4 * kf, 4), bytes, 0),
      ]);
    }
    runPlans(pool, units);
  } finally {
    s.dispose();
  }
  return out;
}

// Winograd F(m×m, 3×3) for 3×3 stride-1 convolutions (Lavin and Gray, 2015;
// the variants and their transforms are in winogradLoops.ts): each m×m block
// of output pixels (a tile) from the (m+2)×(m+2) input pixels under it, with
// P = (m+2)² products of [tiles, inC]·[inC, outC] instead of 9 per output
// pixel (F(4×4): 36 for 16 pixels, 4× fewer multiplications; F(2×2): 16 for
// 4, 2.25×). Per chunk of tiles:
//   V = Bᵀ·d·B      each tile's input pixels, read in place (gather) → [P][tiles][inC]
//   U = Gw · W      once, [P, 9]·[9, inC·outC] on the gemm kernel (Gw = G⊗G)
//   M_ξ = V_ξ · U_ξ  P products on the gemm kernel → [P][tiles][outC]
//   y = Aᵀ·M·A + bias, ReLU   written in place (scatter)
// Both gradients read the same transforms backwards over the same tiles
// (winogradFilterGrad, winogradInputGrad).
// MODELLAB_WINOGRAD=f2 or f4 takes that variant everywhere, =off the direct paths (tests, measurements).

/** Floats of scratch per chunk of tiles (planes and tables; ~512 KiB, half the per-core L2). */
const WINO_CHUNK_FLOATS = 128 * 1024;

/** The Winograd variant a convolution (forward or a gradient) takes, if any: 3×3, stride 1, enough channels in and out to fill the products, our wasm loops. */
function winograd(w: BackendWasm, g: Geometry): WinogradVariant | undefined {
  const choice = process.env.MODELLAB_WINOGRAD;
  if (choice === 'off' || g.fh !== 3 || g.fw !== 3 || g.sh !== 1 || g.sw !== 1 || g.inC < 8 || g.outC < 8 || !wasmLoopsFor(w)) return undefined;
  // F(4×4) unless its tiles, wider, cover so much past the output's edge that F(2×2) multiplies no more (the output's size, not the channels, decides).
  const products = (x: WinogradVariant) => tileCount(g, x.m).tiles * (x.m + 2) ** 2;
  const v = choice === 'f2' || (choice !== 'f4' && products(F2) <= products(F4)) ? F2 : F4;
  return winogradLoopsFor(w, v) ? v : undefined;
}

/** The tiles of a convolution's output, m×m pixels each, in order (batch, tile row, tile column). */
function tileCount(g: Geometry, m: number): { tilesH: number; tilesW: number; tiles: number } {
  const tilesH = Math.ceil(g.outH / m);
  const tilesW = Math.ceil(g.outW / m);
  return { tilesH, tilesW, tiles: g.batch * tilesH * tilesW };
}

/** Tiles per chunk: what `floatsPerTile` lets fit in `budget` floats, a multiple of 4 (the product's row block) where there are that many. */
function tileRows(tiles: number, floatsPerTile: number, budget: number): number {
  const fit = Math.max(1, Math.floor(budget / floatsPerTile));
  return Math.min(tiles, fit >= 8 ? fit - (fit % 4) : fit);
}

/**
 * The byte addresses of the side×side pixels of tiles t0 … t0+n-1 (tile
 * (ty, tx)'s pixel (i, j) is the image's (step·ty + offY + i, step·tx + offX + j)),
 * into table from int index `at`; `outside` for pixels past the image's edge.
 */
function tileTable(table: Int32Array, at: number, t0: number, n: number, tilesH: number, tilesW: number, side: number, step: number, offY: number, offX: number, h: number, w: number, c4: number, base: number, outside: number): void {
  let k = at;
  for (let t = t0; t < t0 + n; t++) {
    const tx = t % tilesW;
    const r = (t - tx) / tilesW;
    const ty = r % tilesH;
    const b = (r - ty) / tilesH;
    for (let i = 0; i < side; i++) {
      const y = step * ty + offY + i;
      const rowInside = y >= 0 && y < h;
      const row = base + (b * h + y) * w * c4;
      for (let j = 0; j < side; j++) {
        const x = step * tx + offX + j;
        table[k++] = rowInside && x >= 0 && x < w ? row + x * c4 : outside;
      }
    }
  }
}

/**
 * Tile tables kept per backend, by geometry, most recently used last: beyond
 * TILE_TABLE_ENTRIES_KEPT entries in all (8 MB), the oldest are dropped, but
 * never the last two used (a pass's pair of tables).
 */
const TILE_TABLE_ENTRIES_KEPT = 2 * 1024 * 1024;
const tileTables = new WeakMap<BackendWasm, Map<string, { tiles: number; table: TensorInfo; entries: number }>>();

/**
 * The byte offset of tileTable's table for tiles [0, tiles) with addresses
 * relative to the image's first byte and −1 past its edge: built once per
 * geometry (a longer one serves fewer tiles: a short last batch) and kept,
 * so a pass makes each chunk's slice of it absolute (`relocate`) in the unit
 * that then reads it, on whichever thread takes it, instead of building the
 * tables here, in JavaScript on the main thread, at every call.
 */
function relativeTiles(w: BackendWasm, tiles: number, tilesH: number, tilesW: number, side: number, step: number, offY: number, offX: number, h: number, width: number, c4: number): number {
  let kept = tileTables.get(w);
  if (!kept) tileTables.set(w, (kept = new Map()));
  const key = `${tilesH},${tilesW},${side},${step},${offY},${offX},${h},${width},${c4}`;
  const found = kept.get(key);
  kept.delete(key);
  if (found && found.tiles >= tiles) {
    kept.set(key, found);
    return heapOffset(w, found.table);
  }
  if (found) w.disposeData(found.table.dataId);
  const entries = tiles * side * side;
  const table = scratch(w, entries);
  tileTable(new Int32Array(heapFloats(w).buffer), heapOffset(w, table) / 4, 0, tiles, tilesH, tilesW, side, step, offY, offX, h, width, c4, 0, -1);
  kept.set(key, { tiles, table, entries });
  let total = 0;
  for (const e of kept.values()) total += e.entries;
  for (const [k, old] of kept) {
    if (total <= TILE_TABLE_ENTRIES_KEPT || kept.size <= 2) break;
    w.disposeData(old.table.dataId);
    kept.delete(k);
    total -= old.entries;
  }
  return heapOffset(w, table);
}

/**
 * relativeTiles' two tables for the Winograd F(m×m, 3×3) tiles of a
 * convolution: `input`, the (m+2)×(m+2) input pixels under each tile
 * (starting at −padding), and `output`, each tile's m×m output pixels.
 */
function winogradTiles(w: BackendWasm, g: Geometry, m: number): { input: number; output: number } {
  const { tilesH, tilesW, tiles } = tileCount(g, m);
  return {
    input: relativeTiles(w, tiles, tilesH, tilesW, m + 2, m, -g.padTop, -g.padLeft, g.inH, g.inW, 4 * g.inC),
    output: relativeTiles(w, tiles, tilesH, tilesW, m, m, 0, 0, g.outH, g.outW, 4 * g.outC),
  };
}

/** Scratch tensors a Winograd pass allocates, disposed together. */
class Scratch {
  private readonly made: TensorInfo[] = [];
  constructor(private readonly w: BackendWasm) {}
  /** n floats' byte offset (take heap views after the last call). */
  floats(n: number): number {
    const t = scratch(this.w, n);
    this.made.push(t);
    return heapOffset(this.w, t);
  }
  /** n floats' byte offset, the floats set to `values` (or zeroed). */
  filled(n: number, values?: readonly number[]): number {
    const at = this.floats(n);
    const heap = heapFloats(this.w);
    if (values) heap.set(values, at / 4);
    else heap.fill(0, at / 4, at / 4 + n);
    return at;
  }
  dispose(): void {
    for (const t of this.made) this.w.disposeData(t.dataId);
  }
}

/**
 * Scratch of one set per thread of `pool` (Call.lane): for each name, `sizes`
 * floats, each buffer starting on a cache line of its own, the sets in one
 * block. Returns lane 0's byte offsets and the bytes from one set to the next.
 */
function laneScratch<K extends string>(s: Scratch, pool: KernelPool | undefined, sizes: Record<K, number>): { at: Record<K, number>; bytes: number } {
  const at = {} as Record<K, number>;
  let floats = 0;
  for (const name of Object.keys(sizes) as K[]) {
    at[name] = floats;
    floats += (sizes[name] + 15) & ~15;
  }
  const base = s.floats((pool?.size ?? 1) * floats);
  for (const name of Object.keys(sizes) as K[]) at[name] = base + 4 * at[name];
  return { at, bytes: 4 * floats };
}

/** `c` with its arguments `args` (indexes) in the running thread's lane, `bytes` a lane (laneScratch). */
const laned = (c: Call, bytes: number, ...args: number[]): Call => ({ ...c, lane: { mask: args.reduce((m, i) => m | (1 << i), 0), bytes } });

/** U = Gw · W [P][inC][outC] from a 3×3 filter [3, 3, inC, outC] at byte fAt. */
function filterTransform(gemm: Gemm, v: WinogradVariant, s: Scratch, fAt: number, inC: number, outC: number): number {
  const p = (v.m + 2) ** 2;
  const gAt = s.filled(v.gw.length, v.gw);
  const uAt = s.floats(p * inC * outC);
  gemm.run(gAt, fAt, uAt, p, 9, inC * outC, 1, 0, 0, 0, 0, 0, 36, 4);
  return uAt;
}

/** y = conv(x, W) (+ bias, ReLU) by Winograd, x at byte xAt, U = Gw·W at uAt, into y at outAt; bias 0 for none. */
function winogradConv(w: BackendWasm, gemm: Gemm, v: WinogradVariant, g: Geometry, xAt: number, uAt: number, biasAt: number, relu: boolean, outAt: number, s: Scratch): void {
  const loops = winogradLoopsFor(w, v)!;
  const { inC, outC } = g;
  const { m } = v;
  const p = (m + 2) ** 2;
  const { tiles } = tileCount(g, m);
  const rows = tileRows(tiles, p * (inC + outC + 1) + m * m, WINO_CHUNK_FLOATS);
  const [ci, co] = [4 * inC, 4 * outC];
  const { pool, threads } = threadsFor(w, gemm);
  // On threads, every chunk a unit of one run, each thread with its own scratch (a lane); with one
  // chunk, the product splits itself.
  const chunks = Math.ceil(tiles / rows);
  const [inputFn, gemmFn, outputFn] = [poolFn(pool, 'winograd', `${v.name}Input`, loops.input), gemmCall(pool, threads > 1 ? chunks : 1, gemm), poolFn(pool, 'winograd', `${v.name}Output`, loops.output)];
  const relocateFn = poolFn(pool, 'loops', 'relocate', wasmLoopsFor(w)!.relocate);
  const { input: inTiles, output: outTiles } = winogradTiles(w, g, m);
  // Its planes, its tables, and its run for pixels past the output's edge (written, never read).
  const { at: lane, bytes } = laneScratch(s, threads > 1 && chunks > 1 ? pool : undefined, { vAt: rows * p * inC, mAt: rows * p * outC, inTable: rows * p, outTable: rows * m * m, dump: outC });
  const { vAt, mAt, inTable, outTable, dump } = lane;
  const zeros = s.filled(inC);
  const units: Call[][] = [];
  for (let t0 = 0; t0 < tiles; t0 += rows) {
    const n = Math.min(rows, tiles - t0);
    units.push([
      laned(call(relocateFn, inTable, inTiles + 4 * t0 * p, n * p, xAt, zeros), bytes, 0),
      laned(call(relocateFn, outTable, outTiles + 4 * t0 * m * m, n * m * m, outAt, dump), bytes, 0, 4),
      laned(call(inputFn, inTable, n, ci, vAt, n * ci), bytes, 0, 3),
      laned(call(gemmFn, vAt, uAt, mAt, n, inC, outC, p, n * ci, ci * outC, n * co, 0, 0, ci, 4), bytes, 0, 2),
      laned(call(outputFn, mAt, n * co, n, co, outTable, biasAt, relu ? 1 : 0), bytes, 0, 4),
    ]);
  }
  runPlans(pool, units);
}

function winogradForward(w: BackendWasm, gemm: Gemm, v: WinogradVariant, g: Geometry, x: TensorInfo, filter: TensorInfo, bias: TensorInfo | undefined, relu: boolean, out: TensorInfo): void {
  const s = new Scratch(w);
  try {
    const uAt = filterTransform(gemm, v, s, heapOffset(w, filter), g.inC, g.outC);
    winogradConv(w, gemm, v, g, heapOffset(w, x), uAt, bias ? heapOffset(w, bias) : 0, relu, heapOffset(w, out), s);
  } finally {
    s.dispose();
  }
}

/**
 * dx of a 3×3 stride-1 convolution by the forward pass read backwards, over
 * the forward pass's tiles (fewer than a forward pass over dy, whose output is
 * the larger): E_t = A·dy_t·Aᵀ (dy's m×m tile to P values), dV_ξ = E_ξ · U_ξᵀ
 * ([tiles, outC]·[outC, inC], P products; Uᵀ = Gw · W with each tap
 * transposed), and B·dV_t·Bᵀ added into dx over the tile's input pixels
 * (neighbouring tiles overlap by 2). On threads, chunks of whole images add
 * into dx in their own units (tiles of one image overlap, of two never do);
 * chunks smaller than an image have each round's additions go image by
 * image in a second pass, each image's tiles in order on one thread.
 */
function winogradInputGrad(w: BackendWasm, gemm: Gemm, v: WinogradVariant, g: Geometry, dy: TensorInfo, filter: TensorInfo, dx: TensorInfo, deferred?: Deferred): void {
  const loops = winogradLoopsFor(w, v)!;
  const { inC, outC } = g;
  const { m } = v;
  const p = (m + 2) ** 2;
  const { tilesH, tilesW, tiles } = tileCount(g, m);
  const perImage = tilesH * tilesW;
  // Chunks of whole images where a chunk holds one or more (the same at any thread count): chunks then
  // add into dx apart, each in its unit, with no second pass.
  const fit = tileRows(tiles, p * (inC + outC + 1) + m * m, WINO_CHUNK_FLOATS);
  const whole = fit >= perImage && fit < tiles;
  const rows = whole ? fit - (fit % perImage) : fit;
  const [ci, co] = [4 * inC, 4 * outC];
  const { pool, threads } = deferred ? { pool: deferred.pool, threads: 1 } : threadsFor(w, gemm);
  const parts = Math.max(1, Math.min(unitsFor(threads), Math.ceil(tiles / rows)));
  const gemmFn = deferred ? poolFn(pool, 'gemm', 'gemm', gemm.serial) : gemmCall(pool, parts, gemm);
  const [backFn, scatterFn] = [poolFn(pool, 'winograd', `${v.name}OutputBack`, loops.outputBack), poolFn(pool, 'winograd', `${v.name}InputBack`, loops.inputBack)];
  const s = new Scratch(w);
  try {
    const transposed = s.floats(9 * inC * outC);
    const heap = heapFloats(w);
    const [src, dst] = [heapOffset(w, filter) / 4, transposed / 4];
    for (let k = 0; k < 9; k++) {
      const tap = k * inC * outC;
      for (let i = 0; i < inC; i++) for (let o = 0; o < outC; o++) heap[dst + tap + o * inC + i] = heap[src + tap + i * outC + o];
    }
    const utAt = filterTransform(gemm, v, s, transposed, outC, inC);
    const zeros = s.filled(outC);
    const [dyAt, dxAt] = [heapOffset(w, dy), heapOffset(w, dx)];
    const relocateFn = poolFn(pool, 'loops', 'relocate', wasmLoopsFor(w)!.relocate);
    const { output: dyTiles, input: dxTiles } = winogradTiles(w, g, m);
    // dx is zeroed image by image by the unit that first adds into the image (the one with its
    // first tile), on whichever thread takes it, not here before the passes.
    const [zeroFn, imageFloats] = [poolFn(pool, 'loops', 'zeroFloats', wasmLoopsFor(w)!.zeroFloats), g.inH * g.inW * inC];
    const zeroFirst = (a: number, b: number): Call[] => {
      const [i0, i1] = [Math.ceil(a / perImage), Math.ceil(b / perImage)];
      return i1 > i0 ? [call(zeroFn, dxAt + 4 * i0 * imageFloats, (i1 - i0) * imageFloats)] : [];
    };
    const sizes = { eAt: rows * p * outC, dvAt: rows * p * inC, dyTable: rows * m * m, dxTable: rows * p, dump: inC };
    // A chunk's transforms and products into the scratch `at`: a thread's lane, `bytes` apart (0: the chunk's own).
    const products = (t0: number, n: number, at: Record<keyof typeof sizes, number>, bytes: number): Call[] => [
      laned(call(relocateFn, at.dyTable, dyTiles + 4 * t0 * m * m, n * m * m, dyAt, zeros), bytes, 0),
      // Input pixels past the edge (padding) take their share in a run that nothing reads.
      laned(call(relocateFn, at.dxTable, dxTiles + 4 * t0 * p, n * p, dxAt, at.dump), bytes, 0, 4),
      laned(call(backFn, at.dyTable, n, co, at.eAt, n * co), bytes, 0, 3),
      laned(call(gemmFn, at.eAt, utAt, at.dvAt, n, outC, inC, p, n * co, co * inC, n * ci, 0, 0, co, 4), bytes, 0, 2),
    ];
    if (whole || tiles <= rows) {
      // Chunks of whole images (or one chunk): each a unit, adding into dx apart from the others,
      // its scratch the lane of the thread that runs it. Deferred, the units' calls in order, each
      // unit's first call's index in `chunks`.
      const { at, bytes } = laneScratch(s, deferred || parts > 1 ? pool : undefined, sizes);
      const units: Call[][] = [];
      for (let t0 = 0; t0 < tiles; t0 += rows) {
        const n = Math.min(rows, tiles - t0);
        units.push([...zeroFirst(t0, t0 + n), ...products(t0, n, at, bytes), laned(call(scatterFn, at.dvAt, n * ci, n, ci, at.dxTable, 0, 0), bytes, 0, 4)]);
      }
      if (!deferred) runPlans(pool, units);
      else
        for (const unit of units) {
          (deferred.chunks ??= []).push(deferred.calls.length);
          deferred.calls.push(...unit);
        }
      return;
    }
    // Chunks within images: each round's products a chunk per unit, each into scratch of its own
    // (its dv is read by the round's second pass), then the round's images shared out.
    const per = Array.from({ length: parts }, () => laneScratch(s, undefined, sizes).at);
    for (let r0 = 0; r0 < tiles; r0 += rows * parts) {
      const units: Call[][] = [];
      const chunks: { t0: number; n: number }[] = [];
      for (let t = 0, t0 = r0; t < parts && t0 < tiles; t++, t0 += rows) {
        const n = Math.min(rows, tiles - t0);
        units.push(products(t0, n, per[t], 0));
        chunks.push({ t0, n });
      }
      if (deferred) {
        // One thread's pass, in order: each chunk's products, then its share of dx.
        chunks.forEach(({ t0, n }, t) => deferred.calls.push(...zeroFirst(t0, t0 + n), ...units[t], call(scatterFn, per[t].dvAt, n * ci, n, ci, per[t].dxTable, 0, 0)));
        continue;
      }
      runPlans(pool, units);
      // The round's tiles [r0, end) into dx, its images shared out among the threads.
      const end = chunks[chunks.length - 1].t0 + chunks[chunks.length - 1].n;
      const [img0, img1] = [Math.floor(r0 / perImage), Math.floor((end - 1) / perImage) + 1];
      const groups = Math.min(parts, img1 - img0);
      const scatters: Call[][] = Array.from({ length: groups }, (_, k) => {
        const [i0, i1] = share(img1 - img0, groups, k);
        const [a, b] = [Math.max(r0, (img0 + i0) * perImage), Math.min(end, (img0 + i1) * perImage)];
        const calls: Call[] = zeroFirst(a, b);
        chunks.forEach(({ t0, n }, t) => {
          const [lo, hi] = [Math.max(a, t0), Math.min(b, t0 + n)];
          if (lo < hi) calls.push(call(scatterFn, per[t].dvAt + (lo - t0) * ci, n * ci, hi - lo, ci, per[t].dxTable + 4 * (lo - t0) * p, 0, 0));
        });
        return calls;
      });
      runPlans(pool, scatters);
    }
  } finally {
    if (deferred) deferred.scratch.push(s);
    else s.dispose();
  }
}

/**
 * The filter gradient of a 3×3 stride-1 convolution by the forward pass's
 * transforms read backwards: with V_t = Bᵀ·d_t·B (the input tile's, as
 * forward) and E_t = A·dy_t·Aᵀ (dy's m×m tile to P values),
 * Ũ_ξ = Σ_t V_t,ξᵀ · E_t,ξ ([inC, tiles]·[tiles, outC], P products, V read
 * transposed in place) and dW = Gwᵀ · Ũ. Each chunk's products go
 * straight into Ũ (the product kernel's C += A·B: no partial sums to store
 * and add). On threads, each round's chunks are transformed a chunk per
 * thread, then multiplied a run of Ũ's planes per thread, chunk after chunk,
 * each chunk's products added to Ũ in chunk order as on one thread.
 */
function winogradFilterGrad(w: BackendWasm, gemm: Gemm, v: WinogradVariant, g: Geometry, x: TensorInfo, dy: TensorInfo, dw: TensorInfo, deferred?: Deferred): void {
  const loops = winogradLoopsFor(w, v)!;
  const { inC, outC } = g;
  const { m } = v;
  const p = (m + 2) ** 2;
  const { tiles } = tileCount(g, m);
  const rows = tileRows(tiles, p * (inC + outC + 1) + m * m, WINO_CHUNK_FLOATS);
  const [ci, co] = [4 * inC, 4 * outC];
  const size = p * inC * outC;
  const { pool, threads } = deferred ? { pool: deferred.pool, threads: 1 } : threadsFor(w, gemm);
  const parts = Math.max(1, Math.min(unitsFor(threads), Math.ceil(tiles / rows)));
  const gemmFn = deferred ? poolFn(pool, 'gemm', 'gemm', gemm.serial) : gemmCall(pool, parts, gemm);
  const [inputFn, backFn] = [poolFn(pool, 'winograd', `${v.name}Input`, loops.input), poolFn(pool, 'winograd', `${v.name}OutputBack`, loops.outputBack)];
  const s = new Scratch(w);
  try {
    const gAt = s.filled(v.gw.length, v.gw);
    const per = Array.from({ length: parts }, () => ({ vAt: s.floats(rows * p * inC), eAt: s.floats(rows * p * outC), inTable: s.floats(rows * p), dyTable: s.floats(rows * m * m) }));
    const zeros = s.filled(Math.max(inC, outC));
    const accAt = s.floats(size);
    const [xAt, dyAt] = [heapOffset(w, x), heapOffset(w, dy)];
    const relocateFn = poolFn(pool, 'loops', 'relocate', wasmLoopsFor(w)!.relocate);
    const { input: inTiles, output: dyTiles } = winogradTiles(w, g, m);
    // The products of planes [x0, x1) of a chunk of n tiles, into Ũ (the first chunk) or added to it.
    const products = (c: { t0: number; n: number; vAt: number; eAt: number }, x0: number, x1: number): Call[] => [
      call(gemmFn, c.vAt + x0 * c.n * ci, c.eAt + x0 * c.n * co, accAt + x0 * ci * outC, inC, c.n, outC, x1 - x0, c.n * ci, c.n * co, ci * outC, 0, 0, 4, ci, c.t0 === 0 ? 0 : 1),
    ];
    for (let r0 = 0; r0 < tiles; r0 += rows * parts) {
      const chunks: { t0: number; n: number; vAt: number; eAt: number }[] = [];
      const transforms: Call[][] = [];
      for (let t = 0, t0 = r0; t < parts && t0 < tiles; t++, t0 += rows) {
        const n = Math.min(rows, tiles - t0);
        const { vAt, eAt, inTable, dyTable } = per[t];
        chunks.push({ t0, n, vAt, eAt });
        transforms.push([
          call(relocateFn, inTable, inTiles + 4 * t0 * p, n * p, xAt, zeros),
          call(relocateFn, dyTable, dyTiles + 4 * t0 * m * m, n * m * m, dyAt, zeros),
          call(inputFn, inTable, n, ci, vAt, n * ci),
          call(backFn, dyTable, n, co, eAt, n * co),
        ]);
      }
      if (parts === 1) {
        const plan = [...transforms[0], ...products(chunks[0], 0, p)];
        if (deferred) deferred.calls.push(...plan);
        else runPlans(pool, [plan]);
        continue;
      }
      // On threads: the chunks' transforms a chunk per thread, then their products a run of
      // planes per unit, each unit taking the chunks in order — Ũ's planes apart, so every
      // value gets its chunks' products added in the one-thread order, each in the cache of
      // the thread that made it.
      runPlans(pool, transforms);
      const units = Math.min(p, unitsFor(threads));
      runPlans(pool, Array.from({ length: units }, (_, u) => {
        const [x0, x1] = share(p, units, u);
        return chunks.flatMap((c) => products(c, x0, x1));
      }));
    }
    // dW [9, inC·outC] = Gwᵀ · Ũ ([9, P]: Gw [P, 9] read transposed).
    const last = [gAt, accAt, heapOffset(w, dw), 9, p, inC * outC, 1, 0, 0, 0, 0, 0, 4, 36] as const;
    if (deferred) deferred.calls.push(call(gemmFn, ...last));
    else gemm.run(...last);
  } finally {
    if (deferred) deferred.scratch.push(s);
    else s.dispose();
  }
}

/** dW [fh, fw, inC, outC] = Σ over chunks of cols(x)ᵀ · dy, each chunk's product read with A transposed in place (on threads, summed as winogradFilterGrad sums). */
function filterGrad(w: BackendWasm, gemm: Gemm, g: Geometry, x: TensorInfo, dy: TensorInfo): TensorInfo {
  const kf = g.fh * g.fw * g.inC;
  const m = g.batch * g.outH * g.outW;
  const dw = w.makeOutput([g.fh, g.fw, g.inC, g.outC], 'float32');
  const size = kf * g.outC;
  const v = m > 0 && gemm === gemmFor(w) ? winograd(w, g) : undefined;
  if (v) {
    winogradFilterGrad(w, gemm, v, g, x, dy, dw);
    return dw;
  }
  const rows = chunkRows(g);
  const loops = wasmLoopsFor(w);
  const wasmIm2col = im2colLoop(loops, heapFloats(w), heapOffset(w, x) / 4, g);
  const { pool, threads } = threadsFor(w, gemm);
  const parts = wasmIm2col && loops ? Math.max(1, Math.min(unitsFor(threads), Math.ceil(m / rows))) : 1;
  const cols = Array.from({ length: parts }, () => scratch(w, rows * kf + COLS_SLACK));
  const part = Array.from({ length: parts }, () => scratch(w, size));
  try {
    const heap = heapFloats(w);
    const dwAt = heapOffset(w, dw) / 4;
    if (m === 0) heap.fill(0, dwAt, dwAt + size);
    const xAt = heapOffset(w, x) / 4;
    const colsAt = cols.map((c) => heapOffset(w, c));
    const partAt = part.map((c) => heapOffset(w, c));
    const dyAt = heapOffset(w, dy);
    const addInto = loops?.addInto;
    if (parts === 1) {
      for (let m0 = 0; m0 < m; m0 += rows) {
        const n = Math.min(rows, m - m0);
        columns(wasmIm2col, heap, xAt, colsAt[0], g, m0, n);
        // [kf, n] · [n, outC]: A is the chunk of columns [n, kf] read transposed (row step 4 bytes, k step 4·kf).
        // The first chunk's product goes straight into dW; the others' are added to it.
        gemm.run(colsAt[0], dyAt + 4 * m0 * g.outC, m0 === 0 ? dwAt * 4 : partAt[0], kf, n, g.outC, 1, 0, 0, 0, 0, 0, 4, 4 * kf);
        if (m0 === 0) continue;
        if (addInto) addInto(dwAt * 4, partAt[0], size);
        else for (let i = 0, p = partAt[0] / 4; i < size; i++) heap[dwAt + i] += heap[p + i];
      }
      return dw;
    }
    const im2colFn = poolFn(pool, 'loops', wasmIm2col === loops!.im2colNarrow ? 'im2colNarrow' : 'im2col', wasmIm2col!);
    const [gemmFn, addFn] = [gemmCall(pool, parts, gemm), poolFn(pool, 'loops', 'addInto', addInto!)];
    for (let r0 = 0; r0 < m; r0 += rows * parts) {
      const plans: Call[][] = [];
      const partials: number[] = [];
      for (let t = 0, m0 = r0; t < parts && m0 < m; t++, m0 += rows) {
        const n = Math.min(rows, m - m0);
        const into = m0 === 0 ? dwAt * 4 : partAt[t];
        if (m0 > 0) partials.push(partAt[t]);
        plans.push([
          call(im2colFn, xAt * 4, colsAt[t], m0, m0 + n, g.inH, g.inW, g.inC, g.outH, g.outW, g.fh, g.fw, g.sh, g.sw, g.padTop, g.padLeft),
          call(gemmFn, colsAt[t], dyAt + 4 * m0 * g.outC, into, kf, n, g.outC, 1, 0, 0, 0, 0, 0, 4, 4 * kf),
        ]);
      }
      runPlans(pool, plans);
      // A small filter's sums (a first layer's few taps) are added here: a pool run would cost more.
      if (size < SPLIT_MIN_ELEMENTS) for (const at of partials) addInto!(dwAt * 4, at, size);
      else runPlans(pool, foldPlans(addFn, threads, dwAt * 4, partials, size));
    }
  } finally {
    for (const c of [...cols, ...part]) w.disposeData(c.dataId);
  }
  return dw;
}

/** dx = col2im(dy · Wᵀ), chunk by chunk; Wᵀ [outC, Kf] made once. */
function inputGrad(w: BackendWasm, gemm: Gemm, g: Geometry, dy: TensorInfo, filter: TensorInfo): TensorInfo {
  const kf = g.fh * g.fw * g.inC;
  const m = g.batch * g.outH * g.outW;
  const dx = w.makeOutput([g.batch, g.inH, g.inW, g.inC], 'float32');
  const v = g.batch * g.outH * g.outW > 0 ? winograd(w, g) : undefined;
  if (v) {
    winogradInputGrad(w, gemm, v, g, dy, filter, dx);
    return dx;
  }
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
 * 1 → 32 2.1 and 1.8; 3 → 32 4.3 and 3.8; 8 → 16 1.4 and 1.2; 32 → 64 14 and 6.6;
 * since then, 'valid' 1 → 32 on 28×28 takes ~1.0 ms here with im2colNarrow, and
 * 32 → 64 ~2.8 with Winograd F(4×4)).
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

/** A convolution's input and filter gradients in one kernel: inputs x, dy, filter; a Conv2DBackpropFilter's attributes; outputs [dx, dW]. */
export const CONV2D_GRADIENTS = 'ModelLabConv2DGradients';

/**
 * Both gradients of a convolution, on two threads side by side where the
 * pool has two and both are Winograd passes: the filter gradient's calls on
 * one thread, the input gradient's on the other — its chunks of whole images
 * as units of their own where it has such chunks, so that the thread done
 * first takes those left — each pass's values as one thread computes them
 * (so every value as at any thread count). Split pass by pass, each waits at
 * every round for its slower half and reads what the other thread wrote;
 * side by side, the bench CNN's second convolution took 3.1–3.4 ms
 * for both against 4.0–4.6 split pass by pass (two threads, one process
 * switching between the two ways). Otherwise (one thread, three or more,
 * other convolutions) the two kernels, each split as it splits.
 */
function conv2dGradients(args: KernelArgs<BackendWasm>): TensorInfo[] {
  const { inputs, backend: w, attrs } = args;
  const [x, dy, filter] = [inputs.x as TensorInfo, inputs.dy as TensorInfo, inputs.filter as TensorInfo];
  const gemm = gemmFor(w);
  const pool = kernelPool(w);
  if (gemm && pool?.threads === 2 && [x, dy, filter].every((t) => t.dtype === 'float32') && !isNchw(attrs!.dataFormat)) {
    const info = backend_util.computeConv2DInfo(x.shape as [number, number, number, number], filter.shape as [number, number, number, number], attrs!.strides as number, 1, attrs!.pad as 'valid', attrs!.dimRoundingMode as 'round' | undefined);
    const g = geometry(info);
    const v = g.batch * g.outH * g.outW > 0 ? winograd(w, g) : undefined;
    if (v) {
      const dx = w.makeOutput([g.batch, g.inH, g.inW, g.inC], 'float32');
      const dw = w.makeOutput([g.fh, g.fw, g.inC, g.outC], 'float32');
      const passes: Deferred[] = [0, 1].map(() => ({ pool, calls: [], scratch: [] }));
      try {
        winogradInputGrad(w, gemm, v, g, dy, filter, dx, passes[0]);
        winogradFilterGrad(w, gemm, v, g, x, dy, dw, passes[1]);
        const [inputCalls, filterCalls] = passes.map((p) => p.calls);
        const chunks = passes[0].chunks;
        if (chunks && chunks.length < MAX_UNITS && inputCalls.length + filterCalls.length <= MAX_CALLS) {
          // One run: the filter gradient's pass first, the unit the main thread claims (the longer
          // pass, and the worker, woken for the run, is the slower thread), then the input
          // gradient's chunks of whole images, each a unit: the worker takes them from the last
          // back, the main thread, done with its pass, those left from the first on.
          runPlans(pool, [filterCalls, ...chunks.map((at, i) => inputCalls.slice(at, chunks[i + 1] ?? inputCalls.length))]);
        } else {
          // In runs of at most half a run's calls from each pass, in order, the filter gradient's
          // first. A chunk's calls may then fall into two runs, taken by different threads: all in
          // lane 0's scratch, which one unit at a time uses.
          const piece = MAX_CALLS / 2;
          const inLaneZero = inputCalls.map(({ lane: _, ...c }) => c);
          for (let at = 0; at < Math.max(inputCalls.length, filterCalls.length); at += piece) {
            runPlans(pool, [filterCalls.slice(at, at + piece), inLaneZero.slice(at, at + piece)].filter((u) => u.length > 0));
          }
        }
      } finally {
        for (const p of passes) for (const sc of p.scratch) sc.dispose();
      }
      return [dx, dw];
    }
  }
  return [
    conv2dBackpropInput({ inputs: { dy, filter }, backend: w, attrs: { ...attrs, inputShape: x.shape } }),
    conv2dBackpropFilter({ inputs: { x, dy }, backend: w, attrs: { ...attrs, filterShape: filter.shape } }),
  ];
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

/** Both gradients of a convolution in one kernel (wasm). */
export const conv2dGradientsConfig: KernelConfig = {
  kernelName: CONV2D_GRADIENTS,
  backendName: 'wasm',
  kernelFunc: conv2dGradients as unknown as KernelFunc,
};
