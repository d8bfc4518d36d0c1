// Element loops that JavaScript does slowly, as a small WebAssembly module
// over the backend's memory (assembled as wasmGemm.ts assembles the product
// kernel): the convolution and pooling gradients' and the Adam step's. In
// JavaScript each float32 add or compare costs a conversion to double and
// back (~4.5 ns an element: ~10 ms for the col2im of the benchmark CNN's
// second convolution); here four floats go at a time.
// - im2col copies each output pixel's taps from the input into a row of a
//   column matrix, tap row by tap row, zeros where the filter overhangs
//   (im2colNarrow: rows of at most 16 floats, no padding, 16-byte copies);
//   col2im adds such rows back into the input gradient.
// - maxPoolGrad (and maxPoolGrad2x2, for the common 2×2 stride-2 pooling)
//   finds each window's first largest value, four channels at a
//   time (compare, then select value and position), and adds dy there;
//   maxPool2x2 finds the same values for the forward pass.
// - addInto adds one run of floats to another (the filter gradient's
//   per-chunk partial sums); sumRows sums a matrix's rows (bias gradients).
// - zeroFloats zeroes a run of floats (memory.fill): a gradient that is added
//   into, zeroed image by image in the same units that add into it, so the
//   zeroing splits among the threads with the work.
// - relocate makes a table of relative addresses absolute (the Winograd
//   passes' tile tables, built once per geometry: conv2d.ts), in the units
//   that then read it.
// - reluGrad: dy where y > 0, else 0 (activationGrad.ts, for conv layers'
//   outputs of a million floats and more).
// - adam: one variable's Adam step (adamUpdate.ts), in float32 as tfjs's own
//   optimizer computes it.

import { F32, f32x4Add, I32, memoryImport, modulePerBackend, op, section, str, u32, V128, v128Load, v128Store, vec } from './wasmGemm';
import type { Bytes } from './wasmGemm';

// Parameters (i32): byte offsets of dx and of the chunk's columns, the chunk's output pixels
// [m0, mEnd), then the geometry (NHWC, dilation 1).
const P = { dx: 0, cols: 1, m0: 2, mEnd: 3, inH: 4, inW: 5, inC: 6, outH: 7, outW: 8, fh: 9, fw: 10, sh: 11, sw: 12, padTop: 13, padLeft: 14 } as const;
const PARAMS = 15;
const L = { m: 15, ox: 16, t: 17, oy: 18, b: 19, iy0: 20, ix0: 21, lo: 22, hi: 23, kh: 24, iy: 25, src: 26, dst: 27, i: 28, rowLen: 29, c4: 30 } as const;
const LOCALS = 16;


/**
 * One tap row of output pixel m, filter row kh: col2im adds the columns' row
 * (at src) into dx where the taps read it; im2col (copy) copies it from x into
 * the columns' row, zeros where the filter hangs over the edge.
 */
function tapRow(copy: boolean): Bytes {
  const g = op.get;
  const s = op.set;
  // dst = base + ((b·inH + iy)·inW + ix0)·c4: the pixel row in dx (col2im) or x (im2col)
  const rowAddress = [...g(P.dx), ...g(L.b), ...g(P.inH), ...op.mul, ...g(L.iy), ...op.add, ...g(P.inW), ...op.mul, ...g(L.ix0), ...op.add, ...g(L.c4), ...op.mul, ...op.add, ...s(L.dst)];
  const zeroRow = [
    ...op.i32(0), ...s(L.i),
    ...op.loopWhile([...g(L.i), ...op.i32(16), ...op.add, ...g(L.rowLen), ...op.gtS], g(L.src), g(L.i), op.add, simd.const(new Array<number>(16).fill(0)), v128Store(), g(L.i), op.i32(16), op.add, s(L.i)),
    ...op.loopWhile([...g(L.i), ...g(L.rowLen), ...op.geS], g(L.src), g(L.i), op.add, op.f32Const0, op.f32Store(), g(L.i), op.i32(4), op.add, s(L.i)),
  ];
  // The taps inside the image, [lo, hi) bytes: added into dx, or copied from x.
  const run = copy
    ? [
        ...g(L.lo), ...s(L.i),
        ...op.loopWhile([...g(L.i), ...op.i32(16), ...op.add, ...g(L.hi), ...op.gtS], g(L.src), g(L.i), op.add, g(L.dst), g(L.i), op.add, v128Load(), v128Store(), g(L.i), op.i32(16), op.add, s(L.i)),
        ...op.loopWhile([...g(L.i), ...g(L.hi), ...op.geS], g(L.src), g(L.i), op.add, g(L.dst), g(L.i), op.add, op.f32Load(), op.f32Store(), g(L.i), op.i32(4), op.add, s(L.i)),
      ]
    : [
        ...g(L.lo), ...s(L.i),
        ...op.loopWhile([...g(L.i), ...op.i32(16), ...op.add, ...g(L.hi), ...op.gtS],
          g(L.dst), g(L.i), op.add,
          g(L.dst), g(L.i), op.add, v128Load(), g(L.src), g(L.i), op.add, v128Load(), f32x4Add(),
          v128Store(),
          g(L.i), op.i32(16), op.add, s(L.i),
        ),
        ...op.loopWhile([...g(L.i), ...g(L.hi), ...op.geS],
          g(L.dst), g(L.i), op.add,
          g(L.dst), g(L.i), op.add, op.f32Load(), g(L.src), g(L.i), op.add, op.f32Load(), op.f32Add,
          op.f32Store(),
          g(L.i), op.i32(4), op.add, s(L.i),
        ),
      ];
  // 0 ≤ iy < inH, as one unsigned compare
  const inside = [...g(L.iy), ...g(P.inH), ...op.ltU];
  if (!copy) return [...inside, ...op.when(rowAddress, run)];
  // im2col: a row inside the image is zeroed first where it overhangs (lo ≠ 0 or hi ≠ rowLen), then copied; outside, zeroed.
  const overhangs = [...g(L.lo), ...op.i32(0), ...op.ne, ...g(L.hi), ...g(L.rowLen), ...op.ne, ...op.or];
  return [...inside, 0x04, 0x40, ...rowAddress, ...overhangs, ...op.when(zeroRow), ...run, 0x05, ...zeroRow, 0x0b];
}

