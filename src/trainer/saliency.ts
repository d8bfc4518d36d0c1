// Saliency for an image classifier: the prediction for one image file and a
// map of where the model looked (Grad-CAM on the last convolution, or the
// gradient of the class score with respect to the pixels).
//
// Both explain the predicted class's score before its softmax (or sigmoid):
// the probability saturates near 1, and its gradient with it, so a confident
// model would otherwise give a map of rounding noise.
//   gradcam  — gradients of the score with respect to the last Conv2D layer's
//              output; each channel weighted by the spatial mean of its
//              gradient; ReLU(Σ weight · feature map), upsampled (bilinear)
//              to the input size, divided by its largest value. Each feature
//              sits at the centre of its receptive field (layerGeometry): with
//              "valid" convolutions the feature map covers less than the image,
//              and stretching it edge to edge would draw it off by a few pixels.
//   gradient — |∂score/∂pixel| (the pixel on its 0..255 scale, before
//              scaling), the largest over the channels, smoothed over 3×3
//              pixels, divided by its largest value.

import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { resizeBilinear } from '../core/imageTransforms';
import type { ImageModelInfo, SaliencyMethod, SaliencyResult } from '../core/types';
import { ImageModelCache, imageFileToInput } from './imageModel';

const sharedCache = new ImageModelCache(2);

/** Rounds map values and probabilities for compact JSON. */
const round4 = (v: number): number => Math.round(v * 1e4) / 1e4;
const round6 = (v: number): number => Math.round(v * 1e6) / 1e6;

/** The model's layers in order when they form a single chain from input to output (a stack); else why not. */
export function layerChain(model: tfl.LayersModel): tfl.layers.Layer[] | string {
  const layers = model.layers.filter((l) => l.getClassName() !== 'InputLayer');
  if (model.inputs.length !== 1 || model.outputs.length !== 1) return 'the model has more than one input or output';
  for (let i = 0; i < layers.length; i++) {
    const nodes = (layers[i] as unknown as { inboundNodes: { inboundLayers: tfl.layers.Layer[] }[] }).inboundNodes;
    if (nodes.length !== 1) return `layer ${layers[i].name} is used more than once`;
    const from = nodes[0].inboundLayers;
    const expected = i === 0 ? undefined : layers[i - 1];
    if (expected ? from.length !== 1 || from[0] !== expected : from.length > 1 || (from.length === 1 && from[0].getClassName() !== 'InputLayer')) {
      return `layer ${layers[i].name} does not simply follow the one before it`;
    }
  }
  return layers;
}

/** The index of the last Conv2D layer of a chain, or -1. */
export function lastConvIndex(layers: tfl.layers.Layer[]): number {
  for (let i = layers.length - 1; i >= 0; i--) if (layers[i].getClassName() === 'Conv2D') return i;
  return -1;
}

/** Where a feature map's cells sit in the input, along one axis: cell i is centred on input pixel start + i · jump. */
export interface AxisGeometry {
  start: number;
  jump: number;
}

const pair = (v: unknown): [number, number] => (Array.isArray(v) ? [Number(v[0]), Number(v[1] ?? v[0])] : [Number(v), Number(v)]);

/**
 * The receptive-field centres of the output of `layers` (convolutions,
 * poolings and layers that keep the grid) over an input of `size`; undefined
 * when a layer changes the grid in another way.
 */
export function layerGeometry(layers: tfl.layers.Layer[], size: [number, number]): [AxisGeometry, AxisGeometry] | undefined {
  const axes: AxisGeometry[] = [
    { start: 0, jump: 1 },
    { start: 0, jump: 1 },
  ];
  const n = [size[0], size[1]];
  for (const layer of layers) {
    const grid = layer.outputShape as (number | null)[];
    const kind = layer.getClassName();
    const cfg = layer.getConfig() as Record<string, unknown>;
    let kernel: [number, number];
    let strides: [number, number];
    if (kind === 'Conv2D') {
      const dilation = pair(cfg.dilationRate ?? 1);
      const k = pair(cfg.kernelSize);
      kernel = [(k[0] - 1) * dilation[0] + 1, (k[1] - 1) * dilation[1] + 1];
      strides = pair(cfg.strides ?? 1);
    } else if (kind === 'MaxPooling2D' || kind === 'AveragePooling2D') {
      kernel = pair(cfg.poolSize ?? 2);
      strides = pair(cfg.strides ?? kernel);
    } else {
      if (!Array.isArray(grid) || grid.length !== 4 || grid[1] !== n[0] || grid[2] !== n[1]) return undefined;
      continue; // activations, normalization, dropout: the same grid
    }
    if (cfg.dataFormat === 'channelsFirst' || ![...kernel, ...strides].every((v) => Number.isInteger(v) && v >= 1)) return undefined;
    for (let a = 0; a < 2; a++) {
      const k = kernel[a];
      const st = strides[a];
      let padBefore = 0;
      let out: number;
      if (cfg.padding === 'same') {
        out = Math.ceil(n[a] / st);
        padBefore = Math.floor(Math.max((out - 1) * st + k - n[a], 0) / 2);
      } else out = Math.ceil((n[a] - k + 1) / st);
      axes[a] = { start: axes[a].start + ((k - 1) / 2 - padBefore) * axes[a].jump, jump: axes[a].jump * st };
      n[a] = out;
    }
    // The layer's own idea of its output grid must agree with the arithmetic.
    if (!Array.isArray(grid) || grid[1] !== n[0] || grid[2] !== n[1]) return undefined;
  }
  return [axes[0], axes[1]];
}

