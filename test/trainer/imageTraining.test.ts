// Image classification end to end on real handwritten digits (a subset of the
// mnist package written as PNG folders by scripts/make-digits.mjs): a small CNN
// learns them well above chance on held-out images; the evaluation lists each
// image with its true and predicted label; image.json carries the training
// split's scaling statistics; a seed gives the same run, augmentation included;
// and a CNN run with augmentation, interrupted and resumed, ends exactly as the
// uninterrupted run.
import { withoutSystemKeys } from '../../src/core/systemMetrics';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { before, test } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import { formatEvaluation } from '../../src/cli/main';
import { fitChannelStats } from '../../src/core/imageTransforms';
import { resolveImage } from '../../src/core/resolvedConfig';
import type { TrainerEvent } from '../../src/core/protocol/trainer';
import { asLogText, formatLogText } from '../../src/core/trainerLogTable';
import type { ClassificationEvaluation, ImageDataConfig, ImageModelInfo, ModelSummary } from '../../src/core/types';
import { checkpointPath } from '../../src/node/checkpointFile';
import { loadImageSplits, readImagePixels } from '../../src/node/imageFiles';
import { readRunMeta } from '../../src/node/runStoreReader';
import { selectBackend } from '../../src/trainer/backend';
import { resumeTraining, runTraining } from '../../src/trainer/engine';
import { epochPoints, metricsOf, tempDir } from '../helpers/fixtures';
import { zhCnLogTemplates } from '../helpers/zhCnStrings';

const root = join(__dirname, '../..');
/** 60 of each digit: 48 train, 3 validation, 9 test (the script's 80/5/15 per digit). */
const PER_CLASS = 60;
let digits: string;

before(async () => {
  await selectBackend('wasm');
  digits = tempDir('modellab-digits-');
  execFileSync(process.execPath, [join(root, 'scripts/make-digits.mjs'), '--out', join(digits, 'data'), '--per-class', String(PER_CLASS), '--samples', '0'], { stdio: 'pipe' });
});

const IMAGE: ImageDataConfig = { size: [14, 14], channels: 1, scaling: 'standardize' };

/** A small CNN on the digits at 14×14 (bilinear from 28×28), in a workspace of its own with the digits copied in. */
function digitsWorkspace(overrides: { image?: Partial<ImageDataConfig>; training?: Record<string, unknown>; layers?: unknown[] } = {}): string {
  const ws = tempDir('modellab-image-ws-');
  cpSync(join(digits, 'data'), join(ws, 'data'), { recursive: true });
  const config = {
    name: 'digits-small',
    task: 'classification',
    data: { train: 'data/train', validation: 'data/validation', test: 'data/test', image: { ...IMAGE, ...overrides.image } },
    model: {
      layers: overrides.layers ?? [
        { type: 'conv2d', filters: 8, kernelSize: 3, activation: 'relu' },
        { type: 'maxPooling2d', poolSize: 2 },
        { type: 'flatten' },
        { type: 'dense', units: 10, activation: 'softmax' },
      ],
    },
    training: { optimizer: { type: 'adam', learningRate: 0.005 }, loss: 'sparseCategoricalCrossentropy', metrics: ['accuracy'], epochs: 8, batchSize: 32, seed: 3, ...overrides.training },
  };
  writeFileSync(join(ws, 'digits.experiment.json'), JSON.stringify(config, null, 2));
  return join(ws, 'digits.experiment.json');
}

const readJson = <T>(file: string): T => JSON.parse(readFileSync(file, 'utf8')) as T;

