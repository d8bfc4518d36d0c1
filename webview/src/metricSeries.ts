// Turns the run's metric points into chart series: which keys go to which
// chart, where each point sits on a step or epoch axis, and the smoothed
// step curves. No DOM, no chart.js: the charts only draw what this builds.

import type { MetricPoint } from '../../src/core/types';
import { smoothEma } from '../../src/core/smoothing';

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

interface RawSeries {
  steps: number[];
  epochs: number[];
  values: number[];
}

/** `val_mae` → `mae`; the base name groups a training metric with its validation twin. */
export function baseMetricName(key: string): string {
  return key.startsWith('val_') ? key.slice(4) : key;
}

export function isLossKey(key: string): boolean {
  return /loss$/i.test(baseMetricName(key));
}

/** Holds every metric point of the shown run, appended as events arrive. */
export class MetricSeriesStore {
  private readonly stepSeries = new Map<string, RawSeries>();
  private readonly epochSeries = new Map<string, RawSeries>();
  /** Global step at the end of each epoch, from the epoch points. */
  private readonly epochEndStep = new Map<number, number>();
  /** First and last step seen among the step points of each epoch. */
  private readonly epochStepRange = new Map<number, [number, number]>();
  private lastStep = 0;
  private lastEpoch = 0;

  reset(points: readonly MetricPoint[]): void {
    this.stepSeries.clear();
    this.epochSeries.clear();
    this.epochEndStep.clear();
    this.epochStepRange.clear();
    this.lastStep = 0;
    this.lastEpoch = 0;
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
    return kept;
  }

  private push(into: Map<string, RawSeries>, p: MetricPoint): void {
    for (const [key, value] of Object.entries(p.values)) {
      if (typeof value !== 'number') continue;
      let s = into.get(key);
      if (!s) into.set(key, (s = { steps: [], epochs: [], values: [] }));
      s.steps.push(p.step);
      s.epochs.push(p.epoch);
      s.values.push(value);
    }
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
      const xs = s.steps.map((step, i) => (xAxis === 'step' ? step : this.fractionalEpoch(step, s.epochs[i])));
      const validation = key.startsWith('val_');
      out.push({ id: `step:${key}`, key, role: 'step', validation, points: toPoints(xs, s.values) });
      if (smoothing > 0) {
        out.push({ id: `smoothed:${key}`, key, role: 'smoothed', validation, points: toPoints(xs, smoothEma(s.values, smoothing)) });
      }
    }
    for (const [key, s] of this.epochSeries) {
      if (!include(key)) continue;
      const xs = xAxis === 'step' ? s.steps : s.epochs;
      out.push({ id: `epoch:${key}`, key, role: 'epoch', validation: key.startsWith('val_'), points: toPoints(xs, s.values) });
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
