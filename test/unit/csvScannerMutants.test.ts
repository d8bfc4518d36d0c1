import assert from 'node:assert/strict';
import { test } from 'node:test';
import { scanCsv } from '../../src/core/csvScanner';
import { DataError, parseScalar } from '../../src/core/table';
import type { Table } from '../../src/core/table';

const scan = (text: string, delimiter = ',', newline = '\n'): Table | undefined => scanCsv('f.csv', text, delimiter, newline);

function table(text: string, delimiter = ',', newline = '\n'): Table {
  const t = scan(text, delimiter, newline);
  assert.ok(t, 'scanned');
  return t;
}

test('numbers are read exactly as Number() reads them (parseScalar decides the unusual spellings)', () => {
  const spellings = [
    '0', '7', '-7', '+7', '12.5', '-0.25', '.5', '-.5', '5.', '1e3', '1E3', '1e+3', '1e-3', '-2.5e-7', '+4.25E+2',
    '123456789012345', '1234567890123456', '0.1', '0.30000000000000004', '1e22', '1e23', '1e-22', '1e-23', '12e-30',
    '9007199254740993', '1e1000', '1e-1000', '007', '1.2.3', '1e', '1e+', '--1', '+-1', '-', '+', '.', 'e5', '1x', '0x10',
    '1,5', 'Infinity', '-Infinity', 'NaN', 'NA', 'null', 'abc', ' 3 ', '3 ', '1_000', '1e0001', '1e999',
    '99999999999999999999', '0.000001', '123.456e-2', '9.99e21', '1e21',
  ];
  const text = 'v\n' + spellings.map((s) => (s.includes(',') ? `"${s}"` : s)).join('\n') + '\n';
  const t = table(text);
  assert.equal(t.lines.length, spellings.length);
  const col = t.cells![0];
  spellings.forEach((s, i) => {
    const want = parseScalar(s);
    const got = col[i];
    const cell = typeof got === 'number' && Number.isNaN(got) ? null : got;
    assert.equal(cell, want, `"${s}"`);
    if (typeof want === 'number') assert.ok(Object.is(cell, want), `"${s}": ${String(cell)} vs ${want}`);
  });
});

test('a numeric column is a Float64Array with NaN for empty cells; a text cell turns it into cells, keeping earlier numbers', () => {
  const t = table('a,b,c\n1,,x\n,2.5,y\n3,4,\nhello,5,z\n');
  assert.deepEqual(t.columns, ['a', 'b', 'c']);
  assert.ok(!(t.cells![0] instanceof Float64Array));
  assert.deepEqual(t.cells![0], [1, null, 3, 'hello']);
  assert.ok(t.cells![1] instanceof Float64Array);
  assert.deepEqual(Array.from(t.cells![1]), [NaN, 2.5, 4, 5]);
  assert.deepEqual(t.cells![2], ['x', 'y', null, 'z']);
  assert.deepEqual(t.lines, [2, 3, 4, 5]);
  assert.deepEqual(t.rows[3], { a: 'hello', b: 5, c: 'z' });
  assert.equal(t.partialLastLine, undefined);
});

test('quoted fields: delimiters, escaped quotes, line breaks (counted), numbers in quotes; header names trimmed', () => {
  const t = table(' name , note,n\n"Smith, J","say ""hi""","42"\n"two\nlines","",7\nplain,"a""b",8\n');
  assert.deepEqual(t.columns, ['name', 'note', 'n']);
  assert.deepEqual(t.rows, [
    { name: 'Smith, J', note: 'say "hi"', n: 42 },
    { name: 'two\nlines', note: null, n: 7 },
    { name: 'plain', note: 'a"b', n: 8 },
  ]);
  assert.deepEqual(t.lines, [2, 3, 5]);
  assert.deepEqual(table('"h1","h ""2"""\n1,2\n').columns, ['h1', 'h "2"']);
});

test('blank records are skipped (lines keep counting); whitespace-only cells read as empty', () => {
  const t = table('a,b\n\n1,2\n,\n  ,  \n3,4\n');
  assert.deepEqual(t.rows, [{ a: 1, b: 2 }, { a: 3, b: 4 }]);
  assert.deepEqual(t.lines, [3, 6]);
  const lead = table('\n\na,b\n1,2\n');
  assert.deepEqual(lead.columns, ['a', 'b']);
  assert.deepEqual(lead.lines, [4]);
  // a record of quoted empty strings is blank too
  assert.deepEqual(table('a,b\n"",""\n5,6\n').lines, [3]);
  // a row with one text cell among blanks is kept
  assert.deepEqual(table('a,b\n,x\n').rows, [{ a: null, b: 'x' }]);
});

