// Curve smoothing for the dashboard's charts. Pure: no DOM, no vscode, so the
// webview bundles it and the unit tests run it in plain Node.

/** The largest smoothing weight accepted; at 1 the average would never move. */
export const MAX_SMOOTHING_WEIGHT = 0.999;

/**
 * Debiased exponential moving average, as TensorBoard's smoothing slider does it.
 *
 * - `weight` 0 returns the values unchanged; it is clamped to [0, MAX_SMOOTHING_WEIGHT].
 * - Debiasing divides by `1 - weight^n`, so the first value is kept as is and the
 *   start of the curve is not dragged toward zero.
 * - A run of identical values stays exactly identical (no floating-point drift),
 *   so a constant series is drawn as the constant it is.
 * - Non-finite values (NaN, ±Infinity) are passed through at their index and do not
 *   enter the average.
 */
export function smoothEma(values: readonly number[], weight: number): number[] {
  return ema(values, weight);
}

/**
 * smoothEma of a thinned curve (src/core/curveThinning.ts): kept point i stands
 * for counts[i] points — itself, then the points thinned away after it, whose
 * values sum to sums[i] with its own. The value at a kept point is the average
 * of every point up to it, the thinned ones entering as their mean, each with
 * its weight (the decay of m points at once is weight^m). So the smoothing
 * weight means what it means for every point, however far the curve is
 * thinned; with every count 1 this is smoothEma exactly. Values are finite.
 */
export function smoothThinned(values: readonly number[], counts: readonly number[], sums: readonly number[], weight: number): number[] {
  return ema(values, weight, counts, sums);
}

/** The one loop of both: without counts, every value stands for itself. */
function ema(values: readonly number[], weight: number, counts?: readonly number[], sums?: readonly number[]): number[] {
  const w = Number.isFinite(weight) ? Math.min(Math.max(weight, 0), MAX_SMOOTHING_WEIGHT) : 0;
  const out = new Array<number>(values.length);
  let last = 0;
  let count = 0;
  let first = NaN;
  let constantSoFar = true;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (!Number.isFinite(v)) {
      out[i] = v;
      continue;
    }
    if (count === 0) first = v;
    else if (v !== first) constantSoFar = false;
    last = last * w + (1 - w) * v;
    count++;
    out[i] = constantSoFar ? v : last / (1 - Math.pow(w, count));
    const rest = counts ? counts[i] - 1 : 0;
    if (rest > 0) {
      const mean = (sums![i] - v) / rest;
      // (A mean of equal values may differ from them in the last bit: a thinned constant is then drawn within rounding of itself.)
      if (mean !== first) constantSoFar = false;
      const decay = Math.pow(w, rest);
      last = last * decay + (1 - decay) * mean;
      count += rest;
    }
  }
  return out;
}
