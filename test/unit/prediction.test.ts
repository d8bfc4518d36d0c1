import assert from 'node:assert/strict';
import { test } from 'node:test';
import { checkPlaygroundInput, PLAYGROUND_LIMITS } from '../../src/core/prediction';

test('a playground text is accepted up to the limit', () => {
  assert.equal(checkPlaygroundInput('hello'), 'hello');
  assert.equal(checkPlaygroundInput(''), '');
  const longest = 'x'.repeat(PLAYGROUND_LIMITS.textChars);
  assert.equal(checkPlaygroundInput(longest), longest);
  assert.equal(checkPlaygroundInput(longest + 'x'), 'input is longer than 100000 characters');
});

test('a playground row: numbers, strings and nulls by name', () => {
  assert.deepEqual(checkPlaygroundInput({ rooms: 3, district: 'north', age: null, zero: 0, neg: -1.5 }), { rooms: 3, district: 'north', age: null, zero: 0, neg: -1.5 });
  assert.deepEqual(checkPlaygroundInput({}), {});
  const v = 'v'.repeat(PLAYGROUND_LIMITS.valueChars);
  assert.deepEqual(checkPlaygroundInput({ a: v }), { a: v });
  const name = 'n'.repeat(PLAYGROUND_LIMITS.fieldNameChars);
  assert.deepEqual(checkPlaygroundInput({ [name]: 1 }), { [name]: 1 });
  const fields = Object.fromEntries(Array.from({ length: PLAYGROUND_LIMITS.fields }, (_, i) => [`f${i}`, i]));
  assert.equal(Object.keys(checkPlaygroundInput(fields) as object).length, 1000);
});

test('a playground input is refused with the reason', () => {
  assert.equal(checkPlaygroundInput(5), 'input must be a text or an object of feature values');
  assert.equal(checkPlaygroundInput(null), 'input must be a text or an object of feature values');
  assert.equal(checkPlaygroundInput(undefined), 'input must be a text or an object of feature values');
  assert.equal(checkPlaygroundInput([1, 2]), 'input must be a text or an object of feature values');
  assert.equal(checkPlaygroundInput(new Map()), 'input must be a plain object');
  assert.equal(checkPlaygroundInput(Object.create(null)), 'input must be a plain object');
  const fields = Object.fromEntries(Array.from({ length: PLAYGROUND_LIMITS.fields + 1 }, (_, i) => [`f${i}`, i]));
  assert.equal(checkPlaygroundInput(fields), 'input has more than 1000 fields');
  assert.equal(checkPlaygroundInput({ '': 1 }), 'input field name "" is empty or too long');
  const long = 'n'.repeat(PLAYGROUND_LIMITS.fieldNameChars + 1);
  assert.equal(checkPlaygroundInput({ [long]: 1 }), `input field name ${JSON.stringify('n'.repeat(40))} is empty or too long`);
  assert.equal(checkPlaygroundInput(JSON.parse('{"__proto__": 1}')), 'input field __proto__ is not allowed');
  assert.equal(checkPlaygroundInput({ constructor: 1 }), 'input field constructor is not allowed');
  assert.equal(checkPlaygroundInput({ prototype: 1 }), 'input field prototype is not allowed');
  assert.equal(checkPlaygroundInput({ a: Infinity }), 'input.a is not a finite number');
  assert.equal(checkPlaygroundInput({ a: NaN }), 'input.a is not a finite number');
  assert.equal(checkPlaygroundInput({ a: 'v'.repeat(PLAYGROUND_LIMITS.valueChars + 1) }), 'input.a is longer than 1000 characters');
  assert.equal(checkPlaygroundInput({ a: true }), 'input.a must be a number, a string or null');
  assert.equal(checkPlaygroundInput({ a: [1] }), 'input.a must be a number, a string or null');
  assert.equal(checkPlaygroundInput({ a: undefined }), 'input.a must be a number, a string or null');
  // the first bad field is the one named
  assert.equal(checkPlaygroundInput({ ok: 1, b: {}, c: true }), 'input.b must be a number, a string or null');
});

test('playground limits', () => {
  assert.deepEqual(PLAYGROUND_LIMITS, { textChars: 100_000, fields: 1000, fieldNameChars: 200, valueChars: 1000, generateLength: { min: 1, max: 1000 }, temperature: { min: 0, max: 10 } });
});
