// model.base in the editor's checks: real run folders and an export folder on
// disk (meta.json, config.json, model/ with its task.json or image.json), a
// config naming one of them, and the problem at the exact range of `base` (or
// of `from`, or of the config's key that differs) with the resolver's words.

import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { applyEdits } from 'jsonc-parser';
import { configFixEdits } from '../../src/core/configFixes';
import { imageBaseBody } from '../../src/core/configRules/base';
import { Tokenizer } from '../../src/core/tokenizer';
import type { LayerConfig, RunStatus, Task } from '../../src/core/types';
import { validateConfigText } from '../../src/node/configValidation';
import type { ConfigDiagnostic } from '../../src/node/configValidation';
import { houseRunMeta, tempDir, writeFiles } from '../helpers/fixtures';

const CORPUS = Array.from({ length: 20 }, (_, i) => `line ${i} about orders and refunds`).join('\n') + '\n';
const INTENTS = ['{"text":"where is my order","intent":"status"}', '{"text":"我要退款","intent":"refund"}', '{"text":"cancel it","intent":"cancel"}'].join('\n') + '\n';
/** A 1×1 PNG is enough for the folder checks: they count files, they do not decode them. */
const PNG = '\x89PNG\r\n\x1a\n';

const DIGIT_LAYERS: LayerConfig[] = [
  { type: 'conv2d', filters: 4, kernelSize: 3, activation: 'relu' },
  { type: 'maxPooling2d', poolSize: 2 },
  { type: 'flatten' },
  { type: 'dense', units: 16, activation: 'relu' },
  { type: 'dropout', rate: 0.2 },
  { type: 'dense', units: 5, activation: 'softmax' },
];

interface RunSpec {
  task: Task;
  status?: RunStatus;
  model?: Record<string, unknown>;
  data?: Record<string, unknown>;
  /** Files of model/ (none: the run saved no model). */
  files?: Record<string, string>;
  error?: string;
}

const ENCODER = { type: 'transformerEncoder', layers: 1, heads: 2, dModel: 16, ffDim: 32, dropout: 0.1, maxLength: 32, positional: 'learned', pooling: 'mean' };
const TOKENIZER = JSON.stringify(Tokenizer.fit([CORPUS], { type: 'word', lowercase: true, punctuation: 'split', vocabSize: 100, maxLength: 32 }).toJson());
const textTask = (task: Task) => ({ 'model.json': '{"modelTopology":{}}', 'weights.bin': 'x', 'tokenizer.json': TOKENIZER, 'task.json': JSON.stringify({ format: 'modellab-text-task', version: 1, task, maxLength: 32 }) });
const imageFiles = (size: [number, number], channels: number) => ({ 'model.json': '{"modelTopology":{}}', 'weights.bin': 'x', 'image.json': JSON.stringify({ format: 'modellab-image', version: 1, size, channels, scaling: 'unit', labels: ['0', '1', '2', '3', '4'] }) });

const RUNS: Record<string, RunSpec> = {
  'pretrain-1': { task: 'masked-language-model', model: ENCODER, data: { source: 'corpus.txt' }, files: textTask('masked-language-model') },
  'writer-1': { task: 'language-model', model: { ...ENCODER, type: 'transformerDecoder' }, data: { source: 'corpus.txt' }, files: textTask('language-model') },
  'digits-1': { task: 'classification', model: { layers: DIGIT_LAYERS }, data: { source: 'digits', image: { size: [12, 12], channels: 1 } }, files: imageFiles([12, 12], 1) },
  'prices-1': { task: 'regression', model: { layers: [{ type: 'dense', units: 1 }] }, data: { source: 'table.csv' }, files: { 'model.json': '{}', 'weights.bin': 'x', 'preprocessing.json': JSON.stringify({ task: 'regression' }) } },
  'queued-1': { task: 'masked-language-model', status: 'queued', model: ENCODER },
  'running-1': { task: 'masked-language-model', status: 'running', model: ENCODER },
  'failed-1': { task: 'masked-language-model', status: 'failed', model: ENCODER, error: 'the loss became NaN at step 3' },
};

