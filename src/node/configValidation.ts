// Validation of experiment configs: JSONC syntax, the JSON schema (the same
// file VS Code uses for completion), and semantic checks against the data on
// disk. Every problem carries an exact range in the config text. Used by the
// editor diagnostics, the CLI and the trainer (which refuses a bad config).

import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, extname, resolve } from 'node:path';
import type { ErrorObject } from 'ajv';
import { findNodeAtLocation, getNodeValue, parseTree, printParseErrorCode } from 'jsonc-parser';
import type { Node as JsonNode, ParseError } from 'jsonc-parser';
import schema from '../../schema/experiment.schema.json';
import { isRecommenderModel, isTextExperiment, isTransformerModel, resolveTransformer } from '../core/resolvedConfig';
import { validateSchema } from '../core/schemaValidator';
import { checkSweepSection } from '../core/sweepValidation';
import { DataError } from '../core/table';
import { probeColumns } from './tableFile';
import { OUTSIDE_WORKSPACE_HINT, pathEscapesWorkspace } from './workspacePaths';
import type { PathPolicy } from './workspacePaths';
import type { ExperimentConfig, LayerConfig } from '../core/types';

export const CONFIG_FILE_SUFFIX = '.experiment.json';

export interface ConfigDiagnostic {
  severity: 'error' | 'warning' | 'info';
  message: string;
  /** Where in the config, e.g. `data.features[2]`. */
  path: string;
  offset: number;
  length: number;
  /** 0-based. */
  line: number;
  column: number;
  endLine: number;
  endColumn: number;
}

export interface ValidationResult {
  /** Set when there are no errors (warnings allowed). */
  config?: ExperimentConfig;
  diagnostics: ConfigDiagnostic[];
}

type Segment = string | number;


class LineIndex {
  private readonly starts: number[] = [0];
  constructor(text: string) {
    for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) === 10) this.starts.push(i + 1);
  }
  position(offset: number): { line: number; column: number } {
    let lo = 0;
    let hi = this.starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.starts[mid] <= offset) lo = mid;
      else hi = mid - 1;
    }
    return { line: lo, column: offset - this.starts[lo] };
  }
}

export function pathToString(path: Segment[]): string {
  let s = '';
  for (const p of path) s += typeof p === 'number' ? `[${p}]` : s === '' ? p : `.${p}`;
  return s || '(root)';
}

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

class Reporter {
  readonly diagnostics: ConfigDiagnostic[] = [];
  private readonly lines: LineIndex;
  constructor(
    text: string,
    private readonly root: JsonNode | undefined,
  ) {
    this.lines = new LineIndex(text);
  }

  at(offset: number, length: number, severity: ConfigDiagnostic['severity'], path: string, message: string): void {
    const start = this.lines.position(offset);
    const end = this.lines.position(offset + length);
    this.diagnostics.push({ severity, message, path, offset, length, line: start.line, column: start.column, endLine: end.line, endColumn: end.column });
  }

  /** Reports at the value node of `path` (or its nearest existing parent). */
  node(path: Segment[], severity: ConfigDiagnostic['severity'], message: string, keyOnly = false): void {
    let p = path.slice();
    let n: JsonNode | undefined;
    while (this.root && !(n = findNodeAtLocation(this.root, p)) && p.length > 0) p = p.slice(0, -1);
    n ??= this.root;
    if (!n) return this.at(0, 0, severity, pathToString(path), message);
    // For a property of an object, underline the key: the value may span many lines.
    if (keyOnly || (n.type === 'object' && n.parent?.type === 'property')) {
      const key = n.parent?.type === 'property' ? n.parent.children?.[0] : undefined;
      if (key) return this.at(key.offset, key.length, severity, pathToString(path), message);
      return this.at(n.offset, 1, severity, pathToString(path), message);
    }
    if (n.type === 'object' || n.type === 'array') return this.at(n.offset, 1, severity, pathToString(path), message);
    this.at(n.offset, n.length, severity, pathToString(path), message);
  }
}

function instancePathSegments(instancePath: string, root: unknown): Segment[] {
  if (!instancePath) return [];
  const out: Segment[] = [];
  let cur: unknown = root;
  for (const raw of instancePath.split('/').slice(1)) {
    const key = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    if (Array.isArray(cur)) {
      out.push(Number(key));
      cur = cur[Number(key)];
    } else {
      out.push(key);
      cur = cur && typeof cur === 'object' ? (cur as Record<string, unknown>)[key] : undefined;
    }
  }
  return out;
}

