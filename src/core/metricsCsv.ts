// Metrics as CSV, for a spreadsheet or pandas: one row per logged point, in
// the order the trainer wrote them. Columns: step, epoch, time (ms since the
// run started), kind (step = one batch, epoch = the epoch's logs: a step and
// an epoch row can share a step number with different losses), then every
// metric key. The compare panel's export puts the run's id and name first.
// papaparse does the quoting; text cells that a spreadsheet would run as a
// formula (=, +, -, @) are escaped.

import Papa from 'papaparse';
import type { MetricPoint } from './types';

export interface CsvRun {
  id: string;
  name: string;
  points: readonly MetricPoint[];
}

/** Every metric key in first-seen order. */
export function metricKeys(points: readonly MetricPoint[], into: string[] = [], seen = new Set<string>(into)): string[] {
  for (const p of points) {
    for (const key of Object.keys(p.values)) {
      if (!seen.has(key)) {
        seen.add(key);
        into.push(key);
      }
    }
  }
  return into;
}

function cell(value: unknown): number | string | null {
  if (typeof value !== 'number') return null;
  if (Number.isFinite(value)) return value;
  return Number.isNaN(value) ? 'NaN' : value > 0 ? 'Infinity' : '-Infinity';
}

function unparse(fields: string[], data: (number | string | null)[][]): string {
  // One newline after the last row, whether or not there are rows (papaparse ends a header-only table with one).
  return Papa.unparse({ fields, data }, { newline: '\n', escapeFormulae: true }).replace(/\n*$/, '\n');
}

/** One run's metrics. */
export function metricsToCsv(points: readonly MetricPoint[]): string {
  const keys = metricKeys(points);
  const rows = points.map((p) => [p.step, p.epoch, p.time, p.kind, ...keys.map((k) => cell(p.values[k]))]);
  return unparse(['step', 'epoch', 'time', 'kind', ...keys], rows);
}

/** Several runs' metrics in one table (long format: a run's rows, then the next run's). */
export function runsMetricsToCsv(runs: readonly CsvRun[]): string {
  const keys: string[] = [];
  const seen = new Set<string>();
  for (const run of runs) metricKeys(run.points, keys, seen);
  const rows: (number | string | null)[][] = [];
  for (const run of runs) {
    for (const p of run.points) rows.push([run.id, run.name, p.step, p.epoch, p.time, p.kind, ...keys.map((k) => cell(p.values[k]))]);
  }
  return unparse(['run_id', 'run_name', 'step', 'epoch', 'time', 'kind', ...keys], rows);
}
