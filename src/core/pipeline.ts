// The experiment's pipeline as a Mermaid flowchart, generated from its config:
// data collection → preprocessing → training → evaluation → deployment →
// application, each node saying what that stage does for this experiment.
// Pure: the CLI prints it, the host sends it to the dashboard, which draws it
// with the bundled Mermaid and re-colours the nodes as stage events arrive.

import { isImageExperiment, isRecommenderModel, isTextExperiment, isTransformerModel, resolveConfig, resolveImage, resolveTokenizer, resolveTransformer } from './resolvedConfig';
import type { ResolvedConfig, ResolvedImage } from './resolvedConfig';
import { carvedValidationShare, hasValidationData, SPLIT_DEFAULTS } from './splitPlan';
import type { BaseModelConfig, ExperimentConfig, LayerConfig, LossName, PreprocessStep, RunBase, StageName, StageStatus } from './types';
import { fillTemplate } from './dashboardStringTable';
import { MASK_SHARE_DEFAULT } from './masking';
import { PIPELINE_PHRASES } from './pipelineStringTable';
import type { PipelinePhraseId, PipelinePhrases } from './pipelineStringTable';

/** The stages in pipeline order; also the Mermaid node ids, which the dashboard relies on. */
export const PIPELINE_STAGES: readonly StageName[] = ['data', 'preprocess', 'training', 'evaluation', 'deployment', 'application'];
export const STAGE_STATUSES: readonly StageStatus[] = ['pending', 'running', 'done', 'failed', 'skipped'];
/**
 * The node of a fine-tuned experiment's pretraining (model.base), drawn apart
 * from the chain and linked into training: the base was trained before, by
 * another config or run, so it is no stage of this run.
 */
export const PRETRAIN_NODE = 'pretrain';

/** Rows (sequences, for a language model) per split, as the trainer reports them. */
export interface DataSizes {
  train: number;
  validation: number;
  test: number;
}

export interface PipelineOptions {
  /** Stage statuses to colour by; stages left out get Mermaid's default look. */
  statuses?: Partial<Record<StageName, StageStatus>>;
  /** Split sizes, when known (after a run has loaded its data). */
  dataSizes?: DataSizes;
  /** Where the model is exported, as the reader should see it; default: the config's `deployment.export`. */
  exportPath?: string;
  /** Where the model is served or called from (a URL or a command), shown in the application stage. */
  server?: string;
  /** The stage titles and the diagram's accessible title and description in the reader's language; default: English. */
  words?: PipelineWords;
  /** What a fine-tuned run recorded of its base (RunMeta.base): named in the pretraining node, shown done. */
  base?: RunBase;
}

/** A pipeline's words in the reader's language (the editor passes vscode.l10n's). */
export interface PipelineWords {
  titles: Record<StageName, string>;
  /** "Pipeline of house-prices": the diagram's accessible title. */
  accTitle(name: string): string;
  /** "data collection, then preprocessing, then …": its accessible description, from the titles. */
  accDescr(titles: readonly string[]): string;
  /** The stages' detail lines' phrases (src/core/pipelineStringTable.ts). */
  phrases: PipelinePhrases;
}

export const ENGLISH_PIPELINE_WORDS: PipelineWords = {
  titles: {
    data: 'Data collection',
    preprocess: 'Preprocessing',
    training: 'Training',
    evaluation: 'Evaluation',
    deployment: 'Deployment',
    application: 'Application',
  },
  accTitle: (name) => `Pipeline of ${name}`,
  accDescr: (titles) => titles.map((t) => t.toLowerCase()).join(', then '),
  phrases: PIPELINE_PHRASES,
};

/** A detail phrase in the reader's language, its {0} placeholders filled in. */
type Phrase = (id: PipelinePhraseId, ...args: (string | number)[]) => string;

/**
 * Colours for renderers that know nothing of VS Code (GitHub, mermaid.live, the
 * CLI's readers). The dashboard replaces them with the editor theme's colours.
 */
