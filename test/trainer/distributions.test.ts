// distributions.jsonl as a training writes it: one line per recorded epoch per
// layer, weight counts equal to the layer's parameters, gradients that are
// sane for a healthy run and all zeros for a layer of dead ReLUs, the cadence
// the config sets, and a resume that neither repeats nor loses an epoch.
import assert from 'node:assert/strict';
import { appendFileSync, cpSync, existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { DISTRIBUTIONS_FILE, gradientHealth, parseDistributionsLine, tensorStats } from '../../src/core/distributions';
import type { LayerDistributions } from '../../src/core/distributions';
import type { TrainerEvent } from '../../src/core/protocol/trainer';
import { RunWriter } from '../../src/node/runStoreWriter';
import { resumeTraining, runTraining } from '../../src/trainer/engine';
import { linearCsv, regressionConfig, tempDir, writeFiles } from '../helpers/fixtures';

function linesOf(runDir: string): LayerDistributions[] {
  return readFileSync(join(runDir, DISTRIBUTIONS_FILE), 'utf8')
    .split('\n')
    .filter((l) => l.trim())
    .map((l) => {
      const parsed = parseDistributionsLine(l);
      assert.ok(parsed, `a whole line: ${l.slice(0, 80)}`);
      return parsed;
    });
}

function workspace(training: Record<string, unknown>, t: { after(fn: () => void): void }) {
  const ws = tempDir('modellab-distributions-', t);
  writeFiles(ws, { 'data.csv': linearCsv(200), 'exp.experiment.json': regressionConfig({ training: { optimizer: { type: 'adam', learningRate: 0.01 }, loss: 'mse', metrics: ['mae'], epochs: 4, batchSize: 16, seed: 5, ...training } }) });
  return { configPath: join(ws, 'exp.experiment.json'), runsDir: join(ws, 'runs'), backend: 'wasm' as const };
}

test('every epoch by default: one line per epoch per layer, weight counts equal the parameters, sane gradients', async (t) => {
  const r = await runTraining({ ...workspace({}, t), onEvent: () => {} });
  assert.equal(r.meta.status, 'completed', r.meta.error);
  const lines = linesOf(r.runDir);
  assert.deepEqual(
    lines.map((l) => `${l.epoch} ${l.layer}`),
    [1, 2, 3, 4].flatMap((e) => [`${e} ${lines[0].layer}`, `${e} ${lines[1].layer}`]),
  );
  // dense 16 relu on 3 features, then dense 1: kernel 3×16 + bias 16, kernel 16×1 + bias 1.
  const [hidden, out] = lines.slice(-2);
  assert.deepEqual(hidden.tensors.map((x) => [x.name, x.weights.count]), [['kernel', 48], ['bias', 16]]);
  assert.deepEqual(out.tensors.map((x) => [x.name, x.weights.count]), [['kernel', 16], ['bias', 1]]);
  assert.deepEqual(hidden.tensors[0].shape, [3, 16]);
  for (const l of lines) {
    for (const x of l.tensors) {
      assert.ok(x.gradients, `${l.layer}/${x.name} has gradients at epoch ${l.epoch}`);
      for (const s of [x.weights, x.gradients]) {
        assert.equal(s.histogram.reduce((a, b) => a + b, 0), s.count, 'every value in a bin');
        assert.equal(s.nonFinite, 0);
        assert.ok(s.min <= s.mean && s.mean <= s.max);
      }
      assert.equal(x.gradients.count, x.weights.count);
    }
    assert.equal(gradientHealth(l).kind, 'ok', `${l.layer} at epoch ${l.epoch}`);
  }
  // Glorot-uniform kernels spread; the weights move between epochs.
  assert.ok(hidden.tensors[0].weights.std > 0.1);
  assert.notEqual(lines[0].tensors[0].weights.mean, hidden.tensors[0].weights.mean);
});

test('dead ReLUs: after a huge learning rate most of the hidden layer’s gradients are exact zeros; a healthy run has few', async (t) => {
  const zerosShare = async (optimizer: Record<string, unknown>) => {
    const r = await runTraining({ ...workspace({ optimizer, epochs: 6 }, t), onEvent: () => {} });
    assert.equal(r.meta.status, 'completed', r.meta.error);
    const lines = linesOf(r.runDir).filter((l) => l.layer === '#1 Dense');
    assert.equal(lines.length, 6);
    return lines.at(-1)!.tensors[0].gradients!.zeros;
  };
  const dead = await zerosShare({ type: 'adam', learningRate: 10 });
  const healthy = await zerosShare({ type: 'adam', learningRate: 0.01 });
  assert.ok(dead >= 0.7, `zeros share of the hidden kernel's gradients after lr 10: ${dead}`);
  assert.ok(healthy <= 0.1, `zeros share of the hidden kernel's gradients after lr 0.01: ${healthy}`);
});

test('cadence: { every: 3 } records epochs 3 and the last; false writes no file', async (t) => {
  const every = await runTraining({ ...workspace({ epochs: 5, distributions: { every: 3 } }, t), onEvent: () => {} });
  assert.deepEqual([...new Set(linesOf(every.runDir).map((l) => l.epoch))], [3, 5]);
  const none = await runTraining({ ...workspace({ epochs: 2, distributions: false }, t), onEvent: () => {} });
  assert.equal(none.meta.status, 'completed', none.meta.error);
  assert.equal(existsSync(join(none.runDir, DISTRIBUTIONS_FILE)), false);
});

test('resume: interrupted in epoch 3 and resumed, each epoch’s lines are there once, as in an uninterrupted run', async (t) => {
  const base = workspace({ epochs: 5 }, t);
  const full = await runTraining({ ...workspace({ epochs: 5 }, t), onEvent: () => {} });
  const abort = new AbortController();
  const onEvent = (e: TrainerEvent) => {
    if (e.type === 'metrics' && e.points.some((p) => p.kind === 'step' && p.epoch === 3)) abort.abort('disconnect');
  };
  const cut = await runTraining({ ...base, signal: abort.signal, metricsIntervalMs: 0, onEvent });
  assert.equal(cut.meta.status, 'interrupted', cut.meta.error);
  assert.deepEqual([...new Set(linesOf(cut.runDir).map((l) => l.epoch))], [1, 2]);
  const r = await resumeTraining({ runDir: cut.runDir, backend: 'wasm', onEvent: () => {} });
  assert.equal(r.meta.status, 'completed', r.meta.error);
  const resumed = linesOf(r.runDir);
  const uninterrupted = linesOf(full.runDir);
  assert.deepEqual(resumed.map((l) => `${l.epoch} ${l.layer}`), uninterrupted.map((l) => `${l.epoch} ${l.layer}`));
  // The same training, so the same numbers (the resume restores every random stream).
  for (let i = 0; i < resumed.length; i++) assert.ok(Math.abs(resumed[i].tensors[0].weights.mean - uninterrupted[i].tensors[0].weights.mean) < 1e-6, `line ${i}`);
});

test('reopening for a resume drops the distributions of epochs after the checkpoint, and a torn last line', (t) => {
  const dir = join(tempDir('modellab-distributions-reopen-', t), 'run');
  const writer = new RunWriter(join(dir, '..'), { name: 'x', configPath: 'x', status: 'running', createdAt: new Date().toISOString() } as never, dir);
  const line = (epoch: number): LayerDistributions => ({ epoch, layer: '#1 Dense', tensors: [{ name: 'kernel', shape: [2], weights: tensorStats([epoch, -epoch]) }] });
  writer.appendDistributions([line(1), line(2), line(3)]);
  appendFileSync(join(dir, DISTRIBUTIONS_FILE), '{"epoch":4,"layer":"#1 De');
  RunWriter.reopen(dir, 2, {});
  assert.deepEqual(linesOf(dir).map((l) => l.epoch), [1, 2]);
});

test('a loss that becomes NaN mid-epoch: the run fails and its distributions end with the weights it left, flagged exploding (weights beyond 1e6 or not finite)', async (t) => {
  const r = await runTraining({ ...workspace({ optimizer: { type: 'sgd', learningRate: 3 }, epochs: 4 }, t), onEvent: () => {} });
  assert.equal(r.meta.status, 'failed');
  const lines = linesOf(r.runDir);
  const last = lines.filter((l) => l.epoch === lines.at(-1)!.epoch);
  assert.equal(last.length, 2, 'both layers');
  assert.equal(last[0].epoch, (r.meta.epochsDone ?? 0) + 1, 'the epoch the NaN cut short');
  assert.ok(last.some((l) => gradientHealth(l).kind === 'exploding'), JSON.stringify(last.map((l) => l.tensors.map((x) => [x.weights.nonFinite, x.weights.min, x.weights.max, x.gradients?.max]))));
});

test('the recommender and the Transformer loops record too: every weight with its gradients, the counts summing to the model’s parameters', async (t) => {
  for (const [example, file] of [
    ['recommender', 'recommender.experiment.json'],
    ['intent-classifier', 'intent-classifier.experiment.json'],
  ]) {
    const ws = tempDir(`modellab-distributions-${example}-`, t);
    cpSync(join(__dirname, '../../examples', example), ws, { recursive: true });
    const r = await runTraining({ configPath: join(ws, file), runsDir: join(ws, 'runs'), backend: 'wasm', epochs: 1, onEvent: () => {} });
    assert.equal(r.meta.status, 'completed', r.meta.error);
    const lines = linesOf(r.runDir);
    const summary = JSON.parse(readFileSync(join(r.runDir, 'summary.json'), 'utf8')) as { totalParams: number };
    const tensors = lines.flatMap((l) => l.tensors);
    assert.equal(tensors.reduce((a, x) => a + x.weights.count, 0), summary.totalParams, example);
    assert.ok(tensors.every((x) => x.gradients && x.gradients.count === x.weights.count && x.gradients.nonFinite === 0), `${example}: every tensor has its gradients`);
    assert.ok(tensors.some((x) => x.gradients!.max > 0), `${example}: some gradient is not zero`);
  }
});