function convRowsBody(copy: boolean): Bytes {
  const g = op.get;
  const s = op.set;
  return [
    // c4 = inC·4 (bytes per pixel); rowLen = fw·c4 (bytes per tap row); src = cols; m = m0.
    ...g(P.inC), ...op.i32(2), ...op.shl, ...s(L.c4),
    ...g(P.fw), ...g(L.c4), ...op.mul, ...s(L.rowLen),
    ...g(P.cols), ...s(L.src),
    ...g(P.m0), ...s(L.m),
    ...op.block(
      op.loop(
        g(L.m), g(P.mEnd), op.geU, op.brIf(1),
        // ox = m % outW, t = m / outW, oy = t % outH, b = t / outH
        g(L.m), g(P.outW), op.remU, s(L.ox),
        g(L.m), g(P.outW), op.divU, s(L.t),
        g(L.t), g(P.outH), op.remU, s(L.oy),
        g(L.t), g(P.outH), op.divU, s(L.b),
        g(L.oy), g(P.sh), op.mul, g(P.padTop), op.sub, s(L.iy0),
        g(L.ox), g(P.sw), op.mul, g(P.padLeft), op.sub, s(L.ix0),
        // lo = max(0, −ix0)·c4; hi = min(fw, inW − ix0)·c4
        op.i32(0), g(L.ix0), op.sub, op.i32(0), op.i32(0), g(L.ix0), op.sub, op.i32(0), op.gtS, op.select, g(L.c4), op.mul, s(L.lo),
        g(P.fw), g(P.inW), g(L.ix0), op.sub, g(P.fw), g(P.inW), g(L.ix0), op.sub, op.ltS, op.select, g(L.c4), op.mul, s(L.hi),
        op.i32(0), s(L.kh),
        op.block(
          op.loop(
            g(L.kh), g(P.fh), op.geS, op.brIf(1),
            g(L.iy0), g(L.kh), op.add, s(L.iy),
            // 0 ≤ iy < inH, as one unsigned compare
            g(L.iy), g(P.inH), op.ltU,
            tapRow(copy),
            g(L.src), g(L.rowLen), op.add, s(L.src),
            g(L.kh), op.i32(1), op.add, s(L.kh),
            op.br(0),
          ),
        ),
        g(L.m), op.i32(1), op.add, s(L.m),
        op.br(0),
      ),
    ),
  ];
}

// maxPoolGrad's parameters (i32): byte offsets of x, dy and dx (zeroed by the caller), then the
// geometry; channels a multiple of 4.
const Q = { x: 0, dy: 1, dx: 2, batch: 3, inH: 4, inW: 5, c: 6, outH: 7, outW: 8, fh: 9, fw: 10, sh: 11, sw: 12, padTop: 13, padLeft: 14 } as const;
const Q_PARAMS = 15;
const QL = { b: 15, oy: 16, ox: 17, yLo: 18, yHi: 19, xLo: 20, xHi: 21, ch: 22, iy: 23, ix: 24, off: 25, dyp: 26, c4: 27, t: 28, o: 29 } as const;
const Q_I32_LOCALS = 15;
const QV = { best: 30, idx: 31, v: 32, mask: 33 } as const;
const Q_V128_LOCALS = 4;

export const simd = {
  const: (bytes: number[]) => op.simd(0x0c, ...bytes),
  i32x4Splat: () => op.simd(0x11),
  i32x4ExtractLane: (lane: number) => op.simd(0x1b, lane),
  f32x4ExtractLane: (lane: number) => op.simd(0x1f, lane),
  f32x4Gt: () => op.simd(0x44),
  bitselect: () => op.simd(0x52),
  and: () => op.simd(0x4e),
  i32x4Eq: () => op.simd(0x37),
  i32x4Add: () => op.simd(0xae),
  f32x4: (code: number) => op.simd(code),
};
const MINUS_INF = [0, 0, 0x80, 0xff];
const i32Bytes = (n: number) => [n & 0xff, (n >> 8) & 0xff, (n >> 16) & 0xff, (n >>> 24) & 0xff];

function maxPoolGradBody(): Bytes {
  const g = op.get;
  const s = op.set;
  // lo = max(0, a), hi = min(limit, a + size), for the window's rows or columns.
  const clampLo = (a: Bytes, to: number): Bytes => [...a, ...op.i32(0), ...a, ...op.i32(0), ...op.gtS, ...op.select, ...s(to)];
  const clampHi = (a: Bytes, limit: number, to: number): Bytes => [...a, ...g(limit), ...a, ...g(limit), ...op.ltS, ...op.select, ...s(to)];
  const lane = (l: number): Bytes => [
    ...g(QV.idx), ...simd.i32x4ExtractLane(l), ...s(QL.o),
    ...g(QL.o), ...op.i32(0), ...op.geS,
    ...op.when(
      g(Q.dx), g(QL.o), op.add,
      g(Q.dx), g(QL.o), op.add, op.f32Load(),
      g(QL.dyp), g(QL.ch), op.add, op.f32Load(4 * l), op.f32Add,
      op.f32Store(),
    ),
  ];
  return [
    ...g(Q.c), ...op.i32(2), ...op.shl, ...s(QL.c4),
    ...g(Q.dy), ...s(QL.dyp),
    ...op.i32(0), ...s(QL.b),
    ...op.loopWhile([...g(QL.b), ...g(Q.batch), ...op.geS],
      op.i32(0), s(QL.oy),
      op.loopWhile([...g(QL.oy), ...g(Q.outH), ...op.geS],
        // t = oy·sh − padTop: the window's first row
        g(QL.oy), g(Q.sh), op.mul, g(Q.padTop), op.sub, s(QL.t),
        clampLo(g(QL.t), QL.yLo),
        clampHi([...g(QL.t), ...g(Q.fh), ...op.add], Q.inH, QL.yHi),
        op.i32(0), s(QL.ox),
        op.loopWhile([...g(QL.ox), ...g(Q.outW), ...op.geS],
          g(QL.ox), g(Q.sw), op.mul, g(Q.padLeft), op.sub, s(QL.t),
          clampLo(g(QL.t), QL.xLo),
          clampHi([...g(QL.t), ...g(Q.fw), ...op.add], Q.inW, QL.xHi),
          op.i32(0), s(QL.ch),
          op.loopWhile([...g(QL.ch), ...g(QL.c4), ...op.geS],
            simd.const([...MINUS_INF, ...MINUS_INF, ...MINUS_INF, ...MINUS_INF]), s(QV.best),
            simd.const([...i32Bytes(-1), ...i32Bytes(-1), ...i32Bytes(-1), ...i32Bytes(-1)]), s(QV.idx),
            g(QL.yLo), s(QL.iy),
            op.loopWhile([...g(QL.iy), ...g(QL.yHi), ...op.geS],
              g(QL.xLo), s(QL.ix),
              op.loopWhile([...g(QL.ix), ...g(QL.xHi), ...op.geS],
                // off = ((b·inH + iy)·inW + ix)·c4 + ch: bytes from x (and dx) to these 4 channels
                g(QL.b), g(Q.inH), op.mul, g(QL.iy), op.add, g(Q.inW), op.mul, g(QL.ix), op.add, g(QL.c4), op.mul, g(QL.ch), op.add, s(QL.off),
                g(Q.x), g(QL.off), op.add, v128Load(), s(QV.v),
                g(QV.v), g(QV.best), simd.f32x4Gt(), s(QV.mask),
                g(QV.v), g(QV.best), g(QV.mask), simd.bitselect(), s(QV.best),
                g(QL.off), simd.i32x4Splat(), simd.const([...i32Bytes(0), ...i32Bytes(4), ...i32Bytes(8), ...i32Bytes(12)]), simd.i32x4Add(),
                g(QV.idx), g(QV.mask), simd.bitselect(), s(QV.idx),
                g(QL.ix), op.i32(1), op.add, s(QL.ix),
              ),
              g(QL.iy), op.i32(1), op.add, s(QL.iy),
            ),
            lane(0), lane(1), lane(2), lane(3),
            g(QL.ch), op.i32(16), op.add, s(QL.ch),
          ),
          g(QL.dyp), g(QL.c4), op.add, s(QL.dyp),
          g(QL.ox), op.i32(1), op.add, s(QL.ox),
        ),
        g(QL.oy), op.i32(1), op.add, s(QL.oy),
      ),
      g(QL.b), op.i32(1), op.add, s(QL.b),
    ),
  ];
}

