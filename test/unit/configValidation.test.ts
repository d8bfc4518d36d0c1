import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { didYouMean, formatDiagnostic, validateConfigText } from '../../src/node/configValidation';
import type { ConfigDiagnostic } from '../../src/node/configValidation';
import { resolveConfig } from '../../src/core/resolvedConfig';
import { linearCsv, regressionConfig, tempDir, writeFiles } from '../helpers/fixtures';

const exampleConfig = join(__dirname, '../../examples/house-prices/house-prices.experiment.json');

function errors(ds: ConfigDiagnostic[]): ConfigDiagnostic[] {
  return ds.filter((d) => d.severity === 'error');
}

/** The text a diagnostic underlines. */
function underlined(text: string, d: ConfigDiagnostic): string {
  return text.slice(d.offset, d.offset + d.length);
}

function setup(configText: string): { dir: string; path: string } {
  const dir = tempDir();
  writeFiles(dir, { 'data.csv': linearCsv(50), 'exp.experiment.json': configText });
  return { dir, path: join(dir, 'exp.experiment.json') };
}

test('the bundled example validates with no problems', () => {
  const text = readFileSync(exampleConfig, 'utf8');
  const r = validateConfigText(text, exampleConfig);
  assert.deepEqual(r.diagnostics, []);
  assert.equal(r.config?.name, 'house-prices');
});

test('an unknown key is underlined and gets a "did you mean"', () => {
  const text = regressionConfig().replace('"epochs": 15', '"epoch": 15');
  const { path } = setup(text);
  const [d] = errors(validateConfigText(text, path).diagnostics);
  assert.match(d.message, /unknown property "epoch" — did you mean "epochs"\?/);
  assert.equal(underlined(text, d), '"epoch"');
  assert.equal(d.path, 'training.epoch');
});

test('an unknown column names the column, its position and a suggestion', () => {
  const text = regressionConfig().replace('"x2"', '"x22"');
  const { path } = setup(text);
  const [d] = errors(validateConfigText(text, path).diagnostics);
  assert.equal(underlined(text, d), '"x22"');
  assert.match(d.message, /unknown column "x22" — did you mean "x2"\?/);
  // 0-based line/column of the underlined string
  const lines = text.split('\n');
  assert.equal(lines[d.line].indexOf('"x22"'), d.column);
});

test('a missing data file is reported on the source value', () => {
  const text = regressionConfig().replace('"data.csv"', '"nope.csv"');
  const { path } = setup(text);
  const [d] = errors(validateConfigText(text, path).diagnostics);
  assert.equal(underlined(text, d), '"nope.csv"');
  assert.match(d.message, /data file not found: nope\.csv/);
});

test('every problem at once: schema errors and a missing data file (or an unknown column) in one pass, each on its value', () => {
  // The model section breaks the schema (an unknown key, a layer without units); the data file is missing too.
  const broken = regressionConfig({ model: { layers: [{ type: 'dense', units: 16, activaton: 'relu' }, { type: 'dense' }] } });
  const missing = broken.replace('"data.csv"', '"nope.csv"');
  const { path } = setup(missing);
  const ds = errors(validateConfigText(missing, path).diagnostics);
  assert.equal(validateConfigText(missing, path).config, undefined);
  assert.deepEqual(
    ds.map((d) => [d.path, underlined(missing, d)]),
    [
      ['model.layers[0].activaton', '"activaton"'],
      ['model.layers[1]', '{'],
      ['data.source', '"nope.csv"'],
    ],
    ds.map((d) => d.message).join('\n'),
  );
  assert.match(ds[0].message, /did you mean "activation"/);
  assert.match(ds[2].message, /data file not found: nope\.csv/);
  // The file is there but a feature is not one of its columns: said with the schema's errors too.
  const column = broken.replace('"x3"', '"x4"');
  const ds2 = errors(validateConfigText(column, setup(column).path).diagnostics);
  assert.deepEqual(ds2.map((d) => d.path), ['model.layers[0].activaton', 'model.layers[1]', 'data.features[2]']);
  assert.match(ds2[2].message, /unknown column "x4"/);
  // And by the CLI, whose validate prints them all (exit 1).
  const out = spawnSync(process.execPath, ['--import', 'tsx', join(__dirname, '../../src/cli/main.ts'), 'validate', path], { encoding: 'utf8' });
  assert.equal(out.status, 1);
  assert.deepEqual(out.stdout.trim().split('\n').map((l) => l.slice(path.length + 1).replace(/^\d+:\d+: /, '').slice(0, 40)), ds.map((d) => `error: ${d.message}`.slice(0, 40)));
});

test('a loss that does not fit the task is an error on the loss', () => {
  const text = regressionConfig().replace('"loss": "mse"', '"loss": "categoricalCrossentropy"');
  const { path } = setup(text);
  const ds = errors(validateConfigText(text, path).diagnostics);
  assert.equal(ds.length, 1);
  assert.equal(underlined(text, ds[0]), '"categoricalCrossentropy"');
  assert.match(ds[0].message, /does not fit task "regression"/);
});

