// A tree-structured Parzen estimator (TPE, Bergstra et al. 2011; the approach
// of Optuna's default sampler, in its multivariate form): the finished trials
// are split by a quantile into a good group and a bad group; each group gets a
// Parzen density over the whole space — a kernel per trial, the product of one
// per parameter, so values that went well together are drawn together — l(x)
// over the good trials and g(x) over the bad; candidates are drawn from l and
// the one with the largest l/g is taken. The first trials come from a Latin
// hypercube (latinHypercube), which covers the space better than random
// draws. Pure and seeded: the caller passes the generator, so the same trials
// and seed give the same point. (No npm library fits: the trainer bundle runs
// TPE-free TensorFlow.js, and the maintained TPE/GP samplers are Python.)

import type { Rng } from './random';

/** One parameter of the search space, in the user's units. */
export type SearchDimension =
  | { kind: 'float'; min: number; max: number; log: boolean }
  | { kind: 'int'; min: number; max: number; log: boolean }
  /** One of `choices` options, by index. */
  | { kind: 'categorical'; choices: number };

export interface TpeTrial {
  /** One value per dimension: the number (float, int) or the option's index (categorical). */
  x: readonly number[];
  /** Lower is better; undefined (a failed run) counts among the bad trials. */
  value: number | undefined;
}

export interface TpeOptions {
  /** Finished trials with a value needed before the estimator takes over; with fewer, a uniform draw. Default 10. */
  startupTrials?: number;
  /** Candidates drawn from l(x). Default 24 (Optuna's). */
  candidates?: number;
  /** How many of n trials form the good group. Default Optuna's: min(⌈0.1·n⌉, 25). */
  goodCount?: (n: number) => number;
  /** Weight of the flat prior in each density, against 1 per trial. Default 1. */
  priorWeight?: number;
}

/**
 * A trial's kernel width, as a share of its dimension's range, for one kernel in one dimension;
 * Scott's rule narrows it as kernels are added (Optuna's multivariate TPE starts at 0.2; 0.1 searched
 * better at 12–40 trials on Branin, Hartmann 3-D, Styblinski–Tang 2-D and 5-D and mixed spaces,
 * with and without noise — test/unit/tpe.test.ts holds the known-function results). And the narrowest.
 */
const BANDWIDTH = 0.1;
const MIN_BANDWIDTH = 0.01;

const DEFAULTS = { startupTrials: 10, candidates: 24, goodCount: (n: number) => Math.min(Math.ceil(0.1 * n), 25), priorWeight: 1 };

/** The interval a numeric dimension is searched in: log space for `log`, widened by ½ at each end for integers so the end values are as likely as their neighbours. */
function internalBounds(d: Extract<SearchDimension, { kind: 'float' | 'int' }>): [number, number] {
  if (d.kind === 'float') return d.log ? [Math.log(d.min), Math.log(d.max)] : [d.min, d.max];
  const lo = Math.ceil(d.min);
  const hi = Math.floor(d.max);
  return d.log ? [Math.log(Math.max(lo - 0.5, lo / 2)), Math.log(hi + 0.5)] : [lo - 0.5, hi + 0.5];
}

function toInternal(d: Extract<SearchDimension, { kind: 'float' | 'int' }>, v: number): number {
  return d.log ? Math.log(v) : v;
}

function fromInternal(d: Extract<SearchDimension, { kind: 'float' | 'int' }>, u: number): number {
  const v = d.log ? Math.exp(u) : u;
  if (d.kind === 'int') return Math.min(Math.floor(d.max), Math.max(Math.ceil(d.min), Math.round(v)));
  return Math.min(d.max, Math.max(d.min, v));
}

/** A uniform draw in the dimension (the startup trials, and the fallback with no finished trial). */
export function randomValue(d: SearchDimension, rng: Rng): number {
  if (d.kind === 'categorical') return Math.min(d.choices - 1, Math.floor(rng() * d.choices));
  const [lo, hi] = internalBounds(d);
  return fromInternal(d, lo + rng() * (hi - lo));
}

// ── the standard normal: density, distribution (erf, Abramowitz & Stegun 7.1.26, |error| < 1.5e-7), a draw

