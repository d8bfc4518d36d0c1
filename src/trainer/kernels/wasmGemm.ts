// A matrix-multiply kernel of our own for the wasm backend: C = A·B (+ bias,
// then ReLU), row-major float32, for a batch of pairs, reading and writing the
// backend's tensors in place. tfjs-backend-wasm hands products to XNNPACK,
// which reaches 9–13 GFLOP/s on the model shapes here ([2048, 64] × [64, 64]
// and the like) on one core; a plain register-blocked SIMD loop — 4 rows × 8
// columns of C held in eight 128-bit registers while k runs — reaches about
// twice that, and with fused multiply-add (relaxed SIMD, where the engine has
// it) about two and a half times (measured on this project's 2-core test machine).
//
// The module is assembled here, in memory, from a few dozen instructions (no
// compiler, no binary in the repository) and imports the backend's own
// WebAssembly.Memory, so there is no copying in or out.

import * as v8 from 'node:v8';
import { backendMemory, heapFloats, heapOffset } from './wasmInternals';
import { kernelPool, MAX_UNITS, share } from './workerPool';
import type { Call, KernelPool } from './workerPool';
import type { BackendWasm } from './wasmInternals';

// ── a minimal WebAssembly binary writer: only what the kernels use (this one and wasmLoops.ts) ──

export type Bytes = number[];

export function u32(n: number): Bytes {
  const out: Bytes = [];
  do {
    let b = n & 0x7f;
    n >>>= 7;
    if (n !== 0) b |= 0x80;
    out.push(b);
  } while (n !== 0);
  return out;
}

function s32(n: number): Bytes {
  const out: Bytes = [];
  for (;;) {
    const b = n & 0x7f;
    n >>= 7;
    if ((n === 0 && (b & 0x40) === 0) || (n === -1 && (b & 0x40) !== 0)) {
      out.push(b);
      return out;
    }
    out.push(b | 0x80);
  }
}

export const vec = (items: Bytes[]): Bytes => [...u32(items.length), ...items.flat()];
export const str = (s: string): Bytes => vec([...Buffer.from(s, 'utf8')].map((b) => [b]));
export const section = (id: number, body: Bytes): Bytes => [id, ...u32(body.length), ...body];

/**
 * The import of the backend's memory as env.memory: at least one page; shared
 * (limits flag 3, with the threaded build's maximum of 65536 pages, 4 GiB) to
 * import the threaded build's memory, which worker threads share.
 */
export const memoryImport = (shared: boolean): Bytes => [...str('env'), ...str('memory'), 0x02, ...(shared ? [0x03, ...u32(1), ...u32(65536)] : [0x00, ...u32(1)])];

/** Whether `memory` is shared (the threaded build's), so our modules must import it as such. */
export const isShared = (memory: WebAssembly.Memory): boolean => typeof SharedArrayBuffer !== 'undefined' && memory.buffer instanceof SharedArrayBuffer;

/** A function of a module: its exported name, parameter types, locals (as vec entries: count and type) and body. */
export interface ModuleFunction {
  name: string;
  params: number[];
  locals: Bytes[];
  body: Bytes;
}

/** A module's bytes: each function with a type of its own, exported by name; memory imported as env.memory (shared or not). */
export function functionsModuleBytes(shared: boolean, functions: readonly ModuleFunction[]): Uint8Array<ArrayBuffer> {
  const types = functions.map((f) => [0x60, ...vec(f.params.map((t) => [t])), ...vec([])]);
  const bodies = functions.map((f) => {
    const code = [...vec(f.locals), ...f.body, 0x0b];
    return [...u32(code.length), ...code];
  });
  return Uint8Array.from([
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
    ...section(1, vec(types)),
    ...section(2, vec([memoryImport(shared)])),
    ...section(3, vec(functions.map((_, i) => u32(i)))),
    ...section(7, vec(functions.map((f, i) => [...str(f.name), 0x00, ...u32(i)]))),
    ...section(10, vec(bodies)),
  ]);
}

/**
 * A module of ours over a wasm backend's memory, made once per backend: `bytes`
 * assembles it (for shared memory or not), `pick` names what callers use of its
 * exports. The getter gives undefined where the backend exposes no memory or the
 * engine rejects the module (no wasm SIMD).
 */
