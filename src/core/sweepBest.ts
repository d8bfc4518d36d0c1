// A sweep's points from its run folders' metas, ranked by the sweep's metric:
// one run per point, or, cross-validated, the k fold runs of a point ranked by
// their mean. What "Train Best on All Training Data" retrains (the best
// point's values for the epochs its run stopped at) and which runs an
// ensemble takes. Pure: the callers read the metas.

import { runMetrics } from './configResults';
import { foldStat } from './crossValidation';
import type { FoldStat } from './crossValidation';
import type { MetricGoal } from './metrics';
import type { RetrainSource, RunMeta } from './types';

export interface SweepPointResult {
  index: number;
  params: Record<string, unknown>;
  /** The point's runs: one, or its folds in fold order. */
  runs: RunMeta[];
  /** The metric's value (the folds' mean), when every run of the point completed and logged it. */
  value?: number;
  /** Over the folds, for a cross-validated point. */
  spread?: FoldStat;
  /** The epoch count to retrain for: the run's best (kept) epoch, or the folds' mean of theirs, rounded. */
  bestEpoch?: number;
}

/** The sweeps in the metas of one config, newest first (by their first run's creation). */
export function sweepsOf(metas: readonly RunMeta[], configPath: string): string[] {
  const first = new Map<string, string>();
  for (const m of metas) {
    if (!m.sweep || m.configPath !== configPath) continue;
    const at = first.get(m.sweep.id);
    if (at === undefined || m.createdAt < at) first.set(m.sweep.id, m.createdAt);
  }
  return [...first.entries()].sort((a, b) => (a[1] < b[1] ? 1 : a[1] > b[1] ? -1 : 0)).map(([id]) => id);
}

/** The points of one sweep, best first by `metric` (points without a value last, by index). */
export function rankSweepPoints(metas: readonly RunMeta[], sweepId: string, metric: string, goal: MetricGoal): SweepPointResult[] {
  const byIndex = new Map<number, RunMeta[]>();
  for (const m of metas) {
    if (m.sweep?.id !== sweepId) continue;
    let list = byIndex.get(m.sweep.index);
    if (!list) byIndex.set(m.sweep.index, (list = []));
    list.push(m);
  }
  const points: SweepPointResult[] = [...byIndex.entries()].map(([index, runs]) => {
    runs.sort((a, b) => (a.fold?.index ?? 0) - (b.fold?.index ?? 0));
    const k = runs[0].fold?.k;
    const complete = runs.every((r) => r.status === 'completed') && (k === undefined || runs.length === k);
    const values = runs.map((r) => runMetrics(r)?.[metric]);
    const stat = complete && values.every((v): v is number => typeof v === 'number') ? foldStat(values as number[]) : undefined;
    const epochs = runs.map((r) => r.bestEpoch || r.epochsDone);
    const bestEpoch = complete ? Math.max(1, Math.round(epochs.reduce((s, e) => s + e, 0) / epochs.length)) : undefined;
    return { index, params: runs[0].sweep!.params, runs, value: stat?.mean, spread: k !== undefined ? stat : undefined, bestEpoch };
  });
  const sign = goal === 'maximize' ? -1 : 1;
  return points.sort((a, b) => {
    if (a.value === undefined || b.value === undefined) return a.value === undefined ? (b.value === undefined ? a.index - b.index : 1) : -1;
    return sign * (a.value - b.value) || a.index - b.index;
  });
}

/** What a retrain of the best point records (RunMeta.retrain); undefined when no point has a value. */
export function retrainSourceOf(ranked: readonly SweepPointResult[], sweepId: string, metric: string): RetrainSource | undefined {
  const best = ranked[0];
  if (!best || best.value === undefined || best.bestEpoch === undefined) return undefined;
  return { sweepId, fromRun: best.runs[0].id, epochs: best.bestEpoch, metric, value: best.value };
}
