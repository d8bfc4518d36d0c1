// Config rules for tabular regression and classification: numeric feature
// columns, a target column, preprocessing steps, and a stack of layers whose
// output fits the task and its loss.

import { isRecommenderModel, isTransformerModel } from '../resolvedConfig';
import { addOutputLayerFix } from '../configFixes';
import { columnChecker, CROSS_ENTROPIES } from './shared';
import type { RuleReport } from './shared';
import type { ExperimentConfig, LayerConfig } from '../types';

/** `classes`: the target's distinct values in the training data, when the probe could read them. */
export function checkTabularExperiment(config: ExperimentConfig, columns: string[] | undefined, report: RuleReport, classes?: readonly string[]): void {
  const data = config.data;
  // ── columns
  const numericFeatures = new Set(data.features ?? []);
  if (!data.features) report(['data'], 'error', 'missing "features": the input columns');
  if (!data.target) report(['data'], 'error', 'missing "target": the column to predict');
  if (data.tokenizer) report(['data', 'tokenizer'], 'warning', 'the inputs are numeric columns, not text; "tokenizer" is ignored', true);
  if (columns) {
    const checkColumn = columnChecker(columns, report);
    data.features?.forEach((f, i) => checkColumn(['data', 'features', i], f));
    if (data.target) checkColumn(['data', 'target'], data.target);
    data.preprocess?.forEach((step, i) => {
      const op = Object.keys(step)[0] as keyof typeof step;
      const arg = (step as Record<string, unknown>)[op];
      if (Array.isArray(arg)) arg.forEach((c, j) => typeof c === 'string' && checkColumn(['data', 'preprocess', i, op, j], c));
      if (op === 'fillMissing') (arg as { columns?: string[] }).columns?.forEach((c, j) => checkColumn(['data', 'preprocess', i, op, 'columns', j], c));
    });
  }
  if (data.target && data.features?.includes(data.target)) {
    report(['data', 'features', data.features.indexOf(data.target)], 'error', `the target "${data.target}" is also listed as a feature`);
  }
  data.preprocess?.forEach((step, i) => {
    const op = Object.keys(step)[0];
    const arg = (step as Record<string, unknown>)[op];
    if (Array.isArray(arg) && op !== 'fillMissing') {
      arg.forEach((c, j) => {
        if (typeof c === 'string' && !numericFeatures.has(c) && c !== data.target) {
          report(['data', 'preprocess', i, op, j], 'error', `"${c}" is not one of the features`);
        }
      });
    }
    if (op === 'fillMissing') {
      const fm = arg as { strategy: string; value?: unknown };
      if (fm.strategy === 'constant' && fm.value === undefined) report(['data', 'preprocess', i, op], 'error', 'strategy "constant" needs a "value"');
    }
  });

  checkOutputLayer(config, report, classes);
}

/** Activations of hidden layers: a last dense layer with one of them is not an output layer. */
const HIDDEN_ACTIVATIONS: ReadonlySet<string> = new Set(['relu', 'relu6', 'elu', 'selu', 'gelu', 'leakyRelu', 'tanh', 'swish', 'mish', 'softplus', 'softsign', 'hardSigmoid']);

/** The first few class names, for messages. */
export function classList(classes: readonly string[]): string {
  return `${classes.slice(0, 8).join(', ')}${classes.length > 8 ? ', …' : ''}`;
}

/**
 * The stack's output fits the task and its loss: a dense output layer, one
 * unit for regression, a softmax (or one sigmoid unit) for classification.
 * Shared by tabular and image stacks. `classes`: the classes the data holds,
 * when known. Returns true when a classifier's last dense layer is a hidden
 * layer (reported, with the output layer it lacks as a quick fix).
 */
