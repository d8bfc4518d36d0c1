import assert from 'node:assert/strict';
import { test } from 'node:test';
import { columnsFromHead, parseTableText } from '../../src/core/tableText';
import { DataError } from '../../src/core/table';

const dataError = (line: number | undefined, detail: RegExp) => (e: unknown) => e instanceof DataError && e.line === line && detail.test(e.detail);

test('CSV: the dialect is guessed (semicolons, tabs, CRLF) and the scanner reads the cells', () => {
  const semi = parseTableText('a.csv', 'x;y\r\n1;a\r\n2;b\r\n');
  assert.deepEqual(semi.columns, ['x', 'y']);
  assert.deepEqual(semi.rows, [{ x: 1, y: 'a' }, { x: 2, y: 'b' }]);
  assert.ok(semi.cells);
  const tabs = parseTableText('a.tsv', 'x\ty\n1\t2\n', 'csv');
  assert.deepEqual(tabs.rows, [{ x: 1, y: 2 }]);
  // an unknown extension is CSV
  assert.deepEqual(parseTableText('data.txt', 'a,b\n1,2\n').rows, [{ a: 1, b: 2 }]);
});

test('CSV with quoting the scanner leaves to Papa: repaired or reported like before', () => {
  // spaces after a closing quote: Papa drops them
  const t = parseTableText('q.csv', 'a,b\n"x" ,1\n2,3\n');
  assert.equal(t.cells, undefined);
  assert.deepEqual(t.columns, ['a', 'b']);
  assert.deepEqual(t.rows, [{ a: 'x', b: 1 }, { a: 2, b: 3 }]);
  assert.deepEqual(t.lines, [2, 3]);
  assert.throws(() => parseTableText('u.csv', 'a,b\n1,2\n"open,3\n'), dataError(3, /^quoted field unterminated$/));
  assert.throws(() => parseTableText('v.csv', 'a,b\n"x"y,1\n'), dataError(2, /^trailing quote on quoted field is malformed$/));
  // the Papa path: field counts, a growing file's short last row, header checks
  assert.throws(() => parseTableText('p.csv', 'a,b\n"x" ,1\n3\n4,5\n'), dataError(3, /^expected 2 fields \(as in the header\) but found 1$/));
  const growing = parseTableText('g.csv', 'a,b\n"x" ,1\n2,3\n4');
  assert.deepEqual(growing.rows, [{ a: 'x', b: 1 }, { a: 2, b: 3 }]);
  assert.equal(growing.partialLastLine, 4);
  assert.deepEqual(growing.lines, [2, 3]);
  // the only record, short, is an error even without a final line break
  assert.throws(() => parseTableText('g1.csv', 'a,b\n"x" '), dataError(2, /malformed/));
  assert.throws(() => parseTableText('g2.csv', 'a,b\n"x" \n'), dataError(2, /found 1/));
  assert.throws(() => parseTableText('g3.csv', 'a,b\n"x" ,1\n2,3\n4\n'), dataError(4, /found 1/));
  assert.deepEqual(parseTableText('g4.csv', '"x" ,a\n'), { file: 'g4.csv', columns: ['x', 'a'], rows: [], lines: [] });
  assert.throws(() => parseTableText('h.csv', ' a ,a\n"x" ,1\n'), /"a" appears twice/);
  assert.deepEqual(parseTableText('t.csv', ' a , b \n"x" ,1\n').columns, ['a', 'b']);
});

test('empty files are refused in every format', () => {
  for (const name of ['e.csv', 'e.json', 'e.jsonl']) assert.throws(() => parseTableText(name, ' \n\t\n'), dataError(undefined, /^the file is empty$/));
  assert.throws(() => parseTableText('e.jsonl', '\n'), /the file is empty/);
  assert.throws(() => parseTableText('e.json', '[]'), dataError(undefined, /^the file has no records$/));
});

