// Preprocessing: fitted on the training split only, then applied to every
// split and, after export, to prediction inputs. The fitted state is plain
// JSON saved beside the model (preprocessing.json).

import { cellAt, columnOf, DataError, rowCount } from './table';
import type { Cell, Column, Table } from './table';
import type { ExperimentConfig, PreprocessStep, Task } from './types';
import { formatMetric } from './metrics';
import { formatLogText, logText } from './trainerLogTable';
import type { LogText } from './trainerLogTable';

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

/** A classifier's classes: the distinct values present in its target column, numeric ones in numeric order (class "10" after "9"). */
export function classLabels(values: Iterable<Cell | undefined>): string[] {
  const seen = new Set<string>();
  for (const v of values) if (!isMissing(v)) seen.add(labelOf(v as Cell));
  return [...seen].sort((a, b) => {
    const na = Number(a);
    const nb = Number(b);
    return Number.isFinite(na) && Number.isFinite(nb) ? na - nb : a < b ? -1 : a > b ? 1 : 0;
  });
}

export function fitPreprocessor(config: ExperimentConfig, train: Table): FittedPreprocessor {
  // Cells are read column by column (Table.cells for CSV, so no row objects are made).
  const rows = rowCount(train);
  const cache = new Map<string, Column>();
  const cellsOf = (c: string): Column => {
    let col = cache.get(c);
    if (col === undefined) cache.set(c, (col = columnOf(train, c)));
    return col;
  };
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
      const col = cellsOf(c);
      const present: Cell[] = [];
      for (let i = 0; i < rows; i++) {
        const v = cellAt(col, i);
        if (!isMissing(v)) present.push(v);
      }
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

  /** Reads column c by row index, giving its fill value for a missing cell. */
  const reader = (c: string): ((i: number) => Cell) => {
    const col = cellsOf(c);
    const hasFill = c in fill;
    const filler = fill[c];
    return (i) => {
      const v = cellAt(col, i);
      return hasFill && isMissing(v) ? filler : v;
    };
  };
  const dropColumns = dropMissing.map(cellsOf);
  const usable: number[] = [];
  for (let i = 0; i < rows; i++) if (dropColumns.every((col) => !isMissing(cellAt(col, i)))) usable.push(i);

  const oneHot = [...oneHotCols].map((c) => ({
    column: c,
    categories: [...new Set(usable.map(reader(c)).filter((v) => !isMissing(v)).map(labelOf))].sort(),
  }));

  const scale: FittedPreprocessor['scale'] = {};
  const scaled: { op: string; column: string }[] = [];
  for (const step of steps) {
    const { op, columns } = stepColumns(step, numericFeatures);
    if (op === 'standardize' || op === 'minMax') for (const column of columns) scaled.push({ op, column });
  }
  // Each scaled column's finite numbers, in row order, copied into a typed array.
  const values = scaled.map(() => new Float64Array(usable.length));
  const counts = new Array<number>(scaled.length).fill(0);
  scaled.forEach(({ column: c }, j) => {
    const vals = values[j];
    const col = cellsOf(c);
    let k = 0;
    if (col instanceof Float64Array && !(c in fill)) {
      // A numeric column with nothing to fill: its finite cells as they are (v - v is NaN otherwise).
      for (const i of usable) {
        const v = col[i];
        if (v - v === 0) vals[k++] = v;
      }
    } else {
      const get = reader(c);
      for (const i of usable) {
        const v = get(i);
        if (typeof v === 'number' && Number.isFinite(v)) vals[k++] = v;
      }
    }
    counts[j] = k;
  });
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
    const get = reader(target);
    labels = classLabels(usable.map((i) => get(i)));
    if (labels.length < 2) {
      throw new DataError(train.file, undefined, `the target "${target}" has ${labels.length === 0 ? 'no values' : `only one class ("${labels[0]}")`} in the training split; a classifier needs at least two`);
    }
  }

  return { version: 1, task: config.task, features, target, fill, dropMissing, oneHot, scale, inputNames, labels };
}

/** How one feature is encoded, decided once (one-hot category positions, scale), not per cell. */
interface FeaturePlan {
  f: string;
  hasFill: boolean;
  fill: Cell;
  oneHot: Map<string, number> | undefined;
  width: number;
  scale: FittedPreprocessor['scale'][string] | undefined;
}