/** Property names the schema allows at an instance path (for "did you mean"). */
function allowedProperties(path: Segment[], value: unknown): string[] {
  const s = schema as unknown as Record<string, any>;
  const props = (o: any): string[] => (o && o.properties ? Object.keys(o.properties).filter((k) => k !== '$schema') : []);
  if (path.length === 0) return props(s);
  const [a, b, c] = path;
  if (path.length === 1) return props(s.properties[a as string]);
  if (a === 'data' && (b === 'split' || b === 'tokenizer') && path.length === 2) return props(s.properties.data.properties[b]);
  if (a === 'data' && b === 'preprocess' && path.length === 3) return props(s.properties.data.properties.preprocess.items);
  if (a === 'data' && b === 'preprocess' && path.length === 4) return ['strategy', 'value', 'columns'];
  if (a === 'training' && path.length === 2) return props(s.properties.training.properties[b as string]);
  if (a === 'model' && b === 'layers' && typeof c === 'number') {
    const type = (value as { type?: string } | undefined)?.type;
    for (const branch of s.definitions.layer.allOf) if (branch.if.properties.type.const === type) return props(branch.then);
  }
  return [];
}

function describeSchemaError(e: ErrorObject): string | undefined {
  const p = e.params as Record<string, any>;
  switch (e.keyword) {
    case 'if':
    case 'anyOf':
      return undefined; // the specific errors of the branches say more
    case 'required':
      return `missing required property "${p.missingProperty}"`;
    case 'type':
      return `must be ${p.type === 'integer' ? 'a whole number' : `${/^[aeiou]/.test(String(p.type)) ? 'an' : 'a'} ${p.type}`}`;
    case 'enum':
      return `must be one of ${(p.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(', ')}`;
    case 'const':
      return `must be ${JSON.stringify(p.allowedValue)}`;
    case 'minimum':
    case 'maximum':
    case 'exclusiveMinimum':
    case 'exclusiveMaximum':
      return `must be ${p.comparison} ${p.limit}`;
    case 'minItems':
      return `must have at least ${p.limit} item${p.limit === 1 ? '' : 's'}`;
    case 'uniqueItems':
      return `items ${p.j} and ${p.i} are the same`;
    case 'minLength':
      return 'must not be empty';
    case 'maxLength':
      return `must be at most ${p.limit} characters`;
    case 'pattern':
      return 'may contain only letters, digits, spaces, ".", "_" and "-", starting with a letter or digit';
    case 'minProperties':
    case 'maxProperties':
      return 'each step must name exactly one operation (standardize, minMax, oneHot or fillMissing)';
    default:
      return e.message;
  }
}

/** Where the config's paths may point (see workspacePaths.ts); without a workspace root nothing is checked. */
export type ValidationOptions = PathPolicy;

export function validateConfigText(text: string, configPath: string, options: ValidationOptions = {}): ValidationResult {
  const parseErrors: ParseError[] = [];
  const root = parseTree(text, parseErrors, { allowTrailingComma: true, disallowComments: false });
  const r = new Reporter(text, root);
  for (const pe of parseErrors) r.at(pe.offset, Math.max(pe.length, 1), 'error', '(syntax)', `JSON syntax: ${humanParseError(printParseErrorCode(pe.error))}`);
  if (!root || parseErrors.length > 0) {
    if (!root && parseErrors.length === 0) r.at(0, 0, 'error', '(root)', 'the file is empty; an experiment config is a JSON object');
    return { diagnostics: r.diagnostics };
  }
  const value = getNodeValue(root) as unknown;
  const config = checkConfigValue(value, configPath, r, options);
  if (!config) return { diagnostics: r.diagnostics };
  if (config.sweep) {
    checkSweepSection(config, (v) => validateConfigValue(v, configPath, options), (path, severity, message, keyOnly) => r.node(path, severity, message, keyOnly));
  }
  const hasError = r.diagnostics.some((d) => d.severity === 'error');
  return { config: hasError ? undefined : config, diagnostics: r.diagnostics };
}

/**
 * Checks a config that has no text of its own (a sweep point: the file's
 * config with some values replaced). The diagnostics carry paths, not ranges.
 */
export function validateConfigValue(value: unknown, configPath: string, options: ValidationOptions = {}): ConfigDiagnostic[] {
  const r = new Reporter('', undefined);
  checkConfigValue(value, configPath, r, options);
  return r.diagnostics;
}

