// The learning-rate range test (fastai's lr_find, after Leslie Smith): a short
// run whose learning rate grows exponentially from a tiny value to a huge one,
// one step each, stopped once the loss blows up; the loss against the rate, on
// a log axis, shows where training learns fastest. Pure: the schedule, the
// stopping rule and the suggestion; the trainer (src/trainer/lrFind.ts) runs the steps.

import { smoothEma } from './smoothing';

export interface LrFindSettings {
  startLr: number;
  endLr: number;
  /** Optimizer steps at most (one learning rate each). */
  steps: number;
  /** Stop once the smoothed loss exceeds this many times its best. */
  divergeFactor: number;
  /** EMA weight of the smoothed loss. */
  smoothing: number;
}

export const LR_FIND_DEFAULTS: LrFindSettings = { startLr: 1e-7, endLr: 10, steps: 100, divergeFactor: 4, smoothing: 0.98 };

/** The learning rate of step `i` (0-based) of `steps`: start · (end/start)^(i/(steps−1)). */
export function lrAtStep(i: number, s: Pick<LrFindSettings, 'startLr' | 'endLr' | 'steps'>): number {
  if (s.steps <= 1) return s.startLr;
  return s.startLr * Math.pow(s.endLr / s.startLr, i / (s.steps - 1));
}

/** Why the settings cannot run, or undefined. */
export function lrFindSettingsProblem(s: LrFindSettings): string | undefined {
  if (!(s.startLr > 0) || !Number.isFinite(s.startLr)) return `the start learning rate must be a positive number (got ${s.startLr})`;
  if (!(s.endLr > s.startLr) || !Number.isFinite(s.endLr)) return `the end learning rate must be larger than the start (${s.startLr}), got ${s.endLr}`;
  if (!Number.isInteger(s.steps) || s.steps < 5) return `the range test needs at least 5 steps (got ${s.steps})`;
  return undefined;
}

/** The smoothed losses of the steps so far (debiased EMA, as the dashboard smooths). */
export function smoothedLosses(losses: readonly number[], smoothing = LR_FIND_DEFAULTS.smoothing): number[] {
  return smoothEma(losses, smoothing);
}

/** Whether the test stops after these losses: the last loss is not finite, or the smoothed loss has passed `factor` × its best. */
export function lrFindDiverged(smoothed: readonly number[], raw: readonly number[], factor = LR_FIND_DEFAULTS.divergeFactor): boolean {
  const last = raw[raw.length - 1];
  if (last !== undefined && !Number.isFinite(last)) return true;
  const finite = smoothed.filter(Number.isFinite);
  if (finite.length < 2) return false;
  const best = Math.min(...finite);
  return finite[finite.length - 1] > factor * best;
}

export interface LrPoint {
  lr: number;
  loss: number;
}

export interface LrSuggestion {
  /** The suggested learning rate: where the smoothed loss falls fastest per decade of rate. */
  lr: number;
  /** Its step (0-based) in the points. */
  index: number;
  /** The slope there: change of the smoothed loss per decade of learning rate (negative). */
  slopePerDecade: number;
  /** The learning rate at the lowest smoothed loss (the suggestion is below it). */
  minLossLr: number;
}

/** The first steps the suggestion never falls on (when there are at least twice as many). */
export const SKIP_START = 10;

/**
 * The suggestion: the steepest descent of the smoothed loss against
 * log10(learning rate) — its difference over a twentieth of the test on each
 * side of a step — looked for only before the smoothed loss reaches its
 * lowest (after it, the loss is blowing up) and after the first steps. Undefined when the loss never
 * falls (no negative slope) or there are fewer than 5 finite points.
 */
export function suggestLearningRate(points: readonly LrPoint[], smoothing = LR_FIND_DEFAULTS.smoothing): LrSuggestion | undefined {
  const finite = points.filter((p) => Number.isFinite(p.loss) && p.lr > 0);
  if (finite.length < 5) return undefined;
  const smooth = smoothedLosses(finite.map((p) => p.loss), smoothing);
  const logLr = finite.map((p) => Math.log10(p.lr));
  // The first steps are skipped (as fastai does): the average has seen too few losses there, and one noisy batch makes a cliff or a low.
  const skip = smooth.length >= 2 * SKIP_START ? SKIP_START : 1;
  let minIndex = skip;
  for (let i = skip + 1; i < smooth.length; i++) if (smooth[i] < smooth[minIndex]) minIndex = i;
  let best: { index: number; slope: number } | undefined;
  // Central differences over ±w steps (a twentieth of the test each side, so one noisy batch does not make a cliff), inside [skip, minIndex].
  const w = Math.max(1, Math.round(smooth.length / 20));
  for (let i = Math.max(skip, w); i + w <= minIndex; i++) {
    const slope = (smooth[i + w] - smooth[i - w]) / (logLr[i + w] - logLr[i - w]);
    if (slope < 0 && (!best || slope < best.slope)) best = { index: i, slope };
  }
  if (!best) return undefined;
  const index = points.indexOf(finite[best.index]);
  return { lr: finite[best.index].lr, index, slopePerDecade: best.slope, minLossLr: finite[minIndex].lr };
}

/** A learning rate as a config holds it: two significant digits (3.2e-3 → 0.0032). */
export function roundLearningRate(lr: number): number {
  return Number(lr.toPrecision(2));
}

/** The reason in words (the CLI's; the editor translates its own from the same numbers). */
export function describeSuggestion(s: LrSuggestion): string {
  return `steepest descent of the smoothed loss (${s.slopePerDecade.toPrecision(3)} per decade) at ${roundLearningRate(s.lr)}, below the lowest loss at ${roundLearningRate(s.minLossLr)}, before the loss blows up`;
}
