import assert from 'node:assert/strict';
import { test } from 'node:test';
import { checkRecommendationExperiment } from '../../src/core/configRules/recommender';
import { checkTextExperiment } from '../../src/core/configRules/text';
import type { ExperimentConfig } from '../../src/core/types';

type Loose = Record<string, unknown>;
function run(fn: typeof checkTextExperiment, task: string, data: Loose, model: Loose, rest: Loose = {}, columns: string[] | null = ['review', 'label', 'u', 'i']): string[] {
  const config = { name: 't', task, data: { source: 'd.csv', ...data }, model, training: {}, ...rest } as unknown as ExperimentConfig;
  const out: string[] = [];
  fn(config, columns ?? undefined, (path, severity, message, keyOnly) => out.push(`${path.join('.')} ${severity}${keyOnly ? ' key' : ''}: ${message}`));
  return out;
}
const text = (task: string, data: Loose, model: Loose, rest: Loose = {}, columns?: string[] | null) => run(checkTextExperiment, task, data, model, rest, columns);
const rec = (task: string, data: Loose, model: Loose, rest: Loose = {}, columns?: string[] | null) => run(checkRecommendationExperiment, task, data, model, rest, columns);

const encoder = { type: 'transformerEncoder' };
const decoder = { type: 'transformerDecoder' };
const dense = { layers: [{ type: 'dense', units: 1 }] };

test('text classification: a text column, a label, an encoder', () => {
  assert.deepEqual(text('classification', { text: 'review', target: 'label' }, encoder), []);
  assert.deepEqual(text('classification', { features: ['a'], target: 'label' }, encoder), ['data.features error key: a Transformer reads text, not numeric features: replace "features" with "text": "<the text column>"']);
  assert.deepEqual(text('classification', { target: 'label' }, encoder), ['data error: missing "text": the column that holds the text']);
  assert.deepEqual(text('classification', { text: 'review', features: ['a'], target: 'label' }, encoder), ['data.features error key: give either "text" (a text column) or "features" (numeric columns), not both']);
  assert.deepEqual(text('classification', { text: 'review' }, encoder), ['data error: missing "target": the column with the label']);
  assert.deepEqual(text('classification', { text: 'reveiw', target: 'lable' }, encoder), [
    'data.text error: unknown column "reveiw" — did you mean "review"? (the data has: review, label, u, i)',
    'data.target error: unknown column "lable" — did you mean "label"? (the data has: review, label, u, i)',
  ]);
  assert.deepEqual(text('classification', { text: 'review', target: 'review' }, encoder), ['data.target error: "review" is both the text and the target']);
  assert.deepEqual(text('classification', { text: 'x', target: 'y' }, encoder, {}, null), []);
  assert.deepEqual(text('classification', { text: 'review', target: 'label' }, dense), ['model.layers error key: a text classifier needs a Transformer encoder: "model": { "type": "transformerEncoder", "layers": 2, "heads": 4, "dModel": 64 }']);
  assert.deepEqual(text('classification', { text: 'review', target: 'label' }, decoder), ['model.type error: "transformerDecoder" is for task "language-model"; a text classifier uses "transformerEncoder"']);
  assert.deepEqual(text('classification', { text: 'review', target: 'label' }, encoder, { training: { loss: 'binaryCrossentropy' } }), ['training.loss error: a Transformer classifier ends in a softmax over the classes; use "sparseCategoricalCrossentropy"']);
  assert.deepEqual(text('classification', { text: 'review', target: 'label' }, encoder, { training: { loss: 'mse' } }), ['training.loss error: loss "mse" does not fit task "classification"; use "sparseCategoricalCrossentropy"']);
  assert.deepEqual(text('classification', { text: 'review', target: 'label' }, encoder, { training: { loss: 'categoricalCrossentropy', metrics: ['accuracy', 'mae'] } }), ['training.metrics.1 error: "mae" is a regression metric; a classifier logs "accuracy"']);
  assert.deepEqual(text('classification', { text: 'review', target: 'label' }, encoder, { evaluation: { metrics: ['accuracy', 'r2', 'rmse', 'mse', 'mae', 'f1'] } }), [
    'evaluation.metrics.1 error: "r2" is a regression metric',
    'evaluation.metrics.2 error: "rmse" is a regression metric',
    'evaluation.metrics.3 error: "mse" is a regression metric',
    'evaluation.metrics.4 error: "mae" is a regression metric',
  ]);
});

