// Image classification, from config to trained CNN: the image files of each
// split read into pixels at the config's size and channels, scaling fitted on
// the training split only, a stack of layers over [height, width, channels]
// trained by trainModel (model.fit's semantics) with the training batches
// augmented anew each epoch from a seeded generator, and evaluation on the
// held-out split with each image's prediction.
//
// Reproducible and resumable: the batch order comes from the seeded
// Math.random (as the tabular loop's), the augmentation from a generator of
// its own whose position, with the shuffle order, goes into every checkpoint
// (loopState), so a resumed run draws exactly what the uninterrupted run drew.

import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { classificationMetrics } from '../core/evaluationMetrics';
import { applyAugmentation, applyScaling, drawAugmentation, fitChannelStats } from '../core/imageTransforms';
import type { ChannelStats } from '../core/imageTransforms';
import type { ImageSet } from '../core/imageSet';
import { seededRng } from '../core/random';
import type { SeededRng } from '../core/random';
import { isRecommenderModel, isTransformerModel, resolveImage } from '../core/resolvedConfig';
import type { ResolvedConfig, ResolvedImage } from '../core/resolvedConfig';
import type { ClassificationEvaluation, ImageModelInfo, ImagePrediction } from '../core/types';
import { imagePreprocessLog, logText } from '../core/trainerLogTable';
import type { AugmentWord, ImagePreprocessing } from '../core/trainerLogTable';
import type { StageReporter, TrainerLog } from '../core/protocol/trainer';
import { imagePathForRecord, loadImageSplits, readImagePixels } from '../node/imageFiles';
import type { ImageFineTune } from './imageFineTune';
import { buildSequential, summarize } from './model';
import { saveImageModel } from './modelIo';
import { fitInOrder } from './preparedExperiment';
import type { PreparedExperiment } from './preparedExperiment';
import type { BatchInputs } from './trainLoop';

type Stage = StageReporter;
type Log = TrainerLog;

/** Images per forward pass when no gradient is needed (evaluation). */
const EVAL_BATCH = 256;
/** Keeps the augmentation's stream apart from the other seeded streams of the run. */
const AUGMENT_SEED_SALT = 0x1a9e;

/** One split's images, read: raw pixels N×H×W×C on the 0..255 scale, and their class ids. */
interface ReadSplit {
  pixels: Float32Array;
  files: string[];
  labels: Int32Array;
  count: number;
}

function readSplit(set: ImageSet | undefined, image: ResolvedImage, log: Log): ReadSplit | undefined {
  if (!set || set.files.length === 0) return undefined;
  // Skipped files ("onError": "skip") are named and counted in the log by readImagePixels.
  const read = readImagePixels(set, image, log);
  return read.labels.length ? { pixels: read.pixels, files: read.files, labels: read.labels, count: read.labels.length } : undefined;
}

/** The stage line's scaling: unit scaling, or the fitted statistics (one decimal, per channel). */
function scalingShown(stats: ChannelStats | undefined): ImagePreprocessing['standardized'] {
  if (!stats) return undefined;
  const list = (v: number[]) => v.map((x) => x.toFixed(1)).join('/');
  return { mean: list(stats.mean), std: list(stats.std) };
}

/**
 * The image path: a config's image folders and listings → a CNN over [height, width, channels].
 * `fineTune`: a config with `model.base` — the base's kept layers under this config's layers (imageFineTune.ts).
 */
