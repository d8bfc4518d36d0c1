// An image classifier fine-tuned from a base (model.base), trained for real on
// the digits shipped in examples/digits: a small CNN trained on the digits 0–4
// is the base of a classifier of 5–9. The kept layers' weights are the base's
// bit for bit when the model is built, the head is new, frozen weights do not
// move, the fine-tuned classifier reaches well above chance in a few epochs,
// the run records its base, a resumed run ends where an uninterrupted one
// does, and a config whose images differ from the base's is refused with the
// editor's words.

import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { cpSync, mkdirSync, readdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { before, test } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import type { TrainerEvent } from '../../src/core/protocol/trainer';
import type { ClassificationEvaluation, LayerConfig } from '../../src/core/types';
import { exportRun } from '../../src/node/modelExport';
import { readRunMeta } from '../../src/node/runStoreReader';
import { selectBackend } from '../../src/trainer/backend';
import { resumeTraining, runTraining, withSeededRandom } from '../../src/trainer/engine';
import { IMAGE_BASE_LAYERS_FILE, imageFineTune } from '../../src/trainer/imageFineTune';
import { loadModel } from '../../src/trainer/modelIo';
import { resolveConfig } from '../../src/core/resolvedConfig';
import type { ExperimentConfig } from '../../src/core/types';
import { formatLogText } from '../../src/core/trainerLogTable';
import { tempDir } from '../helpers/fixtures';
import { digitsData } from '../helpers/digitsData';

const ws = tempDir('modellab-image-fine-tune-');
const runsDir = join(ws, '.modellab', 'runs');

/** The first `n` images (by name) of each digit of a split, copied into `to`/<digit>. */
function copyDigits(split: string, classes: string[], n: number, to: string): void {
  const digits = digitsData();
  for (const c of classes) {
    mkdirSync(join(ws, to, c), { recursive: true });
    for (const f of readdirSync(join(digits, split, c)).sort().slice(0, n)) cpSync(join(digits, split, c, f), join(ws, to, c, f));
  }
}

const BASE_LAYERS: LayerConfig[] = [
  { type: 'conv2d', filters: 8, kernelSize: 3, activation: 'relu', kernelInitializer: 'heNormal' },
  { type: 'maxPooling2d', poolSize: 2 },
  { type: 'conv2d', filters: 16, kernelSize: 3, activation: 'relu', kernelInitializer: 'heNormal' },
  { type: 'maxPooling2d', poolSize: 2 },
  { type: 'flatten' },
  { type: 'dense', units: 32, activation: 'relu' },
  { type: 'dense', units: 5, activation: 'softmax' },
];
const HEAD: LayerConfig[] = [{ type: 'flatten' }, { type: 'dense', units: 5, activation: 'softmax' }];

function writeConfig(name: string, config: object): string {
  const path = join(ws, `${name}.experiment.json`);
  writeFileSync(path, JSON.stringify(config, null, 2));
  return path;
}

const baseConfig = {
  name: 'digits-0-4',
  task: 'classification',
  data: { train: 'low/train', validation: 'low/validation', image: { size: [28, 28], channels: 1 } },
  model: { layers: BASE_LAYERS },
  training: { optimizer: { type: 'adam', learningRate: 0.003 }, epochs: 4, batchSize: 32, seed: 1 },
};

function fineTuneConfig(name: string, base: unknown, training: object = {}, image: object = { size: [28, 28], channels: 1 }): ExperimentConfig {
  return {
    name,
    task: 'classification',
    data: { train: 'high/train', test: 'high/test', image },
    model: { base, layers: HEAD },
    training: { optimizer: { type: 'adam', learningRate: 0.003 }, epochs: 4, batchSize: 32, seed: 7, ...training },
  } as unknown as ExperimentConfig;
}

let baseRun = '';

before(async () => {
  await selectBackend('wasm');
  copyDigits('train', ['0', '1', '2', '3', '4'], 120, 'low/train');
  copyDigits('validation', ['0', '1', '2', '3', '4'], 20, 'low/validation');
  copyDigits('train', ['5', '6', '7', '8', '9'], 40, 'high/train');
  copyDigits('test', ['5', '6', '7', '8', '9'], 40, 'high/test');
  const r = await runTraining({ configPath: writeConfig('base', baseConfig), runsDir, backend: 'wasm', onEvent: () => {} });
  assert.equal(r.meta.status, 'completed', r.meta.error);
  baseRun = r.runDir;
});

/** The weights of a model folder, by layer position: each layer's arrays. */
async function layerWeights(modelDir: string): Promise<Float32Array[][]> {
  const { model } = await loadModel(modelDir);
  const out = model.layers.map((l) => l.getWeights().map((w) => w.dataSync() as Float32Array));
  model.dispose();
  return out;
}

const bytesEqual = (a: Float32Array, b: Float32Array) => a.length === b.length && Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength));