const CLASS_DEFS: Record<StageStatus, string> = {
  pending: 'fill:#f6f8fa,stroke:#8c959f,color:#57606a,stroke-dasharray:4 3',
  running: 'fill:#ddf4ff,stroke:#0969da,color:#0a3069,stroke-width:2px',
  done: 'fill:#dafbe1,stroke:#1a7f37,color:#0f3d1f',
  failed: 'fill:#ffebe9,stroke:#cf222e,color:#82071e,stroke-width:2px',
  skipped: 'fill:#f6f8fa,stroke:#d0d7de,color:#8c959f,stroke-dasharray:2 4',
};

/** Where the host exported a run's model and the address it serves it at, when it does. */
export interface DeploymentInfo {
  exportPath?: string;
  server?: string;
}

/**
 * The deployment and application stages as they are now, beyond what the run
 * recorded when it ended: a model exported or served since is deployed, and a
 * live server is the application running. Without either, the recorded
 * statuses stand (a run without `deployment.export` recorded it skipped).
 */
export function deploymentStages(
  recorded: Partial<Record<StageName, StageStatus>> | undefined,
  deployment: DeploymentInfo = {},
): Pick<Record<StageName, StageStatus>, 'deployment' | 'application'> {
  return {
    deployment: deployment.server || deployment.exportPath ? 'done' : (recorded?.deployment ?? 'pending'),
    application: deployment.server ? 'running' : (recorded?.application ?? 'pending'),
  };
}

/** Longest detail line before it wraps, in characters; keeps the nodes narrow enough to read side by side. */
const LINE_WIDTH = 34;

/** Mermaid flowchart text of the experiment's pipeline. Raw and resolved configs give the same text. */
export function pipelineMermaid(config: ExperimentConfig, opts: PipelineOptions = {}): string {
  const c = resolveConfig(config);
  const words = opts.words ?? ENGLISH_PIPELINE_WORDS;
  const p: Phrase = (id, ...args) => fillTemplate(words.phrases[id] ?? PIPELINE_PHRASES[id], args);
  const details: Record<StageName, string[]> = {
    data: dataLines(c, opts.dataSizes, p),
    preprocess: preprocessLines(c, opts.dataSizes, p),
    training: trainingLines(c, p),
    evaluation: evaluationLines(c, p),
    deployment: deploymentLines(c, opts.exportPath, opts.server, p),
    application: applicationLines(c, opts.server, p),
  };
  const out = [
    `%% Model Lab pipeline of "${oneLine(c.name)}", generated from its config`,
    'flowchart LR',
    `  accTitle: ${oneLine(words.accTitle(c.name))}`,
  ];
  const pretrain = pretrainLines(config, c, opts.base, p);
  // The pretraining comes first in the reading order, as in the drawing.
  out.push(`  accDescr: ${oneLine(words.accDescr([...(pretrain ? [p('pretrain.title')] : []), ...PIPELINE_STAGES.map((s) => words.titles[s])]))}`);
  for (const stage of PIPELINE_STAGES) out.push(`  ${stage}["${nodeLabel(words.titles[stage], details[stage])}"]`);
  if (pretrain) out.push(`  ${PRETRAIN_NODE}["${nodeLabel(p('pretrain.title'), pretrain)}"]`);
  out.push(`  ${PIPELINE_STAGES.join(' --> ')}`);
  if (pretrain) out.push(`  ${PRETRAIN_NODE} --> training`);
  for (const status of STAGE_STATUSES) out.push(`  classDef ${status} ${CLASS_DEFS[status]}`);
  // A live export or server outdates what the run recorded of its last two stages.
  const statuses = opts.statuses && (opts.server || opts.exportPath) ? { ...opts.statuses, ...deploymentStages(opts.statuses, opts) } : (opts.statuses ?? {});
  for (const status of STAGE_STATUSES) {
    const stages: string[] = PIPELINE_STAGES.filter((s) => statuses[s] === status);
    // A run's base was trained before the run began.
    if (pretrain && opts.statuses && status === 'done') stages.unshift(PRETRAIN_NODE);
    if (stages.length > 0) out.push(`  class ${stages.join(',')} ${status}`);
  }
  return out.join('\n') + '\n';
}

/** The ids of the nodes pipelineMermaid draws for a config, in the text's order: the stages, then the pretraining of a fine-tuned config. */
export function pipelineNodes(config: ExperimentConfig, base?: RunBase): string[] {
  return [...PIPELINE_STAGES, ...(baseOf(config) || base ? [PRETRAIN_NODE] : [])];
}

