// Exporting a run: its model folder (TensorFlow.js layers format plus the
// fitted preprocessing, tokenizer and task files prediction needs; image.json
// for an image classifier), a labels.json for classifiers, and a model card
// in Markdown and JSON. Pure
// file work (no tfjs), so the extension host can export without a child process.

import { copyFileSync, cpSync, existsSync, mkdirSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { readRunMeta } from './runStoreReader';
import { writeFileAtomic, writeJsonAtomic } from './runStoreWriter';
import { IMAGE_INFO_FILE } from '../core/types';
import type { Evaluation, ImageModelInfo, RunMeta } from '../core/types';
import { ENSEMBLE_FILE } from '../core/ensemble';

export const MODEL_CARD_JSON = 'model-card.json';
export const MODEL_CARD_MD = 'model-card.md';
export const LABELS_FILE = 'labels.json';

/** The fields of preprocessing.json / task.json the card reads (kept loose: older files may lack some). */
interface PreprocessingLike {
  task?: string;
  features?: string[];
  target?: string;
  oneHot?: { column: string; categories: string[] }[];
  labels?: string[];
  inputNames?: string[];
}
interface TextTaskLike {
  task?: string;
  labels?: string[];
  maxLength?: number;
}

export interface ModelCard {
  format: 'modellab-model-card';
  version: 1;
  name: string;
  description?: string;
  task: string;
  runId: string;
  /** When the run was created, and when this export was written (ISO 8601). */
  trainedAt: string;
  exportedAt: string;
  backend?: string;
  versions: RunMeta['versions'];
  seed: number;
  epochs: { planned: number; done: number; best?: number };
  /** Image classifiers: how an image becomes the model's input (image.json, beside the model). */
  image?: ImagePreprocessing;
  /** What prediction takes and gives. */
  inputs: { name: string; dtype: 'number' | 'string'; categories?: string[] }[];
  target?: string;
  labels?: string[];
  data: { source?: string; features?: string[]; text?: string; target?: string; rows?: RunMeta['dataSizes'] };
  metrics: { evaluation?: { split: string; count: number; values: Record<string, number> }; bestEpoch?: Record<string, number>; lastEpoch?: Record<string, number> };
  /** The resolved config the run trained with. */
  config: unknown;
  files: string[];
  /** An ensemble's members: the runs whose models it averages (runId is the best of them). */
  ensemble?: { members: string[]; metric?: string; sweepId?: string };
}

/** The model card an ensemble folder keeps beside ensemble.json (written with it, from its best member's run). */
export const ENSEMBLE_CARD_FILE = 'ensemble-card.json';

/** Every file under a folder, as paths relative to it, sorted. */
function filesUnder(dir: string, prefix = ''): string[] {
  return readdirSync(join(dir, prefix), { withFileTypes: true })
    .flatMap((e) => (e.isDirectory() ? filesUnder(dir, join(prefix, e.name)) : e.isFile() && !e.name.includes('.tmp-') ? [join(prefix, e.name)] : []))
    .sort();
}

function exportEnsembleChecked(dir: string, outDir: string, now: Date): ExportResult {
  const out = resolve(outDir);
  if (out === resolve(dir) || out.startsWith(resolve(dir) + '/')) throw new Error('the export folder must be outside the ensemble folder');
  if (existsSync(out)) {
    if (!statSync(out).isDirectory()) throw new Error(`${out} exists and is not a folder`);
    if (readdirSync(out).length > 0 && !existsSync(join(out, MODEL_CARD_JSON))) throw new Error(`${out} is not empty and is not an earlier export; choose an empty folder`);
  }
  mkdirSync(out, { recursive: true });
  return exportEnsemble(dir, out, now);
}

/**
 * An ensemble's export: the folder copied whole (ensemble.json, members/…),
 * with labels.json and the model card (its best member's run, the members
 * listed) as a run's export has them.
 */
function exportEnsemble(dir: string, out: string, now: Date): ExportResult {
  const stored = readJsonOr<ModelCard>(join(dir, ENSEMBLE_CARD_FILE));
  if (!stored) throw new Error(`${dir}: ${ENSEMBLE_CARD_FILE} is missing or unreadable, so there is nothing to write a model card from`);
  cpSync(dir, out, { recursive: true, filter: (src) => !basename(src).includes('.tmp-') });
  const files = filesUnder(out).filter((f) => f !== MODEL_CARD_JSON && f !== MODEL_CARD_MD);
  if (stored.labels) {
    writeJsonAtomic(join(out, LABELS_FILE), stored.labels);
    if (!files.includes(LABELS_FILE)) files.push(LABELS_FILE);
  }
  files.push(MODEL_CARD_JSON, MODEL_CARD_MD);
  const card: ModelCard = { ...stored, exportedAt: now.toISOString(), files: files.sort() };
  writeJsonAtomic(join(out, MODEL_CARD_JSON), card);
  writeFileAtomic(join(out, MODEL_CARD_MD), modelCardMarkdown(card));
  return { outDir: out, card };
}

/** An image model's preprocessing as the card states it. */
export interface ImagePreprocessing {
  /** [height, width] every image is resized to (bilinear). */
  size: [number, number];
  channels: 1 | 3;
  scaling: 'unit' | 'standardize';
  /** Per channel on the 0..255 scale, fitted on the training split (standardize). */
  mean?: number[];
  std?: number[];
  /** The file of these facts in the export. */
  file: string;
}

function readJsonOr<T>(file: string): T | undefined {
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as T;
  } catch {
    return undefined;
  }
}

