// A tree-structured Parzen estimator (TPE, Bergstra et al. 2011; the approach
// of Optuna's default sampler, independent per parameter): the finished trials
// are split by a quantile into a good group and a bad group; each parameter
// gets a Parzen density l(x) over the good trials' values and g(x) over the
// bad ones'; candidates are drawn from l and the one with the largest l/g is
// taken. The first trials are uniform random draws. Pure and seeded: the
// caller passes the generator, so the same trials and seed give the same point.
// (No npm library fits: the trainer bundle runs TPE-free TensorFlow.js, and
// the maintained TPE/GP samplers are Python.)

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
  /** Finished trials with a value needed before the estimator takes over from random draws. Default 10. */
  startupTrials?: number;
  /** Candidates drawn from l(x) per parameter. Default 24 (Optuna's). */
  candidates?: number;
  /** How many of n trials form the good group. Default Optuna's: min(⌈0.1·n⌉, 25). */
  goodCount?: (n: number) => number;
  /** Weight of the flat prior in each density, against 1 per trial. Default 1. */
  priorWeight?: number;
}

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

/** A mixture of normals truncated to [lo, hi]: one per trial plus a broad prior at the middle. */
interface Parzen {
  mus: number[];
  sigmas: number[];
  weights: number[];
  /** Each component's mass inside [lo, hi]. */
  masses: number[];
  lo: number;
  hi: number;
}

function parzen(values: readonly number[], lo: number, hi: number, priorWeight: number): Parzen {
  const range = hi - lo;
  const mus = [...values, (lo + hi) / 2];
  const weights = [...values.map(() => 1), priorWeight];
  // Bandwidth: the larger gap to a neighbour (among the trials, the prior and the ends), clipped.
  const order = mus.map((_, i) => i).sort((a, b) => mus[a] - mus[b]);
  const sigmas = new Array<number>(mus.length);
  for (let k = 0; k < order.length; k++) {
    const i = order[k];
    const left = k > 0 ? mus[i] - mus[order[k - 1]] : mus[i] - lo;
    const right = k < order.length - 1 ? mus[order[k + 1]] - mus[i] : hi - mus[i];
    sigmas[i] = Math.max(left, right);
  }
  const minSigma = range / Math.min(100, 1 + mus.length);
  for (let i = 0; i < sigmas.length; i++) sigmas[i] = Math.min(range, Math.max(minSigma, sigmas[i]));
  sigmas[mus.length - 1] = range; // the prior stays broad
  const total = weights.reduce((a, b) => a + b, 0);
  const masses = mus.map((mu, i) => Math.max(1e-12, normalCdf((hi - mu) / sigmas[i]) - normalCdf((lo - mu) / sigmas[i])));
  return { mus, sigmas, weights: weights.map((w) => w / total), masses, lo, hi };
}

function parzenLogDensity(p: Parzen, x: number): number {
  let sum = 0;
  for (let i = 0; i < p.mus.length; i++) {
    const z = (x - p.mus[i]) / p.sigmas[i];
    sum += (p.weights[i] * Math.exp(-0.5 * z * z)) / (p.sigmas[i] * Math.sqrt(2 * Math.PI) * p.masses[i]);
  }
  return Math.log(Math.max(sum, 1e-300));
}

function parzenDraw(p: Parzen, rng: Rng): number {
  let r = rng();
  let i = 0;
  while (i < p.weights.length - 1 && r >= p.weights[i]) r -= p.weights[i++];
  // Rejection: each component keeps at least a third of its mass inside the bounds (its centre is inside, its width at most the range).
  for (let tries = 0; tries < 64; tries++) {
    const x = p.mus[i] + p.sigmas[i] * normalDraw(rng);
    if (x >= p.lo && x <= p.hi) return x;
  }
  return Math.min(p.hi, Math.max(p.lo, p.mus[i]));
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
 * The next point to try, one value per dimension, from the trials so far.
 * Fewer than `startupTrials` finished trials with a value: a uniform draw.
 */
export function suggestTpe(dims: readonly SearchDimension[], trials: readonly TpeTrial[], rng: Rng, options: TpeOptions = {}): number[] {
  const o = { ...DEFAULTS, ...options };
  const scored = trials.filter((t) => t.value !== undefined && Number.isFinite(t.value)).length;
  if (scored < Math.max(1, o.startupTrials)) return dims.map((d) => randomValue(d, rng));
  const [good, bad] = splitTrials(trials, o.goodCount);
  return dims.map((d, k) => {
    if (d.kind === 'categorical') {
      const weights = (group: TpeTrial[]) => {
        const w = new Array<number>(d.choices).fill(o.priorWeight / d.choices);
        for (const t of group) w[t.x[k]] += 1;
        const total = w.reduce((a, b) => a + b, 0);
        return w.map((v) => v / total);
      };
      const l = weights(good);
      const g = weights(bad);
      let best = 0;
      let bestScore = -Infinity;
      for (let c = 0; c < o.candidates; c++) {
        let r = rng();
        let choice = 0;
        while (choice < d.choices - 1 && r >= l[choice]) r -= l[choice++];
        const score = Math.log(l[choice]) - Math.log(g[choice]);
        if (score > bestScore) [best, bestScore] = [choice, score];
      }
      return best;
    }
    const [lo, hi] = internalBounds(d);
    if (!(hi > lo)) return fromInternal(d, lo);
    const l = parzen(good.map((t) => toInternal(d, t.x[k])), lo, hi, o.priorWeight);
    const g = parzen(bad.map((t) => toInternal(d, t.x[k])), lo, hi, o.priorWeight);
    let best = l.mus[0];
    let bestScore = -Infinity;
    for (let c = 0; c < o.candidates; c++) {
      const x = parzenDraw(l, rng);
      const score = parzenLogDensity(l, x) - parzenLogDensity(g, x);
      if (score > bestScore) [best, bestScore] = [x, score];
    }
    return fromInternal(d, best);
  });
}
