// Parallel coordinates of compared runs (W&B's sweep chart, TensorBoard's
// HParams): one axis per parameter that differs between the runs, then the
// metric they are ranked by; each run a line through its values. Pure: the
// compare webview draws what this lays out and filters by the ranges a user
// brushes on the axes.

import type { ParamValue } from './protocol/compare';
import { compareRows, lastSegment } from './runComparison';
import { goalFor, type MetricGoal } from './metrics';

export interface ParallelRun {
  id: string;
  params: Record<string, ParamValue>;
  final: Record<string, number>;
}

interface AxisBase {
  /** The config path (a parameter) or the metric's key. */
  key: string;
  /** What the axis is titled: a parameter's last key, or the metric. */
  label: string;
}

export interface NumberAxis extends AxisBase {
  kind: 'number';
  min: number;
  max: number;
  /** Logarithmic: positive values spanning more than two decades (learning rates). */
  log: boolean;
}

export interface CategoryAxis extends AxisBase {
  kind: 'category';
  /** Values in first-seen order, as text; each gets an even share of the axis. */
  categories: string[];
}

export type ParallelAxis = NumberAxis | CategoryAxis;

export interface ParallelLine {
  runId: string;
  /** Per axis, the run's place on it from 0 (bottom) to 1 (top); undefined where it has no value. */
  positions: (number | undefined)[];
  /** The metric's value, and its place from 0 (worst of the runs) to 1 (best), for the line's colour. */
  metric?: number;
  quality?: number;
}

export interface ParallelLayout {
  axes: ParallelAxis[];
  lines: ParallelLine[];
  /** The metric axis' key (the last axis), when any run has it. */
  metricKey?: string;
  goal?: MetricGoal;
}

/** The metric the axes end with: the validation twin of `metric` where runs have it (what a sweep ranks by), else `metric` itself. */
export function rankingKey(runs: readonly ParallelRun[], metric: string): string {
  const twin = metric.startsWith('val_') ? metric : `val_${metric}`;
  return runs.some((r) => Number.isFinite(r.final[twin])) ? twin : metric;
}

/** A config value as an axis category: strings as written, anything else as JSON. */
function categoryOf(value: ParamValue): string {
  return typeof value === 'string' ? value : JSON.stringify(value);
}

function numberAxis(key: string, label: string, values: readonly number[]): NumberAxis {
  const min = Math.min(...values);
  const max = Math.max(...values);
  return { kind: 'number', key, label, min, max, log: min > 0 && max / min > 100 };
}

/** Where `value` sits on `axis`, from 0 to 1; undefined for a value the axis does not hold. */
export function axisPosition(axis: ParallelAxis, value: ParamValue | undefined): number | undefined {
  if (value === undefined) return undefined;
  if (axis.kind === 'category') {
    const i = axis.categories.indexOf(categoryOf(value));
    if (i < 0) return undefined;
    return axis.categories.length === 1 ? 0.5 : i / (axis.categories.length - 1);
  }
  if (typeof value !== 'number' || !Number.isFinite(value)) return undefined;
  if (axis.max === axis.min) return 0.5;
  if (axis.log) return (Math.log(value) - Math.log(axis.min)) / (Math.log(axis.max) - Math.log(axis.min));
  return (value - axis.min) / (axis.max - axis.min);
}

/** The value at a place on a number axis (the inverse of axisPosition), for tick labels and brush ranges. */
export function axisValue(axis: NumberAxis, position: number): number {
  if (axis.max === axis.min) return axis.min;
  if (axis.log) return Math.exp(Math.log(axis.min) + position * (Math.log(axis.max) - Math.log(axis.min)));
  return axis.min + position * (axis.max - axis.min);
}

/**
 * The axes and lines for `runs`: the parameters whose values differ (numbers
 * on a linear or log axis, anything else as categories; the config's name is
 * left out, the experiment shows it), then the ranking metric.
 */
export function parallelLayout(runs: readonly ParallelRun[], metric: string): ParallelLayout {
  const axes: ParallelAxis[] = [];
  const columns: (ParamValue | undefined)[][] = [];
  for (const row of compareRows(runs.map((r) => r.params))) {
    if (!row.differs || row.key === 'name') continue;
    const present = row.values.filter((v): v is ParamValue => v !== undefined);
    const numbers = present.filter((v): v is number => typeof v === 'number' && Number.isFinite(v));
    axes.push(
      numbers.length === present.length && numbers.length > 0
        ? numberAxis(row.key, lastSegment(row.key), numbers)
        : { kind: 'category', key: row.key, label: lastSegment(row.key), categories: [...new Set(present.map(categoryOf))] },
    );
    columns.push(row.values);
  }
  const metricKey = rankingKey(runs, metric);
  const scores = runs.map((r) => r.final[metricKey]);
  const finite = scores.filter((v): v is number => Number.isFinite(v));
  let goal: MetricGoal | undefined;
  if (finite.length > 0) {
    axes.push(numberAxis(metricKey, metricKey, finite));
    columns.push(scores);
    goal = goalFor(metricKey);
  }
  const metricAxis = finite.length > 0 ? (axes[axes.length - 1] as NumberAxis) : undefined;
  const lines = runs.map((run, r): ParallelLine => {
    const metricValue = Number.isFinite(scores[r]) ? scores[r] : undefined;
    let quality: number | undefined;
    if (metricAxis && metricValue !== undefined) {
      const place = axisPosition(metricAxis, metricValue)!;
      quality = goal === 'maximize' ? place : 1 - place;
    }
    return { runId: run.id, positions: axes.map((axis, a) => axisPosition(axis, columns[a][r])), metric: metricValue, quality };
  });
  return { axes, lines, metricKey: metricAxis ? metricKey : undefined, goal };
}

/** A brushed range on one axis: places from `low` to `high` (0..1). */
export interface Brush {
  axis: number;
  low: number;
  high: number;
}

/** The runs whose lines pass through every brushed range (a run without a value on a brushed axis does not). */
export function brushedRuns(layout: ParallelLayout, brushes: readonly Brush[]): Set<string> {
  const kept = new Set<string>();
  for (const line of layout.lines) {
    const inside = brushes.every((b) => {
      const p = line.positions[b.axis];
      return p !== undefined && p >= Math.min(b.low, b.high) - 1e-9 && p <= Math.max(b.low, b.high) + 1e-9;
    });
    if (inside) kept.add(line.runId);
  }
  return kept;
}
