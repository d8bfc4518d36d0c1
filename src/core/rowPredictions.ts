// Predictions at the data rows: what a trained model says of each row of a
// data file, beside what the row says (its target), as the CLI's `predict`
// prints it and the editor shows it at the end of each row's line. Pure: the
// trainer side (src/trainer/rowPredictions.ts) makes the predictions.

import { formatMetric } from './metrics';

/** Which rows of a data file the editor shows predictions for: the run's test split there, or every row. */
export const ROW_SCOPES = ['test', 'all'] as const;
export type RowScope = (typeof ROW_SCOPES)[number];

export interface RowPrediction {
  /** 1-based line (CSV, JSONL) or record index (JSON) of the row in its file. */
  line: number;
  /** Regression: the value in the target's units. */
  value?: number;
  /** Classification: the predicted label and its probability. */
  label?: string;
  probability?: number;
  /** The row's own target, where the file has it (a table cell). */
  target?: number | string | null;
  /** Regression: prediction − target. */
  error?: number;
  /** Classification: whether the label is the target. */
  correct?: boolean;
  /** Why the row could not be predicted (names the line and the field). */
  problem?: string;
}

export interface RowPredictionSummary {
  rows: number;
  predicted: number;
  failed: number;
  /** Over the predicted rows that have a target: mse, mae, rmse, r2 (regression) or accuracy (classification). */
  metrics: Record<string, number>;
}

/** How bad a row's prediction is, for "the worst rows": the absolute error, or 1 − the probability of a wrong label (0 for a right one). */
export function rowBadness(p: RowPrediction): number {
  if (p.error !== undefined) return Math.abs(p.error);
  if (p.correct === false) return 1 + (p.probability ?? 0);
  if (p.correct === true) return 1 - (p.probability ?? 1);
  return -1;
}

/** The rows with the largest errors (or most confident mistakes) first, at most `n`, leaving out rows without a target. */
export function worstRows(predictions: readonly RowPrediction[], n: number): RowPrediction[] {
  return predictions
    .filter((p) => p.problem === undefined && (p.error !== undefined || p.correct !== undefined))
    .sort((a, b) => rowBadness(b) - rowBadness(a) || a.line - b.line)
    .slice(0, n);
}

/** The short text the editor shows after a row: `→ 371.2 (error +3.1)`, `→ spam 97% ✓`. */
export function rowHint(p: RowPrediction): string {
  if (p.problem !== undefined) return `⚠ ${p.problem}`;
  if (p.value !== undefined) {
    const error = p.error === undefined ? '' : ` (error ${p.error >= 0 ? '+' : '−'}${formatMetric(Math.abs(p.error), 'table')})`;
    return `→ ${formatMetric(p.value, 'table')}${error}`;
  }
  const mark = p.correct === undefined ? '' : p.correct ? ' ✓' : ' ✗';
  return `→ ${p.label} ${Math.round((p.probability ?? 0) * 100)}%${mark}`;
}
