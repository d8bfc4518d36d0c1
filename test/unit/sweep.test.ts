// Sweep expansion (grid and seeded random) and config overrides by path.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  applyOverrides,
  ConfigPathError,
  describeParams,
  expandSweep,
  formatConfigPath,
  MAX_SWEEP_POINTS,
  parseConfigPath,
  setAtPath,
  shortParamNames,
  sweepSize,
} from '../../src/core/sweep';
import type { SweepConfig } from '../../src/core/types';
import { goalFor } from '../../src/core/metrics';

test('config paths: keys joined by dots, list indexes in brackets', () => {
  assert.deepEqual(parseConfigPath('training.optimizer.learningRate'), ['training', 'optimizer', 'learningRate']);
  assert.deepEqual(parseConfigPath('model.layers[0].units'), ['model', 'layers', 0, 'units']);
  assert.deepEqual(parseConfigPath('data.preprocess[1].oneHot[0]'), ['data', 'preprocess', 1, 'oneHot', 0]);
  assert.equal(formatConfigPath(['model', 'layers', 12, 'units']), 'model.layers[12].units');
  for (const bad of ['', '.a', 'a.', 'a..b', '[0]', 'a[x]', 'a[-1]', 'a b', 'model.layers.[0]']) {
    assert.throws(() => parseConfigPath(bad), ConfigPathError, bad);
  }
});

test('setting a path copies only what it changes and never mutates the original', () => {
  const config = { training: { optimizer: { type: 'adam', learningRate: 0.001 }, epochs: 10 }, model: { layers: [{ units: 64 }, { units: 1 }] } };
  const frozen = JSON.stringify(config);
  const lr = setAtPath(config, ['training', 'optimizer', 'learningRate'], 0.01);
  assert.equal(lr.training.optimizer.learningRate, 0.01);
  assert.equal(lr.model, config.model, 'untouched branches are shared');
  const units = setAtPath(config, ['model', 'layers', 0, 'units'], 8);
  assert.deepEqual(units.model.layers, [{ units: 8 }, { units: 1 }]);
  assert.equal(units.model.layers[1], config.model.layers[1]);
  // Missing object keys are created…
  assert.deepEqual(setAtPath(config, ['training', 'earlyStopping', 'patience'], 3).training, { ...config.training, earlyStopping: { patience: 3 } });
  assert.equal(JSON.stringify(config), frozen);
  // …but lists never grow, and a number has no keys.
  assert.throws(() => setAtPath(config, ['model', 'layers', 2, 'units'], 1), /model\.layers has 2 items, so there is no \[2\]/);
  assert.throws(() => setAtPath(config, ['training', 'epochs', 'x'], 1), /training\.epochs is a number, not an object/);
  assert.throws(() => setAtPath(config, ['training', 0], 1), /training is an object, not a list/);

  const both = applyOverrides(config, { 'training.optimizer.learningRate': 0.03, 'model.layers[0].units': 16 });
  assert.equal(both.training.optimizer.learningRate, 0.03);
  assert.equal(both.model.layers[0].units, 16);
});

test('a grid is the cartesian product, the last parameter varying fastest', () => {
  const sweep: SweepConfig = { parameters: { 'training.optimizer.learningRate': [0.001, 0.01, 0.1], 'model.layers[0].units': [16, 64] } };
  assert.equal(sweepSize(sweep), 6);
  const points = expandSweep(sweep);
  assert.deepEqual(
    points.map((p) => [p.index, p.params['training.optimizer.learningRate'], p.params['model.layers[0].units']]),
    [[0, 0.001, 16], [1, 0.001, 64], [2, 0.01, 16], [3, 0.01, 64], [4, 0.1, 16], [5, 0.1, 64]],
  );
  // parameters keep their written order in every point
  assert.deepEqual(Object.keys(points[3].params), ['training.optimizer.learningRate', 'model.layers[0].units']);
  // three parameters: 2 × 3 × 2, every combination exactly once
  const three = expandSweep({ parameters: { a: [1, 2], b: ['x', 'y', 'z'], c: [true, false] } });
  assert.equal(three.length, 12);
  assert.equal(new Set(three.map((p) => JSON.stringify(p.params))).size, 12);
  // values may be anything JSON: strings, objects
  assert.deepEqual(expandSweep({ parameters: { 'model.layers[0]': [{ type: 'dense', units: 4 }] } })[0].params, { 'model.layers[0]': { type: 'dense', units: 4 } });
  assert.throws(() => expandSweep({ parameters: { a: Array.from({ length: 40 }, (_, i) => i), b: Array.from({ length: 40 }, (_, i) => i) } }), new RegExp(`at most ${MAX_SWEEP_POINTS}`));
});