/** model.base of a raw or resolved config, in its object form. */
function baseOf(config: ExperimentConfig): BaseModelConfig | undefined {
  const base = (config.model as { base?: unknown }).base;
  if (typeof base === 'string') return base ? { from: base } : undefined;
  if (typeof base === 'object' && base !== null && typeof (base as BaseModelConfig).from === 'string') return base as BaseModelConfig;
  return undefined;
}

// ───────────────────────── stage details ─────────────────────────

function dataLines(c: ResolvedConfig, sizes: DataSizes | undefined, p: Phrase): string[] {
  const d = c.data;
  const lines: string[] = [];
  if (d.source) lines.push(d.source);
  else {
    if (d.train) lines.push(p('data.train', d.train));
    if (d.validation) lines.push(p('data.validation', d.validation));
    if (d.test) lines.push(p('data.test', d.test));
  }
  const lm = c.task === 'language-model';
  const mlm = c.task === 'masked-language-model';
  const image = d.image ? resolveImage(d.image) : undefined;
  if (sizes) lines.push(p(lm || (mlm && d.text === undefined) ? 'data.sequences' : image ? 'data.images' : 'data.rows', count(sizes.train + sizes.validation + sizes.test)));
  if (image) lines.push(...imageDataLines(c, image, p));
  else if (mlm) lines.push(d.text !== undefined ? p('data.maskedText', d.text) : p('data.corpus'), p('data.masking', Math.round((d.masking?.share ?? MASK_SHARE_DEFAULT) * 1000) / 10));
  else if (lm) lines.push(p('data.corpus'));
  else if (c.task === 'recommendation') lines.push(p('data.interactions', d.user ?? 'user', d.item ?? 'item'));
  else if (d.text !== undefined) lines.push(p('data.text', d.text, d.target ?? '?'));
  else {
    const features = d.features ?? [];
    const target = d.target !== undefined ? ` → ${d.target}` : '';
    lines.push(features.length <= 3 ? `${features.join(', ')}${target}` : `${p('data.featureCount', features.length)}${target}`);
  }
  return lines;
}

/** What the images are: a folder per class or a listing, their size and colour. */
function imageDataLines(c: ResolvedConfig, image: ResolvedImage, p: Phrase): string[] {
  const d = c.data;
  const first = d.source ?? d.train ?? '';
  const listing = /\.(csv|jsonl?)$/i.test(first) || (d.format !== undefined && d.format !== 'txt');
  const what = listing ? p('image.listing', image.column, d.target ?? '?') : p('image.folders');
  return [what, p(image.channels === 1 ? 'image.grayscale' : 'image.rgb', sizeText(image.size))];
}

/** How images become inputs: resize, scaling, augmentation of the training split. */
function imagePreprocessLines(image: ResolvedImage, p: Phrase): string[] {
  const lines = [p('image.resize', `${sizeText(image.size)}×${image.channels}`), p(image.scaling === 'unit' ? 'image.unitScaling' : 'image.standardize')];
  const a = image.augment;
  if (a) {
    const parts: string[] = [];
    if (a.flip) parts.push(p('image.flip'));
    if (a.shift) parts.push(p('image.shift', percent(a.shift)));
    if (a.rotate) parts.push(p('image.rotate', a.rotate));
    if (a.brightness) parts.push(p('image.brightness', percent(a.brightness)));
    lines.push(...wrap([p('image.augment', parts[0] ?? ''), ...parts.slice(1)], ' · '));
  }
  if (image.onError === 'skip') lines.push(p('image.skipUnreadable'));
  return lines;
}