/**
 * maxPoolGrad for 2×2 windows at stride 2 without padding (every max-pool of
 * a CNN like the benchmark's): the four pixels of each window compared in
 * order, four channels at a time, and dy or 0 stored to each, so dx needs no
 * zeroing where the windows cover it and no read. Same parameters as
 * maxPoolGrad (the filter, stride and padding ones unused).
 */
function maxPoolGrad2x2Body(): Bytes {
  const g = op.get;
  const s = op.set;
  const R = { b: 15, oy: 16, ox: 17, ch: 18, c4: 19, row: 20, p0: 21, dyp: 22 } as const;
  const V = { best: 23, idx: 24, v: 25, mask: 26, d: 27 } as const;
  const splatI32 = (n: number) => simd.const([...i32Bytes(n), ...i32Bytes(n), ...i32Bytes(n), ...i32Bytes(n)]);
  // the window's pixel k (0 … 3, rows then columns): p0, p0 + c4, p0 + row, p0 + row + c4
  const pixel = (k: number): Bytes => [...g(R.p0), ...(k & 1 ? [...g(R.c4), ...op.add] : []), ...(k & 2 ? [...g(R.row), ...op.add] : []), ...g(R.ch), ...op.add];
  const compare = (k: number): Bytes => [
    ...g(Q.x), ...pixel(k), ...op.add, ...v128Load(), ...s(V.v),
    ...g(V.v), ...g(V.best), ...simd.f32x4Gt(), ...s(V.mask),
    ...g(V.v), ...g(V.best), ...g(V.mask), ...simd.bitselect(), ...s(V.best),
    ...splatI32(k), ...g(V.idx), ...g(V.mask), ...simd.bitselect(), ...s(V.idx),
  ];
  const store = (k: number): Bytes => [...g(Q.dx), ...pixel(k), ...op.add, ...g(V.d), ...g(V.idx), ...splatI32(k), ...simd.i32x4Eq(), ...simd.and(), ...v128Store()];
  return [
    ...g(Q.c), ...op.i32(2), ...op.shl, ...s(R.c4),
    ...g(Q.inW), ...g(R.c4), ...op.mul, ...s(R.row),
    ...g(Q.dy), ...s(R.dyp),
    ...op.i32(0), ...s(R.b),
    ...op.loopWhile([...g(R.b), ...g(Q.batch), ...op.geS],
      op.i32(0), s(R.oy),
      op.loopWhile([...g(R.oy), ...g(Q.outH), ...op.geS],
        op.i32(0), s(R.ox),
        op.loopWhile([...g(R.ox), ...g(Q.outW), ...op.geS],
          // p0 = ((b·inH + 2·oy)·inW + 2·ox)·c4: bytes from x (and dx) to the window's first pixel
          g(R.b), g(Q.inH), op.mul, g(R.oy), op.i32(1), op.shl, op.add, g(Q.inW), op.mul, g(R.ox), op.i32(1), op.shl, op.add, g(R.c4), op.mul, s(R.p0),
          op.i32(0), s(R.ch),
          op.loopWhile([...g(R.ch), ...g(R.c4), ...op.geS],
            simd.const([...MINUS_INF, ...MINUS_INF, ...MINUS_INF, ...MINUS_INF]), s(V.best),
            splatI32(-1), s(V.idx),
            compare(0), compare(1), compare(2), compare(3),
            g(R.dyp), g(R.ch), op.add, v128Load(), s(V.d),
            store(0), store(1), store(2), store(3),
            g(R.ch), op.i32(16), op.add, s(R.ch),
          ),
          g(R.dyp), g(R.c4), op.add, s(R.dyp),
          g(R.ox), op.i32(1), op.add, s(R.ox),
        ),
        g(R.oy), op.i32(1), op.add, s(R.oy),
      ),
      g(R.b), op.i32(1), op.add, s(R.b),
    ),
  ];
}

/**
 * im2col for narrow tap rows (fw·inC ≤ 16 floats: a first layer on grey or
 * colour images) without padding: each tap row copied in 16-byte loads and
 * stores, the last store's spill past the row overwritten by the next row (the
 * caller leaves 16 bytes of room after the columns and after x). The general
 * loop spends most of its time deciding, per tap row of 3 floats, what to copy
 * and what to zero (~0.95 ms of the benchmark's first convolution, 1.9).
 * Same parameters as im2col (padTop and padLeft must be 0).
 */
function im2colNarrowBody(): Bytes {
  const g = op.get;
  const s = op.set;
  const N = { m: 15, ox: 16, oy: 17, b: 18, src: 19, dst: 20, kh: 21, rowLen: 22, c4: 23, rowBytes: 24, t: 25 } as const;
  const inc = (l: number): Bytes => [...g(l), ...op.i32(1), ...op.add, ...s(l)];
  return [
    ...g(P.inC), ...op.i32(2), ...op.shl, ...s(N.c4),
    ...g(P.fw), ...g(N.c4), ...op.mul, ...s(N.rowLen),
    ...g(P.inW), ...g(N.c4), ...op.mul, ...s(N.rowBytes),
    // ox = m0 % outW, t = m0 / outW, oy = t % outH, b = t / outH; then counted up pixel by pixel
    ...g(P.m0), ...g(P.outW), ...op.remU, ...s(N.ox),
    ...g(P.m0), ...g(P.outW), ...op.divU, ...s(N.t),
    ...g(N.t), ...g(P.outH), ...op.remU, ...s(N.oy),
    ...g(N.t), ...g(P.outH), ...op.divU, ...s(N.b),
    ...g(P.cols), ...s(N.dst),
    ...g(P.m0), ...s(N.m),
    ...op.loopWhile([...g(N.m), ...g(P.mEnd), ...op.geU],
      // src = x + ((b·inH + oy·sh)·inW + ox·sw)·c4
      g(P.dx), g(N.b), g(P.inH), op.mul, g(N.oy), g(P.sh), op.mul, op.add, g(P.inW), op.mul, g(N.ox), g(P.sw), op.mul, op.add, g(N.c4), op.mul, op.add, s(N.src),
      op.i32(0), s(N.kh),
      op.loopWhile([...g(N.kh), ...g(P.fh), ...op.geS],
        // the tap row in 16-byte copies (t = bytes copied)
        op.i32(0), s(N.t),
        op.loopWhile([...g(N.t), ...g(N.rowLen), ...op.geS], g(N.dst), g(N.t), op.add, g(N.src), g(N.t), op.add, v128Load(), v128Store(), g(N.t), op.i32(16), op.add, s(N.t)),
        g(N.src), g(N.rowBytes), op.add, s(N.src),
        g(N.dst), g(N.rowLen), op.add, s(N.dst),
        inc(N.kh),
      ),
      inc(N.ox),
      g(N.ox), g(P.outW), op.geS,
      op.when(op.i32(0), s(N.ox), inc(N.oy), g(N.oy), g(P.outH), op.geS, op.when(op.i32(0), s(N.oy), inc(N.b))),
      inc(N.m),
    ),
  ];
}

