// Where a fine-tuned run's base is (`model.base`): a run id of the config's
// runs folder, a run folder, or an export folder (modelExport.ts), relative
// paths from the config's folder. Pure file work (no tfjs): the trainer, the
// editor's diagnostics and the CLI share it. Every refusal is an Error whose
// message names the path and what is wrong with it.

import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, dirname, isAbsolute, join, resolve } from 'node:path';
import { editDistance } from '../core/configRules';
import { baseMismatch, baseModelKind, baseShapeMismatch } from '../core/configRules/base';
import type { ProbedBase } from '../core/configRules';
import { isOneOf } from '../core/choices';
import { ENSEMBLE_FILE } from '../core/ensemble';
import { resolveTransformer } from '../core/resolvedConfig';
import type { ResolvedTransformer } from '../core/resolvedConfig';
import { TOKENIZER_FILE } from '../core/tokenizer';
import type { TokenizerJson } from '../core/tokenizer';
import { TASKS } from '../core/types';
import type { BaseModelConfig, ExperimentConfig, RunBase, RunMeta, Task, TokenizerConfig, TransformerModelConfig } from '../core/types';
import { MODEL_CARD_JSON } from './modelExport';
import type { ModelCard } from './modelExport';
import { readRunMeta } from './runStoreReader';

/** A model folder's files that say its task: a text model's task.json, a tabular model's preprocessing.json. */
const TASK_FILES = ['task.json', 'preprocessing.json'] as const;

export interface ResolvedBase {
  /** `run`: a run folder (found by id or path); `export`: an export folder. */
  kind: 'run' | 'export';
  /** The base run's id (kind `run`; an export: the run it was exported from, from its model card). */
  id?: string;
  /** The run folder, absolute (kind `run`). */
  runDir?: string;
  /** The folder holding model.json, weights.bin and the files prediction needs (tokenizer.json, task.json, …), absolute. */
  modelDir: string;
  /** The folder the weights are read from (= modelDir), as RunMeta.base records it. */
  path: string;
  /** The base's task: its model folder's task file, else its meta.json, else its model card. */
  task: Task;
  /** The base's config: a run's config.json, an export's model card's `config` (an export without a card: a Transformer's `model` read from model.json). */
  config?: Record<string, unknown>;
  /** The base run's meta.json (kind `run`). */
  meta?: RunMeta;
  /** sha256 of the base's config.json (an export: of its card's config written as a run writes config.json), hex, first 16. */
  configHash?: string;
}

/** `model.base` with its defaults: the string form is `{ from }`. */
export interface BaseOptions {
  from: string;
  /** Epochs the base's weights stay frozen (0: they train from the start). */
  freezeEpochs: number;
  /** The base's weights' learning rate (undefined: the optimizer's). */
  learningRate?: number;
}

export function baseOptions(base: string | BaseModelConfig): BaseOptions {
  const b = typeof base === 'string' ? { from: base } : base;
  if (typeof b.from !== 'string' || b.from.trim() === '') throw new Error('model.base: "from" must name a run id, a run folder or an export folder');
  const freezeEpochs = b.freezeEpochs ?? 0;
  if (!Number.isInteger(freezeEpochs) || freezeEpochs < 0) throw new Error(`model.base.freezeEpochs must be a whole number of epochs ≥ 0, not ${String(b.freezeEpochs)}`);
  if (b.learningRate !== undefined && !(typeof b.learningRate === 'number' && Number.isFinite(b.learningRate) && b.learningRate > 0)) {
    throw new Error(`model.base.learningRate must be a number > 0, not ${String(b.learningRate)}`);
  }
  return { from: b.from.trim(), freezeEpochs, ...(b.learningRate === undefined ? {} : { learningRate: b.learningRate }) };
}

/** What RunMeta.base records of a resolved base. */
export function runBaseOf(base: ResolvedBase): RunBase {
  return { kind: base.kind, ...(base.id ? { id: base.id } : {}), path: base.path, task: base.task, ...(base.configHash ? { configHash: base.configHash } : {}) };
}

/** sha256 of a file's bytes, hex, first 16 characters. */
export function configHashOf(bytes: string | Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex').slice(0, 16);
}

/**
 * Finds the base `model.base` names. `configPath`: the config (relative paths
 * start from its folder); `runsDir`: its runs folder (where a run id is
 * looked up). Throws an Error naming the path and the problem.
 */
