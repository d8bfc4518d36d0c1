// Text tasks in the config: schema, semantic checks with exact ranges,
// defaults, and the corpus split.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { validateConfigText } from '../../src/node/configValidation';
import type { ConfigDiagnostic } from '../../src/node/configValidation';
import { resolveConfig } from '../../src/core/resolvedConfig';
import { labelledTexts, splitCorpus } from '../../src/core/textData';
import { readTable } from '../../src/node/tableFile';
import { tempDir, writeFiles } from '../helpers/fixtures';

const examples = join(__dirname, '../../examples');

function errors(ds: ConfigDiagnostic[]): ConfigDiagnostic[] {
  return ds.filter((d) => d.severity === 'error');
}

function underlined(text: string, d: ConfigDiagnostic): string {
  return text.slice(d.offset, d.offset + d.length);
}

const CORPUS = Array.from({ length: 40 }, (_, i) => `Line ${i} of a small corpus about foxes and rivers.`).join('\n') + '\n';
const INTENTS = ['{"text":"where is my order","intent":"status"}', '{"text":"我要退款","intent":"refund"}', '{"text":"cancel it","intent":"cancel"}'].join('\n') + '\n';

function classifier(model: object = { type: 'transformerEncoder', layers: 1, heads: 2, dModel: 16 }, data: object = {}): string {
  return JSON.stringify({ name: 'intents', task: 'classification', data: { source: 'intents.jsonl', text: 'text', target: 'intent', ...data }, model, training: { epochs: 1 } }, null, 2);
}

function languageModel(model: object = { type: 'transformerDecoder', layers: 1, heads: 2, dModel: 16 }, data: object = {}): string {
  return JSON.stringify({ name: 'lm', task: 'language-model', data: { source: 'corpus.txt', ...data }, model, training: { epochs: 1 } }, null, 2);
}

function check(text: string, more: Record<string, string> = {}): { diagnostics: ConfigDiagnostic[]; text: string } {
  const dir = tempDir();
  writeFiles(dir, { 'corpus.txt': CORPUS, 'intents.jsonl': INTENTS, 'table.csv': 'a,b\n1,2\n', ...more, 'exp.experiment.json': text });
  return { diagnostics: validateConfigText(text, join(dir, 'exp.experiment.json')).diagnostics, text };
}

test('both Transformer examples validate with no problems', () => {
  for (const file of ['intent-classifier/intent-classifier.experiment.json', 'text-generator/text-generator.experiment.json']) {
    const path = join(examples, file);
    const r = validateConfigText(readFileSync(path, 'utf8'), path);
    assert.deepEqual(r.diagnostics, [], file);
    assert.ok(r.config, file);
  }
});

test('a text classifier and a language model with small settings are valid', () => {
  assert.deepEqual(check(classifier()).diagnostics, []);
  assert.deepEqual(check(languageModel()).diagnostics, []);
});

test('dModel not divisible by heads is an error on dModel, naming head counts that fit', () => {
  const { diagnostics, text } = check(classifier({ type: 'transformerEncoder', heads: 3, dModel: 16 }));
  const [d] = errors(diagnostics);
  assert.equal(underlined(text, d), '16');
  assert.equal(d.path, 'model.dModel');
  assert.match(d.message, /"dModel" \(16\) must be divisible by "heads" \(3\).*heads that fit: 1, 2, 4, 8, 16/);
});

test('a decoder for classification, or an encoder for a language model, is an error on model.type', () => {
  const a = check(classifier({ type: 'transformerDecoder' }));
  const [da] = errors(a.diagnostics);
  assert.equal(underlined(a.text, da), '"transformerDecoder"');
  assert.match(da.message, /is for task "language-model"; a text classifier uses "transformerEncoder"/);
  const b = check(languageModel({ type: 'transformerEncoder' }));
  const [db] = errors(b.diagnostics);
  assert.equal(underlined(b.text, db), '"transformerEncoder"');
  assert.match(db.message, /a language model uses "transformerDecoder"/);
});

