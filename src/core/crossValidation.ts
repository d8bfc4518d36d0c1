// k-fold cross-validation, pure: which fold each training row falls in
// (seeded; stratified by class for classification), what a fold run trains
// and validates on, and the mean and spread of the folds' metrics. The
// trainer's loaders (src/node/dataFiles.ts) apply a fold to the rows; the CLI,
// the sidebar and the compare panel group fold runs by RunMeta.fold.

import { seededRng, shuffleInPlace } from './random';
import type { SweepPoint } from './sweep';
import type { SweepObservation, SweepPlan } from './sweepPlan';
import { logText } from './trainerLogTable';
import type { LogText } from './trainerLogTable';
import type { FoldEpochBand } from './protocol/dashboard';
import type { FoldMembership, MetricPoint, RunMeta } from './types';

/**
 * Which part of the training data a run trains and validates on, beyond the
 * config's own splits: one fold of a cross-validation (trains on the other
 * folds, validates on its own), or all of it (train + validation, no
 * validation: a sweep's best point retrained). The test split is never part of it.
 */
export type TrainingDataPart = { kind: 'fold'; index: number; k: number; stratify: boolean } | { kind: 'all' };

/** The part of the data a run's meta says it trains on (a fold's, a retrain's), or undefined for the config's own splits. */
export function trainingDataPartOf(meta: Pick<RunMeta, 'fold' | 'retrain' | 'task'>): TrainingDataPart | undefined {
  if (meta.fold) return { kind: 'fold', index: meta.fold.index, k: meta.fold.k, stratify: meta.task === 'classification' };
  if (meta.retrain) return { kind: 'all' };
  return undefined;
}

/** A run's data stage detail: its rows, and the part of them it trains on (nothing more for the config's splits). */
export function partRowsLog(rows: number, part: TrainingDataPart | undefined): LogText {
  if (!part) return logText('stage.rows', rows);
  if (part.kind === 'all') return logText('stage.rows.all', rows);
  return logText(part.stratify ? 'stage.rows.foldStratified' : 'stage.rows.fold', rows, part.index + 1, part.k);
}

/** Fewest and most folds `training.crossValidation.folds` may ask for. */
export const FOLD_LIMITS = { min: 2, max: 50 } as const;

/** A fold asks for more than the data can give (too few rows, or too few of a class). */
export class FoldError extends Error {}

/**
 * The fold (0..k-1) of each of `n` rows. Rows are shuffled by `seed` and
 * dealt to the folds in turn, so fold sizes differ by at most one. With
 * `labels` (one per row) each class is shuffled and dealt on its own, the
 * dealing carrying on from fold to fold across classes: every fold then holds
 * each class in proportion (within one row). A class with fewer than k rows
 * cannot appear in every fold and is refused, naming it.
 */
export function foldAssignment(n: number, k: number, seed: number, labels?: readonly unknown[]): number[] {
  if (!Number.isInteger(k) || k < FOLD_LIMITS.min) throw new FoldError(`folds must be a whole number ≥ ${FOLD_LIMITS.min}, not ${k}`);
  if (n < k) throw new FoldError(`${k} folds need at least ${k} training rows; there are ${n}`);
  if (labels && labels.length !== n) throw new FoldError(`${labels.length} labels for ${n} rows`);
  const rng = seededRng(seed);
  const groups = new Map<string, number[]>();
  for (let i = 0; i < n; i++) {
    const key = labels ? String(labels[i]) : '';
    let list = groups.get(key);
    if (!list) groups.set(key, (list = []));
    list.push(i);
  }
  // Classes in a fixed order (by name), so the folds do not hang on the rows' order in the file.
  const keys = [...groups.keys()].sort();
  if (labels) {
    const small = keys.filter((key) => groups.get(key)!.length < k);
    if (small.length) {
      const named = small.map((key) => `"${key}" (${groups.get(key)!.length})`).join(', ');
      throw new FoldError(`${k} stratified folds need at least ${k} rows of each class; too few of ${named}: lower "folds" or add rows`);
    }
  }
  const fold = new Array<number>(n);
  let next = 0;
  for (const key of keys) {
    const rows = shuffleInPlace(groups.get(key)!, rng);
    for (const row of rows) {
      fold[row] = next;
      next = (next + 1) % k;
    }
  }
  return fold;
}

