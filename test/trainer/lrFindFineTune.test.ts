// The learning-rate range test of a fine-tune (`model.base`): the model it
// sweeps is the one training starts from (the base's tokenizer and weights,
// the new head from the seed), the base found by run id in the runs folder
// given, the same refusal as training for a bad base, and the result saying
// what the swept rate drives. And the new head's pooling following a base
// classifier's when the config names none.
import assert from 'node:assert/strict';
import { cpSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { execFile } from 'node:child_process';
import { basename, join } from 'node:path';
import { before, test } from 'node:test';
import type { TrainerEvent } from '../../src/core/protocol/trainer';
import type { MetricPoint } from '../../src/core/types';
import { validateConfigFile } from '../../src/node/configValidation';
import { LrFindProcess } from '../../src/node/lrFindProcess';
import { findLearningRate } from '../../src/trainer/lrFind';
import type { LrFindOptions } from '../../src/trainer/lrFind';
import { runTraining } from '../../src/trainer/engine';
import { tempDir } from '../helpers/fixtures';
import { train, writeBaseClassifier, writeFineTune } from './fineTuneHelpers';
import { digitsData } from '../helpers/digitsData';

let dir = '';
let runsDir = '';
let baseId = '';
let firstBaseId = '';

before(async () => {
  dir = tempDir('modellab-lrfind-base-');
  runsDir = join(dir, 'runs');
  const base = await train(writeBaseClassifier(dir), runsDir);
  baseId = basename(base.runDir);
  // A base classifier that pooled its <cls> token's vector.
  const baseConfig = JSON.parse(readFileSync(join(dir, 'base.experiment.json'), 'utf8'));
  const firstConfig = join(dir, 'base-first.experiment.json');
  writeFileSync(firstConfig, JSON.stringify({ ...baseConfig, name: 'base-first', model: { ...baseConfig.model, pooling: 'first' } }));
  firstBaseId = basename((await train(firstConfig, runsDir)).runDir);
});

const lrFind = (configPath: string, more: Partial<LrFindOptions> = {}) => {
  const logs: string[] = [];
  return findLearningRate({ configPath, runsDir, backend: 'wasm', settings: { steps: 6 }, onLog: (m) => logs.push(m), ...more }).then((r) => ({ ...r, logs }));
};

/** The loss of a training's first step (its metrics' first step point). */
async function firstTrainingLoss(configPath: string): Promise<number> {
  const events: TrainerEvent[] = [];
  await runTraining({ configPath, runsDir, backend: 'wasm', metricsIntervalMs: 0, onEvent: (e) => events.push(e) });
  const points = events.flatMap((e) => (e.type === 'metrics' ? e.points : [])).filter((p: MetricPoint) => p.kind === 'step');
  assert.equal(points[0]?.step, 1);
  return points[0].values.loss;
}

test('lr-find on a fine-tune by run id: its first step is the fine-tune training\'s first step (same model, same seed)', async () => {
  // One batch an epoch, so the first step's loss is the loss of the model as built, before any update.
  const config = writeFineTune(dir, baseId, { name: 'same', training: { epochs: 1, batchSize: 64 } });
  const trained = await firstTrainingLoss(config);
  const r = await lrFind(config);
  assert.equal(r.points[0].loss, trained);
  assert.equal(r.fineTune?.baseWeights, 'shared');
  assert.equal(r.fineTune?.base.id, baseId);
  assert.ok(r.logs.includes("range test of a fine-tune: the base's weights and the head train with the swept learning rate (model.base sets no learningRate of its own)"), r.logs.join('\n'));
  assert.ok(r.logs.some((l) => l.startsWith(`fine-tuning from run ${baseId}`)), r.logs.join('\n'));
  // A model from scratch (no base) starts elsewhere: the equality above is the base's weights'.
  const scratch = writeFineTune(dir, undefined, { name: 'scratch', model: { layers: 1, heads: 2, dModel: 16, ffDim: 32, maxLength: 16, positional: 'learned' }, training: { epochs: 1, batchSize: 64 } });
  assert.notEqual((await lrFind(scratch)).points[0].loss, trained);
});

test('lr-find on a fine-tune: a frozen base stays frozen, a base with its own rate keeps it; the output says which', async () => {
  const frozen = await lrFind(writeFineTune(dir, { from: baseId, freezeEpochs: 1 }, { name: 'frozen', training: { batchSize: 8 } }), { settings: { steps: 12 } });
  assert.deepEqual({ ...frozen.fineTune, base: undefined }, { base: undefined, baseWeights: 'frozen', freezeEpochs: 1 });
  assert.ok(frozen.logs.includes("range test of a fine-tune: the base's weights stay frozen, as in the first 1 epoch(s) of training; the learning rate swept is the head's"));
  // The training's "frozen for the first N epochs" line would be wrong here (the test holds it frozen throughout).
  assert.ok(!frozen.logs.some((l) => l.startsWith("the base's weights are frozen")), frozen.logs.join('\n'));
  assert.ok(!frozen.logs.some((l) => l.includes('train from now on')), 'the base never unfreezes during the test');
  assert.ok(frozen.points.length > 6, `${frozen.points.length} steps: more than one epoch of 8-row batches`);

  const fixed = await lrFind(writeFineTune(dir, { from: baseId, learningRate: 0.0005 }, { name: 'fixed' }));
  assert.equal(fixed.fineTune?.baseWeights, 'fixed');
  assert.equal(fixed.fineTune?.baseLr, 0.0005);
  assert.ok(fixed.logs.includes("range test of a fine-tune: the learning rate swept is the head's; the base's weights train with learning rate 0.0005 (model.base.learningRate)"));
});

test('lr-find on a fine-tune: a bad base is refused with the training\'s own message', async () => {
  const cases = [
    writeFineTune(dir, 'no-such-run', { name: 'missing' }),
    writeFineTune(dir, baseId, { name: 'wide', model: { dModel: 32 } }),
    writeFineTune(dir, baseId, { name: 'cls', model: { pooling: 'first' } }),
  ];
  for (const config of cases) {
    const trainError = await runTraining({ configPath: config, runsDir, backend: 'wasm', onEvent: () => {} }).then(
      () => assert.fail('training should refuse'),
      (e: Error) => e.message,
    );
    await assert.rejects(lrFind(config), (e: Error) => {
      assert.equal(e.message, trainError);
      return true;
    });
  }
  // Without the runs folder the run id is not found (the runs folder must reach the test).
  await assert.rejects(lrFind(writeFineTune(dir, baseId, { name: 'elsewhere' }), { runsDir: join(dir, 'other-runs') }), /model\.base/);
});

test('pooling: a new head follows a base classifier that pooled <cls> ("first") unless the config names its own', async () => {
  const follows = await train(writeFineTune(dir, firstBaseId, { name: 'follows', training: { epochs: 1 } }), runsDir);
  assert.equal(JSON.parse(readFileSync(join(follows.runDir, 'config.json'), 'utf8')).model.pooling, 'first');
  assert.ok(follows.logs.some((l) => l.includes('new head: first pooling')), follows.logs.join('\n'));
  const tokens = JSON.parse(readFileSync(join(follows.runDir, 'model', 'tokenizer.json'), 'utf8'));
  assert.equal(tokens.prependCls, true);

  const named = await train(writeFineTune(dir, firstBaseId, { name: 'named', model: { pooling: 'mean' }, training: { epochs: 1 } }), runsDir);
  assert.ok(named.logs.some((l) => l.includes('new head: mean pooling')), named.logs.join('\n'));

  // A base that pooled the mean: the default stays mean.
  const meanBase = await train(writeFineTune(dir, baseId, { name: 'mean-default', training: { epochs: 1 } }), runsDir);
  assert.ok(meanBase.logs.some((l) => l.includes('new head: mean pooling')), meanBase.logs.join('\n'));
});

test('pooling "first" over a base whose tokenizer puts no <cls>: the editor says so at model.pooling, as the trainer does', async () => {
  const config = writeFineTune(dir, baseId, { name: 'no-cls', model: { pooling: 'first' } });
  const diagnostics = validateConfigFile(config, { runsDir }).diagnostics.filter((d) => d.severity === 'error');
  assert.equal(diagnostics.length, 1, JSON.stringify(diagnostics));
  assert.equal(diagnostics[0].path, 'model.pooling');
  assert.match(diagnostics[0].message, /"pooling" is "first" \(a <cls> token's vector\), but the base's tokenizer puts no <cls> before the text: use "mean"/);
  await assert.rejects(runTraining({ configPath: config, runsDir, backend: 'wasm', onEvent: () => {} }), /"pooling" is "first" \(a <cls> token's vector\), but the base's tokenizer puts no <cls> before the text/);
});

test('lr-find on an image fine-tune: the base\'s kept layers and the new head, its first step the training\'s', async () => {
  const digits = digitsData();
  const copy = (classes: string[], n: number, to: string) => {
    for (const c of classes) {
      mkdirSync(join(dir, to, c), { recursive: true });
      for (const f of readdirSync(join(digits, 'train', c)).sort().slice(0, n)) cpSync(join(digits, 'train', c, f), join(dir, to, c, f));
    }
  };
  copy(['0', '1', '2'], 20, 'low');
  copy(['5', '6', '7'], 20, 'high');
  const image = { size: [28, 28], channels: 1 };
  const write = (name: string, config: object) => {
    writeFileSync(join(dir, `${name}.experiment.json`), JSON.stringify({ name, task: 'classification', ...config }));
    return join(dir, `${name}.experiment.json`);
  };
  const base = await train(
    write('digits-base', {
      data: { train: 'low', image },
      model: { layers: [{ type: 'conv2d', filters: 4, kernelSize: 3, activation: 'relu' }, { type: 'maxPooling2d', poolSize: 2 }, { type: 'flatten' }, { type: 'dense', units: 3, activation: 'softmax' }] },
      training: { optimizer: { type: 'adam', learningRate: 0.003 }, epochs: 1, batchSize: 16, seed: 1 },
    }),
    runsDir,
  );
  // One batch an epoch (60 images), the base frozen for the first epoch.
  const config = write('digits-fine', {
    data: { train: 'high', image },
    model: { base: { from: basename(base.runDir), freezeEpochs: 1 }, layers: [{ type: 'flatten' }, { type: 'dense', units: 3, activation: 'softmax' }] },
    training: { optimizer: { type: 'adam', learningRate: 0.003 }, epochs: 1, batchSize: 64, seed: 7 },
  });
  const trained = await firstTrainingLoss(config);
  const r = await lrFind(config);
  assert.equal(r.points[0].loss, trained);
  assert.equal(r.fineTune?.baseWeights, 'frozen');
  assert.ok(r.logs.some((l) => l.startsWith("the base's first 2 layer(s) kept")), r.logs.join('\n'));
});

test('modellab lr-find --runs-dir: the base found by run id there, the result saying what was swept', async () => {
  const config = writeFineTune(dir, { from: baseId, learningRate: 0.001 }, { name: 'cli' });
  const repoRoot = join(import.meta.dirname, '..', '..');
  const run = (args: string[]) =>
    new Promise<{ code: number; out: string; err: string }>((done) => {
      execFile(process.execPath, ['--import', 'tsx', join(repoRoot, 'src', 'cli', 'main.ts'), 'lr-find', config, '--steps', '5', '--backend', 'wasm', ...args], { cwd: repoRoot }, (error, out, err) => done({ code: error ? Number(error.code ?? 1) : 0, out, err }));
    });
  const json = await run(['--runs-dir', runsDir, '--json']);
  assert.equal(json.code, 0, json.err);
  const result = JSON.parse(json.out.trim().split('\n').pop()!) as { fineTune: { baseWeights: string; baseLr: number; sweep: string; base: { id: string } } };
  assert.deepEqual([result.fineTune.baseWeights, result.fineTune.baseLr, result.fineTune.base.id], ['fixed', 0.001, baseId]);
  assert.equal(result.fineTune.sweep, "range test of a fine-tune: the learning rate swept is the head's; the base's weights train with learning rate 0.001 (model.base.learningRate)");
  const text = await run(['--runs-dir', runsDir]);
  assert.match(text.out, /steps from 1e-7 to 10\nrange test of a fine-tune: the learning rate swept is the head's/);
  // Without --runs-dir, the runs folder of the current folder (the repository's here), where the id is not.
  const elsewhere = await run([]);
  assert.notEqual(elsewhere.code, 0);
  assert.match(elsewhere.err, new RegExp(`model\\.base: .*${baseId}`));
});

test('the editor\'s LrFindProcess hands the runs folder to lr-find: a base by run id is found, the result says what was swept', async () => {
  const repoRoot = join(import.meta.dirname, '..', '..');
  const config = writeFineTune(dir, { from: baseId, freezeEpochs: 2 }, { name: 'editor' });
  const options = { cliScript: join(repoRoot, 'src/cli/main.ts'), execArgv: ['--import', 'tsx'], runtime: { execPath: process.execPath, env: {} }, configPath: config, backend: 'wasm', cwd: repoRoot };
  const result = await new LrFindProcess({ ...options, runsDir }, () => {}).result;
  assert.equal(result.fineTune?.baseWeights, 'frozen');
  assert.equal(result.fineTune?.sweep, "range test of a fine-tune: the base's weights stay frozen, as in the first 2 epoch(s) of training; the learning rate swept is the head's");
  // The same config without it: the id is looked up in the repository's runs folder, and not found there.
  await assert.rejects(new LrFindProcess(options, () => {}).result, new RegExp(`model\\.base: .*${baseId}`));
});
