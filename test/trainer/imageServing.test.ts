// Image classifiers beyond training, on real tfjs (wasm): the predictor takes
// base64 PNG bytes ({"b64": …}) and nested pixel arrays and answers the label
// with every class's probability; a corrupt image or a wrong shape is refused
// naming the instance, and the TF Serving-compatible server answers 400 for it
// and keeps serving; an export carries image.json and a model card that states
// the preprocessing, and serves; `modellab saliency --json` prints the
// prediction and a map of the input's size ("latest" is the image run that ended last).
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import { exportRun } from '../../src/node/modelExport';
import type { ModelCard } from '../../src/node/modelExport';
import type { InferenceToHostMessage } from '../../src/core/protocol/inference';
import type { ImageModelInfo, RunMeta } from '../../src/core/types';
import { InferenceServer } from '../../src/trainer/inferenceServer';
import { selectBackend } from '../../src/trainer/backend';
import { Predictor, PredictionInputError } from '../../src/trainer/predictor';
import { signatureMetadata, startServing } from '../../src/trainer/servingServer';
import type { RunningServer } from '../../src/trainer/servingServer';
import * as tfl from '@tensorflow/tfjs-layers';
import { PNG } from 'pngjs';
import { saveImageModel } from '../../src/trainer/modelIo';
import { cornerImage, grayPng, SIDE, trainCornerModel } from '../helpers/cornerImages';
import { lcg, tempDir } from '../helpers/fixtures';

const repo = join(__dirname, '../..');
const root = tempDir('modellab-image-serving-');
const runsDir = join(root, 'runs');
const runDir = join(runsDir, '20261206-040000-corners');
const olderRunDir = join(runsDir, '20261206-050000-corners-older');
let info: ImageModelInfo;
let predictor: Predictor;
let server: RunningServer;

const rand = lcg(5);
const lit = cornerImage('lit', rand);
const dark = cornerImage('dark', rand);
const b64 = (px: Uint8Array) => grayPng(px).toString('base64');
/** [h][w] and [h][w][1] nested arrays of gray pixels. */
const rows2d = (px: Uint8Array) => Array.from({ length: SIDE }, (_, y) => Array.from(px.subarray(y * SIDE, (y + 1) * SIDE)));
const rows3d = (px: Uint8Array) => rows2d(px).map((row) => row.map((v) => [v]));

function writeRun(dir: string, endedAt: string): void {
  const meta: RunMeta = {
    format: 1,
    id: dir.split(/[\\/]/).pop()!,
    name: 'corners',
    task: 'classification',
    configPath: join(root, 'corners.experiment.json'),
    status: 'completed',
    createdAt: '2026-12-06T04:00:00.000Z',
    endedAt,
    backend: 'wasm',
    versions: { modelLab: '0.1.0', tfjs: '4.22.0', node: process.version },
    seed: 1,
    epochsPlanned: 8,
    epochsDone: 8,
    dataSizes: { train: 160, validation: 0, test: 0 },
  };
  writeFileSync(join(dir, 'meta.json'), JSON.stringify(meta));
  writeFileSync(join(dir, 'config.json'), JSON.stringify({ name: 'corners', task: 'classification', data: { source: 'images', image: { size: [SIDE, SIDE], channels: 1, scaling: 'standardize' } } }));
}

before(async () => {
  await selectBackend('wasm');
  mkdirSync(runDir, { recursive: true });
  mkdirSync(olderRunDir, { recursive: true });
  ({ info } = await trainCornerModel(join(runDir, 'model'), { scaling: 'standardize' }));
  writeRun(runDir, '2026-12-06T04:10:00.000Z');
  // Its id sorts after the other's, but it ended earlier: "latest" goes by the end time.
  await trainCornerModel(join(olderRunDir, 'model'), { conv: false, epochs: 1 });
  writeRun(olderRunDir, '2026-12-06T04:05:00.000Z');
  predictor = await Predictor.load(runDir);
  server = await startServing({ predictor, name: 'corners', port: 0 });
});

after(async () => {
  await server?.close();
  predictor?.dispose();
});

test('the signature says the input is an image, with its size, channels and scaling', () => {
  const s = predictor.signature;
  assert.equal(s.kind, 'image');
  assert.equal(s.task, 'classification');
  assert.deepEqual(s.inputs, [{ name: 'image', dtype: 'string' }]);
  assert.deepEqual(s.labels, ['dark', 'lit']);
  assert.deepEqual(s.image, { size: [SIDE, SIDE], channels: 1, scaling: 'standardize', formats: ['png', 'jpeg'] });
  const meta = signatureMetadata(predictor, 'corners') as { metadata: { modellab: { image: unknown } } };
  assert.deepEqual(meta.metadata.modellab.image, s.image);
});

