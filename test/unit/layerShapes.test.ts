// Shape inference for stacks of layers (core/layerShapes.ts): each layer's
// output shape and parameter count as Keras computes and prints them.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { imageInputShape, inferLayerShapes, layerLabel, shapeText, size2d, windowOutputLength } from '../../src/core/layerShapes';
import type { LayerConfig } from '../../src/core/types';
import { DIGITS_CNN } from '../helpers/fixtures';

const shapes = (layers: LayerConfig[], input: number[]) => inferLayerShapes(layers, input).layers.map((l) => l.output);

test('window output length: same is ceil(n / stride), valid floor((n − window) / stride) + 1', () => {
  assert.equal(windowOutputLength(28, 3, 1, 'valid'), 26);
  assert.equal(windowOutputLength(28, 3, 1, 'same'), 28);
  assert.equal(windowOutputLength(28, 3, 2, 'same'), 14);
  assert.equal(windowOutputLength(27, 3, 2, 'same'), 14);
  assert.equal(windowOutputLength(28, 3, 2, 'valid'), 13);
  assert.equal(windowOutputLength(11, 2, 2, 'valid'), 5);
  assert.equal(windowOutputLength(7, 2, 2, 'same'), 4);
  assert.equal(windowOutputLength(2, 2, 2, 'valid'), 1);
  assert.equal(windowOutputLength(1, 2, 2, 'valid'), 0);
  assert.ok(windowOutputLength(2, 5, 1, 'valid') < 1);
  assert.equal(windowOutputLength(1, 5, 3, 'same'), 1);
});

test('sizes: one number is a square, a pair is [height, width]; the image input shape; shapes as text', () => {
  assert.deepEqual(size2d(3), [3, 3]);
  assert.deepEqual(size2d([3, 5]), [3, 5]);
  assert.deepEqual(imageInputShape({ size: [28, 32], channels: 1 }), [28, 32, 1]);
  assert.deepEqual(imageInputShape({ size: [64, 64] }), [64, 64, 3]);
  assert.equal(shapeText([26, 26, 32]), '26×26×32');
  assert.equal(shapeText([128]), '128');
  assert.equal(layerLabel(4, 'maxPooling2d'), 'model.layers[4] (maxPooling2d)');
});

test("the digits CNN as Keras prints it: shapes, parameters (conv k·k·cin·filters + filters), 225,034 in all", () => {
  const r = inferLayerShapes(DIGITS_CNN, [28, 28, 1]);
  assert.equal(r.problem, undefined);
  assert.deepEqual(
    r.layers.map((l) => [l.type, l.input, l.output, l.params]),
    [
      ['conv2d', [28, 28, 1], [26, 26, 32], 320],
      ['maxPooling2d', [26, 26, 32], [13, 13, 32], 0],
      ['conv2d', [13, 13, 32], [11, 11, 64], 18496],
      ['maxPooling2d', [11, 11, 64], [5, 5, 64], 0],
      ['flatten', [5, 5, 64], [1600], 0],
      ['dense', [1600], [128], 204928],
      ['dense', [128], [10], 1290],
    ],
  );
  assert.deepEqual(r.output, [10]);
  assert.equal(r.totalParams, 225034);
  assert.equal(r.trainableParams, 225034);
  assert.deepEqual(r.input, [28, 28, 1]);
});

test('convolution: same padding, strides, [h, w] kernels, no bias', () => {
  const r = inferLayerShapes(
    [
      { type: 'conv2d', filters: 16, kernelSize: 3, padding: 'same' },
      { type: 'conv2d', filters: 8, kernelSize: [3, 5], strides: 2, padding: 'same', useBias: false },
      { type: 'conv2d', filters: 4, kernelSize: [1, 3], strides: [1, 2] },
    ],
    [32, 30, 3],
  );
  assert.deepEqual(
    r.layers.map((l) => [l.output, l.params]),
    [
      [[32, 30, 16], 3 * 3 * 3 * 16 + 16],
      [[16, 15, 8], 3 * 5 * 16 * 8],
      [[16, 7, 4], 1 * 3 * 8 * 4 + 4],
    ],
  );
});

test('pooling: poolSize defaults to 2, strides to the poolSize, padding to valid', () => {
  const input = [7, 9, 5];
  assert.deepEqual(shapes([{ type: 'maxPooling2d' }], input), [[3, 4, 5]]);
  assert.deepEqual(shapes([{ type: 'averagePooling2d' }], input), [[3, 4, 5]]);
  assert.deepEqual(shapes([{ type: 'maxPooling2d', padding: 'same' }], input), [[4, 5, 5]]);
  assert.deepEqual(shapes([{ type: 'maxPooling2d', poolSize: 3 }], input), [[2, 3, 5]]);
  assert.deepEqual(shapes([{ type: 'maxPooling2d', poolSize: 3, strides: 1 }], input), [[5, 7, 5]]);
  assert.deepEqual(shapes([{ type: 'averagePooling2d', poolSize: [2, 3], strides: [1, 3] }], input), [[6, 3, 5]]);
  assert.equal(inferLayerShapes([{ type: 'maxPooling2d' }], input).totalParams, 0);
});

