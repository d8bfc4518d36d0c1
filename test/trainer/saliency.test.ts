// Saliency for image classifiers on real tfjs (wasm): a tiny CNN trained on
// images whose class is a bright square in one corner looks at that corner by
// both methods; maps have the model's input size with values in 0..1; no
// tensors are left behind; Grad-CAM on a model without a convolution and a
// file that is not an image give clear errors; a changed model.json is reloaded;
// a run trained by the engine from image folders works the same way.
import assert from 'node:assert/strict';
import { mkdirSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { before, test } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import type { ImageModelInfo } from '../../src/core/types';
import { formatSaliency, saliencyMethodOption, shadedMap } from '../../src/cli/saliencyCommand';
import { selectBackend } from '../../src/trainer/backend';
import { runTraining } from '../../src/trainer/engine';
import { ImageModelCache } from '../../src/trainer/imageModel';
import { layerGeometry, saliencyFor, saliencyMaps } from '../../src/trainer/saliency';
import { cornerImage, cornerShare, grayPng, meanOver, REACH, SIDE, SQUARE, SQUARE_FROM, trainCornerModel, writeCornerPngs } from '../helpers/cornerImages';
import { lcg, tempDir } from '../helpers/fixtures';

const root = tempDir('modellab-saliency-');
const cnnDir = join(root, 'cnn');
const denseDir = join(root, 'dense');
let images: ReturnType<typeof writeCornerPngs> = [];

before(async () => {
  await selectBackend('wasm');
  await trainCornerModel(cnnDir, { scaling: 'standardize' });
  await trainCornerModel(denseDir, { conv: false });
  images = writeCornerPngs(join(root, 'images'), 3);
});

for (const method of ['gradcam', 'gradient'] as const) {
  test(`${method}: the map has the input's size, values in 0..1, and its mass in the square's corner`, async () => {
    const cache = new ImageModelCache();
    try {
      for (const img of images) {
        const r = await saliencyFor(cnnDir, img.file, method, cache);
        assert.equal(r.method, method);
        assert.equal(r.file, img.file);
        assert.deepEqual(r.size, [SIDE, SIDE]);
        assert.equal(r.prediction.label, img.label, `${img.file} predicted ${r.prediction.label}`);
        assert.equal(r.explains, img.label);
        assert.deepEqual(r.prediction.probabilities.map((p) => p.label), ['dark', 'lit']);
        assert.ok(Math.abs(r.prediction.probabilities.reduce((s, p) => s + p.probability, 0) - 1) < 1e-4);
        assert.equal(r.saliency.length, SIDE);
        for (const row of r.saliency) {
          assert.equal(row.length, SIDE);
          for (const v of row) assert.ok(v >= 0 && v <= 1, `value ${v} outside 0..1`);
        }
        const top = Math.max(...r.saliency.flat());
        // Grad-CAM keeps positive evidence only: "dark" (no square) may have none anywhere.
        if (img.label !== 'lit') {
          assert.ok(top === 1 || (method === 'gradcam' && top === 0), `largest value ${top}`);
          continue;
        }
        assert.equal(top, 1, 'normalized to a largest value of 1');
        // The corner: the square and what the CNN sees around it, 39% of the image.
        const extent = SQUARE_FROM + SQUARE + REACH;
        const share = cornerShare(r.saliency, extent);
        const minShare = method === 'gradcam' ? 0.9 : 0.5;
        assert.ok(share > minShare, `${method} on ${img.file}: ${(share * 100).toFixed(0)}% of the map in the corner, not over ${minShare * 100}%`);
        const at = r.saliency.flat().indexOf(1);
        assert.ok(Math.floor(at / SIDE) < extent && at % SIDE < extent, `${method}: the largest value is at row ${Math.floor(at / SIDE)}, column ${at % SIDE}, outside the corner`);
        const onSquare = meanOver(r.saliency, SQUARE_FROM, SQUARE_FROM + SQUARE, SQUARE_FROM, SQUARE_FROM + SQUARE);
        const farCorner = meanOver(r.saliency, SIDE / 2, SIDE, SIDE / 2, SIDE);
        const ratio = method === 'gradcam' ? 5 : 2;
        assert.ok(onSquare > ratio * farCorner, `${method}: mean ${onSquare.toFixed(3)} on the square, ${farCorner.toFixed(3)} in the opposite quadrant`);
      }
    } finally {
      cache.clear();
    }
  });
}

test('no tensors are left behind once the model is loaded, by either method', async () => {
  const cache = new ImageModelCache();
  await saliencyFor(cnnDir, images[0].file, 'gradcam', cache);
  const before = tf.memory().numTensors;
  await saliencyFor(cnnDir, images[1].file, 'gradcam', cache);
  await saliencyFor(cnnDir, images[2].file, 'gradient', cache);
  await saliencyFor(denseDir, images[2].file, 'gradient', cache);
  cache.clear();
  const afterClear = tf.memory().numTensors;
  assert.ok(afterClear < before, 'clearing the cache disposes the models');
  const cache2 = new ImageModelCache();
  await saliencyFor(cnnDir, images[0].file, 'gradcam', cache2);
  const loaded = tf.memory().numTensors;
  for (let i = 0; i < 3; i++) await saliencyFor(cnnDir, images[i].file, i % 2 ? 'gradient' : 'gradcam', cache2);
  assert.equal(tf.memory().numTensors, loaded, 'tensors left behind');
  cache2.clear();
});

test('Grad-CAM on a model without a convolution says so; the gradient still works', async () => {
  const cache = new ImageModelCache();
  try {
    await assert.rejects(saliencyFor(denseDir, images[0].file, 'gradcam', cache), /Grad-CAM needs a convolution layer.*"gradient"/);
    const r = await saliencyFor(denseDir, images[0].file, 'gradient', cache);
    assert.equal(r.saliency.length, SIDE);
    assert.ok(r.saliency.flat().every((v) => v >= 0 && v <= 1));
  } finally {
    cache.clear();
  }
});

test('an unreadable or non-image file is an error naming the file', async () => {
  const cache = new ImageModelCache();
  try {
    const text = join(root, 'notes.png');
    writeFileSync(text, 'just some text, not an image\n');
    await assert.rejects(saliencyFor(cnnDir, text, 'gradcam', cache), (e: Error) => e.message.includes(text) && /not a PNG or JPEG/.test(e.message));
    const gif = join(root, 'photo.png');
    writeFileSync(gif, 'GIF89a and the rest of a GIF');
    await assert.rejects(saliencyFor(cnnDir, gif, 'gradcam', cache), (e: Error) => e.message.startsWith(`${gif}: a GIF image`) && !/onError/.test(e.message));
    const truncated = join(root, 'cut.png');
    const { readFileSync } = await import('node:fs');
    writeFileSync(truncated, readFileSync(images[0].file).subarray(0, 40));
    await assert.rejects(saliencyFor(cnnDir, truncated, 'gradient', cache), (e: Error) => e.message.includes(truncated));
    const missing = join(root, 'missing.png');
    await assert.rejects(saliencyFor(cnnDir, missing, 'gradcam', cache), (e: Error) => e.message.includes(missing));
    await assert.rejects(saliencyFor(root, images[0].file, 'gradcam', cache), /no saved model/);
  } finally {
    cache.clear();
  }
});

test('the cache keeps a model between calls and reloads it when model.json changes', async () => {
  const cache = new ImageModelCache(1);
  try {
    const a = await cache.get(cnnDir);
    assert.equal(await cache.get(cnnDir), a, 'the same model from the cache');
    const later = new Date(Date.now() + 5000);
    utimesSync(join(cnnDir, 'model.json'), later, later);
    const b = await cache.get(cnnDir);
    assert.notEqual(b, a, 'reloaded after model.json changed');
    await cache.get(denseDir);
    assert.equal(cache.size, 1, 'capacity kept');
  } finally {
    cache.clear();
  }
});

test('a run trained by the engine from image folders (data.image, standardized): both maps find the square', async () => {
  const dir = join(root, 'engine');
  const rand = lcg(3);
  for (const label of ['lit', 'dark'] as const) {
    mkdirSync(join(dir, 'data', label), { recursive: true });
    for (let i = 0; i < 60; i++) writeFileSync(join(dir, 'data', label, `${i}.png`), grayPng(cornerImage(label, rand)));
  }
  const configPath = join(dir, 'corners.experiment.json');
  writeFileSync(
    configPath,
    JSON.stringify({
      name: 'corners',
      task: 'classification',
      data: { source: 'data', image: { size: [SIDE, SIDE], channels: 1, scaling: 'standardize' }, split: { validation: 0.1, test: 0.2, seed: 1 } },
      model: {
        layers: [
          { type: 'conv2d', filters: 8, kernelSize: 3, padding: 'same', activation: 'relu' },
          { type: 'maxPooling2d', poolSize: 2 },
          { type: 'conv2d', filters: 8, kernelSize: 3, padding: 'same', activation: 'relu' },
          { type: 'globalAveragePooling2d' },
          { type: 'dense', units: 2, activation: 'softmax' },
        ],
      },
      training: { optimizer: { type: 'adam', learningRate: 0.01 }, epochs: 8, batchSize: 16, seed: 1, metrics: ['accuracy'] },
    }),
  );
  const run = await runTraining({ configPath, runsDir: join(dir, 'runs'), backend: 'wasm', onEvent: () => {} });
  assert.equal(run.meta.status, 'completed', run.meta.error);
  const cache = new ImageModelCache();
  try {
    const image = join(dir, 'data', 'lit', '0.png');
    for (const method of ['gradcam', 'gradient'] as const) {
      const r = await saliencyFor(run.runDir, image, method, cache);
      assert.equal(r.prediction.label, 'lit');
      assert.deepEqual(r.size, [SIDE, SIDE]);
      const share = cornerShare(r.saliency);
      assert.ok(share > (method === 'gradcam' ? 0.9 : 0.5), `${method}: ${(share * 100).toFixed(0)}% of the map in the corner`);
    }
  } finally {
    cache.clear();
  }
});

test('receptive-field geometry: "valid" convolutions start inside the image, "same" ones at its edge, strides multiply', () => {
  const stack = (layers: tfl.layers.Layer[]) => {
    const m = tfl.sequential({ layers });
    return { m, layers: m.layers };
  };
  // The digits example: conv 3 valid → pool 2 → conv 3 valid (28 → 26 → 13 → 11).
  const digits = stack([tfl.layers.conv2d({ inputShape: [28, 28, 1], filters: 2, kernelSize: 3 }), tfl.layers.maxPooling2d({ poolSize: 2 }), tfl.layers.conv2d({ filters: 2, kernelSize: 3 })]);
  assert.deepEqual(layerGeometry(digits.layers, [28, 28]), [{ start: 3.5, jump: 2 }, { start: 3.5, jump: 2 }]);
  // "same" padding: cell i of the 8×8 map is centred on pixel 0.5 + 2i, as a plain half-pixel resize puts it.
  const same = stack([tfl.layers.conv2d({ inputShape: [16, 16, 1], filters: 2, kernelSize: 3, padding: 'same' }), tfl.layers.maxPooling2d({ poolSize: 2 }), tfl.layers.conv2d({ filters: 2, kernelSize: 3, padding: 'same', activation: 'relu' })]);
  assert.deepEqual(layerGeometry(same.layers, [16, 16]), [{ start: 0.5, jump: 2 }, { start: 0.5, jump: 2 }]);
  // Strides and a non-square kernel, with a batch normalization that keeps the grid.
  const strided = stack([tfl.layers.conv2d({ inputShape: [20, 30, 3], filters: 2, kernelSize: [5, 3], strides: [2, 3] }), tfl.layers.batchNormalization({})]);
  assert.deepEqual(layerGeometry(strided.layers, [20, 30]), [{ start: 2, jump: 2 }, { start: 1, jump: 3 }]);
  // A layer that changes the grid some other way: no geometry (a plain resize is used).
  const padded = stack([tfl.layers.zeroPadding2d({ inputShape: [8, 8, 1], padding: 1 }), tfl.layers.conv2d({ filters: 1, kernelSize: 3 })]);
  assert.equal(layerGeometry(padded.layers, [8, 8]), undefined);
  for (const s of [digits, same, strided, padded]) s.m.dispose();
});

test('Grad-CAM after "valid" convolutions lands where the evidence is, not stretched to the edges', () => {
  // One 5×5 box filter (valid: 16 → 12) over a single lit pixel at (5, 5): cells 1 … 5 see it, centred on pixels 3 … 7.
  const model = tfl.sequential({
    layers: [
      tfl.layers.conv2d({ inputShape: [16, 16, 1], filters: 1, kernelSize: 5, useBias: false, kernelInitializer: 'ones' }),
      tfl.layers.globalAveragePooling2d({}),
      tfl.layers.dense({ units: 2, activation: 'softmax', useBias: false }),
    ],
  });
  try {
    model.layers[2].setWeights([tf.tensor2d([[-1, 1]])]);
    const info: ImageModelInfo = { format: 'modellab-image', version: 1, size: [16, 16], channels: 1, scaling: 'unit', labels: ['off', 'on'] };
    const input = new Float32Array(16 * 16);
    input[5 * 16 + 5] = 1;
    const before = tf.memory().numTensors;
    const r = saliencyMaps(model, info, input, 'gradcam');
    assert.equal(tf.memory().numTensors, before, 'tensors left behind');
    assert.equal(r.cls, 1);
    // Cells 1 … 5 are equal (a box filter), so the map is 1 over pixels 3 … 7 and 0 from pixel 9 on.
    for (const p of [3, 5, 7]) assert.equal(r.saliency[p][p], 1, `pixel (${p}, ${p})`);
    assert.equal(r.saliency[9][9], 0);
    assert.equal(r.saliency[5][12], 0);
    assert.equal(r.saliency[1][5], 0, 'cell 0 (centred on pixel 2) does not see the pixel');
  } finally {
    model.dispose();
  }
});

test('a single sigmoid unit (two classes): probabilities [1 − p, p], and either class explained by its own side of the logit', () => {
  for (const [w, cls] of [[1, 1], [-1, 0]] as const) {
    const model = tfl.sequential({
      layers: [
        tfl.layers.conv2d({ inputShape: [16, 16, 1], filters: 1, kernelSize: 5, useBias: false, kernelInitializer: 'ones' }),
        tfl.layers.globalAveragePooling2d({}),
        tfl.layers.dense({ units: 1, activation: 'sigmoid', useBias: false }),
      ],
    });
    try {
      model.layers[2].setWeights([tf.tensor2d([[w]])]);
      const info: ImageModelInfo = { format: 'modellab-image', version: 1, size: [16, 16], channels: 1, scaling: 'unit', labels: ['off', 'on'] };
      const input = new Float32Array(16 * 16);
      input[5 * 16 + 5] = 1;
      for (const method of ['gradcam', 'gradient'] as const) {
        const r = saliencyMaps(model, info, input, method);
        assert.equal(r.cls, cls);
        assert.equal(r.probabilities.length, 2);
        assert.ok(Math.abs(r.probabilities[0] + r.probabilities[1] - 1) < 1e-6);
        // The class's own score rises with the lit pixel either way: the map finds it.
        assert.equal(r.saliency[5][5], 1, `${method} with weight ${w}`);
      }
    } finally {
      model.dispose();
    }
  }
});

test('the gradient is taken with respect to the pixels: a standardized channel with a larger std weighs less', () => {
  // A 1×5 RGB image; class "b" scores channel 0 of pixel 0 plus channel 1 of pixel 4 (scaled values).
  const model = tfl.sequential({ layers: [tfl.layers.flatten({ inputShape: [1, 5, 3] }), tfl.layers.dense({ units: 2, activation: 'softmax', useBias: false })] });
  try {
    const kernel = new Float32Array(15 * 2);
    kernel[(0 * 3 + 0) * 2 + 1] = 1;
    kernel[(4 * 3 + 1) * 2 + 1] = 1;
    model.layers[1].setWeights([tf.tensor2d(kernel, [15, 2])]);
    const info: ImageModelInfo = { format: 'modellab-image', version: 1, size: [1, 5], channels: 3, scaling: 'standardize', mean: [0, 0, 0], std: [1, 4, 1], labels: ['a', 'b'] };
    const input = new Float32Array(15).fill(1);
    const r = saliencyMaps(model, info, input, 'gradient');
    assert.equal(r.cls, 1);
    // ∂score/∂pixel is 1 at pixel 0 and 1/4 at pixel 4; after the 3×3 smoothing (0.5 and 0.125) and scaling to 1: 1 and 0.25.
    assert.equal(r.saliency[0][0], 1);
    assert.equal(r.saliency[0][4], 0.25);
  } finally {
    model.dispose();
  }
});

test('the CLI\'s text: a map block-averaged to at most 32 cells across, the top classes, the method', () => {
  const big = Array.from({ length: 64 }, (_, y) => Array.from({ length: 48 }, (_, x) => (y < 2 && x < 2 ? 1 : 0)));
  const lines = shadedMap(big);
  assert.equal(lines.length, 32 + 2, '64 rows in blocks of 2, framed');
  assert.equal(lines[1], `│${'█'.repeat(2)}${' '.repeat(46)}│`, 'the lit 2×2 block is one full cell');
  assert.ok(lines.every((l) => [...l].length === 24 * 2 + 2));
  const small = shadedMap([[0, 0.5], [1, 0.2]]);
  assert.deepEqual(small, ['┌────┐', '│  ▒▒│', '│██░░│', '└────┘']);
  assert.equal(saliencyMethodOption(undefined), 'gradcam');
  assert.equal(saliencyMethodOption('gradient'), 'gradient');
  assert.throws(() => saliencyMethodOption('occlusion'), /--method must be gradcam or gradient, not "occlusion"/);
  const text = formatSaliency(
    {
      file: 'x.png',
      size: [2, 2],
      method: 'gradient',
      explains: 'cat',
      prediction: { label: 'cat', probabilities: ['ant', 'bee', 'cat', 'dog', 'eel', 'fox'].map((label, i) => ({ label, probability: label === 'cat' ? 0.75 : 0.05 + i * 0.001 })) },
      saliency: [[0, 1], [1, 0]],
    },
    12,
  );
  assert.match(text, /^x\.png\nprediction: cat \(2×2 input; 12 ms\)\n  cat  75\.0%  ███████████████\n/);
  assert.match(text, /… 1 more class\n/);
  assert.match(text, /where the model looked for "cat" \(gradient of the class score/);
});
