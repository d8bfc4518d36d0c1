import assert from 'node:assert/strict';
import { test } from 'node:test';
import { seededRng, shuffleInPlace } from '../../src/core/random';

test('seededRng gives the same numbers on every machine for a seed (mulberry32)', () => {
  const r = seededRng(42);
  assert.deepEqual([r(), r(), r()], [0.4813160905614495, 0.9852536325342953, 0.7379171899519861]);
  assert.equal(r.state(), 3854165874);
  assert.equal(seededRng(0)(), 0.3588899802416563);
  assert.equal(seededRng(-1)(), 0.9919345872476697);
  // the seed is taken as an unsigned 32-bit integer
  assert.equal(seededRng(2 ** 32 + 5)(), seededRng(5)());
  assert.equal(seededRng(5)(), 0.217193350661546);
});

test('seededRng: values in [0, 1), about uniform; state and restore continue the sequence', () => {
  const r = seededRng(1);
  let sum = 0;
  let below = 0;
  for (let i = 0; i < 20000; i++) {
    const v = r();
    assert.ok(v >= 0 && v < 1, `value ${v}`);
    sum += v;
    if (v < 0.25) below++;
  }
  assert.ok(Math.abs(sum / 20000 - 0.5) < 0.01, `mean ${sum / 20000}`);
  assert.ok(Math.abs(below / 20000 - 0.25) < 0.01, `share below 0.25 ${below / 20000}`);
  const saved = r.state();
  const next = [r(), r()];
  const other = seededRng(99);
  other.restore(saved);
  assert.deepEqual([other(), other()], next);
  other.restore(-1);
  assert.equal(other.state(), 2 ** 32 - 1);
});

test('shuffleInPlace: Fisher–Yates over every position, in place', () => {
  const items = [1, 2, 3, 4, 5, 6, 7, 8];
  const out = shuffleInPlace(items, seededRng(7));
  assert.equal(out, items);
  assert.deepEqual(out, [7, 4, 6, 2, 1, 5, 3, 8]);
  // a generator that always says 0 swaps each last element with the first
  assert.deepEqual(shuffleInPlace([1, 2, 3, 4], () => 0), [2, 3, 4, 1]);
  // one that is always just below 1 swaps nothing
  assert.deepEqual(shuffleInPlace([1, 2, 3, 4], () => 0.999999), [1, 2, 3, 4]);
  assert.deepEqual(shuffleInPlace([], () => 0.5), []);
  assert.deepEqual(shuffleInPlace(['a'], () => 0.5), ['a']);
  const calls: number[] = [];
  shuffleInPlace([1, 2, 3], () => (calls.push(1), 0.5));
  assert.equal(calls.length, 2);
});