// maxPool2x2's parameters (i32): byte offsets of x and y, then batch, inH, inW, c, outH, outW.
/**
 * MaxPool with 2×2 windows at stride 2 without padding, four channels at a
 * time: each window's first largest value by the same compares as
 * maxPoolGrad2x2 (−∞ where it holds only NaN or −∞), so the gradient goes
 * where the value came from.
 */
function maxPool2x2Body(): Bytes {
  const g = op.get;
  const s = op.set;
  const M = { x: 0, y: 1, batch: 2, inH: 3, inW: 4, c: 5, outH: 6, outW: 7 } as const;
  const R = { b: 8, oy: 9, ox: 10, ch: 11, c4: 12, row: 13, p0: 14, yp: 15 } as const;
  const V = { best: 16, v: 17 } as const;
  const pixel = (k: number): Bytes => [...g(R.p0), ...(k & 1 ? [...g(R.c4), ...op.add] : []), ...(k & 2 ? [...g(R.row), ...op.add] : []), ...g(R.ch), ...op.add];
  // best = v where v > best (a NaN never is)
  const compare = (k: number): Bytes => [...g(M.x), ...pixel(k), ...op.add, ...v128Load(), ...s(V.v), ...g(V.v), ...g(V.best), ...g(V.v), ...g(V.best), ...simd.f32x4Gt(), ...simd.bitselect(), ...s(V.best)];
  return [
    ...g(M.c), ...op.i32(2), ...op.shl, ...s(R.c4),
    ...g(M.inW), ...g(R.c4), ...op.mul, ...s(R.row),
    ...g(M.y), ...s(R.yp),
    ...op.i32(0), ...s(R.b),
    ...op.loopWhile([...g(R.b), ...g(M.batch), ...op.geS],
      op.i32(0), s(R.oy),
      op.loopWhile([...g(R.oy), ...g(M.outH), ...op.geS],
        op.i32(0), s(R.ox),
        op.loopWhile([...g(R.ox), ...g(M.outW), ...op.geS],
          g(R.b), g(M.inH), op.mul, g(R.oy), op.i32(1), op.shl, op.add, g(M.inW), op.mul, g(R.ox), op.i32(1), op.shl, op.add, g(R.c4), op.mul, s(R.p0),
          op.i32(0), s(R.ch),
          op.loopWhile([...g(R.ch), ...g(R.c4), ...op.geS],
            simd.const([...MINUS_INF, ...MINUS_INF, ...MINUS_INF, ...MINUS_INF]), s(V.best),
            compare(0), compare(1), compare(2), compare(3),
            g(R.yp), g(R.ch), op.add, g(V.best), v128Store(),
            g(R.ch), op.i32(16), op.add, s(R.ch),
          ),
          g(R.yp), g(R.c4), op.add, s(R.yp),
          g(R.ox), op.i32(1), op.add, s(R.ox),
        ),
        g(R.oy), op.i32(1), op.add, s(R.oy),
      ),
      g(R.b), op.i32(1), op.add, s(R.b),
    ),
  ];
}

// sumRows's parameters (i32): byte offsets of x [rows, cols] and out [cols], rows, cols, and the
// floats from one row to the next (0: cols), so that a run of columns of a wider x can be summed.
/**
 * out[c] = Σ_r x[r][c], each column's values added in row order: 16 columns
 * (a cache line) at a time in four registers while the rows go by, then 4,
 * then 1. As a product with a row of ones (sum.ts before) the single-row
 * product walked x once per 8 columns; this walks it once.
 */
function sumRowsBody(): Bytes {
  const g = op.get;
  const s = op.set;
  const A = { x: 0, out: 1, rows: 2, cols: 3, stride: 4 } as const;
  const R = { c0: 5, c4: 6, r: 7, p: 8, rowBytes: 9 } as const;
  const V = [10, 11, 12, 13];
  const F = 14;
  const zero = simd.const(new Array<number>(16).fill(0));
  // a block of `width` floats (16, 4 or 1) from column byte c0 while c0 + width·4 ≤ c4
  const block = (width: 16 | 4 | 1): Bytes => {
    const vectors = width === 16 ? 4 : 1;
    const init = width === 1 ? [...op.f32Const0, ...s(F)] : V.slice(0, vectors).flatMap((v) => [...zero, ...s(v)]);
    const add = width === 1
      ? [...g(F), ...g(R.p), ...op.f32Load(), ...op.f32Add, ...s(F)]
      : V.slice(0, vectors).flatMap((v, i) => [...g(v), ...g(R.p), ...v128Load(16 * i), ...f32x4Add(), ...s(v)]);
    const store = width === 1
      ? [...g(A.out), ...g(R.c0), ...op.add, ...g(F), ...op.f32Store()]
      : V.slice(0, vectors).flatMap((v, i) => [...g(A.out), ...g(R.c0), ...op.add, ...g(v), ...v128Store(16 * i)]);
    return op.loopWhile([...g(R.c0), ...op.i32(width * 4), ...op.add, ...g(R.c4), ...op.gtS],
      init,
      g(A.x), g(R.c0), op.add, s(R.p),
      op.i32(0), s(R.r),
      op.loopWhile([...g(R.r), ...g(A.rows), ...op.geS], add, g(R.p), g(R.rowBytes), op.add, s(R.p), g(R.r), op.i32(1), op.add, s(R.r)),
      store,
      g(R.c0), op.i32(width * 4), op.add, s(R.c0),
    );
  };
  return [
    ...g(A.cols), ...op.i32(2), ...op.shl, ...s(R.c4),
    ...g(A.stride), ...op.i32(2), ...op.shl, ...g(R.c4), ...g(A.stride), ...op.select, ...s(R.rowBytes),
    ...op.i32(0), ...s(R.c0),
    ...block(16), ...block(4), ...block(1),
  ];
}

// addInto's parameters (i32): byte offsets of dst and src, and the count of floats.
function addIntoBody(): Bytes {
  const g = op.get;
  const s = op.set;
  const [dst, src, n, i, end] = [0, 1, 2, 3, 4];
  return [
    ...g(n), ...op.i32(2), ...op.shl, ...s(end),
    ...op.i32(0), ...s(i),
    ...op.loopWhile([...g(i), ...op.i32(16), ...op.add, ...g(end), ...op.gtS],
      g(dst), g(i), op.add, g(dst), g(i), op.add, v128Load(), g(src), g(i), op.add, v128Load(), f32x4Add(), v128Store(),
      g(i), op.i32(16), op.add, s(i),
    ),
    ...op.loopWhile([...g(i), ...g(end), ...op.geS],
      g(dst), g(i), op.add, g(dst), g(i), op.add, op.f32Load(), g(src), g(i), op.add, op.f32Load(), op.f32Add, op.f32Store(),
      g(i), op.i32(4), op.add, s(i),
    ),
  ];
}

