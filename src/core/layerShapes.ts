// Shape inference for a stack of layers, as Keras computes it: each layer's
// output shape (without the batch dimension) and its parameter count, from
// the input shape — [features] for tabular data, [height, width, channels]
// for images. The config rules use it to name the layer a stack breaks at;
// the trainer's tests hold tfjs-layers' summary to it. Pure.

import type { ImageDataConfig, LayerConfig, Size2D } from './types';

/** A layer's type, as written in the config. */
export type LayerType = LayerConfig['type'];

export interface LayerShape {
  index: number;
  type: LayerType;
  /** Input and output shapes without the batch dimension: [n] or [height, width, channels]. */
  input: number[];
  output: number[];
  /** Weights as Keras counts them (Param #): batch normalization's moving mean and variance included. */
  params: number;
  /** The weights training changes: batch normalization's moving statistics left out. */
  trainableParams: number;
}

/** Why a stack cannot be built from its input shape, at the first layer that breaks. */
export interface LayerShapeProblem {
  index: number;
  type: LayerType;
  /**
   * `shrinks`: a convolution or pooling window leaves less than 1×1;
   * `needsImage`: a 2-D layer (or flatten) gets a vector (no image input, or after flatten / dense);
   * `needsFlatten`: a dense layer gets a feature map.
   */
  kind: 'shrinks' | 'needsImage' | 'needsFlatten';
  input: number[];
  /** The shape the layer would output (`shrinks` only; sides below 1 shown as 0). */
  output?: number[];
  /** A sentence naming the layer (`model.layers[4] (maxPooling2d) …`), the shapes and the fix. */
  message: string;
}

export interface LayerShapes {
  input: number[];
  /** Every layer's shapes, up to the one that breaks (left out). */
  layers: LayerShape[];
  /** The last layer's output, when the whole stack builds. */
  output?: number[];
  problem?: LayerShapeProblem;
  totalParams: number;
  trainableParams: number;
}

/** [height, width] of a window or stride given as one number (a square) or a pair. */
export function size2d(size: Size2D): [number, number] {
  return typeof size === 'number' ? [size, size] : [size[0], size[1]];
}

/**
 * Output length of a convolution or pooling along one axis, as Keras'
 * conv_output_length: `same` ceil(n / stride), `valid` floor((n − window) / stride) + 1
 * (0 or less when the window does not fit).
 */
export function windowOutputLength(n: number, window: number, stride: number, padding: 'same' | 'valid'): number {
  return padding === 'same' ? Math.ceil(n / stride) : Math.floor((n - window) / stride) + 1;
}

/** The model's input shape for image data: [height, width, channels] (channels default 3). */
export function imageInputShape(image: Pick<ImageDataConfig, 'size' | 'channels'>): [number, number, number] {
  return [image.size[0], image.size[1], image.channels ?? 3];
}

/** A shape as people write it: `26×26×32`, or `128` for a vector. */
export function shapeText(shape: readonly number[]): string {
  return shape.join('×');
}

/** `model.layers[4] (maxPooling2d)`: how messages name a layer. */
export function layerLabel(index: number, type: string): string {
  return `model.layers[${index}] (${type})`;
}

const FLATTEN_FIX = 'add { "type": "flatten" } (or { "type": "globalAveragePooling2d" }) before it';

/** Each layer's output shape and parameters from the input shape, up to the first layer that cannot take its input. */
export function inferLayerShapes(layers: readonly LayerConfig[], inputShape: readonly number[]): LayerShapes {
  const out: LayerShapes = { input: [...inputShape], layers: [], totalParams: 0, trainableParams: 0 };
  let shape = [...inputShape];
  for (let index = 0; index < layers.length; index++) {
    const layer = layers[index];
    const step = layerStep(layer, index, shape);
    if ('problem' in step) {
      out.problem = step.problem;
      return out;
    }
    out.layers.push({ index, type: layer.type, input: shape, output: step.output, params: step.params, trainableParams: step.trainable });
    out.totalParams += step.params;
    out.trainableParams += step.trainable;
    shape = step.output;
  }
  out.output = shape;
  return out;
}

