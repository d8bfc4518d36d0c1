// The tile transforms of Winograd convolutions (conv2d.ts) as WebAssembly SIMD
// loops over the backend's memory, generated from the transform matrices. A
// transform takes each tile of r×c pixels X to L·X·Rᵀ (p×q), four channels at
// a time (then one at a time for the last channels), in two passes: the rows
// by L into locals, then the columns by R, each coefficient 1 or −1 an add or
// a subtract, others a multiply. Done as products on the gemm kernel, these
// transforms ([4, 4]·[4, 4·channels] per tile) took over half the time of a
// Winograd convolution, with im2col before and col2im after them; here
// each tile's pixels are read from where they lie and written where they go.
//
// - gather: tiles read from an image through a table of pixel addresses (one
//   per pixel of each tile; a zeroed run for pixels past the edge), written as
//   planes [p·q][tiles][channels] (the products' operands).
// - scatter: tiles read from planes, + bias, ReLU, written to an image through
//   a table of pixel addresses (a dump run for pixels past the edge); or added
//   to what is there (scatterAdd: tiles that overlap, one after another).

import { F32, I32, memoryImport, modulePerBackend, op, section, str, u32, V128, v128Load, v128Store, vec } from './wasmGemm';
import type { Bytes } from './wasmGemm';
import type { BackendWasm } from './wasmInternals';

/** A transform: each tile X (r×c) to L·X·Rᵀ, with L p×r and R q×c. */
export interface TileTransform {
  left: readonly (readonly number[])[];
  right: readonly (readonly number[])[];
}

/** The instructions of one lane width: four floats (v128) or one (f32). */
interface Lanes {
  bytes: number;
  type: number;
  load: () => Bytes;
  store: () => Bytes;
  add: Bytes;
  sub: Bytes;
  mul: Bytes;
  neg: Bytes;
  max: Bytes;
  konst: (v: number) => Bytes;
}

const f32Bytes = (v: number): Bytes => [...new Uint8Array(Float32Array.of(v).buffer)];
const VEC: Lanes = {
  bytes: 16,
  type: V128,
  load: () => v128Load(),
  store: () => v128Store(),
  add: op.simd(0xe4),
  sub: op.simd(0xe5),
  mul: op.simd(0xe6),
  neg: op.simd(0xe1),
  max: op.simd(0xe9),
  konst: (v) => op.simd(0x0c, ...f32Bytes(v), ...f32Bytes(v), ...f32Bytes(v), ...f32Bytes(v)),
};
const ONE: Lanes = {
  bytes: 4,
  type: F32,
  load: () => op.f32Load(),
  store: () => op.f32Store(),
  add: [0x92],
  sub: [0x93],
  mul: [0x94],
  neg: [0x8c],
  max: [0x97],
  konst: (v) => [0x43, ...f32Bytes(v)],
};


/** Σ coef·local, onto the stack (zero when every coefficient is). */
function combination(lanes: Lanes, terms: [coef: number, local: number][]): Bytes {
  const nz = terms.filter(([k]) => k !== 0);
  if (nz.length === 0) return lanes.konst(0);
  const out: Bytes = [];
  nz.forEach(([k, l], i) => {
    const scaled = k === 1 || k === -1 ? op.get(l) : [...op.get(l), ...lanes.konst(Math.abs(k)), ...lanes.mul];
    if (i === 0) out.push(...scaled, ...(k < 0 ? lanes.neg : []));
    else out.push(...scaled, ...(k < 0 ? lanes.sub : lanes.add));
  });
  return out;
}

/**
 * The two passes of one transform over the input locals `input` (r×c, row-major):
 * the rows by L into locals from `tmpAt` (a row that only copies one input
 * keeps it), then each output (p×q, row-major) handed to `emit`, which gets its
 * value on the stack.
 */
function transformCode(lanes: Lanes, t: TileTransform, input: number[], tmpAt: number, emit: (k: number, value: Bytes) => Bytes): Bytes {
  const { left, right } = t;
  const c = right[0].length;
  const out: Bytes = [];
  const tmp: number[] = [];
  let next = tmpAt;
  for (let a = 0; a < left.length; a++) {
    for (let j = 0; j < c; j++) {
      const terms = left[a].map((k, i) => [k, input[i * c + j]] as [number, number]).filter(([k]) => k !== 0);
      if (terms.length === 1 && terms[0][0] === 1) tmp.push(terms[0][1]);
      else {
        out.push(...combination(lanes, terms), ...op.set(next));
        tmp.push(next++);
      }
    }
  }
  for (let a = 0; a < left.length; a++) {
    for (let b = 0; b < right.length; b++) out.push(...emit(a * right.length + b, combination(lanes, right[b].map((k, j) => [k, tmp[a * c + j]]))));
  }
  return out;
}

