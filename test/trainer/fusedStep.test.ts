// trainModel's one-call step (src/trainer/fusedStep.ts) trains a Dense stack
// exactly as the general path does: the same seeded MLP trained both ways
// gives the same per-step losses and metrics, epoch logs, validation values,
// final weights, optimizer state and tapped gradients. The fast step calls the
// general path's own wasm kernels in the same order, so "the same" is bit for
// bit here (tolerance 0), not merely close. Anything reading the model between
// steps sees the weights of that step (predict goes through XNNPACK, which
// caches packed weights by tensor id); configs the step does not cover take
// the general path and say why.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { seededRng } from '../../src/core/random';
import type { LayerConfig, LossName } from '../../src/core/types';
import { selectBackend } from '../../src/trainer/backend';
import { buildLoss, buildOptimizer, buildSequential } from '../../src/trainer/model';
import { runTraining } from '../../src/trainer/engine';
import { trainModel } from '../../src/trainer/trainLoop';
import { linearCsv, regressionConfig, tempDir, writeFiles } from '../helpers/fixtures';
import { join } from 'node:path';
import type { NumericLogs, StepPath, TrainLoopArgs } from '../../src/trainer/trainLoop';

const FEATURES = 10;

interface Run {
  path?: StepPath;
  steps: NumericLogs[];
  epochs: NumericLogs[];
  weights: Float32Array[];
  optimizerState: Float32Array[];
  /** Gradients handed to the tap at the second epoch's end, keyed by position and kind ("0 kernel"): tfjs's variable names count per process. */
  gradients: Record<string, Float32Array>;
  /** model.predict on probe rows after every 5th step: what a reader between steps sees. */
  probes: Float32Array[];
  /** Weights cloned at each epoch's end (tf.clone shares memory) and read after training: must still be that epoch's. */
  clonedAtEpochEnd: { cloned: Float32Array[]; copied: Float32Array[] }[];
  leaked: number;
}

interface Setup {
  layers?: LayerConfig[];
  /** The config's optimizers, or tfjs's Adadelta (which no config names). */
  optimizer?: 'adam' | 'sgd' | 'momentum' | 'rmsprop' | 'adagrad' | 'adadelta';
  loss?: LossName;
  metrics?: string[];
  rows?: number;
  epochs?: number;
  batchSize?: number;
  outputs?: number;
  /** Targets: numbers (default), class indices [rows] (sparse), one-hot rows [rows, outputs], or 0/1 [rows, 1]. */
  targets?: 'numbers' | 'classes' | 'oneHot' | 'binary';
}

const MLP: LayerConfig[] = [
  { type: 'dense', units: 64, activation: 'relu' },
  { type: 'dense', units: 16, activation: 'relu', useBias: false },
  { type: 'dense', units: 1 },
];

function table(rows: number, cols: number, seed: number): Float32Array {
  const r = seededRng(seed);
  return Float32Array.from({ length: rows * cols }, () => r() * 2 - 1);
}