type Step = { output: number[]; params: number; trainable: number } | { problem: LayerShapeProblem };

function layerStep(layer: LayerConfig, index: number, input: number[]): Step {
  const label = layerLabel(index, layer.type);
  const last = input[input.length - 1] ?? 0;
  const same = (params = 0, trainable = params): Step => ({ output: input, params, trainable });
  const problem = (kind: LayerShapeProblem['kind'], message: string, output?: number[]): Step => ({
    problem: { index, type: layer.type, kind, input, ...(output ? { output } : {}), message },
  });
  const needsImage = (): Step =>
    problem(
      'needsImage',
      `${label} works on images (height × width × channels) but gets ${input.length === 1 ? `a vector of ${input[0]} values` : shapeText(input)}` +
        (index === 0 ? '' : '; convolution and pooling layers go before flatten, globalAveragePooling2d and dense'),
    );
  switch (layer.type) {
    case 'dense': {
      if (input.length !== 1) return problem('needsFlatten', `${label} gets a ${shapeText(input)} feature map; ${FLATTEN_FIX}`);
      const bias = layer.useBias ?? true;
      const params = last * layer.units + (bias ? layer.units : 0);
      return { output: [layer.units], params, trainable: params };
    }
    case 'conv2d':
    case 'maxPooling2d':
    case 'averagePooling2d': {
      if (input.length !== 3) return needsImage();
      const conv = layer.type === 'conv2d';
      const window = size2d(conv ? layer.kernelSize : (layer.poolSize ?? 2));
      const strides = size2d(layer.strides ?? (conv ? 1 : window));
      const padding = layer.padding ?? 'valid';
      const channels = conv ? layer.filters : input[2];
      const h = windowOutputLength(input[0], window[0], strides[0], padding);
      const w = windowOutputLength(input[1], window[1], strides[1], padding);
      if (h < 1 || w < 1) {
        const output = [Math.max(h, 0), Math.max(w, 0), channels];
        // Strides are named when they are not the default (1 for a convolution, the window for pooling).
        const defaultStrides = conv ? [1, 1] : window;
        const windowText = `${conv ? 'kernel' : 'pool'} ${shapeText(window)}${strides[0] !== defaultStrides[0] || strides[1] !== defaultStrides[1] ? `, strides ${shapeText(strides)}` : ''}`;
        return problem(
          'shrinks',
          `${label} would output ${shapeText(output)} from ${shapeText(input)} (${windowText}, padding "${padding}"): the window is larger than what is left of the image. Use "padding": "same", a smaller window, or fewer layers before it`,
          output,
        );
      }
      if (!conv) return { output: [h, w, channels], params: 0, trainable: 0 };
      const bias = layer.useBias ?? true;
      const params = window[0] * window[1] * input[2] * layer.filters + (bias ? layer.filters : 0);
      return { output: [h, w, channels], params, trainable: params };
    }
    case 'globalAveragePooling2d':
      if (input.length !== 3) return needsImage();
      return { output: [input[2]], params: 0, trainable: 0 };
    case 'flatten':
      // tfjs-layers refuses a vector (Keras would pass it through).
      if (input.length < 2) return problem('needsImage', `${label} lays a feature map out as a vector, but gets a vector of ${input[0]} values already: remove it`);
      return { output: [input.reduce((a, b) => a * b, 1)], params: 0, trainable: 0 };
    case 'batchNormalization':
      // gamma and beta are trained; the moving mean and variance are not.
      return same(4 * last, 2 * last);
    case 'layerNormalization':
      return same(2 * last);
    case 'dropout':
    case 'activation':
      return same();
    default: {
      const unknown: never = layer;
      throw new Error(`${layerLabel(index, String((unknown as { type: unknown }).type))}: unknown layer type`);
    }
  }
}
