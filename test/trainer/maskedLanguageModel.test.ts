// A masked-language model (task "masked-language-model") trained for real on
// a small corpus: its metrics (masked_accuracy, perplexity and their val_
// versions) in metrics.jsonl, perplexity falling, the model folder a text
// model of that task with the <mask> token, evaluation.json against the
// most-frequent-token baseline, a seeded rerun giving the same losses, and a
// table's text column read with its labels ignored.
//
// Run: node --import tsx --test test/trainer/maskedLanguageModel.test.ts

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { before, test } from 'node:test';
import { lcg, tempDir, writeFiles } from '../helpers/fixtures';
import { selectBackend } from '../../src/trainer/backend';
import { resumeTraining, runTraining } from '../../src/trainer/engine';
import type { TrainerEvent } from '../../src/core/protocol/trainer';
import { isSystemKey } from '../../src/core/systemMetrics';
import { loadTextModel } from '../../src/trainer/modelIo';
import { MLM_HEAD_LAYER } from '../../src/trainer/transformer';
import { Predictor } from '../../src/trainer/predictor';
import { readRunSnapshot } from '../../src/node/runStoreReader';
import { MASK_ID, MASK_TOKEN } from '../../src/core/tokenizer';
import type { MaskedLanguageModelEvaluation, MetricPoint } from '../../src/core/types';

const SUBJECTS = ['my order', 'the parcel', 'your driver', 'the refund', 'this invoice', 'our package'];
const VERBS = ['is', 'was', 'arrived', 'came'];
const ENDINGS = ['late', 'early', 'today', 'damaged', 'missing'];
const EPOCHS = 8;

/** Lines "subject verb ending please": the verb and the ending come in fixed pairs, so a masked one can be inferred from the other. */
function sentences(count: number, seed: number): string[] {
  const rnd = lcg(seed);
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(rnd() * xs.length)];
  return Array.from({ length: count }, () => {
    const e = Math.floor(rnd() * ENDINGS.length);
    return `${pick(SUBJECTS)} ${VERBS[e % VERBS.length]} ${ENDINGS[e]} please`;
  });
}

function config(data: object): string {
  return JSON.stringify({
    name: 'mlm',
    task: 'masked-language-model',
    data: { split: { validation: 0.15, test: 0.15, seed: 3 }, tokenizer: { type: 'word', maxLength: 12 }, masking: { share: 0.25 }, ...data },
    model: { type: 'transformerEncoder', layers: 1, heads: 2, dModel: 32, ffDim: 64, dropout: 0, maxLength: 12 },
    training: { optimizer: { type: 'adam', learningRate: 0.01 }, epochs: EPOCHS, batchSize: 32, seed: 5 },
  });
}

const epochs = (points: MetricPoint[]) => points.filter((p) => p.kind === 'epoch');

let dir = '';
let corpusRun = '';

before(async () => {
  await selectBackend('wasm');
  dir = tempDir();
  const rows = sentences(500, 11).map((text, i) => JSON.stringify({ text, intent: i % 2 ? 'status' : 'complaint' }));
  writeFiles(dir, {
    'corpus.txt': sentences(500, 7).join('\n') + '\n',
    'rows.jsonl': rows.join('\n') + '\n',
    'corpus.experiment.json': config({ source: 'corpus.txt' }),
    'table.experiment.json': config({ source: 'rows.jsonl', text: 'text', target: 'intent' }),
  });
  const r = await runTraining({ configPath: join(dir, 'corpus.experiment.json'), runsDir: join(dir, 'runs'), backend: 'wasm', onEvent: () => {} });
  assert.equal(r.meta.status, 'completed', r.meta.error);
  corpusRun = r.runDir;
});

test('every epoch logs loss, masked_accuracy, perplexity = exp(loss) and their val_ versions; perplexity falls', () => {
  const points = epochs(readRunSnapshot(corpusRun).metrics);
  assert.equal(points.length, EPOCHS);
  for (const p of points) {
    for (const key of ['loss', 'masked_accuracy', 'perplexity', 'val_loss', 'val_masked_accuracy', 'val_perplexity']) assert.equal(typeof p.values[key], 'number', `epoch ${p.epoch}: ${key}`);
    assert.ok(Math.abs(p.values.perplexity - Math.exp(p.values.loss)) < 1e-6 * p.values.perplexity);
    assert.ok(Math.abs(p.values.val_perplexity - Math.exp(p.values.val_loss)) < 1e-6 * p.values.val_perplexity);
    assert.equal(p.values.accuracy, undefined, 'no unmasked "accuracy"');
  }
  const first = points[0].values;
  const last = points[points.length - 1].values;
  assert.ok(last.perplexity < first.perplexity / 2, `perplexity ${first.perplexity} → ${last.perplexity}`);
  assert.ok(last.val_perplexity < first.val_perplexity / 2, `val_perplexity ${first.val_perplexity} → ${last.val_perplexity}`);
  assert.ok(last.val_masked_accuracy > first.val_masked_accuracy, `val_masked_accuracy ${first.val_masked_accuracy} → ${last.val_masked_accuracy}`);
});

