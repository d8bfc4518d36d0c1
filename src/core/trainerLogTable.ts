// The trainer's log messages (English defaults, with {0} placeholders). A log
// or stage event carries a message's id and arguments beside its English
// text: the CLI prints the English, the dashboard shows the message in the
// editor's language (the host sends the translations with the dashboard's
// strings, looked up in the l10n bundle by their English text). Messages
// without an id (an error's own text, a rare warning) are shown as they are.

import { fillTemplate } from './dashboardStringTable';
import type { ModelSummary } from './types';

export const TRAINER_LOG_MESSAGES = {
  resuming: 'resuming {0} after epoch {1} of {2}',
  'backend.nativeNotInstalled': 'native TensorFlow (@tensorflow/tfjs-node) is not installed',
  'data.splitsInputs': 'data: train {0}, validation {1}, test {2} rows; {3} inputs',
  'data.splits': 'data: train {0} · validation {1} · test {2}',
  'stage.detail': '{0}: {1}',
  'stage.rows': '{0} rows',
  'stage.inputsSplits': '{0} inputs; train {1}, validation {2}, test {3}',
  'stage.epochs': '{0} epochs',
  'stage.resumedAfter': 'resumed after epoch {0} of {1}',
  'stage.stoppedAt': 'stopped at epoch {0}',
  'stage.interruptedAt': 'interrupted at epoch {0}',
  'stage.cancelledAt': 'cancelled at epoch {0}',
  'stage.testSplit': 'test split',
  'stage.validationSplit': 'validation split',
  'stage.noHeldOut': 'no test or validation data',
  'summary.layer': 'Layer (type)',
  'summary.shape': 'Output shape',
  'summary.params': 'Param #',
  'summary.total': 'Total params: {0}',
  'summary.trainable': 'Trainable params: {0}',
  'callbacks.reduceLr': 'epoch {0}: {1} has not improved for {2} epoch(s); learning rate now {3}',
  'callbacks.earlyStop': 'early stopping at epoch {0}: {1} has not improved for {2} epoch(s)',
  'restored.lowest.checkpoint': 'restored the weights of epoch {0}, the lowest {1} ({2}), as training.checkpoint asks',
  'restored.highest.checkpoint': 'restored the weights of epoch {0}, the highest {1} ({2}), as training.checkpoint asks',
  'restored.lowest.earlyStopping': 'restored the weights of epoch {0}, the lowest {1} ({2}), as training.earlyStopping asks (restoreBestWeights)',
  'restored.highest.earlyStopping': 'restored the weights of epoch {0}, the highest {1} ({2}), as training.earlyStopping asks (restoreBestWeights)',
  'scaledTarget.standardized': `the loss and metrics during training are on "{0}" standardized, ({0} − {1}) / {2}; the test evaluation is in {0}'s own units`,
  'scaledTarget.standardized.factors': `the loss and metrics during training are on "{0}" standardized, ({0} − {1}) / {2} (in {0}'s units: {3}); the test evaluation is in {0}'s own units`,
  'scaledTarget.minMax': `the loss and metrics during training are on "{0}" scaled to 0…1, ({0} − {1}) / {2}; the test evaluation is in {0}'s own units`,
  'scaledTarget.minMax.factors': `the loss and metrics during training are on "{0}" scaled to 0…1, ({0} − {1}) / {2} (in {0}'s units: {3}); the test evaluation is in {0}'s own units`,
} as const;

export type TrainerLogId = keyof typeof TRAINER_LOG_MESSAGES;

/** The model summary's table: not one template, but laid out from the summary.* headings (args: total, trainable, then three cells per layer). */
export const MODEL_SUMMARY_LOG = 'modelSummary';

/** A log message by id, with its arguments: what a log or stage event carries beside its English text. */
export interface LogText {
  id: TrainerLogId | typeof MODEL_SUMMARY_LOG;
  args: (string | number)[];
}

export function logText(id: TrainerLogId, ...args: (string | number)[]): LogText {
  return { id, args };
}

/** A message's template in the reader's language. */
export type LogTemplates = (id: TrainerLogId) => string;

const ENGLISH: LogTemplates = (id) => TRAINER_LOG_MESSAGES[id];

/** Where the dashboard's strings hold the log messages' translations. */
export const LOG_STRING_PREFIX = 'trainerLog.';

/** The templates from the dashboard's strings (English where one is missing). */
export function logTemplates(strings: Record<string, string> | undefined): LogTemplates {
  return (id) => strings?.[LOG_STRING_PREFIX + id] ?? TRAINER_LOG_MESSAGES[id];
}

/** An id and arguments that came over a channel make a message we know; anything else is shown by its plain text. */
export function asLogText(id: unknown, args: unknown): LogText | undefined {
  const known = typeof id === 'string' && (id === MODEL_SUMMARY_LOG || Object.prototype.hasOwnProperty.call(TRAINER_LOG_MESSAGES, id));
  if (!known || !Array.isArray(args) || !args.every((a) => typeof a === 'string' || typeof a === 'number')) return undefined;
  return { id: id as LogText['id'], args: args as (string | number)[] };
}

/** The message's text in the templates' language; English by default (the CLI, the run's log). */
export function formatLogText(text: LogText, templates: LogTemplates = ENGLISH): string {
  if (text.id === MODEL_SUMMARY_LOG) return summaryTable(text.args.map(String), templates);
  return fillTemplate(templates(text.id), text.args);
}

/** A model summary as a log message: the counts grouped as in English (225,034), the layer rows as Keras prints them. */
export function modelSummaryLog(s: ModelSummary): LogText {
  const cells = s.layers.flatMap((l) => [`${l.name} (${l.type})`, `[${l.outputShape.map((d) => (d === null ? 'null' : d)).join(',')}]`, String(l.params)]);
  return { id: MODEL_SUMMARY_LOG, args: [s.totalParams.toLocaleString('en'), s.trainableParams.toLocaleString('en'), ...cells] };
}

function summaryTable(args: string[], templates: LogTemplates): string {
  const [total = '', trainable = '', ...cells] = args;
  const rows: string[][] = [];
  for (let i = 0; i + 2 < cells.length; i += 3) rows.push(cells.slice(i, i + 3));
  const head = [templates('summary.layer'), templates('summary.shape'), templates('summary.params')];
  const w = [0, 1, 2].map((i) => Math.max(head[i]!.length, ...rows.map((r) => r[i]!.length)) + 2);
  const line = (r: string[]) => r.map((c, i) => c.padEnd(w[i]!)).join('');
  const rule = '─'.repeat(w[0]! + w[1]! + w[2]!);
  return [rule, line(head), rule, ...rows.map(line), rule, fillTemplate(templates('summary.total'), [total]), fillTemplate(templates('summary.trainable'), [trainable]), rule].join('\n');
}