function preprocessLines(c: ResolvedConfig, sizes: DataSizes | undefined, p: Phrase): string[] {
  const d = c.data;
  const lines: string[] = [];
  if (c.task === 'recommendation') {
    lines.push(p('recommender.ids'), p('recommender.split'));
    if (sizes) lines.push(p('split.sizes', count(sizes.train), count(sizes.validation), count(sizes.test)));
    return lines;
  }
  if (d.image && !isTextExperiment(c)) {
    lines.push(...imagePreprocessLines(resolveImage(d.image), p));
  } else if (isTextExperiment(c)) {
    const t = resolveTokenizer(c);
    const parts = [p('tokens.type', t.type)];
    if (t.lowercase) parts.push(p('tokens.lowercase'));
    if (t.punctuation !== 'keep') parts.push(p('tokens.punctuation', t.punctuation));
    parts.push(p('tokens.vocab', count(t.vocabSize)), p('tokens.length', t.maxLength));
    lines.push(...wrap(parts, ' · '));
  } else {
    const steps = (d.preprocess ?? []).map((step) => describeStep(step, p));
    lines.push(...(steps.length ? wrap(steps, ' · ') : [p('preprocess.none')]));
  }
  if (sizes) lines.push(p('split.sizes', count(sizes.train), count(sizes.validation), count(sizes.test)));
  else if (d.source) {
    const s = d.split ?? {};
    const val = s.validation ?? SPLIT_DEFAULTS.validation;
    const test = s.test ?? SPLIT_DEFAULTS.test;
    lines.push(p('split.shares', percent(1 - val - test), percent(val), percent(test)));
  } else {
    const carve = carvedValidationShare(d);
    lines.push(p('split.given', ['train', d.validation ? 'validation' : '', d.test ? 'test' : ''].filter(Boolean).join(', ')));
    if (carve > 0) lines.push(p('split.carved', percent(carve)));
  }
  if ((d.source || carvedValidationShare(d) > 0) && (d.split?.shuffle ?? SPLIT_DEFAULTS.shuffle)) lines.push(p('split.shuffle', d.split?.seed ?? SPLIT_DEFAULTS.seed));
  return lines;
}

function describeStep(step: PreprocessStep, p: Phrase): string {
  const columns = (v: 'features' | string[]) => (v === 'features' ? p('step.features') : v.join(', '));
  if ('standardize' in step) return p('step.standardize', columns(step.standardize));
  if ('minMax' in step) return p('step.minMax', columns(step.minMax));
  if ('oneHot' in step) return p('step.oneHot', step.oneHot.join(', '));
  const fm = step.fillMissing;
  const value = fm.strategy === 'constant' ? ` ${JSON.stringify(fm.value)}` : '';
  return p('step.fillMissing', `${fm.strategy}${value}${fm.columns?.length ? ` (${fm.columns.join(', ')})` : ''}`);
}

/**
 * The pretraining node of a fine-tuned config: the base a run recorded (its
 * task and run id, or its export folder), else where the config says it comes
 * from; how the base trains on (frozen epochs, its own learning rate); the new head.
 */
function pretrainLines(config: ExperimentConfig, c: ResolvedConfig, recorded: RunBase | undefined, p: Phrase): string[] | undefined {
  const base = baseOf(config) ?? baseOf(c);
  if (!base && !recorded) return undefined;
  const lines: string[] = [];
  // The task and the run id on lines of their own: a run id alone is ~30 characters.
  if (recorded) lines.push(p('pretrain.base', recorded.task));
  if (recorded?.kind === 'run') lines.push(p('pretrain.run', recorded.id ?? lastPathPart(recorded.path.replace(/[\\/]model[\\/]*$/, ''))));
  else if (recorded) lines.push(p('pretrain.export', lastPathPart(recorded.path)));
  else lines.push(p('pretrain.from', base!.from));
  if (base?.freezeEpochs) lines.push(p('pretrain.freeze', base.freezeEpochs));
  if (base?.learningRate !== undefined) lines.push(p('pretrain.learningRate', base.learningRate));
  lines.push(p('pretrain.newHead', c.task));
  return lines;
}

/** The last part of a path, either separator (the core has no node:path): `/runs/x/model` → `model`. */
function lastPathPart(path: string): string {
  const parts = path.split(/[\\/]+/).filter(Boolean);
  return parts[parts.length - 1] ?? path;
}