test('random points are reproducible from the seed, inside their ranges, and whole where asked', () => {
  const sweep: SweepConfig = {
    method: 'random',
    count: 200,
    seed: 7,
    parameters: {
      lr: { min: 1e-4, max: 1e-1, scale: 'log' },
      dropout: { min: 0, max: 0.5 },
      units: { min: 8, max: 128, integer: true },
      activation: ['relu', 'tanh', 'gelu'],
    },
  };
  const a = expandSweep(sweep);
  assert.equal(a.length, 200);
  assert.deepEqual(expandSweep(sweep), a, 'same seed, same points');
  assert.notDeepEqual(expandSweep({ ...sweep, seed: 8 }), a, 'another seed, other points');
  for (const { params } of a) {
    const lr = params.lr as number;
    const dropout = params.dropout as number;
    const units = params.units as number;
    assert.ok(lr >= 1e-4 && lr <= 1e-1, `lr ${lr}`);
    assert.ok(dropout >= 0 && dropout <= 0.5, `dropout ${dropout}`);
    assert.ok(Number.isInteger(units) && units >= 8 && units <= 128, `units ${units}`);
    assert.ok(['relu', 'tanh', 'gelu'].includes(params.activation as string));
    // four significant digits, not 0.0031622776601683794
    assert.ok(String(lr).replace(/^0\.0*|e.*$/g, '').replace('.', '').length <= 4, `lr ${lr}`);
  }
  // log scale: each decade gets about a third of the draws (a linear draw would put ~90% in the last one)
  const decades = [0, 0, 0];
  for (const { params } of a) decades[Math.min(2, Math.floor(Math.log10((params.lr as number) / 1e-4)))]++;
  for (const n of decades) assert.ok(n > 200 / 3 - 25 && n < 200 / 3 + 25, `decades ${decades}`);
  // every listed value gets drawn
  assert.equal(new Set(a.map((p) => p.params.activation)).size, 3);
  // log-scale integers reach both ends
  const widths = expandSweep({ method: 'random', count: 300, parameters: { u: { min: 1, max: 4, integer: true, scale: 'log' } } }).map((p) => p.params.u);
  assert.deepEqual([...new Set(widths)].sort(), [1, 2, 3, 4]);
});

test('short parameter names: the last key, longer only to tell two apart', () => {
  assert.deepEqual(shortParamNames(['training.optimizer.learningRate', 'model.layers[0].units']), {
    'training.optimizer.learningRate': 'learningRate',
    'model.layers[0].units': 'units',
  });
  assert.deepEqual(shortParamNames(['model.layers[0].units', 'model.layers[1].units']), {
    'model.layers[0].units': 'layers[0].units',
    'model.layers[1].units': 'layers[1].units',
  });
  assert.equal(describeParams({ 'training.optimizer.learningRate': 0.0003, 'model.layers[0].activation': 'relu' }), 'learningRate=0.0003, activation=relu');
});

test('the goal follows the metric unless given', () => {
  assert.equal(goalFor('val_loss'), 'minimize');
  assert.equal(goalFor('val_mae'), 'minimize');
  assert.equal(goalFor('val_accuracy'), 'maximize');
  assert.equal(goalFor('val_loss', 'maximize'), 'maximize');
});
