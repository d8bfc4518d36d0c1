// CSV text to a table (parseTableText → the hand-written scanner in
// src/core/csvScanner.ts, Papa Parse for the dialect and for malformed
// quoting): numbers come out as numbers, empty cells as null, RFC 4180
// quoting ("" escapes, line breaks inside quotes) with the physical line each
// record starts on, CRLF, ";" as the delimiter, and errors that name the line.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DataError, type Table } from '../../src/core/table';
import { parseTableText } from '../../src/core/tableText';

const FILE = 'data.csv';
const parse = (text: string): Table => parseTableText(FILE, text);

/** The table's rows, column by column in header order. */
function rowsOf(t: Table): unknown[][] {
  return t.rows.map((r) => t.columns.map((c) => r[c]));
}

/** Asserts that parsing `text` throws a DataError about `line` whose message matches `detail`. */
function assertDataError(text: string, line: number | undefined, detail: RegExp): void {
  assert.throws(
    () => parse(text),
    (e: unknown) => {
      assert.ok(e instanceof DataError, `not a DataError: ${String(e)}`);
      assert.equal(e.line, line, e.message);
      assert.match(e.detail, detail);
      assert.equal(e.message, line === undefined ? `${FILE}: ${e.detail}` : `${FILE}:${line}: ${e.detail}`);
      return true;
    },
  );
}

test('numbers are numbers, text is text, empty cells are null, and the scanner (not Papa) read it', () => {
  const t = parse('id,price,name,note\n1,2.5,north,\n2,-3e2,south,x\n3,,"",NA\n4,  ,  ,null\n');
  assert.deepEqual(t.columns, ['id', 'price', 'name', 'note']);
  assert.deepEqual(rowsOf(t), [
    [1, 2.5, 'north', null],
    [2, -300, 'south', 'x'],
    [3, null, null, null],
    [4, null, null, null],
  ]);
  for (const row of t.rows) assert.equal(typeof row.id, 'number');
  assert.deepEqual(t.lines, [2, 3, 4, 5]);
  // The scanner keeps the cells column by column; Papa's fallback does not.
  assert.ok(t.cells, 'read by the scanner');
  assert.ok(t.cells![0] instanceof Float64Array, 'a numeric column is a Float64Array');
  assert.equal(t.partialLastLine, undefined);
});

test('numbers the scanner reads itself and those it leaves to parseScalar agree with Number()', () => {
  const values = ['0', '-0.5', '+7', '.25', '5.', '1e-7', '1E22', '123456789012345', '1234567890123456789', '1e23', '0.1e-30'];
  const t = parse(`v\n${values.join('\n')}\n`);
  assert.deepEqual(
    t.rows.map((r) => r.v),
    values.map((v) => Number(v)),
  );
});

test('quoted fields: delimiters inside quotes, "" escapes, quoted numbers and quoted empties', () => {
  const t = parse('name,quote,n\n"Smith, J","say ""hi""","1.5"\n"a""b",""""," "\n"",plain,""\n');
  assert.deepEqual(rowsOf(t), [
    ['Smith, J', 'say "hi"', 1.5],
    ['a"b', '"', null],
    [null, 'plain', null],
  ]);
  assert.ok(t.cells, 'read by the scanner');
});

test('a quote inside an unquoted field is an ordinary character', () => {
  const t = parse('a,b\n1,5" screen\n2,x"y"z\n');
  assert.deepEqual(rowsOf(t), [
    [1, '5" screen'],
    [2, 'x"y"z'],
  ]);
  assert.ok(t.cells, 'read by the scanner');
});

test('line breaks inside quotes stay in the cell, and every record keeps the line it starts on', () => {
  const t = parse('id,text,n\n1,"line one\nline two",5\n2,plain,6\n3,"a\n\nb",7\n4,x,8\n');
  assert.deepEqual(rowsOf(t), [
    [1, 'line one\nline two', 5],
    [2, 'plain', 6],
    [3, 'a\n\nb', 7],
    [4, 'x', 8],
  ]);
  assert.deepEqual(t.lines, [2, 4, 5, 8]);
  assert.ok(t.cells, 'read by the scanner');
});

