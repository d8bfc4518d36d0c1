// The experiment's pipeline as a Mermaid flowchart, generated from its config:
// data collection → preprocessing → training → evaluation → deployment →
// application, each node saying what that stage does for this experiment.
// Pure: the CLI prints it, the host sends it to the dashboard, which draws it
// with the bundled Mermaid and re-colours the nodes as stage events arrive.

import { isImageExperiment, isRecommenderModel, isTextExperiment, isTransformerModel, resolveConfig, resolveImage, resolveTokenizer, resolveTransformer } from './resolvedConfig';
import type { ResolvedConfig, ResolvedImage } from './resolvedConfig';
import { carvedValidationShare, hasValidationData, SPLIT_DEFAULTS } from './splitPlan';
import type { ExperimentConfig, LayerConfig, LossName, PreprocessStep, StageName, StageStatus } from './types';

/** The stages in pipeline order; also the Mermaid node ids, which the dashboard relies on. */
export const PIPELINE_STAGES: readonly StageName[] = ['data', 'preprocess', 'training', 'evaluation', 'deployment', 'application'];
export const STAGE_STATUSES: readonly StageStatus[] = ['pending', 'running', 'done', 'failed', 'skipped'];

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
}

/** A pipeline's words in the reader's language (the editor passes vscode.l10n's). */
export interface PipelineWords {
  titles: Record<StageName, string>;
  /** "Pipeline of house-prices": the diagram's accessible title. */
  accTitle(name: string): string;
  /** "data collection, then preprocessing, then …": its accessible description, from the titles. */
  accDescr(titles: readonly string[]): string;
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
};

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
  const details: Record<StageName, string[]> = {
    data: dataLines(c, opts.dataSizes),
    preprocess: preprocessLines(c, opts.dataSizes),
    training: trainingLines(c),
    evaluation: evaluationLines(c),
    deployment: deploymentLines(c, opts.exportPath, opts.server),
    application: applicationLines(c, opts.server),
  };
  const out = [
    `%% Model Lab pipeline of "${oneLine(c.name)}", generated from its config`,
    'flowchart LR',
    `  accTitle: ${oneLine(words.accTitle(c.name))}`,
    `  accDescr: ${oneLine(words.accDescr(PIPELINE_STAGES.map((s) => words.titles[s])))}`,
  ];
  for (const stage of PIPELINE_STAGES) out.push(`  ${stage}["${nodeLabel(words.titles[stage], details[stage])}"]`);
  out.push(`  ${PIPELINE_STAGES.join(' --> ')}`);
  for (const status of STAGE_STATUSES) out.push(`  classDef ${status} ${CLASS_DEFS[status]}`);
  // A live export or server outdates what the run recorded of its last two stages.
  const statuses = opts.statuses && (opts.server || opts.exportPath) ? { ...opts.statuses, ...deploymentStages(opts.statuses, opts) } : (opts.statuses ?? {});
  for (const status of STAGE_STATUSES) {
    const stages = PIPELINE_STAGES.filter((s) => statuses[s] === status);
    if (stages.length > 0) out.push(`  class ${stages.join(',')} ${status}`);
  }
  return out.join('\n') + '\n';
}

// ───────────────────────── stage details ─────────────────────────

function dataLines(c: ResolvedConfig, sizes: DataSizes | undefined): string[] {
  const d = c.data;
  const lines: string[] = [];
  if (d.source) lines.push(d.source);
  else {
    if (d.train) lines.push(`train: ${d.train}`);
    if (d.validation) lines.push(`validation: ${d.validation}`);
    if (d.test) lines.push(`test: ${d.test}`);
  }
  const lm = c.task === 'language-model';
  const image = d.image ? resolveImage(d.image) : undefined;
  if (sizes) lines.push(`${count(sizes.train + sizes.validation + sizes.test)} ${lm ? 'sequences' : image ? 'images' : 'rows'}`);
  if (image) lines.push(...imageDataLines(c, image));
  else if (lm) lines.push('plain text corpus');
  else if (c.task === 'recommendation') lines.push(`${d.user ?? 'user'} × ${d.item ?? 'item'} interactions`);
  else if (d.text !== undefined) lines.push(`text "${d.text}" → label "${d.target ?? '?'}"`);
  else {
    const features = d.features ?? [];
    const target = d.target !== undefined ? ` → ${d.target}` : '';
    lines.push(features.length <= 3 ? `${features.join(', ')}${target}` : `${features.length} features${target}`);
  }
  return lines;
}

