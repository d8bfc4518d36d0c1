// Saving and loading models as files in the TensorFlow.js layers format
// (model.json + weights.bin), without tfjs-node's file:// handler, so it works
// on every backend. Each file is written atomically.

import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { writeFileAtomic, writeJsonAtomic } from '../core/runStore';
import type { FittedPreprocessor } from '../core/preprocess';

export const MODEL_FILE = 'model.json';
export const WEIGHTS_FILE = 'weights.bin';
export const PREPROCESSING_FILE = 'preprocessing.json';

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