/**
 * A feature map (fh × fw) sampled bilinearly at every input pixel by where
 * each cell sits in the input (clamped at the map's edges).
 */
function upsampleAligned(map: Float32Array, fh: number, fw: number, height: number, width: number, geometry: [AxisGeometry, AxisGeometry]): Float32Array {
  const [gy, gx] = geometry;
  const coord = (p: number, g: AxisGeometry, n: number) => Math.min(Math.max((p - g.start) / g.jump, 0), n - 1);
  const out = new Float32Array(height * width);
  for (let y = 0; y < height; y++) {
    const fy = coord(y, gy, fh);
    const y0 = Math.floor(fy);
    const y1 = Math.min(y0 + 1, fh - 1);
    const wy = fy - y0;
    for (let x = 0; x < width; x++) {
      const fx = coord(x, gx, fw);
      const x0 = Math.floor(fx);
      const x1 = Math.min(x0 + 1, fw - 1);
      const wx = fx - x0;
      const top = map[y0 * fw + x0] + (map[y0 * fw + x1] - map[y0 * fw + x0]) * wx;
      const bottom = map[y1 * fw + x0] + (map[y1 * fw + x1] - map[y1 * fw + x0]) * wx;
      out[y * width + x] = top + (bottom - top) * wy;
    }
  }
  return out;
}

function forward(layers: tfl.layers.Layer[], x: tf.Tensor): tf.Tensor {
  let h = x;
  for (const layer of layers) h = layer.apply(h, { training: false }) as tf.Tensor;
  return h;
}

const SQUASHING = new Set(['softmax', 'sigmoid']);

/**
 * The layers after a point as a function of their input → the score of class
 * `cls` before the final softmax or sigmoid: a last Dense layer with one of
 * them is computed without it, a last Activation layer of one of them is left
 * out. A single sigmoid unit (two classes) scores class 1 by its logit and
 * class 0 by its negation.
 */
function classScore(layers: tfl.layers.Layer[], cls: number, classes: number): (x: tf.Tensor) => tf.Scalar {
  return (x) => {
    const last = layers[layers.length - 1];
    const activation = last ? (last.getConfig() as { activation?: unknown }).activation : undefined;
    const squashed = typeof activation === 'string' && SQUASHING.has(activation);
    let logits: tf.Tensor;
    if (squashed && last.getClassName() === 'Activation') logits = forward(layers.slice(0, -1), x);
    else if (squashed && last.getClassName() === 'Dense') {
      const h = forward(layers.slice(0, -1), x);
      const [kernel, bias] = last.weights.map((w) => w.read());
      logits = h.rank === 2 ? tf.matMul(h as tf.Tensor2D, kernel as tf.Tensor2D) : tf.dot(h, kernel);
      if (bias) logits = tf.add(logits, bias);
    } else logits = forward(layers, x);
    const flat = tf.reshape(logits, [-1]);
    if (flat.shape[0] === 1 && classes === 2) return (cls === 1 ? tf.sum(flat) : tf.neg(tf.sum(flat))) as tf.Scalar;
    return tf.sum(tf.slice(flat, [cls], [1])) as tf.Scalar;
  };
}

/** Class probabilities from the model's output: a single sigmoid unit of a two-class model gives [1 − p, p]. */
function probabilities(output: ArrayLike<number>, classes: number): number[] {
  const values = Array.from(output);
  return values.length === 1 && classes === 2 ? [1 - values[0], values[0]] : values;
}