/** What the images are: a folder per class or a listing, their size and colour. */
function imageDataLines(c: ResolvedConfig, image: ResolvedImage): string[] {
  const d = c.data;
  const first = d.source ?? d.train ?? '';
  const listing = /\.(csv|jsonl?)$/i.test(first) || (d.format !== undefined && d.format !== 'txt');
  const what = listing ? `paths "${image.column}" → label "${d.target ?? '?'}"` : 'one folder per class';
  return [what, `${sizeText(image.size)} ${image.channels === 1 ? 'grayscale' : 'RGB'} images`];
}

/** How images become inputs: resize, scaling, augmentation of the training split. */
function imagePreprocessLines(image: ResolvedImage): string[] {
  const lines = [`resize to ${sizeText(image.size)}×${image.channels}`, image.scaling === 'unit' ? 'pixels / 255' : 'standardize each channel'];
  const a = image.augment;
  if (a) {
    const parts: string[] = [];
    if (a.flip) parts.push('flip');
    if (a.shift) parts.push(`shift ${percent(a.shift)}%`);
    if (a.rotate) parts.push(`rotate ±${a.rotate}°`);
    if (a.brightness) parts.push(`brightness ±${percent(a.brightness)}%`);
    lines.push(...wrap([`augment ${parts[0]}`, ...parts.slice(1)], ' · '));
  }
  if (image.onError === 'skip') lines.push('unreadable files skipped');
  return lines;
}

function preprocessLines(c: ResolvedConfig, sizes: DataSizes | undefined): string[] {
  const d = c.data;
  const lines: string[] = [];
  if (c.task === 'recommendation') {
    lines.push('ids → embedding indexes', "each user's last two: validation, test");
    if (sizes) lines.push(`train ${count(sizes.train)} · val ${count(sizes.validation)} · test ${count(sizes.test)}`);
    return lines;
  }
  if (d.image && !isTextExperiment(c)) {
    lines.push(...imagePreprocessLines(resolveImage(d.image)));
  } else if (isTextExperiment(c)) {
    const t = resolveTokenizer(c);
    const parts = [`${t.type} tokens`];
    if (t.lowercase) parts.push('lowercase');
    if (t.punctuation !== 'keep') parts.push(`punctuation ${t.punctuation}`);
    parts.push(`vocab ≤ ${count(t.vocabSize)}`, `${t.maxLength} per sequence`);
    lines.push(...wrap(parts, ' · '));
  } else {
    const steps = (d.preprocess ?? []).map(describeStep);
    lines.push(...(steps.length ? wrap(steps, ' · ') : ['no preprocessing steps']));
  }
  if (sizes) lines.push(`train ${count(sizes.train)} · val ${count(sizes.validation)} · test ${count(sizes.test)}`);
  else if (d.source) {
    const s = d.split ?? {};
    const val = s.validation ?? SPLIT_DEFAULTS.validation;
    const test = s.test ?? SPLIT_DEFAULTS.test;
    lines.push(`split ${percent(1 - val - test)} / ${percent(val)} / ${percent(test)} %`);
  } else {
    const carve = carvedValidationShare(d);
    lines.push(`given splits: ${['train', d.validation ? 'validation' : '', d.test ? 'test' : ''].filter(Boolean).join(', ')}`);
    if (carve > 0) lines.push(`validation: ${percent(carve)} % of train`);
  }
  if ((d.source || carvedValidationShare(d) > 0) && (d.split?.shuffle ?? SPLIT_DEFAULTS.shuffle)) lines.push(`seeded shuffle (seed ${d.split?.seed ?? SPLIT_DEFAULTS.seed})`);
  return lines;
}

function describeStep(step: PreprocessStep): string {
  const columns = (v: 'features' | string[]) => (v === 'features' ? 'features' : v.join(', '));
  if ('standardize' in step) return `standardize ${columns(step.standardize)}`;
  if ('minMax' in step) return `min-max ${columns(step.minMax)}`;
  if ('oneHot' in step) return `one-hot ${step.oneHot.join(', ')}`;
  const fm = step.fillMissing;
  const value = fm.strategy === 'constant' ? ` ${JSON.stringify(fm.value)}` : '';
  return `fill missing: ${fm.strategy}${value}${fm.columns?.length ? ` (${fm.columns.join(', ')})` : ''}`;
}