/** Builds the seeded model and data, trains `epochs` epochs with trainModel and records what a user would see. */
async function train(fastStep: boolean, s: Setup = {}): Promise<Run> {
  const rows = s.rows ?? 300;
  const outputs = s.outputs ?? 1;
  const original = Math.random;
  Math.random = seededRng(5); // initializers and the shuffle
  const before = tf.memory().numTensors;
  const x = tf.tensor2d(table(rows, FEATURES, 9), [rows, FEATURES]);
  const xVal = tf.tensor2d(table(50, FEATURES, 11), [50, FEATURES]);
  const targets = (n: number, seed: number, xs: Float32Array): tf.Tensor => {
    if (s.targets === 'numbers' || s.targets === undefined) return tf.tensor2d(table(n, outputs, seed), [n, outputs]);
    // The class: which third of the range the sum of the first three features falls in (learnable), 0 … outputs − 1.
    const k = s.targets === 'binary' ? 2 : outputs;
    const classes = Float32Array.from({ length: n }, (_, r) => Math.min(k - 1, Math.max(0, Math.floor(((xs[r * FEATURES] + xs[r * FEATURES + 1] + xs[r * FEATURES + 2] + 3) / 6) * k))));
    if (s.targets === 'classes') return tf.tensor1d(classes);
    if (s.targets === 'binary') return tf.tensor2d(classes, [n, 1]);
    return tf.tensor2d(Float32Array.from({ length: n * outputs }, (_, i) => (classes[Math.floor(i / outputs)] === i % outputs ? 1 : 0)), [n, outputs]);
  };
  const y = targets(rows, 10, x.dataSync() as Float32Array);
  const yVal = targets(50, 12, xVal.dataSync() as Float32Array);
  const probe = tf.tensor2d(table(4, FEATURES, 13), [4, FEATURES]);
  const model = buildSequential(s.layers ?? MLP, [FEATURES]);
  const optimizer = s.optimizer === 'adadelta' ? tf.train.adadelta(0.01) : buildOptimizer({ type: s.optimizer ?? 'adam', learningRate: 0.01 });
  model.compile({ optimizer, loss: buildLoss(s.loss ?? 'mse') as string, metrics: s.metrics ?? ['mae', 'mse'] });
  const run: Run = { steps: [], epochs: [], weights: [], optimizerState: [], gradients: {}, probes: [], clonedAtEpochEnd: [], leaked: 0 };
  const kept: tf.Tensor[][] = [];
  const args: TrainLoopArgs = {
    epochs: s.epochs ?? 3,
    batchSize: s.batchSize ?? 32,
    shuffle: true,
    validationData: [xVal, yVal],
    fastStep,
    onStepPath: (p) => (run.path = p),
    gradients: { wants: (epoch) => epoch === 1, take: (grads) => Object.entries(grads).forEach(([name, g], i) => (run.gradients[`${i} ${name.slice(name.lastIndexOf('/') + 1)}`] = g.dataSync() as Float32Array)) },
    callbacks: {
      onBatchEnd: (_batch, logs) => {
        run.steps.push({ ...logs });
        if (run.steps.length % 5 === 0) {
          const p = model.predict(probe) as tf.Tensor;
          run.probes.push(p.dataSync() as Float32Array);
          p.dispose();
        }
      },
      onEpochEnd: (_epoch, logs) => {
        run.epochs.push({ ...logs });
        kept.push(model.getWeights().map((w) => tf.clone(w)));
        run.clonedAtEpochEnd.push({ cloned: [], copied: model.getWeights().map((w) => w.dataSync() as Float32Array) });
      },
    },
  };
  try {
    await trainModel(model, x, y, args);
  } finally {
    Math.random = original;
  }
  kept.forEach((ts, i) => (run.clonedAtEpochEnd[i].cloned = ts.map((t) => t.dataSync() as Float32Array)));
  run.weights = model.getWeights().map((w) => w.dataSync() as Float32Array);
  const state = await optimizer.getWeights();
  run.optimizerState = state.map((w) => w.tensor.dataSync() as Float32Array);
  tf.dispose([x, y, xVal, yVal, probe, ...kept.flat(), ...state.map((w) => w.tensor)]);
  model.dispose();
  optimizer.dispose();
  run.leaked = tf.memory().numTensors - before;
  return run;
}

/** Everything a user would notice, in one comparable value. */
function observed(r: Run): unknown {
  return { steps: r.steps, epochs: r.epochs, weights: r.weights, optimizerState: r.optimizerState, gradients: r.gradients, probes: r.probes };
}