/** Schema, then semantic checks; the typed config when it matches the schema. */
function checkConfigValue(value: unknown, configPath: string, r: Reporter, options: ValidationOptions): ExperimentConfig | undefined {
  if (!validateSchema(value)) {
    const seen = new Set<string>();
    for (const e of validateSchema.errors ?? []) {
      const path = instancePathSegments(e.instancePath, value);
      if (e.keyword === 'additionalProperties') {
        const extra = String((e.params as { additionalProperty: string }).additionalProperty);
        const parentValue = path.reduce<any>((o, k) => (o == null ? o : o[k]), value);
        const suggestion = didYouMean(extra, allowedProperties(path, parentValue));
        const key = `${e.instancePath}|extra|${extra}`;
        if (seen.has(key)) continue;
        seen.add(key);
        r.node([...path, extra], 'error', `unknown property "${extra}"${suggestion ? ` — did you mean "${suggestion}"?` : ''}`, true);
        continue;
      }
      const message = describeSchemaError(e);
      if (!message) continue;
      const key = `${e.instancePath}|${message}`;
      if (seen.has(key)) continue;
      seen.add(key);
      const where = pathToString(path);
      r.node(path, 'error', where === '(root)' ? message : `${where}: ${message}`);
    }
    // Specific errors inside an anyOf can be absent (e.g. a wrong type); make sure something is said.
    if (r.diagnostics.length === 0) r.at(0, 1, 'error', '(root)', 'the config does not match the experiment schema');
    return undefined;
  }
  const config = value as unknown as ExperimentConfig;
  semanticChecks(config, configPath, r, options);
  return config;
}

function humanParseError(code: string): string {
  const map: Record<string, string> = {
    InvalidSymbol: 'unexpected character',
    InvalidNumberFormat: 'invalid number',
    PropertyNameExpected: 'property name expected',
    ValueExpected: 'value expected',
    ColonExpected: '":" expected',
    CommaExpected: '"," expected',
    CloseBraceExpected: '"}" expected',
    CloseBracketExpected: '"]" expected',
    EndOfFileExpected: 'unexpected text after the end of the object',
    UnexpectedEndOfString: 'unterminated string',
    UnexpectedEndOfComment: 'unterminated comment',
    InvalidUnicode: 'invalid unicode escape',
    InvalidEscapeCharacter: 'invalid escape character',
    InvalidCharacter: 'invalid character',
  };
  return map[code] ?? code;
}

export function validateConfigFile(configPath: string, options: ValidationOptions = {}): ValidationResult {
  let text: string;
  try {
    text = readFileSync(configPath, 'utf8');
  } catch (e) {
    return {
      diagnostics: [{ severity: 'error', message: `cannot read the config (${(e as NodeJS.ErrnoException).code ?? String(e)})`, path: '(file)', offset: 0, length: 0, line: 0, column: 0, endLine: 0, endColumn: 0 }],
    };
  }
  return validateConfigText(text, configPath, options);
}

/** `file:line:col: severity: message`, 1-based, as compilers print. */
export function formatDiagnostic(configPath: string, d: ConfigDiagnostic): string {
  return `${configPath}:${d.line + 1}:${d.column + 1}: ${d.severity}: ${d.message}`;
}

const CROSS_ENTROPIES = new Set(['binaryCrossentropy', 'categoricalCrossentropy', 'sparseCategoricalCrossentropy']);

