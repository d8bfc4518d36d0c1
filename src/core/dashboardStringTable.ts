// Dashboard UI strings (English defaults), shared by the webview and the host (which sends localized ones).

export const DEFAULT_STRINGS = {
  'empty.message': 'No runs yet — press Train this config on an experiment config',
  'button.train': 'Train',
  'button.train.title': 'Train this experiment again',
  'button.stop': 'Stop',
  'button.stop.title': 'Stop training (the run keeps every metric written so far)',
  'header.epoch': 'epoch {0}/{1}',
  'header.backend.title': 'TensorFlow.js backend used by this run',
  'header.backend.none': 'backend —',
  'status.queued': 'queued',
  'status.running': 'running',
  'status.completed': 'completed',
  'status.stopped': 'stopped',
  'status.failed': 'failed',
  'status.interrupted': 'interrupted',
  'stages.label': 'Pipeline stages',
  'stage.data': 'data',
  'stage.preprocess': 'preprocess',
  'stage.training': 'training',
  'stage.evaluation': 'evaluation',
  'stage.deployment': 'deployment',
  'stage.application': 'application',
  'stageStatus.pending': 'pending',
  'stageStatus.running': 'running',
  'stageStatus.done': 'done',
  'stageStatus.failed': 'failed',
  'stageStatus.skipped': 'skipped',
  'charts.loss': 'Loss',
  'charts.metrics': 'Metrics',
  'charts.loss.aria': 'Loss chart',
  'charts.metrics.aria': 'Metric chart',
  'charts.noData': 'No metrics yet',
  'charts.xAxis': 'X axis',
  'charts.xAxis.step': 'step',
  'charts.xAxis.epoch': 'epoch',
  'charts.logScale': 'Log scale',
  'charts.smoothing': 'Smoothing',
  'charts.metric': 'Metric',
  'series.step': '{0} (step)',
  'series.smoothed': '{0} (step, smoothed)',
  'series.epoch': '{0} (epoch)',
  'summary.title': 'Model summary',
  'summary.empty': 'The model summary appears when training starts.',
  'summary.layer': 'Layer (type)',
  'summary.outputShape': 'Output shape',
  'summary.params': 'Param #',
  'summary.input': 'Input shape: {0}',
  'summary.total': 'Total params: {0}',
  'summary.trainable': 'Trainable params: {0}',
  'summary.nonTrainable': 'Non-trainable params: {0}',
  'evaluation.title': 'Evaluation',
  'evaluation.empty': 'The evaluation appears when training ends.',
  'evaluation.caption': '{0} split · {1} samples',
  'evaluation.metric': 'Metric',
  'evaluation.value': 'Value',
  'evaluation.scatter.aria': 'Predicted against actual values; the diagonal is a perfect prediction',
  'evaluation.actual': 'Actual',
  'evaluation.predicted': 'Predicted',
  'evaluation.perfect': 'y = x',
  'evaluation.samples': 'samples',
  'evaluation.accuracy': 'accuracy',
  'evaluation.macroPrecision': 'macro precision',
  'evaluation.macroRecall': 'macro recall',
  'evaluation.macroF1': 'macro f1',
  'evaluation.perClass': 'Per class',
  'evaluation.label': 'Label',
  'evaluation.precision': 'precision',
  'evaluation.recall': 'recall',
  'evaluation.f1': 'f1',
  'evaluation.support': 'support',
  'evaluation.confusion': 'Confusion matrix (rows: actual, columns: predicted)',
  'evaluation.confusion.corner': 'actual \\ predicted',
  'evaluation.confusion.cell': 'actual {0}, predicted {1}: {2}',
  'evaluation.generated': 'Generated from prompts (prompt underlined)',
  'log.title': 'Log',
  'log.error': 'Run failed: {0}',
  'log.empty': 'No messages.',
} as const;

export type StringId = keyof typeof DEFAULT_STRINGS;

export type Translate = (id: StringId, ...args: (string | number)[]) => string;

/** Builds the lookup for the current strings; `{0}`, `{1}` are replaced by the arguments. */
export function makeTranslate(overrides: Record<string, string> | undefined): Translate {
  return (id, ...args) => {
    const template = overrides?.[id] ?? DEFAULT_STRINGS[id];
    return template.replace(/\{(\d+)\}/g, (match, i: string) => {
      const arg = args[Number(i)];
      return arg === undefined ? match : String(arg);
    });
  };
}
