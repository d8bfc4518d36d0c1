// Saving and loading models as files in the TensorFlow.js layers format
// (model.json + weights.bin), without tfjs-node's file:// handler, so it works
// on every backend. Each file is written atomically. A text model's folder
// also holds tokenizer.json and task.json (its task, class labels or, for
// text regression, the target's standardization).

import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { writeFileAtomic, writeJsonAtomic } from '../node/runStoreWriter';
import type { FittedPreprocessor } from '../core/preprocess';
import { IMAGE_INFO_FILE } from '../core/types';
import type { ImageModelInfo } from '../core/types';
import { Tokenizer, TOKENIZER_FILE } from '../core/tokenizer';
import type { TokenizerJson } from '../core/tokenizer';
// Registers the Transformer's custom layers, which loadLayersModel needs to rebuild one.
import { isTransformer } from './transformer';

export const MODEL_FILE = 'model.json';
export const WEIGHTS_FILE = 'weights.bin';
export const PREPROCESSING_FILE = 'preprocessing.json';
export const TEXT_TASK_FILE = 'task.json';
/** An image model's input size, channels, scaling statistics and labels (ImageModelInfo). */

/** task.json: what a text model predicts. */
export interface TextTaskJson {
  format: 'modellab-text-task';
  version: 1;
  task: 'classification' | 'regression' | 'language-model' | 'masked-language-model';
  /** Classifier: the label of each output unit. */
  labels?: string[];
  /** Text regression: the target column and its standardization (the model predicts (target − shift) / scale). */
  target?: { column: string; kind: 'standardize'; shift: number; scale: number };
  /** The longest sequence the model's positions cover. */
  maxLength: number;
}

/** A text regression model's target scaling as the tabular preprocessor holds it (inverseTarget reads it). */
export function textTargetPreprocessor(task: TextTaskJson): FittedPreprocessor | undefined {
  const t = task.target;
  if (task.task !== 'regression' || !t) return undefined;
  return { version: 1, task: 'regression', features: [], target: t.column, fill: {}, dropMissing: [], oneHot: [], scale: { [t.column]: { kind: t.kind, shift: t.shift, scale: t.scale } }, inputNames: [] };
}

export interface LoadedTextModel {
  model: tfl.LayersModel;
  tokenizer: Tokenizer;
  task: TextTaskJson;
}

export async function saveModel(model: tfl.LayersModel, dir: string, preprocessor?: FittedPreprocessor): Promise<void> {
  mkdirSync(dir, { recursive: true });
  await model.save(
    tf.io.withSaveHandler(async (artifacts) => {
      const weights = artifacts.weightData
        ? new Uint8Array(tf.io.CompositeArrayBuffer.join(artifacts.weightData as ArrayBuffer | ArrayBuffer[]))
        : new Uint8Array(0);
      // Weights first: model.json pointing at missing weights would be worse than an old pair.
      writeFileAtomic(join(dir, WEIGHTS_FILE), weights);
      writeJsonAtomic(join(dir, MODEL_FILE), {
        format: 'layers-model',
        generatedBy: artifacts.generatedBy,
        convertedBy: artifacts.convertedBy ?? null,
        modelTopology: artifacts.modelTopology,
        weightsManifest: [{ paths: [`./${WEIGHTS_FILE}`], weights: artifacts.weightSpecs ?? [] }],
      });
      return { modelArtifactsInfo: tf.io.getModelArtifactsInfoForJSON(artifacts) };
    }),
  );
  if (preprocessor) writeJsonAtomic(join(dir, PREPROCESSING_FILE), preprocessor);
}

/** Saves a Transformer with its tokenizer and task, so the folder alone can be used for inference. */
export async function saveTextModel(model: tfl.LayersModel, dir: string, tokenizer: Tokenizer, task: TextTaskJson): Promise<void> {
  await saveModel(model, dir);
  writeJsonAtomic(join(dir, TOKENIZER_FILE), tokenizer.toJson());
  writeJsonAtomic(join(dir, TEXT_TASK_FILE), task);
}

/** Saves an image classifier with what reading an image needs (image.json), so the folder alone can be used for inference. */
export async function saveImageModel(model: tfl.LayersModel, dir: string, info: ImageModelInfo): Promise<void> {
  await saveModel(model, dir);
  writeJsonAtomic(join(dir, IMAGE_INFO_FILE), info);
}

export async function loadTextModel(dir: string): Promise<LoadedTextModel> {
  const read = <T>(name: string, what: string): T => {
    try {
      return JSON.parse(readFileSync(join(dir, name), 'utf8')) as T;
    } catch (e) {
      throw new Error(`${join(dir, name)}: cannot read ${what} (${(e as NodeJS.ErrnoException).code ?? (e as Error).message}); is this a Transformer model folder?`);
    }
  };
  const task = read<TextTaskJson>(TEXT_TASK_FILE, 'the task');
  const tokenizer = Tokenizer.fromJson(read<TokenizerJson>(TOKENIZER_FILE, 'the tokenizer'));
  const { model } = await loadModel(dir);
  if (!isTransformer(model)) {
    model.dispose();
    throw new Error(`${dir}: the model has no attention layers`);
  }
  return { model, tokenizer, task };
}

export async function loadModel(dir: string): Promise<{ model: tfl.LayersModel; preprocessor?: FittedPreprocessor }> {
  const modelFile = join(dir, MODEL_FILE);
  let json: { modelTopology: object; weightsManifest: { paths: string[]; weights: tf.io.WeightsManifestEntry[] }[]; format?: string };
  try {
    json = JSON.parse(readFileSync(modelFile, 'utf8'));
  } catch (e) {
    throw new Error(`${modelFile}: cannot read the model (${(e as Error).message})`);
  }
  if (!json.modelTopology || !Array.isArray(json.weightsManifest)) throw new Error(`${modelFile}: not a TensorFlow.js layers model`);
  const specs: tf.io.WeightsManifestEntry[] = [];
  const buffers: Uint8Array[] = [];
  for (const group of json.weightsManifest) {
    specs.push(...group.weights);
    for (const p of group.paths) buffers.push(readFileSync(join(dir, p)));
  }
  const total = buffers.reduce((a, b) => a + b.length, 0);
  const data = new Uint8Array(total);
  let off = 0;
  for (const b of buffers) {
    data.set(b, off);
    off += b.length;
  }
  const model = await tfl.loadLayersModel(tf.io.fromMemory({ modelTopology: json.modelTopology, weightSpecs: specs, weightData: data.buffer }));
  let preprocessor: FittedPreprocessor | undefined;
  try {
    preprocessor = JSON.parse(readFileSync(join(dir, PREPROCESSING_FILE), 'utf8')) as FittedPreprocessor;
  } catch {
    preprocessor = undefined;
  }
  return { model, preprocessor };
}
