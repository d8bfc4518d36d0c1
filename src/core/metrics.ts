// What every layer needs to know about a metric by its name: which way is
// better, and how to print its value. One rule and one formatter, so that
// early stopping, sweeps, the sidebar, the compare panel, the CLI and the
// dashboard never disagree about the best run or show it two ways.

/** The config's own words for a direction (a sweep's `goal`). */
export const METRIC_GOALS = ['minimize', 'maximize'] as const;
export type MetricGoal = (typeof METRIC_GOALS)[number];

/**
 * Scores where a larger value is better, by their bare name (no `val_`,
 * `test_` or `evaluation.` prefix): accuracies, precision/recall/F1, R²,
 * AUC, and the recommender's hit rate and NDCG. Everything else that is a
 * metric (losses, errors, perplexity) is minimized.
 */
const MAXIMIZED = /acc|precision|recall|f1|r2|auc|hitrate|hit_rate|ndcg/;

/** Logged values that are not scores: they have no better direction. */
const NOT_SCORES = new Set(['lr', 'learningrate', 'learning_rate', 'epoch', 'step']);

function bareName(key: string): string {
  return key.replace(/^(evaluation\.|val_|test_)/, '').toLowerCase();
}

/** Which way a metric is better; undefined for logged values that are not scores (learning rate, epoch). */
export function metricGoal(key: string): MetricGoal | undefined {
  const name = bareName(key);
  if (NOT_SCORES.has(name)) return undefined;
  return MAXIMIZED.test(name) ? 'maximize' : 'minimize';
}

/** The goal to rank by: the one the config names, else the metric's own (minimize when it has none). */
export function goalFor(metric: string, goal?: MetricGoal): MetricGoal {
  return goal ?? metricGoal(metric) ?? 'minimize';
}

/** Whether `value` beats `best` by more than `minDelta` in the metric's direction. */
export function isImprovement(goal: MetricGoal, value: number, best: number, minDelta = 0): boolean {
  return goal === 'maximize' ? value > best + minDelta : value < best - minDelta;
}

/**
 * How a value is printed:
 * - `compact`: three significant digits, for places with little room — the
 *   status bar, notifications, CodeLenses, inlay hints, the sidebar, the CLI;
 * - `table`: four significant digits with thousands separators, where runs
 *   are compared side by side — the dashboard's and compare panel's tables,
 *   chart axes and tooltips, the CLI's evaluation report.
 */
export type MetricStyle = 'compact' | 'table';

const grouped = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 });

/** A metric's value as text; '—' when there is none. */
export function formatMetric(value: number | undefined, style: MetricStyle = 'compact'): string {
  if (value === undefined) return '—';
  if (Number.isNaN(value)) return 'NaN';
  if (!Number.isFinite(value)) return value > 0 ? '∞' : '-∞';
  if (value === 0) return '0';
  const abs = Math.abs(value);
  if (style === 'compact') {
    if (abs >= 1e5 || abs < 1e-3) return value.toExponential(2);
    return String(Number(value.toPrecision(3)));
  }
  if (abs >= 1e9 || abs < 1e-4) return value.toExponential(3).replace(/\.?0+e/, 'e');
  if (abs >= 1000) return grouped.format(value);
  return String(Number(value.toPrecision(4)));
}