/** The rows a fold run trains on and validates on: every other fold, and its own. */
export function foldRows(assignment: readonly number[], index: number): { train: number[]; validation: number[] } {
  const train: number[] = [];
  const validation: number[] = [];
  assignment.forEach((f, row) => (f === index ? validation : train).push(row));
  return { train, validation };
}

/** The mean and spread of one metric over the folds. `std` is the population standard deviation (as scikit-learn's reports print it). */
export interface FoldStat {
  mean: number;
  std: number;
  min: number;
  max: number;
  /** Folds that have the metric. */
  n: number;
}

export function foldStat(values: readonly number[]): FoldStat | undefined {
  const finite = values.filter((v) => Number.isFinite(v));
  if (finite.length === 0) return undefined;
  const mean = finite.reduce((s, v) => s + v, 0) / finite.length;
  const variance = finite.reduce((s, v) => s + (v - mean) ** 2, 0) / finite.length;
  return { mean, std: Math.sqrt(variance), min: Math.min(...finite), max: Math.max(...finite), n: finite.length };
}

/** Each metric every fold has, over the folds' metrics (a fold without metrics is left out). */
export function foldStats(perFold: readonly (Record<string, number> | undefined)[]): Record<string, FoldStat> {
  const present = perFold.filter((m): m is Record<string, number> => m !== undefined);
  if (present.length === 0) return {};
  const keys = Object.keys(present[0]).filter((key) => present.every((m) => typeof m[key] === 'number'));
  const out: Record<string, FoldStat> = {};
  for (const key of keys) {
    const stat = foldStat(present.map((m) => m[key]));
    if (stat) out[key] = stat;
  }
  return out;
}

/** The means of foldStats: what a sweep ranks a cross-validated point by. */
export function foldMeans(perFold: readonly (Record<string, number> | undefined)[]): Record<string, number> {
  return Object.fromEntries(Object.entries(foldStats(perFold)).map(([key, s]) => [key, s.mean]));
}

/** "0.1234 ± 0.0056" with the metric formatter the caller uses. */
export function formatFoldStat(stat: FoldStat | undefined, format: (v: number | undefined) => string): string {
  return stat ? `${format(stat.mean)} ± ${format(stat.std)}` : format(undefined);
}

/** A new cross-validation group id ("cv-20260102-120000-ab12"). */
export function newFoldGroupId(now = new Date()): string {
  const p = (n: number) => String(n).padStart(2, '0');
  const stamp = `${now.getFullYear()}${p(now.getMonth() + 1)}${p(now.getDate())}-${p(now.getHours())}${p(now.getMinutes())}${p(now.getSeconds())}`;
  return `cv-${stamp}-${Math.random().toString(16).slice(2, 6)}`;
}

/** The fold memberships of one cross-validated training of k folds. */
export function foldMemberships(k: number, id = newFoldGroupId()): FoldMembership[] {
  return Array.from({ length: k }, (_, index) => ({ id, index, k }));
}

/** A group of runs that are the folds of one cross-validation, in fold order. */
export interface FoldGroup<R> {
  id: string;
  k: number;
  runs: R[];
}

/**
 * Runs as they are listed, with the folds of each cross-validation gathered
 * into one group at the place of its first fold; other runs stay as they are.
 */
export function groupFolds<R>(runs: readonly R[], metaOf: (r: R) => Pick<RunMeta, 'fold'> | undefined): (R | FoldGroup<R>)[] {
  const out: (R | FoldGroup<R>)[] = [];
  const groups = new Map<string, FoldGroup<R>>();
  for (const r of runs) {
    const fold = metaOf(r)?.fold;
    if (!fold) {
      out.push(r);
      continue;
    }
    let g = groups.get(fold.id);
    if (!g) {
      g = { id: fold.id, k: fold.k, runs: [] };
      groups.set(fold.id, g);
      out.push(g);
    }
    g.runs.push(r);
  }
  for (const g of groups.values()) g.runs.sort((a, b) => (metaOf(a)?.fold?.index ?? 0) - (metaOf(b)?.fold?.index ?? 0));
  return out;
}

