// An experiment's train / validation / test tables, and the seeded split of one
// table into them (reading the files is src/node/dataFiles.ts).

import { cellAt, columnarTable, columnOf, rowCount, DataError } from './table';
import type { Cell, Column, Table } from './table';
import { seededRng, shuffleInPlace } from './random';

export interface DataSplits {
  train: Table;
  validation?: Table;
  test?: Table;
}

/** Rows over all splits (without making a column-stored table build its rows). */
export function totalRows(s: DataSplits): number {
  return rowCount(s.train) + (s.validation ? rowCount(s.validation) : 0) + (s.test ? rowCount(s.test) : 0);
}

/** The rows `idx` of a table, in that order. */
export function subsetTable(t: Table, idx: readonly number[]): Table {
  return subset(t, idx as number[]);
}

/**
 * One table of `a`'s rows then `b`'s (train + validation, as cross-validation
 * and a retrain on all the training data take them). The columns are `a`'s;
 * a column `b` lacks is empty in its rows. Kept column by column when both are.
 */
export function concatTables(a: Table, b: Table): Table {
  const lines = [...a.lines, ...b.lines];
  if (a.cells && b.cells) {
    const cells = a.columns.map((name, c) => joinColumns(a.cells![c], columnOf(b, name)));
    return columnarTable(a.file, a.columns, cells, lines);
  }
  const rows = [...a.rows, ...b.rows.map((r) => Object.fromEntries(a.columns.map((name) => [name, r[name] ?? null])))];
  return { file: a.file, columns: a.columns, rows, lines };
}

function joinColumns(x: Column, y: Column): Column {
  if (x instanceof Float64Array && y instanceof Float64Array) {
    const out = new Float64Array(x.length + y.length);
    out.set(x);
    out.set(y, x.length);
    return out;
  }
  const out: Cell[] = [];
  for (let i = 0; i < x.length; i++) out.push(cellAt(x, i) ?? null);
  for (let i = 0; i < y.length; i++) out.push(cellAt(y, i) ?? null);
  return out;
}

function subset(t: Table, idx: number[]): Table {
  const lines = idx.map((i) => t.lines[i]);
  // A table kept column by column is split column by column, without making its rows.
  if (t.cells) return columnarTable(t.file, t.columns, t.cells.map((c) => pick(c, idx)), lines);
  return { file: t.file, columns: t.columns, rows: idx.map((i) => t.rows[i]), lines };
}

function pick(column: Column, idx: number[]): Column {
  if (!(column instanceof Float64Array)) return idx.map((i) => column[i]);
  const out = new Float64Array(idx.length);
  for (let k = 0; k < idx.length; k++) out[k] = column[idx[k]];
  return out;
}

/** Seeded split of one table; the same seed gives the same rows on every machine. */
export function splitTable(t: Table, validation: number, test: number, seed: number, shuffle = true): DataSplits {
  const idx = Array.from({ length: rowCount(t) }, (_, i) => i);
  if (shuffle) shuffleInPlace(idx, seededRng(seed));
  const n = idx.length;
  const nTest = Math.round(n * test);
  const nVal = Math.round(n * validation);
  const nTrain = n - nTest - nVal;
  if (nTrain < 1) throw new DataError(t.file, undefined, `only ${n} rows: nothing is left for training after the validation and test split`);
  return {
    train: subset(t, idx.slice(0, nTrain)),
    validation: nVal > 0 ? subset(t, idx.slice(nTrain, nTrain + nVal)) : undefined,
    test: nTest > 0 ? subset(t, idx.slice(nTrain + nVal)) : undefined,
  };
}
