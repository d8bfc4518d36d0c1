// Cross-validation and "Train Best on All Training Data" through the CLI:
// k fold runs whose validation parts partition the training data, reported as
// each fold's and the mean ± std; a cross-validated sweep ranked by the folds'
// mean; the best point retrained on train + validation for its best epoch
// count, with its test metrics beside the best run's.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { test } from 'node:test';
import { promisify } from 'node:util';
import { runMetrics } from '../../src/core/configResults';
import { foldStat } from '../../src/core/crossValidation';
import { listRuns } from '../../src/node/runStoreReader';
import { linearCsv, tempDir, writeFiles } from '../helpers/fixtures';

const execFileAsync = promisify(execFile);
const repoRoot = join(import.meta.dirname, '../..');

function cli(...args: string[]) {
  return execFileAsync(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', ...args], { cwd: repoRoot, maxBuffer: 16 << 20 });
}

function workspace(training: Record<string, unknown>, sweep?: Record<string, unknown>): { config: string; runs: string } {
  const dir = tempDir();
  const config = {
    name: 'cv',
    task: 'regression',
    data: { train: 'train.csv', validation: 'val.csv', test: 'test.csv', features: ['x1', 'x2', 'x3'], target: 'y', preprocess: [{ standardize: 'features' }], split: { seed: 4 } },
    model: { layers: [{ type: 'dense', units: 8, activation: 'relu' }, { type: 'dense', units: 1 }] },
    training: { optimizer: { type: 'adam', learningRate: 0.02 }, loss: 'mse', metrics: ['mae'], epochs: 3, batchSize: 16, seed: 2, ...training },
    ...(sweep ? { sweep } : {}),
  };
  // 90 training rows, 30 validation rows: the folds deal all 120.
  writeFiles(dir, { 'train.csv': linearCsv(90, 3), 'val.csv': linearCsv(30, 4), 'test.csv': linearCsv(25, 5), 'x.experiment.json': JSON.stringify(config) });
  return { config: join(dir, 'x.experiment.json'), runs: join(dir, '.modellab', 'runs') };
}

test('modellab train with crossValidation {folds: 3}: three fold runs whose validation parts partition train + validation, and their mean ± std', async () => {
  const ws = workspace({ crossValidation: { folds: 3 } });
  const { stdout } = await cli('train', ws.config, '--backend', 'wasm', '--runs-dir', ws.runs, '--json');
  const report = JSON.parse(stdout.trim().split('\n').at(-1)!);
  assert.equal(report.type, 'crossValidation');
  assert.equal(report.k, 3);
  const runs = listRuns(ws.runs).map((r) => r.meta!).sort((a, b) => a.fold!.index - b.fold!.index);
  assert.equal(runs.length, 3);
  assert.deepEqual(runs.map((m) => m.fold?.index), [0, 1, 2]);
  assert.ok(runs.every((m) => m.fold?.id === report.id && m.fold?.k === 3 && m.status === 'completed'));
  // Each fold trains on 80 rows and validates on 40; the three validation parts add up to all 120 rows; the test file is the same 25.
  for (const m of runs) assert.deepEqual(m.dataSizes, { train: 80, validation: 40, test: 25 });
  assert.equal(runs.reduce((n, m) => n + m.dataSizes!.validation, 0), 120);
  const values = runs.map((m) => runMetrics(m)!.val_loss);
  const stat = foldStat(values)!;
  assert.ok(Math.abs(report.mean.val_loss - stat.mean) < 1e-12, `${report.mean.val_loss} vs ${stat.mean}`);
  assert.ok(Math.abs(report.std.val_loss - stat.std) < 1e-12);
  assert.ok(report.std.val_loss > 0, 'the folds differ');
  assert.deepEqual(report.folds.map((f: { runId: string }) => f.runId), runs.map((m) => m.id));

  // The text form prints each fold and the mean ± std; modellab runs shows the three as one group.
  const text = await cli('runs', '--runs-dir', ws.runs);
  const head = text.stdout.split('\n').find((l) => l.startsWith(report.id));
  assert.ok(head && /3\/3 folds completed/.test(head) && / ± /.test(head), text.stdout);
  assert.equal(text.stdout.split('\n').filter((l) => /^ {2}fold [123]\/3 /.test(l)).length, 3, text.stdout);
});

test('a cross-validated sweep ranks each point by its folds\' mean; modellab best retrains that point on train + validation for its best epoch count', async () => {
  const ws = workspace({ crossValidation: { folds: 2 }, epochs: 4, checkpoint: { monitor: 'val_loss' } }, { parameters: { 'training.optimizer.learningRate': [0.0005, 0.03] }, metric: 'val_loss' });
  const { stdout } = await cli('sweep', ws.config, '--backend', 'wasm', '--runs-dir', ws.runs, '--json');
  const ranking = JSON.parse(stdout.trim().split('\n').at(-1)!);
  assert.equal(ranking.type, 'sweep');
  const metas = listRuns(ws.runs).map((r) => r.meta!);
  assert.equal(metas.length, 4, 'two points × two folds');
  const pointMean = (index: number) => foldStat(metas.filter((m) => m.sweep!.index === index).map((m) => runMetrics(m)!.val_loss))!.mean;
  for (const run of ranking.runs) assert.ok(Math.abs(run.value - pointMean(run.index)) < 1e-12, `point ${run.index}: ${run.value} vs ${pointMean(run.index)}`);
  const bestIndex = ranking.runs[0].index;
  assert.ok(pointMean(bestIndex) <= pointMean(1 - bestIndex));
  // The test metric is shown beside the ranking metric once runs are evaluated.
  assert.ok(typeof ranking.runs[0].test?.mse === 'number');

  const bestFolds = metas.filter((m) => m.sweep!.index === bestIndex);
  const epochs = Math.max(1, Math.round(bestFolds.reduce((s, m) => s + (m.bestEpoch || m.epochsDone), 0) / bestFolds.length));
  const best = await cli('best', ws.config, '--backend', 'wasm', '--runs-dir', ws.runs, '--json');
  const result = JSON.parse(best.stdout.trim().split('\n').at(-1)!);
  assert.equal(result.type, 'retrain');
  assert.equal(result.status, 'completed');
  const retrained = listRuns(ws.runs).find((r) => r.id === result.runId)!.meta!;
  // All 120 training rows (train + validation files), no validation, the same 25 test rows; the best point's epochs and values.
  assert.deepEqual(retrained.dataSizes, { train: 120, validation: 0, test: 25 });
  assert.equal(retrained.epochsPlanned, epochs);
  assert.equal(retrained.epochsDone, epochs);
  assert.equal(retrained.retrain?.epochs, epochs);
  assert.equal(retrained.retrain?.sweepId, ranking.sweepId);
  assert.equal(retrained.sweep, undefined, 'the retrained run is not a point of the sweep');
  assert.equal(retrained.fold, undefined);
  assert.equal(result.params['training.optimizer.learningRate'], bestFolds[0].sweep!.params['training.optimizer.learningRate']);
  assert.ok(typeof result.test.mse === 'number' && typeof result.bestRunTest.mse === 'number', JSON.stringify(result));
});

test('modellab best on a config whose sweep never ran says so', async () => {
  const ws = workspace({}, { parameters: { 'training.optimizer.learningRate': [0.01, 0.02] } });
  await assert.rejects(cli('best', ws.config, '--runs-dir', ws.runs), (e: { code: number; stderr: string }) => e.code === 2 && /no sweep of .*x\.experiment\.json/.test(e.stderr));
});

test('a cross-validated config submitted to a cluster: one queued folder per fold (per point of a sweep), each trained by `train --run-dir` as its array task does, on the same fold rows as the local cross-validation', async () => {
  const { createQueuedRuns } = await import('../../src/node/executors/queuedRuns');
  type Submission = Parameters<typeof createQueuedRuns>[0];
  const ws = workspace({ crossValidation: { folds: 3 } }, { parameters: { 'training.optimizer.learningRate': [0.02, 0.005] }, metric: 'val_loss' });
  const request = { configPath: ws.config, runsDir: ws.runs, backend: 'wasm', resources: {}, program: {} } as unknown as Submission;
  const single = createQueuedRuns(request, false);
  assert.equal(single.writers.length, 3, 'a train submission: its three folds');
  assert.deepEqual(single.writers.map((w) => [w.meta.status, w.meta.fold?.index, w.meta.fold?.k]), [['queued', 0, 3], ['queued', 1, 3], ['queued', 2, 3]]);
  assert.equal(new Set(single.writers.map((w) => w.meta.fold!.id)).size, 1, 'one fold group');
  const swept = createQueuedRuns(request, true);
  assert.deepEqual(swept.writers.map((w) => [w.meta.sweep?.index, w.meta.fold?.index]), [[0, 0], [0, 1], [0, 2], [1, 0], [1, 1], [1, 2]], 'a sweep: each point\'s folds, task after task');
  assert.equal(new Set(swept.writers.map((w) => w.meta.fold!.id)).size, 2, 'one fold group per point');

  // The array's tasks of the single submission, one after another: each trains its fold.
  for (const w of single.writers) await cli('train', ws.config, '--run-dir', w.dir, '--backend', 'wasm');
  const queued = single.writers.map((w) => listRuns(ws.runs).find((r) => r.dir === w.dir)!.meta!);
  assert.ok(queued.every((m) => m.status === 'completed'), queued.map((m) => m.status).join(' '));
  for (const m of queued) assert.deepEqual(m.dataSizes, { train: 80, validation: 40, test: 25 });
  // The same rows and seeds as the local cross-validation: the same validation loss, fold by fold.
  const local = workspace({ crossValidation: { folds: 3 } });
  await cli('train', local.config, '--backend', 'wasm', '--runs-dir', local.runs);
  const localRuns = listRuns(local.runs).map((r) => r.meta!).sort((a, b) => a.fold!.index - b.fold!.index);
  assert.deepEqual(queued.map((m) => runMetrics(m)!.val_loss), localRuns.map((m) => runMetrics(m)!.val_loss));
  const text = await cli('runs', '--runs-dir', ws.runs);
  const head = text.stdout.split('\n').find((l) => l.startsWith(queued[0].fold!.id));
  assert.ok(head && /3\/3 folds completed/.test(head), text.stdout);
});
