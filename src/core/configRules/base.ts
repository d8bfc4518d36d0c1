// Config rules for `model.base` (fine-tuning from a trained model): the base
// the trainer would load — found through the DataProbe, which asks
// src/node/baseModel.ts, the trainer's own resolver — exists, has a model and
// fits this config: a model of the kind the task builds on, the same
// Transformer shape, the same image input; and the freezing and learning-rate
// options do something. The trainer validates its config with these rules
// before it trains, so its refusal reads as the editor's problem does. Also
// the rule for which of an image base's layers are kept under a new head.

import { inferLayerShapes, layerLabel } from '../layerShapes';
import { isRecommenderModel, isTransformerModel, resolveImage } from '../resolvedConfig';
import type { PathSegment } from '../sweep';
import type { BaseModelConfig, ExperimentConfig, LayerConfig } from '../types';
import { addPropertyFix } from '../configFixes';
import type { DataProbe, ProbedBase, RuleReport } from './shared';

/** What a base's model is, as far as fine-tuning cares. */
export type BaseModelKind = 'transformerEncoder' | 'transformerDecoder' | 'image' | 'layers' | 'recommender';

const KIND_WORDS: Record<BaseModelKind, string> = {
  transformerEncoder: 'a Transformer encoder',
  transformerDecoder: 'a Transformer decoder (a language model)',
  image: 'an image classifier (a stack of layers over images)',
  layers: 'a stack of dense layers over table columns',
  recommender: 'a recommender',
};