test('text regression: accepted with a text column and a numeric target; a decoder, or numeric features under a Transformer, refused at their ranges', () => {
  const regression = (model: object, data: object) => JSON.stringify({ name: 'r', task: 'regression', data: { source: 'scores.csv', ...data }, model, training: { epochs: 1 } }, null, 2);
  const files = { 'scores.csv': 'text,score\ngood film,4.5\nbad film,1\n' };
  const encoder = { type: 'transformerEncoder', layers: 1, heads: 2, dModel: 16 };
  assert.deepEqual(errors(check(regression(encoder, { text: 'text', target: 'score' }), files).diagnostics), []);
  const dec = check(regression({ ...encoder, type: 'transformerDecoder' }, { text: 'text', target: 'score' }), files);
  const [dd] = errors(dec.diagnostics);
  assert.equal(underlined(dec.text, dd), '"transformerDecoder"');
  assert.match(dd.message, /text regression reads the whole text: use "transformerEncoder"/);
  const reg = check(JSON.stringify({ name: 'r', task: 'regression', data: { source: 'table.csv', features: ['a'], target: 'b' }, model: { type: 'transformerEncoder' }, training: {} }, null, 2));
  const [dr] = errors(reg.diagnostics);
  assert.equal(underlined(reg.text, dr), '"features"');
  assert.match(dr.message, /a Transformer reads text, not numeric features/);
  const layers = check(classifier({ layers: [{ type: 'dense', units: 2, activation: 'softmax' }] }));
  const [d] = errors(layers.diagnostics);
  assert.equal(underlined(layers.text, d), '"layers"');
  assert.match(d.message, /a text classifier needs a Transformer encoder/);
});

test('a language model needs a .txt corpus; a classifier refuses one', () => {
  const lm = check(languageModel(undefined, { source: 'intents.jsonl' }));
  const [d] = errors(lm.diagnostics);
  assert.equal(underlined(lm.text, d), '"intents.jsonl"');
  assert.match(d.message, /a language model learns from plain text/);
  const cls = check(classifier(undefined, { source: 'corpus.txt' }));
  assert.match(errors(cls.diagnostics)[0].message, /corpus.txt is plain text; a classification model reads a table/);
});

test('the text column is checked against the data, with a suggestion; text and features together are refused', () => {
  const bad = check(classifier(undefined, { text: 'txt' }));
  const [d] = errors(bad.diagnostics);
  assert.equal(underlined(bad.text, d), '"txt"');
  assert.match(d.message, /unknown column "txt" — did you mean "text"\?/);
  const both = check(classifier(undefined, { features: ['text'] }));
  assert.match(errors(both.diagnostics)[0].message, /give either "text" \(a text column\) or "features"/);
});

