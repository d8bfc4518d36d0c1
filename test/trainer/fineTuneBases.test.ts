// Bases that do not fit are refused before a run folder exists, each with its
// exact error (the editor's wording: the trainer validates with the same
// rules); a base whose tokenizer does not know the data's language trains
// with a warning giving the share; a language model continues its base
// decoder, next-token head included.

import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { basename, join } from 'node:path';
import { before, test } from 'node:test';
import { selectBackend } from '../../src/trainer/backend';
import { linearCsv, regressionConfig, tempDir, writeFiles, writeTinyLanguageModel } from '../helpers/fixtures';
import { savedWeights, train, writeBaseClassifier, writeFineTune } from './fineTuneHelpers';

const dir = tempDir('modellab-finetune-bases-');
const runsDir = join(dir, 'runs');
let classifier = { id: '', dir: '' };
let languageModel = { id: '', dir: '' };
let table = { id: '', dir: '' };

before(async () => {
  await selectBackend('wasm');
  const run = async (config: string) => {
    const r = await train(config, runsDir);
    assert.equal(r.meta.status, 'completed', r.meta.error);
    return { id: basename(r.runDir), dir: r.runDir };
  };
  classifier = await run(writeBaseClassifier(dir));
  languageModel = await run(writeTinyLanguageModel(dir));
  writeFiles(dir, { 'data.csv': linearCsv(60), 'linear.experiment.json': regressionConfig({ training: { epochs: 2, batchSize: 16, seed: 5 } }) });
  table = await run(join(dir, 'linear.experiment.json'));
});

/** Training `config` fails with an error whose message contains `expected`, and leaves no run folder. */
async function refused(config: string, expected: string): Promise<void> {
  const before = readdirSync(runsDir).length;
  await assert.rejects(train(config, runsDir), (e: Error) => {
    assert.ok(e.message.includes(expected), `${e.message}\n---\nexpected to contain:\n${expected}`);
    return true;
  });
  assert.equal(readdirSync(runsDir).length, before, 'no run folder was made');
}

const named = (r: { id: string; dir: string }) => `run "${r.id}" (${r.dir})`;

test("a language model's decoder as a classifier's base: refused, its attention only looks back", async () => {
  await refused(
    writeFineTune(dir, languageModel.id, { name: 'decoder-base' }),
    `model.base: ${named(languageModel)} is a Transformer decoder (a language model) (task "language-model"); its attention only looks back, so it cannot be the base of a text classifier, which reads the whole text — pretrain an encoder with "task": "masked-language-model" (or start from a text classifier's run)`,
  );
});

test("a classifier's encoder as a language model's base: refused, its attention looks both ways", async () => {
  writeFiles(dir, {
    'encoder-for-lm.experiment.json': JSON.stringify({
      name: 'encoder-for-lm',
      task: 'language-model',
      data: { source: 'data/corpus.txt', split: { validation: 0.1, test: 0.1, seed: 42 } },
      model: { type: 'transformerDecoder', base: classifier.id },
      training: { epochs: 1 },
    }),
  });
  await refused(
    join(dir, 'encoder-for-lm.experiment.json'),
    `model.base: ${named(classifier)} is a Transformer encoder (task "classification"); its attention looks both ways, so it cannot predict the next token as a language model does — start from a language model's run ("task": "language-model", a "transformerDecoder")`,
  );
});

test("a table model (a layer stack) as a Transformer's base: refused", async () => {
  await refused(
    writeFineTune(dir, table.id, { name: 'table-base' }),
    `model.base: ${named(table)} is a stack of dense layers over table columns (task "regression"), but this config trains a text classifier, whose base is a Transformer encoder`,
  );
});

test("hyperparameters that differ from the base's: both values named (dModel by the editor's rule, positional by the trainer's)", async () => {
  await refused(
    writeFineTune(dir, classifier.id, { name: 'wide', model: { dModel: 64 } }),
    `"dModel" is 64 here but 16 in the base, ${named(classifier)}: the base's weights keep their shapes — remove "dModel" (it comes from the base) or set it to 16`,
  );
  await refused(
    writeFineTune(dir, classifier.id, { name: 'sinusoid', model: { positional: 'sinusoidal' } }),
    `"positional" is "sinusoidal" here but "learned" in the base, ${named(classifier)}: remove "positional" (it comes from the base) or set it to "learned"`,
  );
});

test('a run id that is not in the runs folder: the close ids are suggested', async () => {
  const typo = classifier.id.slice(0, -1) + (classifier.id.endsWith('x') ? 'y' : 'x');
  await refused(writeFineTune(dir, typo, { name: 'typo' }), `model.base: no run "${typo}" in ${runsDir} — did you mean "${classifier.id}"?`);
});

test("most training tokens unknown to the base's tokenizer: the run warns with the share, and trains", async () => {
  // "order" is the base's word; the four Chinese characters are not: 4 of 5 tokens unknown in every row.
  const rows = Array.from({ length: 30 }, (_, i) => JSON.stringify({ text: i % 2 ? 'order 订单很晚' : 'order 谢谢你们', label: i % 2 ? 'late' : 'thanks' })).join('\n');
  writeFiles(dir, { 'data/chinese.jsonl': rows + '\n' });
  const r = await train(writeFineTune(dir, classifier.id, { name: 'chinese', data: { source: 'data/chinese.jsonl' }, training: { epochs: 1 } }), runsDir);
  assert.equal(r.meta.status, 'completed', r.meta.error);
  const warning = r.events.find((e) => e.type === 'log' && e.level === 'warn' && e.message.includes('unknown to the base'));
  assert.ok(warning && warning.type === 'log');
  assert.equal(warning.message, "80% of the training tokens are unknown to the base's tokenizer: the base was trained on other text (another language?), and the model sees <unk> for them");
  // The base's own language: no warning.
  const english = await train(writeFineTune(dir, classifier.id, { name: 'english', training: { epochs: 1 } }), runsDir);
  assert.ok(!english.logs.some((l) => l.includes('unknown to the base')));
});

test('a language model fine-tuned from a language model continues its decoder, the next-token head included', async () => {
  writeFiles(dir, {
    'lm-tune.experiment.json': JSON.stringify({
      name: 'lm-tune',
      task: 'language-model',
      data: { source: 'data/corpus.txt', split: { validation: 0.1, test: 0.1, seed: 42 } },
      model: { type: 'transformerDecoder', dropout: 0, base: { from: languageModel.id, freezeEpochs: 1 } },
      training: { optimizer: { type: 'adam', learningRate: 0.003 }, epochs: 1, batchSize: 16, seed: 2 },
    }),
  });
  const r = await train(join(dir, 'lm-tune.experiment.json'), runsDir);
  assert.equal(r.meta.status, 'completed', r.meta.error);
  assert.equal(r.meta.base?.task, 'language-model');
  const base = savedWeights(languageModel.dir);
  const tuned = savedWeights(r.runDir);
  assert.deepEqual([...tuned.keys()].sort(), [...base.keys()].sort(), 'every weight is the base\'s, none new');
  assert.ok(r.logs.includes(`${base.size} weight arrays copied from the base, its output head included, and checked equal`), r.logs.join('\n'));
  // Frozen for its one epoch: the decoder is the base's bit for bit; only the next-token head trained.
  for (const [name, w] of tuned) {
    if (name.startsWith('next_token_logits/')) assert.ok(!w.equals(base.get(name)!), `${name} trained`);
    else assert.ok(w.equals(base.get(name)!), `${name} is the base's`);
  }
});
