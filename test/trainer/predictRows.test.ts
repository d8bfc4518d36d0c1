// Predictions at the data rows from the command line: `modellab predict`
// on a trained house-prices run predicts every row of a CSV with the target's
// units, names each bad row's line and field and still predicts the rest,
// and with --json writes one object per row and a summary.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { before, test } from 'node:test';
import { runTraining } from '../../src/trainer/engine';
import { selectBackend } from '../../src/trainer/backend';
import { rowHint, worstRows } from '../../src/core/rowPredictions';
import type { RowPrediction } from '../../src/core/rowPredictions';
import { tempDir } from '../helpers/fixtures';
import { InferenceServer } from '../../src/trainer/inferenceServer';
import type { InferenceToHostMessage } from '../../src/core/protocol/inference';

const root = join(__dirname, '../..');
const CLI = join(root, 'src/cli/main.ts');
const dir = tempDir('modellab-predict-');
let runDir = '';

function cli(args: string[]): { code: number; out: string; err: string } {
  const r = spawnSync(process.execPath, ['--import', 'tsx', CLI, ...args], { encoding: 'utf8', cwd: root });
  return { code: r.status ?? -1, out: r.stdout, err: r.stderr };
}

before(async () => {
  await selectBackend('wasm');
  const r = await runTraining({ configPath: join(root, 'examples/house-prices/house-prices.experiment.json'), runsDir: join(dir, 'runs'), backend: 'wasm', epochs: 4, onEvent: () => {} });
  assert.equal(r.meta.status, 'completed', r.meta.error);
  runDir = r.runDir;
});

