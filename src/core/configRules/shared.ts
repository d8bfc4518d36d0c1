// What the per-task config rules share: how a rule reports, "did you mean"
// suggestions, column checks, and the checks every task makes (data files,
// export path, validation split, monitored metrics). Pure: what the rules need
// from the disk comes through a DataProbe.

import { isTransformerModel } from '../resolvedConfig';
import type { PathSegment } from '../sweep';
import type { DataError } from '../table';
import { carvedValidationShare, hasValidationData, isTestMetricName, isTrainingMetricName, SPLIT_DEFAULTS } from '../splitPlan';
import type { DataConfig, ExperimentConfig, Task } from '../types';
import type { ConfigFix } from '../configFixes';

export type RuleSeverity = 'error' | 'warning' | 'info';

/** Reports at a path of the config; `keyOnly` underlines the property's key rather than its value; `fix`, the quick fix the editor offers. */
export type RuleReport = (path: PathSegment[], severity: RuleSeverity, message: string, keyOnly?: boolean, fix?: ConfigFix) => void;

/**
 * What the rules learn from the disk about the files a config names. Paths are
 * as written in the config (relative to the config's folder, or absolute).
 */
export interface DataProbe {
  /** Why the path may not be used (e.g. it leads outside the workspace), or undefined. Asked before anything else touches the path. */
  refusal(path: string): string | undefined;
  /** The absolute path it names, for messages. */
  where(path: string): string;
  /** Whether a file is there: a file, nothing, or something else (a folder). */
  kind(path: string): 'file' | 'missing' | 'other';
  /** The column names of a table file, or the problem reading them. */
  columns(path: string, format?: string): string[] | DataError;
  /** A folder of image class folders (asked of a path whose kind is 'other'), or the problem reading it. A probe without one leaves folders unchecked. */
  imageFolder?(path: string): ImageFolderInfo | DataError;
  /** The distinct values of a table file's column (a classifier's classes), sorted, or the problem reading them. A probe without one leaves class counts unchecked. */
  classes?(path: string, column: string, format?: string): string[] | DataError;
  /** The base the config's `model.base` names, found as the trainer finds it (src/node/baseModel.ts), or why it cannot be used (the message names what was looked for and where). A probe without one leaves the base unchecked. */
  base?(config: ExperimentConfig): ProbedBase | { problem: string };
}

/** What the config rules learn of a fine-tuned config's base (configRules/base.ts compares it with the config). */
export interface ProbedBase {
  /** How messages name it: `run "<id>" (<folder>)` or `the export <folder>`. */
  name: string;
  /** Its task, as its model folder (else its meta or model card) says. */
  task: Task;
  /** Its config (a run's config.json, an export's model card's), when it has one. */
  config?: Record<string, unknown>;
  /** An image model's input, from its image.json. */
  image?: { size: [number, number]; channels: number };
  /** Its model folder holds a text model's task.json (a Transformer). */
  textModel?: boolean;
  /** A Transformer config: the trainer's own verdict on fitting it to this base (baseFitProblems in src/node/baseModel.ts), at their paths. */
  fit?: { path: PathSegment[]; severity: RuleSeverity; message: string }[];
}

/** A folder of images with one sub-folder per class, as the config rules see it. */
export interface ImageFolderInfo {
  /** Class (sub-folder) names, sorted. */
  classes: string[];
  /** Class folders that hold no image file. */
  empty: string[];
  /** Image files directly in the folder, in no class folder. */
  loose: number;
}

export const CROSS_ENTROPIES: ReadonlySet<string> = new Set(['binaryCrossentropy', 'categoricalCrossentropy', 'sparseCategoricalCrossentropy']);

export const TRANSFORMER_ONLY_KEYS = ['heads', 'dModel', 'ffDim', 'dropout', 'maxLength', 'positional', 'pooling'] as const;

