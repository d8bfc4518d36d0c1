// Config rules for text: a text classifier or a text regression model (a text
// column, a Transformer encoder), a language model (a plain text corpus, a Transformer decoder) and
// a masked-language model (maskedLanguageModel.ts: either, an encoder).

import { isTransformerModel, resolveTransformer } from '../resolvedConfig';
import { checkMaskedLanguageModel } from './maskedLanguageModel';
import { columnChecker, CROSS_ENTROPIES } from './shared';
import type { RuleReport } from './shared';
import type { ExperimentConfig } from '../types';

const ENCODER_EXAMPLE = '"model": { "type": "transformerEncoder", "layers": 2, "heads": 4, "dModel": 64 }';
const DECODER_EXAMPLE = '"model": { "type": "transformerDecoder", "layers": 2, "heads": 4, "dModel": 64 }';

/** Text classification and regression (a text column, a Transformer encoder) and language modelling (a corpus, a decoder). */
export function checkTextExperiment(config: ExperimentConfig, columns: string[] | undefined, report: RuleReport): void {
  const data = config.data;
  const model = config.model;
  const loss = config.training.loss;
  if (config.task === 'regression') {
    if (data.text === undefined && !isTransformerModel(model)) return; // a layer stack over numeric features: tabular.ts
    // Text regression (a Transformer encoder, one number per text) when the config reads text; else a layer stack over numeric features (tabular.ts).
    if (data.text === undefined) {
      if (data.features) report(['data', 'features'], 'error', 'a Transformer reads text, not numeric features: replace "features" with "text": "<the text column>" (or keep "features" and use "layers")', true);
      else report(['data'], 'error', 'missing "text": the column that holds the text');
    } else if (data.features) {
      report(['data', 'features'], 'error', 'give either "text" (a text column) or "features" (numeric columns), not both', true);
    }
    if (!data.target) report(['data'], 'error', 'missing "target": the column with the number to predict');
    const checkColumn = columnChecker(columns, report);
    if (data.text !== undefined) checkColumn(['data', 'text'], data.text);
    if (data.target) checkColumn(['data', 'target'], data.target);
    if (data.text !== undefined && data.text === data.target) report(['data', 'target'], 'error', `"${data.target}" is both the text and the target`);
    if (!isTransformerModel(model)) report(['model', 'layers'], 'error', `text regression needs a Transformer encoder: ${ENCODER_EXAMPLE}`, true);
    else if (model.type === 'transformerDecoder') {
      report(['model', 'type'], 'error', '"transformerDecoder" is for task "language-model" (its attention only looks back); text regression reads the whole text: use "transformerEncoder"');
    }
    if (loss && CROSS_ENTROPIES.has(loss)) report(['training', 'loss'], 'error', `loss "${loss}" does not fit task "regression"; use "mse", "mae" or "huber"`);
    config.training.metrics?.forEach((m, i) => {
      if (m === 'accuracy') report(['training', 'metrics', i], 'error', '"accuracy" is a classification metric; use "mae" or "mse"');
    });
    config.evaluation?.metrics?.forEach((m, i) => {
      if (m === 'accuracy' || m === 'precision' || m === 'recall' || m === 'f1') report(['evaluation', 'metrics', i], 'error', `"${m}" is a classification metric`);
    });
  }

  if (config.task === 'classification') {
    if (data.text === undefined) {
      if (data.features) report(['data', 'features'], 'error', 'a Transformer reads text, not numeric features: replace "features" with "text": "<the text column>"', true);
      else report(['data'], 'error', 'missing "text": the column that holds the text');
    } else if (data.features) {
      report(['data', 'features'], 'error', 'give either "text" (a text column) or "features" (numeric columns), not both', true);
    }
    if (!data.target) report(['data'], 'error', 'missing "target": the column with the label');
    const checkColumn = columnChecker(columns, report);
    if (data.text !== undefined) checkColumn(['data', 'text'], data.text);
    if (data.target) checkColumn(['data', 'target'], data.target);
    if (data.text !== undefined && data.text === data.target) report(['data', 'target'], 'error', `"${data.target}" is both the text and the target`);
    if (!isTransformerModel(model)) report(['model', 'layers'], 'error', `a text classifier needs a Transformer encoder: ${ENCODER_EXAMPLE}`, true);
    else if (model.type === 'transformerDecoder') report(['model', 'type'], 'error', '"transformerDecoder" is for task "language-model"; a text classifier uses "transformerEncoder"');
    if (loss === 'binaryCrossentropy') report(['training', 'loss'], 'error', 'a Transformer classifier ends in a softmax over the classes; use "sparseCategoricalCrossentropy"');
    else if (loss && !CROSS_ENTROPIES.has(loss)) report(['training', 'loss'], 'error', `loss "${loss}" does not fit task "classification"; use "sparseCategoricalCrossentropy"`);
    config.training.metrics?.forEach((m, i) => {
      if (m !== 'accuracy') report(['training', 'metrics', i], 'error', `"${m}" is a regression metric; a classifier logs "accuracy"`);
    });
    config.evaluation?.metrics?.forEach((m, i) => {
      if (m === 'r2' || m === 'rmse' || m === 'mse' || m === 'mae') report(['evaluation', 'metrics', i], 'error', `"${m}" is a regression metric`);
    });
  }

  if (config.task === 'masked-language-model') {
    checkMaskedLanguageModel(config, columns, report);
    if (!isTransformerModel(model)) return;
  }

  if (config.task === 'language-model') {
    if (!isTransformerModel(model)) report(['model', 'layers'], 'error', `a language model needs a Transformer decoder: ${DECODER_EXAMPLE}`, true);
    else if (model.type === 'transformerEncoder') {
      report(['model', 'type'], 'error', '"transformerEncoder" is for text classification and regression; a language model uses "transformerDecoder" (its attention only looks back, so it can predict the next token)');
    }
    for (const key of ['features', 'text', 'target'] as const) {
      if (data[key] !== undefined) report(['data', key], 'warning', `"${key}" is not used by a language model: it learns from the whole text`, true);
    }
    if (loss && loss !== 'sparseCategoricalCrossentropy' && loss !== 'categoricalCrossentropy') {
      report(['training', 'loss'], 'error', `loss "${loss}" does not fit task "language-model", which is trained with next-token cross-entropy ("sparseCategoricalCrossentropy")`);
    }
    config.training.metrics?.forEach((m, i) => {
      if (m !== 'accuracy') report(['training', 'metrics', i], 'error', `"${m}" does not apply to a language model; it logs its loss and, if asked, next-token "accuracy"`);
    });
    config.evaluation?.metrics?.forEach((m, i) => {
      report(['evaluation', 'metrics', i], 'error', `"${m}" does not apply to a language model, which is evaluated by loss and perplexity`);
    });
  }

  if (data.preprocess && config.task !== 'masked-language-model') report(['data', 'preprocess'], 'warning', 'preprocessing steps are for numeric columns; text goes through the "tokenizer", so these are ignored', true);

  if (!isTransformerModel(model)) return;
  const t = resolveTransformer(model, data.tokenizer);
  if (t.dModel % t.heads !== 0) {
    const fits = [1, 2, 4, 8, 16].filter((h) => t.dModel % h === 0 && h !== t.heads);
    report(
      ['model', model.dModel !== undefined ? 'dModel' : 'heads'],
      'error',
      `"dModel" (${t.dModel}) must be divisible by "heads" (${t.heads}): each head works on dModel / heads dimensions${fits.length ? `; heads that fit: ${fits.join(', ')}` : ''}`,
    );
  }
  if (model.pooling !== undefined && model.type === 'transformerDecoder') {
    report(['model', 'pooling'], 'warning', 'a decoder predicts every next token and pools nothing; "pooling" is ignored');
  }
  const tokMax = data.tokenizer?.maxLength;
  if (tokMax !== undefined && model.maxLength !== undefined && tokMax > model.maxLength) {
    report(['data', 'tokenizer', 'maxLength'], 'error', `${tokMax} tokens per sequence, but the model's positions stop at its "maxLength" (${model.maxLength})`);
  }
}