function semanticChecks(config: ExperimentConfig, configPath: string, r: Reporter, options: ValidationOptions): void {
  const baseDir = dirname(configPath);
  const data = config.data;
  const languageModel = config.task === 'language-model';

  // ── data files
  const fileKeys = (['source', 'train', 'validation', 'test'] as const).filter((k) => data[k] !== undefined);
  if (data.source !== undefined && data.train !== undefined) {
    r.node(['data', 'train'], 'error', 'give either "source" (one file, split by "split") or "train" (with optional "validation" and "test"), not both');
  }
  if (data.source === undefined && data.train === undefined) {
    r.node(['data'], 'error', 'data needs a "source" file (or a "train" file)');
  }
  if (data.source === undefined && data.split !== undefined && data.train !== undefined) {
    r.node(['data', 'split'], 'warning', '"split" is ignored when the splits come as separate files');
  }
  let columns: string[] | undefined;
  for (const key of fileKeys) {
    const rel = data[key]!;
    const file = resolve(baseDir, rel);
    // Checked before the file is touched: a config must not make us probe files outside the workspace.
    const escape = pathEscapesWorkspace(rel, baseDir, options);
    if (escape) {
      r.node(['data', key], 'error', `${escape}: ${OUTSIDE_WORKSPACE_HINT}`);
      continue;
    }
    if (!existsSync(file)) {
      r.node(['data', key], 'error', `data file not found: ${rel} (looked for ${file})`);
      continue;
    }
    if (!statSync(file).isFile()) {
      r.node(['data', key], 'error', `not a file: ${rel}`);
      continue;
    }
    const corpus = isCorpusFile(rel, data.format);
    if (languageModel !== corpus) {
      r.node(
        ['data', key],
        'error',
        languageModel
          ? `a language model learns from plain text: give a .txt file (or set "format": "txt"), not ${rel}`
          : `${rel} is plain text; a ${config.task} model reads a table (csv, json or jsonl). For a text corpus use "task": "language-model"`,
      );
      continue;
    }
    if (corpus) continue; // a corpus has no columns
    try {
      const cols = probeColumns(file, data.format);
      if (columns === undefined) columns = cols;
    } catch (e) {
      r.node(['data', key], 'error', e instanceof DataError ? e.detail : String(e));
    }
  }

  const exportTo = config.deployment?.export;
  const exportEscape = exportTo !== undefined ? pathEscapesWorkspace(exportTo, baseDir, options) : undefined;
  if (exportEscape) r.node(['deployment', 'export'], 'error', `${exportEscape}: ${OUTSIDE_WORKSPACE_HINT}`);

  if (!isTransformerModel(config.model)) {
    for (const key of TRANSFORMER_ONLY_KEYS) {
      if (key in config.model) r.node(['model', key], 'error', `"${key}" is a Transformer setting: add "type": "transformerEncoder" (or "transformerDecoder"), or remove it`, true);
    }
  }
  if (config.task === 'recommendation' || isRecommenderModel(config.model)) checkRecommendationExperiment(config, columns, r);
  else if (isTextExperiment(config)) checkTextExperiment(config, columns, r);
  else checkTabularExperiment(config, columns, r);

  const split = data.split;
  if (split && (split.validation ?? 0.2) + (split.test ?? 0.1) >= 0.9) {
    r.node(['data', 'split'], 'error', `validation + test take ${Math.round(((split.validation ?? 0.2) + (split.test ?? 0.1)) * 100)}% of the data, leaving too little to train on`);
  }
  const hasValidation = data.train ? data.validation !== undefined : (data.split?.validation ?? 0.2) > 0;
  for (const key of ['earlyStopping', 'reduceLrOnPlateau', 'checkpoint'] as const) {
    const monitor = config.training[key]?.monitor ?? 'val_loss';
    if (config.training[key] && monitor.startsWith('val_') && !hasValidation) {
      r.node(['training', key], 'error', `monitors "${monitor}" but there is no validation data`);
    }
  }
}

const RECOMMENDER_EXAMPLE = '"model": { "type": "matrixFactorization", "embeddingDim": 16 }';

