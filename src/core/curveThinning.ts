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
// Why powers of two from 0: when the x range outgrows the buckets, the width
// doubles and every new bucket is exactly two old ones, whose kept points hold
// the union's first, last, minimum and maximum. So thinning as points arrive
// (ThinnedCurve) gives the same points, index for index, as thinning the whole
// series at once (thinCurveIndices), at O(1) amortized per point.

/** Points kept per live curve in the dashboard page: four per bucket, about one bucket per pixel column of a wide chart. */
export const MAX_CURVE_POINTS = 4000;

/** Fewest points a curve may be bounded to: one bucket keeps up to four. */
export const MIN_CURVE_POINTS = 4;

function bucketCount(maxPoints: number): number {
  const limit = Number.isFinite(maxPoints) ? Math.floor(maxPoints) : MIN_CURVE_POINTS;
  return Math.max(1, Math.floor(Math.max(MIN_CURVE_POINTS, limit) / 4));
}

/** The smallest power of two (at least 1) that fits x range [0, maxX] into `buckets` buckets. */
function bucketWidth(maxX: number, buckets: number): number {
  let width = 1;
  while (Math.floor(maxX / width) >= buckets) width *= 2;
  return width;
}

/** A bucket of this many points or fewer keeps them all. */
const BUCKET_POINTS = 4;

/**
 * Appends to `out` the indices kept of one bucket, ys[start..end), which stands
 * for `count` points: all of them when count is at most 4 (then they are all
 * there), else its first, the first occurrence of its smallest and of its
 * largest finite value, its last; ascending, each once. A value that is not
 * finite is kept only as the bucket's first or last (a chart does not draw it).
 */
function keepOfBucket(ys: ArrayLike<number>, start: number, end: number, count: number, out: number[]): void {
  if (count <= BUCKET_POINTS) {
    for (let i = start; i < end; i++) out.push(i);
    return;
  }
  let min = -1;
  let max = -1;
  for (let i = start; i < end; i++) {
    const y = ys[i];
    if (!Number.isFinite(y)) continue;
    if (min < 0 || y < ys[min]) min = i;
    if (max < 0 || y > ys[max]) max = i;
  }
  const last = end - 1;
  const lo = min < 0 ? start : Math.min(min, max);
  const hi = min < 0 ? start : Math.max(min, max);
  out.push(start);
  if (lo !== start) out.push(lo);
  if (hi !== lo) out.push(hi);
  if (last !== hi && last !== start) out.push(last);
}

/**
 * The indices of the points a bounded curve keeps of the whole series, ascending,
 * at most max(4, maxPoints) of them (rounded down to a multiple of 4). x is
 * expected not to decrease (steps, epochs); a point whose x is below an earlier
 * one's, or not finite, is bucketed at the largest x before it, and a negative
 * x at 0.
 */
export function thinCurveIndices(xs: ArrayLike<number>, ys: ArrayLike<number>, maxPoints: number = MAX_CURVE_POINTS): number[] {
  const n = Math.min(xs.length, ys.length);
  const buckets = bucketCount(maxPoints);
  const bx = new Float64Array(n);
  let runMax = 0;
  for (let i = 0; i < n; i++) {
    const x = xs[i];
    if (Number.isFinite(x) && x > runMax) runMax = x;
    bx[i] = runMax;
  }
  const width = bucketWidth(runMax, buckets);
  const out: number[] = [];
  let start = 0;
  while (start < n) {
    const bucket = Math.floor(bx[start] / width);
    let end = start + 1;
    while (end < n && Math.floor(bx[end] / width) === bucket) end++;
    keepOfBucket(ys, start, end, end - start, out);
    start = end;
  }
  return out;
}

/**
 * A curve that keeps at most `maxPoints` points as they are pushed: after any
 * sequence of pushes it holds exactly the points thinCurveIndices keeps of
 * everything pushed, in order, each with the item it was pushed with.
 */
export class ThinnedCurve<T> {
  /** x of each kept point, as pushed. */
  readonly xs: number[] = [];
  readonly ys: number[] = [];
  readonly items: T[] = [];
  /** Each kept point's x as bucketed: the largest x pushed up to it (0 at least). */
  private readonly bx: number[] = [];
  /** How many pushed points each kept point stands for: a bucket's sum is how many points fell in it. */
  private readonly weights: number[] = [];
  private readonly buckets: number;
  private width = 1;
  private runMax = 0;
  /** Where the last bucket's kept points start. */
  private tail = 0;
  private pushedCount = 0;

  constructor(maxPoints: number = MAX_CURVE_POINTS) {
    this.buckets = bucketCount(maxPoints);
  }

  /** Points pushed so far, kept or not. */
  get pushed(): number {
    return this.pushedCount;
  }

  get length(): number {
    return this.ys.length;
  }

  push(x: number, y: number, item: T): void {
    this.pushedCount++;
    if (Number.isFinite(x) && x > this.runMax) this.runMax = x;
    if (Math.floor(this.runMax / this.width) >= this.buckets) {
      this.width = bucketWidth(this.runMax, this.buckets);
      this.rebucket();
    }
    const n = this.ys.length;
    if (n === 0 || Math.floor(this.bx[n - 1] / this.width) !== Math.floor(this.runMax / this.width)) {
      this.tail = n;
      this.append(x, y, item);
      return;
    }
    // Same bucket as the last kept points: they are the bucket's first, extremes
    // and last so far (or all its points), so choosing among them and the new
    // point is choosing among all.
    this.append(x, y, item);
    const keep: number[] = [];
    this.keepBucket(this.tail, this.ys.length, keep);
    this.compact(this.tail, keep);
  }

  private append(x: number, y: number, item: T): void {
    this.xs.push(x);
    this.ys.push(y);
    this.items.push(item);
    this.bx.push(this.runMax);
    this.weights.push(1);
  }

  /** Chooses the kept points of the bucket held at [start, end) and moves the weight of the others to its first point. */
  private keepBucket(start: number, end: number, keep: number[]): void {
    let count = 0;
    for (let i = start; i < end; i++) count += this.weights[i];
    const from = keep.length;
    keepOfBucket(this.ys, start, end, count, keep);
    for (let k = from + 1; k < keep.length; k++) count -= this.weights[keep[k]];
    this.weights[start] = count;
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
      this.bx[to] = this.bx[k];
      this.weights[to] = this.weights[k];
      to++;
    }
    this.xs.length = this.ys.length = this.items.length = this.bx.length = this.weights.length = to;
  }
}
