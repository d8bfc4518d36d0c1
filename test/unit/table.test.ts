import assert from 'node:assert/strict';
import { test } from 'node:test';
import { cellAt, checkHeader, columnarTable, columnOf, DataError, formatOf, parseScalar, rowCount } from '../../src/core/table';
import type { Table } from '../../src/core/table';

test('parseScalar: numbers, empty spellings as null, anything else kept as the original text', () => {
  assert.equal(parseScalar('42'), 42);
  assert.equal(parseScalar(' -1.5e3 '), -1500);
  assert.equal(parseScalar('+.5'), 0.5);
  assert.equal(parseScalar('7.'), 7);
  assert.equal(parseScalar('1E-2'), 0.01);
  for (const empty of ['', '   ', 'NA', 'NaN', 'null', ' null ']) assert.equal(parseScalar(empty), null, JSON.stringify(empty));
  for (const text of [' paris ', 'na', 'None', '1,5', '1e', '0x1F', 'Infinity', '.', '-', '1 2', 'e3', '1.2.3', '12a', 'a12']) assert.equal(parseScalar(text), text, JSON.stringify(text));
});

test('formatOf: a declared format wins, else the extension (any case), else CSV', () => {
  assert.equal(formatOf('a.json'), 'json');
  assert.equal(formatOf('A.JSON'), 'json');
  assert.equal(formatOf('a.jsonl'), 'jsonl');
  assert.equal(formatOf('a.ndjson'), 'jsonl');
  assert.equal(formatOf('a.csv'), 'csv');
  assert.equal(formatOf('a.tsv'), 'csv');
  assert.equal(formatOf('data'), 'csv');
  assert.equal(formatOf('dir.json/data'), 'csv');
  assert.equal(formatOf('a.json', 'csv'), 'csv');
  assert.equal(formatOf('a.csv', 'jsonl'), 'jsonl');
  assert.equal(formatOf('a.csv', 'json'), 'json');
  assert.equal(formatOf('a.json', 'xml'), 'json');
});

test('checkHeader: names each empty or repeated column with its line', () => {
  checkHeader('f.csv', ['a', 'b']);
  assert.throws(() => checkHeader('f.csv', ['a', '', 'c']), (e: unknown) => e instanceof DataError && e.line === 1 && e.message === 'f.csv:1: column 2 has no name in the header');
  assert.throws(() => checkHeader('f.csv', ['a', 'b', 'a'], 3), (e: unknown) => e instanceof DataError && e.line === 3 && e.message === 'f.csv:3: column name "a" appears twice in the header');
});

test('DataError: the message names the file, and the line when known', () => {
  const withLine = new DataError('x.csv', 4, 'bad');
  assert.equal(withLine.message, 'x.csv:4: bad');
  assert.equal(withLine.name, 'DataError');
  assert.equal(withLine.detail, 'bad');
  assert.ok(withLine instanceof Error);
  assert.equal(new DataError('x.csv', undefined, 'bad').message, 'x.csv: bad');
  assert.equal(new DataError('x.csv', 0, 'bad').message, 'x.csv:0: bad');
});

test('cells: NaN in a numeric column reads as null; columnar tables build rows once, on demand', () => {
  const nums = Float64Array.from([1, NaN, 0]);
  assert.equal(cellAt(nums, 0), 1);
  assert.equal(cellAt(nums, 1), null);
  assert.equal(cellAt(nums, 2), 0);
  assert.equal(cellAt(['a', null], 0), 'a');
  const t = columnarTable('f.csv', ['n', 's'], [nums, ['x', null, 'z']], [2, 3, 5], 6);
  assert.equal(rowCount(t), 3);
  assert.equal(t.partialLastLine, 6);
  assert.equal(columnOf(t, 'n'), nums);
  assert.deepEqual(columnOf(t, 'missing'), [null, null, null]);
  const rows = t.rows;
  assert.deepEqual(rows, [{ n: 1, s: 'x' }, { n: null, s: null }, { n: 0, s: 'z' }]);
  assert.equal(t.rows, rows);
  assert.equal('partialLastLine' in columnarTable('f.csv', [], [], []), false);
  const plain: Table = { file: 'f.json', columns: ['a'], rows: [{ a: 1 }, { b: 2 }], lines: [1, 2] };
  assert.equal(rowCount(plain), 2);
  assert.deepEqual(columnOf(plain, 'a'), [1, undefined]);
});