/** Recommendation: implicit interactions (a user column, an item column) and a recommender model. */
function checkRecommendationExperiment(config: ExperimentConfig, columns: string[] | undefined, r: Reporter): void {
  const { data, model } = config;
  if (config.task !== 'recommendation') {
    r.node(['model', 'type'], 'error', `"${model.type}" is a recommender: it needs "task": "recommendation"`);
    return;
  }
  if (!isRecommenderModel(model)) {
    r.node(['model', isTransformerModel(model) ? 'type' : 'layers'], 'error', `a recommender scores users against items: ${RECOMMENDER_EXAMPLE} (or "neuralRecommender")`, !isTransformerModel(model));
  } else if (model.type === 'matrixFactorization' && model.hidden !== undefined) {
    r.node(['model', 'hidden'], 'warning', '"hidden" is for "neuralRecommender"; matrix factorization scores with a dot product, so it is ignored', true);
  }
  if (data.train !== undefined) r.node(['data', 'train'], 'error', 'a recommender reads one "source" of interactions in time order and holds out each user\'s last ones; give "source" instead', true);
  if (!data.user) r.node(['data'], 'error', 'missing "user": the column naming the user of each interaction');
  if (!data.item) r.node(['data'], 'error', 'missing "item": the column naming the item of each interaction');
  if (data.target !== undefined) r.node(['data', 'target'], 'error', 'a recommender learns from implicit interactions (each row is one); remove "target"', true);
  for (const key of ['features', 'text', 'preprocess', 'tokenizer'] as const) {
    if (data[key] !== undefined) r.node(['data', key], 'error', `"${key}" is not used by a recommender, which reads only the "user" and "item" columns; remove it`, true);
  }
  if (data.split !== undefined) r.node(['data', 'split'], 'warning', "a recommender holds out each user's last interaction (test) and the one before (validation); \"split\" is ignored", true);
  if (data.user && data.item && data.user === data.item) r.node(['data', 'item'], 'error', '"user" and "item" name the same column');
  const checkColumn = columnChecker(columns, r);
  if (data.user) checkColumn(['data', 'user'], data.user);
  if (data.item) checkColumn(['data', 'item'], data.item);
  const loss = config.training.loss;
  if (loss && loss !== 'binaryCrossentropy') r.node(['training', 'loss'], 'error', `loss "${loss}" does not fit task "recommendation", which is trained as clicked-or-not ("binaryCrossentropy")`);
  config.training.metrics?.forEach((m, i) => r.node(['training', 'metrics', i], 'warning', `"${m}" is not logged for a recommender (it logs loss and val_loss; hit rate and NDCG are in the evaluation)`));
}

const TRANSFORMER_ONLY_KEYS = ['heads', 'dModel', 'ffDim', 'dropout', 'maxLength', 'positional', 'pooling'] as const;

/** A plain text corpus, by declared format or by extension. */
function isCorpusFile(rel: string, format: string | undefined): boolean {
  return format === 'txt' || (format === undefined && extname(rel).toLowerCase() === '.txt');
}

/** Reports a column that is not in the data, with a suggestion. No-op when the columns are unknown. */
function columnChecker(columns: string[] | undefined, r: Reporter): (path: Segment[], name: string) => void {
  if (!columns) return () => {};
  const known = new Set(columns);
  return (path, name) => {
    if (known.has(name)) return;
    const s = didYouMean(name, columns);
    r.node(path, 'error', `unknown column "${name}"${s ? ` — did you mean "${s}"?` : ''} (the data has: ${columns.slice(0, 12).join(', ')}${columns.length > 12 ? ', …' : ''})`);
  };
}

