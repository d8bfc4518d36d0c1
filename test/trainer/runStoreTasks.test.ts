// A run of every task, trained for real and read back through the readers the
// sidebar, the dashboard, the Deploy picker and `modellab runs` use: each keeps
// its task, its evaluation and no warning. (A hand-typed list of tasks in the
// reader once read every recommender run as a damaged regression run.)
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { cpSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { before, test } from 'node:test';
import { TASKS } from '../../src/core/types';
import type { Task } from '../../src/core/types';
import { listRuns, readRunMeta, readRunSnapshot } from '../../src/node/runStoreReader';
import { selectBackend } from '../../src/trainer/backend';
import { runTraining } from '../../src/trainer/engine';
import { tempDir } from '../helpers/fixtures';

const root = join(__dirname, '../..');
const EXAMPLE_OF_TASK: Record<Task, string> = {
  regression: 'house-prices/house-prices.experiment.json',
  classification: 'intent-classifier/intent-classifier.experiment.json',
  'language-model': 'text-generator/text-generator.experiment.json',
  'masked-language-model': 'pretrain-finetune/pretrain.experiment.json',
  recommendation: 'recommender/recommender.experiment.json',
};
const runsDir = join(tempDir('modellab-run-tasks-'), 'runs');
const runOfTask = new Map<Task, string>();
/** An image classifier: a classification run of its own kind (its evaluation lists images), on the digits shipped in git. */
let imageRun = '';

function imageClassifierConfig(): string {
  const ws = tempDir('modellab-run-tasks-image-');
  cpSync(join(root, 'examples/digits/data/samples'), join(ws, 'samples'), { recursive: true });
  const config = {
    name: 'digit-samples',
    task: 'classification',
    data: { source: 'samples', split: { validation: 0.2, test: 0.2, seed: 1 }, image: { size: [28, 28], channels: 1 } },
    model: { layers: [{ type: 'conv2d', filters: 4, kernelSize: 3, activation: 'relu' }, { type: 'maxPooling2d' }, { type: 'flatten' }, { type: 'dense', units: 10, activation: 'softmax' }] },
    training: { epochs: 1, batchSize: 16 },
  };
  writeFileSync(join(ws, 'digits.experiment.json'), JSON.stringify(config));
  return join(ws, 'digits.experiment.json');
}

before(async () => {
  await selectBackend('wasm');
  for (const task of TASKS) {
    const r = await runTraining({ configPath: join(root, 'examples', EXAMPLE_OF_TASK[task]), runsDir, backend: 'wasm', epochs: 1, onEvent: () => {} });
    assert.equal(r.meta.status, 'completed', r.meta.error);
    runOfTask.set(task, r.runDir);
  }
  const r = await runTraining({ configPath: imageClassifierConfig(), runsDir, backend: 'wasm', onEvent: () => {} });
  assert.equal(r.meta.status, 'completed', r.meta.error);
  imageRun = r.runDir;
});

for (const task of TASKS) {
  test(`a ${task} run reads back as ${task}, with its evaluation and no warning`, () => {
    const dir = runOfTask.get(task)!;
    assert.equal(readRunMeta(dir)?.task, task);
    const entry = listRuns(runsDir).find((r) => r.dir === dir);
    assert.ok(entry);
    assert.equal(entry.meta?.task, task);
    assert.deepEqual(entry.warnings, []);
    const snapshot = readRunSnapshot(dir);
    assert.equal(snapshot.warnings, undefined);
    assert.equal(snapshot.meta.task, task);
    assert.equal(snapshot.evaluation?.task, task);
    assert.ok(snapshot.metrics.length > 0);
  });
}

test('an image classifier\'s run reads back as classification, with its evaluation and its images, and no warning', () => {
  assert.equal(readRunMeta(imageRun)?.task, 'classification');
  const entry = listRuns(runsDir).find((r) => r.dir === imageRun);
  assert.ok(entry);
  assert.deepEqual(entry.warnings, []);
  const snapshot = readRunSnapshot(imageRun);
  assert.equal(snapshot.warnings, undefined);
  assert.equal(snapshot.evaluation?.task, 'classification');
  assert.equal(snapshot.evaluation.task === 'classification' && snapshot.evaluation.images?.length, snapshot.evaluation.count);
  assert.ok(snapshot.metrics.length > 0);
});

test('modellab runs --json lists every task\'s run with its task, its evaluation and no warning', () => {
  const out = execFileSync(process.execPath, ['--import', 'tsx', join(root, 'src/cli/main.ts'), 'runs', '--json', '--runs-dir', runsDir], { encoding: 'utf8', cwd: root });
  const rows = JSON.parse(out) as { dir: string; task: string; warnings: string[]; evaluation?: { task: string; metrics: Record<string, number> } }[];
  for (const [task, dir] of [...TASKS.map((t) => [t, runOfTask.get(t)] as const), ['classification', imageRun] as const]) {
    const row = rows.find((r) => r.dir === dir);
    assert.ok(row, task);
    assert.equal(row.task, task);
    assert.deepEqual(row.warnings, []);
    assert.equal(row.evaluation?.task, task);
    assert.ok(Object.values(row.evaluation.metrics).every((v) => typeof v === 'number'), `${task}: numeric evaluation metrics`);
  }
  const text = execFileSync(process.execPath, ['--import', 'tsx', join(root, 'src/cli/main.ts'), 'runs', '--runs-dir', runsDir], { encoding: 'utf8', cwd: root });
  assert.doesNotMatch(text, /⚠/);
});
