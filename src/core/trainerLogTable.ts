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
  'stage.rows.all': '{0} rows (train + validation, all for training)',
  'stage.rows.fold': '{0} rows (fold {1} of {2} validates)',
  'stage.rows.foldStratified': '{0} rows (fold {1} of {2} validates, stratified)',
  'stage.characters': '{0} characters',
  'stage.images': '{0} images in {1} classes',
  'stage.interactions': '{0} interactions',
  'stage.inputsSplits': '{0} inputs; train {1}, validation {2}, test {3}',
  'stage.epochs': '{0} epochs',
  'stage.resumedAfter': 'resumed after epoch {0} of {1}',
  'stage.stoppedAt': 'stopped at epoch {0}',
  'stage.interruptedAt': 'interrupted at epoch {0}',
  'stage.cancelledAt': 'cancelled at epoch {0}',
  'stage.testSplit': 'test split',
  'stage.validationSplit': 'validation split',
  'stage.noHeldOut': 'no test or validation data',
  'tabular.rowsSkipped': '{0} row(s) skipped (missing values under "drop", or classes not seen in training)',
  'text.rowsSkipped': '{0} row(s) without text or label skipped',
  'text.unseenClassSkipped': '{0} row(s) skipped: their class never appears in the training split',
  'text.targetNotNumberSkipped': '{0} row(s) skipped: their target "{1}" is not a number',
  'text.corpus': 'corpus: train {0}, validation {1}, test {2} tokens; windows of {3}',
  'text.emptyTextSkipped': '{0} row(s) without text skipped',
  'text.masking': 'masking {0}% of the tokens (of them 80% become <mask>, 10% a random token, 10% stay), drawn anew each epoch; validation and test masked once',
  'text.maskedEvaluation': 'masked accuracy {0}, perplexity {1}; always guessing "{2}" (the most frequent training token): {3}',
  'text.maskedBaseline': 'always guessing "{0}" (the most frequent training token) gets {1} of the validation\'s masked tokens right: the val_masked_accuracy to beat',
  'text.tokenizer.char.rows': 'char tokenizer, {0} tokens in the vocabulary; train {1}, validation {2}, test {3} rows',
  'text.tokenizer.char.sequences': 'char tokenizer, {0} tokens in the vocabulary; train {1}, validation {2}, test {3} sequences',
  'text.tokenizer.word.rows': 'word tokenizer, {0} tokens in the vocabulary; train {1}, validation {2}, test {3} rows',
  'text.tokenizer.word.sequences': 'word tokenizer, {0} tokens in the vocabulary; train {1}, validation {2}, test {3} sequences',
  'image.preprocess': '{0}×{1}×{2}, {3}',
  'image.preprocess.augmented': '{0}×{1}×{2}, {3}; training images augmented ({4})',
  'image.preprocess.line': 'preprocess: {0}',
  'image.scaling.unit': 'unit scaling (pixels / 255)',
  'image.scaling.standardized': "standardized with the training split's mean {0} and std {1}",
  'image.augment.flip': 'flip',
  'image.augment.shift': 'shift ±{0}%',
  'image.augment.rotate': 'rotate ±{0}°',
  'image.augment.brightness': 'brightness ±{0}%',
  'list.join': '{0}, {1}',
  'images.classes': '{0} classes, train {1} images; training images per class: {2}',
  'images.classes.validation': '{0} classes, train {1}, validation {2} images; training images per class: {3}',
  'images.classes.test': '{0} classes, train {1}, test {2} images; training images per class: {3}',
  'images.classes.all': '{0} classes, train {1}, validation {2}, test {3} images; training images per class: {4}',
  'images.looseOne': '{0}: 1 image outside the class folders is not used',
  'images.loose': '{0}: {1} images outside the class folders are not used',
  'images.notFoundSkipped': '{0}:{1}: image not found: {2} — skipped',
  'images.missingOne': '{0}: 1 listed image was not found and left out ("onError": "skip")',
  'images.missing': '{0}: {1} listed images were not found and left out ("onError": "skip")',
  'images.unreadableSkipped': 'skipped {0} of {1} images that could not be read ("onError": "skip")',
  'recommender.rowsSkipped': '{0} row(s) without a user or an item skipped',
  'recommender.preprocess': '{0} users × {1} items; train {2}, validation {3}, test {4} interactions',
  'signal.stopping.resumable': '{0}: stopping after this batch; a resume carries on from the checkpoint of epoch {1}',
  'signal.stopping.fromStart': '{0}: stopping after this batch; no epoch has finished, so the run starts again when trained again',
  'pruning.metricMissing': 'early termination: the run does not log "{0}", so it is never pruned',
  'pruning.pruned': 'pruned at epoch {0}: {1} {2} placed {3} of the {4} runs that reached this rung so far, and only the best {5} go on',
  'diverged.loss': 'the loss became {0} at step {1} (epoch {2})',
  'diverged.metric': 'a metric became NaN or infinite at epoch {0}',
  'resume.pointsDropped': '{0} metric point(s) after epoch {1} were dropped: that epoch did not finish and is trained again',
  'fineTune.fromRun': 'fine-tuning from run {0} (task {1}): {2}',
  'fineTune.fromExport': 'fine-tuning from the export {0} (task {1})',
  'fineTune.copied': "{0} weight arrays of the base's embedding and {1} block(s) copied and checked equal; new head: {2} pooling and a softmax over {3} classes, initialised from the run's seed",
  'fineTune.copiedRegressionHead': "{0} weight arrays of the base's embedding and {1} block(s) copied and checked equal; new head: {2} pooling and one linear output (the standardized target), initialised from the run's seed",
  'fineTune.copiedAll': "{0} weight arrays copied from the base, its output head included, and checked equal",
  'fineTune.copiedNewTokenHead': "{0} weight arrays of the base's embedding and {1} block(s) copied and checked equal; new head: token logits at every position, initialised from the run's seed",
  'fineTune.resumed': "fine-tuned run: the weights come from its own checkpoint and the tokenizer from its own folder (the base is not read again)",
  'fineTune.unknownTokens': "{0}% of the training tokens are unknown to the base's tokenizer: the base was trained on other text (another language?), and the model sees <unk> for them",
  'fineTune.frozen': "the base's weights are frozen for the first {0} epoch(s): only the head trains",
  'fineTune.unfrozen': "epoch {0}: the base's weights train from now on",
  'fineTune.learningRates': "the base's weights train with learning rate {0}, the head with {1}",
  'fineTune.imageKept': "the base's first {0} layer(s) kept ({1}; they give a {2} feature map), their {3} weight arrays copied and checked equal; its head dropped ({4}); new head: this config's {5} layer(s), initialised from the run's seed",
  'lrFind.baseFrozen': "range test of a fine-tune: the base's weights stay frozen, as in the first {0} epoch(s) of training; the learning rate swept is the head's",
  'lrFind.baseFixed': "range test of a fine-tune: the learning rate swept is the head's; the base's weights train with learning rate {0} (model.base.learningRate)",
  'lrFind.baseShared': "range test of a fine-tune: the base's weights and the head train with the swept learning rate (model.base sets no learningRate of its own)",
  'fineTune.imageResumed': "fine-tuned run: the base's {0} kept layer(s) are built from the run's own folder, every weight comes from its own checkpoint (the base is not read again)",
  'train.oneCallStep': 'training step: one call per batch on the wasm heap (a stack of Dense layers), the same numbers as through the engine',
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