function trainingLines(c: ResolvedConfig, p: Phrase): string[] {
  const lines: string[] = [];
  if (isTransformerModel(c.model)) {
    const m = resolveTransformer(c.model, c.data.tokenizer);
    const decoder = m.type === 'transformerDecoder';
    lines.push(p(decoder ? 'transformer.decoder' : 'transformer.encoder'));
    lines.push(p('transformer.shape', m.layers, m.heads, m.dModel, m.ffDim));
    lines.push(decoder ? p('transformer.nextToken', m.positional) : p('transformer.pooling', m.positional, m.pooling));
  } else if (isRecommenderModel(c.model)) {
    const m = c.model;
    lines.push(p(m.type === 'matrixFactorization' ? 'recommender.mf' : 'recommender.neural'));
    lines.push(p('recommender.embeddings', m.embeddingDim ?? 16));
    lines.push(m.type === 'matrixFactorization' ? p('recommender.dot') : p('recommender.mlp', (m.hidden ?? [32]).join(' → ')));
  } else {
    lines.push(...wrap(c.model.layers.map(describeLayer), ' → '));
  }
  const t = c.training;
  const loss = LOSS_NAMES[t.loss];
  lines.push(...wrap([p('training.optimizer', t.optimizer.type, t.optimizer.learningRate), p('training.loss', typeof loss === 'string' ? loss : p(loss.phrase))], ' · '));
  lines.push(p('training.epochs', t.epochs, t.batchSize));
  const callbacks: string[] = [];
  if (t.earlyStopping) callbacks.push(p('training.earlyStop', t.earlyStopping.patience));
  if (t.reduceLrOnPlateau) callbacks.push(p('training.reduceLr', t.reduceLrOnPlateau.factor, t.reduceLrOnPlateau.patience));
  if (callbacks.length) lines.push(callbacks.join(' · '));
  if (c.sweep?.parameters) {
    // One run per point: name the settings it varies by their last key (training.optimizer.learningRate → learningRate).
    const names = Object.keys(c.sweep.parameters).map((path) => path.replace(/\[\d+\]/g, '').split('.').pop() ?? path);
    const method = c.sweep.method ?? 'grid';
    const first = method === 'random' && c.sweep.count ? p('sweep.countOver', method, c.sweep.count, names[0] ?? '') : p('sweep.over', method, names[0] ?? '');
    lines.push(...wrap([first, ...names.slice(1)], ' · '));
  }
  return lines;
}

/** A loss as the diagram names it: its own name, or a phrase. */
const LOSS_NAMES: Record<LossName, string | { phrase: PipelinePhraseId }> = {
  mse: 'mse',
  mae: 'mae',
  huber: 'huber',
  binaryCrossentropy: { phrase: 'loss.binaryCrossentropy' },
  categoricalCrossentropy: { phrase: 'loss.categoricalCrossentropy' },
  sparseCategoricalCrossentropy: { phrase: 'loss.sparseCategoricalCrossentropy' },
};

function describeLayer(layer: LayerConfig): string {
  switch (layer.type) {
    case 'dense':
      return `Dense ${layer.units}${layer.activation && layer.activation !== 'linear' ? ` ${layer.activation}` : ''}`;
    case 'dropout':
      return `Dropout ${layer.rate}`;
    case 'batchNormalization':
      return 'BatchNorm';
    case 'layerNormalization':
      return 'LayerNorm';
    case 'activation':
      return layer.activation;
    case 'conv2d':
      return `Conv2D ${layer.filters} ${sizeText(layer.kernelSize)}${layer.activation && layer.activation !== 'linear' ? ` ${layer.activation}` : ''}`;
    case 'maxPooling2d':
      return `MaxPool ${sizeText(layer.poolSize ?? 2)}`;
    case 'averagePooling2d':
      return `AvgPool ${sizeText(layer.poolSize ?? 2)}`;
    case 'globalAveragePooling2d':
      return 'GlobalAvgPool';
    case 'flatten':
      return 'Flatten';
    default: {
      const unknown: never = layer;
      return String((unknown as { type: unknown }).type);
    }
  }
}

function sizeText(size: number | [number, number]): string {
  const [h, w] = typeof size === 'number' ? [size, size] : size;
  return `${h}×${w}`;
}

