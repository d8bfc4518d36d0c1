// Preprocessing: fitted on the training split only, then applied to every
// split and, after export, to prediction inputs. The fitted state is plain
// JSON saved beside the model (preprocessing.json).

import { DataError } from './table';
import type { Cell, Table } from './table';
import type { ExperimentConfig, PreprocessStep, Task } from './types';

export interface FittedPreprocessor {
  version: 1;
  task: Task;
  features: string[];
  target: string;
  /** Value used for a missing cell, per column. */
  fill: Record<string, Cell>;
  /** Rows with a missing value in these columns are dropped. */
  dropMissing: string[];
  oneHot: { column: string; categories: string[] }[];
  /** x' = (x - shift) / scale */
  scale: Record<string, { kind: 'standardize' | 'minMax'; shift: number; scale: number }>;
  /** Names of the model's input columns after encoding, in order. */
  inputNames: string[];
  /** Classification: label of each class index. */
  labels?: string[];
}

export interface Encoded {
  /** Row-major [rows × inputNames.length]. */
  x: Float32Array;
  /** Regression: the (scaled) target; classification: the class index. */
  y: Float32Array;
  rows: number;
  /** Rows skipped (missing values under "drop", or labels never seen in training). */
  skipped: number;
}

const isMissing = (c: Cell | undefined): boolean => c === null || c === undefined || (typeof c === 'number' && !Number.isFinite(c));

function stepColumns(step: PreprocessStep, numericFeatures: string[]): { op: string; columns: string[] } {
  const op = Object.keys(step)[0];
  const arg = (step as Record<string, unknown>)[op];
  if (arg === 'features') return { op, columns: numericFeatures };
  if (Array.isArray(arg)) return { op, columns: arg as string[] };
  return { op, columns: [] };
}

function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

function mode(values: Cell[]): Cell {
  const counts = new Map<Cell, number>();
  let best: Cell = null;
  let bestN = 0;
  for (const v of values) {
    const n = (counts.get(v) ?? 0) + 1;
    counts.set(v, n);
    if (n > bestN || (n === bestN && String(v) < String(best))) {
      best = v;
      bestN = n;
    }
  }
  return best;
}

function labelOf(c: Cell): string {
  return typeof c === 'number' ? String(c) : String(c);
}

export function fitPreprocessor(config: ExperimentConfig, train: Table): FittedPreprocessor {
  const features = config.data.features ?? [];
  const target = config.data.target!;
  const steps = config.data.preprocess ?? [];
  const oneHotCols = new Set(steps.flatMap((s) => ('oneHot' in s ? s.oneHot : [])));
  const numericFeatures = features.filter((f) => !oneHotCols.has(f));

  const fill: Record<string, Cell> = {};
  const dropMissing: string[] = [];
  for (const step of steps) {
    if (!('fillMissing' in step)) continue;
    const fm = step.fillMissing;
    const cols = fm.columns ?? features;
    for (const c of cols) {
      const present = train.rows.map((r) => r[c]).filter((v) => !isMissing(v));
      if (fm.strategy === 'drop') dropMissing.push(c);
      else if (fm.strategy === 'constant') fill[c] = fm.value ?? 0;
      else if (fm.strategy === 'mode') fill[c] = mode(present);
      else {
        const nums = present.filter((v): v is number => typeof v === 'number');
        if (nums.length === 0) throw new DataError(train.file, undefined, `column "${c}" has no numeric values to take a ${fm.strategy} of`);
        fill[c] = fm.strategy === 'mean' ? nums.reduce((a, b) => a + b, 0) / nums.length : median(nums);
      }
    }
  }

  const get = (row: Record<string, Cell>, c: string): Cell => (isMissing(row[c]) && c in fill ? fill[c] : row[c]);
  const usable = train.rows.filter((r) => dropMissing.every((c) => !isMissing(r[c])));

  const oneHot = [...oneHotCols].map((column) => ({
    column,
    categories: [...new Set(usable.map((r) => get(r, column)).filter((v) => !isMissing(v)).map(labelOf))].sort(),
  }));

  const scale: FittedPreprocessor['scale'] = {};
  const scaled: { op: string; column: string }[] = [];
  for (const step of steps) {
    const { op, columns } = stepColumns(step, numericFeatures);
    if (op === 'standardize' || op === 'minMax') for (const column of columns) scaled.push({ op, column });
  }
  // One row-major pass copies every scaled column into a typed array: reading one
  // column at a time across 100k row objects is several times slower (cache misses).
  const values = scaled.map(() => new Float64Array(usable.length));
  const counts = new Array<number>(scaled.length).fill(0);
  for (const r of usable) {
    for (let j = 0; j < scaled.length; j++) {
      const v = get(r, scaled[j].column);
      if (typeof v === 'number' && Number.isFinite(v)) values[j][counts[j]++] = v;
    }
  }
  scaled.forEach(({ op, column: c }, j) => {
    const vals = values[j];
    const n = counts[j];
    if (n === 0) throw new DataError(train.file, undefined, `column "${c}" has no numeric values to ${op === 'minMax' ? 'scale' : 'standardize'}`);
    if (op === 'standardize') {
      let sum = 0;
      for (let i = 0; i < n; i++) sum += vals[i];
      const mean = sum / n;
      let squares = 0;
      for (let i = 0; i < n; i++) squares += (vals[i] - mean) * (vals[i] - mean);
      const sd = Math.sqrt(squares / n);
      scale[c] = { kind: 'standardize', shift: mean, scale: sd > 1e-12 ? sd : 1 };
    } else {
      let lo = Infinity;
      let hi = -Infinity;
      for (let i = 0; i < n; i++) {
        if (vals[i] < lo) lo = vals[i];
        if (vals[i] > hi) hi = vals[i];
      }
      scale[c] = { kind: 'minMax', shift: lo, scale: hi - lo > 1e-12 ? hi - lo : 1 };
    }
  });

  const inputNames: string[] = [];
  for (const f of features) {
    const oh = oneHot.find((o) => o.column === f);
    if (oh) for (const cat of oh.categories) inputNames.push(`${f}=${cat}`);
    else inputNames.push(f);
  }

  let labels: string[] | undefined;
  if (config.task === 'classification') {
    const seen = new Set<string>();
    usable.forEach((r) => {
      const v = get(r, target);
      if (!isMissing(v)) seen.add(labelOf(v));
    });
    // Numeric labels sort numerically, so class "10" comes after "9".
    labels = [...seen].sort((a, b) => {
      const na = Number(a);
      const nb = Number(b);
      return Number.isFinite(na) && Number.isFinite(nb) ? na - nb : a < b ? -1 : a > b ? 1 : 0;
    });
    if (labels.length < 2) {
      throw new DataError(train.file, undefined, `the target "${target}" has ${labels.length === 0 ? 'no values' : `only one class ("${labels[0]}")`} in the training split; a classifier needs at least two`);
    }
  }

  return { version: 1, task: config.task, features, target, fill, dropMissing, oneHot, scale, inputNames, labels };
}