for (const optimizer of ['adam', 'sgd', 'momentum', 'rmsprop', 'adagrad'] as const) {
  test(`wasm, ${optimizer}: the one-call step trains an MLP exactly as the general path (losses, metrics, validation, weights, optimizer state, gradients)`, async () => {
    await selectBackend('wasm');
    // 300 rows at batch 32: nine whole batches and a last one of 12.
    const general = await train(false, { optimizer });
    const fast = await train(true, { optimizer });
    assert.deepEqual(general.path, { fast: false, reason: 'the general path was asked for' });
    assert.deepEqual(fast.path, { fast: true });
    assert.equal(fast.steps.length, 30);
    assert.deepEqual(fast.steps.slice(9, 11).map((l) => l.size), [12, 32], 'the short last batch');
    assert.ok(fast.epochs.every((l) => Number.isFinite(l.val_loss) && Number.isFinite(l.mae)), 'epoch logs carry validation and metrics');
    assert.ok(fast.epochs[2].loss < fast.epochs[0].loss, `the loss falls: ${fast.epochs.map((l) => l.loss).join(', ')}`);
    assert.equal(Object.keys(fast.gradients).length, 5, 'the tap sees every variable (three kernels, two biases)');
    assert.deepEqual(observed(fast), observed(general));
    // No tensors left behind but tfjs's own: Momentum's dispose forgets the learning-rate scalar it inherits from SGD.
    assert.equal(general.leaked, optimizer === 'momentum' ? 1 : 0);
    assert.equal(fast.leaked, general.leaked, 'no tensors left behind');
  });
}

const CLASSIFIER: LayerConfig[] = [
  { type: 'dense', units: 32, activation: 'relu' },
  { type: 'dense', units: 3, activation: 'softmax' },
];

for (const [loss, targets] of [['sparseCategoricalCrossentropy', 'classes'], ['categoricalCrossentropy', 'oneHot']] as const) {
  for (const layers of [CLASSIFIER, CLASSIFIER.slice(1)]) {
    test(`wasm, ${loss}, ${layers.length === 1 ? 'softmax alone' : 'relu → softmax'}: the one-call step trains a classifier exactly as the general path (losses, accuracy, validation, weights, optimizer state, gradients)`, async () => {
      await selectBackend('wasm');
      const setup: Setup = { layers, loss, targets, outputs: 3, metrics: ['accuracy'] };
      const general = await train(false, setup);
      const fast = await train(true, setup);
      assert.deepEqual(fast.path, { fast: true });
      assert.ok(fast.epochs[2].acc > fast.epochs[0].acc || fast.epochs[2].loss < fast.epochs[0].loss, `it learns: ${JSON.stringify(fast.epochs)}`);
      assert.ok(fast.epochs.every((l) => l.val_acc >= 0 && l.val_acc <= 1));
      assert.deepEqual(observed(fast), observed(general));
      assert.equal(fast.leaked, 0);
    });
  }
}

test('wasm, mae loss: the one-call step trains exactly as the general path', async () => {
  await selectBackend('wasm');
  const setup: Setup = { loss: 'mae', outputs: 2, layers: [{ type: 'dense', units: 32, activation: 'relu' }, { type: 'dense', units: 2 }] };
  const general = await train(false, setup);
  const fast = await train(true, setup);
  assert.deepEqual(fast.path, { fast: true });
  assert.ok(fast.epochs[2].loss < fast.epochs[0].loss);
  assert.deepEqual(observed(fast), observed(general));
  assert.equal(fast.leaked, 0);
});

test('wasm, binaryCrossentropy: a sigmoid output trains exactly as the general path (loss, binary accuracy, weights), with and without hidden layers and dropout', async () => {
  await selectBackend('wasm');
  const setups: Setup[] = [
    { layers: [{ type: 'dense', units: 16, activation: 'relu' }, { type: 'dropout', rate: 0.2 }, { type: 'dense', units: 1, activation: 'sigmoid' }], loss: 'binaryCrossentropy', targets: 'binary', metrics: ['accuracy'] },
    { layers: [{ type: 'dense', units: 1, activation: 'sigmoid' }], loss: 'binaryCrossentropy', targets: 'binary', metrics: ['accuracy'], optimizer: 'sgd' },
  ];
  for (const setup of setups) {
    const general = await train(false, setup);
    const fast = await train(true, setup);
    assert.deepEqual(fast.path, { fast: true });
    assert.ok(fast.epochs[2].acc > fast.epochs[0].acc || fast.epochs[2].loss < fast.epochs[0].loss, `it learns: ${JSON.stringify(fast.epochs)}`);
    assert.deepEqual(observed(fast), observed(general), JSON.stringify(setup.layers));
    assert.equal(fast.leaked, 0);
  }
});

