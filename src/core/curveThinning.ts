// Bounded live curves for the dashboard page. Pure (no DOM, no vscode): the
// webview bundles it, the unit tests run it in plain Node.
//
// A long fast run posts hundreds of thousands of points per curve; the page
// keeps at most `maxPoints` of each. The x range from 0 is cut into at most
// ⌊maxPoints / 4⌋ buckets whose width is a power of two, and each bucket keeps
// its first point, the first occurrences of its smallest and largest value,
// and its last point (min/max buckets, as src/core/downsample.ts does on the
// host); a bucket of four points or fewer keeps them all. A spike is never
// thinned away, the first point and the latest one are always kept exactly,
// and a curve whose steps stay below maxPoints is kept whole.
//
// Each kept point also stands for the points thinned away after it (up to the
// next kept one): their count and the sum of their values, so the smoothed
// curve averages every point, not only the kept extremes (smoothThinned in
// src/core/smoothing.ts).
//
// Why powers of two from 0: when the x range outgrows the buckets, the width
// doubles and every new bucket is exactly two old ones, whose kept points hold
// the union's first, last, minimum and maximum. So thinning as points arrive
// (ThinnedCurve) keeps the same points, each standing for the same points, as
// thinning the whole series at once (thinCurve), at O(1) amortized per point.

/** Points kept per live curve in the dashboard page: four per bucket, about one bucket per pixel column of a wide chart. */
export const MAX_CURVE_POINTS = 4000;

/** Fewest points a curve may be bounded to: one bucket keeps up to four. */
export const MIN_CURVE_POINTS = 4;

/** A bucket of this many points or fewer keeps them all. */
const BUCKET_POINTS = 4;

function bucketCount(maxPoints: number): number {
  const limit = Number.isFinite(maxPoints) ? Math.floor(maxPoints) : MIN_CURVE_POINTS;
  return Math.max(1, Math.floor(Math.max(MIN_CURVE_POINTS, limit) / BUCKET_POINTS));
}

/** The smallest power of two (at least 1) that fits x range [0, maxX] into `buckets` buckets. */
function bucketWidth(maxX: number, buckets: number): number {
  let width = 1;
  while (Math.floor(maxX / width) >= buckets) width *= 2;
  return width;
}

/**
 * Appends to `out` the indices kept of one bucket, ys[start..end), which stands
 * for `count` points: all of them when count is at most 4 (then they are all
 * there), else its first, the first occurrence of its smallest and of its
 * largest value, its last; ascending, each once.
 */
function keepOfBucket(ys: ArrayLike<number>, start: number, end: number, count: number, out: number[]): void {
  if (count <= BUCKET_POINTS) {
    for (let i = start; i < end; i++) out.push(i);
    return;
  }
  let min = start;
  let max = start;
  for (let i = start + 1; i < end; i++) {
    if (ys[i] < ys[min]) min = i;
    if (ys[i] > ys[max]) max = i;
  }
  const last = end - 1;
  const lo = Math.min(min, max);
  const hi = Math.max(min, max);
  out.push(start);
  if (lo !== start) out.push(lo);
  if (hi !== lo) out.push(hi);
  if (last !== hi && last !== start) out.push(last);
}

/** What a thinned curve keeps: the indices kept, and for each the number of points it stands for and their values' sum (itself and the thinned points after it). */
export interface ThinnedIndices {
  indices: number[];
  counts: number[];
  sums: number[];
}

/**
 * Thins a whole series: the indices kept, ascending, at most max(4, maxPoints)
 * of them (rounded down to a multiple of 4). Points whose y is not finite are
 * left out (a chart draws none). x is expected not to decrease (steps, epochs);
 * a point whose x is below an earlier one's, or not finite, is bucketed at the
 * largest x before it, and a negative x at 0.
 */
export function thinCurve(xs: ArrayLike<number>, ys: ArrayLike<number>, maxPoints: number = MAX_CURVE_POINTS): ThinnedIndices {
  const n = Math.min(xs.length, ys.length);
  const buckets = bucketCount(maxPoints);
  const at: number[] = [];
  const bx: number[] = [];
  const values: number[] = [];
  let runMax = 0;
  for (let i = 0; i < n; i++) {
    if (!Number.isFinite(ys[i])) continue;
    const x = xs[i];
    if (Number.isFinite(x) && x > runMax) runMax = x;
    at.push(i);
    bx.push(runMax);
    values.push(ys[i]);
  }
  const width = bucketWidth(runMax, buckets);
  const out: ThinnedIndices = { indices: [], counts: [], sums: [] };
  const keep: number[] = [];
  let start = 0;
  while (start < at.length) {
    const bucket = Math.floor(bx[start] / width);
    let end = start + 1;
    while (end < at.length && Math.floor(bx[end] / width) === bucket) end++;
    keep.length = 0;
    keepOfBucket(values, start, end, end - start, keep);
    for (let k = 0; k < keep.length; k++) {
      // A kept point stands for itself and the points up to the next kept one.
      const next = k + 1 < keep.length ? keep[k + 1] : end;
      let sum = 0;
      for (let i = keep[k]; i < next; i++) sum += values[i];
      out.indices.push(at[keep[k]]);
      out.counts.push(next - keep[k]);
      out.sums.push(sum);
    }
    start = end;
  }
  return out;
}