test('text regression: a text column, a numeric target, an encoder; each refusal at its path', () => {
  assert.deepEqual(text('regression', { text: 'review', target: 'label' }, encoder), []);
  assert.deepEqual(text('regression', { text: 'review', target: 'label' }, encoder, { training: { loss: 'huber', metrics: ['mae', 'mse'] }, evaluation: { metrics: ['r2', 'rmse'] } }), []);
  assert.deepEqual(text('regression', { features: ['a'], target: 'b' }, dense), [], 'a layer stack over numeric features is tabular regression');
  assert.deepEqual(text('regression', { target: 'label' }, encoder), ['data error: missing "text": the column that holds the text']);
  assert.deepEqual(text('regression', { features: ['a'], target: 'label' }, encoder), ['data.features error key: a Transformer reads text, not numeric features: replace "features" with "text": "<the text column>" (or keep "features" and use "layers")']);
  assert.deepEqual(text('regression', { text: 'review', features: ['a'], target: 'label' }, encoder), ['data.features error key: give either "text" (a text column) or "features" (numeric columns), not both']);
  assert.deepEqual(text('regression', { text: 'review' }, encoder), ['data error: missing "target": the column with the number to predict']);
  assert.deepEqual(text('regression', { text: 'reveiw', target: 'label' }, encoder), ['data.text error: unknown column "reveiw" — did you mean "review"? (the data has: review, label, u, i)']);
  assert.deepEqual(text('regression', { text: 'review', target: 'review' }, encoder), ['data.target error: "review" is both the text and the target']);
  assert.deepEqual(text('regression', { text: 'review', target: 'label' }, dense), ['model.layers error key: text regression needs a Transformer encoder: "model": { "type": "transformerEncoder", "layers": 2, "heads": 4, "dModel": 64 }']);
  assert.deepEqual(text('regression', { text: 'review', target: 'label' }, decoder), ['model.type error: "transformerDecoder" is for task "language-model" (its attention only looks back); text regression reads the whole text: use "transformerEncoder"']);
  assert.deepEqual(text('regression', { text: 'review', target: 'label' }, encoder, { training: { loss: 'sparseCategoricalCrossentropy', metrics: ['mae', 'accuracy'] } }), [
    'training.loss error: loss "sparseCategoricalCrossentropy" does not fit task "regression"; use "mse", "mae" or "huber"',
    'training.metrics.1 error: "accuracy" is a classification metric; use "mae" or "mse"',
  ]);
  assert.deepEqual(text('regression', { text: 'review', target: 'label' }, encoder, { evaluation: { metrics: ['r2', 'f1'] } }), ['evaluation.metrics.1 error: "f1" is a classification metric']);
  assert.deepEqual(text('regression', { text: 'review', target: 'label' }, { ...encoder, dModel: 30 }), ['model.dModel error: "dModel" (30) must be divisible by "heads" (4): each head works on dModel / heads dimensions; heads that fit: 1, 2']);
});

test('language model: a decoder over the whole text', () => {
  assert.deepEqual(text('language-model', {}, decoder), []);
  assert.deepEqual(text('language-model', {}, dense), ['model.layers error key: a language model needs a Transformer decoder: "model": { "type": "transformerDecoder", "layers": 2, "heads": 4, "dModel": 64 }']);
  assert.deepEqual(text('language-model', {}, encoder), ['model.type error: "transformerEncoder" is for text classification and regression; a language model uses "transformerDecoder" (its attention only looks back, so it can predict the next token)']);
  assert.deepEqual(text('language-model', { features: ['a'], text: 't', target: 'y' }, decoder), [
    'data.features warning key: "features" is not used by a language model: it learns from the whole text',
    'data.text warning key: "text" is not used by a language model: it learns from the whole text',
    'data.target warning key: "target" is not used by a language model: it learns from the whole text',
  ]);
  assert.deepEqual(text('language-model', {}, decoder, { training: { loss: 'categoricalCrossentropy' } }), []);
  assert.deepEqual(text('language-model', {}, decoder, { training: { loss: 'sparseCategoricalCrossentropy', metrics: ['accuracy'] } }), []);
  assert.deepEqual(text('language-model', {}, decoder, { training: { loss: 'mse', metrics: ['mae'] }, evaluation: { metrics: ['accuracy'] } }), [
    'training.loss error: loss "mse" does not fit task "language-model", which is trained with next-token cross-entropy ("sparseCategoricalCrossentropy")',
    'training.metrics.0 error: "mae" does not apply to a language model; it logs its loss and, if asked, next-token "accuracy"',
    'evaluation.metrics.0 error: "accuracy" does not apply to a language model, which is evaluated by loss and perplexity',
  ]);
});