/** An f32 as the four bytes of a v128.const lane (little-endian). */
const f32Lane = (v: number): number[] => Array.from(new Uint8Array(Float32Array.of(v).buffer));
export const splat4 = (v: number): Bytes => simd.const([0, 1, 2, 3].flatMap(() => f32Lane(v)));

/** The least exponent softmaxRows takes (x − max below it counts as this): e^−86 ≈ 4.5·10⁻³⁸, a normal float. */
export const SOFTMAX_LEAST_EXPONENT = -86;

/**
 * The series for e^r on |r| ≤ ln2/2 after its constant 1: r, r², … r⁵'s
 * coefficients, fitted here for the least largest relative error (Lawson's
 * reweighted least squares on Chebyshev points, rounded to float32):
 * 9.5·10⁻⁸ before rounding in evaluation.
 */
const EXP_SERIES = [0.9999997019767761, 0.4999915063381195, 0.1666763573884964, 0.04189793020486832, 0.008290314115583897];
/** 1.5·2²³: a float this large has no fraction bits, so adding it rounds to an integer held in the low mantissa bits. */
const ROUNDING_BIAS = 12582912;

/** The constants exp4 reads, in the order of the v128 locals that hold them (expConstants sets them once, before the loops). */
export const EXP_CONSTANTS = [SOFTMAX_LEAST_EXPONENT, Math.LOG2E, ROUNDING_BIAS, 0.693145751953125, 1.428606765330187e-6, ...[...EXP_SERIES].reverse(), 1];

/** Sets the v128 locals from `first` on to EXP_CONSTANTS, each in all four lanes (a v128.const in a loop is rebuilt at every turn). */
export function expConstants(first: number): Bytes {
  return EXP_CONSTANTS.flatMap((c, k) => [...splat4(c), ...op.set(first + k)]);
}

/**
 * e^v for the four lanes of a v128 local v ≤ 0 (clamped from below at
 * SOFTMAX_LEAST_EXPONENT), left on the stack: t = v·log₂e + 1.5·2²³ holds
 * n = round(v·log₂e) in its low bits; r = v − n·ln2 in two parts (Cody and
 * Waite: r to within float rounding); e^r by EXP_SERIES (Horner); times 2ⁿ
 * by adding t's bits shifted up 23 (n in the exponent field). Plain multiplies
 * and adds, no fused ones, so every machine gets the same bits. `t` and `r`
 * are v128 scratch locals; the constants are in the v128 locals from `k`
 * (expConstants).
 */
export function exp4(v: number, t: number, r: number, k: number): Bytes {
  const g = op.get;
  const [mul, add, sub, max] = [simd.f32x4(0xe6), simd.f32x4(0xe4), simd.f32x4(0xe5), simd.f32x4(0xeb)];
  const shl = simd.f32x4(0xab); // i32x4.shl
  const addInt = simd.f32x4(0xae); // i32x4.add
  const [least, log2e, bias, ln2hi, ln2lo] = [k, k + 1, k + 2, k + 3, k + 4];
  const series = EXP_SERIES.map((_, i) => k + 5 + i); // c5 … c1
  const one = k + 5 + EXP_SERIES.length;
  return [
    ...g(v), ...g(least), ...max, ...op.set(v),
    ...g(v), ...g(log2e), ...mul, ...g(bias), ...add, ...op.set(t),
    // n as a float: t − bias; r = v − n·ln2_hi − n·ln2_lo (ln2_hi has 8 zero low bits: n·ln2_hi is exact)
    ...g(t), ...g(bias), ...sub, ...op.set(r),
    ...g(v), ...g(r), ...g(ln2hi), ...mul, ...sub, ...g(r), ...g(ln2lo), ...mul, ...sub, ...op.set(r),
    // Horner: ((((c5·r + c4)·r + c3)·r + c2)·r + c1)·r + 1
    ...g(series[0]),
    ...series.slice(1).flatMap((c) => [...g(r), ...mul, ...g(c), ...add]),
    ...g(r), ...mul, ...g(one), ...add,
    // · 2ⁿ: t's bits << 23 is n << 23 (the bias's bits shift out)
    ...g(t), ...op.i32(23), ...shl, ...addInt,
  ];
}

// softmaxRows' parameters (i32): byte offsets of x and out, the count of rows, and cols (a multiple of 8).
// Each row: its largest value m, e^(x − m) into out, their sum s (four lanes, then lane 0 + 1 + 2 + 3), out × (1 / s).
function softmaxRowsBody(): Bytes {
  const g = op.get;
  const s = op.set;
  const [x, out, rows, cols, r, at, j, rowBytes, m4, acc, v, n, rr, k] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13];
  const [v2, n2, rr2] = [k + EXP_CONSTANTS.length, k + EXP_CONSTANTS.length + 1, k + EXP_CONSTANTS.length + 2];
  const [add, sub, max, mul] = [simd.f32x4(0xe4), simd.f32x4(0xe5), simd.f32x4(0xeb), simd.f32x4(0xe6)];
  const lane = (k: number) => simd.f32x4ExtractLane(k);
  const splat = simd.f32x4(0x13);
  const below = (i: number, end: number) => [...g(i), ...g(end), ...op.geU];
  return [
    ...expConstants(k),
    ...g(cols), ...op.i32(2), ...op.shl, ...s(rowBytes),
    ...op.i32(0), ...s(r), ...op.i32(0), ...s(at),
    ...op.loopWhile(below(r, rows),
      // m: the row's largest value, lane by lane, then across the lanes
      g(x), g(at), op.add, v128Load(), s(m4), op.i32(16), s(j),
      op.loopWhile(below(j, rowBytes), g(m4), g(x), g(at), op.add, g(j), op.add, v128Load(), max, s(m4), g(j), op.i32(16), op.add, s(j)),
      g(m4), lane(0), g(m4), lane(1), [0x97], g(m4), lane(2), [0x97], g(m4), lane(3), [0x97], splat, s(m4),
      // e^(x − m) into out, summed; eight floats a turn (two independent chains for the core to overlap)
      splat4(0), s(acc), op.i32(0), s(j),
      op.loopWhile(below(j, rowBytes),
        g(x), g(at), op.add, g(j), op.add, v128Load(), g(m4), sub, s(v),
        g(x), g(at), op.add, g(j), op.add, v128Load(16), g(m4), sub, s(v2),
        g(out), g(at), op.add, g(j), op.add, exp4(v, n, rr, k), s(v), g(v), v128Store(),
        g(out), g(at), op.add, g(j), op.add, exp4(v2, n2, rr2, k), s(v2), g(v2), v128Store(16),
        g(acc), g(v), add, g(v2), add, s(acc),
        g(j), op.i32(32), op.add, s(j),
      ),
      // ÷ s as × (1 / s)
      [0x43, 0, 0, 0x80, 0x3f], g(acc), lane(0), g(acc), lane(1), [0x92], g(acc), lane(2), [0x92], g(acc), lane(3), [0x92], [0x95], splat, s(acc),
      op.i32(0), s(j),
      op.loopWhile(below(j, rowBytes),
        g(out), g(at), op.add, g(j), op.add, g(out), g(at), op.add, g(j), op.add, v128Load(), g(acc), mul, v128Store(),
        g(j), op.i32(16), op.add, s(j),
      ),
      g(at), g(rowBytes), op.add, s(at),
      g(r), op.i32(1), op.add, s(r),
    ),
  ];
}

