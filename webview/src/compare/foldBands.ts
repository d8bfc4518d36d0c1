// The folds of a cross-validation on the comparison chart: one band per
// metric series instead of k curves — at each x every fold has a point, the
// folds' mean (the line), min and max (the band). Pure: the chart draws what
// this returns; fold runs whose curves form a band are not drawn one by one.

import type { CompareSeries } from '../../../src/core/protocol/compare';

export interface FoldBand {
  /** The cross-validation (RunMeta.fold.id) and its fold runs drawn in the band. */
  groupId: string;
  k: number;
  runIds: string[];
  key: string;
  kind: CompareSeries['kind'];
  smoothed: boolean;
  x: number[];
  mean: number[];
  min: number[];
  max: number[];
}

/**
 * The bands of the fold groups among `series` (each run's fold by id, absent
 * for a run that is no fold). A group of one run in the chart makes no band.
 * Only the curves shown as lines take part: a smoothed series where the run
 * has one, else its raw one.
 */
export function foldBands(series: readonly CompareSeries[], folds: ReadonlyMap<string, { id: string; k: number }>): { bands: FoldBand[]; banded: Set<string> } {
  const smoothedKeys = new Set(series.filter((s) => s.smoothed).map((s) => `${s.runId}\u0000${s.key}`));
  const groups = new Map<string, CompareSeries[]>();
  for (const s of series) {
    const fold = folds.get(s.runId);
    if (!fold) continue;
    if (!s.smoothed && smoothedKeys.has(`${s.runId}\u0000${s.key}`)) continue; // its faint raw twin goes with the band
    const key = `${fold.id}\u0000${s.key}\u0000${s.kind}\u0000${s.smoothed}`;
    let list = groups.get(key);
    if (!list) groups.set(key, (list = []));
    list.push(s);
  }
  const bands: FoldBand[] = [];
  const banded = new Set<string>();
  for (const members of groups.values()) {
    const runIds = [...new Set(members.map((m) => m.runId))];
    if (runIds.length < 2) continue;
    const fold = folds.get(members[0].runId)!;
    // The x values every member has, in order.
    const byRun = members.map((m) => new Map(m.x.map((x, i) => [x, m.y[i]])));
    const xs = members[0].x.filter((x) => byRun.every((values) => values.has(x) && Number.isFinite(values.get(x))));
    const band: FoldBand = { groupId: fold.id, k: fold.k, runIds, key: members[0].key, kind: members[0].kind, smoothed: members[0].smoothed, x: [], mean: [], min: [], max: [] };
    for (const x of xs) {
      const ys = byRun.map((values) => values.get(x)!);
      band.x.push(x);
      band.mean.push(ys.reduce((s, y) => s + y, 0) / ys.length);
      band.min.push(Math.min(...ys));
      band.max.push(Math.max(...ys));
    }
    bands.push(band);
    for (const id of runIds) banded.add(`${id}\u0000${band.key}`);
  }
  return { bands, banded };
}