/** Divides by the largest value (all zeros stay zeros), clamps to 0..1, rows of `width`. */
function normalizedRows(values: Float32Array, height: number, width: number): number[][] {
  let max = 0;
  for (const v of values) if (v > max) max = v;
  const scale = max > 0 && Number.isFinite(max) ? 1 / max : 0;
  const rows: number[][] = [];
  for (let y = 0; y < height; y++) {
    const row = new Array<number>(width);
    for (let x = 0; x < width; x++) row[x] = round4(Math.min(1, Math.max(0, values[y * width + x] * scale)));
    rows.push(row);
  }
  return rows;
}

/** A 3×3 box blur with the border clamped. */
function blur3(values: Float32Array, height: number, width: number): Float32Array {
  const out = new Float32Array(values.length);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      let sum = 0;
      let n = 0;
      for (let dy = -1; dy <= 1; dy++) {
        const yy = y + dy;
        if (yy < 0 || yy >= height) continue;
        for (let dx = -1; dx <= 1; dx++) {
          const xx = x + dx;
          if (xx < 0 || xx >= width) continue;
          sum += values[yy * width + xx];
          n++;
        }
      }
      out[y * width + x] = sum / n;
    }
  }
  return out;
}

export interface SaliencyMaps {
  probabilities: number[];
  /** The class the map explains: the most probable one. */
  cls: number;
  /** height × width, 0..1. */
  saliency: number[][];
}

/**
 * The prediction and the map for one input (HWC, already converted and
 * scaled) of an image model. Throws for Grad-CAM on a model without a
 * convolution layer, naming the other method.
 */
export function saliencyMaps(model: tfl.LayersModel, info: ImageModelInfo, input: Float32Array, method: SaliencyMethod): SaliencyMaps {
  const [height, width] = info.size;
  const channels = info.channels;
  const classes = info.labels.length;
  const chain = layerChain(model);
  if (typeof chain === 'string') throw new Error(`saliency needs a stack of layers: ${chain}`);
  const conv = lastConvIndex(chain);
  if (method === 'gradcam' && conv < 0) {
    throw new Error('Grad-CAM needs a convolution layer (conv2d) and this model has none; use the "gradient" method, which works for any image model');
  }
  return tf.tidy(() => {
    const x = tf.tensor4d(input, [1, height, width, channels]);
    const probs = probabilities((model.predict(x) as tf.Tensor).dataSync(), classes);
    let cls = 0;
    for (let k = 1; k < probs.length; k++) if (probs[k] > probs[cls]) cls = k;
    let map: Float32Array;
    if (method === 'gradcam') {
      const features = forward(chain.slice(0, conv + 1), x) as tf.Tensor4D;
      const grads = tf.grad(classScore(chain.slice(conv + 1), cls, classes))(features);
      const weights = tf.mean(grads, [1, 2], true);
      const cam = tf.relu(tf.sum(tf.mul(features, weights), -1));
      const [, fh, fw] = features.shape;
      const geometry = layerGeometry(chain.slice(0, conv + 1), [height, width]);
      map = geometry ? upsampleAligned(cam.dataSync() as Float32Array, fh, fw, height, width, geometry) : resizeBilinear(cam.dataSync() as Float32Array, fh, fw, 1, height, width);
    } else {
      let grads = tf.grad(classScore(chain, cls, classes))(x);
      // With respect to the pixels, not the scaled input: standardizing divided each channel by its std.
      if (info.scaling === 'standardize' && info.std) grads = tf.div(grads, tf.tensor1d(info.std));
      const perPixel = tf.max(tf.abs(grads), -1);
      map = blur3(perPixel.dataSync() as Float32Array, height, width);
    }
    return { probabilities: probs, cls, saliency: normalizedRows(map, height, width) };
  });
}

/**
 * Saliency for one image file with an image classifier (a run folder, its
 * model folder or an export): the image read as training read it (image.json:
 * channels, size, scaling), the model's prediction, and the map of the
 * predicted class. Models are cached between calls and reloaded when
 * model.json changes.
 */
export async function saliencyFor(modelDir: string, imagePath: string, method: SaliencyMethod = 'gradcam', cache = sharedCache): Promise<SaliencyResult> {
  const { model, info } = await cache.get(modelDir);
  const input = imageFileToInput(imagePath, info);
  const maps = saliencyMaps(model, info, input, method);
  return {
    file: imagePath,
    size: [info.size[0], info.size[1]],
    prediction: {
      label: info.labels[maps.cls] ?? String(maps.cls),
      probabilities: maps.probabilities.map((p, k) => ({ label: info.labels[k] ?? String(k), probability: round6(p) })),
    },
    method,
    explains: info.labels[maps.cls] ?? String(maps.cls),
    saliency: maps.saliency,
  };
}