/** The element-wise products of two float32 tensors, by their f32x4 and f32 opcodes (IEEE results: the same whatever the lane). */
export const ELEMENTWISE = { add: [0xe4, 0x92], sub: [0xe5, 0x93], mul: [0xe6, 0x94] } as const;

// An element-wise binary loop's parameters (i32): byte offsets of a, b and out, the count of floats.
function elementwiseBody([vector, scalar]: readonly [number, number]): Bytes {
  const g = op.get;
  const s = op.set;
  const [a, b, out, n, i, end] = [0, 1, 2, 3, 4, 5];
  return [
    ...g(n), ...op.i32(2), ...op.shl, ...s(end),
    ...op.i32(0), ...s(i),
    ...op.loopWhile([...g(i), ...op.i32(16), ...op.add, ...g(end), ...op.gtS],
      g(out), g(i), op.add, g(a), g(i), op.add, v128Load(), g(b), g(i), op.add, v128Load(), simd.f32x4(vector), v128Store(),
      g(i), op.i32(16), op.add, s(i),
    ),
    ...op.loopWhile([...g(i), ...g(end), ...op.geS],
      g(out), g(i), op.add, g(a), g(i), op.add, op.f32Load(), g(b), g(i), op.add, op.f32Load(), [scalar], op.f32Store(),
      g(i), op.i32(4), op.add, s(i),
    ),
  ];
}

// swapAxes' parameters (i32): byte offsets of src and dst, the axes' sizes A, B, C (src [A, B, C, R]
// → dst [A, C, B, R], runs of R floats moved whole), R, and the run of B's indices [b0, b1) to move.
function swapAxesBody(): Bytes {
  const g = op.get;
  const s = op.set;
  const [src, dst, A, B, C, R, b0, b1, a, b, c, rb, crb, bcrb, sp, dp, brb, k] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17];
  return [
    ...g(R), ...op.i32(2), ...op.shl, ...s(rb),
    ...g(C), ...g(rb), ...op.mul, ...s(crb),
    ...g(B), ...g(crb), ...op.mul, ...s(bcrb),
    ...g(B), ...g(rb), ...op.mul, ...s(brb),
    ...op.i32(0), ...s(a),
    ...op.loopWhile([...g(a), ...g(A), ...op.geS],
      g(b0), s(b),
      op.loopWhile([...g(b), ...g(b1), ...op.geS],
        // src[a][b][0] and dst[a][0][b]
        g(src), g(a), g(bcrb), op.mul, op.add, g(b), g(crb), op.mul, op.add, s(sp),
        g(dst), g(a), g(bcrb), op.mul, op.add, g(b), g(rb), op.mul, op.add, s(dp),
        op.i32(0), s(c),
        op.loopWhile([...g(c), ...g(C), ...op.geS],
          // A run of a multiple of 4 floats: 16 bytes at a time; else memory.copy.
          g(R), op.i32(3), op.and, op.eqz,
          [0x04, 0x40,
            ...op.i32(0), ...s(k),
            ...op.loopWhile([...g(k), ...g(rb), ...op.geS], g(dp), g(k), op.add, g(sp), g(k), op.add, v128Load(), v128Store(), g(k), op.i32(16), op.add, s(k)),
            0x05, ...g(dp), ...g(sp), ...g(rb), 0xfc, ...u32(10), 0x00, 0x00, 0x0b],
          g(sp), g(rb), op.add, s(sp),
          g(dp), g(brb), op.add, s(dp),
          g(c), op.i32(1), op.add, s(c),
        ),
        g(b), op.i32(1), op.add, s(b),
      ),
      g(a), op.i32(1), op.add, s(a),
    ),
  ];
}

// relocate's parameters (i32): byte offsets of dst and src, the count of entries, base and outside.
function relocateBody(): Bytes {
  const g = op.get;
  const s = op.set;
  const [dst, src, n, base, outside, i, end, v] = [0, 1, 2, 3, 4, 5, 6, 7];
  return [
    ...g(n), ...op.i32(2), ...op.shl, ...s(end),
    ...op.i32(0), ...s(i),
    ...op.loopWhile([...g(i), ...g(end), ...op.geS],
      g(src), g(i), op.add, op.i32Load(), s(v),
      // dst[i] = v < 0 ? outside : base + v
      g(dst), g(i), op.add, g(outside), g(base), g(v), op.add, g(v), op.i32(0), op.ltS, op.select, op.i32Store(),
      g(i), op.i32(4), op.add, s(i),
    ),
  ];
}

// reluGrad's parameters (i32): byte offsets of dy, y and out, and the count of floats.
function reluGradBody(): Bytes {
  const g = op.get;
  const s = op.set;
  const [dy, y, out, n, i, end] = [0, 1, 2, 3, 4, 5];
  const zero = simd.const(new Array<number>(16).fill(0));
  return [
    ...g(n), ...op.i32(2), ...op.shl, ...s(end),
    ...op.i32(0), ...s(i),
    // out = dy where y > 0, else 0: dy AND (y > 0), four at a time
    ...op.loopWhile([...g(i), ...op.i32(16), ...op.add, ...g(end), ...op.gtS],
      g(out), g(i), op.add,
      g(dy), g(i), op.add, v128Load(), g(y), g(i), op.add, v128Load(), zero, simd.f32x4Gt(), simd.and(),
      v128Store(),
      g(i), op.i32(16), op.add, s(i),
    ),
    ...op.loopWhile([...g(i), ...g(end), ...op.geS],
      g(out), g(i), op.add,
      g(dy), g(i), op.add, op.f32Load(), op.f32Const0, g(y), g(i), op.add, op.f32Load(), op.f32Const0, op.f32Gt, op.select,
      op.f32Store(),
      g(i), op.i32(4), op.add, s(i),
    ),
  ];
}