const inCount = (t: TileTransform) => t.left[0].length * t.right[0].length;
const outCount = (t: TileTransform) => t.left.length * t.right.length;
/** Locals of one lane type a transform needs: its inputs, then its row pass. */
const laneLocals = (t: TileTransform) => inCount(t) + t.left.length * t.right[0].length;

// gather(table, tiles, c4, out, plane): i32 parameters, byte offsets and sizes.
const G = { table: 0, tiles: 1, c4: 2, out: 3, plane: 4 } as const;

function gatherBody(t: TileTransform, vAt: number, fAt: number, iAt: number): Bytes {
  const g = op.get;
  const s = op.set;
  const nIn = inCount(t);
  const nOut = outCount(t);
  const [tile, c] = [iAt, iAt + 1];
  const addr = (i: number) => iAt + 2 + i;
  const planeOff = (k: number) => iAt + 2 + nIn + k; // k·plane
  const channels = (lanes: Lanes, first: number) => {
    const input = Array.from({ length: nIn }, (_, i) => first + i);
    return [
      ...input.flatMap((l, i) => [...g(addr(i)), ...g(c), ...op.add, ...lanes.load(), ...s(l)]),
      ...transformCode(lanes, t, input, first + nIn, (k, value) => [...g(G.out), ...g(c), ...op.add, ...(k ? [...g(planeOff(k)), ...op.add] : []), ...value, ...lanes.store()]),
    ];
  };
  return [
    ...Array.from({ length: nOut }, (_, k) => [...g(G.plane), ...op.i32(k), ...op.mul, ...s(planeOff(k))]).flat(),
    ...op.i32(0), ...s(tile),
    ...op.loopWhile([...g(tile), ...g(G.tiles), ...op.geS],
      Array.from({ length: nIn }, (_, i) => [...g(G.table), ...op.i32Load(4 * i), ...s(addr(i))]).flat(),
      op.i32(0), s(c),
      op.loopWhile([...g(c), ...op.i32(16), ...op.add, ...g(G.c4), ...op.gtS], channels(VEC, vAt), g(c), op.i32(16), op.add, s(c)),
      op.loopWhile([...g(c), ...g(G.c4), ...op.geS], channels(ONE, fAt), g(c), op.i32(4), op.add, s(c)),
      g(G.table), op.i32(4 * nIn), op.add, s(G.table),
      g(G.out), g(G.c4), op.add, s(G.out),
      g(tile), op.i32(1), op.add, s(tile),
    ),
  ];
}

// scatter(src, plane, tiles, c4, table, bias, relu): i32 parameters; bias 0 for none, relu 0 or 1.
const S = { src: 0, plane: 1, tiles: 2, c4: 3, table: 4, bias: 5, relu: 6 } as const;

function scatterBody(t: TileTransform, vAt: number, fAt: number, iAt: number, accumulate: boolean): Bytes {
  const g = op.get;
  const s = op.set;
  const nIn = inCount(t);
  const nOut = outCount(t);
  const [tile, c] = [iAt, iAt + 1];
  const addr = (k: number) => iAt + 2 + k;
  const planeOff = (i: number) => iAt + 2 + nOut + i; // i·plane
  const channels = (lanes: Lanes, first: number) => {
    const input = Array.from({ length: nIn }, (_, i) => first + i);
    const result = first + laneLocals(t); // one more local of this lane type: an output on its way out
    return [
      ...input.flatMap((l, i) => [...g(S.src), ...g(c), ...op.add, ...(i ? [...g(planeOff(i)), ...op.add] : []), ...lanes.load(), ...s(l)]),
      ...transformCode(lanes, t, input, first + nIn, (k, value) => [
        ...value, ...s(result),
        ...g(S.bias), ...op.when(g(result), g(S.bias), g(c), op.add, lanes.load(), lanes.add, s(result)),
        ...g(S.relu), ...op.when(g(result), lanes.konst(0), lanes.max, s(result)),
        ...g(addr(k)), ...g(c), ...op.add,
        ...(accumulate ? [...g(addr(k)), ...g(c), ...op.add, ...lanes.load(), ...g(result), ...lanes.add] : g(result)),
        ...lanes.store(),
      ]),
    ];
  };
  return [
    ...Array.from({ length: nIn }, (_, i) => [...g(S.plane), ...op.i32(i), ...op.mul, ...s(planeOff(i))]).flat(),
    ...op.i32(0), ...s(tile),
    ...op.loopWhile([...g(tile), ...g(S.tiles), ...op.geS],
      Array.from({ length: nOut }, (_, k) => [...g(S.table), ...op.i32Load(4 * k), ...s(addr(k))]).flat(),
      op.i32(0), s(c),
      op.loopWhile([...g(c), ...op.i32(16), ...op.add, ...g(S.c4), ...op.gtS], channels(VEC, vAt), g(c), op.i32(16), op.add, s(c)),
      op.loopWhile([...g(c), ...g(S.c4), ...op.geS], channels(ONE, fAt), g(c), op.i32(4), op.add, s(c)),
      g(S.table), op.i32(4 * nOut), op.add, s(S.table),
      g(S.src), g(S.c4), op.add, s(S.src),
      g(tile), op.i32(1), op.add, s(tile),
    ),
  ];
}