export function prepareImageExperiment(config: ResolvedConfig, configPath: string, stage: Stage, log: Log, fineTune?: ImageFineTune): PreparedExperiment {
  const image = resolveImage(config.data.image!);
  const [height, width] = image.size;
  const channels = image.channels;

  // ── data
  stage('data', 'running');
  const splits = loadImageSplits(config.data, configPath, image, log);
  const labels = splits.classNames;
  const train = readSplit(splits.train, image, log);
  const val = readSplit(splits.validation, image, log);
  const test = readSplit(splits.test, image, log);
  if (!train) throw new Error('no training images are left after reading the files');
  if (labels.length < 2) throw new Error(`a classifier needs at least two classes; the training images have ${labels.length === 0 ? 'none' : `only "${labels[0]}"`}`);
  const dataSizes = { train: train.count, validation: val?.count ?? 0, test: test?.count ?? 0 };
  const total = dataSizes.train + dataSizes.validation + dataSizes.test;
  stage('data', 'done', logText('stage.images', total.toLocaleString('en'), labels.length));

  // ── preprocessing (statistics from the training split only)
  stage('preprocess', 'running');
  const stats = image.scaling === 'standardize' ? fitChannelStats(train.pixels, channels) : undefined;
  const augment = image.augment;
  const preprocessing: ImagePreprocessing = { height, width, channels, standardized: scalingShown(stats), augment: augment && augmentWords(augment) };
  stage('preprocess', 'done', imagePreprocessLog(preprocessing));
  log(imagePreprocessLog(preprocessing, true));

  const perImage = height * width * channels;
  /** A scaled copy: the raw pixels stay as they are (augmentation works on 0..255). */
  const scaled = (pixels: Float32Array): Float32Array => applyScaling(pixels.slice(), channels, image.scaling, stats);
  const tensors: tf.Tensor[] = [];
  const labelTensor = (s: ReadSplit): tf.Tensor => {
    const loss = config.training.loss;
    if (loss === 'categoricalCrossentropy') {
      return tf.tidy(() => tf.cast(tf.oneHot(tf.tensor1d(s.labels, 'int32'), labels.length), 'float32'));
    }
    if (loss === 'binaryCrossentropy') return tf.tensor2d(Float32Array.from(s.labels), [s.count, 1]);
    return tf.tensor1d(Float32Array.from(s.labels));
  };
  const trainY = labelTensor(train);
  tensors.push(trainY);
  const valT = val && { x: tf.tensor4d(scaled(val.pixels), [val.count, height, width, channels]), y: labelTensor(val) };
  if (valT) tensors.push(valT.x, valT.y);

  // ── model
  if (isTransformerModel(config.model) || isRecommenderModel(config.model)) {
    tf.dispose(tensors);
    throw new Error('an image classifier is a stack of layers ("model": { "layers": [...] })'); // validation rules this out
  }
  const inputShape = [height, width, channels];
  let model: tfl.Sequential;
  try {
    model = fineTune ? fineTune.buildModel(config.model.layers, inputShape) : buildSequential(config.model.layers, inputShape);
  } catch (e) {
    tf.dispose(tensors);
    throw e;
  }
  const dispose = () => {
    tf.dispose(tensors);
    model.dispose();
  };
  try {
    const outShape = model.outputs[0].shape;
    if (outShape.length !== 2) throw new Error(`the model's output has shape [${outShape.slice(1).join(', ')}] per image; end the stack with "flatten" (or "globalAveragePooling2d") and a dense layer of ${labels.length} units`);
    const outUnits = outShape[1] as number;
    const k = labels.length;
    const need = config.training.loss === 'binaryCrossentropy' ? 1 : k;
    if (config.training.loss === 'binaryCrossentropy' && k !== 2) throw new Error(`"binaryCrossentropy" needs exactly two classes; the images have ${k} (${labels.slice(0, 8).join(', ')})`);
    if (outUnits !== need) throw new Error(`the last dense layer has ${outUnits} units but the images have ${k} classes (${labels.slice(0, 8).join(', ')}); set "units": ${need}`);
  } catch (e) {
    dispose();
    throw e;
  }
  const metrics = config.training.metrics.filter((m) => m === 'accuracy');
  // The running shuffle order, carried by checkpoints (see tabularTraining.ts).
  const order = Int32Array.from({ length: train.count }, (_, i) => i);
  let augmentRng: SeededRng | undefined;

  /** One training batch: its images copied out, augmented (when configured), scaled. */
  const inputs: BatchInputs = {
    rows: train.count,
    batch: (rows) => {
      const batch = new Float32Array(rows.length * perImage);
      rows.forEach((r, i) => {
        const one = train.pixels.subarray(r * perImage, (r + 1) * perImage);
        if (augment && augmentRng) applyAugmentation(one, height, width, channels, drawAugmentation(augment, height, width, augmentRng), batch, i * perImage);
        else batch.set(one, i * perImage);
      });
      return tf.tensor4d(applyScaling(batch, channels, image.scaling, stats), [rows.length, height, width, channels]);
    },
  };

  const info: ImageModelInfo = {
    format: 'modellab-image',
    version: 1,
    size: [height, width],
    channels,
    scaling: image.scaling,
    ...(stats ? { mean: stats.mean, std: stats.std } : {}),
    labels,
  };

  return {
    model,
    summary: summarize(model, inputShape),
    dataSizes,
    hasValidation: valT !== undefined,
    ...(fineTune ? { optimizer: fineTune.optimizer() } : {}),
    fit: async (args) => {
      if (augment) {
        augmentRng = seededRng(args.seed ^ AUGMENT_SEED_SALT);
        if (args.resume?.loop.random !== undefined) augmentRng.restore(args.resume.loop.random);
      }
      const ordered = { model, x: inputs, y: trainY, validation: valT, order, unit: 'images', loss: config.training.loss, metrics };
      await (fineTune ? fineTune.fit(ordered, args) : fitInOrder(ordered, args));
    },
    loopState: () => ({ order, random: augmentRng?.state() }),
    save: (dir) => saveImageModel(model, dir, info),
    evaluate: async () => {
      const evalSet = test ? { s: test, split: 'test' as const } : val ? { s: val, split: 'validation' as const } : undefined;
      return evalSet && evaluateImages(model, config, labels, evalSet.s, evalSet.split, inputShape, scaled, configPath);
    },
    dispose,
  };
}