// adam's parameters: byte offsets of w, m, v, g, wOut, mOut, vOut and the count of floats (i32),
// then lr, β1, β2, ε, 1 − β1^t, 1 − β2^t (f32).
function adamBody(): Bytes {
  const g = op.get;
  const s = op.set;
  const A = { w: 0, m: 1, v: 2, g: 3, wOut: 4, mOut: 5, vOut: 6, n: 7, lr: 8, b1: 9, b2: 10, eps: 11, c1: 12, c2: 13 } as const;
  const [i, end] = [14, 15];
  const V = { b1: 16, a1: 17, b2: 18, a2: 19, lr: 20, eps: 21, c1: 22, c2: 23, g: 24, m: 25, v: 26 } as const;
  const F = { a1: 27, a2: 28, g: 29, m: 30, v: 31 } as const;
  const f4 = { add: simd.f32x4(0xe4), sub: simd.f32x4(0xe5), mul: simd.f32x4(0xe6), div: simd.f32x4(0xe7), sqrt: simd.f32x4(0xe3), splat: simd.f32x4(0x13) };
  const f1 = { add: [0x92], sub: [0x93], mul: [0x94], div: [0x95], sqrt: [0x91], one: [0x43, 0, 0, 0x80, 0x3f] };
  const at = (base: number): Bytes => [...g(base), ...g(i), ...op.add];
  return [
    ...f1.one, ...g(A.b1), ...f1.sub, ...s(F.a1),
    ...f1.one, ...g(A.b2), ...f1.sub, ...s(F.a2),
    ...([[A.b1, V.b1], [F.a1, V.a1], [A.b2, V.b2], [F.a2, V.a2], [A.lr, V.lr], [A.eps, V.eps], [A.c1, V.c1], [A.c2, V.c2]] as const).flatMap(([from, to]) => [...g(from), ...f4.splat, ...s(to)]),
    ...g(A.n), ...op.i32(2), ...op.shl, ...s(end),
    ...op.i32(0), ...s(i),
    // m' = β1·m + (1−β1)·g; v' = β2·v + ((1−β2)·g)·g; w' = w − (lr·(m'/c1)) / (√(v'/c2) + ε)
    ...op.loopWhile([...g(i), ...op.i32(16), ...op.add, ...g(end), ...op.gtS],
      at(A.g), v128Load(), s(V.g),
      g(V.b1), at(A.m), v128Load(), f4.mul, g(V.a1), g(V.g), f4.mul, f4.add, s(V.m),
      g(V.b2), at(A.v), v128Load(), f4.mul, g(V.a2), g(V.g), f4.mul, g(V.g), f4.mul, f4.add, s(V.v),
      at(A.mOut), g(V.m), v128Store(),
      at(A.vOut), g(V.v), v128Store(),
      at(A.wOut), at(A.w), v128Load(), g(V.lr), g(V.m), g(V.c1), f4.div, f4.mul, g(V.v), g(V.c2), f4.div, f4.sqrt, g(V.eps), f4.add, f4.div, f4.sub, v128Store(),
      g(i), op.i32(16), op.add, s(i),
    ),
    ...op.loopWhile([...g(i), ...g(end), ...op.geS],
      at(A.g), op.f32Load(), s(F.g),
      g(A.b1), at(A.m), op.f32Load(), f1.mul, g(F.a1), g(F.g), f1.mul, f1.add, s(F.m),
      g(A.b2), at(A.v), op.f32Load(), f1.mul, g(F.a2), g(F.g), f1.mul, g(F.g), f1.mul, f1.add, s(F.v),
      at(A.mOut), g(F.m), op.f32Store(),
      at(A.vOut), g(F.v), op.f32Store(),
      at(A.wOut), at(A.w), op.f32Load(), g(A.lr), g(F.m), g(A.c1), f1.div, f1.mul, g(F.v), g(A.c2), f1.div, f1.sqrt, g(A.eps), f1.add, f1.div, f1.sub, op.f32Store(),
      g(i), op.i32(4), op.add, s(i),
    ),
  ];
}

/** The module's bytes: the functions of WasmLoops, exported by their names, memory imported as env.memory. */
export function loopsModuleBytes(shared = false): Uint8Array<ArrayBuffer> {
  const col2imType = [0x60, ...vec(new Array(PARAMS).fill([I32])), ...vec([])];
  const poolType = [0x60, ...vec(new Array(Q_PARAMS).fill([I32])), ...vec([])];
  const col2im = [...vec([[...u32(LOCALS), I32]]), ...convRowsBody(false), 0x0b];
  const im2col = [...vec([[...u32(LOCALS), I32]]), ...convRowsBody(true), 0x0b];
  const im2colNarrow = [...vec([[...u32(11), I32]]), ...im2colNarrowBody(), 0x0b];
  const sumRowsType = [0x60, ...vec(new Array(5).fill([I32])), ...vec([])];
  const sumRows = [...vec([[...u32(5), I32], [...u32(4), V128], [...u32(1), F32]]), ...sumRowsBody(), 0x0b];
  const pool = [...vec([[...u32(Q_I32_LOCALS), I32], [...u32(Q_V128_LOCALS), V128]]), ...maxPoolGradBody(), 0x0b];
  const pool2x2 = [...vec([[...u32(8), I32], [...u32(5), V128]]), ...maxPoolGrad2x2Body(), 0x0b];
  const maxPoolType = [0x60, ...vec(new Array(8).fill([I32])), ...vec([])];
  const maxPool = [...vec([[...u32(8), I32], [...u32(2), V128]]), ...maxPool2x2Body(), 0x0b];
  const addType = [0x60, ...vec([[I32], [I32], [I32]]), ...vec([])];
  const add = [...vec([[...u32(2), I32]]), ...addIntoBody(), 0x0b];
  const reluType = [0x60, ...vec([[I32], [I32], [I32], [I32]]), ...vec([])];
  const relu = [...vec([[...u32(2), I32]]), ...reluGradBody(), 0x0b];
  const adamType = [0x60, ...vec([...new Array(8).fill([I32]), ...new Array(6).fill([F32])]), ...vec([])];
  const adam = [...vec([[...u32(2), I32], [...u32(11), V128], [...u32(5), F32]]), ...adamBody(), 0x0b];
  const zeroType = [0x60, ...vec([[I32], [I32]]), ...vec([])];
  // memory.fill(dst, 0, 4·n)
  const zero = [...vec([]), ...op.get(0), ...op.i32(0), ...op.get(1), ...op.i32(2), ...op.shl, 0xfc, ...u32(11), 0x00, 0x0b];
  const relocate = [...vec([[...u32(3), I32]]), ...relocateBody(), 0x0b];
  const swapType = [0x60, ...vec(new Array(8).fill([I32])), ...vec([])];
  const swap = [...vec([[...u32(10), I32]]), ...swapAxesBody(), 0x0b];
  const elementwise = Object.values(ELEMENTWISE).map((codes) => [...vec([[...u32(2), I32]]), ...elementwiseBody(codes), 0x0b]);
  const elementwiseNames = Object.keys(ELEMENTWISE);
  const softmax = [...vec([[...u32(4), I32], [...u32(8 + EXP_CONSTANTS.length), V128]]), ...softmaxRowsBody(), 0x0b];
  return Uint8Array.from([
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
    ...section(1, vec([col2imType, poolType, addType, reluType, adamType, maxPoolType, sumRowsType, zeroType, swapType])),
    ...section(2, vec([memoryImport(shared)])),
    ...section(3, vec([u32(0), u32(1), u32(2), u32(3), u32(0), u32(4), u32(1), u32(5), u32(0), u32(6), u32(7), u32(6), u32(8), ...elementwise.map(() => u32(3)), u32(3)])),
    ...section(7, vec([[...str('col2im'), 0x00, ...u32(0)], [...str('maxPoolGrad'), 0x00, ...u32(1)], [...str('addInto'), 0x00, ...u32(2)], [...str('reluGrad'), 0x00, ...u32(3)], [...str('im2col'), 0x00, ...u32(4)], [...str('adam'), 0x00, ...u32(5)], [...str('maxPoolGrad2x2'), 0x00, ...u32(6)], [...str('maxPool2x2'), 0x00, ...u32(7)], [...str('im2colNarrow'), 0x00, ...u32(8)], [...str('sumRows'), 0x00, ...u32(9)], [...str('zeroFloats'), 0x00, ...u32(10)], [...str('relocate'), 0x00, ...u32(11)], [...str('swapAxes'), 0x00, ...u32(12)], ...elementwiseNames.map((name, k) => [...str(name), 0x00, ...u32(13 + k)]), [...str('softmaxRows'), 0x00, ...u32(13 + elementwiseNames.length)]])),
    ...section(10, vec([[...u32(col2im.length), ...col2im], [...u32(pool.length), ...pool], [...u32(add.length), ...add], [...u32(relu.length), ...relu], [...u32(im2col.length), ...im2col], [...u32(adam.length), ...adam], [...u32(pool2x2.length), ...pool2x2], [...u32(maxPool.length), ...maxPool], [...u32(im2colNarrow.length), ...im2colNarrow], [...u32(sumRows.length), ...sumRows], [...u32(zero.length), ...zero], [...u32(relocate.length), ...relocate], [...u32(swap.length), ...swap], ...elementwise.map((body) => [...u32(body.length), ...body]), [...u32(softmax.length), ...softmax]])),
  ]);
}

