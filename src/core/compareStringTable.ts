// Compare panel UI strings (English defaults), shared by the webview and the
// host, which sends them translated (the English text is the l10n bundle key).

import { fillTemplate } from './dashboardStringTable';

export const COMPARE_STRINGS = {
  'compare.title': 'Compare runs',
  'compare.count': '{0} runs',
  'compare.empty': 'No runs to compare. Select runs in the Model Lab sidebar and choose Compare Runs.',
  'compare.metric': 'Metric',
  'compare.xAxis': 'X axis',
  'compare.xAxis.step': 'step',
  'compare.xAxis.epoch': 'epoch',
  'compare.xAxis.time': 'wall time',
  'compare.xAxis.seconds': 'wall time (s)',
  'compare.logScale': 'Log scale',
  'compare.smoothing': 'Smoothing',
  'compare.exportPng': 'Export PNG',
  'compare.exportCsv': 'Export CSV',
  'compare.chart.aria': 'Curves of {0} for each compared run',
  'compare.lineStyles': 'Solid: training · dashed: validation · faint: unsmoothed',
  'compare.noCurve': 'No run logged {0}.',
  'compare.foldMean': 'cross-validation ({0} folds) · {1} mean',
  'compare.foldBand': 'cross-validation ({0} folds) · {1} min–max',
  'compare.metrics': 'Final metrics',
  'compare.params': 'Parameters',
  'compare.parallel': 'Parameters and metric',
  'compare.parallel.clear': 'Clear filters',
  'compare.parallel.hint': 'Drag along an axis to keep the runs in that range; click a line to open its run.',
  'compare.distributions': 'Distributions of weights and gradients',
  'compare.distributions.layer': 'Layer',
  'compare.distributions.weights': 'weights',
  'compare.distributions.gradients': 'gradients (last batch of each epoch)',
  'compare.distributions.vanishing': 'vanishing gradients',
  'compare.distributions.exploding': 'exploding gradients',
  'compare.distributions.none': 'No distributions of {0} recorded.',
  'compare.parallel.nothing': 'The runs share every parameter: there is nothing to draw beside the metric.',
  'compare.parallel.aria': 'Parallel coordinates of the runs over {0}',
  'compare.parallel.kept': '{0} of {1} runs in the filtered ranges',
  'compare.differencesOnly': 'Differences only',
  'compare.allSame': 'Every compared run has the same values here.',
  'compare.key': 'Key',
  'compare.baseline': 'baseline',
  'compare.pin': 'Pin as baseline: the other runs show their difference to it',
  'compare.unpin': 'Unpin the baseline',
  'compare.remove': 'Remove from the comparison',
  'compare.open': 'Open this run in the dashboard',
  'compare.points': '{0} points logged',
  'compare.updatedAgo': 'updated {0} s ago',
  'compare.downsampled': '{0} of {1} points drawn',
  'compare.best': 'best',
  'status.queued': 'queued',
  'status.running': 'running',
  'status.completed': 'completed',
  'status.stopped': 'stopped',
  'status.failed': 'failed',
  'status.interrupted': 'interrupted',
  'status.cancelled': 'cancelled',
  'status.pruned': 'pruned',
} as const;

export type CompareStringId = keyof typeof COMPARE_STRINGS;

export type CompareTranslate = (id: CompareStringId, ...args: (string | number)[]) => string;

/** The lookup for the current strings; `{0}`, `{1}` are replaced by the arguments. */
export function makeCompareTranslate(overrides: Record<string, string> | undefined): CompareTranslate {
  return (id, ...args) => fillTemplate(overrides?.[id] ?? COMPARE_STRINGS[id], args);
}