/** Edit distance, for "did you mean" suggestions. */
export function editDistance(a: string, b: string): number {
  const al = a.toLowerCase();
  const bl = b.toLowerCase();
  const prev = Array.from({ length: bl.length + 1 }, (_, i) => i);
  for (let i = 1; i <= al.length; i++) {
    let diag = prev[0];
    prev[0] = i;
    for (let j = 1; j <= bl.length; j++) {
      const tmp = prev[j];
      prev[j] = Math.min(prev[j] + 1, prev[j - 1] + 1, diag + (al[i - 1] === bl[j - 1] ? 0 : 1));
      diag = tmp;
    }
  }
  return prev[bl.length];
}

export function didYouMean(word: string, candidates: Iterable<string>): string | undefined {
  let best: string | undefined;
  let bestD = Infinity;
  for (const c of candidates) {
    const d = editDistance(word, c);
    if (d < bestD) {
      bestD = d;
      best = c;
    }
  }
  return best !== undefined && bestD <= Math.max(2, Math.floor(word.length / 3)) ? best : undefined;
}

/** Reports a column that is not in the data, with a suggestion. No-op when the columns are unknown. */
export function columnChecker(columns: string[] | undefined, report: RuleReport): (path: PathSegment[], name: string) => void {
  if (!columns) return () => {};
  const known = new Set(columns);
  return (path, name) => {
    if (known.has(name)) return;
    const s = didYouMean(name, columns);
    report(path, 'error', `unknown column "${name}"${s ? ` — did you mean "${s}"?` : ''} (the data has: ${columns.slice(0, 12).join(', ')}${columns.length > 12 ? ', …' : ''})`);
  };
}

/** The extension of a path's last segment, lower-cased ('' when none), as path.extname finds it. */
function extensionOf(path: string): string {
  const base = path.slice(Math.max(path.lastIndexOf('/'), path.lastIndexOf('\\')) + 1);
  const dot = base.lastIndexOf('.');
  return dot > 0 ? base.slice(dot).toLowerCase() : '';
}

/** A plain text corpus, by declared format or by extension. */
export function isCorpusFile(path: string, format: string | undefined): boolean {
  return format === 'txt' || (format === undefined && extensionOf(path) === '.txt');
}

/**
 * The data section's files: one source or separate splits, each allowed,
 * present, of the kind the task reads (a table, or a corpus for a language
 * model). Returns the columns of the first table that could be read.
 */
export function checkDataFiles(config: ExperimentConfig, probe: DataProbe, report: RuleReport): string[] | undefined {
  const data = config.data;
  const languageModel = config.task === 'language-model';
  // A masked-language model reads a corpus, or a table when "text" names its column.
  const maskedCorpus = config.task === 'masked-language-model' && data.text === undefined;
  const maskedTable = config.task === 'masked-language-model' && data.text !== undefined;
  const fileKeys = (['source', 'train', 'validation', 'test'] as const).filter((k) => data[k] !== undefined);
  if (data.source !== undefined && data.train !== undefined) {
    report(['data', 'train'], 'error', 'give either "source" (one file, split by "split") or "train" (with optional "validation" and "test"), not both');
  }
  if (data.source === undefined && data.train === undefined) {
    report(['data'], 'error', 'data needs a "source" file (or a "train" file)');
  }
  checkSplitWithSeparateFiles(data, 'file', report);
  let columns: string[] | undefined;
  for (const key of fileKeys) {
    const rel = data[key]!;
    const kind = probedKind(key, rel, probe, report, 'data file');
    if (kind === undefined) continue;
    if (kind !== 'file') {
      report(['data', key], 'error', `not a file: ${rel}`);
      continue;
    }
    const corpus = isCorpusFile(rel, data.format);
    if ((languageModel || maskedCorpus) !== corpus) {
      report(
        ['data', key],
        'error',
        languageModel
          ? `a language model learns from plain text: give a .txt file (or set "format": "txt"), not ${rel}`
          : maskedCorpus
            ? `${rel} is a table: name its text column with "text": "<column>", or give a .txt corpus`
            : maskedTable
              ? `${rel} is plain text, which has no "${data.text}" column: remove "text" to read it as a corpus (one sentence a line), or give a table`
              : `${rel} is plain text; a ${config.task} model reads a table (csv, json or jsonl). For a text corpus use "task": "language-model"`,
      );
      continue;
    }
    if (corpus) continue; // a corpus has no columns
    const cols = probe.columns(rel, data.format);
    if (!Array.isArray(cols)) report(['data', key], 'error', cols.detail);
    else if (columns === undefined) columns = cols;
  }
  return columns;
}