function checkTabularExperiment(config: ExperimentConfig, columns: string[] | undefined, r: Reporter): void {
  const data = config.data;
  // ── columns
  const numericFeatures = new Set(data.features ?? []);
  if (!data.features) r.node(['data'], 'error', 'missing "features": the input columns');
  if (!data.target) r.node(['data'], 'error', 'missing "target": the column to predict');
  if (data.tokenizer) r.node(['data', 'tokenizer'], 'warning', 'the inputs are numeric columns, not text; "tokenizer" is ignored', true);
  if (columns) {
    const checkColumn = columnChecker(columns, r);
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
    r.node(['data', 'features', data.features.indexOf(data.target)], 'error', `the target "${data.target}" is also listed as a feature`);
  }
  data.preprocess?.forEach((step, i) => {
    const op = Object.keys(step)[0];
    const arg = (step as Record<string, unknown>)[op];
    if (Array.isArray(arg) && op !== 'fillMissing') {
      arg.forEach((c, j) => {
        if (typeof c === 'string' && !numericFeatures.has(c) && c !== data.target) {
          r.node(['data', 'preprocess', i, op, j], 'error', `"${c}" is not one of the features`);
        }
      });
    }
    if (op === 'fillMissing') {
      const fm = arg as { strategy: string; value?: unknown };
      if (fm.strategy === 'constant' && fm.value === undefined) r.node(['data', 'preprocess', i, op], 'error', 'strategy "constant" needs a "value"');
    }
  });

  // ── model
  if (isTransformerModel(config.model) || isRecommenderModel(config.model)) return; // not reached: checked as text or recommendation
  const layers = config.model.layers;
  const denseIdx = layers.map((l, i) => (l.type === 'dense' ? i : -1)).filter((i) => i >= 0);
  if (denseIdx.length === 0) {
    r.node(['model', 'layers'], 'error', 'the model needs at least one dense layer');
    return;
  }
  const lastDense = denseIdx[denseIdx.length - 1];
  const out = layers[lastDense] as Extract<LayerConfig, { type: 'dense' }>;
  const trailing = layers.slice(lastDense + 1);
  const trailingAct = [...trailing].reverse().find((l): l is Extract<LayerConfig, { type: 'activation' }> => l.type === 'activation');
  const outActivation = trailingAct?.activation ?? out.activation ?? 'linear';
  if (trailing.some((l) => l.type === 'dropout' || l.type === 'batchNormalization' || l.type === 'layerNormalization')) {
    r.node(['model', 'layers', lastDense + 1], 'warning', 'a normalization or dropout layer after the output layer changes the predictions; put it before the last dense layer');
  }
  const loss = config.training.loss;
  if (config.task === 'regression') {
    if (out.units !== 1) r.node(['model', 'layers', lastDense, 'units'], 'error', `a regression model predicts one number: the last dense layer needs "units": 1, not ${out.units}`);
    if (outActivation === 'softmax' || outActivation === 'sigmoid') {
      r.node(['model', 'layers', lastDense, 'activation'], 'warning', `"${outActivation}" squashes the output of a regression model; targets outside its range cannot be reached`);
    }
    if (loss && CROSS_ENTROPIES.has(loss)) r.node(['training', 'loss'], 'error', `loss "${loss}" does not fit task "regression"; use "mse", "mae" or "huber"`);
    config.training.metrics?.forEach((m, i) => {
      if (m === 'accuracy') r.node(['training', 'metrics', i], 'error', '"accuracy" is a classification metric; use "mae" or "mse"');
    });
    config.evaluation?.metrics?.forEach((m, i) => {
      if (m === 'accuracy' || m === 'precision' || m === 'recall' || m === 'f1') r.node(['evaluation', 'metrics', i], 'error', `"${m}" is a classification metric`);
    });
  } else if (config.task === 'classification') {
    if (loss && !CROSS_ENTROPIES.has(loss)) r.node(['training', 'loss'], 'error', `loss "${loss}" does not fit task "classification"; use a cross-entropy`);
    if (loss === 'binaryCrossentropy') {
      if (out.units !== 1) r.node(['model', 'layers', lastDense, 'units'], 'error', `"binaryCrossentropy" needs one output unit with "sigmoid", not ${out.units} units`);
      else if (outActivation !== 'sigmoid') r.node(['model', 'layers', lastDense], 'error', '"binaryCrossentropy" needs the last layer to use "activation": "sigmoid"');
    } else {
      if (out.units === 1 && loss !== undefined) r.node(['model', 'layers', lastDense, 'units'], 'error', `"${loss}" needs one output unit per class; for two classes use 2 units with "softmax", or 1 unit with "sigmoid" and "binaryCrossentropy"`);
      if (out.units > 1 && outActivation !== 'softmax') r.node(['model', 'layers', lastDense], 'error', 'a classifier with several output units needs "activation": "softmax" on the last layer');
    }
    config.evaluation?.metrics?.forEach((m, i) => {
      if (m === 'r2' || m === 'rmse') r.node(['evaluation', 'metrics', i], 'error', `"${m}" is a regression metric`);
    });
  }
}

const ENCODER_EXAMPLE = '"model": { "type": "transformerEncoder", "layers": 2, "heads": 4, "dModel": 64 }';
const DECODER_EXAMPLE = '"model": { "type": "transformerDecoder", "layers": 2, "heads": 4, "dModel": 64 }';

