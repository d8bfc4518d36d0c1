// Predictions at the data rows, trainer side: a trained tabular model or text
// classifier predicts each row of a data file (CSV, JSON, JSONL), batched;
// a row it cannot take (a missing feature, text that is not text) gets a
// problem naming its line and field, and the other rows are still predicted.
// The CLI's `predict` and the inference child (the editor's hints) use it.

import { statSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { regressionMetrics } from '../core/evaluationMetrics';
import { worstRows } from '../core/rowPredictions';
import type { RowPrediction, RowPredictionSummary, RowScope } from '../core/rowPredictions';
import type { Cell, Table } from '../core/table';
import type { ExperimentConfig } from '../core/types';
import { loadSplits } from '../node/dataFiles';
import { readRunConfig } from '../node/runPipeline';
import { readRunMeta } from '../node/runStoreReader';
import { readTable } from '../node/tableFile';
import { MODEL_FILE } from './modelIo';
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

// ───────────────────────── the editor's rows: a run's data file ─────────────────────────


interface FileRows {
  table: Table;
  /** Row indexes in scope, and each row's prediction once made. */
  scope: number[];
  made: Map<number, RowPrediction>;
  columns: RowColumns;
}

/**
 * Predictions for a data file of a run, made as they are asked for (the
 * editor asks for the lines it shows) and kept per file version, model
 * version and scope; the worst rows of the whole scope on request.
 */
export class DataRowPredictions {
  private readonly files = new Map<string, { key: string; rows: FileRows }>();

  async answer(
    predictor: Predictor,
    modelDir: string,
    dataFile: string,
    scope: RowScope,
    fromLine: number,
    toLine: number,
    worst: number,
  ): Promise<{ predictions: RowPrediction[]; worst: RowPrediction[]; scopeRows: number; summary?: RowPredictionSummary }> {
    const rows = this.rowsFor(modelDir, dataFile, scope);
    const wanted = rows.scope.filter((i) => {
      const line = rows.table.lines[i];
      return line >= fromLine && line <= toLine;
    });
    await this.make(predictor, rows, worst > 0 ? rows.scope : wanted);
    const predictions = wanted.map((i) => rows.made.get(i)!);
    if (worst <= 0) return { predictions, worst: [], scopeRows: rows.scope.length };
    const all = rows.scope.map((i) => rows.made.get(i)!);
    return { predictions, worst: worstRows(all, worst), scopeRows: rows.scope.length, summary: summarize(all) };
  }

  private async make(predictor: Predictor, rows: FileRows, indexes: readonly number[]): Promise<void> {
    const missing = indexes.filter((i) => !rows.made.has(i));
    if (missing.length === 0) return;
    const { predictions } = await predictTableRows(predictor, rows.table, rows.columns, missing);
    missing.forEach((i, k) => rows.made.set(i, predictions[k]));
  }

  private rowsFor(modelDir: string, dataFile: string, scope: RowScope): FileRows {
    const runDir = basename(modelDir) === 'model' ? dirname(modelDir) : modelDir;
    const meta = readRunMeta(runDir);
    const config = readRunConfig(runDir, meta?.configPath);
    if (!config) throw new Error(`${runDir}: no config.json, so its data and split are unknown`);
    const key = `${statSync(join(modelDir, MODEL_FILE)).mtimeMs}|${statSync(dataFile).mtimeMs}|${scope}`;
    const cached = this.files.get(dataFile);
    if (cached?.key === key) return cached.rows;
    const table = readTable(dataFile, config.data.format);
    const all = table.rows.map((_, i) => i);
    let inScope = all;
    if (scope === 'test') inScope = testRowsOf(config, meta?.configPath ?? join(runDir, 'config.json'), dataFile, table);
    const rows: FileRows = { table, scope: inScope, made: new Map(), columns: { text: config.data.text, target: config.data.target } };
    this.files.set(dataFile, { key, rows });
    // A few files at most: the ones open in the editor.
    while (this.files.size > 4) this.files.delete(this.files.keys().next().value as string);
    return rows;
  }
}

/** The rows of `file` that are in the run's test split: all of a separate test file, the seeded test share of a source file, else none. */
export function testRowsOf(config: ExperimentConfig, configPath: string, file: string, table: Table): number[] {
  const here = (p: string | undefined) => p !== undefined && resolve(dirname(configPath), p) === resolve(file);
  if (here(config.data.test)) return table.rows.map((_, i) => i);
  if (!here(config.data.source)) return [];
  const test = loadSplits(config.data, configPath).test;
  if (!test) return [];
  const byLine = new Map(table.lines.map((line, i) => [line, i]));
  return test.lines.map((line) => byLine.get(line)!).filter((i) => i !== undefined).sort((a, b) => a - b);
}
