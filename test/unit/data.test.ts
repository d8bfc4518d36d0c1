import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { splitTable } from '../../src/core/dataset';
import { loadSplits } from '../../src/node/dataFiles';
import { fitPreprocessor, inverseTarget, transformTable } from '../../src/core/preprocess';
import { DataError } from '../../src/core/table';
import { probeColumns, readTable } from '../../src/node/tableFile';
import type { ExperimentConfig } from '../../src/core/types';
import { tempDir, writeFiles } from '../helpers/fixtures';

function file(name: string, text: string | Buffer): string {
  const p = join(tempDir(), name);
  writeFileSync(p, text);
  return p;
}

test('CSV: numbers, quoted text with commas, empty cells as missing', () => {
  const t = readTable(file('a.csv', 'n,name,v\n1,"Smith, J",2.5\n2,Lee,\n'));
  assert.deepEqual(t.columns, ['n', 'name', 'v']);
  assert.deepEqual(t.rows, [{ n: 1, name: 'Smith, J', v: 2.5 }, { n: 2, name: 'Lee', v: null }]);
  assert.deepEqual(t.lines, [2, 3]);
});

test('CSV: a row with the wrong number of fields names the file and line', () => {
  const p = file('bad.csv', 'a,b\n1,2\n3\n');
  assert.throws(() => readTable(p), (e: unknown) => e instanceof DataError && e.line === 3 && /expected 2 fields .* but found 1/.test(e.message) && e.message.startsWith(p));
});

test('empty, binary and header problems are clear errors', () => {
  assert.throws(() => readTable(file('e.csv', '')), /the file is empty/);
  assert.throws(() => readTable(file('b.csv', Buffer.from([0x50, 0x4b, 0x03, 0x04, 0x00, 0x00]))), /binary, not text/);
  assert.throws(() => readTable(file('h.csv', 'a,a\n1,2\n')), /"a" appears twice/);
});

test('JSON and JSONL records; a bad JSONL line is reported by number', () => {
  const j = readTable(file('a.json', JSON.stringify([{ x: 1, y: 'a' }, { x: 2, y: 'b', z: true }])));
  assert.deepEqual(j.columns, ['x', 'y', 'z']);
  assert.equal(j.rows[1].z, 1);
  const l = readTable(file('a.jsonl', '{"x":1}\n\n{"x":2}\n'));
  assert.deepEqual(l.rows, [{ x: 1 }, { x: 2 }]);
  assert.deepEqual(l.lines, [1, 3]);
  assert.throws(() => readTable(file('b.jsonl', '{"x":1}\n{"x":\n')), (e: unknown) => e instanceof DataError && e.line === 2);
  assert.deepEqual(probeColumns(file('p.jsonl', '{"a":1,"b":2}\n{"a":3,"c":4}\n')), ['a', 'b', 'c']);
});

test('the seeded split is the same for the same seed, different for another, and covers every row once', () => {
  const rows = Array.from({ length: 100 }, (_, i) => `${i},${i * 2}`).join('\n');
  const t = readTable(file('s.csv', 'a,b\n' + rows + '\n'));
  const s1 = splitTable(t, 0.2, 0.1, 42);
  const s2 = splitTable(t, 0.2, 0.1, 42);
  const s3 = splitTable(t, 0.2, 0.1, 43);
  assert.equal(s1.train.rows.length, 70);
  assert.equal(s1.validation!.rows.length, 20);
  assert.equal(s1.test!.rows.length, 10);
  assert.deepEqual(s1.train.rows, s2.train.rows);
  assert.notDeepEqual(s1.train.rows, s3.train.rows);
  const all = [...s1.train.rows, ...s1.validation!.rows, ...s1.test!.rows].map((r) => r.a as number).sort((a, b) => a - b);
  assert.deepEqual(all, Array.from({ length: 100 }, (_, i) => i));
});

function cfg(data: Partial<ExperimentConfig['data']>, task: ExperimentConfig['task'] = 'regression'): ExperimentConfig {
  return { name: 't', task, data: { source: 'x.csv', ...data }, model: { layers: [{ type: 'dense', units: 1 }] }, training: {} };
}

