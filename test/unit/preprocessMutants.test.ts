import assert from 'node:assert/strict';
import { test } from 'node:test';
import { encodeFeatures, fitPreprocessor, inverseTarget, transformTable } from '../../src/core/preprocess';
import { columnarTable, DataError } from '../../src/core/table';
import type { Cell, Table } from '../../src/core/table';
import type { ExperimentConfig } from '../../src/core/types';

function cfg(data: Partial<ExperimentConfig['data']>, task: ExperimentConfig['task'] = 'regression'): ExperimentConfig {
  return { name: 't', task, data: { source: 'x.csv', ...data }, model: { layers: [{ type: 'dense', units: 1 }] }, training: {} };
}

/** A table of row objects (as JSON files give), lines 2, 3, … */
function rows(columns: string[], data: Cell[][]): Table {
  return { file: 'mem.csv', columns, rows: data.map((r) => Object.fromEntries(columns.map((c, i) => [c, r[i]]))), lines: data.map((_, i) => i + 2) };
}

/** The same cells column by column (as the CSV reader gives), numeric columns as Float64Array. */
function columnar(columns: string[], data: Cell[][]): Table {
  const cells = columns.map((_, c) => {
    const col = data.map((r) => r[c]);
    return col.every((v) => v === null || typeof v === 'number') ? Float64Array.from(col, (v) => (v === null ? NaN : v)) : col;
  });
  return columnarTable('mem.csv', columns, cells, data.map((_, i) => i + 2));
}

// a: 1, 2, 9, missing → mean 4, median 2
const skewed: Cell[][] = [
  [1, 10],
  [2, 20],
  [9, 30],
  [null, 40],
];

for (const [kind, make] of [['row objects', rows], ['columns', columnar]] as const) {
  test(`fillMissing mean fills the mean, median the median (${kind})`, () => {
    const t = make(['a', 'y'], skewed);
    const mean = fitPreprocessor(cfg({ features: ['a'], target: 'y', preprocess: [{ fillMissing: { strategy: 'mean' } }] }), t);
    assert.equal(mean.fill.a, 4);
    assert.deepEqual(Array.from(transformTable(mean, t).x), [1, 2, 9, 4]);
    const median = fitPreprocessor(cfg({ features: ['a'], target: 'y', preprocess: [{ fillMissing: { strategy: 'median' } }] }), t);
    assert.equal(median.fill.a, 2);
    assert.deepEqual(Array.from(transformTable(median, t).x), [1, 2, 9, 2]);
  });
}

test('fillMissing median of an even count is the mean of the middle two, sorted numerically', () => {
  const t = rows(['a', 'y'], [[10, 0], [2, 0], [100, 0], [3, 0], [null, 0]]);
  const p = fitPreprocessor(cfg({ features: ['a'], target: 'y', preprocess: [{ fillMissing: { strategy: 'median' } }] }), t);
  assert.equal(p.fill.a, 6.5);
  const odd = rows(['a', 'y'], [[10, 0], [2, 0], [100, 0], [null, 0]]);
  assert.equal(fitPreprocessor(cfg({ features: ['a'], target: 'y', preprocess: [{ fillMissing: { strategy: 'median' } }] }), odd).fill.a, 10);
});

test('fillMissing mode: the most frequent value, ties to the smaller label; constant and its default 0', () => {
  const t = rows(['c', 'a', 'y'], [['b', 1, 0], ['a', 1, 0], ['b', 2, 0], ['a', 3, 0], [null, null, 0]]);
  const mode = fitPreprocessor(cfg({ features: ['a'], target: 'y', preprocess: [{ fillMissing: { strategy: 'mode', columns: ['c', 'a'] } }] }), t);
  assert.equal(mode.fill.c, 'a');
  assert.equal(mode.fill.a, 1);
  const once = rows(['c', 'y'], [['z', 0], ['y', 0], ['y', 0], ['z', 0], ['z', 0]]);
  assert.equal(fitPreprocessor(cfg({ features: [], target: 'y', preprocess: [{ fillMissing: { strategy: 'mode', columns: ['c'] } }] }), once).fill.c, 'z');
  const constant = fitPreprocessor(cfg({ features: ['a'], target: 'y', preprocess: [{ fillMissing: { strategy: 'constant', value: -5 } }] }), t);
  assert.deepEqual(constant.fill, { a: -5 });
  assert.deepEqual(Array.from(transformTable(constant, t).x), [1, 1, 2, 3, -5]);
  const zero = fitPreprocessor(cfg({ features: ['a'], target: 'y', preprocess: [{ fillMissing: { strategy: 'constant' } }] }), t);
  assert.deepEqual(zero.fill, { a: 0 });
});