test('b64 PNG bytes and pixel arrays ([h][w] and [h][w][1]) give the same prediction, label and probabilities', async () => {
  const before = tf.memory().numTensors;
  const out = await predictor.predict([{ b64: b64(lit) }, rows2d(lit), rows3d(lit), { image: { b64: b64(dark) } }, rows2d(dark)]);
  assert.equal(tf.memory().numTensors, before, 'tensors left behind');
  for (const p of out) assert.ok('label' in p);
  const labelled = out as { label: string; probabilities: Record<string, number> }[];
  assert.deepEqual(labelled.map((p) => p.label), ['lit', 'lit', 'lit', 'dark', 'dark']);
  for (const p of labelled) {
    assert.deepEqual(Object.keys(p.probabilities), ['dark', 'lit']);
    assert.ok(Math.abs(p.probabilities.dark + p.probabilities.lit - 1) < 1e-4);
  }
  for (const k of ['dark', 'lit']) {
    assert.ok(Math.abs(labelled[0].probabilities[k] - labelled[1].probabilities[k]) < 1e-4, 'PNG and pixels agree');
    assert.ok(Math.abs(labelled[1].probabilities[k] - labelled[2].probabilities[k]) < 1e-6);
  }
});

test('a PNG of another size is resized as training resized images', async () => {
  const big = new Uint8Array(SIDE * 2 * SIDE * 2);
  for (let y = 0; y < SIDE * 2; y++) for (let x = 0; x < SIDE * 2; x++) big[y * SIDE * 2 + x] = lit[(y >> 1) * SIDE + (x >> 1)];
  const [p] = (await predictor.predict([{ b64: grayPng(big, SIDE * 2).toString('base64') }])) as { label: string }[];
  assert.equal(p.label, 'lit');
});