test('impossible layer settings: a regression output with 3 units, zero units', () => {
  const text = regressionConfig().replace('{ "type": "dense", "units": 1 }', '').replace('"units": 1\n', '"units": 3\n');
  const cfg = JSON.parse(regressionConfig());
  cfg.model.layers[1].units = 3;
  const t1 = JSON.stringify(cfg, null, 2);
  const { path } = setup(t1);
  const [d] = errors(validateConfigText(t1, path).diagnostics);
  assert.match(d.message, /needs "units": 1, not 3/);
  assert.equal(underlined(t1, d), '3');

  cfg.model.layers[1].units = 0;
  const t2 = JSON.stringify(cfg, null, 2);
  const [d2] = errors(validateConfigText(t2, path).diagnostics);
  assert.match(d2.message, /model\.layers\[1\]\.units: must be >= 1/);
  assert.equal(underlined(t2, d2), '0');
  assert.ok(text.length > 0);
});

test('a dense layer missing "units" and a wrong type are reported where they are', () => {
  const cfg = JSON.parse(regressionConfig());
  delete cfg.model.layers[0].units;
  cfg.training.epochs = 'ten';
  const text = JSON.stringify(cfg, null, 2);
  const { path } = setup(text);
  const ds = errors(validateConfigText(text, path).diagnostics);
  const messages = ds.map((d) => d.message).sort();
  assert.deepEqual(messages, ['model.layers[0]: missing required property "units"', 'training.epochs: must be a whole number']);
  assert.equal(underlined(text, ds.find((d) => d.path === 'training.epochs')!), '"ten"');
});

test('JSON syntax errors give a position; comments and trailing commas are allowed', () => {
  const good = '{\n  // a comment\n  "name": "x",\n}';
  const r1 = validateConfigText(good, '/tmp/x.experiment.json');
  assert.ok(!r1.diagnostics.some((d) => d.message.startsWith('JSON syntax')));
  const bad = '{\n  "name": "x"\n  "task": "regression"\n}';
  const [d] = validateConfigText(bad, '/tmp/x.experiment.json').diagnostics;
  assert.match(d.message, /JSON syntax: "," expected/);
  assert.equal(d.line, 2);
  assert.equal(formatDiagnostic('x.experiment.json', d), 'x.experiment.json:3:3: error: JSON syntax: "," expected');
});

test('the target listed as a feature, and too large splits, are errors', () => {
  const cfg = JSON.parse(regressionConfig());
  cfg.data.features.push('y');
  cfg.data.split = { validation: 0.5, test: 0.45 };
  const text = JSON.stringify(cfg, null, 2);
  const { path } = setup(text);
  const ms = errors(validateConfigText(text, path).diagnostics).map((d) => d.message);
  assert.ok(ms.some((m) => /target "y" is also listed as a feature/.test(m)), ms.join('\n'));
  assert.ok(ms.some((m) => /leaving too little to train on/.test(m)), ms.join('\n'));
});

test('separate train/validation/test files are accepted; source and train together are not', () => {
  const cfg = JSON.parse(regressionConfig());
  delete cfg.data.source;
  delete cfg.data.split;
  Object.assign(cfg.data, { train: 'data.csv', validation: 'data.csv', test: 'data.csv' });
  const text = JSON.stringify(cfg, null, 2);
  const { path } = setup(text);
  assert.deepEqual(errors(validateConfigText(text, path).diagnostics), []);
  cfg.data.source = 'data.csv';
  const t2 = JSON.stringify(cfg, null, 2);
  assert.match(errors(validateConfigText(t2, path).diagnostics)[0].message, /either "source".*or "train"/);
});

test('classification checks: softmax needed for several units; binary needs one sigmoid unit', () => {
  const dir = tempDir();
  writeFiles(dir, { 'd.csv': 'a,b,label\n1,2,x\n3,4,y\n' });
  const base = {
    name: 'c',
    task: 'classification',
    data: { source: 'd.csv', features: ['a', 'b'], target: 'label' },
    model: { layers: [{ type: 'dense', units: 2 }] },
    training: { loss: 'sparseCategoricalCrossentropy' },
  };
  const p = join(dir, 'c.experiment.json');
  const m1 = errors(validateConfigText(JSON.stringify(base), p).diagnostics).map((d) => d.message);
  // Two units for the data's two classes: the output layer, lacking its softmax (the count comes from the data).
  assert.deepEqual(m1, ['a classifier with several output units needs "activation": "softmax" on the last layer (its 2 units score the 2 classes)']);
  const binary = { ...base, training: { loss: 'binaryCrossentropy' } };
  const m2 = errors(validateConfigText(JSON.stringify(binary), p).diagnostics).map((d) => d.message);
  assert.deepEqual(m2, ['"binaryCrossentropy" needs one output unit with "sigmoid", not 2 units']);
});

test('did-you-mean picks close words only', () => {
  assert.equal(didYouMean('learningrate', ['learningRate', 'momentum']), 'learningRate');
  assert.equal(didYouMean('zzz', ['learningRate', 'momentum']), undefined);
});

test('defaults are filled in by resolveConfig', () => {
  const cfg = JSON.parse(regressionConfig());
  cfg.training = {};
  const r = resolveConfig(cfg);
  assert.equal(r.training.epochs, 10);
  assert.equal(r.training.batchSize, 32);
  assert.equal(r.training.optimizer.type, 'adam');
  assert.equal(r.training.optimizer.learningRate, 0.001);
  assert.equal(r.training.loss, 'mse');
  // No checkpoint unless asked: the run keeps its last epoch, as Keras does.
  assert.equal(r.training.checkpoint, undefined);
});
