// Reading an image classifier's folder (model.json + weights.bin + image.json)
// and turning an image into the input the model was trained on: decoded PNG or
// JPEG bytes (or pixel values), converted to the model's channels, resized
// (bilinear) to its size and scaled as image.json says — the same core
// transforms training applies. Shared by saliency and the predictor.

import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type * as tfl from '@tensorflow/tfjs-layers';
import { applyScaling, convertChannels, resizeBilinear } from '../core/imageTransforms';
import type { ImagePixels } from '../core/imageTransforms';
import type { ImageModelInfo } from '../core/types';
import { decodeImage } from '../node/imageDecode';
import { ModelDirCache, resolveModelDir } from './modelDirCache';
import { IMAGE_INFO_FILE } from '../core/types';
import { loadModel, MODEL_FILE } from './modelIo';

export interface LoadedImageModel {
  dir: string;
  model: tfl.LayersModel;
  info: ImageModelInfo;
}

/** Whether a model folder holds an image classifier (image.json beside model.json). */
export function isImageModelDir(dir: string): boolean {
  return existsSync(join(dir, IMAGE_INFO_FILE));
}

const isCount = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v) && v >= 1;
const isNumbers = (v: unknown, n: number): v is number[] => Array.isArray(v) && v.length === n && v.every((x) => typeof x === 'number' && Number.isFinite(x));

/** image.json of a model folder, checked field by field; the error names the file and the field. */
export function readImageInfo(dir: string): ImageModelInfo {
  const file = join(dir, IMAGE_INFO_FILE);
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    throw new Error(`${file}: cannot read the image model's input description (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
  const bad = (what: string): never => {
    throw new Error(`${file}: ${what}`);
  };
  if (!raw || typeof raw !== 'object' || Array.isArray(raw)) return bad('not a JSON object');
  const o = raw as Record<string, unknown>;
  if (o.format !== 'modellab-image') bad('not a Model Lab image model file (format is not "modellab-image")');
  if (!Array.isArray(o.size) || o.size.length !== 2 || !o.size.every(isCount)) bad('size must be [height, width] in whole pixels');
  if (o.channels !== 1 && o.channels !== 3) bad('channels must be 1 or 3');
  if (o.scaling !== 'unit' && o.scaling !== 'standardize') bad('scaling must be "unit" or "standardize"');
  const channels = o.channels as 1 | 3;
  if (o.scaling === 'standardize') {
    if (!isNumbers(o.mean, channels)) bad(`mean must hold ${channels} number(s), one per channel`);
    if (!isNumbers(o.std, channels) || (o.std as number[]).some((s) => s <= 0)) bad(`std must hold ${channels} positive number(s), one per channel`);
  }
  if (!Array.isArray(o.labels) || o.labels.length < 1 || !o.labels.every((l) => typeof l === 'string')) bad('labels must be a list of class names');
  return raw as ImageModelInfo;
}

/** Loads an image classifier from a run folder, its model/ folder or an export. A backend must be selected first. */
export async function loadImageModel(runOrModelDir: string): Promise<LoadedImageModel> {
  const dir = resolveModelDir(runOrModelDir);
  if (!isImageModelDir(dir)) throw new Error(`${dir}: not an image model (no ${IMAGE_INFO_FILE} beside ${MODEL_FILE})`);
  const info = readImageInfo(dir);
  const { model } = await loadModel(dir);
  const shape = model.inputs[0]?.shape ?? [];
  const [h, w] = info.size;
  if (model.inputs.length !== 1 || shape.length !== 4 || shape[1] !== h || shape[2] !== w || shape[3] !== info.channels) {
    model.dispose();
    throw new Error(`${dir}: the model takes [${shape.slice(1).join(', ')}] but ${IMAGE_INFO_FILE} says ${h}×${w}×${info.channels}`);
  }
  return { dir, model, info };
}

/** The model's input size as H×W×C. */
export function inputShapeOf(info: ImageModelInfo): [number, number, number] {
  return [info.size[0], info.size[1], info.channels];
}

/**
 * Pixels on the 0..255 scale (any size, 1 to 4 channels) as the model sees
 * them: its channels, its size, scaled. A new HWC Float32Array.
 */
export function pixelsToInput(image: ImagePixels, info: ImageModelInfo): Float32Array {
  const [h, w] = info.size;
  const converted = convertChannels(image, info.channels);
  const resized = resizeBilinear(converted, image.height, image.width, info.channels, h, w);
  return scaleForModel(resized, info);
}

/** HWC pixels on the 0..255 scale, at the model's size and channels, scaled in place as training scaled them. */
export function scaleForModel(pixels: Float32Array, info: ImageModelInfo): Float32Array {
  return applyScaling(pixels, info.channels, info.scaling, info.scaling === 'standardize' ? { mean: info.mean!, std: info.std! } : undefined);
}

/** PNG or JPEG bytes as the model's input; the error names `file`. */
export function imageBytesToInput(bytes: Uint8Array, info: ImageModelInfo, file: string): Float32Array {
  let image: ImagePixels;
  try {
    image = decodeImage(bytes, file);
  } catch (e) {
    // The decoder's advice on a data config's setting means nothing for one image given to a model.
    throw new Error((e as Error).message.replace(/ \(convert it, or set "onError": "skip"[^)]*\)/, ' (convert it to PNG or JPEG)'));
  }
  return pixelsToInput(image, info);
}

/** Reads an image file as the model's input; the error names the file. */
export function imageFileToInput(file: string, info: ImageModelInfo): Float32Array {
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(file);
  } catch (e) {
    throw new Error(`${file}: cannot read the image (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
  return imageBytesToInput(bytes, info, file);
}

/** A few loaded image models, most recently used kept; reloaded when model.json changes (a run that saves a better epoch replaces model.json, and image.json with it). */
export class ImageModelCache extends ModelDirCache<LoadedImageModel> {
  constructor(capacity = 2) {
    super(loadImageModel, (loaded) => loaded.model.dispose(), capacity);
  }
}