export function resolveBase(base: string | BaseModelConfig, configPath: string, runsDir: string): ResolvedBase {
  const { from } = baseOptions(base);
  const byId = !from.includes('/') && !from.includes('\\') && from !== '.' && from !== '..' ? join(runsDir, from) : undefined;
  if (byId && isFolder(byId)) return resolveRunFolder(resolve(byId), from);
  const asPath = isAbsolute(from) ? from : resolve(dirname(configPath), from);
  if (existsSync(asPath)) {
    if (!isFolder(asPath)) throw new Error(`model.base: ${asPath} is not a folder (a base is a run folder, a run id or an export folder)`);
    return resolveFolder(resolve(asPath));
  }
  if (byId) throw new Error(`model.base: no run "${from}" in ${resolve(runsDir)}${suggestIds(from, runsDir)}, and no folder ${asPath}`);
  throw new Error(`model.base: no folder ${asPath}`);
}

function isFolder(p: string): boolean {
  try {
    return statSync(p).isDirectory();
  } catch {
    return false;
  }
}

/** Up to three run ids of the runs folder close to `id` (edit distance, or one inside the other). */
function suggestIds(id: string, runsDir: string): string {
  let names: string[];
  try {
    names = readdirSync(runsDir).filter((n) => isFolder(join(runsDir, n)));
  } catch {
    return ' (the runs folder does not exist)';
  }
  if (names.length === 0) return ' (the runs folder has no runs)';
  const lower = id.toLowerCase();
  const limit = Math.max(2, Math.floor(id.length / 3));
  const close = names
    .map((n) => ({ n, d: n.toLowerCase().includes(lower) || lower.includes(n.toLowerCase()) ? 0 : editDistance(id, n) }))
    .filter((c) => c.d <= limit)
    .sort((a, b) => a.d - b.d || b.n.localeCompare(a.n))
    .slice(0, 3)
    .map((c) => `"${c.n}"`);
  return close.length ? ` — did you mean ${close.join(' or ')}?` : '';
}

/** A folder named by path: a run folder, a run's model folder, or an export folder. */
function resolveFolder(dir: string): ResolvedBase {
  if (existsSync(join(dir, 'meta.json'))) return resolveRunFolder(dir);
  if (existsSync(join(dir, 'model.json')) && basename(dir) === 'model' && existsSync(join(dirname(dir), 'meta.json'))) return resolveRunFolder(dirname(dir));
  if (existsSync(join(dir, ENSEMBLE_FILE))) throw new Error(`model.base: ${dir} is an ensemble (the mean of several models), which cannot be a base; name one of its members' runs`);
  if (existsSync(join(dir, 'model.json'))) return resolveExport(dir);
  if (existsSync(join(dir, 'model', 'model.json'))) throw new Error(`model.base: ${dir} has a model/ folder but no meta.json, so it is not a run folder (an export folder holds model.json itself)`);
  throw new Error(`model.base: ${dir} is neither a run folder (meta.json) nor an export folder (model.json)`);
}