/** A function's body: its locals (i32s after the parameters, then v128s, then f32s) and code. */
function functionBody(params: number, t: TileTransform, body: (t: TileTransform, vAt: number, fAt: number, iAt: number) => Bytes): Bytes {
  const ints = 2 + inCount(t) + outCount(t);
  const lanes = laneLocals(t) + 1;
  const iAt = params;
  const vAt = iAt + ints;
  const fAt = vAt + lanes;
  return [...vec([[...u32(ints), I32], [...u32(lanes), V128], [...u32(lanes), F32]]), ...body(t, vAt, fAt, iAt), 0x0b];
}

/** The module: for each named transform, a `gather`, `scatter` or `scatterAdd` function of that name. */
type Kind = 'gather' | 'scatter' | 'scatterAdd';

export function winogradModuleBytes(transforms: Record<string, { kind: Kind; transform: TileTransform }>, shared = false): Uint8Array<ArrayBuffer> {
  const gatherType = [0x60, ...vec(new Array(5).fill([I32])), ...vec([])];
  const scatterType = [0x60, ...vec(new Array(7).fill([I32])), ...vec([])];
  const names = Object.keys(transforms);
  const bodies = names.map((n) => {
    const { kind, transform } = transforms[n];
    return kind === 'gather' ? functionBody(5, transform, gatherBody) : functionBody(7, transform, (t, v, f, i) => scatterBody(t, v, f, i, kind === 'scatterAdd'));
  });
  return Uint8Array.from([
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
    ...section(1, vec([gatherType, scatterType])),
    ...section(2, vec([memoryImport(shared)])),
    ...section(3, vec(names.map((n) => u32(transforms[n].kind === 'gather' ? 0 : 1)))),
    ...section(7, vec(names.map((n, i) => [...str(n), 0x00, ...u32(i)]))),
    ...section(10, vec(bodies.map((b) => [...u32(b.length), ...b]))),
  ]);
}

/** Tiles read through a table of pixel addresses (bytes; `tiles` × the transform's r·c of them), written as planes at `out`, `plane` bytes apart; c4 = channels·4. */
export type GatherFn = (table: number, tiles: number, c4: number, out: number, plane: number) => void;
/** Tiles read from planes at `src` (`plane` bytes apart), + bias (byte offset, 0 for none), ReLU (1) or not (0), written through a table of pixel addresses. */
export type ScatterFn = (src: number, plane: number, tiles: number, c4: number, table: number, bias: number, relu: number) => void;

const transpose = (m: readonly (readonly number[])[]) => m[0].map((_, j) => m.map((row) => row[j]));

function kronRows(a: readonly (readonly number[])[], b: readonly (readonly number[])[]): number[] {
  // (a⊗b)[(i1, i2), (j1, j2)] = a[i1][j1]·b[i2][j2], row-major
  const out: number[] = [];
  for (let i1 = 0; i1 < a.length; i1++) for (let i2 = 0; i2 < b.length; i2++) for (let j1 = 0; j1 < a[0].length; j1++) for (let j2 = 0; j2 < b[0].length; j2++) out.push(a[i1][j1] * b[i2][j2]);
  return out;
}

/**
 * Winograd F(m×m, 3×3) (Lavin and Gray, 2015): each m×m tile of output pixels
 * from the (m+2)×(m+2) input pixels under it, in (m+2)² products.
 */
export interface WinogradVariant {
  name: 'f2' | 'f4';
  /** Output pixels per tile side. */
  m: number;
  bt: readonly (readonly number[])[];
  g: readonly (readonly number[])[];
  at: readonly (readonly number[])[];
  /** Gw = G⊗G, [(m+2)², 9] row-major: the filter transform as one product. */
  gw: readonly number[];
}