/** Text classification (a text column, a Transformer encoder) and language modelling (a corpus, a decoder). */
function checkTextExperiment(config: ExperimentConfig, columns: string[] | undefined, r: Reporter): void {
  const data = config.data;
  const model = config.model;
  const loss = config.training.loss;
  if (config.task === 'regression') {
    if (isTransformerModel(model)) {
      r.node(['model', 'type'], 'error', 'a Transformer does not fit task "regression": use "transformerEncoder" with task "classification", or "transformerDecoder" with task "language-model"');
    }
    if (data.text !== undefined) r.node(['data', 'text'], 'error', 'text input is for task "classification"; a regression model reads numeric "features"');
    return;
  }

  if (config.task === 'classification') {
    if (data.text === undefined) {
      if (data.features) r.node(['data', 'features'], 'error', 'a Transformer reads text, not numeric features: replace "features" with "text": "<the text column>"', true);
      else r.node(['data'], 'error', 'missing "text": the column that holds the text');
    } else if (data.features) {
      r.node(['data', 'features'], 'error', 'give either "text" (a text column) or "features" (numeric columns), not both', true);
    }
    if (!data.target) r.node(['data'], 'error', 'missing "target": the column with the label');
    const checkColumn = columnChecker(columns, r);
    if (data.text !== undefined) checkColumn(['data', 'text'], data.text);
    if (data.target) checkColumn(['data', 'target'], data.target);
    if (data.text !== undefined && data.text === data.target) r.node(['data', 'target'], 'error', `"${data.target}" is both the text and the target`);
    if (!isTransformerModel(model)) r.node(['model', 'layers'], 'error', `a text classifier needs a Transformer encoder: ${ENCODER_EXAMPLE}`, true);
    else if (model.type === 'transformerDecoder') r.node(['model', 'type'], 'error', '"transformerDecoder" is for task "language-model"; a text classifier uses "transformerEncoder"');
    if (loss === 'binaryCrossentropy') r.node(['training', 'loss'], 'error', 'a Transformer classifier ends in a softmax over the classes; use "sparseCategoricalCrossentropy"');
    else if (loss && !CROSS_ENTROPIES.has(loss)) r.node(['training', 'loss'], 'error', `loss "${loss}" does not fit task "classification"; use "sparseCategoricalCrossentropy"`);
    config.training.metrics?.forEach((m, i) => {
      if (m !== 'accuracy') r.node(['training', 'metrics', i], 'error', `"${m}" is a regression metric; a classifier logs "accuracy"`);
    });
    config.evaluation?.metrics?.forEach((m, i) => {
      if (m === 'r2' || m === 'rmse' || m === 'mse' || m === 'mae') r.node(['evaluation', 'metrics', i], 'error', `"${m}" is a regression metric`);
    });
  }

  if (config.task === 'language-model') {
    if (!isTransformerModel(model)) r.node(['model', 'layers'], 'error', `a language model needs a Transformer decoder: ${DECODER_EXAMPLE}`, true);
    else if (model.type === 'transformerEncoder') {
      r.node(['model', 'type'], 'error', '"transformerEncoder" is for text classification; a language model uses "transformerDecoder" (its attention only looks back, so it can predict the next token)');
    }
    for (const key of ['features', 'text', 'target'] as const) {
      if (data[key] !== undefined) r.node(['data', key], 'warning', `"${key}" is not used by a language model: it learns from the whole text`, true);
    }
    if (loss && loss !== 'sparseCategoricalCrossentropy' && loss !== 'categoricalCrossentropy') {
      r.node(['training', 'loss'], 'error', `loss "${loss}" does not fit task "language-model", which is trained with next-token cross-entropy ("sparseCategoricalCrossentropy")`);
    }
    config.training.metrics?.forEach((m, i) => {
      if (m !== 'accuracy') r.node(['training', 'metrics', i], 'error', `"${m}" does not apply to a language model; it logs its loss and, if asked, next-token "accuracy"`);
    });
    config.evaluation?.metrics?.forEach((m, i) => {
      r.node(['evaluation', 'metrics', i], 'error', `"${m}" does not apply to a language model, which is evaluated by loss and perplexity`);
    });
  }

  if (data.preprocess) r.node(['data', 'preprocess'], 'warning', 'preprocessing steps are for numeric columns; text goes through the "tokenizer", so these are ignored', true);

  if (!isTransformerModel(model)) return;
  const t = resolveTransformer(model, data.tokenizer);
  if (t.dModel % t.heads !== 0) {
    const fits = [1, 2, 4, 8, 16].filter((h) => t.dModel % h === 0 && h !== t.heads);
    r.node(
      ['model', model.dModel !== undefined ? 'dModel' : 'heads'],
      'error',
      `"dModel" (${t.dModel}) must be divisible by "heads" (${t.heads}): each head works on dModel / heads dimensions${fits.length ? `; heads that fit: ${fits.join(', ')}` : ''}`,
    );
  }
  if (model.pooling !== undefined && model.type === 'transformerDecoder') {
    r.node(['model', 'pooling'], 'warning', 'a decoder predicts every next token and pools nothing; "pooling" is ignored');
  }
  const tokMax = data.tokenizer?.maxLength;
  if (tokMax !== undefined && model.maxLength !== undefined && tokMax > model.maxLength) {
    r.node(['data', 'tokenizer', 'maxLength'], 'error', `${tokMax} tokens per sequence, but the model's positions stop at its "maxLength" (${model.maxLength})`);
  }
}