test('fillMissing only touches the listed columns; a column with no numbers cannot take a mean', () => {
  const t = rows(['a', 'b', 'y'], [[1, 5, 0], [null, 7, 0], [3, null, 0]]);
  const p = fitPreprocessor(cfg({ features: ['a', 'b'], target: 'y', preprocess: [{ fillMissing: { strategy: 'mean', columns: ['a'] } }] }), t);
  assert.deepEqual(p.fill, { a: 2 });
  assert.throws(() => transformTable(p, t), (e: unknown) => e instanceof DataError && e.line === 4 && /column "b" is empty/.test(e.message));
  const text = rows(['a', 'y'], [['x', 0], [null, 0]]);
  assert.throws(
    () => fitPreprocessor(cfg({ features: ['a'], target: 'y', preprocess: [{ fillMissing: { strategy: 'median' } }] }), text),
    (e: unknown) => e instanceof DataError && e.message === 'mem.csv: column "a" has no numeric values to take a median of',
  );
});

test('fillMissing drop: rows missing a listed column are skipped and not used to fit scaling', () => {
  for (const make of [rows, columnar]) {
    const t = make(['a', 'b', 'y'], [[0, 1, 1], [100, null, 2], [10, 2, 3]]);
    const p = fitPreprocessor(cfg({ features: ['a', 'b'], target: 'y', preprocess: [{ fillMissing: { strategy: 'drop', columns: ['b'] } }, { minMax: ['a'] }] }), t);
    assert.deepEqual(p.dropMissing, ['b']);
    assert.deepEqual(p.scale.a, { kind: 'minMax', shift: 0, scale: 10 });
    const e = transformTable(p, t);
    assert.equal(e.rows, 2);
    assert.equal(e.skipped, 1);
    assert.deepEqual(Array.from(e.x), [0, 1, 1, 2]);
    assert.deepEqual(Array.from(e.y), [1, 3]);
  }
});

test('standardize: population standard deviation; a constant column keeps scale 1; the target is scaled and inverted', () => {
  for (const make of [rows, columnar]) {
    const t = make(['a', 'k', 'y'], [[1, 7, 10], [3, 7, 30], [null, 7, 20]]);
    const p = fitPreprocessor(cfg({ features: ['a', 'k'], target: 'y', preprocess: [{ fillMissing: { strategy: 'mean', columns: ['a'] } }, { standardize: 'features' }, { standardize: ['y'] }] }), t);
    // a filled to 1, 3, 2 → mean 2, sd sqrt(2/3)
    assert.equal(p.scale.a.shift, 2);
    assert.ok(Math.abs(p.scale.a.scale - Math.sqrt(2 / 3)) < 1e-12);
    assert.deepEqual(p.scale.k, { kind: 'standardize', shift: 7, scale: 1 });
    assert.equal(p.scale.y.shift, 20);
    const e = transformTable(p, t);
    assert.ok(Math.abs(e.x[0] + 1 / Math.sqrt(2 / 3)) < 1e-6);
    assert.equal(e.x[1], 0);
    assert.equal(e.x[4], 0);
    assert.ok(Math.abs(inverseTarget(p, e.y[1]) - 30) < 1e-4);
    assert.ok(Math.abs(inverseTarget(p, 1) - (20 + Math.sqrt(200 / 3))) < 1e-9);
  }
});

test('minMax: shift is the minimum, scale the range (1 for a constant column); values outside stay outside', () => {
  for (const make of [rows, columnar]) {
    const t = make(['a', 'k', 'y'], [[4, 2, 0], [-2, 2, 0], [1, 2, 0]]);
    const p = fitPreprocessor(cfg({ features: ['a', 'k'], target: 'y', preprocess: [{ minMax: 'features' }] }), t);
    assert.deepEqual(p.scale.a, { kind: 'minMax', shift: -2, scale: 6 });
    assert.deepEqual(p.scale.k, { kind: 'minMax', shift: 2, scale: 1 });
    assert.deepEqual(Array.from(transformTable(p, make(['a', 'k', 'y'], [[10, 3, 0]])).x), [2, 1]);
    assert.equal(inverseTarget(p, 5), 5);
  }
  const none = rows(['a', 'y'], [[null, 0]]);
  assert.throws(() => fitPreprocessor(cfg({ features: ['a'], target: 'y', preprocess: [{ minMax: 'features' }] }), none), /column "a" has no numeric values to scale/);
  assert.throws(() => fitPreprocessor(cfg({ features: ['a'], target: 'y', preprocess: [{ standardize: 'features' }] }), none), /column "a" has no numeric values to standardize/);
});