export function modulePerBackend<T>(bytes: (shared: boolean) => Uint8Array<ArrayBuffer>, pick: (exports: WebAssembly.Exports) => T): (backend: BackendWasm) => T | undefined {
  const made = new WeakMap<object, T | null>();
  return (backend) => {
    let value = made.get(backend);
    if (value === undefined) {
      const memory = backendMemory(backend);
      const b = bytes(memory !== undefined && isShared(memory));
      value = memory && WebAssembly.validate(b) ? pick(new WebAssembly.Instance(new WebAssembly.Module(b), { env: { memory } }).exports) : null;
      made.set(backend, value);
    }
    return value ?? undefined;
  };
}

export const I32 = 0x7f;
export const V128 = 0x7b;
export const F32 = 0x7d;

/** Instructions, each a function of its immediates returning its bytes. */
export const op = {
  get: (i: number) => [0x20, ...u32(i)],
  set: (i: number) => [0x21, ...u32(i)],
  i32: (n: number) => [0x41, ...s32(n)],
  add: [0x6a],
  sub: [0x6b],
  mul: [0x6c],
  shl: [0x74],
  and: [0x71],
  eqz: [0x45],
  geU: [0x4f],
  block: (...body: Bytes[]) => [0x02, 0x40, ...body.flat(), 0x0b],
  loop: (...body: Bytes[]) => [0x03, 0x40, ...body.flat(), 0x0b],
  when: (...body: Bytes[]) => [0x04, 0x40, ...body.flat(), 0x0b],
  br: (depth: number) => [0x0c, ...u32(depth)],
  brIf: (depth: number) => [0x0d, ...u32(depth)],
  ne: [0x47],
  or: [0x72],
  divU: [0x6e],
  remU: [0x70],
  ltS: [0x48],
  ltU: [0x49],
  gtS: [0x4a],
  geS: [0x4e],
  select: [0x1b],
  /** A loop that leaves when `exitIf` (its first instructions) leaves a nonzero i32, else runs `body` and goes round again. */
  loopWhile: (exitIf: Bytes, ...body: Bytes[]): Bytes => op.block(op.loop(exitIf, op.brIf(1), ...body, op.br(0))),
  i32Load: (offset = 0) => [0x28, 2, ...u32(offset)],
  i32Store: (offset = 0) => [0x36, 2, ...u32(offset)],
  f32Load: (offset = 0) => [0x2a, 2, ...u32(offset)],
  f32Store: (offset = 0) => [0x38, 2, ...u32(offset)],
  f32Gt: [0x5e],
  f32Const0: [0x43, 0, 0, 0, 0],
  f32Add: [0x92],
  f32Mul: [0x94],
  f32Max: [0x97],
  simd: (code: number, ...imm: Bytes) => [0xfd, ...u32(code), ...imm],
};
export const v128Load = (offset = 0) => op.simd(0x00, 4, ...u32(offset));
export const v128Store = (offset = 0) => op.simd(0x0b, 4, ...u32(offset));
const v128Splat32 = () => op.simd(0x09, 2, 0);
const v128Zero = () => op.simd(0x0c, ...new Array<number>(16).fill(0));
export const f32x4Add = () => op.simd(0xe4);
const f32x4Mul = () => op.simd(0xe6);
const f32x4Max = () => op.simd(0xe9);
const f32x4RelaxedMadd = () => op.simd(0x105);

// ── the kernel ──

