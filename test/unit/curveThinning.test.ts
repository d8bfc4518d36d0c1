import assert from 'node:assert/strict';
import { test } from 'node:test';
import { seededRng } from '../../src/core/random';
import { MAX_CURVE_POINTS, thinCurve, ThinnedCurve } from '../../src/core/curveThinning';
import { smoothEma, smoothThinned } from '../../src/core/smoothing';

const range = (n: number, f: (i: number) => number = (i) => i) => Array.from({ length: n }, (_, i) => f(i));

/** Deterministic noise in [-0.5, 0.5). */
function noise(i: number): number {
  const x = Math.sin(i * 12.9898) * 43758.5453;
  return x - Math.floor(x) - 0.5;
}


/** The indices a whole series keeps. */
const thinCurveIndices = (xs: readonly number[], ys: readonly number[], bound?: number) => thinCurve(xs, ys, bound).indices;

/** A training loss by step: falling, noisy. */
const loss = (step: number) => 0.1 + 2 / Math.sqrt(step) + 0.2 * noise(step);

/** Pushes the series one point at a time, each with its index as the item. */
function pushAll(xs: readonly number[], ys: readonly number[], maxPoints: number): ThinnedCurve<number> {
  const curve = new ThinnedCurve<number>(maxPoints);
  for (let i = 0; i < xs.length; i++) curve.push(xs[i], ys[i], i);
  return curve;
}

test('the bound holds at any length and bound, indices ascend, the first and the latest point are kept', () => {
  for (const n of [1, 2, 5, 999, 4000, 12_345, 300_000]) {
    for (const bound of [4, 7, 100, 1000, MAX_CURVE_POINTS]) {
      const xs = range(n, (i) => i + 1);
      const ys = xs.map(loss);
      const keep = thinCurveIndices(xs, ys, bound);
      assert.ok(keep.length <= bound, `n ${n}, bound ${bound}: ${keep.length} points`);
      // Never thinned to nothing: with x from 1 to n, at least a quarter of the buckets (one point each) are used.
      assert.ok(keep.length >= Math.min(n, Math.floor(bound / 16)), `n ${n}, bound ${bound}: only ${keep.length} points`);
      for (let k = 1; k < keep.length; k++) assert.ok(keep[k] > keep[k - 1]);
      assert.equal(keep[0], 0, 'the first point is kept');
      assert.equal(keep[keep.length - 1], n - 1, 'the latest point is kept');
    }
  }
  assert.deepEqual(thinCurveIndices([], [], 10), []);
});

test('a curve whose steps stay below the bound is kept whole', () => {
  const xs = range(MAX_CURVE_POINTS - 1, (i) => i + 1);
  const ys = xs.map(loss);
  assert.deepEqual(thinCurveIndices(xs, ys), range(xs.length));
  assert.equal(pushAll(xs, ys, MAX_CURVE_POINTS).length, xs.length);
});

test('a single spike and a single dip survive thinning, and the curve keeps its minimum and maximum', () => {
  const n = 250_000;
  const xs = range(n, (i) => i + 1);
  for (const at of [1, 777, 123_457, n - 2]) {
    const spiky = xs.map(loss);
    spiky[at] = 50;
    const dipped = xs.map(loss);
    dipped[at] = -3;
    for (const ys of [spiky, dipped]) {
      const keep = thinCurveIndices(xs, ys, 400);
      assert.ok(keep.includes(at), `the extreme at ${at} is kept`);
      const kept = keep.map((i) => ys[i]);
      const extent = (vs: readonly number[]) => vs.reduce(([lo, hi], v) => [Math.min(lo, v), Math.max(hi, v)], [Infinity, -Infinity]);
      assert.deepEqual(extent(kept), extent(ys));
    }
  }
});

test('every bucket of the thinned curve reaches the same lowest and highest value as the points it stands for', () => {
  // Checked with a coarser grid than the thinning's: any x range of whole buckets has its extremes kept.
  const n = 100_000;
  const xs = range(n, (i) => i + 1);
  const ys = xs.map((x) => Math.sin(x / 900) + noise(x));
  const keep = thinCurveIndices(xs, ys, 1000);
  // 1000 points: 250 buckets of a power-of-two width; 100,000 steps need width 512.
  const width = 512;
  const buckets = new Map<number, { min: number; max: number }>();
  for (let i = 0; i < n; i++) {
    const b = Math.floor(xs[i] / width);
    const m = buckets.get(b) ?? { min: Infinity, max: -Infinity };
    buckets.set(b, { min: Math.min(m.min, ys[i]), max: Math.max(m.max, ys[i]) });
  }
  const keptBuckets = new Map<number, { min: number; max: number }>();
  for (const i of keep) {
    const b = Math.floor(xs[i] / width);
    const m = keptBuckets.get(b) ?? { min: Infinity, max: -Infinity };
    keptBuckets.set(b, { min: Math.min(m.min, ys[i]), max: Math.max(m.max, ys[i]) });
  }
  assert.deepEqual(keptBuckets, buckets);
});

