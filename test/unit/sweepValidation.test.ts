// The sweep section is checked like the rest of the config: each parameter
// must lead somewhere, each value must make a valid config, and each problem
// is reported on the parameter or value that causes it.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { validateConfigText } from '../../src/node/configValidation';
import type { ConfigDiagnostic } from '../../src/node/configValidation';
import { configForSweepPoint } from '../../src/node/sweepPoint';
import { linearCsv, regressionConfig, tempDir, writeFiles } from '../helpers/fixtures';

const sweepExample = join(import.meta.dirname, '../../examples/house-prices/house-prices-sweep.experiment.json');

/** A regression config (data.csv beside it) with this sweep section. */
function withSweep(sweep: unknown, extra: Record<string, unknown> = {}): { text: string; path: string } {
  const text = regressionConfig({ ...extra, sweep });
  const dir = tempDir();
  writeFiles(dir, { 'data.csv': linearCsv(50), 'exp.experiment.json': text });
  return { text, path: join(dir, 'exp.experiment.json') };
}

function check(sweep: unknown, extra?: Record<string, unknown>): { text: string; diagnostics: ConfigDiagnostic[]; shown: string[] } {
  const { text, path } = withSweep(sweep, extra);
  const { diagnostics } = validateConfigText(text, path);
  // "severity underlined-text: message", easy to compare
  return { text, diagnostics, shown: diagnostics.map((d) => `${d.severity} ${text.slice(d.offset, d.offset + d.length)}: ${d.message}`) };
}

test('the bundled sweep example validates with no problems', () => {
  const r = validateConfigText(readFileSync(sweepExample, 'utf8'), sweepExample);
  assert.deepEqual(r.diagnostics, []);
  assert.deepEqual(Object.keys(r.config!.sweep!.parameters), ['training.optimizer.learningRate', 'model.layers[0].units']);
});

test('a value that breaks the config is reported on that value, with the reason', () => {
  const r = check({ parameters: { 'training.optimizer.learningRate': [0.001, 50], 'model.layers[1].units': [1, 3] } });
  assert.deepEqual(r.shown, [
    'error 50: with training.optimizer.learningRate = 50: training.optimizer.learningRate: must be <= 10',
    'error 3: with model.layers[1].units = 3: a regression model predicts one number: the last dense layer needs "units": 1, not 3',
  ]);
});

test('a path that leads nowhere is reported on the parameter key', () => {
  const r = check({
    parameters: {
      'training.optimizer.learningrate': [0.001, 0.01],
      'model.layers[4].units': [8],
      'training.epochs.count': [3],
      'model..layers': [1],
      'sweep.count': [2],
    },
  });
  assert.deepEqual(r.shown, [
    'error "training.optimizer.learningrate": with this parameter: unknown property "learningrate" — did you mean "learningRate"?',
    'error "model.layers[4].units": model.layers[4].units: model.layers has 2 items, so there is no [4]',
    'error "training.epochs.count": training.epochs.count: training.epochs is a number, not an object, so it has no "count"',
    'error "model..layers": "model..layers" is not a config path: expected keys joined by "." and list indexes like [0] (e.g. "model.layers[0].units"); see character 7',
    'error "sweep.count": a sweep cannot vary its own settings',
  ]);
});

test('grid and random rules: ranges only for random, random needs a count, sane ranges, known metric', () => {
  assert.deepEqual(check({ parameters: { 'training.batchSize': { min: 8, max: 64 } }, count: 3 }).shown, [
    'warning 3: "count" is for random and bayes sweeps; a grid runs every combination',
    'error "training.batchSize": a grid needs a list of values, e.g. [0.001, 0.01]; a range { "min", "max" } is for "method": "random" or "bayes"',
  ]);
  assert.deepEqual(check({ method: 'random', parameters: { 'training.optimizer.learningRate': { min: 0, max: 0.1, scale: 'log' } } }).shown, [
    'error "sweep": a random sweep needs "count": how many points to draw',
    'error 0: a log scale needs "min" > 0',
  ]);
  assert.deepEqual(check({ method: 'random', count: 4, parameters: { 'training.batchSize': { min: 64, max: 8, integer: true } } }).shown, [
    'error 8: "max" must be greater than "min" (64)',
    'error 8: no whole number lies between 64 and 8',
  ]);
  // the ends of a range are tried against the config like list values
  assert.deepEqual(check({ method: 'random', count: 4, parameters: { 'training.optimizer.learningRate': { min: 0.001, max: 20 } } }).shown, [
    'error 20: with training.optimizer.learningRate = 20: training.optimizer.learningRate: must be <= 10',
  ]);
  assert.deepEqual(check({ parameters: { 'training.epochs': [2, 3, 2] }, metric: 'val_acc' }).shown, [
    'warning 2: repeats value 1 of this list, so the same run is trained twice',
    'warning "val_acc": the runs do not log "val_acc"; they log "loss", "mae", "val_loss", "val_mae", "lr"',
  ]);
  const noValidation = { data: { source: 'data.csv', features: ['x1', 'x2', 'x3'], target: 'y', split: { validation: 0, test: 0.2 } } };
  assert.deepEqual(check({ parameters: { 'training.epochs': [2, 3] }, metric: 'val_loss' }, noValidation).shown, ['error "val_loss": "val_loss" is measured on validation data, and this experiment has none']);
  // schema: a parameter is a list or a range; an empty list is an error
  assert.deepEqual(check({ parameters: { 'training.epochs': [] } }).shown, ['error [: sweep.parameters.training.epochs: must have at least 1 item']);
  assert.deepEqual(check({ parameters: { 'training.epochs': 5 } }).shown, ['error 5: sweep.parameters.training.epochs: must be an object']);
});

test('a sweep point is the config without its sweep section, overridden, and validated again', () => {
  const { text, path } = withSweep({ parameters: { 'training.optimizer.learningRate': [0.01] } });
  const config = validateConfigText(text, path).config!;
  const point = configForSweepPoint(path, config, { 'training.optimizer.learningRate': 0.05, 'model.layers[0].units': 4 });
  assert.deepEqual(point.diagnostics, []);
  assert.equal(point.config!.training.optimizer!.learningRate, 0.05);
  assert.deepEqual(JSON.parse(JSON.stringify(point.config!.model)), { layers: [{ type: 'dense', units: 4, activation: 'relu' }, { type: 'dense', units: 1 }] });
  assert.equal('sweep' in point.config!, false);
  assert.equal(config.training.optimizer!.learningRate, 0.01, 'the file\'s config is untouched');

  const bad = configForSweepPoint(path, config, { 'training.loss': 'binaryCrossentropy' });
  assert.equal(bad.config, undefined);
  assert.match(bad.diagnostics[0].message, /^sweep point loss=binaryCrossentropy: loss "binaryCrossentropy" does not fit task "regression"/);
  const nowhere = configForSweepPoint(path, config, { 'model.layers[9].units': 4 });
  assert.match(nowhere.diagnostics[0].message, /model\.layers has 2 items/);
});
