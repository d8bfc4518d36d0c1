// Filling in masks with a hand-built masked-language model whose answer is
// known exactly (test/helpers/handBuiltMlm.ts: at a mask its softmax is the
// distribution written into it, and at the first position "the" gets a
// bonus). The same model folder answers through fillMask, through the
// inference server as the dashboard asks, and through `modellab fill-mask`.
//
// Run: node --import tsx --test test/trainer/fillMask.test.ts

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { before, test } from 'node:test';
import type { InferenceToHostMessage } from '../../src/core/protocol/inference';
import { isInferenceResponse } from '../../src/core/protocol/inference';
import { selectBackend } from '../../src/trainer/backend';
import { fillMask } from '../../src/trainer/fillMask';
import { TextModelCache } from '../../src/trainer/inference';
import { InferenceServer } from '../../src/trainer/inferenceServer';
import { tempDir } from '../helpers/fixtures';
import { AT_MASK, THE_BONUS, VOCAB, writeHandBuiltModel } from '../helpers/handBuiltMlm';

let mlmDir: string;
let lmDir: string;

before(async () => {
  await selectBackend('wasm');
  const root = tempDir();
  mlmDir = join(root, 'mlm-run');
  lmDir = join(root, 'lm-run');
  await writeHandBuiltModel(join(mlmDir, 'model'));
  await writeHandBuiltModel(join(lmDir, 'model'), 'language-model');
});

const close = (actual: number, expected: number, what: string) => assert.ok(Math.abs(actual - expected) < 2e-6, `${what}: ${actual} ≠ ${expected}`);

test('the model\'s distribution at a mask: the top 5 tokens with their exact probabilities, specials left out', async () => {
  const r = await fillMask(mlmDir, 'The order [MASK] late');
  assert.deepEqual(r.tokens, ['the', 'order', '<mask>', 'late']);
  assert.equal(r.masks.length, 1);
  const [slot] = r.masks;
  assert.deepEqual({ index: slot.index, tokenIndex: slot.tokenIndex, start: slot.start, end: slot.end }, { index: 0, tokenIndex: 2, start: 10, end: 16 });
  // <unk> (0.05) would be fifth: it is never a word to fill in. arrived and box tie at 0.08: the lower id first.
  assert.deepEqual(slot.candidates.map((c) => c.token), ['is', 'was', 'arrived', 'box', 'late']);
  [0.41, 0.22, 0.08, 0.08, 0.06].forEach((p, i) => close(slot.candidates[i].probability, p, slot.candidates[i].token));
  assert.deepEqual(r.unknown, []);
});

test('two masks, each answered at its own position; <mask> typed in any case counts; topK', async () => {
  const r = await fillMask(mlmDir, '[mask] order <MASK> late', { topK: 2 });
  assert.deepEqual(r.tokens, ['<mask>', 'order', '<mask>', 'late']);
  assert.deepEqual(r.masks.map((m) => [m.index, m.tokenIndex, m.start, m.end]), [[0, 0, 0, 6], [1, 2, 13, 19]]);
  // Position 0 multiplies "the" by 100: 3 / (1 + 0.03·99) = 0.755668…, "is" 0.41 / 3.97.
  const total = 1 + AT_MASK[4] * (THE_BONUS - 1);
  assert.deepEqual(r.masks[0].candidates.map((c) => c.token), ['the', 'is']);
  close(r.masks[0].candidates[0].probability, (AT_MASK[4] * THE_BONUS) / total, 'the');
  close(r.masks[0].candidates[1].probability, 0.41 / total, 'is');
  assert.deepEqual(r.masks[1].candidates.map((c) => c.token), ['is', 'was']);
});

test('a word the model does not know is read as <unk> and listed with where it was typed', async () => {
  const r = await fillMask(mlmDir, 'the parcel [MASK] late');
  assert.deepEqual(r.tokens, ['the', '<unk>', '<mask>', 'late']);
  assert.deepEqual(r.unknown, [{ word: 'parcel', tokenIndex: 1, start: 4, end: 10 }]);
  assert.equal(r.masks[0].candidates[0].token, 'is');
});