export function isFoldGroup<R>(x: R | FoldGroup<R>): x is FoldGroup<R> {
  return typeof x === 'object' && x !== null && 'runs' in x && 'k' in x && Array.isArray((x as FoldGroup<R>).runs);
}

/**
 * A sweep of cross-validated points as a plan of fold runs: run i trains fold
 * i mod k of point ⌊i/k⌋ (one fold group per point), so a queue that runs one
 * training per plan entry trains every point's folds. `foldOf` tells the fold
 * of a point the plan returned. A bayes point is drawn when its first fold
 * starts, from the points whose k folds have all finished, each valued by its
 * folds' mean (undefined when a fold has none).
 */
export function foldSweepPlan(plan: SweepPlan, k: number, newId: () => string = newFoldGroupId): { plan: SweepPlan; foldOf(point: SweepPoint): FoldMembership | undefined } {
  const folds = new WeakMap<SweepPoint, FoldMembership>();
  const ids = new Map<number, string>();
  const bases = new Map<number, SweepPoint>();
  return {
    plan: {
      total: plan.total * k,
      adaptive: plan.adaptive,
      point(index, finished) {
        const at = Math.floor(index / k);
        let base = bases.get(at);
        if (!base) bases.set(at, (base = plan.point(at, plan.adaptive ? pointObservations(finished, k) : [])));
        let id = ids.get(base.index);
        if (id === undefined) ids.set(base.index, (id = newId()));
        const point: SweepPoint = { ...base };
        folds.set(point, { id, index: index % k, k });
        return point;
      },
    },
    foldOf: (point) => folds.get(point),
  };
}

/** Finished fold runs as finished points: each k runs of the same values (in the order they finished) one point, valued by their mean. */
function pointObservations(runs: readonly SweepObservation[], k: number): SweepObservation[] {
  const open = new Map<string, SweepObservation[]>();
  const points: SweepObservation[] = [];
  for (const run of runs) {
    const key = JSON.stringify(run.params);
    const group = open.get(key) ?? [];
    group.push(run);
    if (group.length < k) {
      open.set(key, group);
      continue;
    }
    open.delete(key);
    const values = group.map((g) => g.value);
    points.push({ params: run.params, value: values.every((v) => v !== undefined && Number.isFinite(v)) ? values.reduce((a, b) => a! + b!, 0)! / k : undefined });
  }
  return points;
}

/**
 * The folds' epoch curves as bands for the dashboard of one fold: for each
 * metric the folds log at their epochs, at each epoch that two or more folds
 * reached, the folds' mean and std (as foldStat) and how many there were;
 * `shown` is the fold on screen, whose steps place the band on a step axis.
 */
export function foldEpochBands(folds: readonly (readonly MetricPoint[])[], shown: readonly MetricPoint[]): FoldEpochBand[] {
  const perFold = folds.map((points) => {
    const byEpoch = new Map<number, Record<string, number>>();
    for (const p of points) if (p.kind === 'epoch' && p.epoch !== undefined) byEpoch.set(p.epoch, p.values);
    return byEpoch;
  });
  const stepAt = new Map<number, number>();
  for (const p of shown) if (p.kind === 'epoch' && p.epoch !== undefined) stepAt.set(p.epoch, p.step);
  // The model's metrics, not the machine's (system/ keys differ by where a fold ran).
  const keys = [...new Set(perFold.flatMap((m) => [...m.values()].flatMap((v) => Object.keys(v))))].filter((key) => !key.startsWith('system/'));
  const epochs = [...new Set(perFold.flatMap((m) => [...m.keys()]))].sort((a, b) => a - b);
  const out: FoldEpochBand[] = [];
  for (const key of keys) {
    const band: FoldEpochBand = { key, epochs: [], steps: [], mean: [], std: [], folds: [] };
    for (const epoch of epochs) {
      const stat = foldStat(perFold.flatMap((m) => (typeof m.get(epoch)?.[key] === 'number' ? [m.get(epoch)![key]] : [])));
      if (!stat || stat.n < 2) continue;
      band.epochs.push(epoch);
      band.steps.push(stepAt.get(epoch) ?? null);
      band.mean.push(stat.mean);
      band.std.push(stat.std);
      band.folds.push(stat.n);
    }
    if (band.epochs.length > 0) out.push(band);
  }
  return out;
}