/** A workspace with a project folder, its runs folder and the runs above, a few data files, and an export of an image model. */
function workspace(t: { after(fn: () => void): void }) {
  const root = tempDir('modellab-base-config-', t);
  const project = join(root, 'project');
  const runsDir = join(project, '.modellab', 'runs');
  for (const [id, spec] of Object.entries(RUNS)) {
    const config = { name: id, task: spec.task, data: spec.data ?? { source: 'corpus.txt' }, model: spec.model ?? {}, training: { epochs: 2 } };
    const files: Record<string, string> = {
      'meta.json': JSON.stringify(houseRunMeta({ id, name: id, task: spec.task, status: spec.status ?? 'completed', epochsDone: 2, epochsPlanned: 2, ...(spec.error ? { error: spec.error } : {}) })),
      'config.json': JSON.stringify(config, null, 2) + '\n',
    };
    for (const [name, text] of Object.entries(spec.files ?? {})) files[`model/${name}`] = text;
    writeFiles(join(runsDir, id), files);
  }
  const digits: Record<string, string> = {};
  for (const d of ['5', '6', '7']) for (const i of [0, 1]) digits[`digits/${d}/${i}.png`] = PNG;
  writeFiles(project, {
    'corpus.txt': CORPUS,
    'intents.jsonl': INTENTS,
    'table.csv': 'a,b\n1,2\n3,4\n',
    ...digits,
    'exports/digits/model.json': '{"modelTopology":{}}',
    'exports/digits/weights.bin': 'x',
    'exports/digits/image.json': JSON.stringify({ format: 'modellab-image', version: 1, size: [12, 12], channels: 3, scaling: 'unit', labels: ['a', 'b'] }),
    'exports/digits/model-card.json': JSON.stringify({ format: 'modellab-model-card', version: 1, task: 'classification', runId: 'digits-rgb', config: { task: 'classification', data: { image: { size: [12, 12], channels: 3 } }, model: { layers: DIGIT_LAYERS } } }),
  });
  return { root, project, runsDir, configPath: join(project, 'tune.experiment.json') };
}

function check(w: ReturnType<typeof workspace>, config: object, options: { runsDir?: string; workspaceRoot?: string } = { runsDir: w.runsDir }) {
  const text = JSON.stringify(config, null, 2);
  writeFiles(w.project, { 'tune.experiment.json': text });
  const { diagnostics } = validateConfigText(text, w.configPath, options);
  return { text, diagnostics, at: (d: ConfigDiagnostic) => text.slice(d.offset, d.offset + d.length) };
}

const classifier = (base: unknown, model: object = {}) => ({ name: 'intents', task: 'classification', data: { source: 'intents.jsonl', text: 'text', target: 'intent' }, model: { type: 'transformerEncoder', base, ...model }, training: { epochs: 3 } });
const imageClassifier = (base: unknown, image: object = { size: [12, 12], channels: 1 }, layers: LayerConfig[] = [{ type: 'flatten' }, { type: 'dense', units: 3, activation: 'softmax' }], training: object = { epochs: 3 }) => ({
  name: 'digits-5-7',
  task: 'classification',
  data: { source: 'digits', split: { validation: 0.2, test: 0 }, image },
  model: { base, layers },
  training,
});

const only = (ds: ConfigDiagnostic[], severity: ConfigDiagnostic['severity'] = 'error') => {
  const found = ds.filter((d) => d.severity === severity);
  assert.equal(found.length, 1, JSON.stringify(ds, null, 1));
  return found[0];
};

test('a fitting base gives no problem: an encoder for a text classifier (by run id, by run folder), an image classifier for an image classifier', (t) => {
  const w = workspace(t);
  assert.deepEqual(check(w, classifier('pretrain-1')).diagnostics, []);
  assert.deepEqual(check(w, classifier({ from: '.modellab/runs/pretrain-1', freezeEpochs: 1, learningRate: 1e-4 })).diagnostics, []);
  assert.deepEqual(check(w, classifier('pretrain-1', { dModel: 16, heads: 2 })).diagnostics, [], 'the same values as the base are fine');
  assert.deepEqual(check(w, imageClassifier('digits-1')).diagnostics, []);
  assert.deepEqual(check(w, imageClassifier('digits-1', undefined, [{ type: 'globalAveragePooling2d' }, { type: 'dense', units: 3, activation: 'softmax' }])).diagnostics, []);
});

test('no such run id: the error at "base" names the id, the runs folder it looked in, a close id, and the folder it tried', (t) => {
  const w = workspace(t);
  const r = check(w, classifier('pretrain-2'));
  const d = only(r.diagnostics);
  assert.equal(r.at(d), '"pretrain-2"');
  assert.equal(d.path, 'model.base');
  assert.equal(d.message, `model.base: no run "pretrain-2" in ${w.runsDir} — did you mean "pretrain-1"?, and no folder ${join(w.project, 'pretrain-2')}`);
});

