// The curves the compare panel draws, prepared in the host: a run's metric
// points split into columns once, then per request the series of one metric
// placed on the chosen x axis, smoothed on the full data and only then
// downsampled to what the chart can show. Pure, so a million-point run is
// tested (and benchmarked) in plain Node.

import { downsampleXY } from './downsample';
import type { CompareSeries, CompareXAxis } from './protocol/compare';
import { smoothEma } from './smoothing';
import { metricChoiceRank } from './systemMetrics';
import type { MetricPoint } from './types';

interface KeyColumns {
  steps: number[];
  epochs: number[];
  /** Milliseconds since the run started. */
  times: number[];
  values: number[];
}

export interface MetricColumns {
  step: Map<string, KeyColumns>;
  epoch: Map<string, KeyColumns>;
  /** Global step at the end of each epoch (from the epoch points). */
  epochEndStep: Map<number, number>;
  /** First and last step of each epoch's step points. */
  epochStepRange: Map<number, [number, number]>;
  /** Points read. */
  count: number;
}

export function metricColumns(points: readonly MetricPoint[]): MetricColumns {
  const columns = emptyColumns(points.length);
  addToColumns(columns, points, 0, points.length);
  return columns;
}

/** Points per slice of metricColumnsAsync: ~20–30 ms of work between yields. */
const COLUMN_SLICE = 50_000;

/**
 * metricColumns in slices, yielding to the event loop between them: the
 * extension host stays responsive while the columns of a day-long run
 * (millions of points, ~1 s of work at once) are built.
 */
export async function metricColumnsAsync(points: readonly MetricPoint[], slice = COLUMN_SLICE): Promise<MetricColumns> {
  const columns = emptyColumns(points.length);
  for (let from = 0; from < points.length; from += slice) {
    if (from > 0) await new Promise((resolve) => setImmediate(resolve));
    addToColumns(columns, points, from, Math.min(points.length, from + slice));
  }
  return columns;
}

function emptyColumns(count: number): MetricColumns {
  return { step: new Map(), epoch: new Map(), epochEndStep: new Map(), epochStepRange: new Map(), count };
}

function addToColumns(columns: MetricColumns, points: readonly MetricPoint[], from: number, to: number): void {
  for (let i = from; i < to; i++) {
    const p = points[i];
    const into = p.kind === 'step' ? columns.step : columns.epoch;
    if (p.kind === 'step') {
      const range = columns.epochStepRange.get(p.epoch);
      if (range) {
        if (p.step < range[0]) range[0] = p.step;
        if (p.step > range[1]) range[1] = p.step;
      } else {
        columns.epochStepRange.set(p.epoch, [p.step, p.step]);
      }
    } else {
      columns.epochEndStep.set(p.epoch, p.step);
    }
    for (const [key, value] of Object.entries(p.values)) {
      if (typeof value !== 'number') continue;
      let c = into.get(key);
      if (!c) into.set(key, (c = { steps: [], epochs: [], times: [], values: [] }));
      c.steps.push(p.step);
      c.epochs.push(p.epoch);
      c.times.push(p.time);
      c.values.push(value);
    }
  }
}

/** `val_mae` → `mae`. */
export function baseMetricName(key: string): string {
  return key.startsWith('val_') ? key.slice(4) : key;
}

/** The base metric names with curves, loss first, then the model's metrics, the learning rate, the system/ keys last. */
export function curveMetrics(columns: readonly MetricColumns[]): string[] {
  const names = new Set<string>();
  for (const c of columns) for (const key of [...c.step.keys(), ...c.epoch.keys()]) names.add(baseMetricName(key));
  return [...names].sort((a, b) => metricChoiceRank(a) - metricChoiceRank(b) || a.localeCompare(b));
}

export interface SeriesRequest {
  metric: string;
  xAxis: CompareXAxis;
  /** EMA weight in [0, 1); 0 sends no smoothed twins. */
  smoothing: number;
  /** Points per series after downsampling. */
  maxPoints: number;
}

/**
 * One run's series for a metric: the training key and its `val_` twin, each
 * from batch (step) points when the run logged them, else from epoch points.
 * Step series get a smoothed twin when smoothing is on.
 */
export function compareSeriesFor(runId: string, columns: MetricColumns, request: SeriesRequest): CompareSeries[] {
  const out: CompareSeries[] = [];
  for (const key of [request.metric, `val_${request.metric}`]) {
    const step = columns.step.get(key);
    if (step && step.values.length > 0) {
      const xs = xValues(columns, step, 'step', request.xAxis);
      out.push(series(runId, key, 'step', false, xs, step.values, request.maxPoints));
      if (request.smoothing > 0) out.push(series(runId, key, 'step', true, xs, smoothEma(step.values, request.smoothing), request.maxPoints));
      continue;
    }
    const epoch = columns.epoch.get(key);
    if (epoch && epoch.values.length > 0) {
      out.push(series(runId, key, 'epoch', false, xValues(columns, epoch, 'epoch', request.xAxis), epoch.values, request.maxPoints));
    }
  }
  return out;
}

function series(runId: string, key: string, kind: 'step' | 'epoch', smoothed: boolean, xs: number[], ys: readonly number[], maxPoints: number): CompareSeries {
  const { x, y } = downsampleXY(xs, ys, maxPoints);
  return { runId, key, kind, smoothed, x, y, rawCount: ys.length };
}

function xValues(columns: MetricColumns, c: KeyColumns, kind: 'step' | 'epoch', xAxis: CompareXAxis): number[] {
  switch (xAxis) {
    case 'step':
      return c.steps;
    case 'time':
      return c.times.map((ms) => ms / 1000);
    case 'epoch':
      return kind === 'epoch' ? c.epochs : c.steps.map((step, i) => fractionalEpoch(columns, step, c.epochs[i]));
  }
}

/** Where a batch sits on the epoch axis: epoch e spans (e − 1, e]. */
export function fractionalEpoch(columns: MetricColumns, step: number, epoch: number): number {
  const range = columns.epochStepRange.get(epoch);
  const start = columns.epochEndStep.get(epoch - 1) ?? (epoch === 1 ? 0 : range ? range[0] - 1 : step - 1);
  const end = columns.epochEndStep.get(epoch) ?? (range ? range[1] : step);
  return end > start ? epoch - 1 + (step - start) / (end - start) : epoch;
}