// Parameters (all i32): byte offsets into the backend's memory, sizes, per-pair strides in bytes.
// aRow, aK: bytes from one row of A to the next and from one k to the next (K·4 and 4 for A
// as stored; 4 and M·4 for a transposed A, which is then read in place). accumulate: not 0 for
// C += A·B (each value of C then starts the sum over k from what C held, before bias and ReLU).
// bRow: bytes from one row of B to the next (0: N·4, B as stored; more for a copy of B with
// padded rows, gemmFor, or for a run of B's columns, gemmPlans). cRow: the same for C (0: N·4).
const P = { A: 0, B: 1, C: 2, M: 3, K: 4, N: 5, batch: 6, strideA: 7, strideB: 8, strideC: 9, bias: 10, relu: 11, aRow: 12, aK: 13, accumulate: 14, bRow: 15, cRow: 16 } as const;
const PARAMS = 17;
// i32 locals after the parameters (lda is the row step of A: aRow; ldb that of B: bRow; ldc
// that of C: cRow). lda2, lda3: 2 and 3 rows of A, so the inner loop adds instead of multiplying.
const L = { i: 17, j: 18, k: 19, ap: 20, bp: 21, cp: 22, lda: 23, ldb: 24, n8: 25, m4: 26, bt: 27, r: 28, lda2: 29, lda3: 30, ldc: 31 } as const;
const I32_LOCALS = 15;
// f32 local.
const S = PARAMS + I32_LOCALS;
// v128 locals: a, b0, b1, zero, then accumulators c[row][half].
const V = { a: S + 1, b0: S + 2, b1: S + 3, zero: S + 4 } as const;
const acc = (row: number, half: number) => S + 5 + row * 2 + half;
const ROWS = 4;

/**
 * A block of `rows` rows of C (starting at row L.i): every 8-column strip with
 * SIMD accumulators, then the last N % 8 columns one value at a time.
 */
function rowBlock(rows: number, fma: boolean): Bytes {
  const madd = (c: number, b: number): Bytes =>
    fma ? [...op.get(V.a), ...op.get(b), ...op.get(c), ...f32x4RelaxedMadd(), ...op.set(c)] : [...op.get(c), ...op.get(V.a), ...op.get(b), ...f32x4Mul(), ...f32x4Add(), ...op.set(c)];
  const rowOffset = (r: number, ld: number): Bytes => (r === 0 ? [] : [...op.i32(r), ...op.get(ld), ...op.mul, ...op.add]);
  // The accumulators start at zero, or at C's values (accumulate).
  const zeroAcc: Bytes = [];
  for (let r = 0; r < rows; r++) for (let h = 0; h < 2; h++) zeroAcc.push(...op.get(V.zero), ...op.set(acc(r, h)));
  const loadAcc: Bytes = [];
  for (let r = 0; r < rows; r++) for (let h = 0; h < 2; h++) loadAcc.push(...op.get(L.cp), ...rowOffset(r, L.ldc), ...op.get(L.j), ...op.i32(2), ...op.shl, ...op.add, ...v128Load(16 * h), ...op.set(acc(r, h)));
  zeroAcc.push(...op.get(P.accumulate), ...op.when(loadAcc));
  const kStep: Bytes = [...op.get(L.bp), ...v128Load(0), ...op.set(V.b0), ...op.get(L.bp), ...v128Load(16), ...op.set(V.b1)];
  const rowOfA = [[], [...op.get(L.lda), ...op.add], [...op.get(L.lda2), ...op.add], [...op.get(L.lda3), ...op.add]];
  for (let r = 0; r < rows; r++) {
    kStep.push(...op.get(L.ap), ...rowOfA[r], ...v128Splat32(), ...op.set(V.a));
    kStep.push(...madd(acc(r, 0), V.b0), ...madd(acc(r, 1), V.b1));
  }
  // Epilogue: + bias[j..j+8], ReLU, store.
  const epilogue: Bytes = [];
  for (let r = 0; r < rows; r++) {
    epilogue.push(
      ...op.get(P.bias),
      ...op.when(
        ...[0, 1].map((h) => [...op.get(acc(r, h)), ...op.get(P.bias), ...op.get(L.j), ...op.i32(2), ...op.shl, ...op.add, ...v128Load(16 * h), ...f32x4Add(), ...op.set(acc(r, h))]),
      ),
      ...op.get(P.relu),
      ...op.when(...[0, 1].map((h) => [...op.get(acc(r, h)), ...op.get(V.zero), ...f32x4Max(), ...op.set(acc(r, h))])),
      ...[0, 1].map((h) => [...op.get(L.cp), ...rowOffset(r, L.ldc), ...op.get(L.j), ...op.i32(2), ...op.shl, ...op.add, ...op.get(acc(r, h)), ...v128Store(16 * h)]).flat(),
    );
  }
  const stripLoop: Bytes = [
    ...op.i32(0), ...op.set(L.j),
    ...op.block(
      op.loop(
        op.get(L.j), op.get(L.n8), op.geU, op.brIf(1),
        zeroAcc,
        op.get(L.r), op.set(L.ap), // L.r holds the address of row i of A
        op.get(P.B), op.get(L.j), op.i32(2), op.shl, op.add, op.set(L.bp),
        op.get(P.K), op.set(L.k),
        op.block(
          op.loop(
            op.get(L.k), op.eqz, op.brIf(1),
            kStep,
            op.get(L.ap), op.get(P.aK), op.add, op.set(L.ap),
            op.get(L.bp), op.get(L.ldb), op.add, op.set(L.bp),
            op.get(L.k), op.i32(1), op.sub, op.set(L.k),
            op.br(0),
          ),
        ),
        epilogue,
        op.get(L.j), op.i32(8), op.add, op.set(L.j),
        op.br(0),
      ),
    ),
  ];
  // The last N % 8 columns: one dot product per value.
  const tail: Bytes = [];
  for (let r = 0; r < rows; r++) {
    tail.push(
      ...op.get(L.n8), ...op.set(L.j),
      ...op.block(
        op.loop(
          op.get(L.j), op.get(P.N), op.geU, op.brIf(1),
          op.f32Const0, op.set(S),
          op.get(P.accumulate), op.when(op.get(L.cp), rowOffset(r, L.ldc), op.get(L.j), op.i32(2), op.shl, op.add, op.f32Load(), op.set(S)),
          op.get(L.r), rowOffset(r, L.lda), op.set(L.ap),
          op.get(P.B), op.get(L.j), op.i32(2), op.shl, op.add, op.set(L.bp),
          op.get(P.K), op.set(L.k),
          op.block(
            op.loop(
              op.get(L.k), op.eqz, op.brIf(1),
              op.get(S), op.get(L.ap), op.f32Load(), op.get(L.bp), op.f32Load(), op.f32Mul, op.f32Add, op.set(S),
              op.get(L.ap), op.get(P.aK), op.add, op.set(L.ap),
              op.get(L.bp), op.get(L.ldb), op.add, op.set(L.bp),
              op.get(L.k), op.i32(1), op.sub, op.set(L.k),
              op.br(0),
            ),
          ),
          op.get(P.bias), op.when(op.get(S), op.get(P.bias), op.get(L.j), op.i32(2), op.shl, op.add, op.f32Load(), op.f32Add, op.set(S)),
          op.get(P.relu), op.when(op.get(S), op.f32Const0, op.f32Max, op.set(S)),
          op.get(L.cp), rowOffset(r, L.ldc), op.get(L.j), op.i32(2), op.shl, op.add, op.get(S), op.f32Store(),
          op.get(L.j), op.i32(1), op.add, op.set(L.j),
          op.br(0),
        ),
      ),
    );
  }
  return [...stripLoop, ...tail];
}