/** A message's template in the reader's language. */
export type LogTemplates = (id: TrainerLogId) => string;

type Layout = (args: readonly (string | number)[], templates: LogTemplates) => string;

/** Messages laid out from several of the templates above rather than one, by id: how each is laid out from its arguments. */
const LAYOUTS = {
  /** The model summary's table, with the summary.* headings (args: total, trainable, then three cells per layer). */
  modelSummary: (args, templates) => summaryTable(args.map(String), templates),
  /** An image classifier's preprocess stage detail (args: imagePreprocessLog's). */
  imagePreprocess: (args, templates) => imagePreprocessText(args, templates),
  /** The same as a log line: "preprocess: " before it. */
  imagePreprocessLine: (args, templates) => fillTemplate(templates('image.preprocess.line'), [imagePreprocessText(args, templates)]),
} satisfies Record<string, Layout>;

export type LaidOutLogId = keyof typeof LAYOUTS;

/** The model summary's table: not one template, but laid out from the summary.* headings. */
export const MODEL_SUMMARY_LOG = 'modelSummary' satisfies LaidOutLogId;

/** A log message by id, with its arguments: what a log or stage event carries beside its English text. */
export interface LogText {
  id: TrainerLogId | LaidOutLogId;
  args: (string | number)[];
}

export function logText(id: TrainerLogId, ...args: (string | number)[]): LogText {
  return { id, args };
}

