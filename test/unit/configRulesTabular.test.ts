import assert from 'node:assert/strict';
import { test } from 'node:test';
import { checkTabularExperiment } from '../../src/core/configRules/tabular';
import type { ExperimentConfig } from '../../src/core/types';

function check(config: Partial<ExperimentConfig> & { data?: Partial<ExperimentConfig['data']> }, columns: string[] | null = ['x1', 'x2', 'y', 'city']): string[] {
  const full = {
    name: 't',
    task: 'regression',
    model: { layers: [{ type: 'dense', units: 1 }] },
    training: {},
    ...config,
    data: { source: 'd.csv', features: ['x1', 'x2'], target: 'y', ...config.data },
  } as ExperimentConfig;
  const out: string[] = [];
  checkTabularExperiment(full, columns ?? undefined, (path, severity, message, keyOnly) => out.push(`${path.join('.')} ${severity}${keyOnly ? ' key' : ''}: ${message}`));
  return out;
}

test('a plain regression config passes', () => {
  assert.deepEqual(check({}), []);
  assert.deepEqual(check({}, null), []);
});

test('columns: features, target, tokenizer, unknown columns in every place, target as feature', () => {
  assert.deepEqual(check({ data: { features: undefined, target: undefined } as Partial<ExperimentConfig['data']> }), ['data error: missing "features": the input columns', 'data error: missing "target": the column to predict']);
  assert.deepEqual(check({ data: { tokenizer: { type: 'word' } } as Partial<ExperimentConfig['data']> }), ['data.tokenizer warning key: the inputs are numeric columns, not text; "tokenizer" is ignored']);
  assert.deepEqual(check({ data: { features: ['x1', 'x9'], target: 'yy', preprocess: [{ standardize: ['x9'] }, { fillMissing: { strategy: 'mean', columns: ['x1', 'q'] } }, { standardize: 'features' }] } }), [
    'data.features.1 error: unknown column "x9" — did you mean "x1"? (the data has: x1, x2, y, city)',
    'data.target error: unknown column "yy" — did you mean "y"? (the data has: x1, x2, y, city)',
    'data.preprocess.0.standardize.0 error: unknown column "x9" — did you mean "x1"? (the data has: x1, x2, y, city)',
    'data.preprocess.1.fillMissing.columns.1 error: unknown column "q" — did you mean "y"? (the data has: x1, x2, y, city)',
  ]);
  // without known columns nothing is said about them
  assert.deepEqual(check({ data: { features: ['x9'], target: 'yy' } }, null), []);
  assert.deepEqual(check({ data: { features: ['x1', 'y'] } }), ['data.features.1 error: the target "y" is also listed as a feature']);
});

test('preprocess steps name features (or the target); constant needs a value', () => {
  assert.deepEqual(check({ data: { preprocess: [{ standardize: ['x1', 'y'] }, { minMax: ['x2'] }, { oneHot: ['x1'] }] } }), []);
  assert.deepEqual(check({ data: { preprocess: [{ minMax: ['city'] }] } }), ['data.preprocess.0.minMax.0 error: "city" is not one of the features']);
  assert.deepEqual(check({ data: { preprocess: [{ fillMissing: { strategy: 'constant' } }] } }), ['data.preprocess.0.fillMissing error: strategy "constant" needs a "value"']);
  assert.deepEqual(check({ data: { preprocess: [{ fillMissing: { strategy: 'constant', value: 0 } }, { fillMissing: { strategy: 'mean', columns: ['city'] } }] } }), []);
});

