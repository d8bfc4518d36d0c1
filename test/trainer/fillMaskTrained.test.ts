// Fill-mask on a really trained masked-language model: a tiny encoder
// pretrained (task "masked-language-model") on a corpus where each colour
// always comes with its fruit ("… red apple …", "… yellow banana …") amid
// random filler words. After training, the fruit is what the model puts in
// "red [MASK]", and the colour in "[MASK] banana": the context decides, and
// the same filler around it changes nothing. Seeded: the same numbers on
// every run. Measured (wasm, 12 epochs, ~15 s): the fruit after its colour
// 0.89–0.99, the colour before its fruit 0.97–0.98, two masks in one
// sentence 0.85 and 0.96; the next token never above 0.04.
//
// Run: node --import tsx --test test/trainer/fillMaskTrained.test.ts

import assert from 'node:assert/strict';
import { join } from 'node:path';
import { before, test } from 'node:test';
import { lcg, tempDir, writeFiles } from '../helpers/fixtures';
import { selectBackend } from '../../src/trainer/backend';
import { runTraining } from '../../src/trainer/engine';
import { fillMask } from '../../src/trainer/fillMask';

const PAIRS: [string, string][] = [['red', 'apple'], ['yellow', 'banana'], ['green', 'pear'], ['purple', 'grape']];
const FILLER = ['i', 'we', 'they', 'like', 'want', 'see', 'a', 'the', 'today', 'now', 'fresh', 'big'];
const EPOCHS = 12;

/** 1,500 lines of at most 8 words: a colour and its fruit (sometimes two such pairs) at varying places among filler words. */
function corpus(): string {
  const rnd = lcg(7);
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(rnd() * xs.length)];
  const fillers = (most: number) => Array.from({ length: Math.floor(rnd() * (most + 1)) }, () => pick(FILLER));
  const lines: string[] = [];
  for (let i = 0; i < 1500; i++) {
    const words = [...fillers(2), ...pick(PAIRS), ...fillers(1)];
    if (rnd() < 0.5) words.push(...pick(PAIRS), ...fillers(1));
    lines.push(words.join(' '));
  }
  return lines.join('\n') + '\n';
}

let runDir = '';

before(async () => {
  await selectBackend('wasm');
  const dir = tempDir();
  writeFiles(dir, {
    'data/corpus.txt': corpus(),
    'fruit-mlm.experiment.json': JSON.stringify({
      name: 'fruit-mlm',
      task: 'masked-language-model',
      data: { source: 'data/corpus.txt', split: { validation: 0.1, test: 0.1, seed: 1 }, tokenizer: { type: 'word', maxLength: 8 }, masking: { share: 0.3 } },
      model: { type: 'transformerEncoder', layers: 1, heads: 2, dModel: 32, ffDim: 64, dropout: 0, positional: 'learned' },
      training: { optimizer: { type: 'adam', learningRate: 0.005 }, epochs: EPOCHS, batchSize: 32, seed: 1 },
    }),
  });
  const r = await runTraining({ configPath: join(dir, 'fruit-mlm.experiment.json'), runsDir: join(dir, 'runs'), backend: 'wasm', onEvent: () => undefined });
  assert.equal(r.meta.status, 'completed', r.meta.error);
  runDir = r.runDir;
});

test('a trained masked-language model fills in the fruit of a colour, and the colour of a fruit', async (t) => {
  for (const [colour, fruit] of PAIRS) {
    const r = await fillMask(runDir, `we like ${colour} [MASK] today`);
    const [best] = r.masks[0].candidates;
    t.diagnostic(`${colour} [MASK]: ${r.masks[0].candidates.map((c) => `${c.token} ${c.probability.toFixed(3)}`).join(' · ')}`);
    assert.equal(best.token, fruit, `${colour} [MASK]: ${JSON.stringify(r.masks[0].candidates)}`);
    assert.ok(best.probability > 0.8, `${colour} ${fruit}: ${best.probability}`);
    const back = await fillMask(runDir, `they see [MASK] ${fruit} now`);
    t.diagnostic(`[MASK] ${fruit}: ${back.masks[0].candidates.map((c) => `${c.token} ${c.probability.toFixed(3)}`).join(' · ')}`);
    assert.equal(back.masks[0].candidates[0].token, colour, `[MASK] ${fruit}: ${JSON.stringify(back.masks[0].candidates)}`);
  }
  // Two masks at once, each answered for its own place; a word never seen is read as <unk>.
  const two = await fillMask(runDir, 'zebra [MASK] banana now [MASK] pear');
  assert.deepEqual(two.unknown.map((u) => u.word), ['zebra']);
  for (const m of two.masks) t.diagnostic(`two masks, mask ${m.index + 1}: ${m.candidates.map((c) => `${c.token} ${c.probability.toFixed(3)}`).join(' · ')}`);
  assert.deepEqual(two.masks.map((m) => m.candidates[0].token), ['yellow', 'green']);
  for (const m of two.masks) assert.ok(m.candidates.every((c) => !['<pad>', '<unk>', '<cls>', '<mask>'].includes(c.token)));
});
