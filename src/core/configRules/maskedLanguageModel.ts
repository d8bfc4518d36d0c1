// Config rules for a masked-language model (BERT-style pretraining): a
// Transformer encoder reading text without labels — a .txt corpus, or the
// text column of a table (its other columns, a target included, unused).

import { isTransformerModel } from '../resolvedConfig';
import { columnChecker } from './shared';
import type { RuleReport } from './shared';
import type { ExperimentConfig } from '../types';

const ENCODER_EXAMPLE = '"model": { "type": "transformerEncoder", "layers": 2, "heads": 4, "dModel": 64 }';

/**
 * `training.metrics` may name "accuracy": a masked-language model logs
 * masked_accuracy (of the masked tokens only) and perplexity whatever the list
 * says, so the name is accepted and said to mean the masked tokens' accuracy.
 */
export function checkMaskedLanguageModel(config: ExperimentConfig, columns: string[] | undefined, report: RuleReport): void {
  const data = config.data;
  const model = config.model;
  if (!isTransformerModel(model)) report(['model', 'layers'], 'error', `a masked-language model needs a Transformer encoder: ${ENCODER_EXAMPLE}`, true);
  else if (model.type === 'transformerDecoder') {
    report(['model', 'type'], 'error', '"transformerDecoder" only looks back, so it cannot see the words after a mask: a masked-language model uses "transformerEncoder" (a decoder pretrains with task "language-model")');
  } else if (model.pooling !== undefined) {
    report(['model', 'pooling'], 'info', 'a masked-language model predicts a token at every position and pools nothing; "pooling" matters to the classifier fine-tuned from it', true);
  }
  if (data.features !== undefined) report(['data', 'features'], 'error', 'a masked-language model reads text, not numeric features: give "text": "<the text column>" of a table, or a .txt corpus', true);
  if (data.text !== undefined) columnChecker(columns, report)(['data', 'text'], data.text);
  if (data.target !== undefined) {
    report(['data', 'target'], 'info', `"${data.target}" is not used: a masked-language model learns from the text alone (the labels are for the classifier fine-tuned from it)`, true);
  }
  const loss = config.training.loss;
  if (loss !== undefined && loss !== 'sparseCategoricalCrossentropy') {
    report(['training', 'loss'], 'error', `loss "${loss}" does not fit task "masked-language-model", which is trained with the cross-entropy of the masked tokens ("sparseCategoricalCrossentropy", or leave "loss" out)`);
  }
  config.training.metrics?.forEach((m, i) => {
    if (m === 'accuracy') report(['training', 'metrics', i], 'info', '"accuracy" of a masked-language model is masked_accuracy: the share of masked tokens predicted exactly (logged with perplexity in any case)');
    else report(['training', 'metrics', i], 'error', `"${m}" does not apply to a masked-language model; it logs masked_accuracy and perplexity (and their val_ versions)`);
  });
  config.evaluation?.metrics?.forEach((m, i) => {
    report(['evaluation', 'metrics', i], 'error', `"${m}" does not apply to a masked-language model, which is evaluated by masked accuracy and perplexity`);
  });
  if (data.preprocess) report(['data', 'preprocess'], 'warning', 'preprocessing steps are for numeric columns; text goes through the "tokenizer", so these are ignored', true);
}
