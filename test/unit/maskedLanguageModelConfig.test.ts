// The config rules of a masked-language model (task "masked-language-model"):
// an encoder over a .txt corpus or a table's text column (labels unused),
// with diagnostics at exact ranges, in the style of textConfig.test.ts.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { validateConfigText } from '../../src/node/configValidation';
import type { ConfigDiagnostic } from '../../src/node/configValidation';
import { tempDir, writeFiles } from '../helpers/fixtures';

const CORPUS = Array.from({ length: 40 }, (_, i) => `Line ${i} of a small corpus about foxes and rivers.`).join('\n') + '\n';
const INTENTS = ['{"text":"where is my order","intent":"status"}', '{"text":"我要退款","intent":"refund"}', '{"text":"cancel it","intent":"cancel"}'].join('\n') + '\n';

const ENCODER = { type: 'transformerEncoder', layers: 1, heads: 2, dModel: 16 };

function mlm(data: object = {}, model: object = ENCODER, training: object = { epochs: 1 }): string {
  return JSON.stringify({ name: 'mlm', task: 'masked-language-model', data: { source: 'corpus.txt', ...data }, model, training }, null, 2);
}

function check(text: string): { diagnostics: ConfigDiagnostic[]; text: string } {
  const dir = tempDir();
  writeFiles(dir, { 'corpus.txt': CORPUS, 'intents.jsonl': INTENTS, 'exp.experiment.json': text });
  return { diagnostics: validateConfigText(text, join(dir, 'exp.experiment.json')).diagnostics, text };
}

const underlined = (text: string, d: ConfigDiagnostic) => text.slice(d.offset, d.offset + d.length);
const bySeverity = (ds: ConfigDiagnostic[], severity: ConfigDiagnostic['severity']) => ds.filter((d) => d.severity === severity);

test('the example pretraining config validates with nothing but the pooling note', () => {
  const path = join(__dirname, '../../examples/pretrain-finetune/pretrain.experiment.json');
  const r = validateConfigText(readFileSync(path, 'utf8'), path);
  assert.deepEqual(r.diagnostics.filter((d) => d.severity !== 'info'), []);
  assert.deepEqual(r.diagnostics.map((d) => d.path), ['model.pooling']);
});

test('a corpus, or a table\'s text column, with an encoder is valid', () => {
  assert.deepEqual(check(mlm()).diagnostics, []);
  assert.deepEqual(check(mlm({ source: 'intents.jsonl', text: 'text' })).diagnostics, []);
  assert.deepEqual(check(mlm({ masking: { share: 0.3 } }, ENCODER, { epochs: 1, loss: 'sparseCategoricalCrossentropy' })).diagnostics, []);
});

test('a target is allowed but said to be unused (info at the key), not an error', () => {
  const r = check(mlm({ source: 'intents.jsonl', text: 'text', target: 'intent' }));
  assert.deepEqual(bySeverity(r.diagnostics, 'error'), []);
  const [d] = r.diagnostics;
  assert.equal(r.diagnostics.length, 1);
  assert.equal(d.severity, 'info');
  assert.equal(d.path, 'data.target');
  assert.equal(underlined(r.text, d), '"target"');
  assert.match(d.message, /"intent" is not used: a masked-language model learns from the text alone/);
});

test('a decoder, or a stack of layers, is an error naming the encoder', () => {
  const dec = check(mlm({}, { type: 'transformerDecoder' }));
  const [d] = bySeverity(dec.diagnostics, 'error');
  assert.equal(underlined(dec.text, d), '"transformerDecoder"');
  assert.match(d.message, /only looks back.*uses "transformerEncoder".*task "language-model"/);
  const layers = check(mlm({}, { layers: [{ type: 'dense', units: 2 }] }));
  const [l] = bySeverity(layers.diagnostics, 'error');
  assert.equal(underlined(layers.text, l), '"layers"');
  assert.match(l.message, /a masked-language model needs a Transformer encoder/);
});

test('a table without "text" is an error at the file; "text" with a .txt corpus too; an unknown column gets a suggestion', () => {
  const table = check(mlm({ source: 'intents.jsonl' }));
  const [t] = bySeverity(table.diagnostics, 'error');
  assert.equal(underlined(table.text, t), '"intents.jsonl"');
  assert.match(t.message, /intents.jsonl is a table: name its text column with "text"/);
  const txt = check(mlm({ text: 'text' }));
  const [x] = bySeverity(txt.diagnostics, 'error');
  assert.equal(underlined(txt.text, x), '"corpus.txt"');
  assert.match(x.message, /plain text, which has no "text" column: remove "text"/);
  const typo = check(mlm({ source: 'intents.jsonl', text: 'txt' }));
  const [c] = bySeverity(typo.diagnostics, 'error');
  assert.equal(underlined(typo.text, c), '"txt"');
  assert.match(c.message, /unknown column "txt" — did you mean "text"\?/);
});

test('a loss other than sparseCategoricalCrossentropy is an error; "accuracy" is masked accuracy (info); other metrics are errors', () => {
  const loss = check(mlm({}, ENCODER, { epochs: 1, loss: 'mse' }));
  const [l] = bySeverity(loss.diagnostics, 'error');
  assert.equal(underlined(loss.text, l), '"mse"');
  assert.match(l.message, /loss "mse" does not fit task "masked-language-model"/);
  const acc = check(mlm({}, ENCODER, { epochs: 1, metrics: ['accuracy'] }));
  assert.deepEqual(bySeverity(acc.diagnostics, 'error'), []);
  const [a] = acc.diagnostics;
  assert.equal(a.severity, 'info');
  assert.equal(a.path, 'training.metrics[0]');
  assert.match(a.message, /is masked_accuracy: the share of masked tokens predicted exactly/);
  const mae = check(mlm({}, ENCODER, { epochs: 1, metrics: ['mae'] }));
  const [m] = bySeverity(mae.diagnostics, 'error');
  assert.equal(underlined(mae.text, m), '"mae"');
  assert.match(m.message, /"mae" does not apply to a masked-language model; it logs masked_accuracy and perplexity/);
});

test('cross-validation is refused for a masked-language model', () => {
  const r = check(mlm({}, ENCODER, { epochs: 1, crossValidation: { folds: 3 } }));
  const [d] = bySeverity(r.diagnostics, 'error');
  assert.equal(d.path, 'training.crossValidation');
  assert.match(d.message, /not available for a masked-language model/);
});