/** The run folder of a model folder or run folder, and its model folder. */
export function locateRun(runOrModelDir: string): { runDir?: string; modelDir: string } {
  const dir = resolve(runOrModelDir);
  if (existsSync(join(dir, 'model', 'model.json'))) return { runDir: dir, modelDir: join(dir, 'model') };
  // An ensemble of a sweep's top runs is a model folder of its own (no run folder around it).
  if (existsSync(join(dir, ENSEMBLE_FILE))) return { modelDir: dir };
  if (existsSync(join(dir, 'model.json'))) {
    const parent = resolve(dir, '..');
    return { runDir: basename(dir) === 'model' && existsSync(join(parent, 'meta.json')) ? parent : undefined, modelDir: dir };
  }
  throw new Error(`no saved model in ${dir} (looked for model.json there and in model/)`);
}

export function buildModelCard(runDir: string, modelDir: string, files: string[], now = new Date()): ModelCard {
  const meta = readRunMeta(runDir);
  if (!meta) throw new Error(`${runDir}: meta.json is missing or unreadable`);
  const config = readJsonOr<Record<string, unknown>>(join(runDir, 'config.json')) ?? {};
  const evaluation = readJsonOr<Evaluation>(join(runDir, 'evaluation.json'));
  const pre = readJsonOr<PreprocessingLike>(join(modelDir, 'preprocessing.json'));
  const textTask = readJsonOr<TextTaskLike>(join(modelDir, 'task.json'));
  const data = (config.data ?? {}) as { source?: string; features?: string[]; text?: string; target?: string };
  const oneHot = new Map((pre?.oneHot ?? []).map((o) => [o.column, o.categories]));
  const recommender = readJsonOr<{ users?: string[]; items?: string[] }>(join(modelDir, 'recommender.json'));
  const imageInfo = readJsonOr<Partial<ImageModelInfo>>(join(modelDir, IMAGE_INFO_FILE));
  const image: ImagePreprocessing | undefined =
    imageInfo && Array.isArray(imageInfo.size) && (imageInfo.channels === 1 || imageInfo.channels === 3)
      ? {
          size: [imageInfo.size[0], imageInfo.size[1]],
          channels: imageInfo.channels,
          scaling: imageInfo.scaling === 'standardize' ? 'standardize' : 'unit',
          ...(imageInfo.scaling === 'standardize' && imageInfo.mean && imageInfo.std ? { mean: imageInfo.mean, std: imageInfo.std } : {}),
          file: IMAGE_INFO_FILE,
        }
      : undefined;
  const inputs: ModelCard['inputs'] = recommender
    ? [{ name: 'user', dtype: 'string' }, { name: 'k', dtype: 'number' }]
    : image
    ? [{ name: 'image', dtype: 'string' }]
    : pre?.features
    ? pre.features.map((name) => (oneHot.has(name) ? { name, dtype: 'string' as const, categories: oneHot.get(name) } : { name, dtype: 'number' as const }))
    : [{ name: textTask?.task === 'language-model' ? 'prompt' : 'text', dtype: 'string' }];
  return {
    format: 'modellab-model-card',
    version: 1,
    name: meta.name,
    description: typeof config.description === 'string' ? config.description : undefined,
    task: meta.task,
    runId: meta.id,
    trainedAt: meta.createdAt,
    exportedAt: now.toISOString(),
    backend: meta.backend,
    versions: meta.versions,
    seed: meta.seed,
    epochs: { planned: meta.epochsPlanned, done: meta.epochsDone, best: meta.bestEpoch },
    ...(image ? { image } : {}),
    inputs,
    target: pre?.target ?? data.target,
    labels: pre?.labels ?? textTask?.labels ?? imageInfo?.labels,
    data: { source: data.source, features: data.features, text: data.text, target: data.target, rows: meta.dataSizes },
    metrics: {
      evaluation: evaluation ? { split: evaluation.split, count: evaluation.count, values: { ...evaluation.metrics } } : undefined,
      bestEpoch: meta.bestMetrics,
      lastEpoch: meta.lastMetrics,
    },
    config,
    files,
  };
}

