// A sweep really trains one run per point: each run records its point, trains
// the overridden config, and the results inside the config follow from them.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { promisify } from 'node:util';
import { runMetrics, summarizeConfigResults, formatKeyHint } from '../../src/core/configResults';
import { listRuns } from '../../src/node/runStoreReader';
import { expandSweep, newSweepId } from '../../src/core/sweep';
import type { SweepConfig } from '../../src/core/types';
import { ConfigInvalidError, runTraining } from '../../src/trainer/engine';
import { linearCsv, regressionConfig, tempDir, writeFiles } from '../helpers/fixtures';

const execFileAsync = promisify(execFile);
const repoRoot = join(import.meta.dirname, '../..');

const sweep: SweepConfig = {
  parameters: { 'training.optimizer.learningRate': [0.0005, 0.02], 'model.layers[0].units': [4, 32] },
  metric: 'val_loss',
};

function workspace(): { dir: string; config: string; runs: string } {
  const dir = tempDir();
  const config = regressionConfig({
    training: { optimizer: { type: 'adam', learningRate: 0.01 }, loss: 'mse', metrics: ['mae'], epochs: 4, batchSize: 16, seed: 5 },
    sweep,
  });
  writeFiles(dir, { 'data.csv': linearCsv(240), 'exp.experiment.json': config });
  return { dir, config: join(dir, 'exp.experiment.json'), runs: join(dir, '.modellab', 'runs') };
}

test('a 2 × 2 grid trains 4 runs, each recording its point and training its overridden config', async () => {
  const ws = workspace();
  const id = newSweepId();
  const points = expandSweep(sweep);
  assert.equal(points.length, 4);
  for (const point of points) {
    const r = await runTraining({
      configPath: ws.config,
      runsDir: ws.runs,
      backend: 'wasm',
      overrides: point.params,
      sweep: { id, index: point.index, total: points.length, params: point.params },
      onEvent: () => {},
    });
    assert.equal(r.meta.status, 'completed', r.meta.error);
  }
  // Two runs started in the same second have ids in random order; the point index says which is which.
  const runs = listRuns(ws.runs).sort((a, b) => a.meta!.sweep!.index - b.meta!.sweep!.index);
  assert.equal(runs.length, 4);
  const inputs = runs.map((run, i) => {
    const meta = run.meta!;
    assert.deepEqual(meta.sweep, { id, index: i, total: 4, params: points[i].params });
    const config = JSON.parse(readFileSync(join(run.dir, 'config.json'), 'utf8'));
    assert.equal(config.training.optimizer.learningRate, points[i].params['training.optimizer.learningRate']);
    assert.equal(config.model.layers[0].units, points[i].params['model.layers[0].units']);
    assert.equal(config.sweep, undefined, 'a run trains one point, not the sweep');
    assert.equal(config.training.epochs, 4);
    // the model summary follows the overridden width: 3 inputs → units → 1
    const summary = JSON.parse(readFileSync(join(run.dir, 'summary.json'), 'utf8'));
    assert.equal(summary.layers[0].params, 3 * (config.model.layers[0].units as number) + (config.model.layers[0].units as number));
    // No checkpoint or early stopping in the config: the run keeps (and is ranked by) its last epoch.
    const epochLogs = readFileSync(join(run.dir, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l)).filter((p) => p.kind === 'epoch');
    assert.equal(meta.bestEpoch, 4);
    assert.equal(meta.bestMetrics!.val_loss, epochLogs[epochLogs.length - 1].values.val_loss);
    return { id: run.id, config, metrics: runMetrics(meta) };
  });

  // In 4 epochs, Adam at 0.0005 barely moves; 0.02 learns. The results in the config say so.
  const results = summarizeConfigResults(inputs, { metric: 'val_loss' });
  assert.deepEqual(results.keys.map((k) => k.path), ['model.layers[0].units', 'training.optimizer.learningRate']);
  const lr = results.keys[1];
  const [slow, fast] = lr.values;
  assert.ok(fast.best! < slow.best! / 2, `lr 0.02 → ${fast.best}, lr 0.0005 → ${slow.best}`);
  assert.equal(fast.star, true);
  assert.match(formatKeyHint(lr, results), /^val_loss: 0\.0005 → [\d.]+ · 0\.02 → [\d.]+ ★ \(4 runs\)$/);
});

test('an override that makes the config invalid refuses to start, saying which point and why', async () => {
  const ws = workspace();
  await assert.rejects(
    runTraining({ configPath: ws.config, runsDir: ws.runs, backend: 'wasm', overrides: { 'model.layers[1].units': 3 }, onEvent: () => {} }),
    (e: unknown) => e instanceof ConfigInvalidError && /sweep point units=3: a regression model predicts one number/.test(e.message),
  );
  assert.equal(listRuns(ws.runs).length, 0);
});

test('modellab sweep runs every point and prints them ranked, the best marked', async () => {
  const ws = workspace();
  const cli = (...args: string[]) =>
    execFileAsync(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'sweep', ws.config, '--backend', 'wasm', '--epochs', '2', '--runs-dir', ws.runs, ...args], { cwd: repoRoot });
  const { stdout } = await cli('--json');
  const lines = stdout.trim().split('\n').map((l) => JSON.parse(l));
  assert.deepEqual(lines.filter((l) => l.type === 'point').map((l) => [l.index, l.status]), [[0, 'completed'], [1, 'completed'], [2, 'completed'], [3, 'completed']]);
  const summary = lines.find((l) => l.type === 'sweep');
  assert.equal(summary.metric, 'val_loss');
  assert.equal(summary.runs.length, 4);
  const values = summary.runs.map((r: { value: number }) => r.value);
  assert.deepEqual(values, [...values].sort((a, b) => a - b), 'ranked best first');
  assert.equal(summary.best.runId, summary.runs[0].runId);
  const metas = listRuns(ws.runs).map((r) => r.meta!);
  assert.equal(new Set(metas.map((m) => m.sweep!.id)).size, 1);
  assert.ok(metas.every((m) => m.epochsPlanned === 2));

  // The table: one row per run, best first and starred.
  const table = (await cli()).stdout.trim().split('\n');
  assert.match(table[0], /^sweep sweep-[\w-]+: 4 of 4 run\(s\) in [\d.]+ s, ranked by val_loss \(minimize\)$/);
  // The test metric stands beside the ranking metric, labelled (the run's evaluation on its test split; it never ranks).
  assert.match(table[1], /^\s+rank\s+learningRate\s+units\s+val_loss\s+test mse\s+epochs\s+status\s+run$/);
  assert.match(table[2], /^★\s+1\s+0\.02\s+\d+\s+[\d.]+\s+[\d.]+\s+2\s+completed/);
  assert.equal(table.filter((l) => /completed/.test(l)).length, 4);
  assert.match(table[6], /^best: \S+ — learningRate=0\.02, units=\d+ — val_loss [\d.]+$/);
});