function gemmBody(fma: boolean): Bytes {
  // Rows of ROWS, then the rest one row at a time.
  const rowsLoop = (rows: number, end: number): Bytes =>
    op.block(
      op.loop(
        op.get(L.i), rows === 1 ? op.get(P.M) : op.get(end), op.geU, op.brIf(1),
        // r = A + i·aRow (row i of this pair's A); cp = C + i·ldc.
        op.get(P.A), op.get(L.i), op.get(L.lda), op.mul, op.add, op.set(L.r),
        op.get(P.C), op.get(L.i), op.get(L.ldc), op.mul, op.add, op.set(L.cp),
        rowBlock(rows, fma),
        op.get(L.i), op.i32(rows), op.add, op.set(L.i),
        op.br(0),
      ),
    );
  return [
    ...op.get(P.aRow), ...op.set(L.lda),
    ...op.get(L.lda), ...op.i32(1), ...op.shl, ...op.set(L.lda2),
    ...op.get(L.lda2), ...op.get(L.lda), ...op.add, ...op.set(L.lda3),
    ...op.get(P.N), ...op.i32(2), ...op.shl, ...op.set(L.ldc),
    // ldb = bRow, or N·4 where bRow is 0; then ldc = cRow, or N·4 where cRow is 0.
    ...op.get(P.bRow), ...op.get(L.ldc), ...op.get(P.bRow), ...op.select, ...op.set(L.ldb),
    ...op.get(P.cRow), ...op.get(L.ldc), ...op.get(P.cRow), ...op.select, ...op.set(L.ldc),
    ...op.get(P.N), ...op.i32(-8), ...op.and, ...op.set(L.n8),
    ...op.get(P.M), ...op.i32(-ROWS), ...op.and, ...op.set(L.m4),
    ...v128Zero(), ...op.set(V.zero),
    ...op.i32(0), ...op.set(L.bt),
    ...op.block(
      op.loop(
        op.get(L.bt), op.get(P.batch), op.geU, op.brIf(1),
        op.i32(0), op.set(L.i),
        rowsLoop(ROWS, L.m4),
        rowsLoop(1, P.M),
        op.get(P.A), op.get(P.strideA), op.add, op.set(P.A),
        op.get(P.B), op.get(P.strideB), op.add, op.set(P.B),
        op.get(P.C), op.get(P.strideC), op.add, op.set(P.C),
        op.get(L.bt), op.i32(1), op.add, op.set(L.bt),
        op.br(0),
      ),
    ),
  ];
}

