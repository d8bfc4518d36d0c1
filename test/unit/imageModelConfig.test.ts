// The config rules of an image classifier's model (core/configRules/imageModel.ts)
// and the schema of data.image and the convolutional layers: each problem at
// its exact place in the text. The files are looked at through a fake probe
// (a folder of ten digit classes, or a listing), so nothing here reads the disk.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { checkConfigText } from '../../src/core/configCheck';
import type { ConfigDiagnostic } from '../../src/core/configCheck';
import type { DataProbe } from '../../src/core/configRules';
import { checkImageModel } from '../../src/core/configRules/imageModel';
import { validateSchema } from '../../src/core/schemaValidator';
import type { ExperimentConfig, LayerConfig } from '../../src/core/types';
import { DIGITS_CNN } from '../helpers/fixtures';

const DIGITS = ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9'];

/** Folders of ten digit classes; `.csv` files are listings with a path and a label column. */
function probe(classes: string[] = DIGITS): DataProbe {
  return {
    refusal: () => undefined,
    where: (path) => `/ws/${path}`,
    kind: (path) => (path.endsWith('.csv') ? 'file' : 'other'),
    columns: () => ['path', 'label'],
    imageFolder: () => ({ classes, empty: [], loose: 0 }),
  };
}

function imageConfig(overrides: Partial<ExperimentConfig> = {}): ExperimentConfig {
  return {
    name: 'digits',
    task: 'classification',
    data: { source: 'images', image: { size: [28, 28], channels: 1 } },
    model: { layers: DIGITS_CNN },
    training: { loss: 'sparseCategoricalCrossentropy', epochs: 2 },
    ...overrides,
  };
}

/** One layer per line, so each diagnostic's place is easy to tell. */
function configText(config: ExperimentConfig): string {
  return JSON.stringify(config, null, 2);
}

function check(config: ExperimentConfig, classes?: string[]): { text: string; diagnostics: ConfigDiagnostic[] } {
  const text = configText(config);
  return { text, diagnostics: checkConfigText(text, probe(classes)).diagnostics };
}

/** [path, underlined text, message] of each diagnostic. */
function placed(text: string, ds: ConfigDiagnostic[]): [string, string, string][] {
  return ds.map((d) => [d.path, text.slice(d.offset, d.offset + d.length), d.message]);
}

test('the digits CNN on a folder of ten classes has no problems', () => {
  const { diagnostics } = check(imageConfig());
  assert.deepEqual(diagnostics, []);
  // The default loss (one unit per class: sparse cross-entropy) is fine too, and so is global average pooling.
  const gap = [...DIGITS_CNN.slice(0, 4), { type: 'globalAveragePooling2d' }, { type: 'dense', units: 10, activation: 'softmax' }] as LayerConfig[];
  assert.deepEqual(check(imageConfig({ model: { layers: gap }, training: {} })).diagnostics, []);
});

test('a layer whose window leaves less than 1×1 is an error on its type, naming the layer and both shapes', () => {
  const layers: LayerConfig[] = [...DIGITS_CNN.slice(0, 4), { type: 'maxPooling2d', poolSize: 5 }, { type: 'maxPooling2d' }, ...DIGITS_CNN.slice(4)];
  const { text, diagnostics } = check(imageConfig({ model: { layers } }));
  assert.deepEqual(placed(text, diagnostics), [
    [
      'model.layers[5].type',
      '"maxPooling2d"',
      'model.layers[5] (maxPooling2d) would output 0×0×64 from 1×1×64 (pool 2×2, padding "valid"): the window is larger than what is left of the image. Use "padding": "same", a smaller window, or fewer layers before it',
    ],
  ]);
  // The underlined text is on the sixth layer's line.
  const d = diagnostics[0];
  assert.equal(text.split('\n')[d.line].trim(), '"type": "maxPooling2d"');
  assert.equal(text.split('\n')[d.line - 3].trim(), '"poolSize": 5');
});

test('a kernel larger than a small image is an error on that conv2d', () => {
  const { text, diagnostics } = check(imageConfig({ data: { source: 'images', image: { size: [4, 4], channels: 1 } } }));
  assert.deepEqual(placed(text, diagnostics).map(([p, u, m]) => [p, u, m.split(':')[0]]), [
    ['model.layers[2].type', '"conv2d"', 'model.layers[2] (conv2d) would output 0×0×64 from 1×1×32 (kernel 3×3, padding "valid")'],
  ]);
});