function readJsonFile(file: string, what: string): unknown {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new Error(`model.base: ${file} cannot be read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (e) {
    throw new Error(`model.base: ${file} is unreadable: ${what} is not valid JSON (${(e as Error).message})`);
  }
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** The task a model folder's own files state (task.json of a text model, preprocessing.json of a tabular one). */
function modelFolderTask(modelDir: string): Task | undefined {
  for (const name of TASK_FILES) {
    const file = join(modelDir, name);
    if (!existsSync(file)) continue;
    const value = readJsonFile(file, name);
    if (isRecord(value) && isOneOf(TASKS, value.task)) return value.task;
  }
  return undefined;
}

const WHY_NO_MODEL: Partial<Record<RunMeta['status'], string>> = {
  running: 'it is still running (a run saves its model when it ends)',
  queued: 'it is queued and has not trained yet',
  failed: 'it failed',
  interrupted: 'it was interrupted before it ended (resume it first)',
  cancelled: 'it was cancelled',
  stopped: 'it was stopped before it saved a model',
  pruned: 'it was pruned by its sweep before it saved a model',
};

function resolveRunFolder(runDir: string, id?: string): ResolvedBase {
  const metaFile = join(runDir, 'meta.json');
  if (!existsSync(metaFile)) {
    if (id) throw new Error(`model.base: run "${id}" (${runDir}) has no meta.json, so it is not a run folder`);
    throw new Error(`model.base: ${runDir} has no meta.json, so it is not a run folder`);
  }
  const raw = readJsonFile(metaFile, 'meta.json');
  if (!isRecord(raw)) throw new Error(`model.base: ${metaFile} is unreadable: it does not hold a run description (not a JSON object)`);
  const meta = readRunMeta(runDir);
  if (!meta) throw new Error(`model.base: ${metaFile} is unreadable`);
  const status = meta.status; // as shown: a 'running' run whose trainer is gone reads interrupted
  const name = id ?? meta.id;
  const modelDir = join(runDir, 'model');
  if (!existsSync(join(modelDir, 'model.json'))) {
    const why = WHY_NO_MODEL[status] ?? `its status is ${status}`;
    throw new Error(`model.base: run "${name}" (${runDir}) has no saved model (${join('model', 'model.json')}): ${why}${meta.error ? ` — ${meta.error}` : ''}`);
  }
  if (status === 'running' || status === 'queued') {
    throw new Error(`model.base: run "${name}" (${runDir}) is ${status === 'running' ? 'still running' : 'queued'}; wait until it ends, its model is not final yet`);
  }
  if (existsSync(join(modelDir, ENSEMBLE_FILE))) throw new Error(`model.base: ${modelDir} is an ensemble, which cannot be a base`);
  const configFile = join(runDir, 'config.json');
  let config: Record<string, unknown> | undefined;
  let configHash: string | undefined;
  if (existsSync(configFile)) {
    const bytes = readFileSync(configFile);
    configHash = configHashOf(bytes);
    let parsed: unknown;
    try {
      parsed = JSON.parse(bytes.toString('utf8'));
    } catch (e) {
      throw new Error(`model.base: ${configFile} is unreadable (${(e as Error).message})`);
    }
    if (isRecord(parsed)) config = parsed;
  }
  const task = modelFolderTask(modelDir) ?? meta.task;
  return { kind: 'run', id: meta.id || name, runDir, modelDir, path: modelDir, task, ...(config ? { config } : {}), meta, ...(configHash ? { configHash } : {}) };
}

function resolveExport(dir: string): ResolvedBase {
  const cardFile = join(dir, MODEL_CARD_JSON);
  const card = existsSync(cardFile) ? readJsonFile(cardFile, MODEL_CARD_JSON) : undefined;
  if (card !== undefined && !isRecord(card)) throw new Error(`model.base: ${cardFile} is unreadable: not a model card (not a JSON object)`);
  const c = card as Partial<ModelCard> | undefined;
  // A copy of a model folder (a config's deployment.export) has no card: a Transformer's model section is read from model.json.
  const cardConfig = c && isRecord(c.config) ? c.config : undefined;
  const config = cardConfig ?? transformerConfigOf(dir);
  const task = modelFolderTask(dir) ?? (isOneOf(TASKS, c?.task) ? c.task : undefined);
  if (!task) throw new Error(`model.base: ${dir} does not say its task (no task.json, preprocessing.json or ${MODEL_CARD_JSON} with a task)`);
  // The card's config is the run's config.json parsed; written back as a run writes it, the bytes (and so the hash) are the run's.
  const configHash = cardConfig ? configHashOf(JSON.stringify(cardConfig, null, 2) + '\n') : undefined;
  return {
    kind: 'export',
    ...(typeof c?.runId === 'string' && c.runId ? { id: c.runId } : {}),
    modelDir: dir,
    path: dir,
    task,
    ...(config ? { config } : {}),
    ...(configHash ? { configHash } : {}),
  };
}

/**
 * A Transformer's `model` section as its saved model.json states it (the layers' own configs:
 * the embedding's width, length and positions, each block's heads and feed-forward width, causal
 * attention for a decoder), as `{ model }`; undefined for any other model or an unreadable file.
 */
export function transformerConfigOf(modelDir: string): Record<string, unknown> | undefined {
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(join(modelDir, 'model.json'), 'utf8'));
  } catch {
    return undefined;
  }
  const topology = isRecord(json) && isRecord(json.modelTopology) ? json.modelTopology : undefined;
  const inner = isRecord(topology?.model_config) ? topology.model_config : topology;
  const layers = isRecord(inner?.config) && Array.isArray(inner.config.layers) ? (inner.config.layers as unknown[]).filter(isRecord) : [];
  const configOf = (className: string) => layers.filter((l) => l.class_name === className).map((l) => (isRecord(l.config) ? l.config : {}));
  const [embedding] = configOf('ModelLabTokenAndPositionEmbedding');
  const attention = configOf('ModelLabMultiHeadSelfAttention');
  const [feedForward] = configOf('ModelLabFeedForward');
  if (!embedding || attention.length === 0 || !feedForward) return undefined;
  return {
    model: {
      type: attention[0].causal === true ? 'transformerDecoder' : 'transformerEncoder',
      layers: attention.length,
      heads: attention[0].heads,
      dModel: embedding.d_model ?? embedding.dModel,
      ffDim: feedForward.ff_dim ?? feedForward.ffDim,
      maxLength: embedding.max_length ?? embedding.maxLength,
      positional: embedding.positional,
    },
  };
}

// ───────────────────────── does a Transformer config fit its base? ─────────────────────────

/** The hyperparameters a fine-tuned Transformer takes from its base: a config that names another value is refused. */
export const BASE_HYPERPARAMETERS = ['layers', 'heads', 'dModel', 'ffDim', 'maxLength', 'positional'] as const;

export interface BaseFitProblem {
  /** Where in the config (JSON path). */
  path: (string | number)[];
  severity: 'error' | 'warning' | 'info';
  message: string;
}

/** How a message names the base, as the editor's checks do: `run "<id>" (<folder>)`, or `the export <folder>`. */
export function describeBase(base: Pick<ResolvedBase, 'kind' | 'id' | 'runDir' | 'modelDir'>): string {
  return base.kind === 'run' ? `run "${base.id ?? base.runDir}" (${base.runDir})` : `the export ${base.modelDir}`;
}

/** The base as the config rules see it (src/core/configRules/base.ts). */
function probedOf(base: ResolvedBase): ProbedBase {
  return { name: describeBase(base), task: base.task, ...(base.config ? { config: base.config } : {}), ...(existsSync(join(base.modelDir, 'task.json')) ? { textModel: true } : {}) };
}

/** The base's tokenizer.json, read (undefined when it has none). */
export function readBaseTokenizer(base: Pick<ResolvedBase, 'modelDir'>): TokenizerJson | undefined {
  const file = join(base.modelDir, TOKENIZER_FILE);
  if (!existsSync(file)) return undefined;
  const json = readJsonFile(file, TOKENIZER_FILE);
  if (!isRecord(json) || json.format !== 'modellab-tokenizer' || !Array.isArray(json.vocab) || !isRecord(json.settings)) {
    throw new Error(`model.base: ${file} is not a Model Lab tokenizer (tokenizer.json format 1)`);
  }
  return json as unknown as TokenizerJson;
}

/** The base's Transformer as it was built: its config's model, defaults filled in as its run resolved them. */
export function baseTransformer(base: Pick<ResolvedBase, 'config'>): ResolvedTransformer | undefined {
  const model = base.config?.model;
  if (!isRecord(model) || (model.type !== 'transformerEncoder' && model.type !== 'transformerDecoder')) return undefined;
  const data = isRecord(base.config?.data) ? (base.config.data as { tokenizer?: TokenizerConfig }) : {};
  return resolveTransformer(model as unknown as TransformerModelConfig, data.tokenizer);
}

/**
 * Why a Transformer config cannot fine-tune from `base` (errors), and what it
 * ignores (infos): the editor shows them at their paths, the trainer refuses
 * the errors. Only for Transformer configs.
 */
export function baseFitProblems(config: ExperimentConfig, base: ResolvedBase): BaseFitProblem[] {
  const problems: BaseFitProblem[] = [];
  const model = config.model as TransformerModelConfig;
  const basePath = ['model', 'base'];
  const need =
    config.task === 'classification' && model.type === 'transformerEncoder'
      ? ({ kind: 'transformerEncoder', what: 'a text classifier' } as const)
      : config.task === 'regression' && model.type === 'transformerEncoder'
        ? ({ kind: 'transformerEncoder', what: 'a text regression model' } as const)
        : config.task === 'masked-language-model' && model.type === 'transformerEncoder'
          ? ({ kind: 'transformerEncoder', what: 'a masked language model' } as const)
          : config.task === 'language-model' && model.type === 'transformerDecoder'
            ? ({ kind: 'transformerDecoder', what: 'a language model' } as const)
            : undefined;
  if (!need) {
    problems.push({ path: basePath, severity: 'error', message: `model.base: the trainer fine-tunes a text classifier, a text regression model or a masked language model (transformerEncoder) or a language model (transformerDecoder) from a base, not a ${config.task} ${model.type}` });
    return problems;
  }
  // The kind and shape rules are the editor's own (one wording for the editor and the trainer).
  const probed = probedOf(base);
  const kind = baseModelKind(probed);
  const arch = baseTransformer(base);
  if (kind !== need.kind || !arch) {
    problems.push({ path: basePath, severity: 'error', message: baseMismatch(probed, kind === need.kind ? undefined : kind, need.kind, need.what) });
    return problems;
  }
  for (const key of BASE_HYPERPARAMETERS) {
    const mine = model[key];
    const theirs = arch[key];
    if (mine === undefined || mine === theirs) continue;
    const message = typeof mine === 'number' && typeof theirs === 'number' ? baseShapeMismatch(key, mine, theirs, probed.name) : `"${key}" is "${mine}" here but "${theirs}" in the base, ${probed.name}: remove "${key}" (it comes from the base) or set it to "${theirs}"`;
    problems.push({ path: ['model', key], severity: 'error', message });
  }
  const tokenizer = readBaseTokenizer(base);
  if (!tokenizer) {
    problems.push({ path: basePath, severity: 'error', message: `model.base: ${probed.name} has no ${TOKENIZER_FILE} in ${base.modelDir}, so its token ids cannot be known` });
    return problems;
  }
  if ((need.what === 'a text classifier' || need.what === 'a text regression model') && model.pooling === 'first' && !tokenizer.prependCls) {
    problems.push({ path: ['model', 'pooling'], severity: 'error', message: `"pooling" is "first" (a <cls> token's vector), but the base's tokenizer puts no <cls> before the text: use "mean"` });
  }
  if (config.data.tokenizer !== undefined) {
    problems.push({ path: ['data', 'tokenizer'], severity: 'info', message: tokenizerIgnoredMessage(tokenizer) });
  }
  return problems;
}

/**
 * The pooling a classifier's (or a text regression model's) new head takes when its config names none: the
 * base classifier's own (a base that pooled its <cls> token's vector, its
 * tokenizer putting <cls> before every text, gives `first`); undefined (the
 * default, `mean`) over any other base or when the config names one.
 */
export function poolingOfBase(config: ExperimentConfig, base: Pick<ResolvedBase, 'task'>, arch: ResolvedTransformer, tokenizer: TokenizerJson): ResolvedTransformer['pooling'] | undefined {
  if ((config.task !== 'classification' && config.task !== 'regression') || base.task !== 'classification' || (config.model as TransformerModelConfig).pooling !== undefined) return undefined;
  // `mean` is the default already; `first` only where the base's tokenizer does put a <cls> first.
  return arch.pooling === 'first' && tokenizer.prependCls ? 'first' : undefined;
}

export function tokenizerIgnoredMessage(tokenizer: TokenizerJson): string {
  return `data.tokenizer is ignored: the run takes the base's tokenizer (${tokenizer.settings.type}, ${tokenizer.vocab.length} tokens)`;
}

/**
 * The config a fine-tuned run trains with: the base's hyperparameters and
 * tokenizer settings in place of its own (the run's config.json shows what was
 * trained), `model.base` kept. Throws the first errors of baseFitProblems.
 */
export function configOnBase(config: ExperimentConfig, base: ResolvedBase): { config: ExperimentConfig; tokenizer: TokenizerJson; infos: BaseFitProblem[] } {
  const problems = baseFitProblems(config, base);
  const errors = problems.filter((p) => p.severity === 'error');
  if (errors.length) throw new Error(errors.map((p) => p.message).join('; '));
  const arch = baseTransformer(base)!;
  const tokenizer = readBaseTokenizer(base)!;
  const inherited = Object.fromEntries(BASE_HYPERPARAMETERS.map((k) => [k, arch[k]]));
  const pooling = poolingOfBase(config, base, arch, tokenizer);
  const { type, lowercase, punctuation, vocabSize, maxLength } = tokenizer.settings;
  return {
    config: { ...config, data: { ...config.data, tokenizer: { type, lowercase, punctuation, vocabSize, maxLength } }, model: { ...config.model, ...inherited, ...(pooling ? { pooling } : {}) } as ExperimentConfig['model'] },
    tokenizer,
    infos: problems.filter((p) => p.severity !== 'error'),
  };
}