/** The module's bytes: one exported function `gemm`, memory imported as env.memory (shared or not). */
export function gemmModuleBytes(fma: boolean, shared = false): Uint8Array<ArrayBuffer> {
  const type = [0x60, ...vec(new Array(PARAMS).fill([I32])), ...vec([])];
  const locals = vec([
    [...u32(I32_LOCALS), I32],
    [...u32(1), F32],
    [...u32(4 + 2 * ROWS), V128],
  ]);
  const body = [...locals, ...gemmBody(fma), 0x0b];
  return Uint8Array.from([
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
    ...section(1, vec([type])),
    ...section(2, vec([memoryImport(shared)])),
    ...section(3, vec([u32(0)])),
    ...section(7, vec([[...str('gemm'), 0x00, ...u32(0)]])),
    ...section(10, vec([[...u32(body.length), ...body]])),
  ]);
}

/**
 * C = A·B (+ bias, ReLU) for `batch` pairs; offsets and strides in bytes, bias
 * 0 for none; aRow/aK as above (K·4, 4 for A as stored; 4, M·4 for Aᵀ);
 * accumulate 1 for C += A·B (left out: 0); bRow and cRow the bytes from one row
 * of B and of C to the next (left out or 0: N·4).
 */
export type GemmFn = (a: number, b: number, c: number, m: number, k: number, n: number, batch: number, strideA: number, strideB: number, strideC: number, bias: number, relu: number, aRow: number, aK: number, accumulate?: number, bRow?: number, cRow?: number) => void;

export interface Gemm {
  /** The product, split among the kernel pool's threads where it is large enough to pay for that (results equal one thread's). */
  run: GemmFn;
  /** The product on this thread alone. */
  serial: GemmFn;
  /** Whether multiply-add is fused (relaxed SIMD). */
  fma: boolean;
}

let relaxedSimd: boolean | undefined;

/**
 * Whether the kernel may use relaxed-SIMD instructions. Node 20's V8 has them
 * behind a flag; it is turned on here, in the trainer's own process, before
 * the first kernel is compiled (newer engines have them by default).
 * MODELLAB_NO_RELAXED_SIMD=1 keeps to plain SIMD.
 */
export function hasRelaxedSimd(): boolean {
  if (relaxedSimd !== undefined) return relaxedSimd;
  if (process.env.MODELLAB_NO_RELAXED_SIMD === '1') return (relaxedSimd = false);
  const probe = gemmModuleBytes(true);
  relaxedSimd = WebAssembly.validate(probe);
  if (!relaxedSimd) {
    try {
      v8.setFlagsFromString('--experimental-wasm-relaxed-simd');
      relaxedSimd = WebAssembly.validate(probe);
    } catch {
      relaxedSimd = false;
    }
  }
  return relaxedSimd;
}

