// `modellab sweep` with "earlyTermination": points whose learning rate is far
// too low fall behind the first point at the first rung and end `pruned`
// after that rung's epoch, with no evaluation and no checkpoint; the good
// point trains all its epochs and is the sweep's best; `modellab runs` says
// where and why each was pruned.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { promisify } from 'node:util';
import type { JobProgram, JobResources } from '../../src/node/executors/executor';
import { createQueuedRuns } from '../../src/node/executors/queuedRuns';
import { listRuns, readRunMeta } from '../../src/node/runStoreReader';
import { linearCsv, metricsOf, regressionConfig, tempDir, writeFiles } from '../helpers/fixtures';

const execFileAsync = promisify(execFile);
const repoRoot = join(import.meta.dirname, '../..');

function cli(...args: string[]) {
  return execFileAsync(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', ...args], { cwd: repoRoot });
}

test('a sweep with early termination prunes its bad points at the first rung; the good one trains to the end and is best', async (t) => {
  const dir = tempDir('modellab-et-', t);
  const sweep = {
    // With early termination a grid runs shuffled by its seed: seed 2 runs these as 0.03, 0.00001, 0.000001 —
    // the good learning rate first, so each bad one meets it at the rung.
    parameters: { 'training.optimizer.learningRate': [0.03, 0.000001, 0.00001] },
    seed: 2,
    earlyTermination: { type: 'asha', minEpochs: 1, reductionFactor: 3 },
  };
  writeFiles(dir, { 'data.csv': linearCsv(200), 'exp.experiment.json': regressionConfig({ sweep, training: { optimizer: { type: 'adam', learningRate: 0.01 }, loss: 'mse', metrics: ['mae'], epochs: 6, batchSize: 16, seed: 5 } }) });
  const runsDir = join(dir, 'runs');
  const { stdout } = await cli('sweep', join(dir, 'exp.experiment.json'), '--backend', 'wasm', '--runs-dir', runsDir, '--json');
  const lines = stdout.trim().split('\n').map((l) => JSON.parse(l));
  const points = lines.filter((l) => l.type === 'point');
  assert.deepEqual(points.map((p) => [p.index, p.status]), [[0, 'completed'], [1, 'pruned'], [2, 'pruned']]);
  const summary = lines.find((l) => l.type === 'sweep');
  assert.equal(summary.best.runId, points[0].runId);
  assert.deepEqual(summary.runs.map((r: { index: number; epochs: number; status: string }) => [r.index, r.status, r.epochs]), [[0, 'completed', 6], [1, 'pruned', 1], [2, 'pruned', 1]]);

  const byIndex = new Map(listRuns(runsDir).map((r) => [r.meta!.sweep!.index, r]));
  const good = byIndex.get(0)!;
  // Alone at rungs 1 and 3 (rungs of a 6-epoch run with η = 3): first of one, it goes on.
  assert.deepEqual(good.meta!.sweep!.rungs!.map((r) => [r.epoch, r.rank, r.of, r.kept]), [[1, 1, 1, 1], [3, 1, 1, 1]]);
  assert.ok(existsSync(join(good.dir, 'evaluation.json')));
  for (const i of [1, 2]) {
    const run = byIndex.get(i)!;
    const meta = run.meta!;
    assert.equal(meta.status, 'pruned');
    assert.equal(meta.epochsDone, 1);
    assert.equal(meta.epochsPlanned, 6);
    // Its val_loss at the rung is worse than the good run's there, so it placed below the one run that goes on.
    const rung = meta.sweep!.rungs![0];
    assert.deepEqual([rung.epoch, rung.rank, rung.of, rung.kept], [1, i + 1, i + 1, 1]);
    assert.ok(rung.value > good.meta!.sweep!.rungs![0].value);
    assert.deepEqual(metricsOf(run.dir).filter((p) => p.kind === 'epoch').map((p) => p.epoch), [1]);
    assert.equal(existsSync(join(run.dir, 'evaluation.json')), false, 'a pruned run is not evaluated');
    assert.equal(existsSync(join(run.dir, 'checkpoint.bin')), false, 'a pruned run is not resumable');
    assert.equal(meta.stages?.evaluation, 'skipped');
  }

  const table = await cli('sweep', join(dir, 'exp.experiment.json'), '--backend', 'wasm', '--runs-dir', join(dir, 'runs2'));
  assert.match(table.stdout, /early termination pruned 2 of 3 run\(s\): 8 of 18 planned epochs trained/);
  // val_loss, then the labelled test metric (a pruned run was never evaluated: —).
  assert.match(table.stdout, /^★\s+1\s+0\.03\s+\S+\s+[\d.]+\s+6\s+completed/m);
  assert.match(table.stdout, /^\s+2\s+0\.00001\s+—\s+—\s+1\s+pruned/m);

  const runs = await cli('runs', '--runs-dir', runsDir);
  const prunedLine = runs.stdout.split('\n').find((l) => l.includes(byIndex.get(2)!.meta!.id))!;
  assert.match(prunedLine, /pruned .*\(pruned at epoch 1\/6: placed 3 of 3 runs at that rung, the best 1 went on\)/);
});

test('a job array prunes without a coordinator: each task, trained by `train --run-dir` as the job script does, decides from its siblings\' folders', async (t) => {
  const dir = tempDir('modellab-et-array-', t);
  const sweep = { parameters: { 'training.optimizer.learningRate': [0.03, 0.000001, 0.00001] }, seed: 2, earlyTermination: { type: 'asha', minEpochs: 1, reductionFactor: 3 } };
  writeFiles(dir, { 'data.csv': linearCsv(200), 'exp.experiment.json': regressionConfig({ sweep, training: { optimizer: { type: 'adam', learningRate: 0.01 }, loss: 'mse', metrics: ['mae'], epochs: 6, batchSize: 16, seed: 5 } }) });
  const configPath = join(dir, 'exp.experiment.json');
  const runsDir = join(dir, 'runs');
  // The queued folders a SLURM submission writes: each carries the sweep's early termination in meta.sweep.
  const queued = createQueuedRuns({ configPath, runsDir, backend: 'wasm', resources: {} as JobResources, program: {} as JobProgram }, true);
  assert.deepEqual(queued.writers.map((w) => w.meta.sweep?.earlyTermination), [0, 1, 2].map(() => ({ type: 'asha', minEpochs: 1, reductionFactor: 3, metric: 'val_loss', goal: 'minimize' })));
  // The array's tasks, here one after another: a pruned task exits 0 (the job did what the sweep meant).
  for (const w of queued.writers) {
    const { stdout } = await cli('train', configPath, '--run-dir', w.dir, '--backend', 'wasm');
    assert.match(stdout, new RegExp(`^${w.meta.sweep!.index === 0 ? 'completed' : 'pruned'}: linear on wasm after ${w.meta.sweep!.index === 0 ? 6 : 1} epoch`, 'm'));
  }
  const metas = queued.writers.map((w) => readRunMeta(w.dir)!);
  assert.deepEqual(metas.map((m) => [m.status, m.epochsDone]), [['completed', 6], ['pruned', 1], ['pruned', 1]]);
  assert.deepEqual(metas.map((m) => m.sweep!.rungs![0].rank), [1, 2, 3]);
  // A task requeued after its run was pruned leaves the folder as it is.
  const again = await cli('train', configPath, '--run-dir', queued.writers[1].dir, '--backend', 'wasm');
  assert.match(again.stderr, /is already pruned/);
  assert.equal(readRunMeta(queued.writers[1].dir)!.epochsDone, 1);
});