function augmentWords(a: NonNullable<ResolvedImage['augment']>): AugmentWord[] {
  const parts: AugmentWord[] = [];
  if (a.flip) parts.push(['flip']);
  if (a.shift) parts.push(['shift', Math.round(a.shift * 100)]);
  if (a.rotate) parts.push(['rotate', a.rotate]);
  if (a.brightness) parts.push(['brightness', Math.round(a.brightness * 100)]);
  return parts;
}

async function evaluateImages(
  model: tfl.LayersModel,
  config: ResolvedConfig,
  labels: string[],
  s: ReadSplit,
  split: 'test' | 'validation',
  inputShape: number[],
  scaled: (pixels: Float32Array) => Float32Array,
  configPath: string,
): Promise<ClassificationEvaluation> {
  const perImage = inputShape.reduce((a, b) => a * b, 1);
  const predicted = new Int32Array(s.count);
  const confidence = new Float32Array(s.count);
  const binary = config.training.loss === 'binaryCrossentropy';
  for (let start = 0; start < s.count; start += EVAL_BATCH) {
    const n = Math.min(EVAL_BATCH, s.count - start);
    const x = tf.tensor4d(scaled(s.pixels.subarray(start * perImage, (start + n) * perImage)), [n, ...inputShape] as [number, number, number, number]);
    const out = tf.tidy(() => model.predict(x) as tf.Tensor);
    const probs = (await out.data()) as Float32Array;
    tf.dispose([x, out]);
    for (let i = 0; i < n; i++) {
      if (binary) {
        const p = probs[i];
        predicted[start + i] = p > 0.5 ? 1 : 0;
        confidence[start + i] = p > 0.5 ? p : 1 - p;
        continue;
      }
      const k = labels.length;
      let best = 0;
      for (let c = 1; c < k; c++) if (probs[i * k + c] > probs[i * k + best]) best = c;
      predicted[start + i] = best;
      confidence[start + i] = probs[i * k + best];
    }
  }
  const images: ImagePrediction[] = Array.from({ length: s.count }, (_, i) => ({
    file: imagePathForRecord(s.files[i], configPath),
    label: labels[s.labels[i]],
    predicted: labels[predicted[i]],
    confidence: Math.round(confidence[i] * 1e4) / 1e4,
  }));
  return { task: 'classification', split, count: s.count, labels, ...classificationMetrics(s.labels, predicted, labels), images };
}