test('a corrupt image or a wrong shape is refused naming the instance', async () => {
  const corrupt = Buffer.from('this is not an image at all').toString('base64');
  const truncated = grayPng(lit).subarray(0, 30).toString('base64');
  const cases: [unknown[], RegExp][] = [
    [[rows2d(lit), { b64: corrupt }], /^instances\[1\]\.b64: not a PNG or JPEG image/],
    [[{ b64: truncated }], /^instances\[0\]\.b64: .*PNG/],
    [[{ b64: '!!!' }], /^instances\[0\]\.b64 is not base64 text/],
    [[rows2d(lit), rows2d(lit), rows2d(lit).slice(1)], /^instances\[2\] has shape \[15\]…, but this model takes pixel values 0\.\.255 nested \[16\]\[16\]\[1\] \(or \[16\]\[16\]\)/],
    [[rows3d(lit).map((r) => r.map((v) => [v[0], v[0], v[0]]))], /^instances\[0\] has shape \[16\]\[16\]\[3\]/],
    [[rows2d(lit).map((r, y) => (y === 3 ? r.map(() => 300) : r))], /^instances\[0\]\[3\]\[0\] must be a pixel value from 0 to 255, not the number 300/],
    [['aGVsbG8='], /^instances\[0\] must be an image: \{"b64"/],
    [[{ b64: b64(lit), extra: 1 }], /^instances\[0\] must be \{"b64"/],
  ];
  for (const [instances, message] of cases) {
    await assert.rejects(predictor.predict(instances), (e: Error) => e instanceof PredictionInputError && message.test(e.message), String(message));
  }
});

test('an RGB model: a color PNG and its [h][w][3] pixels predict the same; one-channel pixels are refused', async () => {
  const dir = join(root, 'rgb');
  const model = tfl.sequential({
    layers: [
      tfl.layers.conv2d({ inputShape: [4, 6, 3], filters: 2, kernelSize: 3, padding: 'same', kernelInitializer: tfl.initializers.glorotUniform({ seed: 4 }) }),
      tfl.layers.flatten(),
      tfl.layers.dense({ units: 3, activation: 'softmax', kernelInitializer: tfl.initializers.glorotUniform({ seed: 5 }) }),
    ],
  });
  await saveImageModel(model, dir, { format: 'modellab-image', version: 1, size: [4, 6], channels: 3, scaling: 'standardize', mean: [100, 120, 140], std: [50, 60, 70], labels: ['a', 'b', 'c'] });
  model.dispose();
  const rgb = lcg(8);
  const pixels = Array.from({ length: 4 }, () => Array.from({ length: 6 }, () => [0, 1, 2].map(() => Math.floor(rgb() * 256))));
  const png = new PNG({ width: 6, height: 4 });
  pixels.forEach((row, y) => row.forEach((px, x) => png.data.set([...px, 255], (y * 6 + x) * 4)));
  const p = await Predictor.load(dir);
  try {
    assert.deepEqual(p.signature.image, { size: [4, 6], channels: 3, scaling: 'standardize', formats: ['png', 'jpeg'] });
    const [fromPng, fromPixels] = (await p.predict([{ b64: PNG.sync.write(png).toString('base64') }, pixels])) as { label: string; probabilities: Record<string, number> }[];
    assert.deepEqual(fromPng, fromPixels);
    assert.deepEqual(Object.keys(fromPng.probabilities), ['a', 'b', 'c']);
    await assert.rejects(p.predict([pixels.map((row) => row.map((px) => px[0]))]), (e: Error) => e instanceof PredictionInputError && /^instances\[0\]\[0\]\[0\] must be a list of 3 channel value\(s\), not the number/.test(e.message));
  } finally {
    p.dispose();
  }
});

async function post(body: unknown): Promise<{ status: number; json: any }> {
  const res = await fetch(`${server.url}:predict`, { method: 'POST', body: JSON.stringify(body), headers: { 'content-type': 'application/json' } });
  return { status: res.status, json: await res.json() };
}

test('the server answers images, 400 naming the instance for a corrupt one or a wrong shape, and keeps serving', async () => {
  const good = await post({ instances: [{ b64: b64(lit) }, rows3d(dark)] });
  assert.equal(good.status, 200);
  assert.deepEqual(good.json.predictions.map((p: { label: string }) => p.label), ['lit', 'dark']);
  assert.deepEqual(Object.keys(good.json.predictions[0].probabilities), ['dark', 'lit']);

  const corrupt = await post({ instances: [{ b64: b64(lit) }, { b64: Buffer.from('GIF89a not really').toString('base64') }] });
  assert.equal(corrupt.status, 400);
  assert.match(corrupt.json.error, /^instances\[1\]\.b64: a GIF image/);
  assert.doesNotMatch(corrupt.json.error, /onError/, 'no advice on a config setting');

  const shape = await post({ instances: [[[1, 2, 3]]] });
  assert.equal(shape.status, 400);
  assert.match(shape.json.error, /^instances\[0\] has shape \[1\]…/);

  // Concurrent good and bad requests: each gets its own answer.
  const [a, b, c] = await Promise.all([post({ instances: [rows2d(lit)] }), post({ instances: [{ b64: 'AAAA' }] }), post({ instances: [{ b64: b64(dark) }] })]);
  assert.equal(a.status, 200);
  assert.equal(a.json.predictions[0].label, 'lit');
  assert.equal(b.status, 400);
  assert.match(b.json.error, /^instances\[0\]\.b64/);
  assert.equal(c.status, 200);
  assert.equal(c.json.predictions[0].label, 'dark');

  const again = await post({ instances: [{ b64: b64(lit) }] });
  assert.equal(again.status, 200);
  assert.equal(again.json.predictions[0].label, 'lit');
});

test('an export has image.json and labels.json, its card states the preprocessing, and it serves', async () => {
  const out = join(root, 'export');
  const { card } = exportRun(runDir, out);
  assert.ok(existsSync(join(out, 'image.json')));
  assert.deepEqual(JSON.parse(readFileSync(join(out, 'image.json'), 'utf8')), info);
  assert.deepEqual(JSON.parse(readFileSync(join(out, 'labels.json'), 'utf8')), ['dark', 'lit']);
  assert.ok(card.files.includes('image.json'));
  const json = JSON.parse(readFileSync(join(out, 'model-card.json'), 'utf8')) as ModelCard;
  assert.deepEqual(json.image, { size: [SIDE, SIDE], channels: 1, scaling: 'standardize', mean: info.mean, std: info.std, file: 'image.json' });
  assert.deepEqual(json.inputs, [{ name: 'image', dtype: 'string' }]);
  assert.deepEqual(json.labels, ['dark', 'lit']);
  const md = readFileSync(join(out, 'model-card.md'), 'utf8');
  assert.match(md, /## Image preprocessing/);
  assert.match(md, /Size: resized to 16×16/);
  assert.match(md, /Channels: 1 channel \(grayscale/);
  assert.match(md, new RegExp(`standardize: .*mean ${info.mean![0].toPrecision(4)} and std ${info.std![0].toPrecision(4)}`));
  assert.match(md, /Labels: dark, lit/);
  assert.match(md, /\{"b64": "<base64 of a PNG or JPEG file>"\}/);

  const exported = await Predictor.load(out);
  try {
    assert.equal(exported.signature.kind, 'image');
    const [p] = (await exported.predict([{ b64: b64(lit) }])) as { label: string; probabilities: Record<string, number> }[];
    const [q] = (await predictor.predict([{ b64: b64(lit) }])) as { label: string; probabilities: Record<string, number> }[];
    assert.deepEqual(p, q, 'the export predicts what the run predicts');
  } finally {
    exported.dispose();
  }
});

test('the inference child: the playground\'s {b64} predicts (or names the bad instance), and a saliency request answers a map', async () => {
  const replies: InferenceToHostMessage[] = [];
  const child = new InferenceServer((m) => replies.push(m));
  const wait = async (n: number) => {
    for (let i = 0; i < 400 && replies.length < n; i++) await new Promise((r) => setTimeout(r, 25));
  };
  try {
    const png = join(root, 'child-lit.png');
    writeFileSync(png, grayPng(lit));
    child.handle({ type: 'predict', requestId: 1, modelDir: runDir, instances: [], backend: 'wasm' });
    child.handle({ type: 'predict', requestId: 2, modelDir: runDir, instances: [{ b64: b64(lit) }] });
    child.handle({ type: 'predict', requestId: 3, modelDir: runDir, instances: [{ b64: Buffer.from('plain text').toString('base64') }] });
    child.handle({ type: 'saliency', requestId: 4, modelDir: runDir, imagePath: png, method: 'gradcam' });
    child.handle({ type: 'saliency', requestId: 5, modelDir: runDir, imagePath: join(root, 'nope.png') });
    await wait(5);
    const [describe, predicted, bad, saliency, missing] = replies;
    assert.ok(describe.type === 'predictResult' && describe.signature.kind === 'image' && describe.signature.image?.channels === 1, JSON.stringify(describe));
    assert.ok(predicted.type === 'predictResult' && 'label' in predicted.predictions[0] && predicted.predictions[0].label === 'lit', JSON.stringify(predicted));
    assert.ok(bad.type === 'inferenceError' && /^instances\[0\]\.b64: not a PNG or JPEG image/.test(bad.message), JSON.stringify(bad));
    assert.ok(saliency.type === 'saliencyResult' && saliency.result.explains === 'lit' && saliency.result.saliency.length === SIDE, JSON.stringify(saliency).slice(0, 300));
    assert.ok(missing.type === 'inferenceError' && missing.message.includes('nope.png'), JSON.stringify(missing));
  } finally {
    child.dispose();
  }
});

function cli(args: string[]): string {
  return execFileSync(process.execPath, ['--import', 'tsx', join(repo, 'src/cli/main.ts'), ...args], { encoding: 'utf8', cwd: repo, stdio: ['ignore', 'pipe', 'pipe'] });
}

test('modellab saliency --json: the prediction, a map of the input size in 0..1, and the method; "latest" is the image run that ended last', () => {
  const png = join(root, 'lit.png');
  writeFileSync(png, grayPng(lit));
  // The older run's model has no convolution: Grad-CAM on it would fail.
  for (const [run, method] of [['latest', 'gradcam'], [runDir, 'gradient']] as const) {
    const out = JSON.parse(cli(['saliency', run, png, '--method', method, '--json', '--runs-dir', runsDir, '--backend', 'wasm']));
    assert.equal(out.method, method);
    assert.equal(out.prediction.label, 'lit');
    assert.deepEqual(out.prediction.probabilities.map((p: { label: string }) => p.label), ['dark', 'lit']);
    assert.equal(out.saliency.length, SIDE);
    for (const row of out.saliency) {
      assert.equal(row.length, SIDE);
      for (const v of row) assert.ok(v >= 0 && v <= 1);
    }
  }
  const text = cli(['saliency', '20261206-04', png, '--runs-dir', runsDir, '--backend', 'wasm']);
  assert.match(text, /prediction: lit \(16×16 input/);
  assert.match(text, /where the model looked for "lit" \(Grad-CAM/);
  assert.match(text, /┌─{32}┐/);
  assert.throws(() => cli(['saliency', 'latest', png, '--method', 'occlusion', '--runs-dir', runsDir]), /--method must be gradcam or gradient/);
  assert.throws(() => cli(['saliency', 'latest', join(root, 'missing.png'), '--runs-dir', runsDir, '--backend', 'wasm']), /missing\.png/);
});