test('evaluation.json: masked accuracy well above always guessing the most frequent token, perplexity, filled-in samples', () => {
  const ev = JSON.parse(readFileSync(join(corpusRun, 'evaluation.json'), 'utf8')) as MaskedLanguageModelEvaluation;
  assert.equal(ev.task, 'masked-language-model');
  assert.equal(ev.split, 'test');
  assert.ok(ev.count > 50, `${ev.count} masked tokens`);
  assert.equal(ev.baseline.token, 'please', 'the most frequent training token');
  assert.ok(ev.metrics.masked_accuracy > ev.baseline.masked_accuracy + 0.2, `model ${ev.metrics.masked_accuracy}, baseline ${ev.baseline.masked_accuracy}`);
  assert.ok(Math.abs(ev.metrics.perplexity - Math.exp(ev.metrics.loss)) < 1e-6 * ev.metrics.perplexity);
  assert.equal(ev.samples.length, 3);
  for (const s of ev.samples) {
    assert.equal(s.expected.length, s.predicted.length);
    assert.ok(s.expected.length >= 1);
    assert.ok(s.expected.every((t) => !t.startsWith('<')) && s.predicted.every((t) => !t.startsWith('<')), JSON.stringify(s));
  }
  assert.ok(ev.samples.some((s) => s.masked.includes(MASK_TOKEN)), JSON.stringify(ev.samples));
});

test('the model folder: task.json says masked-language-model, the tokenizer has <mask>, logits over the vocabulary at every position under mlm_logits', async () => {
  const task = JSON.parse(readFileSync(join(corpusRun, 'model', 'task.json'), 'utf8'));
  assert.equal(task.task, 'masked-language-model');
  const m = await loadTextModel(join(corpusRun, 'model'));
  try {
    assert.equal(m.tokenizer.maskId, MASK_ID);
    assert.equal(m.tokenizer.vocab[MASK_ID], MASK_TOKEN);
    assert.deepEqual(m.model.outputs[0].shape, [null, null, m.tokenizer.vocabSize]);
    assert.equal(m.model.layers[m.model.layers.length - 1].name, MLM_HEAD_LAYER);
    assert.ok(m.model.getLayer('embedding') && m.model.getLayer('block1_attention'), 'the encoder layers keep the classifier\'s names');
  } finally {
    m.model.dispose();
  }
});

test('serving it refuses a prediction, saying what the model is for', async () => {
  const predictor = await Predictor.load(corpusRun);
  await assert.rejects(predictor.predict(['my order is late']), /masked-language model \(a pretrained encoder\): it predicts no label; fill in a \[MASK\]/);
});

test('a seeded rerun reproduces every loss (masks drawn from the seed and the epoch)', async () => {
  const again = await runTraining({ configPath: join(dir, 'corpus.experiment.json'), runsDir: join(dir, 'runs'), backend: 'wasm', onEvent: () => {} });
  assert.equal(again.meta.status, 'completed', again.meta.error);
  const losses = (run: string) => epochs(readRunSnapshot(run).metrics).map((p) => [p.values.loss, p.values.val_loss, p.values.val_masked_accuracy]);
  assert.deepEqual(losses(again.runDir), losses(corpusRun));
});

test('interrupted in epoch 3 and resumed, it ends as the uninterrupted run: the same losses, masked accuracies and evaluation', async () => {
  const abort = new AbortController();
  const onEvent = (e: TrainerEvent) => {
    if (e.type === 'metrics' && e.points.some((p) => p.kind === 'step' && p.epoch === 3)) abort.abort('disconnect');
  };
  const cut = await runTraining({ configPath: join(dir, 'corpus.experiment.json'), runsDir: join(dir, 'runs-cut'), backend: 'wasm', signal: abort.signal, metricsIntervalMs: 0, onEvent });
  assert.equal(cut.meta.status, 'interrupted', cut.meta.error);
  const r = await resumeTraining({ runDir: cut.runDir, backend: 'wasm', onEvent: () => {} });
  assert.equal(r.meta.status, 'completed', r.meta.error);
  const full = epochs(readRunSnapshot(corpusRun).metrics);
  const resumed = epochs(readRunSnapshot(r.runDir).metrics);
  assert.deepEqual(resumed.map((p) => p.epoch), full.map((p) => p.epoch));
  for (let i = 0; i < full.length; i++) {
    for (const [k, v] of Object.entries(full[i].values)) {
      if (k === 'tokensPerSecond' || isSystemKey(k)) continue;
      assert.ok(Math.abs(resumed[i].values[k] - v) <= 1e-6 * Math.max(1, Math.abs(v)), `epoch ${full[i].epoch} ${k}: resumed ${resumed[i].values[k]}, uninterrupted ${v}`);
    }
  }
  const evaluation = (run: string) => JSON.parse(readFileSync(join(run, 'evaluation.json'), 'utf8')) as MaskedLanguageModelEvaluation;
  assert.deepEqual(evaluation(r.runDir).metrics, evaluation(corpusRun).metrics);
});

test('a table\'s text column: its labels are ignored, the run trains on the text', async () => {
  const r = await runTraining({ configPath: join(dir, 'table.experiment.json'), runsDir: join(dir, 'runs'), backend: 'wasm', epochs: 2, onEvent: () => {} });
  assert.equal(r.meta.status, 'completed', r.meta.error);
  assert.deepEqual(r.meta.dataSizes, { train: 350, validation: 75, test: 75 });
  const ev = JSON.parse(readFileSync(join(r.runDir, 'evaluation.json'), 'utf8')) as MaskedLanguageModelEvaluation;
  assert.equal(ev.task, 'masked-language-model');
  const m = await loadTextModel(join(r.runDir, 'model'));
  try {
    assert.ok(!m.tokenizer.vocab.includes('complaint') && !m.tokenizer.vocab.includes('status'), 'the labels are not words of the vocabulary');
  } finally {
    m.model.dispose();
  }
});
