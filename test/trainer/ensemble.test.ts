// An ensemble of a sweep's top runs: `modellab best --ensemble 2` writes a
// folder of the two best points' models; it predicts the mean of its members'
// predictions, serves like a single model (:predict answers the same numbers)
// and its test metrics are printed beside the single best run's.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { promisify } from 'node:util';
import { runMetrics } from '../../src/core/configResults';
import { ENSEMBLE_FILE } from '../../src/core/ensemble';
import type { EnsembleJson } from '../../src/core/ensemble';
import { listRuns } from '../../src/node/runStoreReader';
import { selectBackend } from '../../src/trainer/backend';
import { runTraining } from '../../src/trainer/engine';
import { Predictor } from '../../src/trainer/predictor';
import { startServing } from '../../src/trainer/servingServer';
import { linearCsv, tempDir, writeFiles } from '../helpers/fixtures';

const execFileAsync = promisify(execFile);
const repoRoot = join(import.meta.dirname, '../..');

test('best --ensemble 2: the top two points\' models as one folder whose prediction is their mean, served by :predict', async (t) => {
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
  const runs = listRuns(runsDir).map((r) => ({ dir: r.dir, meta: r.meta! }));
  const top2 = [...runs].sort((a, b) => runMetrics(a.meta)!.val_loss - runMetrics(b.meta)!.val_loss).slice(0, 2);

  const { stdout } = await execFileAsync(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'best', configPath, '--ensemble', '2', '--runs-dir', runsDir, '--backend', 'wasm', '--json'], { cwd: repoRoot });
  const report = JSON.parse(stdout.trim().split('\n').at(-1)!);
  assert.equal(report.type, 'ensemble');
  assert.deepEqual(report.members, top2.map((r) => r.meta.id), 'the two best points by val_loss, best first');
  const json = JSON.parse(readFileSync(join(report.dir, ENSEMBLE_FILE), 'utf8')) as EnsembleJson;
  assert.deepEqual(json.members, ['members/0', 'members/1']);
  for (const key of ['mse', 'mae', 'rmse', 'r2']) assert.ok(Number.isFinite(report.test[key]) && Number.isFinite(report.bestRunTest[key]), JSON.stringify(report));
  assert.equal(report.count, 30);

  // The ensemble's prediction is the mean of its members' (the runs' own models), row by row.
  const rows = [{ x1: 0.5, x2: -1, x3: 1.5 }, { x1: -1.2, x2: 0.3, x3: 0 }, { x1: 2, x2: 2, x3: -2 }];
  const ensemble = await Predictor.load(report.dir);
  const members = await Promise.all(top2.map((r) => Predictor.load(r.dir)));
  t.after(() => [ensemble, ...members].forEach((p) => p.dispose()));
  const got = (await ensemble.predict(rows)).map((p) => (p as { value: number }).value);
  const each = await Promise.all(members.map(async (m) => (await m.predict(rows)).map((p) => (p as { value: number }).value)));
  got.forEach((v, i) => assert.ok(Math.abs(v - (each[0][i] + each[1][i]) / 2) < 1e-9, `row ${i}: ${v} vs mean of ${each[0][i]} and ${each[1][i]}`));
  assert.ok(Math.abs(each[0][0] - each[1][0]) > 1e-6, 'the members differ, so the mean is a real test');
  assert.equal(ensemble.signature.kind, 'tabular');
  assert.deepEqual(ensemble.signature.inputs.map((i) => i.name), ['x1', 'x2', 'x3']);

  // Exported like a single model: the folder whole, a model card naming the members with the ensemble's own test metrics; the export predicts the same.
  const out = join(dir, 'ens-export');
  const exported = await execFileAsync(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'export', report.dir, '--out', out, '--json'], { cwd: repoRoot });
  const card = JSON.parse(exported.stdout.trim()).card;
  assert.deepEqual(card.ensemble.members, report.members);
  assert.equal(card.metrics.evaluation.values.mse, report.test.mse);
  assert.ok(card.files.includes('ensemble.json') && card.files.includes('members/1/model.json') && card.files.includes('model-card.json'), card.files.join(' '));
  const fromExport = await Predictor.load(out);
  t.after(() => fromExport.dispose());
  (await fromExport.predict(rows)).forEach((p, i) => assert.ok(Math.abs((p as { value: number }).value - got[i]) < 1e-9));

  // Served like a single model: TF Serving's :predict answers the same numbers.
  const server = await startServing({ predictor: ensemble, name: 'ens', port: 0 });
  t.after(() => server.close());
  const res = await fetch(`http://127.0.0.1:${server.port}/v1/models/ens:predict`, { method: 'POST', body: JSON.stringify({ instances: rows }), headers: { 'content-type': 'application/json' } });
  assert.equal(res.status, 200);
  const body = (await res.json()) as { predictions: number[] | { value: number }[] };
  const served = body.predictions.map((p) => (typeof p === 'number' ? p : p.value));
  served.forEach((v, i) => assert.ok(Math.abs(v - got[i]) < 1e-5, `served ${v} vs ${got[i]}`));
});