test('other dialects: semicolons and tabs, CRLF and CR line breaks', () => {
  assert.deepEqual(table('a;b\r\n1;2,5\r\n3;x\r\n', ';', '\r\n').rows, [{ a: 1, b: '2,5' }, { a: 3, b: 'x' }]);
  const crlf = table('a,b\r\n"1\r\n2",3\r\n4,5\r\n', ',', '\r\n');
  assert.deepEqual(crlf.rows, [{ a: '1\r\n2', b: 3 }, { a: 4, b: 5 }]);
  assert.deepEqual(crlf.lines, [2, 4]);
  // a lone CR inside a CRLF file is part of the cell
  assert.deepEqual(table('a,b\r\nx\ry,1\r\n', ',', '\r\n').rows, [{ a: 'x\ry', b: 1 }]);
  const cr = table('a\tb\r1\t2\r"p\rq"\t3\r', '\t', '\r');
  assert.deepEqual(cr.rows, [{ a: 1, b: 2 }, { a: 'p\rq', b: 3 }]);
  assert.deepEqual(cr.lines, [2, 3]);
  // no final line break
  assert.deepEqual(table('a,b\n1,2').rows, [{ a: 1, b: 2 }]);
});

test('a record with the wrong field count names its line; a short last record of a growing file is left out', () => {
  assert.throws(() => scan('a,b\n1,2\n3\n4,5\n'), (e: unknown) => e instanceof DataError && e.line === 3 && e.detail === 'expected 2 fields (as in the header) but found 1');
  assert.throws(() => scan('a,b\n1,2,3\n'), (e: unknown) => e instanceof DataError && e.line === 2 && e.detail === 'expected 2 fields (as in the header) but found 3');
  // ends with a newline: the short record is an error even when last
  assert.throws(() => scan('a,b\n1,2\n3\n'), (e: unknown) => e instanceof DataError && e.line === 3);
  // the only record, cut short, is an error too
  assert.throws(() => scan('a,b\n3'), (e: unknown) => e instanceof DataError && e.line === 2);
  const growing = table('a,b\n1,2\n3,4\n5');
  assert.deepEqual(growing.rows, [{ a: 1, b: 2 }, { a: 3, b: 4 }]);
  assert.deepEqual(Array.from(growing.cells![0]), [1, 3]);
  assert.equal(growing.partialLastLine, 4);
  // a short record followed by another is an error at the short one
  assert.throws(() => scan('a,b\n1,2\n3\n4,5'), (e: unknown) => e instanceof DataError && e.line === 3 && /found 1/.test(e.message));
  // a short record followed only by blank lines is still the last one
  assert.throws(() => scan('a,b\n1,2\n3\n\n'), (e: unknown) => e instanceof DataError && e.line === 3);
});

test('empty files, header problems and malformed quoting', () => {
  assert.throws(() => scan(''), (e: unknown) => e instanceof DataError && e.line === undefined && e.detail === 'the file is empty');
  assert.throws(() => scan('\n\n,\n'), /the file is empty/);
  assert.throws(() => scan('a,a\n1,2\n'), (e: unknown) => e instanceof DataError && e.line === 1 && /"a" appears twice/.test(e.message));
  assert.throws(() => scan('\na,,b\n'), (e: unknown) => e instanceof DataError && e.line === 2 && /column 2 has no name/.test(e.message));
  const headerOnly = table('a,b\n');
  assert.deepEqual(headerOnly.lines, []);
  assert.deepEqual(headerOnly.cells!.map((c) => c.length), [0, 0]);
  assert.equal(scan('a,b\n"open,1\n'), undefined);
  assert.equal(scan('a,b\n"x"y,1\n'), undefined);
  assert.equal(scan('a,b\n"x""\n'), undefined);
  // a quote after the first character is part of a plain field
  assert.deepEqual(table('a,b\nx"y,1\n').rows, [{ a: 'x"y', b: 1 }]);
  // a closing quote right before a CR that is not a CRLF break is malformed in a CRLF file
  assert.equal(scan('a\r\n"x"\ry\r\n', ',', '\r\n'), undefined);
  assert.deepEqual(table('a\r\n"x"\r\n', ',', '\r\n').rows, [{ a: 'x' }]);
});
