// The editor's diagnostics for an image classifier's data: folders of class
// folders and listings, each problem at the exact range of the key.
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { validateConfigText } from '../../src/node/configValidation';
import type { ConfigDiagnostic } from '../../src/node/configValidation';
import { tempDir, writeFiles } from '../helpers/fixtures';
import { grayPngBytes } from '../helpers/imageBytes';
import { writeFileSync } from 'node:fs';

function imageConfig(data: Record<string, unknown>, classes = 2): string {
  return JSON.stringify(
    {
      name: 'shapes',
      task: 'classification',
      data: { image: { size: [8, 8], channels: 1 }, ...data },
      model: {
        layers: [
          { type: 'conv2d', filters: 4, kernelSize: 3, activation: 'relu' },
          { type: 'flatten' },
          { type: 'dense', units: classes, activation: 'softmax' },
        ],
      },
      training: { optimizer: { type: 'adam', learningRate: 0.01 }, loss: 'sparseCategoricalCrossentropy', metrics: ['accuracy'], epochs: 1, batchSize: 4, seed: 1 },
    },
    null,
    2,
  );
}

/** The text a diagnostic underlines. */
function underlined(text: string, d: ConfigDiagnostic): string {
  return text.slice(d.offset, d.offset + d.length);
}

/** A workspace with image folders; `tree` maps paths to PNG gray values, or to null for an empty folder. */
function workspace(tree: Record<string, number | string | null>): string {
  const dir = tempDir();
  for (const [rel, v] of Object.entries(tree)) {
    if (v === null) mkdirSync(join(dir, rel), { recursive: true });
    else if (typeof v === 'string') writeFiles(dir, { [rel]: v });
    else {
      mkdirSync(join(dir, rel, '..'), { recursive: true });
      writeFileSync(join(dir, rel), grayPngBytes(2, 2, [v, v, v, v]));
    }
  }
  return dir;
}

function check(dir: string, text: string): ConfigDiagnostic[] {
  const path = join(dir, 'shapes.experiment.json');
  writeFiles(dir, { 'shapes.experiment.json': text });
  return validateConfigText(text, path).diagnostics;
}

const summary = (text: string, ds: ConfigDiagnostic[]): string[] => ds.map((d) => `${d.severity} ${d.path} ${underlined(text, d)}: ${d.message}`);

test('a folder of two class folders validates with no problems', () => {
  const dir = workspace({ 'images/circle/a.png': 1, 'images/square/b.png': 2 });
  const text = imageConfig({ source: 'images' });
  assert.deepEqual(summary(text, check(dir, text)), []);
});

test('a missing image folder is an error on the source value', () => {
  const dir = workspace({});
  const text = imageConfig({ source: 'pictures' });
  assert.deepEqual(summary(text, check(dir, text)), [`error data.source "pictures": image folder not found: pictures (looked for ${join(dir, 'pictures')})`]);
});

test('an empty class folder is named, on the key that names the folder', () => {
  const dir = workspace({ 'images/circle/a.png': 1, 'images/square': null, 'images/star/readme.txt': 'no images' });
  const text = imageConfig({ source: 'images' }, 3);
  assert.deepEqual(summary(text, check(dir, text)), ['error data.source "images": the class folders "square", "star" in images hold no images (PNG or JPEG files)']);
  const dir2 = workspace({ 'train/circle/a.png': 1, 'train/square/b.png': 2, 'val/circle': null, 'val/square/c.png': 3 });
  const text2 = imageConfig({ train: 'train', validation: 'val' });
  assert.deepEqual(summary(text2, check(dir2, text2)), ['error data.validation "val": the class folder "circle" in val holds no images (PNG or JPEG files)']);
});

test('one class folder, or none, is an error on the source', () => {
  const dir = workspace({ 'images/circle/a.png': 1, 'flat/a.png': 1, 'flat/b.png': 2 });
  const one = imageConfig({ source: 'images' });
  assert.deepEqual(summary(one, check(dir, one)), ['error data.source "images": only one class folder in images ("circle"): a classifier needs at least two, one sub-folder per class']);
  const none = imageConfig({ source: 'flat' });
  assert.deepEqual(summary(none, check(dir, none)), ['error data.source "flat": no class folders in flat: it needs one sub-folder per class holding that class\'s images (the 2 images directly in it belong to no class)']);
});

