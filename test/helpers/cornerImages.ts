// Images whose class is decided by a bright square in the top-left corner
// ("lit"; "dark" images have none) over a noisy background, and a tiny CNN trained on them with
// tfjs-layers directly and saved as an image model (model.json, weights.bin,
// image.json): a model whose evidence sits in a known region, for saliency,
// prediction and export tests.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { PNG } from 'pngjs';
import type { ImageModelInfo } from '../../src/core/types';
import { saveImageModel } from '../../src/trainer/modelIo';
import { lcg } from './fixtures';

export const SIDE = 16;
/** The square covers rows and columns SQUARE_FROM … SQUARE_FROM + SQUARE - 1 from its corner. */
export const SQUARE = 5;
export const SQUARE_FROM = 1;
export const CORNER_LABELS = ['dark', 'lit'];
export type CornerLabel = 'dark' | 'lit';

/** One gray SIDE×SIDE image (0..255, row by row): noise, and for "lit" the square in the top-left corner. */
export function cornerImage(label: CornerLabel, rand: () => number): Uint8Array {
  const px = new Uint8Array(SIDE * SIDE);
  for (let i = 0; i < px.length; i++) px[i] = Math.floor(rand() * 90);
  if (label === 'lit') {
    for (let y = SQUARE_FROM; y < SQUARE_FROM + SQUARE; y++) for (let x = SQUARE_FROM; x < SQUARE_FROM + SQUARE; x++) px[y * SIDE + x] = 230 + Math.floor(rand() * 25);
  }
  return px;
}

/** The gray pixels as an RGB PNG file's bytes (the model reads it back as one channel). */
export function grayPng(px: Uint8Array, side = SIDE): Buffer {
  const png = new PNG({ width: side, height: side });
  for (let i = 0; i < side * side; i++) {
    png.data[i * 4] = png.data[i * 4 + 1] = png.data[i * 4 + 2] = px[i];
    png.data[i * 4 + 3] = 255;
  }
  return PNG.sync.write(png);
}

/**
 * How far the test CNN sees past the square: two 3×3 convolutions with a 2×
 * pooling between them reach 1 + 2 pixels, and a pixel beside the square's edge changes it.
 */
export const REACH = 4;

/** The mean of a map over rows y0 … y1 − 1 and columns x0 … x1 − 1. */
export function meanOver(map: number[][], y0: number, y1: number, x0: number, x1: number): number {
  let sum = 0;
  for (let y = y0; y < y1; y++) for (let x = x0; x < x1; x++) sum += map[y][x];
  return sum / ((y1 - y0) * (x1 - x0));
}

/** The share of a map's total in its top-left `extent` × `extent` pixels. */
export function cornerShare(map: number[][], extent = SQUARE_FROM + SQUARE + REACH): number {
  let total = 0;
  let inCorner = 0;
  map.forEach((row, y) =>
    row.forEach((v, x) => {
      total += v;
      if (y < extent && x < extent) inCorner += v;
    }),
  );
  return total > 0 ? inCorner / total : 0;
}

export interface TrainedCornerModel {
  dir: string;
  info: ImageModelInfo;
}

/**
 * Trains a tiny CNN (or, with `conv: false`, a dense model over the flattened
 * pixels) on corner images and saves it in `dir` with image.json. A backend
 * must be selected first.
 */
export async function trainCornerModel(dir: string, options: { conv?: boolean; scaling?: 'unit' | 'standardize'; epochs?: number; seed?: number } = {}): Promise<TrainedCornerModel> {
  const conv = options.conv ?? true;
  const rand = lcg(options.seed ?? 11);
  const n = 160;
  const images = new Float32Array(n * SIDE * SIDE);
  const ys = new Float32Array(n * 2);
  for (let i = 0; i < n; i++) {
    const label: CornerLabel = i % 2 === 0 ? 'lit' : 'dark';
    images.set(cornerImage(label, rand), i * SIDE * SIDE);
    ys[i * 2 + CORNER_LABELS.indexOf(label)] = 1;
  }
  let mean = 0;
  for (const v of images) mean += v;
  mean /= images.length;
  let sq = 0;
  for (const v of images) sq += (v - mean) ** 2;
  const std = Math.sqrt(sq / images.length);
  const standardize = options.scaling === 'standardize';
  const scaled = images.map((v) => (standardize ? (v - mean) / std : v / 255));

  const model = tfl.sequential();
  if (conv) {
    model.add(tfl.layers.conv2d({ inputShape: [SIDE, SIDE, 1], filters: 8, kernelSize: 3, padding: 'same', activation: 'relu', kernelInitializer: tfl.initializers.glorotUniform({ seed: 1 }) }));
    model.add(tfl.layers.maxPooling2d({ poolSize: 2 }));
    model.add(tfl.layers.conv2d({ filters: 8, kernelSize: 3, padding: 'same', activation: 'relu', kernelInitializer: tfl.initializers.glorotUniform({ seed: 2 }) }));
    model.add(tfl.layers.globalAveragePooling2d({}));
  } else {
    model.add(tfl.layers.flatten({ inputShape: [SIDE, SIDE, 1] }));
  }
  model.add(tfl.layers.dense({ units: 2, activation: 'softmax', kernelInitializer: tfl.initializers.glorotUniform({ seed: 3 }) }));
  model.compile({ optimizer: tf.train.adam(0.01), loss: 'categoricalCrossentropy', metrics: ['accuracy'] });
  const x = tf.tensor4d(scaled, [n, SIDE, SIDE, 1]);
  const y = tf.tensor2d(ys, [n, 2]);
  await model.fit(x, y, { epochs: options.epochs ?? 8, batchSize: 16, shuffle: false, verbose: 0 });
  tf.dispose([x, y]);
  const info: ImageModelInfo = {
    format: 'modellab-image',
    version: 1,
    size: [SIDE, SIDE],
    channels: 1,
    scaling: standardize ? 'standardize' : 'unit',
    ...(standardize ? { mean: [mean], std: [std] } : {}),
    labels: CORNER_LABELS,
  };
  mkdirSync(dir, { recursive: true });
  await saveImageModel(model, dir, info);
  model.dispose();
  return { dir, info };
}

/** Writes corner images as PNG files in `dir`: `count` of each label, named <label>-<i>.png. */
export function writeCornerPngs(dir: string, count: number, seed = 99): { file: string; label: CornerLabel; pixels: Uint8Array }[] {
  mkdirSync(dir, { recursive: true });
  const rand = lcg(seed);
  const out: { file: string; label: CornerLabel; pixels: Uint8Array }[] = [];
  for (let i = 0; i < count; i++) {
    for (const label of ['lit', 'dark'] as const) {
      const pixels = cornerImage(label, rand);
      const file = join(dir, `${label}-${i}.png`);
      writeFileSync(file, grayPng(pixels));
      out.push({ file, label, pixels });
    }
  }
  return out;
}