test('Transformer settings on a stack of layers are errors on their keys; tokenizer longer than the positions is an error', () => {
  const text = JSON.stringify({ name: 'r', task: 'regression', data: { source: 'table.csv', features: ['a'], target: 'b' }, model: { layers: [{ type: 'dense', units: 1 }], heads: 4 }, training: {} }, null, 2);
  const r = check(text);
  const [d] = errors(r.diagnostics);
  assert.equal(underlined(r.text, d), '"heads"');
  assert.match(d.message, /"heads" is a Transformer setting/);
  const long = check(classifier({ type: 'transformerEncoder', heads: 2, dModel: 16, maxLength: 32 }, { tokenizer: { maxLength: 64 } }));
  const [dl] = errors(long.diagnostics);
  assert.equal(underlined(long.text, dl), '64');
  assert.match(dl.message, /64 tokens per sequence, but the model's positions stop at its "maxLength" \(32\)/);
});

test('with "type" set, "layers" must be a block count; a loss that does not fit a text task is an error', () => {
  const r = check(classifier({ type: 'transformerEncoder', layers: [{ type: 'dense', units: 2 }] }));
  assert.match(errors(r.diagnostics)[0].message, /model\.layers: must be a whole number/);
  const loss = check(JSON.stringify({ ...JSON.parse(languageModel()), training: { loss: 'mse' } }, null, 2));
  const [d] = errors(loss.diagnostics);
  assert.equal(underlined(loss.text, d), '"mse"');
  assert.match(d.message, /does not fit task "language-model"/);
});

test('resolveConfig fills in the Transformer and tokenizer defaults, each maxLength defaulting to the other', () => {
  const cls = resolveConfig(JSON.parse(classifier({ type: 'transformerEncoder' }, { tokenizer: { maxLength: 40 } })));
  assert.deepEqual(cls.model, { type: 'transformerEncoder', layers: 2, heads: 4, dModel: 64, ffDim: 128, dropout: 0.1, maxLength: 40, positional: 'learned', pooling: 'mean' });
  assert.deepEqual(cls.data.tokenizer, { type: 'word', lowercase: true, punctuation: 'split', vocabSize: 8000, maxLength: 40 });
  assert.equal(cls.training.loss, 'sparseCategoricalCrossentropy');
  assert.deepEqual(cls.training.metrics, ['accuracy']);
  const lm = resolveConfig(JSON.parse(languageModel({ type: 'transformerDecoder', maxLength: 48 })));
  assert.deepEqual(lm.data.tokenizer, { type: 'char', lowercase: false, punctuation: 'keep', vocabSize: 3000, maxLength: 48 });
  assert.deepEqual(lm.training.metrics, []);
});

test('a corpus splits by lines with a seed: same seed same split, every line used once', () => {
  const a = splitCorpus('c.txt', CORPUS, 0.2, 0.1, 7);
  const b = splitCorpus('c.txt', CORPUS, 0.2, 0.1, 7);
  assert.deepEqual(a, b);
  const lines = (s?: string) => (s ? s.split('\n') : []);
  assert.deepEqual([lines(a.train).length, lines(a.validation).length, lines(a.test).length], [28, 8, 4]);
  assert.deepEqual([...lines(a.train), ...lines(a.validation), ...lines(a.test)].sort(), CORPUS.trim().split('\n').sort());
  assert.notDeepEqual(splitCorpus('c.txt', CORPUS, 0.2, 0.1, 8).train, a.train);
  // one long line is cut into pieces rather than left unsplittable
  const one = splitCorpus('c.txt', 'word '.repeat(2000), 0.2, 0.1, 1);
  assert.ok(one.validation && one.test && one.train.length > one.validation.length);
});

test('text/label pairs skip rows without text or label', () => {
  const dir = tempDir();
  writeFiles(dir, { 'd.csv': 'text,label\nhello,a\n,b\nbye,\n"你好, 世界",c\n' });
  const pairs = labelledTexts(readTable(join(dir, 'd.csv')), 'text', 'label');
  assert.deepEqual(pairs.texts, ['hello', '你好, 世界']);
  assert.deepEqual(pairs.labels, ['a', 'c']);
  assert.equal(pairs.skipped, 2);
});

test('a misspelt tokenizer or Transformer key gets a "did you mean"', () => {
  const tok = check(classifier(undefined, { tokenizer: { vocabSise: 100 } }));
  const [d] = errors(tok.diagnostics);
  assert.equal(underlined(tok.text, d), '"vocabSise"');
  assert.match(d.message, /unknown property "vocabSise" — did you mean "vocabSize"\?/);
  const model = check(classifier({ type: 'transformerEncoder', head: 2 }));
  assert.match(errors(model.diagnostics)[0].message, /unknown property "head" — did you mean "heads"\?/);
});

test('the latest Transformer run is the newest completed one with a tokenizer beside its model', async () => {
  const { RunWriter } = await import('../../src/node/runStoreWriter');
  const { latestTextModelRun, textModelDir } = await import('../../src/node/textModelRuns');
  const runs = join(tempDir(), 'runs');
  const make = (id: string, task: 'classification' | 'language-model' | 'regression', text: boolean, status: 'completed' | 'failed') => {
    const w = new RunWriter(runs, { id, name: id, task, configPath: '/c', status: 'running', createdAt: new Date().toISOString(), versions: { modelLab: '0', node: '0' }, seed: 1, epochsPlanned: 1, epochsDone: 1 });
    writeFiles(w.dir, text ? { 'model/model.json': '{}', 'model/tokenizer.json': '{}' } : { 'model/model.json': '{}' });
    w.end(status);
    return w.dir;
  };
  const lm = make('20260101-000001-lm', 'language-model', true, 'completed');
  const cls = make('20260101-000002-cls', 'classification', true, 'completed');
  make('20260101-000003-mlp', 'regression', false, 'completed');
  make('20260101-000004-broken', 'classification', true, 'failed');
  assert.equal(latestTextModelRun(runs)?.dir, cls);
  assert.equal(latestTextModelRun(runs, 'language-model')?.dir, lm);
  assert.equal(textModelDir(cls), join(cls, 'model'));
  assert.equal(latestTextModelRun(join(runs, 'nope')), undefined);
});