test('the run id is looked up in the workspace\'s runs folder by default', (t) => {
  const w = workspace(t);
  assert.deepEqual(check(w, classifier('pretrain-1'), { workspaceRoot: w.project }).diagnostics, []);
  const d = only(check(w, classifier('pretrain-1'), { workspaceRoot: w.root }).diagnostics);
  assert.match(d.message, new RegExp(`no run "pretrain-1" in ${join(w.root, '.modellab', 'runs').replace(/[.\\/]/g, '\\$&')}`));
});

test('no such folder or export: the error at "from" names the absolute path looked for', (t) => {
  const w = workspace(t);
  const r = check(w, classifier({ from: 'exports/encoder', freezeEpochs: 1 }));
  const d = only(r.diagnostics);
  assert.equal(r.at(d), '"exports/encoder"');
  assert.equal(d.path, 'model.base.from');
  assert.equal(d.message, `model.base: no folder ${join(w.project, 'exports/encoder')}`);
});

test('a path out of the workspace is refused before it is looked at', (t) => {
  const w = workspace(t);
  const r = check(w, classifier('../elsewhere/run'), { runsDir: w.runsDir, workspaceRoot: w.project });
  assert.match(only(r.diagnostics).message, /^model\.base: \.\.\/elsewhere\/run is outside the workspace/);
});

test('a run with no model yet: queued, running, failed (with its error)', (t) => {
  const w = workspace(t);
  assert.match(only(check(w, classifier('queued-1')).diagnostics).message, /^model\.base: run "queued-1" \(.*queued-1\) has no saved model \(model\/model\.json\): it is queued and has not trained yet$/);
  // A running run whose trainer is gone (no live pid here) reads as interrupted, as the sidebar shows it.
  assert.match(only(check(w, classifier('running-1')).diagnostics).message, /^model\.base: run "running-1" .* has no saved model .*: it (is still running|was interrupted before it ended \(resume it first\))/);
  assert.match(only(check(w, classifier('failed-1')).diagnostics).message, /has no saved model \(model\/model\.json\): it failed — the loss became NaN at step 3$/);
});

test('a decoder (language model) as a classifier\'s base: why it cannot serve and how to get an encoder', (t) => {
  const w = workspace(t);
  const r = check(w, classifier('writer-1'));
  const d = only(r.diagnostics);
  assert.equal(r.at(d), '"writer-1"');
  assert.equal(
    d.message,
    `model.base: run "writer-1" (${join(w.runsDir, 'writer-1')}) is a Transformer decoder (a language model) (task "language-model"); its attention only looks back, so it cannot be the base of a text classifier, which reads the whole text — pretrain an encoder with "task": "masked-language-model" (or start from a text classifier's run)`,
  );
  // And an encoder as a language model's base.
  const lm = { name: 'lm', task: 'language-model', data: { source: 'corpus.txt' }, model: { type: 'transformerDecoder', base: 'pretrain-1' }, training: { epochs: 2 } };
  assert.match(only(check(w, lm).diagnostics).message, /is a Transformer encoder \(task "masked-language-model"\); its attention looks both ways, so it cannot predict the next token as a language model does/);
});