test('a validation folder may hold one class, but not a class the training folder lacks', () => {
  const dir = workspace({ 'train/circle/a.png': 1, 'train/square/b.png': 2, 'val/circle/c.png': 3, 'test/star/d.png': 4 });
  const ok = imageConfig({ train: 'train', validation: 'val' });
  assert.deepEqual(summary(ok, check(dir, ok)), []);
  const bad = imageConfig({ train: 'train', validation: 'val', test: 'test' });
  assert.deepEqual(summary(bad, check(dir, bad)), ['error data.test "test": class folder "star" in test is not among the training classes ("circle", "square"): the model has no output for it']);
});

test('the folder\'s class count reaches the output layer check', () => {
  const dir = workspace({ 'images/a/1.png': 1, 'images/b/2.png': 2, 'images/c/3.png': 3 });
  const text = imageConfig({ source: 'images' }, 2);
  const ds = check(dir, text);
  assert.equal(ds.length, 1, summary(text, ds).join('\n'));
  assert.equal(ds[0].severity, 'error');
  assert.match(ds[0].message, /3/);
  assert.ok(!ds[0].path.startsWith('data'), ds[0].path);
});

test('a listing: its path column and target are checked; a single image is not a data source', () => {
  const dir = workspace({ 'a.png': 1, 'list.csv': 'file,label\na.png,x\n' });
  const noPath = imageConfig({ source: 'list.csv', target: 'label' });
  assert.deepEqual(summary(noPath, check(dir, noPath)), ['error data.source "list.csv": the listing list.csv has no column "path" with the images\' paths: name the column in "image": { "column": … } (the listing has: file, label)']);
  const withColumn = JSON.parse(imageConfig({ source: 'list.csv', target: 'lable' }));
  withColumn.data.image.column = 'flie';
  const text = JSON.stringify(withColumn, null, 2);
  assert.deepEqual(summary(text, check(dir, text)), [
    'error data.image.column "flie": unknown column "flie" — did you mean "file"? (the data has: file, label)',
    'error data.target "lable": unknown column "lable" — did you mean "label"? (the data has: file, label)',
  ]);
  const noTarget = JSON.parse(imageConfig({ source: 'list.csv' }));
  noTarget.data.image.column = 'file';
  const t2 = JSON.stringify(noTarget, null, 2);
  const d2 = check(dir, t2).filter((d) => d.path.startsWith('data'));
  assert.deepEqual(d2.map((d) => `${d.path}: ${d.message}`), ['data: missing "target": the listing\'s column with each image\'s label']);
  const oneImage = imageConfig({ source: 'a.png' });
  assert.deepEqual(summary(oneImage, check(dir, oneImage)), ['error data.source "a.png": a.png is one image; image data is a folder with one sub-folder per class (its name is the label), or a CSV/JSONL listing of image paths and labels']);
});

test('source and train together, and a path outside the workspace', () => {
  const dir = workspace({ 'images/a/1.png': 1, 'images/b/2.png': 2 });
  const both = imageConfig({ source: 'images', train: 'images' });
  const ds = summary(both, check(dir, both));
  assert.ok(ds.includes('error data.train "images": give either "source" (one folder or listing, split by "split") or "train" (with optional "validation" and "test"), not both'), ds.join('\n'));
  const outside = imageConfig({ source: '../elsewhere' });
  const path = join(dir, 'shapes.experiment.json');
  writeFiles(dir, { 'shapes.experiment.json': outside });
  const d = validateConfigText(outside, path, { workspaceRoot: dir }).diagnostics;
  assert.equal(d.length, 1);
  assert.equal(d[0].path, 'data.source');
  assert.equal(underlined(outside, d[0]), '"../elsewhere"');
  assert.match(d[0].message, /outside/);
});
