// Deployment and application: an export loads in plain Node and
// predicts exactly what the run's model predicts; the model card says what
// the run was; the TF Serving-compatible server answers each model type over
// real HTTP, rejects bad requests with a 4xx naming the problem (and stays
// up), and answers concurrent requests correctly. Wasm backend, tiny models.
import assert from 'node:assert/strict';
import { cpSync, existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import { exportRun } from '../../src/node/modelExport';
import type { InferenceToHostMessage } from '../../src/core/protocol/inference';
import { DeploymentProcess } from '../../src/node/deploymentProcess';
import type { ModelCard } from '../../src/node/modelExport';
import { encodeFeatures, inverseTarget } from '../../src/core/preprocess';
import type { FittedPreprocessor } from '../../src/core/preprocess';
import { selectBackend } from '../../src/trainer/backend';
import { runTraining } from '../../src/trainer/engine';
import { InferenceServer } from '../../src/trainer/inferenceServer';
import { loadModel } from '../../src/trainer/modelIo';
import { Predictor } from '../../src/trainer/predictor';
import { startServing } from '../../src/trainer/servingServer';
import type { RunningServer } from '../../src/trainer/servingServer';
import { blobsCsv, tempDir, writeFiles } from '../helpers/fixtures';

const examples = join(__dirname, '../../examples');
const root = tempDir('modellab-deploy-');
const runsDir = join(root, 'runs');

let houseRun = '';
let blobsRun = '';
let textRun = '';
let lmRun = '';
const servers: RunningServer[] = [];
const predictors: Predictor[] = [];

const houseRows: Record<string, number>[] = [];

async function train(configPath: string, epochs?: number): Promise<string> {
  const r = await runTraining({ configPath, runsDir, backend: 'wasm', epochs, onEvent: () => {} });
  assert.equal(r.meta.status, 'completed', r.meta.error);
  return r.runDir;
}

before(async () => {
  await selectBackend('wasm');
  // House prices, as shipped, for 2 epochs (in a copy: its deployment section writes beside the config).
  cpSync(join(examples, 'house-prices'), join(root, 'house-prices'), { recursive: true });
  houseRun = await train(join(root, 'house-prices/house-prices.experiment.json'), 2);
  const [header, ...lines] = readFileSync(join(examples, 'house-prices/data/houses.csv'), 'utf8').trim().split('\n');
  const cols = header.split(',');
  for (const l of lines.slice(0, 20)) houseRows.push(Object.fromEntries(l.split(',').map((v, i) => [cols[i], Number(v)])));

  // A tabular classifier with a categorical input.
  const blobs = blobsCsv(240).trim().split('\n');
  const shaped = [blobs[0] + ',zone', ...blobs.slice(1).map((l, i) => `${l},${['north', 'south'][i % 2]}`)].join('\n') + '\n';
  writeFiles(root, {
    'blobs/blobs.csv': shaped,
    'blobs/blobs.experiment.json': JSON.stringify({
      name: 'blobs',
      task: 'classification',
      data: { source: 'blobs.csv', features: ['a', 'b', 'zone'], target: 'colour', preprocess: [{ oneHot: ['zone'] }, { standardize: 'features' }], split: { validation: 0.2, test: 0.2, seed: 1 } },
      model: { layers: [{ type: 'dense', units: 16, activation: 'relu' }, { type: 'dense', units: 3, activation: 'softmax' }] },
      training: { optimizer: { type: 'adam', learningRate: 0.02 }, metrics: ['accuracy'], epochs: 8, batchSize: 16, seed: 2 },
    }),
  });
  blobsRun = await train(join(root, 'blobs/blobs.experiment.json'));

  // A tiny Transformer text classifier and a tiny character language model.
  const words = { pos: ['good', 'great', 'fine', 'lovely'], neg: ['bad', 'awful', 'poor', 'sad'] };
  const texts: string[] = [];
  for (let i = 0; i < 160; i++) {
    const label = i % 2 ? 'pos' : 'neg';
    texts.push(JSON.stringify({ text: `it was ${words[label][i % 4]} and ${words[label][(i >> 2) % 4]}`, label }));
  }
  const tinyModel = { layers: 1, heads: 2, dModel: 16, ffDim: 32, dropout: 0, maxLength: 16, positional: 'sinusoidal' };
  writeFiles(root, {
    'text/data.jsonl': texts.join('\n') + '\n',
    'text/text.experiment.json': JSON.stringify({
      name: 'tiny-sentiment',
      task: 'classification',
      data: { source: 'data.jsonl', text: 'text', target: 'label', tokenizer: { type: 'word', lowercase: true }, split: { validation: 0.2, test: 0.2, seed: 1 } },
      model: { type: 'transformerEncoder', ...tinyModel, pooling: 'mean' },
      training: { optimizer: { type: 'adam', learningRate: 0.01 }, loss: 'sparseCategoricalCrossentropy', metrics: ['accuracy'], epochs: 2, batchSize: 16, seed: 1 },
    }),
    'lm/corpus.txt': 'the cat sat on the mat. the dog sat on the log.\n'.repeat(20),
    'lm/lm.experiment.json': JSON.stringify({
      name: 'tiny-lm',
      task: 'language-model',
      data: { source: 'corpus.txt', split: { validation: 0.1, test: 0.1, seed: 1 }, tokenizer: { type: 'char', maxLength: 16 } },
      model: { type: 'transformerDecoder', ...tinyModel },
      training: { optimizer: { type: 'adam', learningRate: 0.01 }, epochs: 1, batchSize: 16, seed: 1 },
    }),
  });
  textRun = await train(join(root, 'text/text.experiment.json'));
  lmRun = await train(join(root, 'lm/lm.experiment.json'));
});

after(async () => {
  await Promise.all(servers.map((s) => s.close()));
  for (const p of predictors) p.dispose();
});

async function load(dir: string): Promise<Predictor> {
  const p = await Predictor.load(dir);
  predictors.push(p);
  return p;
}

test('an export holds the model, what prediction needs and a model card that matches the run', () => {
  const out = join(root, 'exports/house');
  const { card } = exportRun(houseRun, out);
  for (const f of ['model.json', 'weights.bin', 'preprocessing.json', 'model-card.json', 'model-card.md']) assert.ok(existsSync(join(out, f)), f);
  const meta = JSON.parse(readFileSync(join(houseRun, 'meta.json'), 'utf8'));
  const evaluation = JSON.parse(readFileSync(join(houseRun, 'evaluation.json'), 'utf8'));
  const onDisk = JSON.parse(readFileSync(join(out, 'model-card.json'), 'utf8')) as ModelCard;
  assert.deepEqual(onDisk, JSON.parse(JSON.stringify(card)));
  assert.equal(card.runId, meta.id);
  assert.equal(card.task, 'regression');
  assert.equal(card.backend, meta.backend);
  assert.equal(card.epochs.done, 2);
  assert.equal(card.target, 'price');
  assert.deepEqual(card.inputs.map((i) => i.name), ['area_sqm', 'rooms', 'bathrooms', 'age_years', 'distance_km', 'floor', 'lot_sqm', 'garage', 'school_score', 'crime_rate']);
  assert.deepEqual(card.metrics.evaluation?.values, evaluation.metrics);
  assert.deepEqual(card.data.rows, meta.dataSizes);
  assert.ok(!Number.isNaN(Date.parse(card.exportedAt)));
  const md = readFileSync(join(out, 'model-card.md'), 'utf8');
  assert.match(md, /^# house-prices/);
  assert.match(md, /Backend: wasm/);
  assert.match(md, /r2 /);
  // A second export into the same folder replaces the first; a folder of other files is refused.
  exportRun(houseRun, out);
  writeFiles(root, { 'not-empty/notes.txt': 'mine' });
  assert.throws(() => exportRun(houseRun, join(root, 'not-empty')), /not empty/);
});

test('predictions from an export equal the run model on the same rows, in target units', async () => {
  const out = join(root, 'exports/house-roundtrip');
  exportRun(houseRun, out);
  const fromExport = await load(out);
  const { model, preprocessor } = await loadModel(join(houseRun, 'model'));
  const pre = preprocessor as FittedPreprocessor;
  const d = pre.inputNames.length;
  const x = new Float32Array(houseRows.length * d);
  houseRows.forEach((r, i) => encodeFeatures(pre, r, x, i * d, 'test', i));
  const direct = Array.from(tf.tidy(() => (model.predict(tf.tensor2d(x, [houseRows.length, d])) as tf.Tensor).dataSync()), (v) => inverseTarget(pre, v));
  model.dispose();
  const rows = houseRows.map(({ price: _price, ...features }) => features);
  const predicted = await fromExport.predict(rows);
  assert.deepEqual(predicted.map((p) => ('value' in p ? p.value : NaN)), direct);
  // Prices are in thousands: a model trained 2 epochs is not far off the scale.
  assert.ok(predicted.every((p) => 'value' in p && p.value > 10 && p.value < 5000), JSON.stringify(predicted.slice(0, 3)));
  assert.deepEqual(fromExport.signature.inputs.length, 10);
});

test('a tabular classifier predicts labels with probabilities, categories as one-hot', async () => {
  const p = await load(blobsRun);
  assert.deepEqual(p.signature.labels, ['blue', 'green', 'red']);
  assert.deepEqual(p.signature.inputs.find((i) => i.name === 'zone')?.categories, ['north', 'south']);
  const [red, blue] = await p.predict([
    { a: -2, b: -2, zone: 'north' },
    { a: 0, b: 2.5, zone: 'south' },
  ]);
  assert.ok('label' in red && 'label' in blue);
  assert.equal(red.label, 'red');
  assert.equal(blue.label, 'blue');
  const sum = Object.values(red.probabilities).reduce((a, b) => a + b, 0);
  assert.ok(Math.abs(sum - 1) < 1e-4, String(sum));
  // Exported, the same numbers.
  exportRun(blobsRun, join(root, 'exports/blobs'));
  const again = await load(join(root, 'exports/blobs'));
  assert.deepEqual(await again.predict([{ a: -2, b: -2, zone: 'north' }]), [red]);
  assert.deepEqual(JSON.parse(readFileSync(join(root, 'exports/blobs/labels.json'), 'utf8')), ['blue', 'green', 'red']);
});

async function http(server: RunningServer, method: string, path: string, body?: unknown): Promise<{ status: number; json: Record<string, unknown> }> {
  const res = await fetch(`http://127.0.0.1:${server.port}${path}`, { method, body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body), headers: { 'content-type': 'application/json' } });
  return { status: res.status, json: (await res.json()) as Record<string, unknown> };
}

async function serve(dir: string, name: string, extra: { maxBodyBytes?: number; batchWindowMs?: number } = {}): Promise<RunningServer> {
  const s = await startServing({ predictor: await load(dir), name, port: 0, ...extra });
  servers.push(s);
  return s;
}

test('the server answers TF Serving status, metadata and predict for a regression model', async () => {
  const s = await serve(houseRun, 'house');
  assert.equal(s.host, '127.0.0.1');
  const status = await http(s, 'GET', '/v1/models/house');
  assert.equal(status.status, 200);
  assert.deepEqual(status.json.model_version_status, [{ version: '1', state: 'AVAILABLE', status: { error_code: 'OK', error_message: '' } }]);
  const meta = await http(s, 'GET', '/v1/models/house/versions/1/metadata');
  const sig = (meta.json.metadata as { signature_def: { signature_def: { serving_default: { inputs: Record<string, { dtype: string; tensor_shape: { dim: { size: string }[] } }>; outputs: Record<string, unknown> } } } }).signature_def.signature_def.serving_default;
  assert.equal(Object.keys(sig.inputs).length, 10);
  assert.equal(sig.inputs.rooms.dtype, 'DT_FLOAT');
  assert.deepEqual(sig.inputs.rooms.tensor_shape.dim.map((d) => d.size), ['-1']);
  assert.deepEqual(Object.keys(sig.outputs), ['value']);
  const rows = houseRows.slice(0, 3).map(({ price: _price, ...f }) => f);
  const expected = (await (await load(houseRun)).predict(rows)).map((p) => ('value' in p ? p.value : NaN));
  const res = await http(s, 'POST', '/v1/models/house:predict', { instances: rows });
  assert.equal(res.status, 200);
  assert.deepEqual(res.json.predictions, expected);
});

test('bad requests get a 4xx naming the problem, and the server stays up', async () => {
  const s = await serve(houseRun, 'house', { maxBodyBytes: 4096 });
  const row = Object.fromEntries(Object.entries(houseRows[0]).filter(([k]) => k !== 'price'));
  const cases: [unknown, number, RegExp][] = [
    ['{"instances": [', 400, /not valid JSON/],
    [{ rows: [row] }, 400, /"rows" is not a field/],
    [{ instances: row }, 400, /"instances" must be an array/],
    [{}, 400, /"instances" is missing/],
    [{ instances: [{ ...row, rooms: 'three' }] }, 400, /instances\[0\]\.rooms must be a finite number/],
    [{ instances: [row, { ...row, colour: 1 }] }, 400, /instances\[1\]\.colour is not an input/],
    [{ instances: [Object.fromEntries(Object.entries(row).filter(([k]) => k !== 'age_years'))] }, 400, /instances\[0\]\.age_years is missing/],
    [{ instances: [42] }, 400, /instances\[0\] must be an object/],
    [{ instances: Array.from({ length: 200 }, () => row) }, 413, /limit/],
  ];
  for (const [body, status, message] of cases) {
    const res = await http(s, 'POST', '/v1/models/house:predict', body);
    assert.equal(res.status, status, JSON.stringify(res.json));
    assert.match(String(res.json.error), message);
  }
  assert.equal((await http(s, 'GET', '/v1/models/other')).status, 404);
  assert.equal((await http(s, 'GET', '/v1/models/house:predict')).status, 405);
  const ok = await http(s, 'POST', '/v1/models/house:predict', { instances: [row] });
  assert.equal(ok.status, 200);
  assert.equal((ok.json.predictions as number[]).length, 1);
});

test('concurrent requests are batched and each gets its own answers', async () => {
  // A window, so the test does not depend on the model being busy when the next request comes in.
  const s = await serve(blobsRun, 'blobs', { batchWindowMs: 25 });
  const p = await load(blobsRun);
  const points = Array.from({ length: 40 }, (_, i) => ({ a: Math.sin(i) * 3, b: Math.cos(i * 1.7) * 3, zone: i % 3 ? 'north' : 'south' }));
  const expected = await p.predict(points);
  const answers = await Promise.all(points.map((pt) => http(s, 'POST', '/v1/models/blobs:predict', { instances: [pt] })));
  answers.forEach((a, i) => {
    assert.equal(a.status, 200);
    assert.deepEqual(a.json.predictions, [expected[i]]);
  });
  const { batches, rows } = s.stats();
  assert.equal(rows, 40);
  assert.ok(batches < 40, `${batches} model calls for 40 concurrent requests`);
});

test('a text classifier takes strings; a language model takes generation requests', async () => {
  const text = await serve(textRun, 'sentiment');
  const p = await load(textRun);
  const expected = await p.predict(['it was good and great', 'it was awful and sad']);
  const res = await http(text, 'POST', '/v1/models/sentiment:predict', { instances: ['it was good and great', { text: 'it was awful and sad' }] });
  assert.equal(res.status, 200, JSON.stringify(res.json));
  assert.deepEqual(res.json.predictions, expected);
  const meta = await http(text, 'GET', '/v1/models/sentiment/metadata');
  assert.match(JSON.stringify(meta.json), /"text":\{"dtype":"DT_STRING"/);
  assert.equal((await http(text, 'POST', '/v1/models/sentiment:predict', { instances: [3] })).status, 400);

  const lm = await serve(lmRun, 'lm');
  const gen = await http(lm, 'POST', '/v1/models/lm:predict', { instances: [{ prompt: 'the ', length: 12, temperature: 0, seed: 1 }, 'the c'] });
  assert.equal(gen.status, 200, JSON.stringify(gen.json));
  const [first, second] = gen.json.predictions as { text: string; tokens: number }[];
  assert.equal(first.tokens, 12);
  assert.equal(first.text.length, 12);
  assert.ok(second.text.length > 0);
  // Greedy decoding is deterministic across requests.
  const again = await http(lm, 'POST', '/v1/models/lm:predict', { instances: [{ prompt: 'the ', length: 12, temperature: 0 }] });
  assert.equal((again.json.predictions as { text: string }[])[0].text, first.text);
  const bad = await http(lm, 'POST', '/v1/models/lm:predict', { instances: [{ prompt: 'x', length: 0 }] });
  assert.equal(bad.status, 400);
  assert.match(String(bad.json.error), /instances\[0\]\.length/);
});

test('a deployment is `modellab serve` in a child process: it reports its address and stops on request', async () => {
  const d = new DeploymentProcess({
    cliScript: join(__dirname, '../../src/cli/main.ts'),
    execArgv: ['--import', 'tsx'],
    runtime: { execPath: process.execPath, env: {} },
    modelPath: blobsRun,
    backend: 'wasm',
    cwd: join(__dirname, '../..'),
  });
  try {
    const address = await d.listening;
    assert.equal(address.host, '127.0.0.1');
    assert.equal(address.name, 'blobs');
    assert.equal(address.kind, 'tabular');
    assert.match(address.url, /^http:\/\/127\.0\.0\.1:\d+\/v1\/models\/blobs$/);
    const res = await fetch(`${address.url}:predict`, { method: 'POST', body: JSON.stringify({ instances: [{ a: -2, b: -2, zone: 'north' }] }) });
    assert.equal(res.status, 200);
    assert.equal(((await res.json()) as { predictions: { label: string }[] }).predictions[0].label, 'red');
  } finally {
    await d.stop();
  }
  assert.equal(d.running, false);
  assert.equal(await d.exited, 0);
});

test('a deployment of a folder without a model fails with the reason', async () => {
  const d = new DeploymentProcess({
    cliScript: join(__dirname, '../../src/cli/main.ts'),
    execArgv: ['--import', 'tsx'],
    runtime: { execPath: process.execPath, env: {} },
    modelPath: root,
    cwd: join(__dirname, '../..'),
  });
  await assert.rejects(d.listening, /no saved model/);
});

test('the inference child answers the playground: the signature, then a prediction; a bad row gets the reason', async () => {
  const replies: InferenceToHostMessage[] = [];
  const server = new InferenceServer((m) => replies.push(m));
  const wait = async (n: number) => {
    for (let i = 0; i < 400 && replies.length < n; i++) await new Promise((r) => setTimeout(r, 25));
  };
  try {
    server.handle({ type: 'predict', requestId: 1, modelDir: blobsRun, instances: [], backend: 'wasm' });
    server.handle({ type: 'predict', requestId: 2, modelDir: blobsRun, instances: [{ a: -2, b: -2, zone: 'north' }] });
    server.handle({ type: 'predict', requestId: 3, modelDir: blobsRun, instances: [{ a: 'x', b: -2, zone: 'north' }] });
    await wait(3);
    const [describe, predict, bad] = replies;
    assert.equal(describe.type, 'predictResult');
    assert.ok(describe.type === 'predictResult' && describe.predictions.length === 0);
    assert.deepEqual(describe.type === 'predictResult' && describe.signature.inputs.map((i) => i.name), ['a', 'b', 'zone']);
    assert.ok(predict.type === 'predictResult');
    assert.equal(predict.requestId, 2);
    assert.equal((predict.predictions[0] as { label: string }).label, 'red');
    assert.ok(bad.type === 'inferenceError');
    assert.match(bad.message, /instances\[0\]\.a must be a finite number/);
  } finally {
    server.dispose();
  }
});