function normalCdf(z: number): number {
  const x = Math.abs(z) / Math.SQRT2;
  const t = 1 / (1 + 0.3275911 * x);
  const erf = 1 - ((((1.061405429 * t - 1.453152027) * t + 1.421413741) * t - 0.284496736) * t + 0.254829592) * t * Math.exp(-x * x);
  return z >= 0 ? 0.5 * (1 + erf) : 0.5 * (1 - erf);
}

function normalDraw(rng: Rng): number {
  // Box–Muller; 1 − u keeps the logarithm finite.
  const u = 1 - rng();
  const v = rng();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
}

/** The good and the bad trials: the best `goodCount(n)` by value, failures always bad. */
function splitTrials(trials: readonly TpeTrial[], goodCount: (n: number) => number): [TpeTrial[], TpeTrial[]] {
  const ranked = trials
    .map((t, i) => ({ t, i }))
    .sort((a, b) => {
      const va = a.t.value ?? Infinity;
      const vb = b.t.value ?? Infinity;
      return va - vb || a.i - b.i;
    })
    .map((e) => e.t);
  const finite = ranked.filter((t) => t.value !== undefined && Number.isFinite(t.value)).length;
  const nGood = Math.max(1, Math.min(finite, goodCount(trials.length)));
  return [ranked.slice(0, nGood), ranked.slice(nGood)];
}

/**
 * A Latin hypercube of `n` points: each numeric dimension's range cut into n
 * equal strata (in log space for `log`) with one point in each, each
 * categorical dimension's options dealt as evenly as n allows; of a few such
 * designs the one whose closest two points lie farthest apart. The startup
 * points of a Bayesian sweep: they cover the space better than n random draws.
 */
export function latinHypercube(dims: readonly SearchDimension[], n: number, rng: Rng, designs = 16): number[][] {
  if (n <= 0) return [];
  let best: number[][] = [];
  let bestSpread = -Infinity;
  for (let t = 0; t < designs; t++) {
    // Per dimension, a unit position in [0, 1) for each point: stratum i of n, shuffled across points.
    const unit = dims.map((d) => {
      const strata = Array.from({ length: n }, (_, i) => i);
      for (let i = n - 1; i > 0; i--) {
        const j = Math.floor(rng() * (i + 1));
        [strata[i], strata[j]] = [strata[j], strata[i]];
      }
      return strata.map((s) => (d.kind === 'categorical' ? (s + 0.5) / n : (s + rng()) / n));
    });
    // Closest pair, in unit coordinates (a categorical counts 1 apart when the options differ).
    let spread = Infinity;
    for (let a = 0; a < n; a++) {
      for (let b = a + 1; b < n; b++) {
        let d2 = 0;
        dims.forEach((d, k) => {
          const diff = d.kind === 'categorical' ? (Math.floor(unit[k][a] * d.choices) === Math.floor(unit[k][b] * d.choices) ? 0 : 1) : unit[k][a] - unit[k][b];
          d2 += diff * diff;
        });
        spread = Math.min(spread, d2);
      }
    }
    if (spread > bestSpread) {
      bestSpread = spread;
      best = Array.from({ length: n }, (_, i) => dims.map((d, k) => fromUnit(d, unit[k][i])));
    }
  }
  return best;
}

/** The value at unit position u ∈ [0, 1) of a dimension: an option by its share, a number in (log) range. */
function fromUnit(d: SearchDimension, u: number): number {
  if (d.kind === 'categorical') return Math.min(d.choices - 1, Math.floor(u * d.choices));
  const [lo, hi] = internalBounds(d);
  return fromInternal(d, lo + u * (hi - lo));
}

// ── the multivariate estimator: one kernel per trial over all dimensions, plus a flat prior

/** A mixture over the whole space: component i is a product of one kernel per dimension; the last component is the prior. */
interface JointParzen {
  weights: number[];
  /** Per dimension: for a numeric one, each component's centre, width and mass inside the bounds; for a categorical one, each component's option probabilities. */
  dims: ({ kind: 'numeric'; lo: number; hi: number; mus: number[]; sigmas: number[]; masses: number[] } | { kind: 'categorical'; probs: number[][] })[];
}