test('a layer stack for a Transformer and a Transformer for a layer stack', (t) => {
  const w = workspace(t);
  assert.match(only(check(w, classifier('digits-1')).diagnostics).message, /is an image classifier \(a stack of layers over images\) \(task "classification"\), but this config trains a text classifier, whose base is a Transformer encoder/);
  assert.match(only(check(w, classifier('prices-1')).diagnostics).message, /is a stack of dense layers over table columns \(task "regression"\), but this config trains a text classifier/);
  const r = check(w, imageClassifier({ from: 'pretrain-1' }));
  const d = only(r.diagnostics);
  assert.equal(d.path, 'model.base.from');
  assert.match(d.message, /is a Transformer encoder \(task "masked-language-model"\), but this config trains an image classifier, whose base is an image classifier \(a stack of layers over images\) — start from an image classifier's run or export/);
});

test('a base for a model over table columns or a recommender: not supported, said at "base"', (t) => {
  const w = workspace(t);
  const tabular = { name: 'p', task: 'regression', data: { source: 'table.csv', features: ['a'], target: 'b' }, model: { base: 'prices-1', layers: [{ type: 'dense', units: 1 }] }, training: { epochs: 2 } };
  assert.match(only(check(w, tabular).diagnostics).message, /^model\.base: a model over table columns trains from scratch: fine-tuning from a base is for Transformers \(text\) and image classifiers$/);
});

test('dModel, heads, layers, maxLength that differ from the base\'s: at the config\'s key, both values named', (t) => {
  const w = workspace(t);
  const r = check(w, classifier('pretrain-1', { dModel: 32, heads: 2, layers: 3, maxLength: 64 }));
  const errors = r.diagnostics.filter((d) => d.severity === 'error');
  assert.deepEqual(errors.map((d) => [d.path, r.at(d)]), [['model.layers', '"layers"'], ['model.dModel', '"dModel"'], ['model.maxLength', '"maxLength"']]);
  assert.equal(errors[1].message, `"dModel" is 32 here but 16 in the base, run "pretrain-1" (${join(w.runsDir, 'pretrain-1')}): the base's weights keep their shapes — remove "dModel" (it comes from the base) or set it to 16`);
  assert.match(errors[0].message, /^"layers" is 3 here but 1 in the base/);
  assert.match(errors[2].message, /^"maxLength" is 64 here but 32 in the base/);
});

test('an image base whose channels or size differ from data.image: at the config\'s key', (t) => {
  const w = workspace(t);
  const r = check(w, imageClassifier('digits-1', { size: [12, 12], channels: 3 }));
  const d = only(r.diagnostics);
  assert.equal(d.path, 'data.image.channels');
  assert.equal(r.at(d), '3');
  assert.equal(d.message, `the images are read with 3 channels but the base, run "digits-1" (${join(w.runsDir, 'digits-1')}), was trained on 1: its first convolution takes 1; set "channels": 1`);
  // Channels left to the default (3) against a grayscale base: at the "image" key.
  const dflt = check(w, imageClassifier('digits-1', { size: [12, 12] }));
  const dd = only(dflt.diagnostics);
  assert.equal(dflt.at(dd), '"image"');
  assert.match(dd.message, /^the images are read with 3 channels \(the default\) but the base/);
  const size = check(w, imageClassifier('digits-1', { size: [16, 16], channels: 1 }));
  const ds = only(size.diagnostics);
  assert.equal(ds.path, 'data.image.size');
  assert.match(ds.message, /^the images are resized to 16×16 but the base, run "digits-1" .*, takes 12×12: set "size": \[12, 12\]$/);
  // An export folder (its image.json: RGB) by path.
  const ex = check(w, imageClassifier('exports/digits'));
  assert.match(only(ex.diagnostics).message, new RegExp(`the base, the export ${join(w.project, 'exports/digits').replace(/[.\\/]/g, '\\$&')}, was trained on 3`));
});

test('the new head\'s shapes start from the base\'s kept layers (its 5×5×4 feature map), not from the image', (t) => {
  const w = workspace(t);
  // A dense layer straight on the kept feature map needs a flatten: the shape named is the base's output.
  const r = check(w, imageClassifier('digits-1', undefined, [{ type: 'dense', units: 3, activation: 'softmax' }]));
  const d = only(r.diagnostics);
  assert.equal(d.path, 'model.layers[0].type');
  assert.match(d.message, /gets a 5×5×4 feature map/);
  // A pooling window larger than what the base leaves (5×5) — fine on the 12×12 image itself.
  const big = check(w, imageClassifier('digits-1', undefined, [{ type: 'maxPooling2d', poolSize: 6 }, { type: 'flatten' }, { type: 'dense', units: 3, activation: 'softmax' }]));
  assert.equal(only(big.diagnostics).path, 'model.layers[0].type');
});

test('which layers of an image base are kept: those whose output is still a feature map', () => {
  const kept = imageBaseBody(DIGIT_LAYERS, [12, 12, 1]);
  assert.ok('keep' in kept);
  assert.equal(kept.keep, 2);
  assert.deepEqual(kept.output, [5, 5, 4]);
  assert.deepEqual(kept.dropped, ['flatten', 'dense', 'dropout', 'dense']);
  const withDropout = imageBaseBody([{ type: 'conv2d', filters: 2, kernelSize: 3 }, { type: 'dropout', rate: 0.1 }, { type: 'globalAveragePooling2d' }, { type: 'dense', units: 2 }], [8, 8, 3]);
  assert.ok('keep' in withDropout);
  assert.equal(withDropout.keep, 2);
  assert.deepEqual(withDropout.output, [6, 6, 2]);
  const none = imageBaseBody([{ type: 'flatten' }, { type: 'dense', units: 2 }], [8, 8, 1]);
  assert.ok('problem' in none);
  assert.match(none.problem, /no convolution or pooling layers to keep/);
});

test('freezeEpochs ≥ epochs: a warning at the key, the base never trains (and its learningRate is never used)', (t) => {
  const w = workspace(t);
  const r = check(w, classifier({ from: 'pretrain-1', freezeEpochs: 3, learningRate: 1e-4 }));
  const d = only(r.diagnostics, 'warning');
  assert.equal(r.diagnostics.length, 1);
  assert.equal(r.at(d), '"freezeEpochs"');
  assert.equal(d.message, 'the base never trains: it stays frozen for 3 epochs and the training has 3; only the new head learns, so "learningRate" is never used. Lower "freezeEpochs" below 3 to fine-tune the base too');
  assert.deepEqual(check(w, classifier({ from: 'pretrain-1', freezeEpochs: 2 })).diagnostics, []);
});

test('a Transformer config gets the trainer\'s own verdict: a base for a task it does not fine-tune is refused, data.tokenizer is said to be ignored', (t) => {
  const w = workspace(t);
  const regression = { name: 'r', task: 'regression', data: { source: 'intents.jsonl', text: 'text', target: 'intent' }, model: { type: 'transformerEncoder', base: 'pretrain-1' }, training: { epochs: 2 } };
  // (The text rules' own problems with a regression Transformer are not this test's: only the base's is looked at.)
  assert.deepEqual(check(w, regression).diagnostics, [], 'text regression on an encoder base: a new Dense(1) head');
  const onDecoder = check(w, { ...regression, model: { type: 'transformerDecoder', base: 'pretrain-1' } }).diagnostics.find((x) => x.path === 'model.base');
  assert.ok(onDecoder);
  assert.match(onDecoder.message, /^model\.base: the trainer fine-tunes a text classifier, a text regression model .* from a base, not a regression transformerDecoder$/);
  // A decoder base: the same sentence as for a classifier.
  const r = check(w, { ...regression, model: { type: 'transformerEncoder', base: 'writer-1' } });
  const d = only(r.diagnostics);
  assert.equal(r.at(d), '"writer-1"');
  assert.equal(
    d.message,
    `model.base: run "writer-1" (${join(w.runsDir, 'writer-1')}) is a Transformer decoder (a language model) (task "language-model"); its attention only looks back, so it cannot be the base of a text regression model, which reads the whole text — pretrain an encoder with "task": "masked-language-model" (or start from a text classifier's run)`,
  );
  const withTokenizer = { ...classifier('pretrain-1'), data: { source: 'intents.jsonl', text: 'text', target: 'intent', tokenizer: { type: 'char' } } };
  const info = only(check(w, withTokenizer).diagnostics, 'info');
  assert.equal(info.path, 'data.tokenizer');
  assert.match(info.message, /^data\.tokenizer is ignored: the run takes the base's tokenizer \(word, \d+ tokens\)$/);
});

test('channels left to the default against a grayscale base: the quick fix inserts the base\'s "channels", comments and layout kept, and the config validates', (t) => {
  const w = workspace(t);
  const text = `{
  "name": "digits-5-7",
  "task": "classification",
  "data": {
    "source": "digits",
    "split": { "validation": 0.2, "test": 0 },
    "image": {
      // the base's size
      "size": [12, 12]
    }
  },
  "model": { "base": "digits-1", "layers": [{ "type": "flatten" }, { "type": "dense", "units": 3, "activation": "softmax" }] },
  "training": { "epochs": 3 }
}
`;
  writeFiles(w.project, { 'tune.experiment.json': text });
  const d = only(validateConfigText(text, w.configPath, { runsDir: w.runsDir }).diagnostics);
  assert.deepEqual(d.fix, { kind: 'addProperty', path: ['data', 'image'], key: 'channels', value: 1 });
  const fixed = applyEdits(text, configFixEdits(text, d.fix!)!);
  assert.equal(fixed, text.replace('"size": [12, 12]\n', '"size": [12, 12],\n      "channels": 1\n'));
  assert.deepEqual(validateConfigText(fixed, w.configPath, { runsDir: w.runsDir }).diagnostics, []);
  // Once there, the fix has nothing to add.
  assert.equal(configFixEdits(fixed, d.fix!), undefined);
  // A one-line image object: the property goes after the last one on the same line.
  const inline = '{ "image": { "size": [12, 12] } }';
  assert.equal(applyEdits(inline, configFixEdits(inline, { kind: 'addProperty', path: ['image'], key: 'channels', value: 1 })!), '{ "image": { "size": [12, 12], "channels": 1 } }');
});