/**
 * A curve that keeps at most `maxPoints` points as they are pushed: after any
 * sequence of pushes it holds exactly the points thinCurve keeps of everything
 * pushed, in order, each with the item it was pushed with and the count of the
 * points it stands for (their sum too, up to the order of additions).
 */
export class ThinnedCurve<T> {
  /** x of each kept point, as pushed. */
  readonly xs: number[] = [];
  readonly ys: number[] = [];
  readonly items: T[] = [];
  /** How many pushed points each kept point stands for: itself and the thinned ones after it. */
  readonly counts: number[] = [];
  /** The sum of the values of the points each kept point stands for. */
  readonly sums: number[] = [];
  /** Each kept point's x as bucketed: the largest x pushed up to it (0 at least). */
  private readonly bx: number[] = [];
  private readonly buckets: number;
  private width = 1;
  private runMax = 0;
  /** Where the last bucket's kept points start. */
  private tail = 0;
  private pushedCount = 0;

  constructor(maxPoints: number = MAX_CURVE_POINTS) {
    this.buckets = bucketCount(maxPoints);
  }

  /** Points taken so far (with a finite value), kept or not. */
  get pushed(): number {
    return this.pushedCount;
  }

  get length(): number {
    return this.ys.length;
  }

  /** Adds a point; one whose value is not finite is left out, as thinCurve leaves it out. */
  push(x: number, y: number, item: T): void {
    if (!Number.isFinite(y)) return;
    this.pushedCount++;
    if (Number.isFinite(x) && x > this.runMax) this.runMax = x;
    if (Math.floor(this.runMax / this.width) >= this.buckets) {
      this.width = bucketWidth(this.runMax, this.buckets);
      this.rebucket();
    }
    const n = this.ys.length;
    const sameBucket = n > 0 && Math.floor(this.bx[n - 1] / this.width) === Math.floor(this.runMax / this.width);
    if (!sameBucket) this.tail = n;
    this.xs.push(x);
    this.ys.push(y);
    this.items.push(item);
    this.counts.push(1);
    this.sums.push(y);
    this.bx.push(this.runMax);
    if (!sameBucket) return;
    // Same bucket as the last kept points: they are the bucket's first, extremes
    // and last so far (or all its points), so choosing among them and the new
    // point is choosing among all.
    const keep: number[] = [];
    this.keepBucket(this.tail, this.ys.length, keep);
    this.compact(this.tail, keep);
  }

  /**
   * Chooses the kept points of the bucket held at [start, end), appending their
   * indices to `keep`, and adds each other point's count and sum to the kept
   * point before it (the bucket's first is always kept).
   */
  private keepBucket(start: number, end: number, keep: number[]): void {
    let count = 0;
    for (let i = start; i < end; i++) count += this.counts[i];
    const from = keep.length;
    keepOfBucket(this.ys, start, end, count, keep);
    let k = from;
    for (let i = start + 1; i < end; i++) {
      if (k + 1 < keep.length && keep[k + 1] === i) {
        k++;
        continue;
      }
      this.counts[keep[k]] += this.counts[i];
      this.sums[keep[k]] += this.sums[i];
    }
  }

  /** Thins the kept points again with the (wider) bucket width. */
  private rebucket(): void {
    const n = this.ys.length;
    const keep: number[] = [];
    let start = 0;
    let lastStart = 0;
    while (start < n) {
      const bucket = Math.floor(this.bx[start] / this.width);
      let end = start + 1;
      while (end < n && Math.floor(this.bx[end] / this.width) === bucket) end++;
      lastStart = keep.length;
      this.keepBucket(start, end, keep);
      start = end;
    }
    this.compact(0, keep);
    this.tail = lastStart;
  }

  /** Keeps, of the points from `from` on, those at the ascending indices `keep` (all ≥ from). */
  private compact(from: number, keep: readonly number[]): void {
    let to = from;
    for (const k of keep) {
      this.xs[to] = this.xs[k];
      this.ys[to] = this.ys[k];
      this.items[to] = this.items[k];
      this.counts[to] = this.counts[k];
      this.sums[to] = this.sums[k];
      this.bx[to] = this.bx[k];
      to++;
    }
    this.xs.length = this.ys.length = this.items.length = this.counts.length = this.sums.length = this.bx.length = to;
  }
}
