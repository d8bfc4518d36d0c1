import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DEFAULT_SEQUENCE_LENGTH, defaultLoss, isRecommenderModel, isTextExperiment, isTransformerModel, keptEpoch, resolveConfig, resolveTokenizer, resolveTransformer } from '../../src/core/resolvedConfig';
import type { ExperimentConfig } from '../../src/core/types';

type Loose = Record<string, unknown>;
const cfg = (task: string, data: Loose, model: Loose, training: Loose = {}): ExperimentConfig => ({ name: 't', task, data: { ...data }, model, training } as unknown as ExperimentConfig);
const dense = (units: number, more: Loose[] = []) => ({ layers: [...more, { type: 'dense', units }] });

test('model kinds and text experiments', () => {
  assert.equal(isTransformerModel({ type: 'transformerEncoder' } as never), true);
  assert.equal(isTransformerModel({ type: 'transformerDecoder' } as never), true);
  assert.equal(isTransformerModel(dense(1) as never), false);
  assert.equal(isRecommenderModel({ type: 'matrixFactorization' } as never), true);
  assert.equal(isRecommenderModel({ type: 'neuralRecommender' } as never), true);
  assert.equal(isRecommenderModel({ type: 'transformerEncoder' } as never), false);
  assert.equal(isTextExperiment(cfg('language-model', {}, dense(1))), true);
  assert.equal(isTextExperiment(cfg('classification', { text: 't' }, dense(2))), true);
  assert.equal(isTextExperiment(cfg('classification', {}, { type: 'transformerEncoder' })), true);
  assert.equal(isTextExperiment(cfg('classification', { features: ['a'] }, dense(2))), false);
});

test('tokenizer defaults: words for classifiers, characters for language models; lengths from the model', () => {
  assert.deepEqual(resolveTokenizer(cfg('classification', { text: 't' }, { type: 'transformerEncoder' })), { type: 'word', lowercase: true, punctuation: 'split', vocabSize: 8000, maxLength: DEFAULT_SEQUENCE_LENGTH });
  assert.deepEqual(resolveTokenizer(cfg('language-model', {}, { type: 'transformerDecoder', maxLength: 128 })), { type: 'char', lowercase: false, punctuation: 'keep', vocabSize: 3000, maxLength: 128 });
  assert.deepEqual(resolveTokenizer(cfg('language-model', { tokenizer: { type: 'word', lowercase: false, punctuation: 'drop', vocabSize: 10, maxLength: 7 } }, { type: 'transformerDecoder', maxLength: 128 })), { type: 'word', lowercase: false, punctuation: 'drop', vocabSize: 10, maxLength: 7 });
  assert.equal(resolveTokenizer(cfg('classification', { text: 't' }, dense(2))).maxLength, 64);
  assert.equal(DEFAULT_SEQUENCE_LENGTH, 64);
});

test('Transformer defaults; its maxLength follows the tokenizer\'s', () => {
  assert.deepEqual(resolveTransformer({ type: 'transformerEncoder' } as never), { type: 'transformerEncoder', layers: 2, heads: 4, dModel: 64, ffDim: 128, dropout: 0.1, maxLength: 64, positional: 'learned', pooling: 'mean' });
  assert.deepEqual(resolveTransformer({ type: 'transformerDecoder', dModel: 32, layers: 1, heads: 2, dropout: 0, positional: 'sinusoidal', pooling: 'cls' } as never, { maxLength: 16 }), { type: 'transformerDecoder', layers: 1, heads: 2, dModel: 32, ffDim: 64, dropout: 0, maxLength: 16, positional: 'sinusoidal', pooling: 'cls' });
  assert.equal(resolveTransformer({ type: 'transformerEncoder', maxLength: 8, ffDim: 5 } as never, { maxLength: 16 }).maxLength, 8);
  assert.equal(resolveTransformer({ type: 'transformerEncoder', ffDim: 5 } as never).ffDim, 5);
});

test('default losses follow the task and the output layer', () => {
  assert.equal(defaultLoss(cfg('regression', {}, dense(1))), 'mse');
  assert.equal(defaultLoss(cfg('classification', {}, { type: 'transformerEncoder' })), 'sparseCategoricalCrossentropy');
  assert.equal(defaultLoss(cfg('recommendation', {}, { type: 'matrixFactorization' })), 'binaryCrossentropy');
  assert.equal(defaultLoss(cfg('classification', {}, { type: 'neuralRecommender' })), 'binaryCrossentropy');
  assert.equal(defaultLoss(cfg('classification', {}, dense(1))), 'binaryCrossentropy');
  assert.equal(defaultLoss(cfg('classification', {}, dense(3))), 'sparseCategoricalCrossentropy');
  // the last dense layer decides, whatever follows it
  assert.equal(defaultLoss(cfg('classification', {}, { layers: [{ type: 'dense', units: 4 }, { type: 'dense', units: 1 }, { type: 'activation', activation: 'sigmoid' }] })), 'binaryCrossentropy');
  assert.equal(defaultLoss(cfg('classification', {}, { layers: [{ type: 'dropout', rate: 0.1 }] })), 'sparseCategoricalCrossentropy');
});