test('wasm: sigmoid and tanh layers (hidden, and a sigmoid output under MSE) train exactly as the general path', async () => {
  await selectBackend('wasm');
  const setups: Setup[] = [
    { layers: [{ type: 'dense', units: 24, activation: 'tanh' }, { type: 'dense', units: 12, activation: 'sigmoid' }, { type: 'dense', units: 1 }] },
    { layers: [{ type: 'dense', units: 16, activation: 'sigmoid', useBias: false }, { type: 'dropout', rate: 0.25 }, { type: 'dense', units: 2, activation: 'sigmoid' }], outputs: 2 },
    { layers: [{ type: 'dense', units: 1, activation: 'tanh' }], optimizer: 'sgd' },
    { layers: [{ type: 'dense', units: 16, activation: 'tanh' }, { type: 'dense', units: 3, activation: 'softmax' }], loss: 'sparseCategoricalCrossentropy', targets: 'classes', outputs: 3, metrics: ['accuracy'] },
  ];
  for (const setup of setups) {
    const general = await train(false, setup);
    const fast = await train(true, setup);
    assert.deepEqual(fast.path, { fast: true }, JSON.stringify(setup.layers));
    assert.deepEqual(observed(fast), observed(general), JSON.stringify(setup.layers));
    assert.equal(fast.leaked, 0);
  }
});

test('wasm: with dropout (a fresh mask each step from the seeded Math.random), the one-call step trains exactly as the general path, regression and classifier', async () => {
  await selectBackend('wasm');
  const setups: Setup[] = [
    { layers: [{ type: 'dense', units: 64, activation: 'relu' }, { type: 'dropout', rate: 0.3 }, { type: 'dense', units: 16, activation: 'relu' }, { type: 'dropout', rate: 0 }, { type: 'dense', units: 1 }] },
    { layers: [{ type: 'dense', units: 32, activation: 'relu' }, { type: 'dropout', rate: 0.5 }, { type: 'dense', units: 3, activation: 'softmax' }], loss: 'sparseCategoricalCrossentropy', targets: 'classes', outputs: 3, metrics: ['accuracy'] },
  ];
  for (const setup of setups) {
    const general = await train(false, setup);
    const fast = await train(true, setup);
    assert.deepEqual(fast.path, { fast: true });
    assert.deepEqual(observed(fast), observed(general));
    assert.equal(fast.leaked, 0);
    // The masks matter: without dropout the same seed trains to other weights.
    const plain = await train(true, { ...setup, layers: setup.layers!.filter((l) => l.type !== 'dropout') });
    assert.notDeepEqual(plain.weights[0], fast.weights[0]);
  }
});

test('wasm: weights read between steps are current, and clones taken at an epoch end keep that epoch', async () => {
  await selectBackend('wasm');
  const fast = await train(true, { epochs: 2 });
  assert.equal(fast.path?.fast, true);
  // Predictions after steps 5 and 10 differ: predict did not reuse weights packed at an earlier step.
  assert.notDeepEqual(fast.probes[0], fast.probes[1]);
  for (const [e, { cloned, copied }] of fast.clonedAtEpochEnd.entries()) assert.deepEqual(cloned, copied, `epoch ${e + 1}'s cloned weights unchanged by later steps`);
  assert.notDeepEqual(fast.clonedAtEpochEnd[0].copied, fast.clonedAtEpochEnd[1].copied);
});

