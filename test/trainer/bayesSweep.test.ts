// `modellab sweep` with "method": "bayes": count runs, each point drawn from
// the results of the runs finished before it (replayed here through the same
// plan, so the points are provably the sampler's answers to those results);
// and a sweep that could only rank by a training metric says so on stderr.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { test } from 'node:test';
import { promisify } from 'node:util';
import { bayesStartupTrials, planSweep } from '../../src/core/sweepPlan';
import type { SweepObservation } from '../../src/core/sweepPlan';
import type { SweepConfig } from '../../src/core/types';
import { listRuns } from '../../src/node/runStoreReader';
import { linearCsv, regressionConfig, tempDir, writeFiles } from '../helpers/fixtures';

const execFileAsync = promisify(execFile);
const repoRoot = join(import.meta.dirname, '../..');

const sweep: SweepConfig = {
  method: 'bayes',
  count: 5,
  seed: 2,
  parameters: { 'training.optimizer.learningRate': { min: 0.0005, max: 0.05, scale: 'log' }, 'model.layers[0].units': { min: 2, max: 32, integer: true } },
};

function cli(config: string, runs: string, ...args: string[]) {
  return execFileAsync(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'sweep', config, '--backend', 'wasm', '--epochs', '2', '--runs-dir', runs, ...args], { cwd: repoRoot });
}

test('modellab sweep, bayes: count runs in range, each point the plan\'s answer to the runs finished before it', async () => {
  const dir = tempDir();
  writeFiles(dir, { 'data.csv': linearCsv(200), 'exp.experiment.json': regressionConfig({ sweep }) });
  const { stdout, stderr } = await cli(join(dir, 'exp.experiment.json'), join(dir, 'runs'), '--json');
  assert.match(stderr, /: 5 run\(s\) of linear \(bayes\), one at a time, \d+ threads? each, ranked by val_loss \(minimize\)/);
  const lines = stdout.trim().split('\n').map((l) => JSON.parse(l));
  const points = lines.filter((l) => l.type === 'point');
  assert.deepEqual(points.map((p) => [p.index, p.status]), [0, 1, 2, 3, 4].map((i) => [i, 'completed']));
  for (const p of points) {
    const lr = p.params['training.optimizer.learningRate'];
    const units = p.params['model.layers[0].units'];
    assert.ok(lr >= 0.0005 && lr <= 0.05, `lr ${lr}`);
    assert.ok(Number.isInteger(units) && units >= 2 && units <= 32, `units ${units}`);
  }
  // One at a time, point i is drawn from runs 0..i−1: replaying their val_loss through the plan gives the same points.
  const plan = planSweep(sweep, 'minimize');
  const finished: SweepObservation[] = [];
  for (const p of points) {
    assert.deepEqual(plan.point(p.index, finished).params, p.params, `point ${p.index}`);
    finished.push({ params: p.params, value: p.metrics.val_loss });
  }
  assert.equal(bayesStartupTrials(5), 3);
  const summary = lines.find((l) => l.type === 'sweep');
  assert.equal(summary.method, 'bayes');
  assert.equal(summary.runs.length, 5);
  const metas = listRuns(join(dir, 'runs')).map((r) => r.meta!);
  assert.deepEqual(metas.map((m) => m.sweep!.total), [5, 5, 5, 5, 5]);
});

test('modellab sweep warns on stderr when there is no validation data to rank by, and refuses a test metric', async () => {
  const dir = tempDir();
  const data = { train: 'train.csv', test: 'test.csv', features: ['x1', 'x2', 'x3'], target: 'y', split: { validation: 0 } };
  writeFiles(dir, {
    'train.csv': linearCsv(60),
    'test.csv': linearCsv(20, 3),
    'noval.experiment.json': regressionConfig({ data, sweep: { parameters: { 'training.optimizer.learningRate': [0.01] } } }),
    'test.experiment.json': regressionConfig({ data: { ...data, split: undefined }, sweep: { parameters: { 'training.optimizer.learningRate': [0.01] }, metric: 'test_loss' } }),
  });
  const { stderr } = await cli(join(dir, 'noval.experiment.json'), join(dir, 'runs'));
  assert.match(stderr, /warning.*ranks the runs by the training metric "loss" because there is no validation data: the run that overfits most wins/);
  assert.match(stderr, /ranked by loss \(minimize\)/);
  await assert.rejects(cli(join(dir, 'test.experiment.json'), join(dir, 'runs')), (e: { code: number; stderr: string }) => {
    assert.equal(e.code, 1);
    assert.match(e.stderr, /error.*"test_loss" is a test metric: the test split is only for the final evaluation/);
    return true;
  });
});