test('every row of a CSV predicted in the target\'s units; bad rows named by line and field, the rest still predicted', () => {
  const source = readFileSync(join(root, 'examples/house-prices/data/houses.csv'), 'utf8').trim().split('\n');
  const header = source[0].split(',');
  const rows = source.slice(1, 21);
  // Line 4 (the third row) loses its area; line 7 gets a word for its rooms.
  const broken = rows.map((line, i) => {
    const cells = line.split(',');
    if (i === 2) cells[header.indexOf('area_sqm')] = '';
    if (i === 5) cells[header.indexOf('rooms')] = 'many';
    return cells.join(',');
  });
  const file = join(dir, 'some-houses.csv');
  writeFileSync(file, [source[0], ...broken].join('\n') + '\n');

  const text = cli(['predict', runDir, file]);
  assert.equal(text.code, 1, 'exit 1: some rows could not be predicted');
  const lines = text.out.trim().split('\n');
  assert.equal(lines.filter((l) => /^line \d+ /.test(l)).length, 20);
  assert.match(text.out, /^line 2 {2}→ [\d,.]+ \(error [+−][\d,.]+\) {3}target 525\.3$/m);
  assert.match(text.out, /^line 4 {2}⚠ area_sqm is missing$/m);
  assert.match(text.out, /^line 7 {2}⚠ rooms must be a finite number, not a string \("many"\)$/m);
  assert.match(lines[lines.length - 1], /^18 of 20 rows predicted, 2 could not be · mse [\d,.]+ · mae [\d,.]+ · rmse [\d,.]+ · r2 [-\d.]+ \(in the target's units\)$/);
  assert.match(text.err, /some-houses\.csv: line 4: area_sqm is missing/);

  const json = cli(['predict', runDir, file, '--json', '--out', join(dir, 'out.jsonl')]);
  assert.equal(json.code, 1);
  const records = readFileSync(join(dir, 'out.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as RowPrediction & { summary?: { rows: number; predicted: number; failed: number; metrics: Record<string, number> } });
  assert.equal(records.length, 21);
  const summary = records.pop()!.summary!;
  assert.deepEqual({ rows: summary.rows, predicted: summary.predicted, failed: summary.failed }, { rows: 20, predicted: 18, failed: 2 });
  const first = records[0];
  assert.equal(first.line, 2);
  assert.equal(first.target, 525.3);
  assert.ok(Math.abs(first.error! - (first.value! - 525.3)) < 1e-9);
  // The model learned: its mean absolute error on these rows is well under the spread of prices.
  const prices = records.filter((r) => typeof r.target === 'number').map((r) => r.target as number);
  const spread = Math.max(...prices) - Math.min(...prices);
  assert.ok(summary.metrics.mae < spread / 4, `mae ${summary.metrics.mae} against a price spread of ${spread}`);
  assert.deepEqual(records.filter((r) => r.problem).map((r) => r.line), [4, 7]);
  // The worst rows, largest error first.
  const worst = worstRows(records, 3);
  assert.ok(Math.abs(worst[0].error!) >= Math.abs(worst[1].error!) && Math.abs(worst[1].error!) >= Math.abs(worst[2].error!));
});

test('the editor\'s rows: the run\'s test rows of its source file, by line range, and their metrics equal the run\'s test evaluation', async () => {
  const replies: InferenceToHostMessage[] = [];
  const server = new InferenceServer((m) => replies.push(m));
  const file = join(root, 'examples/house-prices/data/houses.csv');
  const ask = (requestId: number, extra: Record<string, unknown>) => server.handle({ type: 'rowPredictions', requestId, modelDir: runDir, dataFile: file, scope: 'test', fromLine: 1, toLine: 2000, ...extra });
  ask(1, { worst: 5 });
  ask(2, { fromLine: 1, toLine: 100 });
  ask(3, { scope: 'all', fromLine: 10, toLine: 19 });
  ask(4, { scope: 'sideways' });
  ask(5, { dataFile: join(dir, 'nowhere.csv') });
  while (replies.length < 5) await new Promise((r) => setTimeout(r, 20));
  server.dispose();
  replies.sort((a, b) => a.requestId - b.requestId);
  const [whole, firstLines, all] = replies as Extract<InferenceToHostMessage, { type: 'rowPredictionsResult' }>[];
  const evaluation = JSON.parse(readFileSync(join(runDir, 'evaluation.json'), 'utf8')) as { count: number; metrics: { mse: number; mae: number } };
  // The test split is 10% of 1000 rows; predicting them again gives the run's own test metrics.
  assert.equal(whole.type, 'rowPredictionsResult');
  assert.equal(whole.scopeRows, evaluation.count);
  assert.equal(whole.predictions.length, evaluation.count);
  assert.ok(Math.abs(whole.summary!.metrics.mse - evaluation.metrics.mse) < 1e-6 * evaluation.metrics.mse, `${whole.summary!.metrics.mse} vs ${evaluation.metrics.mse}`);
  assert.ok(Math.abs(whole.summary!.metrics.mae - evaluation.metrics.mae) < 1e-6 * evaluation.metrics.mae);
  assert.equal(whole.worst.length, 5);
  assert.ok(whole.worst.every((w, i) => i === 0 || Math.abs(w.error!) <= Math.abs(whole.worst[i - 1].error!)));
  // A line range answers only the test rows inside it.
  assert.deepEqual(firstLines.predictions.map((p) => p.line), whole.predictions.filter((p) => p.line <= 100).map((p) => p.line));
  assert.ok(firstLines.predictions.length > 0 && firstLines.predictions.length < 20);
  // Every row, lines 10–19.
  assert.deepEqual(all.predictions.map((p) => p.line), [10, 11, 12, 13, 14, 15, 16, 17, 18, 19]);
  assert.match((replies[3] as { message: string }).message, /scope is not one of test, all/);
  // The CLI's --test-rows predicts the same rows: the same count and metrics.
  const cliTest = cli(['predict', runDir, file, '--test-rows', '--json']);
  assert.equal(cliTest.code, 0, cliTest.err);
  const cliSummary = (JSON.parse(cliTest.out.trim().split('\n').pop()!) as { summary: { rows: number; metrics: { mse: number } } }).summary;
  assert.equal(cliSummary.rows, evaluation.count);
  assert.ok(Math.abs(cliSummary.metrics.mse - evaluation.metrics.mse) < 1e-6 * evaluation.metrics.mse);
  const elsewhere = cli(['predict', runDir, join(dir, 'some-houses.csv'), '--test-rows']);
  assert.equal(elsewhere.code, 2);
  assert.match(elsewhere.err, /holds none of the run's test rows/);
  assert.match((replies[4] as { message: string }).message, /nowhere\.csv/);
});

test('row hints read as the editor shows them', () => {
  assert.equal(rowHint({ line: 2, value: 371250, target: 368000, error: 3250 }), '→ 371,250 (error +3,250)');
  assert.equal(rowHint({ line: 3, value: 2.5, error: -0.25 }), '→ 2.5 (error −0.25)');
  assert.equal(rowHint({ line: 4, label: 'spam', probability: 0.974, correct: true }), '→ spam 97% ✓');
  assert.equal(rowHint({ line: 5, label: 'ham', probability: 0.61, correct: false }), '→ ham 61% ✗');
  assert.equal(rowHint({ line: 6, label: 'ham', probability: 0.61 }), '→ ham 61%');
  assert.equal(rowHint({ line: 7, problem: 'line 7: rooms is missing' }), '⚠ line 7: rooms is missing');
  // A confident mistake is worse than an unsure one, and both are worse than a right answer.
  const worst = worstRows([{ line: 1, label: 'a', probability: 0.9, correct: true }, { line: 2, label: 'b', probability: 0.55, correct: false }, { line: 3, label: 'c', probability: 0.95, correct: false }, { line: 4, problem: 'x' }], 10);
  assert.deepEqual(worst.map((r) => r.line), [3, 2, 1]);
});