test('wasm: an interrupted run resumed from its weights, optimizer state and shuffle order ends as the uninterrupted one', async () => {
  await selectBackend('wasm');
  const original = Math.random;
  const rows = 200;
  const x = tf.tensor2d(table(rows, FEATURES, 1), [rows, FEATURES]);
  const y = tf.tensor2d(table(rows, 1, 2), [rows, 1]);
  const build = () => {
    Math.random = seededRng(3);
    const model = buildSequential(MLP, [FEATURES]);
    const optimizer = buildOptimizer({ type: 'adam', learningRate: 0.01 });
    model.compile({ optimizer, loss: 'meanSquaredError' });
    return { model, optimizer };
  };
  const losses = (into: number[]) => ({ onBatchEnd: (_b: number, logs: NumericLogs) => void into.push(logs.loss) });
  try {
    const whole = build();
    const wholeLosses: number[] = [];
    const order = Int32Array.from({ length: rows }, (_, i) => i);
    await trainModel(whole.model, x, y, { epochs: 4, batchSize: 16, shuffle: true, order, callbacks: losses(wholeLosses) });

    const first = build();
    const firstLosses: number[] = [];
    const order2 = Int32Array.from({ length: rows }, (_, i) => i);
    await trainModel(first.model, x, y, { epochs: 2, batchSize: 16, shuffle: true, order: order2, callbacks: losses(firstLosses) });
    const saved = { weights: first.model.getWeights().map((w) => tf.clone(w)), optimizer: await first.optimizer.getWeights(), order: order2.slice(), random: Math.random };
    const second = build();
    second.model.setWeights(saved.weights);
    await second.optimizer.setWeights(saved.optimizer);
    Math.random = saved.random;
    const secondLosses: number[] = [];
    let path: StepPath | undefined;
    await trainModel(second.model, x, y, { epochs: 4, initialEpoch: 2, batchSize: 16, shuffle: true, order: saved.order, callbacks: losses(secondLosses), onStepPath: (p) => (path = p) });
    assert.deepEqual(path, { fast: true });
    assert.deepEqual([...firstLosses, ...secondLosses], wholeLosses);
    assert.deepEqual(
      second.model.getWeights().map((w) => w.dataSync()),
      whole.model.getWeights().map((w) => w.dataSync()),
    );
    tf.dispose([...saved.weights, ...saved.optimizer.map((w) => w.tensor)]);
    for (const r of [whole, first, second]) {
      r.model.dispose();
      r.optimizer.dispose();
    }
  } finally {
    Math.random = original;
    tf.dispose([x, y]);
  }
});

test('configs the one-call step does not cover take the general path, and say why', async () => {
  await selectBackend('wasm');
  const cases: [Setup, string][] = [
    [{ layers: [{ type: 'dense', units: 8, activation: 'elu' }, { type: 'dense', units: 1 }] }, 'a Dense layer with elu activation'],
    [{ layers: [{ type: 'dropout', rate: 0.2 }, { type: 'dense', units: 8, activation: 'relu' }, { type: 'dense', units: 1 }] }, 'a Dropout layer that does not follow a Dense layer'],
    [{ layers: [{ type: 'dense', units: 8, activation: 'relu' }, { type: 'dense', units: 1 }, { type: 'dropout', rate: 0.2 }] }, 'a Dropout layer after the output layer'],
    [{ layers: [{ type: 'dense', units: 8, activation: 'relu' }, { type: 'batchNormalization' }, { type: 'dense', units: 1 }] }, 'a BatchNormalization layer'],
    [{ optimizer: 'adadelta' }, 'optimizer Adadelta'],
    [{ layers: [{ type: 'dense', units: 1 }], loss: 'binaryCrossentropy', targets: 'binary', metrics: ['accuracy'] }, 'a cross-entropy after a linear output'],
    [{ layers: [{ type: 'dense', units: 1, activation: 'sigmoid' }], loss: 'huber', targets: 'binary' }, 'loss of its own'],
    [{ metrics: ['accuracy'] }, 'metric acc'],
    [{ layers: CLASSIFIER, loss: 'categoricalCrossentropy', targets: 'oneHot', outputs: 3, metrics: ['mae'] }, 'metric mae'],
    [{ layers: [{ type: 'dense', units: 3, activation: 'relu' }], loss: 'sparseCategoricalCrossentropy', targets: 'classes', outputs: 3, metrics: [] }, 'a cross-entropy after a relu output'],
    [{ layers: [{ type: 'dense', units: 3, activation: 'softmax' }, { type: 'dense', units: 1 }] }, 'a Dense layer with softmax activation'],
  ];
  for (const [setup, reason] of cases) {
    const run = await train(true, { ...setup, epochs: 1, rows: 64 });
    assert.deepEqual(run.path, { fast: false, reason }, JSON.stringify(setup));
    assert.equal(run.steps.length, 2, 'and trains');
  }
  // A softmax of 1,024 rows of 256 (262,144 floats) is the general path's own kernel's (kernels/softmax.ts), not the backend's this step calls.
  const wide: LayerConfig[] = [{ type: 'dense', units: 8, activation: 'relu' }, { type: 'dense', units: 256, activation: 'softmax' }];
  const large = await train(true, { layers: wide, loss: 'sparseCategoricalCrossentropy', targets: 'classes', outputs: 256, metrics: [], epochs: 1, rows: 2048, batchSize: 1024 });
  assert.deepEqual(large.path, { fast: false, reason: "a softmax as large as Model Lab's own kernel takes" });
  assert.equal(large.steps.length, 2, 'and trains');
  const smaller = await train(true, { layers: wide, loss: 'sparseCategoricalCrossentropy', targets: 'classes', outputs: 256, metrics: [], epochs: 1, rows: 2046, batchSize: 1023 });
  assert.deepEqual(smaller.path, { fast: true }, 'one row fewer: the one-call step');
  await selectBackend('cpu');
  const cpu = await train(true, { epochs: 1, rows: 64 });
  assert.deepEqual(cpu.path, { fast: false, reason: 'the cpu backend' });
});