test('clear errors: no mask, a mask beyond the model\'s tokens, a model of another task', async () => {
  await assert.rejects(fillMask(mlmDir, 'the order is late'), /no mask: type \[MASK\] \(or <mask>\)/);
  await assert.rejects(fillMask(mlmDir, 'the order is very late [MASK]'), /mask 1 is token 6 of the sentence, but the model reads at most 5 tokens/);
  // Tokens after the last mask are cut at the model's length.
  assert.deepEqual((await fillMask(mlmDir, 'the [MASK] is late, very late')).tokens, ['the', '<mask>', 'is', 'late', '<unk>']);
  await assert.rejects(fillMask(lmDir, 'the [MASK]'), /task is "language-model"; filling in a \[MASK\] needs a masked-language model/);
});

test('the inference server answers fillMask with a reply the host\'s guard accepts, and an error for bad requests', async () => {
  const replies: InferenceToHostMessage[] = [];
  const server = new InferenceServer((m) => replies.push(m));
  server.handle({ type: 'fillMask', requestId: 1, modelDir: mlmDir, text: 'the order [MASK] late', backend: 'wasm' });
  server.handle({ type: 'fillMask', requestId: 2, modelDir: mlmDir, text: 'no mask here' });
  server.handle({ type: 'fillMask', requestId: 3, modelDir: mlmDir, text: 42 });
  for (let i = 0; i < 600 && replies.length < 3; i++) await new Promise((r) => setTimeout(r, 20));
  server.dispose();
  const byId = new Map(replies.map((r) => [r.requestId, r]));
  const ok = byId.get(1);
  assert.ok(ok?.type === 'fillMaskResult', JSON.stringify(ok));
  assert.equal(isInferenceResponse(ok), true);
  assert.ok(ok.modelDir.endsWith('model'));
  assert.deepEqual(ok.result.masks[0].candidates.map((c) => c.token), ['is', 'was', 'arrived', 'box', 'late']);
  const noMask = byId.get(2);
  assert.ok(noMask?.type === 'inferenceError' && /no mask/.test(noMask.message));
  const bad = byId.get(3);
  assert.ok(bad?.type === 'inferenceError' && /'fillMask': text is not a string/.test(bad.message));
});

test('a model folder whose tokenizer has no <mask> says so', async () => {
  const dir = join(tempDir(), 'no-mask');
  await writeHandBuiltModel(dir, 'masked-language-model', VOCAB.map((t) => (t === '<mask>' ? 'parcel' : t)), false);
  const cache = new TextModelCache(1);
  await assert.rejects(fillMask(dir, 'the [MASK]', {}, cache), /tokenizer has no <mask> token/);
  cache.clear();
});

test('modellab fill-mask prints a line per mask and the words read as <unk>; --json the result; a bad --top-k is refused', () => {
  const cli = (args: string[]) => spawnSync(process.execPath, ['--import', 'tsx', join(__dirname, '../../src/cli/main.ts'), ...args], { encoding: 'utf8', cwd: join(__dirname, '../..') });
  const human = cli(['fill-mask', mlmDir, 'the parcel [MASK] late', '--top-k', '3', '--backend', 'wasm']);
  assert.equal(human.status, 0, human.stderr);
  assert.equal(human.stdout, "mask 1 (token 3): is 0.410 · was 0.220 · arrived 0.080\nnot in the model's vocabulary (read as <unk>): parcel\n");
  const json = cli(['fill-mask', mlmDir, '<mask> order', '--json', '--backend', 'wasm']);
  assert.equal(json.status, 0, json.stderr);
  const r = JSON.parse(json.stdout);
  assert.deepEqual(r.tokens, ['<mask>', 'order']);
  assert.equal(r.masks[0].candidates[0].token, 'the');
  const bad = cli(['fill-mask', mlmDir, 'the [MASK]', '--top-k', '0']);
  assert.notEqual(bad.status, 0);
  assert.match(bad.stderr, /top-k/);
});