const plans = new WeakMap<FittedPreprocessor, FeaturePlan[]>();

function featurePlan(p: FittedPreprocessor): FeaturePlan[] {
  const cached = plans.get(p);
  if (cached) return cached;
  const plan = p.features.map((f) => {
    const oh = p.oneHot.find((o) => o.column === f);
    return { f, hasFill: f in p.fill, fill: p.fill[f], oneHot: oh && new Map(oh.categories.map((c, i) => [c, i])), width: oh ? oh.categories.length : 1, scale: p.scale[f] };
  });
  plans.set(p, plan);
  return plan;
}

/** Encodes one feature's cell into `out` at `k`; returns the next position. Throws DataError naming the cell. */
function encodeCell(e: FeaturePlan, cell: Cell | undefined, out: Float32Array, k: number, file: string, line: number | undefined): number {
  let v = cell;
  if (isMissing(v) && e.hasFill) v = e.fill;
  if (e.oneHot) {
    out.fill(0, k, k + e.width);
    const at = isMissing(v) ? undefined : e.oneHot.get(labelOf(v!));
    if (at !== undefined) out[k + at] = 1;
    return k + e.width;
  }
  if (isMissing(v)) {
    throw new DataError(file, line, `column "${e.f}" is empty or not a finite number; add { "fillMissing": { "strategy": "mean" } } to "preprocess" or clean the file`);
  }
  if (typeof v !== 'number') {
    throw new DataError(file, line, `column "${e.f}" holds text (${JSON.stringify(String(v).slice(0, 40))}) where a number is expected; list it under "oneHot" if it is a category`);
  }
  out[k] = e.scale ? (v - e.scale.shift) / e.scale.scale : v;
  return k + 1;
}

/** Encodes one row's features into `out` at `offset`; throws DataError naming the cell. */
export function encodeFeatures(p: FittedPreprocessor, row: Record<string, Cell>, out: Float32Array, offset: number, file: string, line: number | undefined): void {
  let k = offset;
  for (const e of featurePlan(p)) k = encodeCell(e, row[e.f], out, k, file, line);
}

/**
 * Encodes a table: first the rows kept and their targets, row by row, then the
 * features column by column, a numeric column in one tight loop over its
 * Float64Array (Table.cells). The error thrown is the one a row-by-row pass
 * would meet first: the earliest bad row, and within it the target and then
 * the features in order.
 */
export function transformTable(p: FittedPreprocessor, table: Table): Encoded {
  const d = p.inputNames.length;
  const rows = rowCount(table);
  const y = new Float32Array(rows);
  const kept: number[] = [];
  let skipped = 0;
  let targetError: DataError | undefined;
  const labelIndex = new Map((p.labels ?? []).map((l, i) => [l, i]));
  const dropColumns = p.dropMissing.map((c) => columnOf(table, c));
  const targetColumn = columnOf(table, p.target);
  const targetScale = p.scale[p.target];
  for (let r = 0; r < rows; r++) {
    if (dropColumns.some((c) => isMissing(cellAt(c, r)))) {
      skipped++;
      continue;
    }
    let t = cellAt(targetColumn, r);
    if (isMissing(t) && p.target in p.fill) t = p.fill[p.target];
    if (isMissing(t)) {
      targetError = new DataError(table.file, table.lines[r], `the target "${p.target}" is empty`);
      break;
    }
    if (p.task === 'classification') {
      const idx = labelIndex.get(labelOf(t));
      if (idx === undefined) {
        skipped++; // a class the training split never saw cannot be predicted
        continue;
      }
      y[kept.length] = idx;
    } else {
      if (typeof t !== 'number') {
        targetError = new DataError(table.file, table.lines[r], `the target "${p.target}" holds text (${JSON.stringify(String(t).slice(0, 40))}) but a regression target must be a number`);
        break;
      }
      y[kept.length] = targetScale ? (t - targetScale.shift) / targetScale.scale : t;
    }
    kept.push(r);
  }

  const n = kept.length;
  const x = new Float32Array(n * d);
  /** The earliest bad feature cell found so far (index into kept); later columns only look before it. */
  let bad: { at: number; error: unknown } | undefined;
  let offset = 0;
  for (const e of featurePlan(p)) {
    const col = columnOf(table, e.f);
    const end = bad ? bad.at : n;
    // A finite number in a numeric column is scaled here (as encodeCell would: (x - 0) / 1 is
    // x exactly); any other cell goes through encodeCell (fill, one-hot or error).
    const numbers = col instanceof Float64Array && !e.oneHot ? col : undefined;
    const shift = e.scale ? e.scale.shift : 0;
    const scale = e.scale ? e.scale.scale : 1;
    for (let a = 0; a < end; a++) {
      const r = kept[a];
      if (numbers) {
        const v = numbers[r];
        if (v - v === 0) {
          // finite (NaN and ±Infinity give NaN)
          x[a * d + offset] = (v - shift) / scale;
          continue;
        }
      }
      try {
        encodeCell(e, cellAt(col, r), x, a * d + offset, table.file, table.lines[r]);
      } catch (error) {
        bad = { at: a, error };
        break;
      }
    }
    offset += e.width;
  }
  if (bad) throw bad.error;
  if (targetError) throw targetError;
  return { x, y: y.subarray(0, n), rows: n, skipped };
}