test('a loss that becomes NaN is reported at its step by the one-call step too', async () => {
  await selectBackend('wasm');
  const rows = 64;
  const x = tf.tensor2d(table(rows, FEATURES, 4), [rows, FEATURES]);
  const values = table(rows, 1, 5);
  values[40] = NaN; // in the second batch
  const y = tf.tensor2d(values, [rows, 1]);
  const model: tfl.LayersModel = buildSequential(MLP, [FEATURES]);
  const optimizer = buildOptimizer({ type: 'adam', learningRate: 0.01 });
  model.compile({ optimizer, loss: 'meanSquaredError' });
  const losses: number[] = [];
  let path: StepPath | undefined;
  await trainModel(model, x, y, { epochs: 1, batchSize: 32, onStepPath: (p) => (path = p), callbacks: { onBatchEnd: (_b, logs) => void losses.push(logs.loss) } });
  assert.deepEqual(path, { fast: true });
  assert.ok(Number.isFinite(losses[0]));
  assert.ok(Number.isNaN(losses[1]), `second batch: ${losses[1]}`);
  tf.dispose([x, y]);
  model.dispose();
  optimizer.dispose();
});

test('a run says in its log when the one-call step trains it, and a config it does not cover says nothing of it', async () => {
  const ws = tempDir('modellab-fused-step-');
  writeFiles(ws, {
    'data.csv': linearCsv(120),
    'fast.experiment.json': regressionConfig({ training: { optimizer: { type: 'adam', learningRate: 0.01 }, loss: 'mse', metrics: ['mae'], epochs: 2, batchSize: 16, seed: 5 } }),
    'general.experiment.json': regressionConfig({ model: { layers: [{ type: 'dense', units: 16, activation: 'elu' }, { type: 'dense', units: 1 }] }, training: { optimizer: { type: 'adam', learningRate: 0.01 }, loss: 'mse', metrics: ['mae'], epochs: 2, batchSize: 16, seed: 5 } }),
  });
  for (const name of ['fast', 'general']) {
    const logs: string[] = [];
    const run = await runTraining({ configPath: join(ws, `${name}.experiment.json`), runsDir: join(ws, 'runs'), backend: 'wasm', onEvent: (e) => void (e.type === 'log' && logs.push(e.message)) });
    assert.equal(run.meta.status, 'completed', run.meta.error);
    const said = logs.some((m) => m.startsWith('training step: one call per batch'));
    assert.equal(said, name === 'fast', logs.join('\n'));
  }
});
