// Fine-tuning a text classifier from a base run (model.base): the base's
// tokenizer and weights come over bit for bit and the head is new; frozen
// epochs leave the base's weights exactly as they were; the base's own
// learning rate; meta.base; export and predict. Tiny models, a few dozen rows.

import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { cpSync, existsSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { before, test } from 'node:test';
import { exportRun } from '../../src/node/modelExport';
import { selectBackend } from '../../src/trainer/backend';
import { FINE_TUNE_TOKENIZER_FILE } from '../../src/trainer/fineTune';
import { Predictor } from '../../src/trainer/predictor';
import { epochPoints, tempDir } from '../helpers/fixtures';
import { maxDiff, savedWeights, train, writeBaseClassifier, writeFineTune } from './fineTuneHelpers';

const dir = tempDir('modellab-finetune-');
const runsDir = join(dir, '.modellab', 'runs');
let baseRun = '';
let baseId = '';
/** Fine-tuned for 2 epochs, both frozen (the freezing test compares a 3-epoch run with it). */
let frozenRun = '';

const read = (file: string) => JSON.parse(readFileSync(file, 'utf8'));

before(async () => {
  await selectBackend('wasm');
  const base = await train(writeBaseClassifier(dir), runsDir);
  assert.equal(base.meta.status, 'completed', base.meta.error);
  baseRun = base.runDir;
  baseId = basename(baseRun);
});

test('loading a base: its tokenizer, embedding and encoder weights bit for bit, a new head; meta.base and the config record it', async () => {
  const r = await train(
    writeFineTune(dir, { from: baseId, freezeEpochs: 2 }, { name: 'frozen', model: { layers: 1 }, data: { tokenizer: { type: 'char', vocabSize: 50 } } }),
    runsDir,
  );
  assert.equal(r.meta.status, 'completed', r.meta.error);
  frozenRun = r.runDir;
  const baseModelDir = join(baseRun, 'model');
  // meta.base: the run, the folder the weights came from, its task, its config.json's hash.
  const hash = createHash('sha256').update(readFileSync(join(baseRun, 'config.json'))).digest('hex').slice(0, 16);
  assert.deepEqual(r.meta.base, { kind: 'run', id: baseId, path: baseModelDir, task: 'classification', configHash: hash });
  assert.deepEqual(read(join(r.runDir, 'meta.json')).base, r.meta.base);
  // The base's tokenizer (not fitted again; data.tokenizer ignored, with a line saying so), kept in the run folder and saved with the model.
  const baseTokenizer = read(join(baseModelDir, 'tokenizer.json'));
  assert.deepEqual(read(join(r.runDir, 'model', 'tokenizer.json')), baseTokenizer);
  assert.deepEqual(read(join(r.runDir, FINE_TUNE_TOKENIZER_FILE)), baseTokenizer);
  assert.ok(r.logs.some((l) => l.endsWith(`: info: data.tokenizer is ignored: the run takes the base's tokenizer (word, ${baseTokenizer.vocab.length} tokens)`)), r.logs.join('\n'));
  // The config the run trained: the base's hyperparameters and tokenizer settings, model.base kept.
  const config = read(join(r.runDir, 'config.json'));
  assert.deepEqual(
    { layers: config.model.layers, heads: config.model.heads, dModel: config.model.dModel, ffDim: config.model.ffDim, maxLength: config.model.maxLength, positional: config.model.positional },
    { layers: 1, heads: 2, dModel: 16, ffDim: 32, maxLength: 16, positional: 'learned' },
  );
  assert.deepEqual(config.model.base, { from: baseId, freezeEpochs: 2 });
  assert.equal(config.data.tokenizer.type, 'word');
  // Weights: every one of the embedding and the block equal to the base's bit for bit (frozen for the whole run); the head is new.
  const base = savedWeights(baseRun);
  const tuned = savedWeights(r.runDir);
  const copied = [...tuned.keys()].filter((n) => !n.startsWith('classifier/'));
  assert.equal(copied.length, 20);
  for (const name of copied) assert.ok(tuned.get(name)!.equals(base.get(name)!), `${name} is the base's`);
  assert.equal(tuned.get('classifier/kernel')!.length, 16 * 2 * 4, 'a softmax over this config\'s 2 classes');
  assert.equal(base.get('classifier/kernel')!.length, 16 * 3 * 4, 'the base had 3');
  assert.ok(r.logs.some((l) => l === `fine-tuning from run ${baseId} (task classification): ${baseModelDir}`));
  assert.ok(r.logs.includes("20 weight arrays of the base's embedding and 1 block(s) copied and checked equal; new head: mean pooling and a softmax over 2 classes, initialised from the run's seed"));
  assert.ok(r.logs.includes("the base's weights are frozen for the first 2 epoch(s): only the head trains"));
  assert.ok(!r.logs.some((l) => l.includes('train from now on')), 'never unfrozen');
  // The head trained while the base was frozen.
  const [e1, e2] = epochPoints(r.runDir);
  assert.ok(e2.values.loss < e1.values.loss, `loss ${e1.values.loss} → ${e2.values.loss}`);
});

test('freezing: after the frozen epochs the base\'s weights are the base\'s bit for bit; from the next epoch they train, and the log says so', async () => {
  assert.ok(frozenRun, 'the loading test ran first');
  const r = await train(writeFineTune(dir, { from: baseId, freezeEpochs: 2 }, { name: 'frozen-then-trained', model: { layers: 1 }, data: { tokenizer: { type: 'char', vocabSize: 50 } }, training: { epochs: 3 } }), runsDir);
  assert.equal(r.meta.status, 'completed', r.meta.error);
  // Same seed, data and config but one more epoch: its first two epochs are the frozen run's, step for step.
  const frozen = epochPoints(frozenRun);
  const longer = epochPoints(r.runDir);
  assert.deepEqual(longer.slice(0, 2).map((p) => p.values.loss), frozen.map((p) => p.values.loss));
  assert.equal(r.logs.filter((l) => l === "epoch 3: the base's weights train from now on").length, 1);
  // After epoch 3 every weight of the base has moved.
  const base = savedWeights(baseRun);
  const tuned = savedWeights(r.runDir);
  for (const [name, w] of tuned) {
    if (name.startsWith('classifier/')) continue;
    assert.ok(!w.equals(base.get(name)!), `${name} trained in epoch 3`);
  }
});

test("the base's learning rate: its weights move by at most that rate per step, while the head's optimizer rate moves them 100× more", async () => {
  const slow = await train(writeFineTune(dir, { from: baseId, learningRate: 1e-6 }, { name: 'slow-base', training: { epochs: 1 } }), runsDir);
  const same = await train(writeFineTune(dir, baseId, { name: 'same-rate', training: { epochs: 1 } }), runsDir);
  assert.equal(slow.meta.status, 'completed', slow.meta.error);
  assert.equal(same.meta.status, 'completed', same.meta.error);
  assert.ok(slow.logs.includes("the base's weights train with learning rate 0.000001, the head with 0.01"), slow.logs.join('\n'));
  const steps = Math.ceil(slow.meta.dataSizes!.train / 16);
  const base = savedWeights(baseRun);
  const slowW = savedWeights(slow.runDir);
  const sameW = savedWeights(same.runDir);
  let slowMax = 0;
  let sameMax = 0;
  for (const [name, w] of slowW) {
    if (name.startsWith('classifier/')) continue;
    slowMax = Math.max(slowMax, maxDiff(w, base.get(name)!));
    sameMax = Math.max(sameMax, maxDiff(sameW.get(name)!, base.get(name)!));
  }
  // Adam's step is about its rate (at most a few times it early on).
  assert.ok(slowMax > 0 && slowMax <= 4 * steps * 1e-6, `base moved ${slowMax} in ${steps} steps at 1e-6`);
  assert.ok(sameMax > 100 * slowMax, `at the optimizer's rate the base moved ${sameMax}`);
  // The heads start alike (same seed) and train at the same rate: close, though the base under them differs.
  assert.ok(maxDiff(slowW.get('classifier/kernel')!, sameW.get('classifier/kernel')!) < 0.05);
});

test('a fine-tuned run exports and predicts as any classifier', async () => {
  assert.ok(frozenRun, 'the loading test ran first');
  const out = join(dir, 'exported');
  const { card } = exportRun(frozenRun, out);
  assert.deepEqual(card.labels, ['angry', 'happy']);
  for (const f of ['model.json', 'weights.bin', 'tokenizer.json', 'task.json', 'labels.json']) assert.ok(existsSync(join(out, f)), f);
  const predictor = await Predictor.load(out);
  try {
    const fromRun = await Predictor.load(frozenRun);
    try {
      const instances = [{ text: 'my order is late terrible' }, { text: 'thanks great refund' }];
      const a = await predictor.predict(instances);
      const b = await fromRun.predict(instances);
      assert.deepEqual(a, b);
      assert.equal(a.length, 2);
      const first = a[0] as { label: string; probabilities: Record<string, number> };
      assert.ok(['angry', 'happy'].includes(first.label));
      const total = Object.values(first.probabilities).reduce((s, p) => s + p, 0);
      assert.ok(Math.abs(total - 1) < 1e-5, `probabilities sum to ${total}`);
    } finally {
      fromRun.dispose();
    }
  } finally {
    predictor.dispose();
  }
});

test("an export folder as the base: recorded as an export (its run's id and config hash), its weights taken as a run's", async () => {
  const out = join(dir, 'exports', 'base');
  exportRun(baseRun, out);
  const r = await train(writeFineTune(dir, { from: './exports/base', freezeEpochs: 1 }, { name: 'from-export', training: { epochs: 1 } }), runsDir);
  assert.equal(r.meta.status, 'completed', r.meta.error);
  const hash = createHash('sha256').update(readFileSync(join(baseRun, 'config.json'))).digest('hex').slice(0, 16);
  assert.deepEqual(r.meta.base, { kind: 'export', id: baseId, path: out, task: 'classification', configHash: hash });
  assert.ok(r.logs.includes(`fine-tuning from the export ${out} (task classification)`), r.logs.join('\n'));
  const base = savedWeights(baseRun);
  for (const [name, w] of savedWeights(r.runDir)) if (!name.startsWith('classifier/')) assert.ok(w.equals(base.get(name)!), `${name} is the base's`);
});

test("a config's deployment.export copy of a model folder (no model card) as the base: its Transformer read from model.json", async () => {
  const out = join(dir, 'deployed');
  cpSync(join(baseRun, 'model'), out, { recursive: true });
  const r = await train(writeFineTune(dir, { from: 'deployed', freezeEpochs: 1 }, { name: 'from-deployed', training: { epochs: 1 } }), runsDir);
  assert.equal(r.meta.status, 'completed', r.meta.error);
  assert.deepEqual(r.meta.base, { kind: 'export', path: out, task: 'classification' }, 'no card: no run id, no config hash');
  const config = read(join(r.runDir, 'config.json'));
  assert.deepEqual(
    { layers: config.model.layers, heads: config.model.heads, dModel: config.model.dModel, ffDim: config.model.ffDim, maxLength: config.model.maxLength, positional: config.model.positional },
    { layers: 1, heads: 2, dModel: 16, ffDim: 32, maxLength: 16, positional: 'learned' },
  );
  const base = savedWeights(baseRun);
  for (const [name, w] of savedWeights(r.runDir)) if (!name.startsWith('classifier/')) assert.ok(w.equals(base.get(name)!), `${name} is the base's`);
  // A named value that differs is still caught, against the values model.json states.
  await assert.rejects(train(writeFineTune(dir, 'deployed', { name: 'deployed-wide', model: { ffDim: 64 } }), runsDir), /"ffDim" is 64 here but 32 in the base, the export .*deployed/);
});
