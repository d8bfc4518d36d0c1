import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { configLensSpan } from '../../src/host/editor/configLensRange';

const at = (text: string) => {
  const s = configLensSpan(text);
  return text.slice(s.offset, s.offset + s.length);
};

test('the lens sits on the "name" key of the root object', () => {
  const text = '// my experiment\n{\n  "task": "regression",\n  "name": "house-prices"\n}';
  assert.equal(at(text), '"name"');
  assert.equal(configLensSpan(text).offset, text.indexOf('"name"'));
});

test('a nested "name" is not the experiment name; without one the lens sits on the first brace', () => {
  const text = '/* { not this } */\n{ "model": { "layers": [{ "name": "d1" }] } }';
  const span = configLensSpan(text);
  assert.equal(span.offset, text.indexOf('\n{') + 1);
  assert.equal(span.length, 1);
});

test('a half-typed file still gets its lens on "name"', () => {
  assert.equal(at('// {\n/* { */ { "name": '), '"name"');
});

test('when the root is not an object, the lens sits on the first brace outside comments', () => {
  const text = '/* { */ // {\n[1, { "name": "x" }]';
  assert.equal(configLensSpan(text).offset, text.indexOf('{ "name"'));
});

test('a file without any object gets the lens at the start', () => {
  assert.deepEqual(configLensSpan(''), { offset: 0, length: 0 });
  assert.deepEqual(configLensSpan('// only a comment'), { offset: 0, length: 0 });
});

test('the bundled house-prices example gets its lens on its "name" line', () => {
  const text = readFileSync(join(import.meta.dirname, '../../examples/house-prices/house-prices.experiment.json'), 'utf8');
  const span = configLensSpan(text);
  assert.equal(text.slice(span.offset, span.offset + span.length), '"name"');
  const nameLine = text.split('\n').findIndex((l) => l.includes('"name"'));
  assert.equal(text.slice(0, span.offset).split('\n').length - 1, nameLine);
});