test('a small CNN learns handwritten digits well above chance; the evaluation lists every test image; image.json holds the training split\'s statistics', async () => {
  const configPath = digitsWorkspace();
  const stages: Record<string, string | undefined> = {};
  const stagesZh: Record<string, string | undefined> = {};
  const zh = zhCnLogTemplates();
  const tensorsBefore = tf.memory().numTensors;
  const r = await runTraining({
    configPath,
    runsDir: join(configPath, '../runs'),
    backend: 'wasm',
    onEvent: (e: TrainerEvent) => {
      if (e.type !== 'stage' || e.status !== 'done') return;
      stages[e.stage] = e.detail;
      const byId = asLogText(e.detailId, e.detailArgs);
      stagesZh[e.stage] = byId && formatLogText(byId, zh);
    },
  });
  assert.equal(r.meta.status, 'completed', r.meta.error);
  assert.equal(tf.memory().numTensors, tensorsBefore, 'a run leaks no tensors');
  assert.equal(stages.data, `${PER_CLASS * 10} images in 10 classes`);
  assert.match(stages.preprocess ?? '', /^14×14×1, standardized with the training split's mean [\d.]+ and std [\d.]+$/);
  // By message id, the dashboard shows them in the editor's language.
  assert.equal(stagesZh.data, `${PER_CLASS * 10} 张图像，10 个类别`);
  assert.match(stagesZh.preprocess ?? '', /^14×14×1，按训练集的均值 [\d.]+ 和标准差 [\d.]+ 标准化$/);
  assert.deepEqual(r.meta.dataSizes, { train: 480, validation: 30, test: 90 });

  const ev = r.evaluation as ClassificationEvaluation;
  assert.equal(ev.task, 'classification');
  assert.equal(ev.split, 'test');
  assert.equal(ev.count, 90);
  assert.deepEqual(ev.labels, ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9']);
  // Chance is 10%; 48 training images of each digit take a small CNN far past it.
  assert.ok(ev.metrics.accuracy >= 0.7, `test accuracy ${ev.metrics.accuracy}`);

  // Every evaluated image: its path relative to the config, its true label (its folder), the prediction and its probability.
  const images = ev.images!;
  assert.equal(images.length, 90);
  for (const im of images) {
    const m = /^data\/test\/(\d)\/(\d)-\d{4}\.png$/.exec(im.file);
    assert.ok(m, im.file);
    assert.ok(existsSync(join(configPath, '..', im.file)), im.file);
    assert.equal(im.label, m[1]);
    assert.ok(ev.labels.includes(im.predicted));
    assert.ok(im.confidence > 0.1 - 1e-9 && im.confidence <= 1, `confidence ${im.confidence}`);
  }
  assert.equal(new Set(images.map((i) => i.file)).size, 90);
  assert.equal(images.filter((i) => i.label === i.predicted).length / 90, ev.metrics.accuracy);
  for (let c = 0; c < 10; c++) {
    const predictedAs = (l: string) => images.filter((i) => i.label === String(c) && i.predicted === l).length;
    assert.deepEqual(ev.confusion[c], ev.labels.map(predictedAs), `confusion row ${c} is the images' own`);
  }
  assert.deepEqual(readJson(join(r.runDir, 'evaluation.json')), JSON.parse(JSON.stringify(ev)));

  // The model folder: the model and what reading an image needs; statistics of the training images only.
  const info = readJson<ImageModelInfo>(join(r.runDir, 'model', 'image.json'));
  const resolved = resolveImage(IMAGE);
  const splits = loadImageSplits({ train: 'data/train', validation: 'data/validation', test: 'data/test', image: IMAGE }, configPath, resolved, () => {});
  const trainStats = fitChannelStats(readImagePixels(splits.train, resolved, () => {}).pixels, 1);
  const testStats = fitChannelStats(readImagePixels(splits.test!, resolved, () => {}).pixels, 1);
  assert.equal(info.format, 'modellab-image');
  assert.equal(info.version, 1);
  assert.deepEqual(info.size, [14, 14]);
  assert.equal(info.channels, 1);
  assert.equal(info.scaling, 'standardize');
  assert.deepEqual(info.labels, ev.labels);
  assert.equal(info.mean!.length, 1);
  assert.ok(Math.abs(info.mean![0] - trainStats.mean[0]) < 1e-6 && Math.abs(info.std![0] - trainStats.std[0]) < 1e-6, `image.json ${info.mean}/${info.std} vs train ${trainStats.mean}/${trainStats.std}`);
  assert.notEqual(info.mean![0], testStats.mean[0]);
  assert.ok(existsSync(join(r.runDir, 'model', 'model.json')) && existsSync(join(r.runDir, 'model', 'weights.bin')));
  const summary = readJson<ModelSummary>(join(r.runDir, 'summary.json'));
  assert.deepEqual(summary.inputShape, [null, 14, 14, 1]);
  assert.deepEqual(summary.layers.map((l) => l.type), ['Conv2D', 'MaxPooling2D', 'Flatten', 'Dense']);

  // The CLI's report of the run: accuracy over images, and the mistakes by file.
  const text = formatEvaluation(ev);
  assert.match(text, /^test \(90 images\): accuracy [\d.]+/);
  const wrong = images.filter((i) => i.label !== i.predicted);
  if (wrong.length) assert.match(text, new RegExp(`${wrong.length} of 90 misclassified`));
});

test('the same seed gives the same run with augmentation; another seed another run', async () => {
  const augment = { image: { scaling: 'unit' as const, augment: { shift: 0.1, rotate: 10, brightness: 0.1 } }, training: { epochs: 3 } };
  const run = async (seed: number) => {
    const configPath = digitsWorkspace({ ...augment, training: { ...augment.training, seed } });
    const r = await runTraining({ configPath, runsDir: join(configPath, '../runs'), backend: 'wasm', onEvent: () => {} });
    assert.equal(r.meta.status, 'completed', r.meta.error);
    // system/ values (CPU, memory, speed) measure the machine, not the training.
    return { epochs: epochPoints(r.runDir).map((p) => withoutSystemKeys(p.values)), steps: metricsOf(r.runDir).filter((p) => p.kind === 'step').map((p) => p.values.loss), evaluation: r.evaluation as ClassificationEvaluation };
  };
  const a = await run(11);
  const b = await run(11);
  const c = await run(12);
  assert.deepEqual(b.steps, a.steps, 'every step\'s loss');
  assert.deepEqual(b.epochs, a.epochs);
  assert.deepEqual(b.evaluation.images, a.evaluation.images);
  assert.notDeepEqual(c.steps, a.steps);
});

test('augmentation draws anew each epoch: training on augmented images differs from training without', async () => {
  const run = async (augment?: ImageDataConfig['augment']) => {
    const configPath = digitsWorkspace({ image: { augment }, training: { epochs: 2 } });
    const r = await runTraining({ configPath, runsDir: join(configPath, '../runs'), backend: 'wasm', onEvent: () => {} });
    assert.equal(r.meta.status, 'completed', r.meta.error);
    return metricsOf(r.runDir).filter((p) => p.kind === 'step').map((p) => p.values.loss);
  };
  const plain = await run(undefined);
  const augmented = await run({ shift: 0.1, rotate: 10 });
  // Same seed, same batch order, same initial weights: the first batch differs only by its augmentation.
  assert.notEqual(augmented[0], plain[0]);
  assert.equal(augmented.length, plain.length);
});

/** Aborts as VS Code going away does once the first step of epoch `cutInEpoch` has been reported. */
async function interruptedRun(configPath: string, cutInEpoch: number) {
  const abort = new AbortController();
  return runTraining({
    configPath,
    runsDir: join(configPath, '../runs'),
    backend: 'wasm',
    signal: abort.signal,
    metricsIntervalMs: 0,
    onEvent: (e: TrainerEvent) => {
      if (e.type === 'metrics' && e.points.some((p) => p.kind === 'step' && p.epoch === cutInEpoch)) abort.abort('disconnect');
    },
  });
}

test('a CNN run with augmentation and dropout, interrupted in epoch 2 and resumed, ends exactly as the uninterrupted run', async () => {
  const overrides = {
    image: { augment: { flip: true, shift: 0.1, rotate: 10, brightness: 0.1 } },
    layers: [
      { type: 'conv2d', filters: 8, kernelSize: 3, activation: 'relu' },
      { type: 'maxPooling2d', poolSize: 2 },
      { type: 'flatten' },
      { type: 'dropout', rate: 0.2 },
      { type: 'dense', units: 10, activation: 'softmax' },
    ],
    training: { epochs: 3, earlyStopping: { patience: 5 }, reduceLrOnPlateau: { patience: 1, factor: 0.5 } },
  };
  const full = await runTraining({ configPath: digitsWorkspace(overrides), runsDir: join(tempDir('modellab-image-runs-'), 'runs'), backend: 'wasm', onEvent: () => {} });
  assert.equal(full.meta.status, 'completed', full.meta.error);

  const cut = await interruptedRun(digitsWorkspace(overrides), 2);
  assert.equal(cut.meta.status, 'interrupted', cut.meta.error);
  assert.ok(existsSync(checkpointPath(cut.runDir)), 'an interrupted run keeps its checkpoint');
  const tensorsBefore = tf.memory().numTensors;
  const resumed = await resumeTraining({ runDir: cut.runDir, backend: 'wasm', onEvent: () => {} });
  assert.equal(resumed.meta.status, 'completed', resumed.meta.error);
  assert.equal(tf.memory().numTensors, tensorsBefore, 'resuming leaks no tensors');
  assert.equal(readRunMeta(resumed.runDir)?.resumes?.[0]?.fromEpoch, 1);

  const a = epochPoints(full.runDir);
  const b = epochPoints(resumed.runDir);
  assert.deepEqual(b.map((p) => [p.epoch, p.step]), a.map((p) => [p.epoch, p.step]));
  for (let i = 0; i < a.length; i++) {
    for (const [k, v] of Object.entries(withoutSystemKeys(a[i].values))) {
      assert.ok(Math.abs(b[i].values[k] - v) <= 1e-6 * Math.max(1, Math.abs(v)), `epoch ${a[i].epoch} ${k}: resumed ${b[i].values[k]} vs uninterrupted ${v}`);
    }
  }
  const steps = metricsOf(resumed.runDir).filter((p) => p.kind === 'step');
  assert.deepEqual(steps.map((p) => p.step), Array.from({ length: steps.length }, (_, i) => i + 1), 'every step once');
  const fullSteps = metricsOf(full.runDir).filter((p) => p.kind === 'step');
  assert.deepEqual(steps.map((p) => p.values.loss), fullSteps.map((p) => p.values.loss), 'the resumed epochs saw the same augmented batches');
  const evA = full.evaluation as ClassificationEvaluation;
  const evB = resumed.evaluation as ClassificationEvaluation;
  assert.deepEqual(evB.metrics, evA.metrics);
  assert.deepEqual(evB.images, evA.images);
});