/**
 * What is at a data path the config names at `data.<key>`, or undefined once the reason it cannot
 * be used is reported: the probe's refusal, asked before the path is touched (a config must not
 * make us probe paths it may not name), or nothing there (`${noun} not found`).
 */
export function probedKind(key: 'source' | 'train' | 'validation' | 'test', rel: string, probe: DataProbe, report: RuleReport, noun: string): 'file' | 'other' | undefined {
  const refusal = probe.refusal(rel);
  if (refusal) {
    report(['data', key], 'error', refusal);
    return undefined;
  }
  const kind = probe.kind(rel);
  if (kind === 'missing') {
    report(['data', key], 'error', `${noun} not found: ${rel} (looked for ${probe.where(rel)})`);
    return undefined;
  }
  return kind;
}

/**
 * The data files of a config the schema refused: what can be known without a valid rest —
 * each `data.<key>` path that is a non-empty string, refused or not there, and for a table
 * file whose columns can be read, a `features` or `target` name it lacks — so these come with
 * the schema's errors rather than after they are fixed. Nothing else is assumed of the value.
 */
export function checkDataFilesDespiteSchema(value: unknown, probe: DataProbe, report: RuleReport): void {
  const record = (v: unknown): Record<string, unknown> | undefined => (v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined);
  const data = record(record(value)?.data);
  if (!data) return;
  const image = data.image !== undefined;
  const format = typeof data.format === 'string' ? data.format : undefined;
  let columns: string[] | undefined;
  for (const key of ['source', 'train', 'validation', 'test'] as const) {
    const rel = data[key];
    if (typeof rel !== 'string' || rel === '') continue;
    const kind = probedKind(key, rel, probe, report, image ? 'image folder' : 'data file');
    if (kind !== 'file' || image || isCorpusFile(rel, format) || columns) continue;
    const cols = probe.columns(rel, format);
    if (Array.isArray(cols)) columns = cols;
  }
  const checkColumn = columnChecker(columns, report);
  if (Array.isArray(data.features)) data.features.forEach((f, i) => typeof f === 'string' && f !== '' && checkColumn(['data', 'features', i], f));
  if (typeof data.target === 'string' && data.target !== '' && !image) checkColumn(['data', 'target'], data.target);
}

/** Where the model is exported to must be allowed too. */
export function checkExportPath(config: ExperimentConfig, probe: DataProbe, report: RuleReport): void {
  const exportTo = config.deployment?.export;
  const refusal = exportTo !== undefined ? probe.refusal(exportTo) : undefined;
  if (refusal) report(['deployment', 'export'], 'error', refusal);
}

/** Transformer settings on a model that is not a Transformer. */
export function checkTransformerOnlyKeys(config: ExperimentConfig, report: RuleReport): void {
  if (isTransformerModel(config.model)) return;
  for (const key of TRANSFORMER_ONLY_KEYS) {
    if (key in config.model) report(['model', key], 'error', `"${key}" is a Transformer setting: add "type": "transformerEncoder" (or "transformerDecoder"), or remove it`, true);
  }
}

/**
 * With a `train` file, `split` only carves validation out of it (when no
 * `validation` file is given): say which of its keys are ignored.
 */