test('built from the base: the four kept layers hold the base\'s weights bit for bit, the head is new and seeded', async () => {
  const id = readRunMeta(baseRun)!.id;
  const config = resolveConfig(fineTuneConfig('built', id));
  const runDir = join(ws, 'built-run');
  mkdirSync(runDir, { recursive: true });
  const logs: string[] = [];
  const base = { kind: 'run' as const, id, path: join(baseRun, 'model'), task: 'classification' as const };
  const build = () => imageFineTune({ config, runDir, base, resuming: false, log: (m) => logs.push(typeof m === 'string' ? m : formatLogText(m)) }).buildModel(HEAD, [28, 28, 1]);
  const model = build();
  const baseWeights = await layerWeights(join(baseRun, 'model'));
  assert.equal(model.layers.length, 6, 'conv, pool, conv, pool kept; flatten and dense of the new head');
  for (let i = 0; i < 4; i++) {
    const mine = model.layers[i].getWeights().map((w) => w.dataSync() as Float32Array);
    assert.equal(mine.length, baseWeights[i].length);
    mine.forEach((w, j) => assert.ok(bytesEqual(w, baseWeights[i][j]), `layer ${i} weight ${j} equals the base's`));
  }
  // The head: a 400×5 kernel (5×5×16 flattened), where the base's dense layers were 400×32 and 32×5.
  const head = model.layers[5].getWeights();
  assert.deepEqual(head[0].shape, [400, 5]);
  assert.deepEqual(baseWeights[5][0].length, 400 * 32);
  assert.ok(logs.some((m) => /the base's first 4 layer\(s\) kept \(conv2d, maxPooling2d, conv2d, maxPooling2d; they give a 5×5×16 feature map\), their 4 weight arrays copied and checked equal; its head dropped \(flatten, dense, dense\)/.test(m)), logs.join('\n'));
  // The kept layers are in the run's folder, for a resume.
  const kept = JSON.parse(readFileSync(join(runDir, IMAGE_BASE_LAYERS_FILE), 'utf8'));
  assert.deepEqual(kept.layers.map((l: LayerConfig) => l.type), ['conv2d', 'maxPooling2d', 'conv2d', 'maxPooling2d']);
  assert.deepEqual(kept.input, [28, 28, 1]);
  // The head is drawn from the run's seed: built again under the same seed, the same numbers; under another, others.
  const headUnder = async (seed: number) => {
    const m = await withSeededRandom(seed, async () => build());
    const kernel = m.layers[5].getWeights()[0].dataSync() as Float32Array;
    m.dispose();
    return kernel;
  };
  const [a, b, c] = [await headUnder(7), await headUnder(7), await headUnder(8)];
  assert.ok(bytesEqual(a, b));
  assert.ok(!bytesEqual(a, c));
  model.dispose();
});

test('frozen for every epoch: the kept weights do not move, the head learns, and the run records its base', async (t) => {
  const id = readRunMeta(baseRun)!.id;
  const r = await runTraining({ configPath: writeConfig('frozen', fineTuneConfig('frozen', { from: id, freezeEpochs: 3 }, { epochs: 3 })), runsDir, backend: 'wasm', onEvent: () => {} });
  assert.equal(r.meta.status, 'completed', r.meta.error);
  const hash = createHash('sha256').update(readFileSync(join(baseRun, 'config.json'))).digest('hex').slice(0, 16);
  assert.deepEqual(r.meta.base, { kind: 'run', id, path: join(baseRun, 'model'), task: 'classification', configHash: hash });
  const base = await layerWeights(join(baseRun, 'model'));
  const tuned = await layerWeights(join(r.runDir, 'model'));
  for (const i of [0, 2]) tuned[i].forEach((w, j) => assert.ok(bytesEqual(w, base[i][j]), `frozen layer ${i} weight ${j} did not move`));
  const evaluation = r.evaluation as ClassificationEvaluation;
  t.diagnostic(`test accuracy, the head alone trained: ${evaluation.metrics.accuracy}`);
  assert.deepEqual(evaluation.labels, ['5', '6', '7', '8', '9']);
  assert.ok(evaluation.metrics.accuracy > 0.5, `the head alone on the base's features: ${evaluation.metrics.accuracy}`);
});

test('fine-tuned on the digits 5–9 from a base of 0–4: unfrozen after one epoch, well above chance (0.2) in four epochs', async (t) => {
  const id = readRunMeta(baseRun)!.id;
  const logs: string[] = [];
  const onEvent = (e: TrainerEvent) => e.type === 'log' && logs.push(e.message);
  const r = await runTraining({ configPath: writeConfig('tuned', fineTuneConfig('tuned', { from: id, freezeEpochs: 1, learningRate: 0.001 })), runsDir, backend: 'wasm', onEvent });
  assert.equal(r.meta.status, 'completed', r.meta.error);
  const accuracy = (r.evaluation as ClassificationEvaluation).metrics.accuracy;
  t.diagnostic(`test accuracy on the digits 5–9 after 4 epochs from the base: ${accuracy}`);
  assert.ok(accuracy >= 0.7, `test accuracy on 5–9: ${accuracy}`);
  assert.ok(logs.includes("the base's weights are frozen for the first 1 epoch(s): only the head trains"), logs.join('\n'));
  assert.ok(logs.includes("epoch 2: the base's weights train from now on"), logs.join('\n'));
  assert.ok(logs.includes("the base's weights train with learning rate 0.001, the head with 0.003"), logs.join('\n'));
  // Unfrozen, the kept convolutions moved.
  const base = await layerWeights(join(baseRun, 'model'));
  const tuned = await layerWeights(join(r.runDir, 'model'));
  assert.ok(!bytesEqual(tuned[0][0], base[0][0]), 'the first convolution trained after the frozen epoch');
});

test('an export of the base is a base too', async () => {
  const out = join(ws, 'exports', 'digits-0-4');
  exportRun(baseRun, out);
  const r = await runTraining({ configPath: writeConfig('from-export', fineTuneConfig('from-export', 'exports/digits-0-4', { epochs: 2 })), runsDir, backend: 'wasm', onEvent: () => {} });
  assert.equal(r.meta.status, 'completed', r.meta.error);
  assert.equal(r.meta.base?.kind, 'export');
  assert.equal(r.meta.base?.path, out);
  assert.ok((r.evaluation as ClassificationEvaluation).metrics.accuracy > 0.4);
});

/** Trains the config whole, and again cut in epoch `cutIn` and resumed with the base moved away: the same model. */
async function resumedEqualsWhole(name: string, freezeEpochs: number, cutIn: number) {
  const id = readRunMeta(baseRun)!.id;
  const config = fineTuneConfig(name, { from: id, freezeEpochs, learningRate: 0.001 });
  const full = await runTraining({ configPath: writeConfig(`${name}-full`, config), runsDir, backend: 'wasm', onEvent: () => {} });
  assert.equal(full.meta.status, 'completed', full.meta.error);
  const abort = new AbortController();
  const cut = await runTraining({
    configPath: writeConfig(`${name}-cut`, config),
    runsDir,
    backend: 'wasm',
    signal: abort.signal,
    metricsIntervalMs: 0,
    onEvent: (e) => e.type === 'metrics' && e.points.some((p) => p.kind === 'step' && p.epoch === cutIn) && abort.abort('disconnect'),
  });
  assert.equal(cut.meta.status, 'interrupted', cut.meta.error);
  assert.equal(cut.meta.epochsDone, cutIn - 1);
  const tensors = tf.memory().numTensors;
  const logs: string[] = [];
  // The resume reads nothing of the base: moved away meanwhile, it is not missed.
  renameSync(baseRun, `${baseRun}.moved`);
  let r;
  try {
    r = await resumeTraining({ runDir: cut.runDir, backend: 'wasm', onEvent: (e) => e.type === 'log' && logs.push(e.message) });
  } finally {
    renameSync(`${baseRun}.moved`, baseRun);
  }
  assert.equal(r.meta.status, 'completed', r.meta.error);
  assert.equal(tf.memory().numTensors, tensors, 'resuming leaks no tensors');
  assert.ok(logs.some((m) => m.startsWith("fine-tuned run: the base's 4 kept layer(s) are built from the run's own folder")), logs.join('\n'));
  assert.deepEqual(r.meta.base, full.meta.base);
  assert.equal((r.evaluation as ClassificationEvaluation).metrics.accuracy, (full.evaluation as ClassificationEvaluation).metrics.accuracy);
  const a = await layerWeights(join(full.runDir, 'model'));
  const b = await layerWeights(join(r.runDir, 'model'));
  a.forEach((layer, i) => layer.forEach((w, j) => assert.ok(bytesEqual(w, b[i][j]), `layer ${i} weight ${j}: resumed = uninterrupted`)));
}

test('a fine-tuned run interrupted in its frozen epochs and resumed ends as the uninterrupted run does', () => resumedEqualsWhole('resumed-frozen', 2, 2));

test('a fine-tuned run interrupted after its base unfroze and resumed ends as the uninterrupted run does (both optimizers\' state restored)', () => resumedEqualsWhole('resumed-unfrozen', 1, 3));

test('a config whose images differ from the base\'s is refused before a run starts, in the editor\'s words', async () => {
  const id = readRunMeta(baseRun)!.id;
  await assert.rejects(
    runTraining({ configPath: writeConfig('rgb', fineTuneConfig('rgb', id, {}, { size: [28, 28], channels: 3 })), runsDir, backend: 'wasm', onEvent: () => {} }),
    (e: Error) => {
      assert.match(e.message, new RegExp(`rgb\\.experiment\\.json:\\d+:\\d+: error: the images are read with 3 channels but the base, run "${id}" \\(.*\\), was trained on 1: its first convolution takes 1; set "channels": 1`));
      return true;
    },
  );
});