test('one-hot: sorted categories from the training split, the names of the inputs, missing and unseen cells as zeros', () => {
  const t = rows(['n', 'city', 'y'], [[1, 'rome', 0], [2, 'oslo', 0], [3, null, 0], [4, 'rome', 0]]);
  const p = fitPreprocessor(cfg({ features: ['city', 'n'], target: 'y', preprocess: [{ oneHot: ['city'] }, { standardize: 'features' }] }), t);
  assert.deepEqual(p.oneHot, [{ column: 'city', categories: ['oslo', 'rome'] }]);
  assert.deepEqual(p.inputNames, ['city=oslo', 'city=rome', 'n']);
  assert.deepEqual(Object.keys(p.scale), ['n']);
  const e = transformTable(p, rows(['n', 'city', 'y'], [[2.5, 'oslo', 0], [2.5, 'paris', 0], [2.5, null, 0]]));
  assert.deepEqual(Array.from(e.x), [1, 0, 0, 0, 0, 0, 0, 0, 0]);
  const out = new Float32Array(5).fill(9);
  encodeFeatures(p, { city: 'rome', n: 2.5 }, out, 1, 'f', 1);
  assert.deepEqual(Array.from(out), [9, 0, 1, 0, 9]);
});

test('classification: numeric labels sort by value, text labels alphabetically; no labels is refused', () => {
  const num = rows(['a', 'y'], [[1, 10], [2, 9], [3, 100], [4, 9]]);
  const p = fitPreprocessor(cfg({ features: ['a'], target: 'y' }, 'classification'), num);
  assert.deepEqual(p.labels, ['9', '10', '100']);
  assert.deepEqual(Array.from(transformTable(p, num).y), [1, 0, 2, 0]);
  const text = rows(['a', 'y'], [[1, 'b'], [2, 'a'], [3, 'c'], [4, 'a']]);
  assert.deepEqual(fitPreprocessor(cfg({ features: ['a'], target: 'y' }, 'classification'), text).labels, ['a', 'b', 'c']);
  const empty = rows(['a', 'y'], [[1, null]]);
  assert.throws(() => fitPreprocessor(cfg({ features: ['a'], target: 'y' }, 'classification'), empty), /the target "y" has no values in the training split/);
  assert.equal(fitPreprocessor(cfg({ features: ['a'], target: 'y' }), empty).labels, undefined);
});

test('transform errors: an empty or text target names its line; the earliest bad row wins', () => {
  const p = fitPreprocessor(cfg({ features: ['a', 'b'], target: 'y' }), rows(['a', 'b', 'y'], [[1, 2, 3]]));
  for (const make of [rows, columnar]) {
    assert.throws(() => transformTable(p, make(['a', 'b', 'y'], [[1, 2, 3], [1, 2, null]])), (e: unknown) => e instanceof DataError && e.line === 3 && e.detail === 'the target "y" is empty');
    assert.throws(() => transformTable(p, rows(['a', 'b', 'y'], [[1, 2, 'big']])), (e: unknown) => e instanceof DataError && e.line === 2 && /the target "y" holds text \("big"\) but a regression target must be a number/.test(e.message));
    // row 3 has a bad b, row 2 a bad... nothing; row 4 a bad a: the error names line 3, column b
    assert.throws(() => transformTable(p, make(['a', 'b', 'y'], [[1, 2, 3], [1, null, 3], [null, 2, 3]])), (e: unknown) => e instanceof DataError && e.line === 3 && /column "b"/.test(e.message));
    // a bad feature cell before an empty target is the one reported
    assert.throws(() => transformTable(p, make(['a', 'b', 'y'], [[null, 2, 3], [1, 2, null]])), (e: unknown) => e instanceof DataError && e.line === 2 && /column "a" is empty/.test(e.message));
    // an empty target before a bad feature cell is the one reported
    assert.throws(() => transformTable(p, make(['a', 'b', 'y'], [[1, 2, null], [null, 2, 3]])), (e: unknown) => e instanceof DataError && e.line === 2 && /target "y" is empty/.test(e.message));
  }
  const filled = fitPreprocessor(cfg({ features: ['a'], target: 'y', preprocess: [{ fillMissing: { strategy: 'constant', value: 7, columns: ['y'] } }] }), rows(['a', 'y'], [[1, 3]]));
  assert.deepEqual(Array.from(transformTable(filled, rows(['a', 'y'], [[1, null]])).y), [7]);
  const text = rows(['a', 'y'], [['x'.repeat(50), 1]]);
  assert.throws(() => transformTable(p, text), (e: unknown) => e instanceof DataError && e.message.includes(`holds text ("${'x'.repeat(40)}") where a number is expected`));
});