export function checkSplitWithSeparateFiles(data: DataConfig, kind: 'file' | 'folder or listing', report: RuleReport): void {
  const split = data.split;
  if (data.source !== undefined || data.train === undefined || split === undefined) return;
  if (split.test !== undefined) {
    report(['data', 'split', 'test'], 'warning', data.test !== undefined ? `ignored: the test split is the "test" ${kind}` : `ignored with a "train" ${kind}: give a "test" ${kind} for the final evaluation`, true);
  }
  if (data.validation !== undefined) {
    for (const key of ['validation', 'seed', 'shuffle'] as const) {
      if (split[key] !== undefined) report(['data', 'split', key], 'warning', `ignored: validation comes from the "validation" ${kind}`, true);
    }
  }
}

const MONITORED = ['earlyStopping', 'reduceLrOnPlateau', 'checkpoint'] as const;

/**
 * The split leaves data to train on; callbacks that watch a validation metric
 * have validation data; nothing watches the test split (it is only for the
 * final evaluation); early stopping or a checkpoint that can only watch a
 * training metric says so.
 */
export function checkSplitAndMonitors(config: ExperimentConfig, report: RuleReport): void {
  const data = config.data;
  const split = data.split;
  const validation = split?.validation ?? SPLIT_DEFAULTS.validation;
  if (split && data.source !== undefined && validation + (split.test ?? SPLIT_DEFAULTS.test) >= 0.9) {
    report(['data', 'split'], 'error', `validation + test take ${Math.round((validation + (split.test ?? SPLIT_DEFAULTS.test)) * 100)}% of the data, leaving too little to train on`);
  }
  if (split && carvedValidationShare(data) >= 0.9) {
    report(['data', 'split', 'validation'], 'error', `validation takes ${Math.round(validation * 100)}% of the training file, leaving too little to train on`);
  }
  const hasValidation = hasValidationData(config);
  for (const key of MONITORED) {
    const section = config.training[key];
    if (!section) continue;
    const monitor = section.monitor ?? (hasValidation ? 'val_loss' : 'loss');
    const at = section.monitor !== undefined ? ['training', key, 'monitor'] : ['training', key];
    if (isTestMetricName(monitor)) {
      report(at, 'error', `"${monitor}" is a test metric: the test split is only for the final evaluation, so nothing stops, slows or keeps a checkpoint by it; monitor a validation metric (e.g. "val_loss")`);
    } else if (monitor.startsWith('val_') && !hasValidation) {
      report(at, 'error', `monitors "${monitor}" but there is no validation data (${NO_VALIDATION_HINT})`);
    } else if (key !== 'reduceLrOnPlateau' && !hasValidation && isTrainingMetricName(monitor)) {
      const what = key === 'earlyStopping' ? `stops when the training "${monitor}" improves no more` : `keeps the epoch with the best training "${monitor}"`;
      report(at, 'warning', `${what}, since there is no validation data: that rewards overfitting (${NO_VALIDATION_HINT})`);
    }
  }
}

/** How to get validation data, for the diagnostics that miss it. */
export const NO_VALIDATION_HINT = '"data.split.validation" carves a share of the training data for validation, e.g. 0.2';

/**
 * Cross-validation deals table rows into folds: regression, classification,
 * text classification and text regression. A language model's corpus, a recommender's held-out
 * interactions and image folders are refused at the key.
 */
export function checkCrossValidation(config: ExperimentConfig, report: RuleReport): void {
  const cv = config.training?.crossValidation;
  if (!cv) return;
  const images = config.data.image !== undefined;
  if (config.task === 'language-model' || config.task === 'masked-language-model' || config.task === 'recommendation' || images) {
    const what = images ? 'image data' : config.task === 'language-model' ? 'a language model (its corpus is one text)' : config.task === 'masked-language-model' ? 'a masked-language model (it pretrains on all of its training text, without labels)' : 'a recommender (its validation is each user\'s held-out interaction)';
    report(['training', 'crossValidation'], 'error', `cross-validation deals table rows into folds (regression, classification, text classification and regression); it is not available for ${what}`);
  }
}
