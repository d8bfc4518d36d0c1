import assert from 'node:assert/strict';
import { test } from 'node:test';
import { splitTable, totalRows } from '../../src/core/dataset';
import { columnarTable, DataError } from '../../src/core/table';
import type { Table } from '../../src/core/table';

const rowsTable = (n: number): Table => ({ file: 'r.json', columns: ['i'], rows: Array.from({ length: n }, (_, i) => ({ i })), lines: Array.from({ length: n }, (_, i) => i + 1) });
const columnsTable = (n: number): Table =>
  columnarTable('c.csv', ['i', 's'], [Float64Array.from({ length: n }, (_, i) => i), Array.from({ length: n }, (_, i) => `s${i}`)], Array.from({ length: n }, (_, i) => i + 2));

test('split sizes round each share; train keeps the rest', () => {
  const s = splitTable(rowsTable(10), 0.25, 0.15, 1);
  // 10 × 0.15 = 1.5 → 2 test rows, 10 × 0.25 = 2.5 → 3 validation rows
  assert.equal(s.test!.rows.length, 2);
  assert.equal(s.validation!.rows.length, 3);
  assert.equal(s.train.rows.length, 5);
  assert.equal(totalRows(s), 10);
  const none = splitTable(rowsTable(10), 0, 0, 1);
  assert.equal(none.validation, undefined);
  assert.equal(none.test, undefined);
  assert.equal(totalRows(none), 10);
  assert.equal(totalRows({ train: rowsTable(3), test: rowsTable(2) }), 5);
  assert.equal(totalRows({ train: rowsTable(3), validation: rowsTable(4) }), 7);
});

test('without shuffling the order is kept: train, then validation, then test', () => {
  const s = splitTable(rowsTable(6), 1 / 3, 1 / 6, 9, false);
  assert.deepEqual(s.train.rows.map((r) => r.i), [0, 1, 2]);
  assert.deepEqual(s.validation!.rows.map((r) => r.i), [3, 4]);
  assert.deepEqual(s.test!.rows.map((r) => r.i), [5]);
  assert.deepEqual(s.test!.lines, [6]);
  assert.equal(s.train.file, 'r.json');
  assert.deepEqual(s.train.columns, ['i']);
});

test('a shuffled split is the seeded permutation, every row once', () => {
  const s = splitTable(rowsTable(8), 0.25, 0.25, 7);
  // shuffleInPlace([0..7], seededRng(7)) is [6, 3, 5, 1, 0, 4, 2, 7]
  assert.deepEqual(s.train.rows.map((r) => r.i), [6, 3, 5, 1]);
  assert.deepEqual(s.validation!.rows.map((r) => r.i), [0, 4]);
  assert.deepEqual(s.test!.rows.map((r) => r.i), [2, 7]);
  assert.deepEqual(s.train.lines, [7, 4, 6, 2]);
});

test('a column-stored table is split column by column, numbers staying a Float64Array', () => {
  const s = splitTable(columnsTable(5), 0.2, 0.2, 3, false);
  assert.ok(s.train.cells);
  assert.ok(s.train.cells[0] instanceof Float64Array);
  assert.deepEqual(Array.from(s.train.cells[0]), [0, 1, 2]);
  assert.deepEqual(s.train.cells[1], ['s0', 's1', 's2']);
  assert.deepEqual(s.validation!.rows, [{ i: 3, s: 's3' }]);
  assert.deepEqual(s.test!.lines, [6]);
  assert.equal(totalRows(s), 5);
});

test('nothing left for training is an error naming the file', () => {
  assert.throws(() => splitTable(rowsTable(2), 0.5, 0.5, 1), (e: unknown) => e instanceof DataError && e.message === 'r.json: only 2 rows: nothing is left for training after the validation and test split');
  assert.throws(() => splitTable(rowsTable(0), 0, 0, 1), /only 0 rows/);
  assert.equal(splitTable(rowsTable(1), 0, 0, 1).train.rows.length, 1);
});
