import { test } from 'node:test';
import assert from 'node:assert/strict';
import { smoothEma, MAX_SMOOTHING_WEIGHT } from '../../src/core/smoothing';

test('a constant series stays exactly constant at any weight', () => {
  const values = new Array(500).fill(0.1);
  for (const w of [0, 0.3, 0.6, 0.9, 0.99, MAX_SMOOTHING_WEIGHT]) {
    assert.deepEqual(smoothEma(values, w), values, `weight ${w}`);
  }
});

test('debiasing keeps the first value and does not pull the start toward zero', () => {
  const out = smoothEma([10, 10.5, 9.5, 10.2], 0.9);
  assert.equal(out[0], 10);
  for (const v of out) assert.ok(v > 9 && v < 11, `value ${v} stays near the data`);
});

test('the debiased average matches the closed form', () => {
  const w = 0.6;
  const out = smoothEma([1, 3], w);
  // second value: (w·(1-w)·1 + (1-w)·3) / (1 - w²)
  const expected = (w * (1 - w) * 1 + (1 - w) * 3) / (1 - w * w);
  assert.ok(Math.abs(out[1] - expected) < 1e-12);
});

test('weight 0 is the identity', () => {
  const values = [3, 1, 4, 1, 5, 9, 2, 6, -5, 0.001];
  assert.deepEqual(smoothEma(values, 0), values);
});

test('NaN and Infinity are passed through and skipped by the average', () => {
  const withGaps = smoothEma([1, NaN, 3, Infinity, 5], 0.5);
  const withoutGaps = smoothEma([1, 3, 5], 0.5);
  assert.ok(Number.isNaN(withGaps[1]));
  assert.equal(withGaps[3], Infinity);
  assert.deepEqual([withGaps[0], withGaps[2], withGaps[4]], withoutGaps);
});

test('a falling series stays monotone and lags behind the raw values', () => {
  const values = Array.from({ length: 50 }, (_, i) => 1 / (i + 1));
  const out = smoothEma(values, 0.8);
  for (let i = 1; i < out.length; i++) {
    assert.ok(out[i] < out[i - 1], `smoothed value ${i} falls`);
    assert.ok(out[i] >= values[i], `smoothed value ${i} lags`);
  }
});

test('weights out of range are clamped; empty input gives empty output', () => {
  assert.deepEqual(smoothEma([1, 2, 3], -1), [1, 2, 3]);
  const high = smoothEma([1, 2, 3], 5);
  assert.ok(high.every(Number.isFinite));
  assert.deepEqual(smoothEma([], 0.5), []);
});