/** The kernel over `memory` (the backend's), or undefined where wasm SIMD is missing. */
export function makeGemm(memory: WebAssembly.Memory, options: { fma?: boolean } = {}): Gemm | undefined {
  const fma = options.fma ?? hasRelaxedSimd();
  const bytes = gemmModuleBytes(fma, isShared(memory));
  if (!WebAssembly.validate(bytes)) return undefined;
  const instance = new WebAssembly.Instance(new WebAssembly.Module(bytes), { env: { memory } });
  const raw = instance.exports.gemm as unknown as GemmFn;
  // Called a few hundred times a training step: no arrays unless the product is cut into panels.
  const run: GemmFn = (a, b, c, m, k, n, batch, strideA, strideB, strideC, bias, relu, aRow, aK, accumulate = 0, bRow = 0, cRow = 0) => {
    if (k <= panelK(k, n)) raw(a, b, c, m, k, n, batch, strideA, strideB, strideC, bias, relu, aRow, aK, accumulate, bRow, cRow);
    else for (const panel of kPanels([a, b, c, m, k, n, batch, strideA, strideB, strideC, bias, relu, aRow, aK, accumulate, bRow, cRow])) raw(...panel);
  };
  return { run, serial: run, fma };
}

/** Bytes of B a panel of k reads, at most: the panel stays in the core's cache while every row block of A passes over it. */
const PANEL_BYTES = 128 * 1024;
/** Panels a product is cut into, at most (each a call). */
const MAX_PANELS = 32;

/** The k of a panel of a product of k × n B (the whole k where it is at most this). */
function panelK(k: number, n: number): number {
  const fit = Math.max(32, Math.floor(PANEL_BYTES / (4 * Math.max(1, n)) / 32) * 32);
  return Math.max(fit, Math.ceil(k / MAX_PANELS));
}

/**
 * A product cut along k into panels, each a call of the kernel: the first
 * panel as asked (C = A·B, or C += A·B), the others adding into C, the bias
 * and ReLU with the last. Where B is large (long k, wide n) the kernel would
 * stream all of B past every 4-row block of A, from memory; a panel of B is
 * read from the cache by all of them instead (measured, [4096, 256]ᵀ·[4096, 1024]
 * on one thread: 8.5–10 GFLOP/s whole, 19–20 in panels of 64). The sums are
 * the same bit for bit: each value's accumulator is stored and loaded between
 * panels as the float it is, and k runs in the same order.
 */
export function kPanels(args: Parameters<GemmFn>): Required<Parameters<GemmFn>>[] {
  // By index, not destructured: destructuring walks an iterator (an object per element) where V8 has not optimized the caller.
  const a = args[0], b = args[1], c = args[2], m = args[3], k = args[4], n = args[5], batch = args[6], strideA = args[7], strideB = args[8], strideC = args[9], bias = args[10], relu = args[11], aRow = args[12], aK = args[13], accumulate = args[14] ?? 0, bRow = args[15] ?? 0, cRow = args[16] ?? 0;
  const kb = panelK(k, n);
  if (k <= kb) return [[a, b, c, m, k, n, batch, strideA, strideB, strideC, bias, relu, aRow, aK, accumulate, bRow, cRow]];
  const panels: Required<Parameters<GemmFn>>[] = [];
  for (let k0 = 0; k0 < k; k0 += kb) {
    const last = k0 + kb >= k;
    panels.push([a + k0 * aK, b + k0 * (bRow || 4 * n), c, m, Math.min(kb, k - k0), n, batch, strideA, strideB, strideC, last ? bias : 0, last ? relu : 0, aRow, aK, k0 === 0 ? accumulate : 1, bRow, cRow]);
  }
  return panels;
}

/** Multiply-adds below which a product stays on one thread, and the least a unit of a split product gets. */
export const GEMM_SPLIT_MACS = 1 << 17;
/** Bytes of B from which one pair of fewer rows than columns splits by columns (gemmPlans), and the most bytes of A it may have (A fits a core's second-level cache). */
const COLUMN_SPLIT_BYTES = 256 * 1024;
const COLUMN_SPLIT_MAX_A = 512 * 1024;
/** 8-column strips a unit of such a split takes at least, where there are enough for every thread. */
const COLUMN_UNIT_STRIPS = 4;
/** Units per thread a product is split into, so that a worker that wakes late still finds some (workerPool.ts). */
const UNITS_PER_THREAD = 4;