test('fillMissing mode: ties go to the smaller label whatever the order seen', () => {
  const mode = (values: Cell[]) => fitPreprocessor(cfg({ features: [], target: 'y', preprocess: [{ fillMissing: { strategy: 'mode', columns: ['c'] } }] }), rows(['c', 'y'], values.map((v) => [v, 0]))).fill.c;
  assert.equal(mode(['a', 'b']), 'a');
  assert.equal(mode(['b', 'a']), 'a');
  assert.equal(mode(['b', 'b', 'a']), 'b');
  assert.equal(mode(['a', 'c', 'c', 'b', null, null, null]), 'c');
});

test('an infinite cell counts as missing: filled, and left out of the scaling statistics', () => {
  const t = rows(['a', 'y'], [[1, 0], [Infinity, 0], [3, 0], [-Infinity, 0]]);
  const p = fitPreprocessor(cfg({ features: ['a'], target: 'y', preprocess: [{ fillMissing: { strategy: 'mean' } }] }), t);
  assert.equal(p.fill.a, 2);
  assert.deepEqual(Array.from(transformTable(p, t).x), [1, 2, 3, 2]);
  // text cells in a scaled column are left out of its statistics (transforming them is the error)
  const text = rows(['a', 'y'], [[1, 0], ['x', 0], [3, 0]]);
  const s = fitPreprocessor(cfg({ features: ['a'], target: 'y', preprocess: [{ standardize: 'features' }] }), text);
  assert.deepEqual(s.scale.a, { kind: 'standardize', shift: 2, scale: 1 });
  const m = fitPreprocessor(cfg({ features: ['a'], target: 'y', preprocess: [{ fillMissing: { strategy: 'constant', value: 0 } }, { minMax: 'features' }] }), text);
  assert.deepEqual(m.scale.a, { kind: 'minMax', shift: 1, scale: 2 });
});

test('a filled target: only missing targets take the fill value', () => {
  const p = fitPreprocessor(cfg({ features: ['a'], target: 'y', preprocess: [{ fillMissing: { strategy: 'constant', value: 7, columns: ['y'] } }] }), rows(['a', 'y'], [[1, 3]]));
  assert.deepEqual(Array.from(transformTable(p, rows(['a', 'y'], [[1, null], [2, 5]])).y), [7, 5]);
});

test('a long text target is quoted cut at 40 characters', () => {
  const p = fitPreprocessor(cfg({ features: ['a'], target: 'y' }), rows(['a', 'y'], [[1, 3]]));
  assert.throws(() => transformTable(p, rows(['a', 'y'], [[1, 'y'.repeat(50)]])), (e: unknown) => e instanceof DataError && e.detail === `the target "y" holds text (${JSON.stringify('y'.repeat(40))}) but a regression target must be a number`);
});

test('encodeFeatures: a numeric feature takes one slot, the next feature follows it', () => {
  const t = rows(['n', 'city', 'm', 'y'], [[1, 'rome', 5, 0], [2, 'oslo', 6, 0]]);
  const p = fitPreprocessor(cfg({ features: ['n', 'city', 'm'], target: 'y', preprocess: [{ oneHot: ['city'] }] }), t);
  const out = new Float32Array(6).fill(9);
  encodeFeatures(p, { n: 4, city: 'oslo', m: 8 }, out, 1, 'f', 1);
  assert.deepEqual(Array.from(out), [9, 4, 1, 0, 8, 9]);
});

test('classification labels: numbers by value before text, text alphabetically', () => {
  const mixed = rows(['a', 'y'], [[1, 'b'], [2, '2'], [3, 'a'], [4, '10']]);
  assert.deepEqual(fitPreprocessor(cfg({ features: ['a'], target: 'y' }, 'classification'), mixed).labels, ['2', '10', 'a', 'b']);
});