function evaluationLines(c: ResolvedConfig, p: Phrase): string[] {
  const d = c.data;
  const hasTest = d.source ? (d.split?.test ?? 0.1) > 0 : !!d.test;
  const hasValidation = hasValidationData(c);
  if (!hasTest && !hasValidation) return [p('evaluation.skipped')];
  const split = p(hasTest ? 'evaluation.test' : 'evaluation.validation');
  if (c.task === 'language-model') return [split, p('evaluation.languageModel'), p('evaluation.samples')];
  if (c.task === 'masked-language-model') return [split, p('evaluation.maskedLanguageModel'), p('evaluation.maskedSamples')];
  if (c.task === 'recommendation') return [p('evaluation.lastInteraction'), p('evaluation.recommender'), p('evaluation.baseline')];
  if (c.task === 'regression') {
    const metrics = c.evaluation?.metrics?.length ? c.evaluation.metrics : ['mse', 'mae', 'rmse', 'r2'];
    return [split, ...wrap(metrics, ' · '), p('evaluation.predictedActual')];
  }
  const metrics = c.evaluation?.metrics?.length ? c.evaluation.metrics : ['accuracy', 'precision', 'recall', 'f1'];
  return [split, ...wrap(metrics, ' · '), p('evaluation.confusion')];
}

function deploymentLines(c: ResolvedConfig, exportPath: string | undefined, server: string | undefined, p: Phrase): string[] {
  const target = exportPath ?? c.deployment?.export;
  const what = p(isTextExperiment(c) ? 'export.tokenizer' : isImageExperiment(c) ? 'export.image' : 'export.model');
  const lines = target ? [p('export.to', target), what] : [p('export.none'), what, p('export.kept')];
  // A running deployment (the host's Deploy action): the application node shows its address.
  if (server) lines.push(p('export.served'));
  return lines;
}

function applicationLines(c: ResolvedConfig, server: string | undefined, p: Phrase): string[] {
  const d = c.data;
  const lines: string[] = [];
  if (c.task === 'language-model') lines.push(p('application.generate'));
  else if (c.task === 'masked-language-model') lines.push(p('application.fillMask'), p('application.baseOf'));
  else if (c.task === 'recommendation') lines.push(p('application.topItems'));
  else if (c.task === 'regression') lines.push(p('application.predict', d.target ?? p('application.theTarget')));
  else if (d.text !== undefined) lines.push(p('application.labelText', d.target ?? p('application.class')));
  else if (d.image) lines.push(p('application.images'));
  else lines.push(p('application.rows', d.target ?? p('application.class')));
  if (server) lines.push(server);
  else if (isTextExperiment(c)) lines.push(c.task === 'language-model' ? 'modellab generate' : c.task === 'masked-language-model' ? 'modellab fill-mask' : p('application.attention'));
  return lines;
}

// ───────────────────────── text ─────────────────────────

/** Joins items with a separator into lines no longer than LINE_WIDTH (an item longer than that gets a line of its own). */
function wrap(items: string[], separator: string): string[] {
  const lines: string[] = [];
  let line = '';
  for (const item of items) {
    if (line && line.length + separator.length + item.length > LINE_WIDTH) {
      lines.push(line + separator.trimEnd());
      line = item;
    } else {
      line = line ? line + separator + item : item;
    }
  }
  if (line) lines.push(line);
  return lines;
}

/** The quoted label of a node: a title line, then the details, one per line. */
function nodeLabel(title: string, details: string[]): string {
  return [title, ...details].map(escapeLabel).join('<br/>');
}

/**
 * Text made safe inside a quoted Mermaid label: Mermaid reads `#name;` entity
 * codes, so every character that could end the string, open markup, start an
 * entity, a Markdown string or KaTeX math becomes one; line breaks become spaces.
 */
export function escapeLabel(text: string): string {
  return text.replace(/[\r\n\t]+/g, ' ').replace(/[#"<>&`$\\]/g, (ch) => `#${ch.charCodeAt(0)};`);
}

/** Text for a single-line Mermaid statement (accTitle, a comment). */
function oneLine(text: string): string {
  return text.replace(/[\r\n]+/g, ' ').replace(/[{}]/g, '');
}

function count(n: number): string {
  return n.toLocaleString('en');
}

function percent(fraction: number): string {
  return String(Math.round(fraction * 1000) / 10);
}