export function checkOutputLayer(config: ExperimentConfig, report: RuleReport, classes?: readonly string[]): boolean {
  if (isTransformerModel(config.model) || isRecommenderModel(config.model)) return false; // not reached: checked as text or recommendation
  const layers = config.model.layers;
  const denseIdx = layers.map((l, i) => (l.type === 'dense' ? i : -1)).filter((i) => i >= 0);
  if (denseIdx.length === 0) {
    report(['model', 'layers'], 'error', 'the model needs at least one dense layer');
    return false;
  }
  const lastDense = denseIdx[denseIdx.length - 1];
  const out = layers[lastDense] as Extract<LayerConfig, { type: 'dense' }>;
  const trailing = layers.slice(lastDense + 1);
  const trailingAct = [...trailing].reverse().find((l): l is Extract<LayerConfig, { type: 'activation' }> => l.type === 'activation');
  const outActivation = trailingAct?.activation ?? out.activation ?? 'linear';
  if (trailing.some((l) => l.type === 'dropout' || l.type === 'batchNormalization' || l.type === 'layerNormalization')) {
    report(['model', 'layers', lastDense + 1], 'warning', 'a normalization or dropout layer after the output layer changes the predictions; put it before the last dense layer');
  }
  const loss = config.training.loss;
  if (config.task === 'regression') {
    if (out.units !== 1) report(['model', 'layers', lastDense, 'units'], 'error', `a regression model predicts one number: the last dense layer needs "units": 1, not ${out.units}`);
    if (outActivation === 'softmax' || outActivation === 'sigmoid') {
      report(['model', 'layers', lastDense, 'activation'], 'warning', `"${outActivation}" squashes the output of a regression model; targets outside its range cannot be reached`);
    }
    if (loss && CROSS_ENTROPIES.has(loss)) report(['training', 'loss'], 'error', `loss "${loss}" does not fit task "regression"; use "mse", "mae" or "huber"`);
    config.training.metrics?.forEach((m, i) => {
      if (m === 'accuracy') report(['training', 'metrics', i], 'error', '"accuracy" is a classification metric; use "mae" or "mse"');
    });
    config.evaluation?.metrics?.forEach((m, i) => {
      if (m === 'accuracy' || m === 'precision' || m === 'recall' || m === 'f1') report(['evaluation', 'metrics', i], 'error', `"${m}" is a classification metric`);
    });
  } else if (config.task === 'classification') {
    if (loss && !CROSS_ENTROPIES.has(loss)) report(['training', 'loss'], 'error', `loss "${loss}" does not fit task "classification"; use a cross-entropy`);
    if (loss === 'binaryCrossentropy') {
      if (out.units !== 1) report(['model', 'layers', lastDense, 'units'], 'error', `"binaryCrossentropy" needs one output unit with "sigmoid", not ${out.units} units`);
      else if (outActivation !== 'sigmoid') report(['model', 'layers', lastDense], 'error', '"binaryCrossentropy" needs the last layer to use "activation": "sigmoid"');
    } else {
      if (out.units === 1 && loss !== undefined) report(['model', 'layers', lastDense, 'units'], 'error', `"${loss}" needs one output unit per class; for two classes use 2 units with "softmax", or 1 unit with "sigmoid" and "binaryCrossentropy"`);
      if (out.units > 1 && outActivation !== 'softmax') {
        const k = classes && classes.length > 1 ? classes.length : undefined;
        // Not the output layer with the wrong activation, but a hidden layer with no output layer after it.
        if (k !== undefined ? out.units !== k : HIDDEN_ACTIVATIONS.has(outActivation)) {
          const layer = `dense ${out.units}${outActivation === 'linear' ? '' : ` ${outActivation}`}`;
          const units = k ?? `<the number of classes of "${config.data.target ?? 'the target'}">`;
          const data = k !== undefined ? ` — the data has ${k} classes (${classList(classes!)})` : '';
          report(
            ['model', 'layers', lastDense],
            'error',
            `the last layer (${layer}) is a hidden layer: a classifier needs an output layer after it, with one unit per class and "activation": "softmax"${data}: add { "type": "dense", "units": ${units}, "activation": "softmax" }`,
            false,
            k !== undefined ? addOutputLayerFix(k) : undefined,
          );
          return true;
        }
        report(['model', 'layers', lastDense], 'error', `a classifier with several output units needs "activation": "softmax" on the last layer${k !== undefined ? ` (its ${out.units} units score the ${k} classes)` : ''}`);
      }
    }
    config.evaluation?.metrics?.forEach((m, i) => {
      if (m === 'r2' || m === 'rmse') report(['evaluation', 'metrics', i], 'error', `"${m}" is a regression metric`);
    });
  }
  return false;
}