function variant(name: WinogradVariant['name'], m: number, bt: number[][], g: number[][], at: number[][]): WinogradVariant {
  return { name, m, bt, g, at, gw: kronRows(g, g) };
}

/** F(2×2, 3×3): 2.25× fewer multiplications than the direct convolution, transforms of 0 and ±1. */
export const F2 = variant('f2', 2, [[1, 0, -1, 0], [0, 1, 1, 0], [0, -1, 1, 0], [0, 1, 0, -1]], [[1, 0, 0], [0.5, 0.5, 0.5], [0.5, -0.5, 0.5], [0, 0, 1]], [[1, 1, 1, 0], [0, 1, -1, -1]]);

/**
 * F(4×4, 3×3): 4× fewer multiplications. Its points are 0, ±1, 1/2, −2 (and
 * ∞) rather than the usual 0, ±1, ±2: in float32 over 32 channels the
 * largest error of a tile is ~2.8× smaller (3.0e-5 against 8.6e-5, simulated),
 * still ~5× F(2×2)'s. Bᵀ solved exactly from Aᵀ and G (Toom-Cook).
 */
export const F4 = variant(
  'f4',
  4,
  [[1, -3 / 2, -2, 3 / 2, 1, 0], [0, -1, 1 / 2, 5 / 2, 1, 0], [0, 1, -5 / 2, 1 / 2, 1, 0], [0, -2, -1, 2, 1, 0], [0, 1 / 2, -1, -1 / 2, 1, 0], [0, 1, -3 / 2, -2, 3 / 2, 1]],
  [[1, 0, 0], [1 / 3, 1 / 3, 1 / 3], [-1 / 3, 1 / 3, -1 / 3], [-16 / 15, -8 / 15, -4 / 15], [1 / 15, -2 / 15, 4 / 15], [0, 0, 1]],
  [[1, 1, 1, 1, 1, 0], [0, 1, -1, 1 / 2, -2, 0], [0, 1, 1, 1 / 4, 4, 0], [0, 1, -1, 1 / 8, -8, 1]],
);

export interface WinogradLoops {
  /** Input tiles ((m+2)² pixels) to V = Bᵀ·d·B ((m+2)² planes). */
  input: GatherFn;
  /** Product tiles ((m+2)² planes) to Y = Aᵀ·M·A (m² pixels), + bias, ReLU. */
  output: ScatterFn;
  /** dy tiles (m² pixels) to E = A·dy·Aᵀ ((m+2)² planes): the output transform read backwards, for both gradients. */
  outputBack: GatherFn;
  /** Gradient tiles ((m+2)² planes) to B·dV·Bᵀ, added into dx ((m+2)² pixels, overlapping): the input transform read backwards. */
  inputBack: ScatterFn;
}

const VARIANTS = [F2, F4];
/** The bytes of the module of every variant's transforms (`${name}Input`, `${name}Output`, `${name}OutputBack`, `${name}InputBack`). */
export function winogradVariantsModuleBytes(shared = false): Uint8Array<ArrayBuffer> {
  return winogradModuleBytes(
    Object.fromEntries(
      VARIANTS.flatMap((x) => [
        [`${x.name}Input`, { kind: 'gather', transform: { left: x.bt, right: x.bt } }],
        [`${x.name}Output`, { kind: 'scatter', transform: { left: x.at, right: x.at } }],
        [`${x.name}OutputBack`, { kind: 'gather', transform: { left: transpose(x.at), right: transpose(x.at) } }],
        [`${x.name}InputBack`, { kind: 'scatterAdd', transform: { left: transpose(x.bt), right: transpose(x.bt) } }],
      ]),
    ) as Record<string, { kind: Kind; transform: TileTransform }>,
    shared,
  );
}

const variantsFor = modulePerBackend(
  winogradVariantsModuleBytes,
  (e) => new Map(VARIANTS.map((x): [string, WinogradLoops] => [x.name, { input: e[`${x.name}Input`] as unknown as GatherFn, output: e[`${x.name}Output`] as unknown as ScatterFn, outputBack: e[`${x.name}OutputBack`] as unknown as GatherFn, inputBack: e[`${x.name}InputBack`] as unknown as ScatterFn }])),
);

/** A variant's transforms over a wasm backend's memory, made once per backend; undefined where wasm SIMD or the memory is missing. */
export function winogradLoopsFor(backend: BackendWasm, v: WinogradVariant): WinogradLoops | undefined {
  return variantsFor(backend)?.get(v.name);
}