test('an error after quoted line breaks names the physical line', () => {
  assertDataError('id,text\n1,"a\nb"\n2,"c\nd\ne"\n3,f,extra\n4,g\n', 7, /^expected 2 fields \(as in the header\) but found 3$/);
  assertDataError('id,text\n1,"a\nb"\n2\n3,g\n', 4, /^expected 2 fields \(as in the header\) but found 1$/);
});

test('CRLF line breaks: no \\r left in the last column, CRLF inside quotes kept, lines counted', () => {
  const t = parse('a,b,c\r\n1,2,x\r\n3,"two\r\nlines",y\r\n\r\n5,6,z\r\n');
  assert.deepEqual(rowsOf(t), [
    [1, 2, 'x'],
    [3, 'two\r\nlines', 'y'],
    [5, 6, 'z'],
  ]);
  assert.deepEqual(t.lines, [2, 3, 6]);
  assert.ok(t.cells, 'read by the scanner');
  assertDataError('a,b\r\n1,2\r\n3\r\n4,5\r\n', 3, /^expected 2 fields \(as in the header\) but found 1$/);
});

test('";" as the delimiter: a comma is then an ordinary character', () => {
  const t = parse('city;price;note\nBerlin;2.5;"a; b"\nParis;;x, y\nRome;3;\n');
  assert.deepEqual(t.columns, ['city', 'price', 'note']);
  assert.deepEqual(rowsOf(t), [
    ['Berlin', 2.5, 'a; b'],
    ['Paris', null, 'x, y'],
    ['Rome', 3, null],
  ]);
  assert.ok(t.cells, 'read by the scanner');
  assertDataError('a;b\n1;2\n3;4;5\n6;7\n', 3, /^expected 2 fields \(as in the header\) but found 3$/);
});

test('blank lines are skipped and the line numbers stay physical; the header is trimmed', () => {
  const t = parse('\n  a , b\n\n1,2\n   ,  \n3,4\n\n');
  assert.deepEqual(t.columns, ['a', 'b']);
  assert.deepEqual(rowsOf(t), [
    [1, 2],
    [3, 4],
  ]);
  assert.deepEqual(t.lines, [4, 6]);
});

test('a last record cut short in a file without a final newline is left out as partial; with the newline it is an error', () => {
  const t = parse('a,b\n1,2\n3,4\n5');
  assert.deepEqual(rowsOf(t), [
    [1, 2],
    [3, 4],
  ]);
  assert.equal(t.partialLastLine, 4);
  assertDataError('a,b\n1,2\n3,4\n5\n', 4, /^expected 2 fields \(as in the header\) but found 1$/);
  // A short record followed by another is an error whatever the end of the file.
  assertDataError('a,b\n1,2\n3\n5,6', 3, /^expected 2 fields \(as in the header\) but found 1$/);
});

test('header problems name the header line', () => {
  assertDataError('a,a\n1,2\n', 1, /^column name "a" appears twice in the header$/);
  assertDataError('\n\na,,c\n1,2,3\n', 3, /^column 2 has no name in the header$/);
  assertDataError('   \n\n', undefined, /^the file is empty$/);
});

test('malformed quoting falls back to Papa Parse: an unterminated quote fails naming the line it opens on', () => {
  // The scanner cannot close the quote, so Papa reads the file and reports it.
  assertDataError('a,b\n1,2\n3,"never closed\n4,5\n', 3, /^quoted field unterminated$/);
  // After a quoted line break, still the physical line.
  assertDataError('a,b\n1,"two\nlines"\n3,4\n5,"open\n', 5, /^quoted field unterminated$/);
});

test('malformed quoting falls back to Papa Parse: text after a closing quote fails naming its line', () => {
  assertDataError('a,b\n1,2\n3,"x"y\n4,5\n', 3, /^trailing quote on quoted field is malformed$/);
  assertDataError('a;b\r\n1;2\r\n3;"x"y\r\n4;5\r\n', 3, /^trailing quote on quoted field is malformed$/);
});

test('malformed quoting Papa repairs (a space after the closing quote) reads as Papa reads it', () => {
  const t = parse('a,b\n"x" ,2\n3,4\n');
  // Papa, not the scanner: no column-wise cells.
  assert.equal(t.cells, undefined);
  assert.deepEqual(rowsOf(t), [
    ['x', 2],
    [3, 4],
  ]);
  assert.deepEqual(t.lines, [2, 3]);
});