const num = (v: number): string => (Number.isInteger(v) ? String(v) : Math.abs(v) >= 1e-3 && Math.abs(v) < 1e6 ? v.toPrecision(4) : v.toExponential(3));

export function modelCardMarkdown(card: ModelCard): string {
  const lines = [`# ${card.name}`, ''];
  if (card.description) lines.push(card.description, '');
  lines.push(
    `- Task: ${card.task}`,
    `- Run: \`${card.runId}\`, trained ${card.trainedAt}, exported ${card.exportedAt}`,
    `- Backend: ${card.backend ?? 'unknown'}; Model Lab ${card.versions.modelLab}${card.versions.tfjs ? `, TensorFlow.js ${card.versions.tfjs}` : ''}, Node ${card.versions.node}`,
    `- Epochs: ${card.epochs.done} of ${card.epochs.planned}${card.epochs.best !== undefined ? ` (kept: epoch ${card.epochs.best})` : ''}; seed ${card.seed}`,
    '',
    '## Data',
    '',
    `- Source: ${card.data.source ?? 'unknown'}`,
  );
  if (card.ensemble) lines.push(`- Ensemble of ${card.ensemble.members.length} models (the mean of their predictions), from the runs ${card.ensemble.members.map((m) => `\`${m}\``).join(', ')}${card.ensemble.metric ? `, the best by ${card.ensemble.metric}` : ''}`);
  if (card.data.rows) lines.push(`- Rows: ${card.data.rows.train} train, ${card.data.rows.validation} validation, ${card.data.rows.test} test`);
  if (card.target) lines.push(`- Target: ${card.target}`);
  if (card.labels) lines.push(`- Labels: ${card.labels.join(', ')}`);
  if (card.image) lines.push('', ...imagePreprocessingMarkdown(card.image));
  lines.push('', '## Inputs', '', '| name | type | categories |', '| --- | --- | --- |');
  for (const i of card.inputs) lines.push(`| ${i.name} | ${i.dtype} | ${i.categories?.join(', ') ?? ''} |`);
  if (card.image) {
    const [h, w] = card.image.size;
    lines.push('', `An instance is an image: \`{"b64": "<base64 of a PNG or JPEG file>"}\`, or pixel values 0..255 nested [${h}][${w}][${card.image.channels}]${card.image.channels === 1 ? ` (or [${h}][${w}])` : ''}.`);
  }
  lines.push('', '## Metrics', '');
  const ev = card.metrics.evaluation;
  if (ev) lines.push(`Evaluation on the ${ev.split} split (${ev.count}): ${Object.entries(ev.values).map(([k, v]) => `${k} ${num(v)}`).join(', ')}`);
  if (card.metrics.bestEpoch) lines.push('', `Kept epoch: ${Object.entries(card.metrics.bestEpoch).map(([k, v]) => `${k} ${num(v)}`).join(', ')}`);
  if (!ev && !card.metrics.bestEpoch) lines.push('No evaluation was recorded.');
  lines.push(
    '',
    '## Use',
    '',
    'The model is in the TensorFlow.js layers format (`model.json` + `weights.bin`); the files beside it hold what prediction needs',
    '(preprocessing statistics and category maps, the tokenizer and task, or the image size, channels and scaling). Serve it with TensorFlow Serving\'s REST API:',
    '',
    '```',
    'modellab serve <this folder> --port 8501',
    '```',
    '',
    '## Files',
    '',
    ...card.files.map((f) => `- ${f}`),
    '',
  );
  return lines.join('\n');
}