/** What the base rules tell the other rules. */
export interface BaseFindings {
  /**
   * An image classifier's new head starts on this shape (the output of the base's kept
   * layers); `null` when the base could not be read, so the head's shapes are not checked.
   */
  headInput?: number[] | null;
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** `from` as written: the string form, or the object's `from`. */
export function baseFrom(base: string | BaseModelConfig): string {
  return typeof base === 'string' ? base : base.from;
}

/** Where `from` is in the config, for the problems of the base itself. */
function fromPath(base: string | BaseModelConfig): PathSegment[] {
  return typeof base === 'string' ? ['model', 'base'] : ['model', 'base', 'from'];
}

/** A `from` that names a folder rather than a run id of the runs folder (as baseModel.ts tells them apart). */
function isPathLike(from: string): boolean {
  return from.includes('/') || from.includes('\\') || from === '.' || from === '..';
}

/** What the base is: its config's model when it has one, else its model folder's files and its task. */
export function baseModelKind(base: ProbedBase): BaseModelKind | undefined {
  if (base.image) return 'image';
  const model = base.config?.model;
  if (isRecord(model)) {
    if (model.type === 'transformerEncoder' || model.type === 'transformerDecoder') return model.type;
    if (model.type === 'matrixFactorization' || model.type === 'neuralRecommender') return 'recommender';
  }
  if (base.task === 'masked-language-model') return 'transformerEncoder';
  if (base.task === 'language-model') return 'transformerDecoder';
  if (base.task === 'recommendation') return 'recommender';
  if (base.textModel) return 'transformerEncoder';
  if (isRecord(model) && Array.isArray(model.layers)) return isRecord(base.config?.data) && base.config.data.image !== undefined ? 'image' : 'layers';
  return undefined;
}

/** The kind of base this config's task and model build on, or why none can be a base here. */
function neededKind(config: ExperimentConfig): { kind: BaseModelKind; what: string } | { refused: string } {
  const model = config.model;
  if (config.task === 'recommendation' || isRecommenderModel(model)) return { refused: 'a recommender trains from scratch: fine-tuning from a base is for Transformers (text) and image classifiers' };
  if (config.data.image !== undefined) return { kind: 'image', what: 'an image classifier' };
  if (config.task === 'language-model') return { kind: 'transformerDecoder', what: 'a language model' };
  if (config.task === 'masked-language-model') return { kind: 'transformerEncoder', what: 'a masked language model' };
  if (isTransformerModel(model) || config.data.text !== undefined) return { kind: 'transformerEncoder', what: config.task === 'regression' ? 'a text regression model' : 'a text classifier' };
  return { refused: 'a model over table columns trains from scratch: fine-tuning from a base is for Transformers (text) and image classifiers' };
}

/** How to get a base of the kind needed, said after a base that does not fit. */
const WHERE_TO_GET: Record<BaseModelKind, string> = {
  transformerEncoder: 'pretrain an encoder with "task": "masked-language-model" (or start from a text classifier\'s run)',
  transformerDecoder: 'start from a language model\'s run ("task": "language-model", a "transformerDecoder")',
  image: 'start from an image classifier\'s run or export',
  layers: 'start from a run of a model over table columns',
  recommender: 'start from a recommender\'s run',
};

/**
 * The base of a fine-tuned config: found, with a model of the kind the task builds on, its
 * Transformer shape or image input the config's own; the freezing and learning-rate options
 * used. Returns what the image rules need (the head's input shape).
 */
export function checkBase(config: ExperimentConfig, probe: DataProbe, report: RuleReport): BaseFindings {
  const base = config.model.base;
  if (base === undefined) return {};
  const at = fromPath(base);
  const findings: BaseFindings = { headInput: null };
  checkBaseOptions(config, base, report);
  const need = neededKind(config);
  if ('refused' in need) {
    report(at, 'error', `model.base: ${need.refused}`);
    return findings;
  }
  const from = baseFrom(base).trim();
  if (isPathLike(from)) {
    const refusal = probe.refusal(from);
    if (refusal) {
      report(at, 'error', `model.base: ${refusal}`);
      return findings;
    }
  }
  const probed = probe.base?.(config);
  if (!probed) return config.data.image !== undefined ? findings : {};
  if ('problem' in probed) {
    report(at, 'error', probed.problem);
    return findings;
  }
  // A Transformer: the trainer's own verdict (baseFitProblems, built on baseMismatch and baseShapeMismatch below).
  if (probed.fit) {
    for (const p of probed.fit) report(p.path, p.severity, p.message, p.path[0] === 'model' && p.path.length === 2 && p.path[1] !== 'base');
    return {};
  }
  const kind = baseModelKind(probed);
  if (kind !== need.kind) {
    report(at, 'error', baseMismatch(probed, kind, need.kind, need.what));
    return findings;
  }
  if (kind === 'image') return { headInput: checkImageBase(config, probed, report, at) };
  return {};
}

/** The sentence for a base of the wrong kind: what it is, why it cannot serve, what would. */
export function baseMismatch(base: ProbedBase, kind: BaseModelKind | undefined, need: BaseModelKind, what: string): string {
  const is = kind ? KIND_WORDS[kind] : 'a model of an unknown kind';
  const task = `task "${base.task}"`;
  if (kind === 'transformerDecoder' && need === 'transformerEncoder') {
    return `model.base: ${base.name} is ${is} (${task}); its attention only looks back, so it cannot be the base of ${what}, which reads the whole text — ${WHERE_TO_GET[need]}`;
  }
  if (kind === 'transformerEncoder' && need === 'transformerDecoder') {
    return `model.base: ${base.name} is ${is} (${task}); its attention looks both ways, so it cannot predict the next token as ${what} does — ${WHERE_TO_GET[need]}`;
  }
  return `model.base: ${base.name} is ${is} (${task}), but this config trains ${what}, whose base is ${KIND_WORDS[need]} — ${WHERE_TO_GET[need]}`;
}

/** A Transformer setting that differs from the base's: both values, and the fix. */
export function baseShapeMismatch(key: string, mine: number, theirs: number, baseName: string): string {
  return `"${key}" is ${mine} here but ${theirs} in the base, ${baseName}: the base's weights keep their shapes — remove "${key}" (it comes from the base) or set it to ${theirs}`;
}

/** An image base: its input is the config's, and it has layers to keep. Returns the head's input shape, or null. */
function checkImageBase(config: ExperimentConfig, base: ProbedBase, report: RuleReport, at: PathSegment[]): number[] | null {
  const image = config.data.image!;
  const input = base.image;
  if (!input) return null;
  let fits = true;
  const channels = resolveImage(image).channels;
  if (channels !== input.channels) {
    fits = false;
    report(
      image.channels !== undefined ? ['data', 'image', 'channels'] : ['data', 'image'],
      'error',
      `the images are read with ${channels} channel${channels === 1 ? '' : 's'}${image.channels === undefined ? ' (the default)' : ''} but the base, ${base.name}, was trained on ${input.channels}: its first convolution takes ${input.channels}; set "channels": ${input.channels}`,
      image.channels === undefined,
      image.channels === undefined ? addPropertyFix(['data', 'image'], 'channels', input.channels) : undefined,
    );
  }
  if (image.size[0] !== input.size[0] || image.size[1] !== input.size[1]) {
    fits = false;
    report(['data', 'image', 'size'], 'error', `the images are resized to ${image.size[0]}×${image.size[1]} but the base, ${base.name}, takes ${input.size[0]}×${input.size[1]}: set "size": [${input.size[0]}, ${input.size[1]}]`);
  }
  const layers = base.config?.model;
  if (!isRecord(layers) || !Array.isArray(layers.layers)) return null;
  const body = imageBaseBody(layers.layers as LayerConfig[], [...input.size, input.channels]);
  if ('problem' in body) {
    report(at, 'error', `model.base: ${base.name}: ${body.problem}`);
    return null;
  }
  return fits ? body.output : null;
}

/**
 * The layers of an image base that a fine-tuned classifier keeps: every layer whose output is
 * still a feature map (height × width × channels) — its convolutions and pooling, and what
 * works on their maps — up to the first layer that lays the map out as a vector (flatten,
 * global pooling); that layer and everything after it (the dense head) are left out, and the
 * config's layers are the new head on the kept layers' output.
 */
export function imageBaseBody(layers: readonly LayerConfig[], inputShape: readonly number[]): { keep: number; output: number[]; dropped: LayerConfig['type'][] } | { problem: string } {
  const shapes = inferLayerShapes(layers, inputShape);
  let keep = 0;
  while (keep < shapes.layers.length && shapes.layers[keep].output.length === 3) keep++;
  if (keep === 0) {
    const first = layers[0];
    return { problem: `its first layer, ${first ? layerLabel(0, first.type) : 'none'}, already gives a vector: it has no convolution or pooling layers to keep under a new head` };
  }
  return { keep, output: shapes.layers[keep - 1].output, dropped: layers.slice(keep).map((l) => l.type) };
}

/** Freezing for every epoch, and a learning rate for weights that never train. */
function checkBaseOptions(config: ExperimentConfig, base: string | BaseModelConfig, report: RuleReport): void {
  if (typeof base === 'string') return;
  const epochs = config.training.epochs ?? 10;
  const freeze = base.freezeEpochs ?? 0;
  if (freeze >= epochs) {
    report(
      ['model', 'base', 'freezeEpochs'],
      'warning',
      `the base never trains: it stays frozen for ${freeze} epoch${freeze === 1 ? '' : 's'} and the training has ${epochs}${config.training.epochs === undefined ? ' (the default)' : ''}; only the new head learns${base.learningRate !== undefined ? ', so "learningRate" is never used' : ''}. Lower "freezeEpochs" below ${epochs} to fine-tune the base too`,
      true,
    );
  }
}