test('JSON: an array of records, or one under "data" or "rows"; values become cells', () => {
  const t = parseTableText('a.json', JSON.stringify([{ n: 1, s: '2.5', t: 'text', b: true, f: false, z: null, o: { k: 1 } }, { n: 2, extra: 'NA' }]));
  assert.deepEqual(t.columns, ['n', 's', 't', 'b', 'f', 'z', 'o', 'extra']);
  assert.deepEqual(t.rows, [{ n: 1, s: 2.5, t: 'text', b: 1, f: 0, z: null, o: '{"k":1}' }, { n: 2, extra: null }]);
  assert.deepEqual(t.lines, [1, 2]);
  assert.deepEqual(parseTableText('d.json', '{"data":[{"a":1}]}').rows, [{ a: 1 }]);
  assert.deepEqual(parseTableText('r.json', '{"rows":[{"a":2}]}').rows, [{ a: 2 }]);
  assert.deepEqual(parseTableText('dr.json', '{"data":[{"a":3}],"rows":[{"a":4}]}').rows, [{ a: 3 }]);
  assert.throws(() => parseTableText('o.json', '{"a":1}'), dataError(undefined, /^expected an array of records$/));
  assert.throws(() => parseTableText('s.json', '"text"'), /expected an array of records/);
  assert.throws(() => parseTableText('b.json', '[{"a":1},'), dataError(undefined, /^not valid JSON \(/));
  assert.throws(() => parseTableText('x.json', '[{"a":1},[2]]'), dataError(2, /^each record must be a JSON object$/));
  assert.throws(() => parseTableText('y.json', '[null]'), dataError(1, /each record must be a JSON object/));
  assert.throws(() => parseTableText('y.json', '[3]'), dataError(1, /each record must be a JSON object/));
  // a declared format wins over the extension
  assert.deepEqual(parseTableText('a.csv', '[{"a":1}]', 'json').rows, [{ a: 1 }]);
});

test('JSONL: a record per line, blank lines skipped, lines kept; a cut-off last line is left out', () => {
  const t = parseTableText('a.jsonl', '{"a":1}\r\n\r\n  {"b":"x"}  \n');
  assert.deepEqual(t.rows, [{ a: 1 }, { b: 'x' }]);
  assert.deepEqual(t.lines, [1, 3]);
  assert.deepEqual(t.columns, ['a', 'b']);
  assert.throws(() => parseTableText('b.jsonl', '{"a":1}\n{"a":\n{"a":3}\n'), dataError(2, /^not valid JSON \(/));
  assert.throws(() => parseTableText('c.jsonl', '{"a":1}\n{"a":\n'), dataError(2, /not valid JSON/));
  assert.throws(() => parseTableText('d.jsonl', '{"a":'), dataError(1, /not valid JSON/));
  const growing = parseTableText('g.jsonl', '{"a":1}\n{"a":2}\n{"a":');
  assert.deepEqual(growing.rows, [{ a: 1 }, { a: 2 }]);
  assert.equal(growing.partialLastLine, 3);
  assert.deepEqual(growing.columns, ['a']);
  assert.throws(() => parseTableText('n.jsonl', '[1]\n'), dataError(1, /each record must be a JSON object/));
  assert.deepEqual(parseTableText('n.ndjson', '{"a":5}\n').rows, [{ a: 5 }]);
});

test('columnsFromHead: the CSV header, or the keys of the first JSONL records', () => {
  assert.deepEqual(columnsFromHead('a.csv', '\n a ,"b,c"\n1,2\n', 'csv'), ['a', 'b,c']);
  assert.deepEqual(columnsFromHead('a.jsonl', '{"a":1}\n\n{"b":2,"a":3}\n{"c":', 'jsonl'), ['a', 'b']);
  assert.deepEqual(columnsFromHead('a.jsonl', '{"a":1}\nnot json\n{"z":1}\n', 'jsonl'), ['a']);
  assert.deepEqual(columnsFromHead('a.jsonl', '5\n{"a":1}\n', 'jsonl'), ['a']);
  const many = Array.from({ length: 25 }, (_, i) => JSON.stringify({ [`k${i}`]: i })).join('\n');
  assert.equal(columnsFromHead('m.jsonl', many, 'jsonl').length, 20);
  assert.throws(() => columnsFromHead('e.csv', ' \r\n\n', 'csv'), dataError(undefined, /^the file is empty$/));
});
