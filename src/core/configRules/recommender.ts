// Config rules for recommendation: implicit interactions (a user column, an
// item column) and a recommender model.

import { isRecommenderModel, isTransformerModel } from '../resolvedConfig';
import { columnChecker } from './shared';
import type { RuleReport } from './shared';
import type { ExperimentConfig } from '../types';

const RECOMMENDER_EXAMPLE = '"model": { "type": "matrixFactorization", "embeddingDim": 16 }';

export function checkRecommendationExperiment(config: ExperimentConfig, columns: string[] | undefined, report: RuleReport): void {
  const { data, model } = config;
  if (config.task !== 'recommendation') {
    report(['model', 'type'], 'error', `"${model.type}" is a recommender: it needs "task": "recommendation"`);
    return;
  }
  if (!isRecommenderModel(model)) {
    report(['model', isTransformerModel(model) ? 'type' : 'layers'], 'error', `a recommender scores users against items: ${RECOMMENDER_EXAMPLE} (or "neuralRecommender")`, !isTransformerModel(model));
  } else if (model.type === 'matrixFactorization' && model.hidden !== undefined) {
    report(['model', 'hidden'], 'warning', '"hidden" is for "neuralRecommender"; matrix factorization scores with a dot product, so it is ignored', true);
  }
  if (data.train !== undefined) report(['data', 'train'], 'error', 'a recommender reads one "source" of interactions in time order and holds out each user\'s last ones; give "source" instead', true);
  if (!data.user) report(['data'], 'error', 'missing "user": the column naming the user of each interaction');
  if (!data.item) report(['data'], 'error', 'missing "item": the column naming the item of each interaction');
  if (data.target !== undefined) report(['data', 'target'], 'error', 'a recommender learns from implicit interactions (each row is one); remove "target"', true);
  for (const key of ['features', 'text', 'preprocess', 'tokenizer'] as const) {
    if (data[key] !== undefined) report(['data', key], 'error', `"${key}" is not used by a recommender, which reads only the "user" and "item" columns; remove it`, true);
  }
  if (data.split !== undefined) report(['data', 'split'], 'warning', "a recommender holds out each user's last interaction (test) and the one before (validation); \"split\" is ignored", true);
  if (data.user && data.item && data.user === data.item) report(['data', 'item'], 'error', '"user" and "item" name the same column');
  const checkColumn = columnChecker(columns, report);
  if (data.user) checkColumn(['data', 'user'], data.user);
  if (data.item) checkColumn(['data', 'item'], data.item);
  const loss = config.training.loss;
  if (loss && loss !== 'binaryCrossentropy') report(['training', 'loss'], 'error', `loss "${loss}" does not fit task "recommendation", which is trained as clicked-or-not ("binaryCrossentropy")`);
  config.training.metrics?.forEach((m, i) => report(['training', 'metrics', i], 'warning', `"${m}" is not logged for a recommender (it logs loss and val_loss; hit rate and NDCG are in the evaluation)`));
}
