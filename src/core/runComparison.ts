// Comparing runs side by side: configs flattened to dotted paths, the rows of
// the parameter and metric tables with what differs, which way a metric is
// better, and deltas against a baseline run. Pure: the host builds the rows'
// inputs, the compare webview the table, the tests check both in plain Node.

import type { ParamValue } from './protocol/compare';
import type { Evaluation, MetricPoint, RunMeta } from './types';
import { metricGoal } from './metrics';

/**
 * A config as dotted paths to scalars: `training.optimizer.learningRate`,
 * `model.layers[0].units`. Arrays of scalars stay one value (`["mae","r2"]`),
 * so a list of feature columns is one row, not ten.
 */
export function flattenConfig(value: unknown, prefix = ''): Record<string, ParamValue> {
  const out: Record<string, ParamValue> = {};
  const visit = (v: unknown, path: string): void => {
    if (v === null || typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') {
      if (path) out[path] = v;
      return;
    }
    if (Array.isArray(v)) {
      if (v.every((item) => item === null || typeof item !== 'object')) {
        if (path) out[path] = JSON.stringify(v);
        return;
      }
      v.forEach((item, i) => visit(item, `${path}[${i}]`));
      return;
    }
    if (typeof v === 'object') {
      const entries = Object.entries(v as Record<string, unknown>);
      if (entries.length === 0 && path) out[path] = '{}';
      for (const [key, child] of entries) visit(child, path ? `${path}.${key}` : key);
    }
    // undefined, functions, symbols: not config values.
  };
  visit(value, prefix);
  return out;
}

export interface ComparedRow<T> {
  key: string;
  /** One cell per run, in the runs' order; undefined where a run has no such key. */
  values: (T | undefined)[];
  /** Not every run has the same value (a missing value differs from any value). */
  differs: boolean;
}

/** The union of the runs' keys in first-seen order, each with every run's value. */
export function compareRows<T extends ParamValue>(runs: readonly Record<string, T>[]): ComparedRow<T>[] {
  const keys: string[] = [];
  const seen = new Set<string>();
  for (const run of runs) {
    for (const key of Object.keys(run)) {
      if (!seen.has(key)) {
        seen.add(key);
        keys.push(key);
      }
    }
  }
  return keys.map((key) => {
    const values = runs.map((run) => (Object.prototype.hasOwnProperty.call(run, key) ? run[key] : undefined));
    const differs = values.some((v) => !sameValue(v, values[0]));
    return { key, values, differs };
  });
}

function sameValue(a: unknown, b: unknown): boolean {
  return a === b || (typeof a === 'number' && typeof b === 'number' && Number.isNaN(a) && Number.isNaN(b));
}

/** `model.layers[0].units` → `units`: a config path's last key, for short labels. */
export function lastSegment(path: string): string {
  const parts = path.split('.');
  return parts[parts.length - 1].replace(/\[\d+\]$/, '') || path;
}

/**
 * A swept layer stack ("model.layers": a list of layers) in a few characters:
 * each layer's type with its size (units, filters, rate), joined by arrows —
 * "dense32→dense32→dense2". Undefined for anything that is not a list of layers.
 */
export function describeLayerStack(value: unknown): string | undefined {
  if (!Array.isArray(value) || value.length === 0) return undefined;
  const parts: string[] = [];
  for (const layer of value) {
    if (typeof layer !== 'object' || layer === null || Array.isArray(layer)) return undefined;
    const l = layer as Record<string, unknown>;
    if (typeof l.type !== 'string') return undefined;
    const size = l.units ?? l.filters ?? l.rate;
    parts.push(`${l.type}${typeof size === 'number' ? size : ''}`);
  }
  return parts.join('→');
}

/** `{"training.optimizer.learningRate": 0.01, "model.layers[0].units": 32}` → `learningRate=0.01 · units=32`. */
export function paramLabel(params: Record<string, unknown>): string {
  return Object.entries(params)
    .map(([path, value]) => `${lastSegment(path)}=${typeof value === 'string' ? value : (describeLayerStack(value) ?? JSON.stringify(value))}`)
    .join(' · ');
}

export interface LabelledRun {
  /** The experiment's name. */
  name: string;
  /** The run's time as the sidebar shows it. */
  when: string;
  /** Its config, flattened (flattenConfig). */
  params: Record<string, ParamValue>;
}

/**
 * Names for runs shown side by side: the experiment (when more than one is
 * compared) and the parameters that set the runs apart, at most `maxParams`
 * of them; the run's time is added where that leaves two runs with one name.
 */
export function compareLabels(runs: readonly LabelledRun[], maxParams = 3): string[] {
  // The config's own `name` is the experiment's, which the label shows by itself.
  const differing = compareRows(runs.map((r) => r.params)).filter((row) => row.differs && row.key !== 'name');
  const experiments = new Set(runs.map((r) => r.name)).size;
  const labels = runs.map((run, i) => {
    const set: Record<string, ParamValue> = {};
    for (const row of differing) {
      const value = row.values[i];
      if (value !== undefined && Object.keys(set).length < maxParams) set[row.key] = value;
    }
    return [experiments > 1 ? run.name : '', paramLabel(set)].filter(Boolean).join(' · ');
  });
  return labels.map((label, i) =>
    !label || labels.some((other, j) => j !== i && other === label) ? [label, runs[i].when].filter(Boolean).join(' · ') : label,
  );
}

/** Only the rows that differ, when asked to. */
export function visibleRows<T>(rows: readonly ComparedRow<T>[], differencesOnly: boolean): ComparedRow<T>[] {
  return differencesOnly ? rows.filter((r) => r.differs) : [...rows];
}

/**
 * What a run ended with: the last epoch's logs (from the points, else the
 * meta), then the evaluation's metrics as `evaluation.<name>`.
 */
export function finalMetrics(meta: Pick<RunMeta, 'lastMetrics'>, points: readonly MetricPoint[], evaluation?: Evaluation): Record<string, number> {
  const out: Record<string, number> = {};
  let lastEpoch: MetricPoint | undefined;
  for (let i = points.length - 1; i >= 0; i--) {
    if (points[i].kind === 'epoch') {
      lastEpoch = points[i];
      break;
    }
  }
  const logs = lastEpoch?.values ?? meta.lastMetrics ?? {};
  for (const [key, value] of Object.entries(logs)) if (typeof value === 'number') out[key] = value;
  if (evaluation) {
    for (const [key, value] of Object.entries(evaluation.metrics as unknown as Record<string, unknown>)) {
      if (typeof value === 'number') out[`evaluation.${key}`] = value;
    }
  }
  return out;
}



export interface Delta {
  /** value − baseline */
  absolute: number;
  /** (value − baseline) / |baseline|; undefined when the baseline is 0 or not finite. */
  relative?: number;
  /** Whether the change is an improvement; undefined when the metric has no direction or nothing changed. */
  better?: boolean;
}

export function metricDelta(key: string, value: number | undefined, baseline: number | undefined): Delta | undefined {
  if (value === undefined || baseline === undefined || !Number.isFinite(value) || !Number.isFinite(baseline)) return undefined;
  const absolute = value - baseline;
  const relative = baseline !== 0 ? absolute / Math.abs(baseline) : undefined;
  const goal = metricGoal(key);
  const better = goal === undefined || absolute === 0 ? undefined : goal === 'minimize' ? absolute < 0 : absolute > 0;
  return { absolute, relative, better };
}