test('resolveConfig fills every training default', () => {
  const r = resolveConfig(cfg('regression', { source: 'd.csv', features: ['a'], target: 'y' }, dense(1)));
  assert.deepEqual(r.data.split, { validation: 0.2, test: 0.1, seed: 42, shuffle: true });
  assert.equal('tokenizer' in r.data, false);
  assert.deepEqual(r.training, { optimizer: { type: 'adam', learningRate: 0.001 }, loss: 'mse', metrics: ['mae'], epochs: 10, batchSize: 32, seed: 1, shuffle: true, earlyStopping: undefined, reduceLrOnPlateau: undefined });
  // Nothing asks for the best epoch: the run keeps its last one, as Keras does.
  assert.deepEqual(keptEpoch(r.training), { epoch: 'last' });
  assert.deepEqual(resolveConfig(cfg('classification', { source: 'd.csv' }, dense(3))).training.metrics, ['accuracy']);
  assert.deepEqual(resolveConfig(cfg('language-model', { source: 'c.txt' }, { type: 'transformerDecoder' })).training.metrics, []);
  assert.deepEqual(resolveConfig(cfg('recommendation', { source: 'd.csv' }, { type: 'matrixFactorization' })).training.metrics, []);
  assert.equal(resolveConfig(cfg('regression', { source: 'd.csv' }, dense(1), { epochs: 5 }), { epochs: 2 }).training.epochs, 2);
  assert.equal(resolveConfig(cfg('regression', { source: 'd.csv' }, dense(1), { epochs: 5 })).training.epochs, 5);
});

test('resolveConfig keeps what is given and fills callbacks, monitoring loss without validation data', () => {
  const given = resolveConfig(
    cfg('regression', { source: 'd.csv', split: { validation: 0, seed: 7 } }, dense(1), {
      optimizer: { type: 'sgd', momentum: 0.9 },
      loss: 'huber',
      metrics: ['mse'],
      batchSize: 8,
      seed: 3,
      shuffle: false,
      earlyStopping: { patience: 9 },
      reduceLrOnPlateau: { factor: 0.1 },
      checkpoint: {},
    }),
  );
  assert.deepEqual(given.data.split, { validation: 0, test: 0.1, seed: 7, shuffle: true });
  assert.deepEqual(given.training.optimizer, { type: 'sgd', momentum: 0.9, learningRate: 0.001 });
  assert.equal(given.training.loss, 'huber');
  assert.deepEqual(given.training.metrics, ['mse']);
  assert.equal(given.training.batchSize, 8);
  assert.equal(given.training.seed, 3);
  assert.equal(given.training.shuffle, false);
  assert.deepEqual(given.training.earlyStopping, { monitor: 'loss', patience: 9, minDelta: 0, restoreBestWeights: true });
  assert.deepEqual(given.training.reduceLrOnPlateau, { monitor: 'loss', factor: 0.1, patience: 2, minLr: 0 });
  assert.deepEqual(given.training.checkpoint, { monitor: 'loss' });
  const own = resolveConfig(cfg('regression', { train: 'a.csv', validation: 'b.csv' }, dense(1), { earlyStopping: { monitor: 'val_mae', minDelta: 0.1, restoreBestWeights: false }, reduceLrOnPlateau: { monitor: 'loss', patience: 4, minLr: 1e-5 }, optimizer: { learningRate: 0.5 } }));
  assert.equal(own.data.split, undefined);
  assert.deepEqual(own.training.earlyStopping, { monitor: 'val_mae', patience: 3, minDelta: 0.1, restoreBestWeights: false });
  assert.deepEqual(own.training.reduceLrOnPlateau, { monitor: 'loss', factor: 0.5, patience: 4, minLr: 1e-5 });
  // No checkpoint section and early stopping without restoreBestWeights: the run keeps its last epoch.
  assert.equal(own.training.checkpoint, undefined);
  assert.deepEqual(keptEpoch(own.training), { epoch: 'last' });
  assert.deepEqual(keptEpoch(given.training), { epoch: 'best', monitor: 'loss', askedBy: 'training.checkpoint' });
  assert.deepEqual(own.training.optimizer, { type: 'adam', learningRate: 0.5 });
  const plain = resolveConfig(cfg('regression', { train: 'a.csv', split: { validation: 0 } }, dense(1)));
  assert.equal(plain.training.checkpoint, undefined);
  assert.deepEqual(keptEpoch(plain.training), { epoch: 'last' });
  // A train file without a validation file: a share of it validates, so the callbacks watch val_loss.
  const carved = resolveConfig(cfg('regression', { train: 'a.csv', test: 'b.csv' }, dense(1), { checkpoint: {}, earlyStopping: {} }));
  assert.deepEqual(carved.training.checkpoint, { monitor: 'val_loss' });
  assert.equal(carved.training.earlyStopping?.monitor, 'val_loss');
  // Early stopping alone restores its best by its own monitor (restoreBestWeights defaults to true).
  const es = resolveConfig(cfg('regression', { train: 'a.csv', validation: 'b.csv' }, dense(1), { earlyStopping: { monitor: 'val_mae' } }));
  assert.deepEqual(keptEpoch(es.training), { epoch: 'best', monitor: 'val_mae', askedBy: 'training.earlyStopping' });
  assert.deepEqual(carved.data.split, { validation: 0.2, seed: 42, shuffle: true });
});

test('resolveConfig of a text experiment: the tokenizer and the Transformer filled in', () => {
  const r = resolveConfig(cfg('classification', { source: 'd.csv', text: 't', target: 'y', tokenizer: { maxLength: 20 } }, { type: 'transformerEncoder' }));
  assert.deepEqual(r.data.tokenizer, { type: 'word', lowercase: true, punctuation: 'split', vocabSize: 8000, maxLength: 20 });
  assert.equal((r.model as { maxLength: number }).maxLength, 20);
  assert.equal(r.training.loss, 'sparseCategoricalCrossentropy');
});
