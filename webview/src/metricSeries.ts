// Turns the run's metric points into chart series: which keys go to which
// chart, where each point sits on a step or epoch axis, and the smoothed
// step curves. No DOM, no chart.js: the charts only draw what this builds.

import type { MetricPoint } from '../../src/core/types';
import { smoothThinned } from '../../src/core/smoothing';
import { MAX_CURVE_POINTS, ThinnedCurve } from '../../src/core/curveThinning';

export type XAxisMode = 'step' | 'epoch';

export interface XY {
  x: number;
  y: number;
}

export type SeriesRole = 'step' | 'smoothed' | 'epoch';

export interface Series {
  /** Stable id, used to keep chart.js datasets (and their legend state) across updates. */
  id: string;
  key: string;
  role: SeriesRole;
  /** A validation series (val_*), drawn in the validation colour. */
  validation: boolean;
  points: XY[];
}

/** One key's curve: its values by step, each kept point with the metric point it came from (its step and epoch). */
type RawSeries = ThinnedCurve<MetricPoint>;

/** Below this many epochs tracked, the epoch ranges are not pruned (see pruneEpochRanges). */
const MIN_TRACKED_EPOCHS = 1024;

/** `val_mae` → `mae`; the base name groups a training metric with its validation twin. */
export function baseMetricName(key: string): string {
  return key.startsWith('val_') ? key.slice(4) : key;
}

export function isLossKey(key: string): boolean {
  return /loss$/i.test(baseMetricName(key));
}

/**
 * Holds the shown run's curves, appended as events arrive: per key at most
 * `maxPoints` points, thinned by step (src/core/curveThinning.ts: every
 * bucket's first, extremes and last), so a long fast run's page neither grows
 * nor draws slower without bound. The smoothed curve still averages every
 * point: each kept one carries the count and sum of those thinned after it.
 */
export class MetricSeriesStore {
  private readonly stepSeries = new Map<string, RawSeries>();
  private readonly epochSeries = new Map<string, RawSeries>();
  /** Global step at the end of each epoch, from the epoch points. */
  private readonly epochEndStep = new Map<number, number>();
  /** First and last step seen among the step points of each epoch. */
  private readonly epochStepRange = new Map<number, [number, number]>();
  private lastStep = 0;
  private lastEpoch = 0;
  /** The epoch ranges are pruned when they track more epochs than this. */
  private pruneAbove = MIN_TRACKED_EPOCHS;

  constructor(private readonly maxPoints: number = MAX_CURVE_POINTS) {}

  reset(points: readonly MetricPoint[]): void {
    this.stepSeries.clear();
    this.epochSeries.clear();
    this.epochEndStep.clear();
    this.epochStepRange.clear();
    this.lastStep = 0;
    this.lastEpoch = 0;
    this.pruneAbove = MIN_TRACKED_EPOCHS;
    this.append(points);
  }

  /**
   * Appends points in the order the trainer wrote them and returns those kept.
   * Points at or before the last one of their kind are dropped: the host may
   * re-send a state that already holds part of an event batch.
   */
  append(points: readonly MetricPoint[]): MetricPoint[] {
    const kept: MetricPoint[] = [];
    for (const p of points) {
      if (p.kind === 'step') {
        if (p.step <= this.lastStep) continue;
        this.lastStep = p.step;
        const range = this.epochStepRange.get(p.epoch);
        if (range) range[1] = p.step;
        else this.epochStepRange.set(p.epoch, [p.step, p.step]);
        this.push(this.stepSeries, p);
      } else {
        if (p.epoch <= this.lastEpoch) continue;
        this.lastEpoch = p.epoch;
        this.epochEndStep.set(p.epoch, p.step);
        this.push(this.epochSeries, p);
      }
      kept.push(p);
    }
    if (this.epochStepRange.size + this.epochEndStep.size > this.pruneAbove) this.pruneEpochRanges();
    return kept;
  }

  private push(into: Map<string, RawSeries>, p: MetricPoint): void {
    for (const [key, value] of Object.entries(p.values)) {
      // A chart draws no NaN or infinite value (toPoints left them out, the smoothing skipped them): the curve takes none.
      if (typeof value !== 'number' || !Number.isFinite(value)) continue;
      let s = into.get(key);
      if (!s) into.set(key, (s = new ThinnedCurve<MetricPoint>(this.maxPoints)));
      s.push(p.step, value, p);
    }
  }

  /**
   * Forgets the step ranges of epochs no kept step point needs (fractionalEpoch
   * reads a point's epoch and the two before it) and that are not among the
   * latest: the kept points sit where they sat, and a run of hundreds of
   * thousands of epochs keeps a bounded number. Amortized: the next prune waits
   * until the tracked epochs have doubled.
   */
  private pruneEpochRanges(): void {
    const needed = new Set<number>();
    for (const s of this.stepSeries.values()) {
      for (const p of s.items) needed.add(p.epoch).add(p.epoch - 1).add(p.epoch - 2);
    }
    let latest = this.lastEpoch;
    for (const e of this.epochStepRange.keys()) if (e > latest) latest = e;
    const keep = (e: number) => e >= latest - 2 || needed.has(e);
    for (const e of [...this.epochStepRange.keys()]) if (!keep(e)) this.epochStepRange.delete(e);
    for (const e of [...this.epochEndStep.keys()]) if (!keep(e)) this.epochEndStep.delete(e);
    this.pruneAbove = Math.max(MIN_TRACKED_EPOCHS, 2 * (this.epochStepRange.size + this.epochEndStep.size));
  }

