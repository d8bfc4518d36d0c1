// A masked-language model pretrained by the trainer as a base: a classifier
// takes its tokenizer (with <mask>), embedding and blocks bit for bit, leaves
// its mlm_logits head behind and gets a new one; a masked-language model
// continues its pretraining, the mlm_logits head included.

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { before, test } from 'node:test';
import { selectBackend } from '../../src/trainer/backend';
import { tempDir, writeFiles } from '../helpers/fixtures';
import { BASE_MODEL, savedWeights, textRows, train, writeFineTune } from './fineTuneHelpers';

const dir = tempDir('modellab-finetune-mlm-');
const runsDir = join(dir, '.modellab', 'runs');
let mlm = { id: '', dir: '' };

/** A masked-language-model config over data/base.jsonl's text column (its labels ignored). */
function writeMlmConfig(name: string, model: Record<string, unknown>, epochs: number): string {
  writeFiles(dir, {
    [`${name}.experiment.json`]: JSON.stringify({
      name,
      task: 'masked-language-model',
      data: { source: 'data/base.jsonl', text: 'text', tokenizer: { type: 'word', vocabSize: 200 }, masking: { share: 0.2 }, split: { validation: 0.2, test: 0.2, seed: 1 } },
      model,
      training: { optimizer: { type: 'adam', learningRate: 0.01 }, epochs, batchSize: 16, seed: 4 },
    }),
  });
  return join(dir, `${name}.experiment.json`);
}

before(async () => {
  await selectBackend('wasm');
  writeFiles(dir, { 'data/base.jsonl': textRows(90, 3, 'intent'), 'data/mood.jsonl': textRows(60, 5, 'mood') });
  const r = await train(writeMlmConfig('pretrain', BASE_MODEL, 2), runsDir);
  assert.equal(r.meta.status, 'completed', r.meta.error);
  mlm = { id: basename(r.runDir), dir: r.runDir };
});

test("a masked-language model as a classifier's base: its tokenizer (with <mask>), embedding and blocks bit for bit; its mlm_logits head left behind", async () => {
  const r = await train(writeFineTune(dir, { from: mlm.id, freezeEpochs: 1 }, { training: { epochs: 1 } }), runsDir);
  assert.equal(r.meta.status, 'completed', r.meta.error);
  assert.equal(r.meta.base?.task, 'masked-language-model');
  const baseTokenizer = JSON.parse(readFileSync(join(mlm.dir, 'model', 'tokenizer.json'), 'utf8'));
  assert.ok(baseTokenizer.vocab.includes('<mask>'));
  assert.deepEqual(JSON.parse(readFileSync(join(r.runDir, 'model', 'tokenizer.json'), 'utf8')), baseTokenizer);
  const base = savedWeights(mlm.dir);
  const tuned = savedWeights(r.runDir);
  assert.deepEqual([...tuned.keys()].filter((n) => !base.has(n)), ['classifier/kernel', 'classifier/bias'], 'the new head');
  assert.deepEqual([...base.keys()].filter((n) => !tuned.has(n)), ['mlm_logits/kernel', 'mlm_logits/bias'], 'the head left behind');
  for (const [name, w] of tuned) if (base.has(name)) assert.ok(w.equals(base.get(name)!), `${name} is the base's (frozen for the run's one epoch)`);
});

test('a masked-language model continues its base\'s pretraining: every weight comes over, the mlm_logits head included', async () => {
  const r = await train(writeMlmConfig('more-pretraining', { type: 'transformerEncoder', dropout: 0, base: { from: mlm.id, freezeEpochs: 1 } }, 1), runsDir);
  assert.equal(r.meta.status, 'completed', r.meta.error);
  const base = savedWeights(mlm.dir);
  const tuned = savedWeights(r.runDir);
  assert.deepEqual([...tuned.keys()].sort(), [...base.keys()].sort());
  assert.ok(r.logs.includes(`${base.size} weight arrays copied from the base, its output head included, and checked equal`), r.logs.join('\n'));
  // Frozen for its one epoch: only the token head trained.
  for (const [name, w] of tuned) {
    if (name.startsWith('mlm_logits/')) assert.ok(!w.equals(base.get(name)!), `${name} trained`);
    else assert.ok(w.equals(base.get(name)!), `${name} is the base's`);
  }
});