test('a step is drawn where it happens: the first point after it is kept', () => {
  const n = 50_000;
  const xs = range(n, (i) => i + 1);
  for (const [before, after] of [[1, 0], [0, 1]]) {
    const ys = xs.map((x) => (x <= 20_000 ? before : after));
    const keep = thinCurveIndices(xs, ys, 400);
    assert.equal(xs[keep.find((i) => ys[i] === after)!], 20_001);
    assert.ok(keep.length <= 2 * 100, 'a flat bucket keeps its first and last point only');
  }
});

test('pushing points one batch at a time keeps exactly the points thinning the whole series keeps, each standing for the same points, the latest one always exact', () => {
  const random = seededRng(17);
  for (const bound of [4, 9, 64, 1000]) {
    const n = 40_000;
    const xs: number[] = [];
    const ys: number[] = [];
    let x = 0;
    for (let i = 0; i < n; i++) {
      // Uneven steps, repeated x, now and then an x going back (a resumed run), ties and NaN values (left out).
      const r = random();
      x = r < 0.01 ? x - 3 : r < 0.05 ? x : x + 1 + Math.floor(random() * 5);
      xs.push(x);
      ys.push(r > 0.995 ? NaN : r > 0.9 ? 1 : Math.round(random() * 100) / 10);
    }
    const curve = new ThinnedCurve<number>(bound);
    let i = 0;
    while (i < n) {
      const batch = 1 + Math.floor(random() * 300);
      for (const end = Math.min(n, i + batch); i < end; i++) curve.push(xs[i], ys[i], i);
      const whole = thinCurve(xs.slice(0, i), ys.slice(0, i), bound);
      assert.deepEqual(curve.items, whole.indices, `bound ${bound}, after ${i} points`);
      assert.deepEqual(curve.counts, whole.counts, `bound ${bound}, after ${i} points`);
      curve.sums.forEach((sum, k) => assert.ok(Math.abs(sum - whole.sums[k]) < 1e-9 * Math.max(1, Math.abs(sum)), `sum ${k}: ${sum} vs ${whole.sums[k]}`));
      assert.ok(curve.length <= bound);
      let latest = i - 1;
      while (!Number.isFinite(ys[latest])) latest--;
      assert.equal(curve.items[curve.length - 1], latest, 'the latest point is kept');
      assert.equal(curve.ys[curve.length - 1], ys[latest]);
      assert.equal(curve.xs[curve.length - 1], xs[latest]);
    }
    const finite = ys.filter((y) => Number.isFinite(y));
    assert.equal(curve.pushed, finite.length);
    // Every point is counted once, and its value in one sum.
    assert.equal(curve.counts.reduce((a, c) => a + c, 0), finite.length);
    const total = finite.reduce((a, y) => a + y, 0);
    assert.ok(Math.abs(curve.sums.reduce((a, v) => a + v, 0) - total) < 1e-6 * total);
  }
});

test('the smoothed thinned curve follows the smoothing of every point; unthinned, it is that smoothing exactly', () => {
  const n = 200_000;
  const xs = range(n, (i) => i + 1);
  // Skewed batch losses (mostly small, now and then large), where the kept extremes alone would pull the average up.
  const ys = xs.map((s) => 0.1 + 1 / Math.sqrt(s) + 0.05 * Math.exp(3 * noise(s)));
  for (const [weight, tolerance] of [[0.99, 0.04], [0.999, 0.01]]) {
    const every = smoothEma(ys, weight);
    const thinned = thinCurve(xs, ys, MAX_CURVE_POINTS);
    assert.ok(thinned.indices.length < MAX_CURVE_POINTS);
    const kept = thinned.indices.map((i) => ys[i]);
    const smoothed = smoothThinned(kept, thinned.counts, thinned.sums, weight);
    const worst = Math.max(...thinned.indices.map((i, k) => Math.abs(smoothed[k] - every[i])));
    assert.ok(worst < tolerance, `weight ${weight}: off by ${worst}`);
  }
  const short = range(3000, (i) => loss(i + 1));
  for (const weight of [0, 0.6, 0.95]) assert.deepEqual(smoothThinned(short, short.map(() => 1), short, weight), smoothEma(short, weight));
});

test('thinning the kept points again keeps them all (what the page saves rebuilds the same curve)', () => {
  const n = 123_456;
  const xs = range(n, (i) => 3 * i + 1);
  const ys = xs.map(loss);
  const keep = thinCurveIndices(xs, ys, 1000);
  const again = thinCurveIndices(keep.map((i) => xs[i]), keep.map((i) => ys[i]), 1000);
  assert.deepEqual(again, range(keep.length));
});
