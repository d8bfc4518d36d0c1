// Downsampling of long metric curves before they cross to a webview. Pure
// (no DOM, no vscode): the host runs it on up to millions of points, the
// unit tests and the benchmark (scripts/bench-downsample.ts) in plain Node.
//
// Min/max-preserving buckets (the M4 idea): the x range is cut into buckets,
// about one per pixel column, and each bucket keeps its first and last point
// and the points where its minimum and maximum are reached. Unlike LTTB or a
// plain stride, no spike can disappear, a constant stays constant and a step
// stays a step; it is one pass over the data with no allocation per point.

/** Fewest points a result may be asked for: one bucket keeps up to four. */
export const MIN_DOWNSAMPLE_POINTS = 4;

/**
 * The indices of the points to draw, ascending, at most `maxPoints` of them
 * (a `maxPoints` below 4 counts as 4). Points whose x or y is not finite are
 * dropped, as a chart would. When `xs` is sorted (steps, epochs, time) the
 * buckets split the x range evenly, so unevenly spaced points (wall time) get
 * even pixel coverage; otherwise they split the index range.
 */
export function downsampleIndices(xs: ArrayLike<number>, ys: ArrayLike<number>, maxPoints: number): Uint32Array {
  const n = Math.min(xs.length, ys.length);
  const limit = Math.max(MIN_DOWNSAMPLE_POINTS, Math.floor(Number.isFinite(maxPoints) ? maxPoints : MIN_DOWNSAMPLE_POINTS));

  let finite = 0;
  let firstX = NaN;
  let lastX = NaN;
  let sorted = true;
  for (let i = 0; i < n; i++) {
    const x = xs[i];
    if (!Number.isFinite(x) || !Number.isFinite(ys[i])) continue;
    if (finite === 0) firstX = x;
    else if (x < lastX) sorted = false;
    lastX = x;
    finite++;
  }
  if (finite <= limit) {
    const all = new Uint32Array(finite);
    let k = 0;
    for (let i = 0; i < n; i++) if (Number.isFinite(xs[i]) && Number.isFinite(ys[i])) all[k++] = i;
    return all;
  }

  const buckets = Math.floor(limit / 4);
  const span = lastX - firstX;
  const byX = sorted && span > 0;
  const scale = byX ? buckets / span : buckets / n;
  const out = new Uint32Array(buckets * 4);
  let count = 0;

  // One bucket per turn of the outer loop; everything stays in locals (a
  // closure over them would make V8 keep them in a context, ~4× slower).
  let i = 0;
  while (i < n) {
    let x = xs[i];
    let y = ys[i];
    if (!Number.isFinite(x) || !Number.isFinite(y)) {
      i++;
      continue;
    }
    let bucket = Math.floor(byX ? (x - firstX) * scale : i * scale);
    if (bucket >= buckets) bucket = buckets - 1;
    const first = i;
    let last = i;
    let minV = y;
    let maxV = y;
    let minFirst = i;
    let minLast = i;
    let maxFirst = i;
    let maxLast = i;
    for (i++; i < n; i++) {
      x = xs[i];
      y = ys[i];
      if (!Number.isFinite(x) || !Number.isFinite(y)) continue;
      let b = Math.floor(byX ? (x - firstX) * scale : i * scale);
      if (b >= buckets) b = buckets - 1;
      if (b !== bucket) break;
      last = i;
      if (y < minV) {
        minV = y;
        minFirst = minLast = i;
      } else if (y === minV) {
        minLast = i;
      }
      if (y > maxV) {
        maxV = y;
        maxFirst = maxLast = i;
      } else if (y === maxV) {
        maxLast = i;
      }
    }
    // The extremes' occurrences are chosen so that a step inside the bucket is
    // drawn as a step: the last top before the first bottom (or the reverse).
    let a: number;
    let b: number;
    if (maxLast < minFirst) {
      a = maxLast;
      b = minFirst;
    } else if (minLast < maxFirst) {
      a = minLast;
      b = maxFirst;
    } else {
      a = minFirst < maxFirst ? minFirst : maxFirst;
      b = minFirst < maxFirst ? maxFirst : minFirst;
    }
    // first ≤ a ≤ b ≤ last; only duplicates need skipping.
    out[count++] = first;
    if (a !== first) out[count++] = a;
    if (b !== a) out[count++] = b;
    if (last !== b) out[count++] = last;
  }
  return out.slice(0, count);
}

export interface XYArrays {
  x: number[];
  y: number[];
}

/** The downsampled points themselves (see downsampleIndices). */
export function downsampleXY(xs: ArrayLike<number>, ys: ArrayLike<number>, maxPoints: number): XYArrays {
  const keep = downsampleIndices(xs, ys, maxPoints);
  const x = new Array<number>(keep.length);
  const y = new Array<number>(keep.length);
  for (let k = 0; k < keep.length; k++) {
    x[k] = xs[keep[k]];
    y[k] = ys[keep[k]];
  }
  return { x, y };
}