type RowEncoder = (row: Record<string, Cell>, out: Float32Array, offset: number, file: string, line: number | undefined) => void;

/** Each feature's encoding decided once (one-hot category positions, scale), not per cell. */
const encoders = new WeakMap<FittedPreprocessor, RowEncoder>();

function rowEncoder(p: FittedPreprocessor): RowEncoder {
  const cached = encoders.get(p);
  if (cached) return cached;
  const plan = p.features.map((f) => {
    const oh = p.oneHot.find((o) => o.column === f);
    return { f, hasFill: f in p.fill, fill: p.fill[f], oneHot: oh && new Map(oh.categories.map((c, i) => [c, i])), width: oh ? oh.categories.length : 1, scale: p.scale[f] };
  });
  const encode: RowEncoder = (row, out, offset, file, line) => {
    let k = offset;
    for (const e of plan) {
      let v = row[e.f];
      if (isMissing(v) && e.hasFill) v = e.fill;
      if (e.oneHot) {
        out.fill(0, k, k + e.width);
        const at = isMissing(v) ? undefined : e.oneHot.get(labelOf(v));
        if (at !== undefined) out[k + at] = 1;
        k += e.width;
        continue;
      }
      if (isMissing(v)) {
        throw new DataError(file, line, `column "${e.f}" is empty or not a finite number; add { "fillMissing": { "strategy": "mean" } } to "preprocess" or clean the file`);
      }
      if (typeof v !== 'number') {
        throw new DataError(file, line, `column "${e.f}" holds text (${JSON.stringify(String(v).slice(0, 40))}) where a number is expected; list it under "oneHot" if it is a category`);
      }
      out[k++] = e.scale ? (v - e.scale.shift) / e.scale.scale : v;
    }
  };
  encoders.set(p, encode);
  return encode;
}

/** Encodes one row's features into `out` at `offset`; throws DataError naming the cell. */
export function encodeFeatures(p: FittedPreprocessor, row: Record<string, Cell>, out: Float32Array, offset: number, file: string, line: number | undefined): void {
  rowEncoder(p)(row, out, offset, file, line);
}

export function transformTable(p: FittedPreprocessor, table: Table): Encoded {
  const d = p.inputNames.length;
  const x = new Float32Array(table.rows.length * d);
  const y = new Float32Array(table.rows.length);
  let n = 0;
  let skipped = 0;
  const labelIndex = new Map((p.labels ?? []).map((l, i) => [l, i]));
  const encode = rowEncoder(p);
  for (let r = 0; r < table.rows.length; r++) {
    const row = table.rows[r];
    const line = table.lines[r];
    if (p.dropMissing.some((c) => isMissing(row[c]))) {
      skipped++;
      continue;
    }
    let t = row[p.target];
    if (isMissing(t) && p.target in p.fill) t = p.fill[p.target];
    if (isMissing(t)) throw new DataError(table.file, line, `the target "${p.target}" is empty`);
    if (p.task === 'classification') {
      const idx = labelIndex.get(labelOf(t));
      if (idx === undefined) {
        skipped++; // a class the training split never saw cannot be predicted
        continue;
      }
      y[n] = idx;
    } else {
      if (typeof t !== 'number') throw new DataError(table.file, line, `the target "${p.target}" holds text (${JSON.stringify(String(t).slice(0, 40))}) but a regression target must be a number`);
      const s = p.scale[p.target];
      y[n] = s ? (t - s.shift) / s.scale : t;
    }
    encode(row, x, n * d, table.file, line);
    n++;
  }
  return { x: x.subarray(0, n * d), y: y.subarray(0, n), rows: n, skipped };
}

/** Maps a regression prediction back to target units. */
export function inverseTarget(p: FittedPreprocessor, v: number): number {
  const s = p.scale[p.target];
  return s ? v * s.scale + s.shift : v;
}