test('standardize uses training statistics only and is saved to apply the same transform later', () => {
  const train = readTable(file('tr.csv', 'a,y\n0,1\n2,1\n4,1\n'));
  const test = readTable(file('te.csv', 'a,y\n100,1\n'));
  const p = fitPreprocessor(cfg({ features: ['a'], target: 'y', preprocess: [{ standardize: 'features' }] }), train);
  assert.equal(p.scale.a.shift, 2);
  assert.ok(Math.abs(p.scale.a.scale - Math.sqrt(8 / 3)) < 1e-12);
  const e = transformTable(p, test);
  assert.ok(Math.abs(e.x[0] - (100 - 2) / Math.sqrt(8 / 3)) < 1e-4);
  // a round trip through JSON (as saved with the model) gives the same encoding
  const p2 = JSON.parse(JSON.stringify(p));
  assert.deepEqual(transformTable(p2, test).x, e.x);
});

test('minMax, one-hot (unseen category → zeros), target scaling and its inverse', () => {
  const train = readTable(file('tr.csv', 'size,city,price\n10,paris,100\n20,rome,300\n30,paris,200\n'));
  const p = fitPreprocessor(cfg({ features: ['size', 'city'], target: 'price', preprocess: [{ minMax: 'features' }, { oneHot: ['city'] }, { standardize: ['price'] }] }), train);
  assert.deepEqual(p.inputNames, ['size', 'city=paris', 'city=rome']);
  const e = transformTable(p, readTable(file('te.csv', 'size,city,price\n20,oslo,250\n30,rome,200\n')));
  assert.deepEqual(Array.from(e.x), [0.5, 0, 0, 1, 0, 1]);
  assert.ok(Math.abs(inverseTarget(p, e.y[0]) - 250) < 1e-3);
});

test('missing values: an error naming file, line and column; or filled by the training mean; or dropped', () => {
  const p1 = file('m.csv', 'a,b,y\n1,2,3\n,4,5\n');
  const t = readTable(p1);
  const p = fitPreprocessor(cfg({ features: ['a', 'b'], target: 'y' }), t);
  assert.throws(() => transformTable(p, t), (e: unknown) => e instanceof DataError && e.message.startsWith(`${p1}:3:`) && /column "a" is empty/.test(e.message));
  const filled = fitPreprocessor(cfg({ features: ['a', 'b'], target: 'y', preprocess: [{ fillMissing: { strategy: 'mean' } }] }), t);
  assert.deepEqual(Array.from(transformTable(filled, t).x), [1, 2, 1, 4]);
  const dropped = fitPreprocessor(cfg({ features: ['a', 'b'], target: 'y', preprocess: [{ fillMissing: { strategy: 'drop' } }] }), t);
  const d = transformTable(dropped, t);
  assert.equal(d.rows, 1);
  assert.equal(d.skipped, 1);
});

test('text in a numeric column is an error that suggests oneHot', () => {
  const p1 = file('t.csv', 'a,y\n1,2\nbig,3\n');
  const t = readTable(p1);
  const p = fitPreprocessor(cfg({ features: ['a'], target: 'y' }), t);
  assert.throws(() => transformTable(p, t), /t\.csv:3: column "a" holds text \("big"\).*oneHot/);
});

test('classification labels: sorted, a single class is refused, unseen test classes are skipped', () => {
  const tr = readTable(file('c.csv', 'a,label\n1,cat\n2,dog\n3,cat\n'));
  const p = fitPreprocessor(cfg({ features: ['a'], target: 'label' }, 'classification'), tr);
  assert.deepEqual(p.labels, ['cat', 'dog']);
  assert.deepEqual(Array.from(transformTable(p, tr).y), [0, 1, 0]);
  const te = transformTable(p, readTable(file('c2.csv', 'a,label\n1,bird\n2,dog\n')));
  assert.equal(te.rows, 1);
  assert.equal(te.skipped, 1);
  const one = readTable(file('c3.csv', 'a,label\n1,cat\n2,cat\n'));
  assert.throws(() => fitPreprocessor(cfg({ features: ['a'], target: 'label' }, 'classification'), one), /only one class \("cat"\)/);
});

test('loadSplits reads separate files relative to the config', () => {
  const dir = tempDir();
  writeFiles(dir, { 'd/train.csv': 'a,y\n1,2\n', 'd/val.jsonl': '{"a":3,"y":4}\n' });
  const s = loadSplits({ train: 'd/train.csv', validation: 'd/val.jsonl' }, join(dir, 'x.experiment.json'));
  assert.equal(s.train.rows.length, 1);
  assert.deepEqual(s.validation!.rows, [{ a: 3, y: 4 }]);
  assert.equal(s.test, undefined);
});