test('a dense layer on a feature map is an error naming the fix; so is a stack that ends in one', () => {
  const dense = check(imageConfig({ model: { layers: [DIGITS_CNN[0], DIGITS_CNN[1], { type: 'dense', units: 10, activation: 'softmax' }] } }));
  assert.deepEqual(placed(dense.text, dense.diagnostics), [
    ['model.layers[2].type', '"dense"', 'model.layers[2] (dense) gets a 13×13×32 feature map; add { "type": "flatten" } (or { "type": "globalAveragePooling2d" }) before it'],
  ]);
  const ends = check(imageConfig({ model: { layers: [{ type: 'dense', units: 10, activation: 'softmax' }, ...DIGITS_CNN.slice(0, 2)] } }));
  const ms = placed(ends.text, ends.diagnostics);
  assert.deepEqual(ms[0], ['model.layers[0].type', '"dense"', 'model.layers[0] (dense) gets a 28×28×1 feature map; add { "type": "flatten" } (or { "type": "globalAveragePooling2d" }) before it']);
  const noDense = check(imageConfig({ model: { layers: [DIGITS_CNN[0], DIGITS_CNN[1]] } }));
  assert.deepEqual(placed(noDense.text, noDense.diagnostics), [
    ['model.layers[1].type', '"maxPooling2d"', 'model.layers[1] (maxPooling2d) outputs a 13×13×32 feature map, but a classifier ends in one value per class: add { "type": "flatten" } (or { "type": "globalAveragePooling2d" }) and a dense layer with one unit per class'],
    ['model.layers', '[', 'the model needs at least one dense layer'],
  ]);
});

test('convolution after flatten is an error on the conv2d', () => {
  const { text, diagnostics } = check(imageConfig({ model: { layers: [{ type: 'flatten' }, DIGITS_CNN[0], ...DIGITS_CNN.slice(5)] } }));
  assert.deepEqual(placed(text, diagnostics).map(([p, u]) => [p, u]), [['model.layers[1].type', '"conv2d"']]);
  assert.match(diagnostics[0].message, /^model\.layers\[1\] \(conv2d\) works on images \(height × width × channels\) but gets a vector of 784 values; convolution and pooling layers go before flatten/);
});

test('convolution, pooling and flatten without data.image are errors on each layer', () => {
  const config: ExperimentConfig = {
    name: 'tabular',
    task: 'classification',
    data: { source: 'rows.csv', features: ['path'], target: 'label' },
    model: { layers: [{ type: 'conv2d', filters: 4, kernelSize: 3 }, { type: 'maxPooling2d' }, { type: 'flatten' }, { type: 'globalAveragePooling2d' }, { type: 'dense', units: 3, activation: 'softmax' }] },
    training: {},
  };
  const { text, diagnostics } = check(config);
  assert.deepEqual(placed(text, diagnostics).map(([p, u]) => [p, u]), [
    ['model.layers[0].type', '"conv2d"'],
    ['model.layers[1].type', '"maxPooling2d"'],
    ['model.layers[2].type', '"flatten"'],
    ['model.layers[3].type', '"globalAveragePooling2d"'],
  ]);
  assert.match(diagnostics[0].message, /^model\.layers\[0\] \(conv2d\) works on images: add "data\.image" \(e\.g\. "image": \{ "size": \[28, 28\], "channels": 1 \}\)/);
  assert.equal(diagnostics[2].message, 'model.layers[2] (flatten) lays an image\'s feature map out as a vector, but the inputs here are a vector already: remove it');
});

test('image data needs task classification and a cross-entropy loss', () => {
  const regression = check(imageConfig({ task: 'regression', training: {} }));
  assert.deepEqual(placed(regression.text, regression.diagnostics), [
    ['task', '"regression"', 'image data is for "classification": the model learns a label per image; "regression" is not supported for images'],
  ]);
  const mse = check(imageConfig({ training: { loss: 'mse' } }));
  assert.deepEqual(placed(mse.text, mse.diagnostics).map(([p, u]) => [p, u]), [['training.loss', '"mse"']]);
  assert.match(mse.diagnostics[0].message, /loss "mse" does not fit task "classification"; use a cross-entropy/);
});

