// Predictions at the data rows, trainer side: a trained tabular model or text
// classifier predicts each row of a data file (CSV, JSON, JSONL), batched;
// a row it cannot take (a missing feature, text that is not text) gets a
// problem naming its line and field, and the other rows are still predicted.
// The CLI's `predict` and the inference child (the editor's hints) use it.

import { regressionMetrics } from '../core/evaluationMetrics';
import type { RowPrediction, RowPredictionSummary } from '../core/rowPredictions';
import type { Cell, Table } from '../core/table';
import type { Predictor } from './predictor';

/** Rows predicted per batch: large enough to amortise a call, small enough for a long file's memory. */
const BATCH = 512;

export interface RowColumns {
  /** A text classifier's text column (the config's `data.text`). */
  text?: string;
  /** The target column, where the rows have one; default: the model's own (a tabular model knows it). */
  target?: string;
}

/** What `predictor` says of each row of `table` (all rows, or those at `only`: 0-based row indexes). */
export async function predictTableRows(
  predictor: Predictor,
  table: Table,
  columns: RowColumns = {},
  only?: readonly number[],
): Promise<{ predictions: RowPrediction[]; summary: RowPredictionSummary }> {
  const sig = predictor.signature;
  if (sig.kind !== 'tabular' && sig.kind !== 'text') {
    throw new Error(`rows can be predicted by tabular models and text classifiers; this model is a ${sig.kind === 'language-model' ? 'language model' : sig.kind === 'recommender' ? 'recommender' : 'image classifier'}`);
  }
  const target = columns.target ?? sig.target;
  const textColumn = columns.text ?? 'text';
  if (sig.kind === 'text' && !table.columns.includes(textColumn)) {
    throw new Error(`${table.file}: no "${textColumn}" column for the model's text (columns: ${table.columns.join(', ')})`);
  }
  const indexes = only ?? table.rows.map((_, i) => i);
  const predictions: RowPrediction[] = [];
  const pending: { at: number; instance: unknown }[] = [];

  const flush = async () => {
    if (pending.length === 0) return;
    const answers = await predictor.predict(pending.map((p) => p.instance));
    answers.forEach((answer, k) => {
      const row = predictions[pending[k].at];
      if ('value' in answer) {
        row.value = answer.value;
        if (typeof row.target === 'number') row.error = answer.value - row.target;
      } else if ('label' in answer) {
        row.label = answer.label;
        row.probability = answer.probabilities[answer.label];
        if (row.target !== undefined && row.target !== null) row.correct = String(row.target) === answer.label;
      }
    });
    pending.length = 0;
  };

  for (const i of indexes) {
    const row = table.rows[i];
    if (!row) continue;
    const line = table.lines[i] ?? i + 1;
    const prediction: RowPrediction = { line };
    const actual: Cell | undefined = target !== undefined ? row[target] : undefined;
    if (actual !== undefined && actual !== null) prediction.target = actual;
    const instance = sig.kind === 'text' ? row[textColumn] : Object.fromEntries(sig.inputs.filter((inp) => row[inp.name] !== undefined).map((inp) => [inp.name, row[inp.name]]));
    // The predictor names the field (`line 12.rooms …`); said here as `line 12: rooms …`.
    const where = `line ${line}`;
    const problem = sig.kind === 'text' && typeof instance !== 'string' ? `${where}: "${textColumn}" is not text` : predictor.checkInstance(instance, where);
    predictions.push(prediction);
    if (problem) {
      prediction.problem = problem.startsWith(`${where}.`) ? `${where}: ${problem.slice(where.length + 1)}` : problem;
      continue;
    }
    pending.push({ at: predictions.length - 1, instance });
    if (pending.length >= BATCH) await flush();
  }
  await flush();
  return { predictions, summary: summarize(predictions) };
}

function summarize(predictions: readonly RowPrediction[]): RowPredictionSummary {
  const failed = predictions.filter((p) => p.problem !== undefined).length;
  const metrics: Record<string, number> = {};
  const regression = predictions.filter((p) => p.error !== undefined);
  if (regression.length > 0) {
    const m = regressionMetrics(regression.map((p) => p.target as number), regression.map((p) => p.value!));
    Object.assign(metrics, m);
  }
  const classified = predictions.filter((p) => p.correct !== undefined);
  if (classified.length > 0) metrics.accuracy = classified.filter((p) => p.correct).length / classified.length;
  return { rows: predictions.length, predicted: predictions.length - failed, failed, metrics };
}
