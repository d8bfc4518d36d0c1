// The engine really trains: on the wasm backend (what CI and any machine
// without native TensorFlow uses), through the same code path as VS Code.
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import type { TrainerEvent } from '../../src/core/protocol/trainer';
import { readRunSnapshot } from '../../src/node/runStoreReader';
import type { ClassificationEvaluation, RegressionEvaluation } from '../../src/core/types';
import { selectBackend } from '../../src/trainer/backend';
import { ConfigInvalidError, runTraining } from '../../src/trainer/engine';
import { blobsCsv, linearCsv, regressionConfig, tempDir, writeFiles } from '../helpers/fixtures';

function workspace(config: string, data: string, dataName = 'data.csv'): { config: string; runs: string } {
  const dir = tempDir();
  writeFiles(dir, { [dataName]: data, 'exp.experiment.json': config });
  return { config: join(dir, 'exp.experiment.json'), runs: join(dir, '.modellab', 'runs') };
}

test('a small regression learns: validation loss falls 10×, test r2 > 0.95, files on disk', async () => {
  const ws = workspace(regressionConfig(), linearCsv(400));
  const events: TrainerEvent[] = [];
  await selectBackend('wasm');
  const before = tf.memory().numTensors;
  const r = await runTraining({ configPath: ws.config, runsDir: ws.runs, backend: 'wasm', onEvent: (e) => events.push(e) });
  assert.equal(r.meta.status, 'completed', r.meta.error);
  assert.equal(r.meta.backend, 'wasm');
  const epochs = events.filter((e): e is Extract<TrainerEvent, { type: 'epoch' }> => e.type === 'epoch');
  assert.equal(epochs.length, 15);
  const first = epochs[0].logs.val_loss;
  const best = Math.min(...epochs.map((e) => e.logs.val_loss));
  assert.ok(best < first / 10, `val_loss ${first} → ${best}`);
  const ev = r.evaluation as RegressionEvaluation;
  assert.equal(ev.split, 'test');
  assert.equal(ev.count, 80);
  assert.ok(ev.metrics.r2 > 0.95, `r2 ${ev.metrics.r2}`);
  for (const f of ['meta.json', 'config.json', 'metrics.jsonl', 'summary.json', 'evaluation.json', 'model/model.json', 'model/weights.bin', 'model/preprocessing.json']) {
    assert.ok(existsSync(join(r.runDir, f)), f);
  }
  const snap = readRunSnapshot(r.runDir);
  assert.equal(snap.metrics.filter((p) => p.kind === 'epoch').length, 15);
  assert.equal(snap.metrics.filter((p) => p.kind === 'step').length, 15 * Math.ceil(240 / 16));
  assert.deepEqual(snap.summary?.layers.map((l) => [l.type, l.outputShape, l.params]), [['Dense', [null, 16], 64], ['Dense', [null, 1], 17]]);
  // step metrics arrive batched, never one message per step
  const metricMessages = events.filter((e) => e.type === 'metrics').length;
  assert.ok(metricMessages < snap.metrics.length / 4, `${metricMessages} messages for ${snap.metrics.length} points`);
  // no tensor leaks
  assert.equal(tf.memory().numTensors, before);
  // stages in order, all done but the application
  const stages = events.filter((e): e is Extract<TrainerEvent, { type: 'stage' }> => e.type === 'stage' && e.status !== 'running').map((e) => `${e.stage}:${e.status}`);
  assert.deepEqual(stages, ['data:done', 'preprocess:done', 'training:done', 'evaluation:done', 'deployment:skipped', 'application:skipped']);
});

test('a small classifier reaches 90% accuracy on held-out data', async () => {
  const config = JSON.stringify({
    name: 'blobs',
    task: 'classification',
    data: { source: 'blobs.csv', features: ['a', 'b'], target: 'colour', split: { validation: 0.2, test: 0.2, seed: 1 } },
    model: { layers: [{ type: 'dense', units: 16, activation: 'relu' }, { type: 'dropout', rate: 0.1 }, { type: 'dense', units: 3, activation: 'softmax' }] },
    training: { optimizer: { type: 'adam', learningRate: 0.02 }, metrics: ['accuracy'], epochs: 20, batchSize: 16, seed: 2 },
  });
  const ws = workspace(config, blobsCsv(300), 'blobs.csv');
  const r = await runTraining({ configPath: ws.config, runsDir: ws.runs, backend: 'wasm', onEvent: () => {} });
  assert.equal(r.meta.status, 'completed', r.meta.error);
  const ev = r.evaluation as ClassificationEvaluation;
  assert.deepEqual(ev.labels, ['blue', 'green', 'red']);
  assert.ok(ev.metrics.accuracy >= 0.9, `accuracy ${ev.metrics.accuracy}`);
  assert.equal(ev.confusion.flat().reduce((a, b) => a + b, 0), ev.count);
  assert.ok('val_accuracy' in r.meta.lastMetrics!);
});

