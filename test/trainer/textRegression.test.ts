// Text regression (#17): task "regression" with a text column, a numeric
// target and a Transformer encoder — from scratch and fine-tuned from an
// encoder base. A tiny synthetic task: six-word texts whose score is
// 50 + 10 × (the number of "good" − the number of "bad"), so the target's
// units are far from the standardized ones the model is trained on.

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { before, test } from 'node:test';
import { exportRun } from '../../src/node/modelExport';
import { selectBackend } from '../../src/trainer/backend';
import { attentionFor } from '../../src/trainer/inference';
import * as tf from '@tensorflow/tfjs-core';
import { Predictor } from '../../src/trainer/predictor';
import { regressionLoss } from '../../src/trainer/textTraining';
import { signatureMetadata, startServing } from '../../src/trainer/servingServer';
import { epochPoints, lcg, tempDir, writeFiles } from '../helpers/fixtures';
import { savedWeights, train } from './fineTuneHelpers';

const dir = tempDir('modellab-textreg-');
const runsDir = join(dir, '.modellab', 'runs');
const read = (file: string) => JSON.parse(readFileSync(file, 'utf8'));

const FILLER = ['the', 'film', 'was', 'a', 'plot', 'and', 'actors', 'story'];
const score = (goods: number, bads: number) => 50 + 10 * (goods - bads);

/** JSON lines of `rows` six-word texts with 0–3 "good" and 0–3 "bad" among filler, and their score; `broken` rows' score is not a number. */
function scoredRows(rows: number, seed: number, broken = 0): string {
  const rnd = lcg(seed);
  const lines: string[] = [];
  for (let i = 0; i < rows; i++) {
    const goods = Math.floor(rnd() * 4);
    const bads = Math.floor(rnd() * Math.min(4, 7 - goods));
    const words = [...Array(goods).fill('good'), ...Array(bads).fill('bad')];
    while (words.length < 6) words.push(FILLER[Math.floor(rnd() * FILLER.length)]);
    for (let j = words.length - 1; j > 0; j--) {
      const k = Math.floor(rnd() * (j + 1));
      [words[j], words[k]] = [words[k], words[j]];
    }
    lines.push(JSON.stringify({ text: words.join(' '), score: i < broken ? 'n/a' : score(goods, bads), positive: goods > bads ? 'yes' : 'no' }));
  }
  return lines.join('\n') + '\n';
}

const MODEL = { type: 'transformerEncoder', layers: 1, heads: 2, dModel: 16, ffDim: 32, dropout: 0, maxLength: 16, positional: 'learned' };
const SPLIT = { validation: 0.15, test: 0.2, seed: 1 };

function writeConfig(name: string, body: Record<string, unknown>): string {
  writeFiles(dir, { [`${name}.experiment.json`]: JSON.stringify({ name, ...body }) });
  return join(dir, `${name}.experiment.json`);
}

let scratchRun = '';

before(async () => {
  await selectBackend('wasm');
  writeFiles(dir, { 'data/scores.jsonl': scoredRows(400, 7, 5), 'data/positive.jsonl': scoredRows(150, 11) });
});

