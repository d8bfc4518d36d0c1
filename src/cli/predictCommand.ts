// `modellab predict <run> <data-file>`: a trained tabular model or text
// classifier predicts every row of a data file. Text: one line per row
// (its line, the prediction, the target and the error), then the metrics;
// --json: one JSON object per row, then a summary object. A row the model
// cannot take is reported with its line and field; the rest are still
// predicted. --out writes the output to a file instead of standard output.

import { writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { rowHint } from '../core/rowPredictions';
import type { RowPrediction, RowPredictionSummary } from '../core/rowPredictions';
import { formatMetric } from '../core/metrics';
import { readRunConfig } from '../node/runPipeline';
import { readTable } from '../node/tableFile';
import { selectBackend } from '../trainer/backend';
import { Predictor } from '../trainer/predictor';
import { predictTableRows, testRowsOf } from '../trainer/rowPredictions';
import { readRunMeta } from '../node/runStoreReader';
import { backendOption, runsDirOption, UsageError } from './args';

export interface PredictCommandContext {
  resolveRun(arg: string, runsDir: string): string;
  defaultRunsDir: string;
}

export const PREDICT_USAGE = '  modellab predict <run> <data-file> [--test-rows] [--json] [--out FILE] [--runs-dir DIR] [--backend B]   (every row of a CSV/JSON/JSONL file; --test-rows: the run\'s test rows there)';

export async function predictCommand(argv: string[], ctx: PredictCommandContext): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { json: { type: 'boolean' }, 'test-rows': { type: 'boolean' }, out: { type: 'string' }, 'runs-dir': { type: 'string' }, backend: { type: 'string' } },
  });
  const [runArg, dataFile] = positionals;
  if (!runArg || !dataFile || positionals.length > 2) throw new UsageError('predict takes a run and a data file: modellab predict <run> <data-file>');
  const runDir = ctx.resolveRun(runArg, runsDirOption(values['runs-dir'], ctx.defaultRunsDir));
  await selectBackend(backendOption(values.backend));
  // The run's config names a text classifier's text column and the target column of its data.
  const config = readRunConfig(runDir);
  const table = readTable(resolve(dataFile), config?.data.format);
  const predictor = await Predictor.load(runDir);
  try {
    // --test-rows: only the rows of this file that the run held out as its test split (what the editor shows by default).
    let only: number[] | undefined;
    if (values['test-rows']) {
      if (!config) throw new UsageError(`${runDir} has no config.json, so its test split is unknown`);
      only = testRowsOf(config, readRunMeta(runDir)?.configPath ?? join(runDir, 'config.json'), resolve(dataFile), table);
      if (only.length === 0) throw new UsageError(`${dataFile} holds none of the run's test rows (its test split comes from ${config.data.test ?? config.data.source ?? 'another file'})`);
    }
    const { predictions, summary } = await predictTableRows(predictor, table, { text: config?.data.text, target: config?.data.target }, only);
    const lines = values.json ? jsonLines(predictions, summary) : textLines(predictions, summary, predictor.signature.task === 'regression');
    const output = lines.join('\n') + '\n';
    if (values.out) {
      writeFileSync(values.out, output);
      console.error(`wrote ${summary.rows} rows to ${values.out}`);
    } else {
      process.stdout.write(output);
    }
    for (const p of predictions) if (p.problem) console.error(`${table.file}: ${p.problem}`);
    return summary.failed > 0 ? 1 : 0;
  } finally {
    predictor.dispose();
  }
}

function jsonLines(predictions: readonly RowPrediction[], summary: RowPredictionSummary): string[] {
  return [...predictions.map((p) => JSON.stringify(p)), JSON.stringify({ summary })];
}

function textLines(predictions: readonly RowPrediction[], summary: RowPredictionSummary, regression: boolean): string[] {
  const out = predictions.map((p) => {
    const target = p.target === undefined ? '' : `   target ${typeof p.target === 'number' ? formatMetric(p.target, 'table') : p.target}`;
    return `line ${p.line}  ${p.problem === undefined ? rowHint(p) : `⚠ ${p.problem.replace(/^line \d+: /, '')}`}${p.problem === undefined ? target : ''}`;
  });
  const metrics = Object.entries(summary.metrics).map(([k, v]) => `${k} ${formatMetric(v, 'table')}`).join(' · ');
  out.push('', `${summary.predicted} of ${summary.rows} rows predicted${summary.failed ? `, ${summary.failed} could not be` : ''}${metrics ? ` · ${metrics}${regression ? ' (in the target\'s units)' : ''}` : ''}`);
  return out;
}