/**
 * What a user reading the training loss needs to know when the regression target is scaled:
 * the loss and metrics logged during training are on the scaled target, the test evaluation in
 * the target's own units, and the factors between them (mse × scale², mae and rmse × scale).
 * Undefined when the target is not scaled.
 */
export function scaledTargetNote(p: FittedPreprocessor, loss: string, metrics: readonly string[]): string | undefined {
  const note = scaledTargetLog(p, loss, metrics);
  return note && formatLogText(note);
}

/** The same note as a log message by id, for the dashboard to show in the editor's language. */
export function scaledTargetLog(p: FittedPreprocessor, loss: string, metrics: readonly string[]): LogText | undefined {
  const s = p.scale[p.target];
  if (!s || p.task !== 'regression') return undefined;
  const n = (v: number) => formatMetric(v, 'table');
  const factors = [...new Set([loss, ...metrics])].flatMap((m) => (m === 'mse' ? [`mse × ${n(s.scale * s.scale)}`] : m === 'mae' || m === 'rmse' ? [`${m} × ${n(s.scale)}`] : []));
  const kind = s.kind === 'standardize' ? 'standardized' : 'minMax';
  return factors.length ? logText(`scaledTarget.${kind}.factors`, p.target, n(s.shift), n(s.scale), factors.join(', ')) : logText(`scaledTarget.${kind}`, p.target, n(s.shift), n(s.scale));
}

/** Maps a regression prediction back to target units. */
export function inverseTarget(p: FittedPreprocessor, v: number): number {
  const s = p.scale[p.target];
  return s ? v * s.scale + s.shift : v;
}

/**
 * A text regression model's target scaling: the preprocessor of the target
 * alone, standardized with the training split's mean and (population)
 * standard deviation as `standardize` does, so scaledTargetLog and
 * inverseTarget serve it as they serve a table's.
 */
export function standardizedTarget(target: string, trainValues: ArrayLike<number>): FittedPreprocessor {
  const n = trainValues.length;
  let mean = 0;
  for (let i = 0; i < n; i++) mean += trainValues[i];
  mean = n ? mean / n : 0;
  let squares = 0;
  for (let i = 0; i < n; i++) squares += (trainValues[i] - mean) ** 2;
  const sd = n ? Math.sqrt(squares / n) : 0;
  return { version: 1, task: 'regression', features: [], target, fill: {}, dropMissing: [], oneHot: [], scale: { [target]: { kind: 'standardize', shift: mean, scale: sd > 1e-12 ? sd : 1 } }, inputNames: [] };
}

/** A target cell as a number: a finite number, or text that reads as one; undefined otherwise. */
export function targetNumber(cell: unknown): number | undefined {
  if (typeof cell === 'number') return Number.isFinite(cell) ? cell : undefined;
  if (typeof cell !== 'string' || cell.trim() === '') return undefined;
  const v = Number(cell.trim());
  return Number.isFinite(v) ? v : undefined;
}