function jointParzen(dims: readonly SearchDimension[], group: readonly TpeTrial[], priorWeight: number): JointParzen {
  const m = group.length + 1;
  const weights = [...group.map(() => 1), priorWeight];
  const total = weights.reduce((a, b) => a + b, 0);
  return {
    weights: weights.map((w) => w / total),
    dims: dims.map((d, k) => {
      if (d.kind === 'categorical') {
        const flat = new Array<number>(d.choices).fill(1 / d.choices);
        const probs = group.map((t) => {
          const p = new Array<number>(d.choices).fill(priorWeight / d.choices);
          p[t.x[k]] += 1;
          const sum = 1 + priorWeight;
          return p.map((v) => v / sum);
        });
        return { kind: 'categorical' as const, probs: [...probs, flat] };
      }
      const [lo, hi] = internalBounds(d);
      const range = hi > lo ? hi - lo : 1;
      const mus = [...group.map((t) => toInternal(d, t.x[k])), (lo + hi) / 2];
      // Scott's rule for a product kernel: narrower with more kernels, wider with more dimensions.
      const sigma = Math.max(MIN_BANDWIDTH, BANDWIDTH * Math.pow(m, -1 / (dims.length + 4))) * range;
      const sigmas = [...group.map(() => sigma), range];
      const masses = mus.map((mu, i) => Math.max(1e-12, normalCdf((hi - mu) / sigmas[i]) - normalCdf((lo - mu) / sigmas[i])));
      return { kind: 'numeric' as const, lo, hi, mus, sigmas, masses };
    }),
  };
}

function jointLogDensity(p: JointParzen, x: readonly number[]): number {
  // Log-sum-exp over the components, so a point far from every kernel in many dimensions does not underflow to 0.
  const logs = p.weights.map((w, i) => {
    let logK = Math.log(w);
    p.dims.forEach((d, k) => {
      if (d.kind === 'categorical') logK += Math.log(d.probs[i][x[k]]);
      else {
        const z = (x[k] - d.mus[i]) / d.sigmas[i];
        logK += -0.5 * z * z - Math.log(d.sigmas[i] * Math.sqrt(2 * Math.PI) * d.masses[i]);
      }
    });
    return logK;
  });
  const top = Math.max(...logs);
  return top + Math.log(logs.reduce((a, l) => a + Math.exp(l - top), 0));
}

function jointDraw(p: JointParzen, rng: Rng): number[] {
  let r = rng();
  let i = 0;
  while (i < p.weights.length - 1 && r >= p.weights[i]) r -= p.weights[i++];
  return p.dims.map((d) => {
    if (d.kind === 'categorical') {
      let q = rng();
      let c = 0;
      while (c < d.probs[i].length - 1 && q >= d.probs[i][c]) q -= d.probs[i][c++];
      return c;
    }
    if (!(d.hi > d.lo)) return d.lo;
    // Rejection: a kernel keeps at least a sixth of its mass inside the bounds (its centre is inside, its width at most the range).
    for (let tries = 0; tries < 64; tries++) {
      const x = d.mus[i] + d.sigmas[i] * normalDraw(rng);
      if (x >= d.lo && x <= d.hi) return x;
    }
    return Math.min(d.hi, Math.max(d.lo, d.mus[i]));
  });
}

/**
 * The next point to try, one value per dimension, from the trials so far.
 * Fewer than `startupTrials` finished trials with a value: a uniform draw.
 */
export function suggestTpe(dims: readonly SearchDimension[], trials: readonly TpeTrial[], rng: Rng, options: TpeOptions = {}): number[] {
  const o: Required<TpeOptions> = { ...DEFAULTS, ...options };
  const scored = trials.filter((t) => t.value !== undefined && Number.isFinite(t.value)).length;
  if (scored < Math.max(1, o.startupTrials)) return dims.map((d) => randomValue(d, rng));
  const [good, bad] = splitTrials(trials, o.goodCount);
  const l = jointParzen(dims, good, o.priorWeight);
  const g = jointParzen(dims, bad, o.priorWeight);
  let best: number[] = [];
  let bestScore = -Infinity;
  for (let c = 0; c < o.candidates; c++) {
    const x = jointDraw(l, rng);
    const score = jointLogDensity(l, x) - jointLogDensity(g, x);
    if (score > bestScore) [best, bestScore] = [x, score];
  }
  return dims.map((d, k) => (d.kind === 'categorical' ? best[k] : fromInternal(d, best[k])));
}