test('the output units are held to the number of classes the folder has', () => {
  const layers = [...DIGITS_CNN.slice(0, 6), { type: 'dense', units: 8, activation: 'softmax' }] as LayerConfig[];
  const eight = check(imageConfig({ model: { layers } }));
  assert.deepEqual(placed(eight.text, eight.diagnostics), [
    ['model.layers[6].units', '8', 'the last dense layer has 8 units but the images have 10 classes (0, 1, 2, 3, 4, 5, 6, 7, …): set "units": 10'],
  ]);
  // The same stack fits a folder of eight classes.
  assert.deepEqual(check(imageConfig({ model: { layers } }), ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h']).diagnostics, []);

  const sigmoid = [...DIGITS_CNN.slice(0, 6), { type: 'dense', units: 1, activation: 'sigmoid' }] as LayerConfig[];
  const binary = check(imageConfig({ model: { layers: sigmoid }, training: { loss: 'binaryCrossentropy' } }), ['cat', 'dog', 'fox']);
  assert.deepEqual(placed(binary.text, binary.diagnostics), [
    ['model.layers[6].units', '1', 'one sigmoid unit tells two classes apart, but the images have 3 (cat, dog, fox): set "units": 3 with "activation": "softmax" and a categorical cross-entropy'],
  ]);
  assert.deepEqual(check(imageConfig({ model: { layers: sigmoid }, training: { loss: 'binaryCrossentropy' } }), ['cat', 'dog']).diagnostics, []);
});

test('a listing gives no class count: the output layer is then not held to one', () => {
  const layers = [...DIGITS_CNN.slice(0, 6), { type: 'dense', units: 8, activation: 'softmax' }] as LayerConfig[];
  const { diagnostics } = check(imageConfig({ data: { source: 'list.csv', target: 'label', image: { size: [28, 28], channels: 1 } }, model: { layers } }));
  assert.deepEqual(diagnostics, []);
});

test('checkImageModel on its own: nothing without data.image; the class count only when classes are given', () => {
  const seen: string[] = [];
  const report = (path: (string | number)[], severity: string, message: string) => seen.push(`${path.join('.')} ${severity} ${message}`);
  checkImageModel({ ...imageConfig(), data: { source: 'x.csv', features: ['a'], target: 'y' } }, report, ['a']);
  assert.deepEqual(seen, []);
  checkImageModel(imageConfig(), report);
  assert.deepEqual(seen, []);
  checkImageModel(imageConfig(), report, ['a', 'b']);
  assert.deepEqual(seen, ['model.layers.6.units error the last dense layer has 10 units but the images have 2 classes (a, b): set "units": 2']);
});

test('unknown keys in image sections and new layers get a "did you mean"', () => {
  const text = configText(imageConfig())
    .replace('"channels": 1', '"chanels": 1')
    .replace('"poolSize": 2', '"poolsize": 2');
  const ds = checkConfigText(text, probe()).diagnostics;
  assert.deepEqual(placed(text, ds).map(([p, u, m]) => [p, u, m]), [
    ['data.image.chanels', '"chanels"', 'unknown property "chanels" — did you mean "channels"?'],
    ['model.layers[1].poolsize', '"poolsize"', 'unknown property "poolsize" — did you mean "poolSize"?'],
  ]);
  const augment = configText(imageConfig({ data: { source: 'images', image: { size: [28, 28], augment: { brightness: 0.1 } } } })).replace('"brightness"', '"brightnes"');
  const [a] = checkConfigText(augment, probe()).diagnostics;
  assert.equal(a.message, 'unknown property "brightnes" — did you mean "brightness"?');
  const conv = configText(imageConfig()).replace('"filters": 32', '"filter": 32');
  const convDs = checkConfigText(conv, probe()).diagnostics.map((d) => d.message);
  assert.ok(convDs.includes('unknown property "filter" — did you mean "filters"?'), convDs.join('\n'));
});

test('the schema accepts a full image config', () => {
  const full = {
    $schema: '../../schema/experiment.schema.json',
    name: 'photos',
    task: 'classification',
    data: {
      train: 'photos/train',
      validation: 'photos/validation',
      test: 'list.csv',
      target: 'label',
      split: { seed: 3 },
      image: { size: [96, 128], channels: 3, scaling: 'standardize', column: 'file', onError: 'skip', augment: { flip: true, shift: 0.1, rotate: 15, brightness: 0.2 } },
    },
    model: {
      layers: [
        { type: 'conv2d', name: 'c1', filters: 16, kernelSize: [3, 5], strides: [1, 2], padding: 'same', activation: 'relu', useBias: false, kernelInitializer: 'heNormal' },
        { type: 'batchNormalization', momentum: 0.9 },
        { type: 'maxPooling2d', name: 'p1', poolSize: [2, 2], strides: 2, padding: 'valid' },
        { type: 'dropout', rate: 0.1 },
        { type: 'conv2d', filters: 32, kernelSize: 3 },
        { type: 'averagePooling2d', poolSize: 3, strides: [1, 1], padding: 'same' },
        { type: 'globalAveragePooling2d', name: 'gap' },
        { type: 'flatten', name: 'f' },
        { type: 'dense', units: 5, activation: 'softmax' },
      ],
    },
    training: { loss: 'sparseCategoricalCrossentropy' },
  };
  assert.equal(validateSchema(full), true, JSON.stringify(validateSchema.errors));
  assert.equal(validateSchema({ ...full, data: { source: 'x', image: { size: [1, 1] } } }), true);
});

test('the schema rejects wrong types and values in image sections and layers, each where it is', () => {
  const cases: [string, (c: any) => void, string][] = [
    ['kernelSize as text', (c) => (c.model.layers[0].kernelSize = '3'), 'model.layers[0].kernelSize: must be a whole number'],
    ['kernelSize of one side', (c) => (c.model.layers[0].kernelSize = [3]), 'model.layers[0].kernelSize: must have at least 2 items'],
    ['kernelSize of three sides', (c) => (c.model.layers[0].kernelSize = [3, 3, 3]), 'model.layers[0].kernelSize: must NOT have more than 2 items'],
    ['kernelSize 0', (c) => (c.model.layers[0].kernelSize = 0), 'model.layers[0].kernelSize: must be >= 1'],
    ['kernelSize 2.5', (c) => (c.model.layers[0].kernelSize = [2.5, 3]), 'model.layers[0].kernelSize[0]: must be a whole number'],
    ['filters 0', (c) => (c.model.layers[0].filters = 0), 'model.layers[0].filters: must be >= 1'],
    ['no filters', (c) => delete c.model.layers[0].filters, 'model.layers[0]: missing required property "filters"'],
    ['no kernelSize', (c) => delete c.model.layers[0].kernelSize, 'model.layers[0]: missing required property "kernelSize"'],
    ['padding', (c) => (c.model.layers[0].padding = 'full'), 'model.layers[0].padding: must be one of "valid", "same"'],
    ['strides', (c) => (c.model.layers[1].strides = -1), 'model.layers[1].strides: must be >= 1'],
    ['poolSize', (c) => (c.model.layers[1].poolSize = 'big'), 'model.layers[1].poolSize: must be a whole number'],
    ['units on flatten', (c) => (c.model.layers[4].units = 3), 'unknown property "units"'],
    ['channels 2', (c) => (c.data.image.channels = 2), 'data.image.channels: must be one of 1, 3'],
    ['size of one side', (c) => (c.data.image.size = [28]), 'data.image.size: must have at least 2 items'],
    ['size as a number', (c) => (c.data.image.size = 28), 'data.image.size: must be an array'],
    ['no size', (c) => delete c.data.image.size, 'data.image: missing required property "size"'],
    ['scaling', (c) => (c.data.image.scaling = 'minMax'), 'data.image.scaling: must be one of "unit", "standardize"'],
    ['onError', (c) => (c.data.image.onError = 'ignore'), 'data.image.onError: must be one of "fail", "skip"'],
    ['column empty', (c) => (c.data.image.column = ''), 'data.image.column: must not be empty'],
    ['shift 2', (c) => (c.data.image.augment = { shift: 2 }), 'data.image.augment.shift: must be <= 0.5'],
    ['flip as text', (c) => (c.data.image.augment = { flip: 'yes' }), 'data.image.augment.flip: must be a boolean'],
    ['rotate negative', (c) => (c.data.image.augment = { rotate: -5 }), 'data.image.augment.rotate: must be >= 0'],
  ];
  for (const [name, mutate, message] of cases) {
    const config = structuredClone(imageConfig()) as any;
    mutate(config);
    const text = configText(config);
    const ds = checkConfigText(text, probe()).diagnostics;
    assert.ok(ds.length > 0 && ds.every((d) => d.severity === 'error'), name);
    assert.ok(ds.some((d) => d.message === message || d.message.startsWith(message)), `${name}: ${ds.map((d) => d.message).join(' | ')}`);
    assert.equal(validateSchema(config), false, name);
  }
});
