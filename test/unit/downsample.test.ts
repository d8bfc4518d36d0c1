import { test } from 'node:test';
import assert from 'node:assert/strict';
import { downsampleIndices, downsampleXY } from '../../src/core/downsample';
import { smoothEma } from '../../src/core/smoothing';

const range = (n: number, f: (i: number) => number = (i) => i) => Array.from({ length: n }, (_, i) => f(i));

/** Deterministic noise in [-0.5, 0.5). */
function noise(i: number): number {
  const x = Math.sin(i * 12.9898) * 43758.5453;
  return x - Math.floor(x) - 0.5;
}

test('short series are returned whole', () => {
  const xs = range(100);
  const ys = range(100, (i) => i * i);
  assert.deepEqual(downsampleXY(xs, ys, 100), { x: xs, y: ys });
  assert.deepEqual(downsampleXY(xs, ys, 1000), { x: xs, y: ys });
  assert.deepEqual(downsampleXY([], [], 10), { x: [], y: [] });
});

test('the output never exceeds the budget and indices ascend', () => {
  for (const n of [101, 1000, 12_345, 100_000]) {
    for (const budget of [4, 5, 10, 99, 400, 2000]) {
      const xs = range(n);
      const ys = range(n, (i) => Math.sin(i / 7) + noise(i));
      const keep = downsampleIndices(xs, ys, budget);
      assert.ok(keep.length <= Math.max(budget, 4), `n ${n}, budget ${budget}: ${keep.length} points`);
      assert.ok(keep.length >= Math.min(n, Math.floor(budget / 4)), `n ${n}, budget ${budget}: only ${keep.length} points`);
      for (let k = 1; k < keep.length; k++) assert.ok(keep[k] > keep[k - 1]);
      assert.equal(keep[0], 0, 'the first point is kept');
      assert.equal(keep[keep.length - 1], n - 1, 'the last point is kept');
    }
  }
});

test('a constant series stays exactly constant', () => {
  const n = 100_000;
  const { x, y } = downsampleXY(range(n), new Array(n).fill(0.25), 400);
  assert.ok(y.length <= 400 && y.length > 50);
  assert.ok(y.every((v) => v === 0.25));
  assert.equal(x[0], 0);
  assert.equal(x[x.length - 1], n - 1);
});

test('a step stays a step: only the two levels, and the edge kept exactly', () => {
  const n = 10_000;
  for (const edge of [1, 137, 5000, 5001, 9999]) {
    for (const [hi, lo] of [[1, 0], [0, 1]]) {
      const ys = range(n, (i) => (i < edge ? hi : lo));
      const { x, y } = downsampleXY(range(n), ys, 200);
      assert.ok(y.every((v) => v === hi || v === lo), 'no value between the levels');
      const change = y.findIndex((v) => v === lo);
      assert.ok(change > 0, 'both levels are present');
      assert.ok(y.slice(change).every((v) => v === lo), 'one transition');
      // The last point before the edge and the first after it are both kept:
      // the drawn line is vertical at the edge, not a slope across a bucket.
      assert.equal(x[change - 1], edge - 1, `edge ${edge}: last ${hi} at x ${x[change - 1]}`);
      assert.equal(x[change], edge, `edge ${edge}: first ${lo} at x ${x[change]}`);
    }
  }
});

test('every spike survives: the global and each bucket\'s min and max are kept', () => {
  const n = 200_000;
  const xs = range(n);
  const ys = range(n, (i) => 1 + 0.1 * noise(i));
  const spikes = [[777, 50], [123_456, -40], [199_998, 9]] as const;
  for (const [i, v] of spikes) ys[i] = v;
  const budget = 800;
  const keep = downsampleIndices(xs, ys, budget);
  const kept = new Set(keep);
  for (const [i] of spikes) assert.ok(kept.has(i), `spike at ${i} kept`);
  const max = (a: number[]) => a.reduce((m, v) => Math.max(m, v), -Infinity);
  const min = (a: number[]) => a.reduce((m, v) => Math.min(m, v), Infinity);
  const out = [...keep].map((i) => ys[i]);
  assert.equal(max(out), max(ys));
  assert.equal(min(out), min(ys));
  // Per bucket (x range split in budget/4 parts): the bucket's min and max are among the kept points.
  const buckets = budget / 4;
  for (let b = 0; b < buckets; b++) {
    const from = Math.ceil((b * (n - 1)) / buckets);
    const to = Math.ceil(((b + 1) * (n - 1)) / buckets) + (b === buckets - 1 ? 1 : 0);
    const slice = ys.slice(from, to);
    const keptHere = [...keep].filter((i) => i >= from && i < to).map((i) => ys[i]);
    assert.equal(max(keptHere), max(slice), `bucket ${b} max`);
    assert.equal(min(keptHere), min(slice), `bucket ${b} min`);
  }
});

test('unevenly spaced x (wall time) is bucketed by x, so a dense burst does not take all the points', () => {
  // 90% of the points in the first 1% of the time.
  const xs: number[] = [];
  for (let i = 0; i < 90_000; i++) xs.push(i / 90_000);
  for (let i = 0; i < 10_000; i++) xs.push(1 + (i / 10_000) * 99);
  const ys = xs.map((x) => Math.sin(x));
  const { x } = downsampleXY(xs, ys, 400);
  const late = x.filter((v) => v > 50).length;
  // Bucketing by index would leave the last half of the time axis about 5% of the points.
  assert.ok(late >= x.length * 0.45, `the second half of the time axis keeps ${late} of ${x.length} points`);
});

test('unsorted x falls back to index buckets; non-finite points are dropped', () => {
  const xs = range(1000, (i) => (i * 7919) % 1000);
  const ys = range(1000, (i) => (i === 500 ? 99 : i % 10));
  const keep = downsampleIndices(xs, ys, 40);
  assert.ok(keep.length <= 40);
  assert.ok([...keep].includes(500));

  const gappy = range(10, (i) => (i % 3 === 0 ? NaN : i));
  assert.deepEqual(downsampleXY(range(10), gappy, 100), { x: [1, 2, 4, 5, 7, 8], y: [1, 2, 4, 5, 7, 8] });
  const inf = range(1000, (i) => (i === 10 ? Infinity : 1));
  const { y } = downsampleXY(range(1000), inf, 40);
  assert.ok(y.every((v) => v === 1));
});

test('smooth first, then downsample: a noisy constant stays near the constant', () => {
  const n = 1_000_000;
  const xs = range(n);
  const ys = range(n, (i) => 2 + noise(i));
  const { y } = downsampleXY(xs, smoothEma(ys, 0.99), 2000);
  assert.ok(y.length <= 2000);
  for (const v of y.slice(50)) assert.ok(Math.abs(v - 2) < 0.2, `smoothed value ${v}`);
});

// Left out of mutation testing (Stryker's tap runner sets STRYKER_NAMESPACE): a million points through instrumented code take minutes per mutant.
test('1,000,000 points downsample well within a second', { skip: process.env.STRYKER_NAMESPACE !== undefined }, () => {
  const n = 1_000_000;
  const xs = new Float64Array(n);
  const ys = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    xs[i] = i;
    ys[i] = Math.exp(-i / 200_000) + 0.05 * noise(i);
  }
  downsampleIndices(xs, ys, 4000); // warm-up
  const started = performance.now();
  const keep = downsampleIndices(xs, ys, 4000);
  const ms = performance.now() - started;
  assert.ok(keep.length <= 4000);
  assert.ok(ms < 1000, `took ${ms.toFixed(1)} ms`);
});