/**
 * The units that compute a product on `threads` threads: the batch's pairs
 * where there is one for every unit (each unit then reads A, B and C of its
 * own pairs only: a Transformer's attention, 64 pairs of [64×64]·[64×32] on
 * two threads, took 1.86 ms a step split so against 2.12 by rows, and its
 * [64×32]·[32×64] pairs 1.20 against 1.53), else — one pair of fewer rows
 * than columns, A as stored and at most 512 KB, B 256 KB or more: a dense
 * layer's weights against a batch — runs of C's columns, whole strips of 8
 * (the last run takes the columns past the last strip, as on one thread), so
 * that each thread reads its own columns of B, not all of B once per unit of
 * rows (the bench CNN's input gradient of its dense layer, [64, 128]·[128,
 * 1600], on two threads: 0.64 → 0.49 ms with its B transposed just before, by
 * the main thread), else
 * rows of C in blocks of 4 (every pair of a batch, in order: so also where all
 * pairs add into one C, strideC 0), else the batch's pairs; none where
 * neither splits or the product is too small. Each value of C is computed
 * whole by one call, as on one thread.
 */
export function gemmPlans(fn: GemmFn, id: number, threads: number, ...args: Parameters<GemmFn>): Call[][] | undefined {
  const a = args[0], b = args[1], c = args[2], m = args[3], k = args[4], n = args[5], batch = args[6], strideA = args[7], strideB = args[8], strideC = args[9], aRow = args[12], aK = args[13];
  const macs = m * k * n * batch;
  if (threads < 2 || macs < GEMM_SPLIT_MACS) return undefined;
  const want = Math.min(MAX_UNITS, threads * UNITS_PER_THREAD, Math.max(threads, Math.floor(macs / GEMM_SPLIT_MACS)));
  /** A unit: the product's arguments with A, B and C moved and m and the batch cut, in panels. */
  const unit = (aAt: number, bAt: number, cAt: number, rows: number, pairs: number): Call[] => {
    const part = args.slice() as Parameters<GemmFn>;
    part[0] = aAt;
    part[1] = bAt;
    part[2] = cAt;
    part[3] = rows;
    part[6] = pairs;
    return kPanels(part).map((panel) => ({ fn, id, args: panel }));
  };
  /** `units` units of the batch's pairs, each its own run of them. */
  const byPairs = (units: number) =>
    Array.from({ length: units }, (_, t) => {
      const [p0, p1] = share(batch, units, t);
      return unit(a + p0 * strideA, b + p0 * strideB, c + p0 * strideC, m, p1 - p0);
    });
  // Pairs that all add into one C (strideC 0: a weight gradient summed over a batch) never split apart.
  const pairsApart = strideC !== 0;
  if (pairsApart && batch >= want) return byPairs(want);
  // One pair whose B is large beside a small A read as stored (a dense layer's weights against a batch
  // of few rows): by runs of C's columns, so that each thread reads its own part of B rather than all of
  // it. Not a weight gradient (A read transposed, its rows a batch's activations): each unit would read
  // all of a large A, down its columns (a Transformer decoder's step was ~6% slower so on two threads).
  const strips = Math.floor(n / 8);
  if (batch === 1 && m < n && aK === 4 && 4 * m * k <= COLUMN_SPLIT_MAX_A && 4 * k * n >= COLUMN_SPLIT_BYTES && strips >= threads) {
    const units = Math.max(threads, Math.min(want, Math.floor(strips / COLUMN_UNIT_STRIPS)));
    const bias = args[10], bRow = args[15] || 4 * n, cRow = args[16] || 4 * n;
    return Array.from({ length: units }, (_, t) => {
      const [s0, s1] = share(strips, units, t);
      const [j0, j1] = [8 * s0, t === units - 1 ? n : 8 * s1];
      const part = args.slice() as Parameters<GemmFn>;
      part[1] = b + 4 * j0;
      part[2] = c + 4 * j0;
      part[5] = j1 - j0;
      part[10] = bias && bias + 4 * j0;
      part[15] = bRow;
      part[16] = cRow;
      return kPanels(part).map((panel) => ({ fn, id, args: panel }));
    });
  }
  const blocks = Math.ceil(m / 4);
  if (blocks >= threads) {
    const units = Math.min(want, blocks);
    return Array.from({ length: units }, (_, t) => {
      const [b0, b1] = share(blocks, units, t);
      const [r0, r1] = [4 * b0, Math.min(m, 4 * b1)];
      return unit(a + r0 * aRow, b, c + 4 * r0 * n, r1 - r0, batch);
    });
  }
  if (pairsApart && batch >= threads) return byPairs(batch);
  return undefined;
}

