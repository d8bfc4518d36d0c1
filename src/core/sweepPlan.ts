// What a sweep runs next. A grid and a random sweep know all their points up
// front (src/core/sweep.ts expands them); a Bayesian sweep draws each point
// when a slot frees up, from the metrics of the runs finished by then (a
// tree-structured Parzen estimator, src/core/tpe.ts). The CLI and the
// extension's sweep runner both ask a SweepPlan for point i.

import type { MetricGoal } from './metrics';
import { seededRng } from './random';
import { expandSweep, isSweepRange, sweepMethod, sweepSize } from './sweep';
import type { SweepPoint } from './sweep';
import { latinHypercube, suggestTpe } from './tpe';
import type { SearchDimension, TpeTrial } from './tpe';
import type { SweepConfig, SweepParameter } from './types';

/** A finished run of the sweep: its point's values and the sweep metric (undefined when it failed or logged none). */
export interface SweepObservation {
  params: Readonly<Record<string, unknown>>;
  value: number | undefined;
}

export interface SweepPlan {
  /** How many runs the sweep launches. */
  readonly total: number;
  /** Whether a point depends on the results so far (the runner then asks for each when its slot frees up). */
  readonly adaptive: boolean;
  /** Point `index` (0-based, < total) given the runs finished so far; a grid or random sweep ignores them. */
  point(index: number, finished: readonly SweepObservation[]): SweepPoint;
}

/**
 * Startup points (a Latin hypercube) before the estimator takes over: Optuna's 10, fewer for a
 * small budget — a quarter of it, at least 3 (a third left too few modelled points before the
 * middle of a 12-run sweep: measured on known functions, the runs to reach random search's best).
 */
export function bayesStartupTrials(count: number): number {
  return Math.min(10, Math.max(3, Math.ceil(count / 4)));
}

function dimensionOf(p: SweepParameter): SearchDimension {
  if (!isSweepRange(p)) return { kind: 'categorical', choices: p.length };
  return { kind: p.integer ? 'int' : 'float', min: p.min, max: p.max, log: p.scale === 'log' };
}

/** A float as a config shows it: four significant digits (0.003162), like the random sweep's draws. */
function roundFloat(v: number, min: number, max: number): number {
  return Math.min(max, Math.max(min, Number(v.toPrecision(4))));
}

/** The value a run sets from one dimension's number, and back. */
function toParam(p: SweepParameter, v: number): unknown {
  if (!isSweepRange(p)) return p[v];
  return p.integer ? v : roundFloat(v, p.min, p.max);
}

function fromParam(p: SweepParameter, value: unknown): number | undefined {
  if (isSweepRange(p)) return typeof value === 'number' && Number.isFinite(value) ? value : undefined;
  const key = JSON.stringify(value);
  const i = p.findIndex((v) => JSON.stringify(v) === key);
  return i >= 0 ? i : undefined;
}

/**
 * The sweep's plan. For `bayes`, `goal` says which way the sweep metric is
 * better; the first bayesStartupTrials(count) points are a Latin hypercube
 * seeded by the seed, and point i after them is drawn with a generator seeded
 * by (seed, i), so the same sweep with the same finished results draws the same point.
 */
export function planSweep(sweep: SweepConfig, goal: MetricGoal): SweepPlan {
  const method = sweepMethod(sweep);
  if (method !== 'bayes') {
    const points = expandSweep(sweep);
    return { total: points.length, adaptive: false, point: (index) => points[index] };
  }
  const entries = Object.entries(sweep.parameters);
  const dims = entries.map(([, p]) => dimensionOf(p));
  const total = sweepSize(sweep);
  const startupTrials = bayesStartupTrials(total);
  const seed = sweep.seed ?? 1;
  const sign = goal === 'maximize' ? -1 : 1;
  // One generator per point, from the seed and the index (the startup design's is index −1): mixing them keeps neighbouring seeds apart.
  const rngFor = (index: number) => seededRng((Math.imul(seed >>> 0, 0x9e3779b1) ^ Math.imul(index + 1, 0x85ebca6b)) >>> 0);
  const design = latinHypercube(dims, Math.min(startupTrials, total), rngFor(-1));
  const paramsOf = (x: readonly number[]) => {
    const params: Record<string, unknown> = {};
    entries.forEach(([path, p], k) => (params[path] = toParam(p, x[k])));
    return params;
  };
  return {
    total,
    adaptive: true,
    point(index, finished) {
      if (index < design.length) return { index, params: paramsOf(design[index]) };
      const trials: TpeTrial[] = [];
      for (const f of finished) {
        const x = entries.map(([path, p]) => fromParam(p, f.params[path]));
        if (x.some((v) => v === undefined)) continue; // not a point of this space
        trials.push({ x: x as number[], value: f.value !== undefined && Number.isFinite(f.value) ? sign * f.value : undefined });
      }
      return { index, params: paramsOf(suggestTpe(dims, trials, rngFor(index), { startupTrials })) };
    },
  };
}