  /** Epochs whose step ranges are held (for the epoch axis): bounded however long the run. */
  get trackedEpochs(): number {
    return new Set([...this.epochStepRange.keys(), ...this.epochEndStep.keys()]).size;
  }

  /**
   * The metric points behind the kept curve points, each once and with the
   * values of the curves that kept it, in the order the trainer wrote them (by
   * step, a step's batch point before its epoch point): what the page saves, so
   * that a reload rebuilds the same curves on the step axis (on the epoch axis a
   * step point is placed from the saved points' epochs until the host's state
   * comes, as a reloaded page always did).
   */
  points(): MetricPoint[] {
    const kept = new Map<MetricPoint, Record<string, number>>();
    for (const series of [this.stepSeries, this.epochSeries]) {
      for (const [key, s] of series) {
        for (let i = 0; i < s.items.length; i++) {
          const p = s.items[i];
          let values = kept.get(p);
          if (!values) kept.set(p, (values = {}));
          values[key] = s.ys[i];
        }
      }
    }
    return [...kept]
      .map(([p, values]) => ({ ...p, values }))
      .sort((a, b) => a.step - b.step || (a.kind === b.kind ? a.epoch - b.epoch : a.kind === 'step' ? -1 : 1));
  }

  /** Every metric key seen, step keys first, in first-seen order. */
  keys(): string[] {
    return [...new Set([...this.stepSeries.keys(), ...this.epochSeries.keys()])];
  }

  get isEmpty(): boolean {
    return this.stepSeries.size === 0 && this.epochSeries.size === 0;
  }

  /**
   * The series for the keys that `include` accepts: per key the raw step curve,
   * its smoothed twin (when `smoothing` > 0) and the epoch curve.
   */
  build(include: (key: string) => boolean, xAxis: XAxisMode, smoothing: number): Series[] {
    const out: Series[] = [];
    for (const [key, s] of this.stepSeries) {
      if (!include(key)) continue;
      const xs = s.items.map((p) => (xAxis === 'step' ? p.step : this.fractionalEpoch(p.step, p.epoch)));
      const validation = key.startsWith('val_');
      out.push({ id: `step:${key}`, key, role: 'step', validation, points: toPoints(xs, s.ys) });
      if (smoothing > 0) {
        out.push({ id: `smoothed:${key}`, key, role: 'smoothed', validation, points: toPoints(xs, smoothThinned(s.ys, s.counts, s.sums, smoothing)) });
      }
    }
    for (const [key, s] of this.epochSeries) {
      if (!include(key)) continue;
      const xs = s.items.map((p) => (xAxis === 'step' ? p.step : p.epoch));
      out.push({ id: `epoch:${key}`, key, role: 'epoch', validation: key.startsWith('val_'), points: toPoints(xs, s.ys) });
    }
    return out;
  }

  /**
   * Where a step sits on the epoch axis: epoch e spans (e-1, e]. Steps of an
   * epoch still running are placed with the previous epoch's length.
   */
  private fractionalEpoch(step: number, epoch: number): number {
    const range = this.epochStepRange.get(epoch);
    const start = this.epochEndStep.get(epoch - 1) ?? (epoch === 1 ? 0 : (range ? range[0] - 1 : step - 1));
    let end = this.epochEndStep.get(epoch);
    if (end === undefined) {
      const prevEnd = this.epochEndStep.get(epoch - 1);
      const prevStart = this.epochEndStep.get(epoch - 2) ?? (epoch - 1 === 1 ? 0 : undefined);
      const estimate = prevEnd !== undefined && prevStart !== undefined ? prevEnd - prevStart : 0;
      end = Math.max(range ? range[1] : step, start + estimate);
    }
    return end > start ? epoch - 1 + (step - start) / (end - start) : epoch;
  }
}

function toPoints(xs: readonly number[], ys: readonly number[]): XY[] {
  const points: XY[] = [];
  for (let i = 0; i < xs.length; i++) {
    if (Number.isFinite(ys[i]) && Number.isFinite(xs[i])) points.push({ x: xs[i], y: ys[i] });
  }
  return points;
}

/**
 * How many decades the raw points span: log10 of the largest over the
 * smallest positive value (0 with fewer than two positive values). A loss
 * that falls from 10 to 0.01 spans 3.
 */
export function decadesSpanned(series: readonly Series[]): number {
  let lo = Infinity;
  let hi = 0;
  for (const s of series) {
    if (s.role === 'smoothed') continue;
    for (const p of s.points) {
      if (p.y <= 0) continue;
      if (p.y < lo) lo = p.y;
      if (p.y > hi) hi = p.y;
    }
  }
  return hi > 0 && lo < hi ? Math.log10(hi / lo) : 0;
}

/** Raw points drawn (smoothed twins are derived, not counted). */
export function countRawPoints(series: readonly Series[]): number {
  let n = 0;
  for (const s of series) if (s.role !== 'smoothed') n += s.points.length;
  return n;
}
