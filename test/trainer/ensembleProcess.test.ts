// The editor's Build Ensemble of the Top Runs forks `modellab best --ensemble K
// --json` (src/node/ensembleProcess.ts): its result is the ensemble folder on
// disk, the top K runs by the sweep's metric, and the ensemble's and the best
// run's test metrics on the same rows; a failure carries the CLI's own message.
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { runMetrics } from '../../src/core/configResults';
import { ENSEMBLE_FILE } from '../../src/core/ensemble';
import type { EnsembleJson } from '../../src/core/ensemble';
import { EnsembleProcess } from '../../src/node/ensembleProcess';
import { listRuns } from '../../src/node/runStoreReader';
import { selectBackend } from '../../src/trainer/backend';
import { runTraining } from '../../src/trainer/engine';
import { linearCsv, tempDir, writeFiles } from '../helpers/fixtures';

const repoRoot = join(import.meta.dirname, '../..');
const cli = { cliScript: join(repoRoot, 'src/cli/main.ts'), execArgv: ['--import', 'tsx'], runtime: { execPath: process.execPath, env: {} }, cwd: repoRoot };

test('the ensemble process builds the top K points\' ensemble and reports its test metrics beside the best run\'s; an unknown sweep is refused in the CLI\'s words', async () => {
  const dir = tempDir();
  const lrs = [0.0005, 0.01, 0.03];
  const config = {
    name: 'ens',
    task: 'regression',
    data: { train: 'train.csv', test: 'test.csv', features: ['x1', 'x2', 'x3'], target: 'y', preprocess: [{ standardize: 'features' }], split: { validation: 0.25, seed: 4 } },
    model: { layers: [{ type: 'dense', units: 8, activation: 'relu' }, { type: 'dense', units: 1 }] },
    training: { optimizer: { type: 'adam', learningRate: 0.01 }, loss: 'mse', epochs: 3, batchSize: 16, seed: 2 },
    sweep: { parameters: { 'training.optimizer.learningRate': lrs }, metric: 'val_loss' },
  };
  writeFiles(dir, { 'train.csv': linearCsv(120, 3), 'test.csv': linearCsv(30, 5), 'x.experiment.json': JSON.stringify(config) });
  const configPath = join(dir, 'x.experiment.json');
  const runsDir = join(dir, '.modellab', 'runs');
  await selectBackend('wasm');
  for (const [index, lr] of lrs.entries()) {
    const params = { 'training.optimizer.learningRate': lr };
    const r = await runTraining({ configPath, runsDir, backend: 'wasm', overrides: params, sweep: { id: 'sweep-ens', index, total: 3, params }, onEvent: () => {} });
    assert.equal(r.meta.status, 'completed', r.meta.error);
  }
  const ranked = listRuns(runsDir).map((r) => r.meta!).sort((a, b) => runMetrics(a)!.val_loss - runMetrics(b)!.val_loss);

  const result = await new EnsembleProcess({ ...cli, configPath, runsDir, k: 2, backend: 'wasm' }).result;
  assert.equal(result.dir, join(dir, '.modellab', 'ensembles', 'sweep-ens-top2'));
  assert.deepEqual(result.members, ranked.slice(0, 2).map((m) => m.id), 'the two best points by val_loss, best first');
  assert.equal(result.bestRun, ranked[0].id);
  const json = JSON.parse(readFileSync(join(result.dir, ENSEMBLE_FILE), 'utf8')) as EnsembleJson;
  assert.deepEqual(json.runs.map((r) => r.id), result.members);
  assert.ok(existsSync(join(result.dir, 'members', '1', 'model.json')));
  assert.equal(result.count, 30);
  for (const key of ['mse', 'mae', 'rmse', 'r2']) assert.ok(Number.isFinite(result.test[key]) && Number.isFinite(result.bestRunTest[key]), JSON.stringify(result));
  assert.notEqual(result.test.mse, result.bestRunTest.mse, 'the mean of two models predicts otherwise than the best alone');

  await assert.rejects(new EnsembleProcess({ ...cli, configPath, runsDir, k: 2, sweepId: 'sweep-nope', backend: 'wasm' }).result, /no sweep "sweep-nope" of .*x\.experiment\.json/);
});