test('the model: a dense output layer that fits regression', () => {
  assert.deepEqual(check({ model: { layers: [{ type: 'dropout', rate: 0.1 }] } as ExperimentConfig['model'] }), ['model.layers error: the model needs at least one dense layer']);
  assert.deepEqual(check({ model: { layers: [{ type: 'dense', units: 4 }, { type: 'dense', units: 3 }] } as ExperimentConfig['model'] }), ['model.layers.1.units error: a regression model predicts one number: the last dense layer needs "units": 1, not 3']);
  assert.deepEqual(check({ model: { layers: [{ type: 'dense', units: 1, activation: 'sigmoid' }] } as ExperimentConfig['model'] }), ['model.layers.0.activation warning: "sigmoid" squashes the output of a regression model; targets outside its range cannot be reached']);
  assert.deepEqual(check({ model: { layers: [{ type: 'dense', units: 1 }, { type: 'activation', activation: 'softmax' }] } as ExperimentConfig['model'] }), ['model.layers.0.activation warning: "softmax" squashes the output of a regression model; targets outside its range cannot be reached']);
  // the last activation layer after the output decides
  assert.deepEqual(check({ model: { layers: [{ type: 'dense', units: 1, activation: 'sigmoid' }, { type: 'activation', activation: 'linear' }] } as ExperimentConfig['model'] }), []);
  for (const type of ['dropout', 'batchNormalization', 'layerNormalization']) {
    assert.deepEqual(check({ model: { layers: [{ type: 'dense', units: 2 }, { type: 'dense', units: 1 }, { type, rate: 0.1 }] } as unknown as ExperimentConfig['model'] }), ['model.layers.2 warning: a normalization or dropout layer after the output layer changes the predictions; put it before the last dense layer']);
  }
  assert.deepEqual(check({ training: { loss: 'categoricalCrossentropy' } }), ['training.loss error: loss "categoricalCrossentropy" does not fit task "regression"; use "mse", "mae" or "huber"']);
  assert.deepEqual(check({ training: { loss: 'huber', metrics: ['mae', 'accuracy'] } } as Partial<ExperimentConfig>), ['training.metrics.1 error: "accuracy" is a classification metric; use "mae" or "mse"']);
  assert.deepEqual(check({ evaluation: { metrics: ['rmse', 'accuracy', 'precision', 'recall', 'f1'] } } as Partial<ExperimentConfig>), [
    'evaluation.metrics.1 error: "accuracy" is a classification metric',
    'evaluation.metrics.2 error: "precision" is a classification metric',
    'evaluation.metrics.3 error: "recall" is a classification metric',
    'evaluation.metrics.4 error: "f1" is a classification metric',
  ]);
});

test('the model: outputs and losses that fit classification', () => {
  const cls = (model: unknown, training: Record<string, unknown> = {}, extra: Record<string, unknown> = {}) => check({ task: 'classification', model: model as ExperimentConfig['model'], training: training as ExperimentConfig['training'], ...extra });
  assert.deepEqual(cls({ layers: [{ type: 'dense', units: 3, activation: 'softmax' }] }, { loss: 'sparseCategoricalCrossentropy' }), []);
  assert.deepEqual(cls({ layers: [{ type: 'dense', units: 3, activation: 'softmax' }] }), []);
  assert.deepEqual(cls({ layers: [{ type: 'dense', units: 3, activation: 'softmax' }] }, { loss: 'mse' }), ['training.loss error: loss "mse" does not fit task "classification"; use a cross-entropy']);
  assert.deepEqual(cls({ layers: [{ type: 'dense', units: 1, activation: 'sigmoid' }] }, { loss: 'binaryCrossentropy' }), []);
  assert.deepEqual(cls({ layers: [{ type: 'dense', units: 2, activation: 'sigmoid' }] }, { loss: 'binaryCrossentropy' }), ['model.layers.0.units error: "binaryCrossentropy" needs one output unit with "sigmoid", not 2 units']);
  assert.deepEqual(cls({ layers: [{ type: 'dense', units: 1 }] }, { loss: 'binaryCrossentropy' }), ['model.layers.0 error: "binaryCrossentropy" needs the last layer to use "activation": "sigmoid"']);
  assert.deepEqual(cls({ layers: [{ type: 'dense', units: 1, activation: 'sigmoid' }] }, { loss: 'categoricalCrossentropy' }), ['model.layers.0.units error: "categoricalCrossentropy" needs one output unit per class; for two classes use 2 units with "softmax", or 1 unit with "sigmoid" and "binaryCrossentropy"']);
  assert.deepEqual(cls({ layers: [{ type: 'dense', units: 1, activation: 'sigmoid' }] }), []);
  assert.deepEqual(cls({ layers: [{ type: 'dense', units: 3 }] }), ['model.layers.0 error: a classifier with several output units needs "activation": "softmax" on the last layer']);
  assert.deepEqual(cls({ layers: [{ type: 'dense', units: 3, activation: 'softmax' }] }, {}, { evaluation: { metrics: ['accuracy', 'r2', 'rmse', 'mae'] } }), ['evaluation.metrics.1 error: "r2" is a regression metric', 'evaluation.metrics.2 error: "rmse" is a regression metric']);
});