/**
 * dx += col2im of the columns of output pixels [m0, mEnd) (byte offsets dx
 * and cols; the columns' rows start at cols), NHWC, dilation 1.
 */
export type Col2imFn = (dx: number, cols: number, m0: number, mEnd: number, inH: number, inW: number, inC: number, outH: number, outW: number, fh: number, fw: number, sh: number, sw: number, padTop: number, padLeft: number) => void;

/**
 * dx += dy at each window's first largest x (rows, then columns; none where
 * the window holds only NaN or −∞), NHWC, channels a multiple of 4; byte
 * offsets, dx zeroed by the caller.
 */
export type MaxPoolGradFn = (x: number, dy: number, dx: number, batch: number, inH: number, inW: number, c: number, outH: number, outW: number, fh: number, fw: number, sh: number, sw: number, padTop: number, padLeft: number) => void;

export interface WasmLoops {
  col2im: Col2imFn;
  /** The columns of output pixels [m0, mEnd) from x (the first argument, a byte offset), zeros where the filter overhangs the image. */
  im2col: Col2imFn;
  /** im2col for tap rows of at most 16 floats and no padding, copied 16 bytes at a time: 16 bytes of room needed after the columns and after x. */
  im2colNarrow: Col2imFn;
  maxPoolGrad: MaxPoolGradFn;
  /** maxPoolGrad for 2×2 windows at stride 2 without padding: dx written, not added to (zeroed by the caller only where the windows do not cover it). */
  maxPoolGrad2x2: MaxPoolGradFn;
  /** MaxPool with 2×2 windows at stride 2 without padding, channels a multiple of 4 (byte offsets of x and y). */
  maxPool2x2: (x: number, y: number, batch: number, inH: number, inW: number, c: number, outH: number, outW: number) => void;
  /** out[c] = Σ_r x[r][c] for x [rows, cols] (byte offsets; rows `stride` floats apart, cols when 0 or left out), each column added in row order. */
  sumRows: (x: number, out: number, rows: number, cols: number, stride?: number) => void;
  /** dst[0 … n) = 0 (a byte offset and a count of floats). */
  zeroFloats: (dst: number, n: number) => void;
  /** dst[i] = src[i] < 0 ? outside : base + src[i] for n int32s (byte offsets): a table of relative addresses made absolute. */
  relocate: (dst: number, src: number, n: number, base: number, outside: number) => void;
  /**
   * src [A, B, C, R] → dst [A, C, B, R] (byte offsets; R floats or int32s a run, each moved whole,
   * 16 bytes at a time where R is a multiple of 4), for B's indices [b0, b1) only: two neighbouring axes swapped.
   */
  swapAxes: (src: number, dst: number, A: number, B: number, C: number, R: number, b0: number, b1: number) => void;
  /** out[i] = a[i] op b[i] for n floats (byte offsets a, b, out), op each of ELEMENTWISE. */
  elementwise: Record<keyof typeof ELEMENTWISE, (a: number, b: number, out: number, n: number) => void>;
  /** Softmax of each of `rows` rows of `cols` floats (a multiple of 8; byte offsets x and out): see softmaxRowsBody. */
  softmaxRows: (x: number, out: number, rows: number, cols: number) => void;
  /** dst[0 … n) += src[0 … n), byte offsets. */
  addInto: (dst: number, src: number, n: number) => void;
  /** out[i] = y[i] > 0 ? dy[i] : 0 for n floats, byte offsets: ReLU's gradient from its output. */
  reluGrad: (dy: number, y: number, out: number, n: number) => void;
  /** One variable's Adam step over n floats (byte offsets; outputs apart from inputs). */
  adam: (w: number, m: number, v: number, g: number, wOut: number, mOut: number, vOut: number, n: number, lr: number, beta1: number, beta2: number, epsilon: number, biasCorrection1: number, biasCorrection2: number) => void;
}

/** The loops over a wasm backend's memory, made once per backend; undefined where wasm SIMD or the memory is missing. */
export const wasmLoopsFor = modulePerBackend(
  loopsModuleBytes,
  (e): WasmLoops => ({
    col2im: e.col2im as unknown as Col2imFn,
    im2col: e.im2col as unknown as Col2imFn,
    im2colNarrow: e.im2colNarrow as unknown as Col2imFn,
    maxPoolGrad: e.maxPoolGrad as unknown as MaxPoolGradFn,
    maxPoolGrad2x2: e.maxPoolGrad2x2 as unknown as MaxPoolGradFn,
    maxPool2x2: e.maxPool2x2 as unknown as WasmLoops['maxPool2x2'],
    addInto: e.addInto as unknown as WasmLoops['addInto'],
    sumRows: e.sumRows as unknown as WasmLoops['sumRows'],
    reluGrad: e.reluGrad as unknown as WasmLoops['reluGrad'],
    adam: e.adam as unknown as WasmLoops['adam'],
    zeroFloats: e.zeroFloats as unknown as WasmLoops['zeroFloats'],
    relocate: e.relocate as unknown as WasmLoops['relocate'],
    swapAxes: e.swapAxes as unknown as WasmLoops['swapAxes'],
    softmaxRows: e.softmaxRows as unknown as WasmLoops['softmaxRows'],
    elementwise: Object.fromEntries(Object.keys(ELEMENTWISE).map((name) => [name, e[name]])) as unknown as WasmLoops['elementwise'],
  }),
);
