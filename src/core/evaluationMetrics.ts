// Evaluation metrics computed from plain arrays (no tfjs), so they are exact,
// testable and the same for every backend.

import type { ClassificationEvaluation, Evaluation, RegressionEvaluation } from './types';

export function regressionMetrics(actual: ArrayLike<number>, predicted: ArrayLike<number>): RegressionEvaluation['metrics'] {
  const n = actual.length;
  if (n === 0) return { mse: NaN, mae: NaN, rmse: NaN, r2: NaN };
  let se = 0;
  let ae = 0;
  let mean = 0;
  for (let i = 0; i < n; i++) mean += actual[i];
  mean /= n;
  let tot = 0;
  for (let i = 0; i < n; i++) {
    const d = predicted[i] - actual[i];
    se += d * d;
    ae += Math.abs(d);
    tot += (actual[i] - mean) ** 2;
  }
  const mse = se / n;
  return { mse, mae: ae / n, rmse: Math.sqrt(mse), r2: tot > 0 ? 1 - se / tot : NaN };
}

/** Scatter points kept in a regression evaluation: at most about this many, evenly strided. */
const REGRESSION_SAMPLES = 500;

/** A regression evaluation (tabular or text) from actual and predicted values in the target's units. */
export function regressionEvaluation(split: RegressionEvaluation['split'], actual: ArrayLike<number>, predicted: ArrayLike<number>): RegressionEvaluation {
  const stride = Math.max(1, Math.ceil(actual.length / REGRESSION_SAMPLES));
  const samples: [number, number][] = [];
  for (let i = 0; i < actual.length; i += stride) samples.push([actual[i], predicted[i]]);
  return { task: 'regression', split, count: actual.length, metrics: regressionMetrics(actual, predicted), samples };
}

export function classificationMetrics(
  actual: ArrayLike<number>,
  predicted: ArrayLike<number>,
  labels: string[],
): Pick<ClassificationEvaluation, 'metrics' | 'perClass' | 'confusion'> {
  const k = labels.length;
  const confusion = Array.from({ length: k }, () => new Array<number>(k).fill(0));
  let correct = 0;
  for (let i = 0; i < actual.length; i++) {
    confusion[actual[i]][predicted[i]]++;
    if (actual[i] === predicted[i]) correct++;
  }
  const perClass = labels.map((label, c) => {
    const tp = confusion[c][c];
    const support = confusion[c].reduce((a, b) => a + b, 0);
    const predictedC = confusion.reduce((a, row) => a + row[c], 0);
    const precision = predictedC > 0 ? tp / predictedC : 0;
    const recall = support > 0 ? tp / support : 0;
    const f1 = precision + recall > 0 ? (2 * precision * recall) / (precision + recall) : 0;
    return { label, precision, recall, f1, support };
  });
  const present = perClass.filter((p) => p.support > 0);
  const avg = (f: (p: (typeof perClass)[number]) => number) => (present.length ? present.reduce((a, p) => a + f(p), 0) / present.length : 0);
  return {
    metrics: {
      accuracy: actual.length ? correct / actual.length : 0,
      macroPrecision: avg((p) => p.precision),
      macroRecall: avg((p) => p.recall),
      macroF1: avg((p) => p.f1),
    },
    perClass,
    confusion,
  };
}

/** An evaluation's headline numbers by name ("mse", "accuracy", …): what the CLI and the editor label as test metrics. */
export function evaluationHeadline(ev: Evaluation): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [key, value] of Object.entries(ev.metrics as unknown as Record<string, unknown>)) if (typeof value === 'number') out[key] = value;
  return out;
}