test('from scratch: learns the score (test r2 well above 0), tabular regression\'s evaluation.json, non-numbers skipped with a count, task.json says regression', async (t) => {
  const r = await train(
    writeConfig('scratch', {
      task: 'regression',
      data: { source: 'data/scores.jsonl', text: 'text', target: 'score', tokenizer: { type: 'word', vocabSize: 50 }, split: SPLIT },
      model: MODEL,
      training: { optimizer: { type: 'adam', learningRate: 0.01 }, epochs: 12, batchSize: 16, seed: 3, metrics: ['mae', 'mse'] },
    }),
    runsDir,
  );
  assert.equal(r.meta.status, 'completed', r.meta.error);
  scratchRun = r.runDir;
  assert.ok(r.logs.includes('5 row(s) skipped: their target "score" is not a number'), r.logs.join('\n'));
  assert.ok(
    r.logs.some((l) => /^the loss and metrics during training are on "score" standardized, \(score − [\d.]+\) \/ [\d.]+ \(in score's units: mse × [\d.]+, mae × [\d.]+\); the test evaluation is in score's own units$/.test(l)),
    r.logs.join('\n'),
  );
  // Per-epoch metrics as tabular regression logs them.
  const epochs = epochPoints(r.runDir);
  assert.equal(epochs.length, 12);
  for (const key of ['loss', 'mae', 'mse', 'val_loss', 'val_mae', 'val_mse']) assert.equal(typeof epochs[0].values[key], 'number', key);
  assert.ok(epochs[11].values.loss < epochs[0].values.loss / 2, `loss ${epochs[0].values.loss} → ${epochs[11].values.loss}`);
  // evaluation.json: tabular regression's shape, in the target's units.
  const ev = read(join(r.runDir, 'evaluation.json'));
  assert.deepEqual(Object.keys(ev).sort(), ['count', 'metrics', 'samples', 'split', 'task']);
  assert.equal(ev.task, 'regression');
  assert.equal(ev.split, 'test');
  assert.ok(ev.count >= 75 && ev.count <= 80, `the test split's 80 rows, less any whose score is not a number: ${ev.count}`);
  assert.deepEqual(Object.keys(ev.metrics).sort(), ['mae', 'mse', 'r2', 'rmse']);
  t.diagnostic(`test ${JSON.stringify(ev.metrics)} over ${ev.count} rows; loss ${epochs[0].values.loss} → ${epochs[11].values.loss}`);
  assert.ok(ev.metrics.r2 > 0.9, `test r2 ${ev.metrics.r2}`);
  assert.ok(Math.abs(ev.metrics.rmse - Math.sqrt(ev.metrics.mse)) < 1e-9);
  assert.equal(ev.samples.length, ev.count);
  // (The targets went through float32 standardized and back: equal to the file's within 1e-4.)
  for (const [actual] of ev.samples) assert.ok(actual > 19.99 && actual < 80.01 && Math.abs(actual - Math.round(actual / 10) * 10) < 1e-4, `actual ${actual} in score's units`);
  // The model folder: task.json says regression, with the training split's mean and std.
  const task = read(join(r.runDir, 'model', 'task.json'));
  assert.equal(task.task, 'regression');
  assert.equal(task.target.column, 'score');
  assert.equal(task.target.kind, 'standardize');
  assert.ok(task.target.shift > 40 && task.target.shift < 60 && task.target.scale > 5 && task.target.scale < 30, JSON.stringify(task.target));
  assert.equal(task.labels, undefined);
});

test('the predictor (and so serving) answers numbers in the target\'s units for texts; attention works on the encoder (with the predicted value)', async () => {
  assert.ok(scratchRun, 'the scratch run trained first');
  const predictor = await Predictor.load(scratchRun);
  let high = { value: NaN };
  let low = { value: NaN };
  try {
    assert.equal(predictor.signature.kind, 'text');
    assert.equal(predictor.signature.task, 'regression');
    assert.equal(predictor.signature.target, 'score');
    let mid: { value: number };
    [high, low, mid] = (await predictor.predict(['good good good film plot story', 'bad bad bad film plot story', { text: 'the film was a plot story' }])) as { value: number }[];
    for (const p of [high, low, mid]) assert.equal(typeof p.value, 'number');
    assert.ok(high.value > 65, `three goods: ${high.value} (truth 80)`);
    assert.ok(low.value < 35, `three bads: ${low.value} (truth 20)`);
    assert.ok(mid.value > 35 && mid.value < 65, `neither: ${mid.value} (truth 50)`);
    // Served as TF Serving's REST: the signature's output is a value, the answers numbers in score's units.
    const meta = signatureMetadata(predictor, 'scores') as { metadata: { signature_def: { signature_def: { serving_default: { outputs: Record<string, unknown> } } } } };
    assert.deepEqual(Object.keys(meta.metadata.signature_def.signature_def.serving_default.outputs), ['value']);
    const server = await startServing({ predictor, name: 'scores', port: 0 });
    try {
      const res = await fetch(`${server.url}:predict`, { method: 'POST', body: JSON.stringify({ instances: ['good good good film plot story', 'bad bad bad film plot story'] }), headers: { 'content-type': 'application/json' } });
      assert.equal(res.status, 200);
      // As for a tabular regressor: one number per instance.
      const body = (await res.json()) as { predictions: number[] };
      assert.deepEqual(body.predictions.map((v) => Math.round(v * 1e4)), [Math.round(high.value * 1e4), Math.round(low.value * 1e4)]);
    } finally {
      await server.close();
    }
  } finally {
    predictor.dispose();
  }
  const a = await attentionFor(scratchRun, 'good film bad plot');
  assert.equal(a.task, 'regression');
  assert.deepEqual(a.tokens, ['good', 'film', 'bad', 'plot']);
  assert.equal(a.attention.length, 1);
  assert.equal(a.attention[0].length, 2);
  assert.equal(a.attention[0][0].length, 4);
  assert.equal(a.prediction, undefined, 'no classes');
  assert.equal(a.predictedValue?.target, 'score');
  assert.ok(a.predictedValue.value > 35 && a.predictedValue.value < 65, `one good, one bad: ${a.predictedValue.value} (truth 50)`);
});

test('fine-tuned from an encoder base (a classifier run, and its export): base weights bit for bit, a new Dense(1) head, meta.base', async () => {
  const base = await train(
    writeConfig('base', {
      task: 'classification',
      data: { source: 'data/positive.jsonl', text: 'text', target: 'positive', tokenizer: { type: 'word', vocabSize: 50 }, split: SPLIT },
      model: MODEL,
      training: { optimizer: { type: 'adam', learningRate: 0.01 }, epochs: 2, batchSize: 16, seed: 5 },
    }),
    runsDir,
  );
  assert.equal(base.meta.status, 'completed', base.meta.error);
  const baseId = basename(base.runDir);
  const fineTune = (name: string, from: string) =>
    writeConfig(name, {
      task: 'regression',
      data: { source: 'data/scores.jsonl', text: 'text', target: 'score', split: SPLIT },
      model: { type: 'transformerEncoder', dropout: 0, base: { from, freezeEpochs: 2 } },
      training: { optimizer: { type: 'adam', learningRate: 0.01 }, epochs: 2, batchSize: 16, seed: 9 },
    });
  const r = await train(fineTune('tuned', baseId), runsDir);
  assert.equal(r.meta.status, 'completed', r.meta.error);
  assert.equal(r.meta.base?.kind, 'run');
  assert.equal(r.meta.base?.id, baseId);
  assert.equal(r.meta.base?.task, 'classification');
  assert.equal(read(join(r.runDir, 'meta.json')).base.id, baseId);
  assert.deepEqual(read(join(r.runDir, 'model', 'tokenizer.json')), read(join(base.runDir, 'model', 'tokenizer.json')), "the base's tokenizer");
  // Frozen for both epochs: every weight but the head's is the base's, bit for bit.
  const baseWeights = savedWeights(base.runDir);
  const tuned = savedWeights(r.runDir);
  const copied = [...tuned.keys()].filter((n) => !n.startsWith('regressor/'));
  assert.equal(copied.length, 20);
  for (const name of copied) assert.ok(tuned.get(name)!.equals(baseWeights.get(name)!), `${name} is the base's`);
  assert.equal(tuned.get('regressor/kernel')!.length, 16 * 1 * 4, 'Dense(1) over the pooled 16 dimensions');
  assert.equal(tuned.get('regressor/bias')!.length, 4);
  assert.ok(!tuned.has('classifier/kernel'), "the base's classifier head is not taken");
  assert.ok(r.logs.includes("20 weight arrays of the base's embedding and 1 block(s) copied and checked equal; new head: mean pooling and one linear output (the standardized target), initialised from the run's seed"), r.logs.join('\n'));
  const [e1, e2] = epochPoints(r.runDir);
  assert.ok(e2.values.loss < e1.values.loss, `the head learns: loss ${e1.values.loss} → ${e2.values.loss}`);
  const ev = read(join(r.runDir, 'evaluation.json'));
  assert.equal(ev.task, 'regression');
  assert.deepEqual(Object.keys(ev.metrics).sort(), ['mae', 'mse', 'r2', 'rmse']);
  assert.equal(read(join(r.runDir, 'model', 'task.json')).task, 'regression');

  // An export of the base serves as well.
  const out = join(dir, 'exports', 'base');
  exportRun(base.runDir, out);
  const fromExport = await train(fineTune('from-export', './exports/base'), runsDir);
  assert.equal(fromExport.meta.status, 'completed', fromExport.meta.error);
  assert.equal(fromExport.meta.base?.kind, 'export');
  for (const [name, w] of savedWeights(fromExport.runDir)) if (!name.startsWith('regressor/')) assert.ok(w.equals(baseWeights.get(name)!), `${name} is the base's`);
});

test("a masked-language model as the base: its tokenizer (with <mask>), embedding and blocks bit for bit; its mlm_logits head left behind for Dense(1)", async () => {
  const pretrain = await train(
    writeConfig('pretrain', {
      task: 'masked-language-model',
      data: { source: 'data/positive.jsonl', text: 'text', tokenizer: { type: 'word', vocabSize: 50 }, masking: { share: 0.2 }, split: SPLIT },
      model: MODEL,
      training: { optimizer: { type: 'adam', learningRate: 0.01 }, epochs: 1, batchSize: 16, seed: 4 },
    }),
    runsDir,
  );
  assert.equal(pretrain.meta.status, 'completed', pretrain.meta.error);
  const r = await train(
    writeConfig('from-mlm', {
      task: 'regression',
      data: { source: 'data/scores.jsonl', text: 'text', target: 'score', split: SPLIT },
      model: { type: 'transformerEncoder', dropout: 0, base: { from: basename(pretrain.runDir), freezeEpochs: 1 } },
      training: { optimizer: { type: 'adam', learningRate: 0.01 }, epochs: 1, batchSize: 16, seed: 9 },
    }),
    runsDir,
  );
  assert.equal(r.meta.status, 'completed', r.meta.error);
  assert.equal(r.meta.base?.task, 'masked-language-model');
  assert.ok(read(join(r.runDir, 'model', 'tokenizer.json')).vocab.includes('<mask>'));
  const base = savedWeights(pretrain.runDir);
  const tuned = savedWeights(r.runDir);
  assert.deepEqual([...tuned.keys()].filter((n) => !base.has(n)), ['regressor/kernel', 'regressor/bias'], 'the new head');
  assert.deepEqual([...base.keys()].filter((n) => !tuned.has(n)), ['mlm_logits/kernel', 'mlm_logits/bias'], 'the head left behind');
  for (const [name, w] of tuned) if (base.has(name)) assert.ok(w.equals(base.get(name)!), `${name} is the base's (frozen for the run's one epoch)`);
  assert.equal(read(join(r.runDir, 'evaluation.json')).task, 'regression');
});

test('the loss the config names: mse (the default), mae, huber (δ = 1, as a tabular model\'s)', () => {
  const out = tf.tensor2d([[1], [3]]);
  const y = tf.tensor1d([0, 1]);
  const value = (loss: 'mse' | 'mae' | 'huber') => {
    const l = regressionLoss(out, y, loss);
    const v = l.dataSync()[0];
    l.dispose();
    return v;
  };
  // Errors 1 and 2: mse (1 + 4) / 2, mae (1 + 2) / 2, huber (0.5 + (2 − 0.5)) / 2.
  assert.equal(value('mse'), 2.5);
  assert.equal(value('mae'), 1.5);
  assert.equal(value('huber'), 1);
  tf.dispose([out, y]);
});