/** The gemm of `serial` that splits among `pool`'s threads (gemmPlans), else runs here. */
function pooled(serial: GemmFn, pool: KernelPool): GemmFn {
  const id = pool.id('gemm', 'gemm');
  return (...args) => {
    const plans = gemmPlans(serial, id, pool.threads, ...args);
    if (plans) pool.run(plans);
    else serial(...args);
  };
}

/** Row steps of B that are a multiple of this many bytes make the rows the inner loop reads one after another share a few sets of the core's first-level cache. */
const ALIASING_BYTES = 2048;
/** Floats added to each row of B's copy. */
const PAD_FLOATS = 16;
/** The fewest rows of C for which copying B pays: each 4-row block of C reads all of B once. */
const PAD_MIN_ROWS = 64;

/** Whether gemmFor's product copies B to padded rows first (paddingB) for these sizes. */
export function padsB(m: number, n: number, batch: number, strideB: number): boolean {
  return (4 * n) % ALIASING_BYTES === 0 && m >= PAD_MIN_ROWS && (batch === 1 || strideB === 0);
}

/**
 * `run` with B copied first to rows padded by PAD_FLOATS where its rows are
 * a multiple of 2 KB long (N a multiple of 512: a Transformer's feed-forward
 * width). The kernel reads B row after row down k; rows 4 KB apart all fall in
 * one set of the first-level cache (2 KB apart, in two), which then holds a
 * few of them instead of a panel's worth. Measured, one call on one thread,
 * GFLOP/s as stored → with rows padded by 16 floats: [4096, 256]·[256, 1024]
 * 25.6 → 49.5, [4096, 64]·[64, 1024] 27.8 → 51.7, [4096, 256]·[256, 512]
 * 44.2 → 51.4, [4096, 256]·[256, 256] 48.6 → 50.6 (not padded). The copy is B
 * once; the products are the same floats. One B shared by the batch's pairs,
 * or a single pair.
 */
function paddingB(run: GemmFn, backend: BackendWasm): GemmFn {
  return (a, b, c, m, k, n, batch, strideA, strideB, strideC, bias, relu, aRow, aK, accumulate = 0, bRow = 0, cRow = 0) => {
    if (bRow !== 0 || !padsB(m, n, batch, strideB)) {
      run(a, b, c, m, k, n, batch, strideA, strideB, strideC, bias, relu, aRow, aK, accumulate, bRow, cRow);
      return;
    }
    const row = n + PAD_FLOATS;
    const copy = backend.makeOutput([k * row], 'float32');
    try {
      // After the allocation, which may have grown the heap.
      const heap = heapFloats(backend);
      const [from, to] = [b / 4, heapOffset(backend, copy) / 4];
      for (let r = 0; r < k; r++) heap.copyWithin(to + r * row, from + r * n, from + (r + 1) * n);
      run(a, 4 * to, c, m, k, n, batch, strideA, 0, strideC, bias, relu, aRow, aK, accumulate, 4 * row, cRow);
    } finally {
      backend.disposeData(copy.dataId);
    }
  };
}

const perBackend = new WeakMap<object, Gemm | null>();

/**
 * The kernel over a wasm backend's memory, made once per backend; undefined
 * where it cannot run (no SIMD, no exported memory) or when
 * MODELLAB_GEMM=xnnpack asks for tfjs's own products (a benchmark's peer).
 */
export function gemmFor(backend: BackendWasm): Gemm | undefined {
  let gemm = perBackend.get(backend);
  if (gemm === undefined) {
    const memory = backendMemory(backend);
    gemm = (process.env.MODELLAB_GEMM !== 'xnnpack' && memory && makeGemm(memory)) || null;
    const pool = kernelPool(backend);
    if (gemm && pool) gemm = { ...gemm, run: pooled(gemm.serial, pool) };
    if (gemm) gemm = { ...gemm, run: paddingB(gemm.run, backend) };
    perBackend.set(backend, gemm);
  }
  return gemm ?? undefined;
}