function trainingLines(c: ResolvedConfig): string[] {
  const lines: string[] = [];
  if (isTransformerModel(c.model)) {
    const m = resolveTransformer(c.model, c.data.tokenizer);
    const decoder = m.type === 'transformerDecoder';
    lines.push(`Transformer ${decoder ? 'decoder (causal)' : 'encoder'}`);
    lines.push(`${m.layers} × (${m.heads} heads, d ${m.dModel}, ff ${m.ffDim})`);
    lines.push(decoder ? `${m.positional} positions · next token` : `${m.positional} positions · ${m.pooling} pooling`);
  } else if (isRecommenderModel(c.model)) {
    const m = c.model;
    lines.push(m.type === 'matrixFactorization' ? 'matrix factorization' : 'neural recommender');
    lines.push(`user · item embeddings ${m.embeddingDim ?? 16}`);
    lines.push(m.type === 'matrixFactorization' ? 'dot product + biases' : `MLP ${(m.hidden ?? [32]).join(' → ')} → score`);
  } else {
    lines.push(...wrap(c.model.layers.map(describeLayer), ' → '));
  }
  const t = c.training;
  lines.push(...wrap([`${t.optimizer.type} lr ${t.optimizer.learningRate}`, `${LOSS_NAMES[t.loss]} loss`], ' · '));
  lines.push(`${t.epochs} epochs · batch ${t.batchSize}`);
  const callbacks: string[] = [];
  if (t.earlyStopping) callbacks.push(`early stop ${t.earlyStopping.patience}`);
  if (t.reduceLrOnPlateau) callbacks.push(`lr ×${t.reduceLrOnPlateau.factor} after ${t.reduceLrOnPlateau.patience}`);
  if (callbacks.length) lines.push(callbacks.join(' · '));
  if (c.sweep?.parameters) {
    // One run per point: name the settings it varies by their last key (training.optimizer.learningRate → learningRate).
    const names = Object.keys(c.sweep.parameters).map((path) => path.replace(/\[\d+\]/g, '').split('.').pop() ?? path);
    const method = c.sweep.method ?? 'grid';
    const count = method === 'random' && c.sweep.count ? ` of ${c.sweep.count}` : '';
    lines.push(...wrap([`${method} sweep${count} over ${names[0] ?? ''}`, ...names.slice(1)], ' · '));
  }
  return lines;
}

const LOSS_NAMES: Record<LossName, string> = {
  mse: 'mse',
  mae: 'mae',
  huber: 'huber',
  binaryCrossentropy: 'binary cross-entropy',
  categoricalCrossentropy: 'cross-entropy',
  sparseCategoricalCrossentropy: 'sparse cross-entropy',
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

function evaluationLines(c: ResolvedConfig): string[] {
  const d = c.data;
  const hasTest = d.source ? (d.split?.test ?? 0.1) > 0 : !!d.test;
  const hasValidation = hasValidationData(c);
  if (!hasTest && !hasValidation) return ['skipped: no held-out data'];
  const split = hasTest ? 'test split' : 'validation split';
  if (c.task === 'language-model') return [split, 'loss · perplexity', 'generated samples'];
  if (c.task === 'recommendation') return ["each user's last interaction", 'hit rate@10 · NDCG@10', 'vs popularity baseline'];
  if (c.task === 'regression') {
    const metrics = c.evaluation?.metrics?.length ? c.evaluation.metrics : ['mse', 'mae', 'rmse', 'r2'];
    return [split, ...wrap(metrics, ' · '), 'predicted vs actual'];
  }
  const metrics = c.evaluation?.metrics?.length ? c.evaluation.metrics : ['accuracy', 'precision', 'recall', 'f1'];
  return [split, ...wrap(metrics, ' · '), 'confusion matrix'];
}

function deploymentLines(c: ResolvedConfig, exportPath: string | undefined, server: string | undefined): string[] {
  const target = exportPath ?? c.deployment?.export;
  const what = isTextExperiment(c) ? 'TensorFlow.js model + tokenizer' : isImageExperiment(c) ? 'TensorFlow.js model + image.json' : 'TensorFlow.js model';
  const lines = target ? [`export to ${target}`, what] : ['no export', what, 'kept in the run folder'];
  // A running deployment (the host's Deploy action): the application node shows its address.
  if (server) lines.push('served: TF Serving REST API');
  return lines;
}

function applicationLines(c: ResolvedConfig, server: string | undefined): string[] {
  const d = c.data;
  const lines: string[] = [];
  if (c.task === 'language-model') lines.push('generate text from a prompt');
  else if (c.task === 'recommendation') lines.push('top-10 items for a user');
  else if (c.task === 'regression') lines.push(`predict ${d.target ?? 'the target'} for new rows`);
  else if (d.text !== undefined) lines.push(`label new text by ${d.target ?? 'class'}`);
  else if (d.image) lines.push('classify new images');
  else lines.push(`classify new rows by ${d.target ?? 'class'}`);
  if (server) lines.push(server);
  else if (isTextExperiment(c)) lines.push(c.task === 'language-model' ? 'modellab generate' : 'attention over open files');
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