test('Transformer shapes: heads divide dModel, pooling on a decoder, tokenizer length within the model\'s', () => {
  assert.deepEqual(text('language-model', { preprocess: [{ standardize: 'features' }] }, decoder), ['data.preprocess warning key: preprocessing steps are for numeric columns; text goes through the "tokenizer", so these are ignored']);
  assert.deepEqual(text('language-model', {}, { ...decoder, dModel: 30 }), ['model.dModel error: "dModel" (30) must be divisible by "heads" (4): each head works on dModel / heads dimensions; heads that fit: 1, 2']);
  assert.deepEqual(text('language-model', {}, { ...decoder, heads: 5 }), ['model.heads error: "dModel" (64) must be divisible by "heads" (5): each head works on dModel / heads dimensions; heads that fit: 1, 2, 4, 8, 16']);
  assert.deepEqual(text('language-model', {}, { ...decoder, dModel: 17, heads: 1 }), []);
  assert.deepEqual(text('language-model', {}, { ...decoder, dModel: 17, heads: 2 }), ['model.dModel error: "dModel" (17) must be divisible by "heads" (2): each head works on dModel / heads dimensions; heads that fit: 1']);
  assert.deepEqual(text('language-model', {}, { ...decoder, pooling: 'mean' }), ['model.pooling warning: a decoder predicts every next token and pools nothing; "pooling" is ignored']);
  assert.deepEqual(text('classification', { text: 'review', target: 'label' }, { ...encoder, pooling: 'mean' }), []);
  assert.deepEqual(text('language-model', { tokenizer: { maxLength: 65 } }, { ...decoder, maxLength: 64 }), ['data.tokenizer.maxLength error: 65 tokens per sequence, but the model\'s positions stop at its "maxLength" (64)']);
  assert.deepEqual(text('language-model', { tokenizer: { maxLength: 64 } }, { ...decoder, maxLength: 64 }), []);
  assert.deepEqual(text('language-model', { tokenizer: { maxLength: 500 } }, decoder), []);
});

test('recommendation: user and item columns and a recommender model', () => {
  const mf = { type: 'matrixFactorization' };
  assert.deepEqual(rec('recommendation', { user: 'u', item: 'i' }, mf), []);
  assert.deepEqual(rec('regression', { user: 'u', item: 'i' }, mf), ['model.type error: "matrixFactorization" is a recommender: it needs "task": "recommendation"']);
  assert.deepEqual(rec('recommendation', { user: 'u', item: 'i' }, dense), ['model.layers error key: a recommender scores users against items: "model": { "type": "matrixFactorization", "embeddingDim": 16 } (or "neuralRecommender")']);
  assert.deepEqual(rec('recommendation', { user: 'u', item: 'i' }, encoder), ['model.type error: a recommender scores users against items: "model": { "type": "matrixFactorization", "embeddingDim": 16 } (or "neuralRecommender")']);
  assert.deepEqual(rec('recommendation', { user: 'u', item: 'i' }, { ...mf, hidden: [8] }), ['model.hidden warning key: "hidden" is for "neuralRecommender"; matrix factorization scores with a dot product, so it is ignored']);
  assert.deepEqual(rec('recommendation', { user: 'u', item: 'i' }, { type: 'neuralRecommender', hidden: [8] }), []);
  assert.deepEqual(rec('recommendation', { train: 't.csv', target: 'y', features: ['a'], text: 'r', preprocess: [], tokenizer: {}, split: {} }, mf), [
    'data.train error key: a recommender reads one "source" of interactions in time order and holds out each user\'s last ones; give "source" instead',
    'data error: missing "user": the column naming the user of each interaction',
    'data error: missing "item": the column naming the item of each interaction',
    'data.target error key: a recommender learns from implicit interactions (each row is one); remove "target"',
    'data.features error key: "features" is not used by a recommender, which reads only the "user" and "item" columns; remove it',
    'data.text error key: "text" is not used by a recommender, which reads only the "user" and "item" columns; remove it',
    'data.preprocess error key: "preprocess" is not used by a recommender, which reads only the "user" and "item" columns; remove it',
    'data.tokenizer error key: "tokenizer" is not used by a recommender, which reads only the "user" and "item" columns; remove it',
    'data.split warning key: a recommender holds out each user\'s last interaction (test) and the one before (validation); "split" is ignored',
  ]);
  assert.deepEqual(rec('recommendation', { user: 'u', item: 'u' }, mf), ['data.item error: "user" and "item" name the same column']);
  assert.deepEqual(rec('recommendation', { user: 'uu', item: 'ii' }, mf), [
    'data.user error: unknown column "uu" — did you mean "u"? (the data has: review, label, u, i)',
    'data.item error: unknown column "ii" — did you mean "i"? (the data has: review, label, u, i)',
  ]);
  assert.deepEqual(rec('recommendation', { user: 'u', item: 'i' }, mf, { training: { loss: 'binaryCrossentropy' } }), []);
  assert.deepEqual(rec('recommendation', { user: 'u', item: 'i' }, mf, { training: { loss: 'mse', metrics: ['accuracy'] } }), [
    'training.loss error: loss "mse" does not fit task "recommendation", which is trained as clicked-or-not ("binaryCrossentropy")',
    'training.metrics.0 warning: "accuracy" is not logged for a recommender (it logs loss and val_loss; hit rate and NDCG are in the evaluation)',
  ]);
});