const ENGLISH: LogTemplates = (id) => TRAINER_LOG_MESSAGES[id];

/** Where the dashboard's strings hold the log messages' translations. */
export const LOG_STRING_PREFIX = 'trainerLog.';

/** The templates from the dashboard's strings (English where one is missing). */
export function logTemplates(strings: Record<string, string> | undefined): LogTemplates {
  return (id) => strings?.[LOG_STRING_PREFIX + id] ?? TRAINER_LOG_MESSAGES[id];
}

/** An id and arguments that came over a channel make a message we know; anything else is shown by its plain text. */
export function asLogText(id: unknown, args: unknown): LogText | undefined {
  const known = typeof id === 'string' && (Object.prototype.hasOwnProperty.call(LAYOUTS, id) || Object.prototype.hasOwnProperty.call(TRAINER_LOG_MESSAGES, id));
  if (!known || !Array.isArray(args) || !args.every((a) => typeof a === 'string' || typeof a === 'number')) return undefined;
  return { id: id as LogText['id'], args: args as (string | number)[] };
}

/** The message's text in the templates' language; English by default (the CLI, the run's log). */
export function formatLogText(text: LogText, templates: LogTemplates = ENGLISH): string {
  if (Object.prototype.hasOwnProperty.call(LAYOUTS, text.id)) return LAYOUTS[text.id as LaidOutLogId](text.args, templates);
  return fillTemplate(templates(text.id as TrainerLogId), text.args);
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

/** One augmentation of the training images, as its stage detail names it: flip, or shift / brightness in percent, rotate in degrees. */
export type AugmentWord = readonly ['flip'] | readonly ['shift' | 'rotate' | 'brightness', number];

/** What an image classifier's preprocessing does, for its stage detail and log line. */
export interface ImagePreprocessing {
  height: number;
  width: number;
  channels: number;
  /** The training split's per-channel mean and std as shown (e.g. "127.5/120.1/98.0"), when the images are standardized; else unit scaling. */
  standardized?: { mean: string; std: string };
  /** The training images' augmentation, when the config asks for it. */
  augment?: readonly AugmentWord[];
}

/**
 * The preprocess stage's detail of an image classifier (`line`: its log line).
 * Args: height, width, channels, mean and std ('' for unit scaling); when augmented, 1 and then each augmentation's kind and value.
 */
export function imagePreprocessLog(p: ImagePreprocessing, line = false): LogText {
  const args: (string | number)[] = [p.height, p.width, p.channels, p.standardized?.mean ?? '', p.standardized?.std ?? ''];
  if (p.augment) args.push(1, ...p.augment.flatMap(([kind, value]) => [kind, value ?? 0]));
  return { id: line ? 'imagePreprocessLine' : 'imagePreprocess', args };
}

function imagePreprocessText(args: readonly (string | number)[], templates: LogTemplates): string {
  const [height = '', width = '', channels = '', mean = '', std = '', augmented, ...augment] = args;
  const scaling = mean === '' ? templates('image.scaling.unit') : fillTemplate(templates('image.scaling.standardized'), [mean, std]);
  if (augmented !== 1) return fillTemplate(templates('image.preprocess'), [height, width, channels, scaling]);
  const words: string[] = [];
  for (let i = 0; i + 1 < augment.length; i += 2) {
    const id = `image.augment.${augment[i]}`;
    words.push(Object.prototype.hasOwnProperty.call(TRAINER_LOG_MESSAGES, id) ? fillTemplate(templates(id as TrainerLogId), [augment[i + 1]!]) : String(augment[i]));
  }
  const list = words.length ? words.reduce((a, b) => fillTemplate(templates('list.join'), [a, b])) : '';
  return fillTemplate(templates('image.preprocess.augmented'), [height, width, channels, scaling, list]);
}