test('the same seed gives the same run; another seed a different one', async () => {
  const losses = async (seed: number) => {
    const ws = workspace(regressionConfig({ training: { optimizer: { type: 'adam', learningRate: 0.01 }, epochs: 3, batchSize: 16, seed } }), linearCsv(200));
    const out: number[] = [];
    await runTraining({ configPath: ws.config, runsDir: ws.runs, backend: 'wasm', onEvent: (e) => e.type === 'epoch' && out.push(e.logs.loss, e.logs.val_loss) });
    return out;
  };
  const a = await losses(9);
  const b = await losses(9);
  const c = await losses(10);
  assert.deepEqual(a, b);
  assert.notDeepEqual(a, c);
});

test('stopping mid-run ends it as "stopped" and keeps its metrics and model', async () => {
  const ws = workspace(regressionConfig({ training: { epochs: 50, batchSize: 8, seed: 1 } }), linearCsv(400));
  const abort = new AbortController();
  const r = await runTraining({
    configPath: ws.config,
    runsDir: ws.runs,
    backend: 'wasm',
    signal: abort.signal,
    onEvent: (e) => e.type === 'epoch' && e.epoch === 2 && abort.abort(),
  });
  assert.equal(r.meta.status, 'stopped');
  assert.ok(r.meta.epochsDone >= 2 && r.meta.epochsDone <= 3, String(r.meta.epochsDone));
  const snap = readRunSnapshot(r.runDir);
  assert.equal(snap.metrics.filter((p) => p.kind === 'epoch').length, r.meta.epochsDone);
  assert.ok(existsSync(join(r.runDir, 'model', 'model.json')));
  assert.equal(snap.evaluation, undefined);
});

test('a loss that blows up stops the run as failed with a clear message', async () => {
  const big = 'x1,x2,x3,y\n' + Array.from({ length: 60 }, (_, i) => `${i},${i % 7},${i % 3},${1e30 * (i + 1)}`).join('\n') + '\n';
  const ws = workspace(regressionConfig({ training: { optimizer: { type: 'sgd', learningRate: 1 }, epochs: 5, seed: 1 } }), big);
  const r = await runTraining({ configPath: ws.config, runsDir: ws.runs, backend: 'wasm', onEvent: () => {} });
  assert.equal(r.meta.status, 'failed');
  assert.match(r.meta.error!, /the loss became (NaN|Infinity) at step \d+ \(epoch 1\); training stopped\. Try a lower learning rate/);
  assert.equal(JSON.parse(readFileSync(join(r.runDir, 'meta.json'), 'utf8')).status, 'failed');
});

test('bad data fails the run with the file and line, keeping the run folder', async () => {
  const ws = workspace(regressionConfig(), 'x1,x2,x3,y\n1,2,3,4\n1,2,oops,4\n' + '1,2,3,4\n'.repeat(20));
  const r = await runTraining({ configPath: ws.config, runsDir: ws.runs, backend: 'wasm', onEvent: () => {} });
  assert.equal(r.meta.status, 'failed');
  assert.match(r.meta.error!, /data\.csv:\d+: column "x3" holds text \("oops"\)/);
});

test('an invalid config refuses to start and creates no run', async () => {
  const ws = workspace(regressionConfig().replace('"x1"', '"nope"'), linearCsv(20));
  await assert.rejects(
    runTraining({ configPath: ws.config, runsDir: ws.runs, backend: 'wasm', onEvent: () => {} }),
    (e: unknown) => e instanceof ConfigInvalidError && /exp\.experiment\.json:\d+:\d+: error: unknown column "nope"/.test(e.message),
  );
  assert.ok(!existsSync(ws.runs) || readdirSync(ws.runs).length === 0);
});