test('flatten and global average pooling make vectors; batch normalization has 4 weights per channel, 2 trained', () => {
  const r = inferLayerShapes(
    [
      { type: 'conv2d', filters: 8, kernelSize: 3 },
      { type: 'batchNormalization' },
      { type: 'activation', activation: 'relu' },
      { type: 'dropout', rate: 0.5 },
      { type: 'layerNormalization' },
      { type: 'globalAveragePooling2d' },
      { type: 'dense', units: 2, activation: 'softmax' },
    ],
    [10, 10, 3],
  );
  assert.deepEqual(
    r.layers.map((l) => [l.type, l.output, l.params, l.trainableParams]),
    [
      ['conv2d', [8, 8, 8], 224, 224],
      ['batchNormalization', [8, 8, 8], 32, 16],
      ['activation', [8, 8, 8], 0, 0],
      ['dropout', [8, 8, 8], 0, 0],
      ['layerNormalization', [8, 8, 8], 16, 16],
      ['globalAveragePooling2d', [8], 0, 0],
      ['dense', [2], 18, 18],
    ],
  );
  assert.equal(r.totalParams, 224 + 32 + 16 + 18);
  assert.equal(r.trainableParams, 224 + 16 + 16 + 18);
  assert.deepEqual(shapes([{ type: 'flatten' }], [4, 5, 6]), [[120]]);
});

test('a tabular stack: input [n], dense in·units + units, batch normalization on features', () => {
  const r = inferLayerShapes(
    [
      { type: 'dense', units: 64, activation: 'relu' },
      { type: 'batchNormalization' },
      { type: 'dropout', rate: 0.2 },
      { type: 'dense', units: 1, useBias: false },
    ],
    [10],
  );
  assert.deepEqual(r.layers.map((l) => [l.output, l.params]), [[[64], 704], [[64], 256], [[64], 0], [[1], 64]]);
  assert.equal(r.totalParams, 1024);
  assert.equal(r.trainableParams, 1024 - 128);
  assert.deepEqual(r.output, [1]);
});

test('a window that leaves less than 1×1 breaks the stack at that layer, naming it and both shapes', () => {
  const layers: LayerConfig[] = [
    { type: 'conv2d', filters: 32, kernelSize: 3 },
    { type: 'maxPooling2d' },
    { type: 'conv2d', filters: 64, kernelSize: 3 },
    { type: 'maxPooling2d' },
    { type: 'maxPooling2d', poolSize: 5 },
    { type: 'maxPooling2d' },
    { type: 'flatten' },
  ];
  const r = inferLayerShapes(layers, [28, 28, 1]);
  assert.equal(r.layers.length, 5);
  assert.deepEqual(r.layers[4].output, [1, 1, 64]);
  assert.equal(r.output, undefined);
  assert.equal(r.problem?.index, 5);
  assert.equal(r.problem?.kind, 'shrinks');
  assert.deepEqual(r.problem?.input, [1, 1, 64]);
  assert.deepEqual(r.problem?.output, [0, 0, 64]);
  assert.match(r.problem!.message, /^model\.layers\[5\] \(maxPooling2d\) would output 0×0×64 from 1×1×64 \(pool 2×2, padding "valid"\)/);
  assert.match(r.problem!.message, /"padding": "same"/);
  // Only the layers before it count.
  assert.equal(r.totalParams, 320 + 18496);

  // A kernel larger than the image: the shape shown never goes below 0.
  const big = inferLayerShapes([{ type: 'conv2d', filters: 8, kernelSize: [5, 2], strides: 2 }], [3, 4, 1]).problem!;
  assert.deepEqual(big.output, [0, 2, 8]);
  assert.match(big.message, /^model\.layers\[0\] \(conv2d\) would output 0×2×8 from 3×4×1 \(kernel 5×2, strides 2×2, padding "valid"\)/);
});

test('a dense layer on a feature map, and 2-D layers or flatten on a vector, break the stack with the fix named', () => {
  const dense = inferLayerShapes([{ type: 'conv2d', filters: 4, kernelSize: 3 }, { type: 'dense', units: 10 }], [8, 8, 1]).problem!;
  assert.equal(dense.kind, 'needsFlatten');
  assert.equal(dense.index, 1);
  assert.equal(dense.message, 'model.layers[1] (dense) gets a 6×6×4 feature map; add { "type": "flatten" } (or { "type": "globalAveragePooling2d" }) before it');

  const afterFlatten = inferLayerShapes([{ type: 'flatten' }, { type: 'conv2d', filters: 4, kernelSize: 3 }], [8, 8, 1]).problem!;
  assert.equal(afterFlatten.kind, 'needsImage');
  assert.equal(afterFlatten.index, 1);
  assert.match(afterFlatten.message, /^model\.layers\[1\] \(conv2d\) works on images \(height × width × channels\) but gets a vector of 64 values; convolution and pooling layers go before flatten/);

  for (const type of ['maxPooling2d', 'averagePooling2d', 'globalAveragePooling2d'] as const) {
    const p = inferLayerShapes([{ type }], [12]).problem!;
    assert.equal(p.kind, 'needsImage', type);
    assert.equal(p.message, `model.layers[0] (${type}) works on images (height × width × channels) but gets a vector of 12 values`);
  }
  const flat = inferLayerShapes([{ type: 'dense', units: 3 }, { type: 'flatten' }], [12]).problem!;
  assert.equal(flat.index, 1);
  assert.match(flat.message, /flatten\) lays a feature map out as a vector, but gets a vector of 3 values already: remove it/);
});