/** The card's "Image preprocessing" section: what to do to an image before the model sees it. */
export function imagePreprocessingMarkdown(image: ImagePreprocessing): string[] {
  const [h, w] = image.size;
  const channels = image.channels === 1 ? '1 channel (grayscale: RGB becomes its luma, 0.299 R + 0.587 G + 0.114 B)' : '3 channels (RGB; grayscale is repeated in each)';
  const list = (v: number[]) => v.map((x) => num(x)).join(', ');
  const scaling =
    image.scaling === 'standardize' && image.mean && image.std
      ? `standardize: (pixel − mean) / std per channel, on the 0..255 scale, with the training split's mean ${list(image.mean)} and std ${list(image.std)}`
      : 'unit: pixel / 255';
  return [
    '## Image preprocessing',
    '',
    '- Files: PNG or JPEG (told by their first bytes), any size',
    `- Channels: ${channels}; an alpha channel is dropped`,
    `- Size: resized to ${h}×${w} (height × width), bilinear with half-pixel centres, no antialiasing`,
    `- Scaling: ${scaling}`,
    `- Layout: [batch, ${h}, ${w}, ${image.channels}] (channels last), float32`,
    `- All of this is in \`${image.file}\` beside the model`,
  ];
}

export interface ExportResult {
  outDir: string;
  card: ModelCard;
}

/**
 * Writes an export of a run into `outDir`: refuses a non-empty folder that is
 * not an earlier export, so a typo cannot scatter files into a project.
 */
export function exportRun(runDir: string, outDir: string, now = new Date()): ExportResult {
  const { runDir: foundRun, modelDir } = locateRun(runDir);
  if (!foundRun && existsSync(join(modelDir, ENSEMBLE_FILE))) return exportEnsembleChecked(modelDir, outDir, now);
  if (!foundRun) throw new Error(`${runDir}: not a run folder (no meta.json beside the model), so there is nothing to write a model card from`);
  const out = resolve(outDir);
  if (out === resolve(modelDir) || out === resolve(foundRun)) throw new Error('the export folder must be outside the run folder');
  if (existsSync(out)) {
    if (!statSync(out).isDirectory()) throw new Error(`${out} exists and is not a folder`);
    if (readdirSync(out).length > 0 && !existsSync(join(out, MODEL_CARD_JSON))) throw new Error(`${out} is not empty and is not an earlier export; choose an empty folder`);
  }
  mkdirSync(out, { recursive: true });
  const files: string[] = [];
  for (const name of readdirSync(modelDir).sort()) {
    const src = join(modelDir, name);
    if (!statSync(src).isFile() || name.includes('.tmp-')) continue;
    copyFileSync(src, join(out, name));
    files.push(name);
  }
  const labels =
    readJsonOr<PreprocessingLike>(join(modelDir, 'preprocessing.json'))?.labels ??
    readJsonOr<TextTaskLike>(join(modelDir, 'task.json'))?.labels ??
    readJsonOr<Partial<ImageModelInfo>>(join(modelDir, IMAGE_INFO_FILE))?.labels;
  if (labels) {
    writeJsonAtomic(join(out, LABELS_FILE), labels);
    files.push(LABELS_FILE);
  }
  files.push(MODEL_CARD_JSON, MODEL_CARD_MD);
  const card = buildModelCard(foundRun, modelDir, files.sort(), now);
  writeJsonAtomic(join(out, MODEL_CARD_JSON), card);
  writeFileAtomic(join(out, MODEL_CARD_MD), modelCardMarkdown(card));
  return { outDir: out, card };
}
