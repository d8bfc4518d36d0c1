// A masked-language model as a classifier's base: the shape the contract of
// #17 gives it (buildTransformer's encoder, its head a 'mlm_logits' layer of
// token logits at every position, a tokenizer with <mask>), saved as a
// completed run. The classifier takes its tokenizer, embedding and blocks bit
// for bit, leaves the mlm head behind and gets a new one.

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { before, test } from 'node:test';
import * as tfl from '@tensorflow/tfjs-layers';
import { resolveTransformer } from '../../src/core/resolvedConfig';
import { Tokenizer } from '../../src/core/tokenizer';
import type { TransformerModelConfig } from '../../src/core/types';
import { selectBackend } from '../../src/trainer/backend';
import { saveTextModel } from '../../src/trainer/modelIo';
import type { TextTaskJson } from '../../src/trainer/modelIo';
import { buildTransformer, TokenLogits } from '../../src/trainer/transformer';
import { houseRunMeta, tempDir, writeFiles } from '../helpers/fixtures';
import { BASE_MODEL, savedWeights, textRows, train, writeFineTune } from './fineTuneHelpers';

const MLM_ID = '20261206-120000-pretrain-mlm-0001';

before(async () => {
  await selectBackend('wasm');
});

/** A completed masked-language-model run in `runsDir`, its weights drawn at random (what matters is that they come over). */
async function writeMlmRun(runsDir: string, texts: string[]): Promise<string> {
  const runDir = join(runsDir, MLM_ID);
  const cfg = resolveTransformer(BASE_MODEL as TransformerModelConfig);
  const tokenizer = Tokenizer.fit(texts, { type: 'word', lowercase: true, punctuation: 'split', vocabSize: 200, maxLength: 16 }, { mask: true });
  const encoder = buildTransformer(cfg, tokenizer.vocabSize, { classes: 2 });
  const hidden = encoder.getLayer('final_norm').output as tfl.SymbolicTensor;
  const mlm = tfl.model({ inputs: encoder.inputs, outputs: new TokenLogits({ name: 'mlm_logits', vocabSize: tokenizer.vocabSize }).apply(hidden) as tfl.SymbolicTensor });
  await saveTextModel(mlm, join(runDir, 'model'), tokenizer, { format: 'modellab-text-task', version: 1, task: 'masked-language-model', maxLength: 16 } as unknown as TextTaskJson);
  encoder.dispose();
  writeFiles(runDir, {
    'meta.json': JSON.stringify(houseRunMeta({ id: MLM_ID, name: 'pretrain-mlm', task: 'masked-language-model', status: 'completed', epochsDone: 1, epochsPlanned: 1 })),
    'config.json': JSON.stringify({ name: 'pretrain-mlm', task: 'masked-language-model', data: { source: 'data/base.jsonl', text: 'text' }, model: cfg }, null, 2) + '\n',
  });
  return runDir;
}

test("a masked-language model as a classifier's base: its tokenizer (with <mask>), embedding and blocks bit for bit; its mlm_logits head left behind", async (t) => {
  const dir = tempDir('modellab-finetune-mlm-', t);
  const runsDir = join(dir, '.modellab', 'runs');
  const corpus = textRows(90, 3, 'intent');
  writeFiles(dir, { 'data/base.jsonl': corpus, 'data/mood.jsonl': textRows(60, 5, 'mood') });
  const mlmRun = await writeMlmRun(runsDir, corpus.trim().split('\n').map((l) => JSON.parse(l).text as string));
  const r = await train(writeFineTune(dir, { from: MLM_ID, freezeEpochs: 1 }, { training: { epochs: 1 } }), runsDir);
  assert.equal(r.meta.status, 'completed', r.meta.error);
  assert.equal(r.meta.base?.task, 'masked-language-model');
  const baseTokenizer = JSON.parse(readFileSync(join(mlmRun, 'model', 'tokenizer.json'), 'utf8'));
  assert.equal(baseTokenizer.vocab[3], '<mask>');
  assert.deepEqual(JSON.parse(readFileSync(join(r.runDir, 'model', 'tokenizer.json'), 'utf8')), baseTokenizer);
  const base = savedWeights(mlmRun);
  const tuned = savedWeights(r.runDir);
  assert.deepEqual([...tuned.keys()].filter((n) => !base.has(n)), ['classifier/kernel', 'classifier/bias'], 'the new head');
  assert.deepEqual([...base.keys()].filter((n) => !tuned.has(n)), ['mlm_logits/kernel', 'mlm_logits/bias'], 'the head left behind');
  for (const [name, w] of tuned) if (base.has(name)) assert.ok(w.equals(base.get(name)!), `${name} is the base's (frozen for the run's one epoch)`);
});
