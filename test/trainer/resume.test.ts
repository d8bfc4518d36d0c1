// Resuming a run from its checkpoint: a run cut off mid-epoch and
// then resumed ends exactly where the same run would have ended without the
// interruption — same per-epoch losses, same evaluation, one metric point per
// epoch — for the tabular loop, the Transformer loop and the recommender loop.
// That equality needs every part of the state back: weights, the optimizer's
// moments and step count, the random streams, the shuffle order and the
// callbacks' counters; leaving out any one of them changes the numbers.
import { isSystemKey } from '../../src/core/systemMetrics';
import assert from 'node:assert/strict';
import { cpSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import { checkpointPath, readCheckpoint } from '../../src/node/checkpointFile';
import type { TrainerEvent } from '../../src/core/protocol/trainer';
import { readRunLog, readRunMeta } from '../../src/node/runStoreReader';
import { resumeTraining, runTraining } from '../../src/trainer/engine';
import type { TrainOptions } from '../../src/trainer/engine';
import { epochPoints, linearCsv, metricsOf, regressionConfig, tempDir, writeFiles } from '../helpers/fixtures';

const examples = join(__dirname, '../../examples');

/** Trains the config, and aborts as VS Code going away does once the first step of epoch `cutInEpoch` has been reported. */
async function interruptedRun(base: Omit<TrainOptions, 'onEvent'>, cutInEpoch: number) {
  const abort = new AbortController();
  const onEvent = (e: TrainerEvent) => {
    if (e.type === 'metrics' && e.points.some((p) => p.kind === 'step' && p.epoch === cutInEpoch)) abort.abort('disconnect');
  };
  return runTraining({ ...base, signal: abort.signal, metricsIntervalMs: 0, onEvent });
}

/** Uninterrupted vs interrupted-then-resumed, in two copies of one workspace. */
async function compareResumed(setup: (ws: string) => string, epochs: number, cutInEpoch: number) {
  const full = tempDir('modellab-resume-full-');
  const cut = tempDir('modellab-resume-cut-');
  const fullOpts = { configPath: setup(full), runsDir: join(full, 'runs'), backend: 'wasm' as const, epochs };
  const cutOpts = { configPath: setup(cut), runsDir: join(cut, 'runs'), backend: 'wasm' as const, epochs };
  const a = await runTraining({ ...fullOpts, onEvent: () => {} });
  assert.equal(a.meta.status, 'completed', a.meta.error);

  const b = await interruptedRun(cutOpts, cutInEpoch);
  assert.equal(b.meta.status, 'interrupted', b.meta.error);
  assert.equal(existsSync(checkpointPath(b.runDir)), true, 'an interrupted run keeps its checkpoint');
  // The cut epoch left step points behind; its epoch point exists only if the loop reported the partial epoch.
  assert.ok(metricsOf(b.runDir).some((p) => p.kind === 'step' && p.epoch === cutInEpoch));

  const logs: string[] = [];
  const seqs: (number | undefined)[] = [];
  const logBefore = readRunLog(b.runDir);
  assert.ok(logBefore.length > 0, 'the first part of the run wrote its log lines to log.jsonl');
  const tensorsBefore = tf.memory().numTensors;
  const r = await resumeTraining({ runDir: b.runDir, backend: 'wasm', onEvent: (e) => e.type === 'log' && logs.push(e.message) && seqs.push(e.seq) });
  assert.equal(r.meta.status, 'completed', r.meta.error);
  assert.equal(r.runDir, b.runDir, 'the run carries on in its own folder');
  assert.equal(tf.memory().numTensors, tensorsBefore, 'resuming leaks no tensors');
  assert.ok(logs.some((m) => m.includes(`resuming`) && m.includes(`after epoch ${cutInEpoch - 1} of`)), logs.join('\n'));
  // The resumed run's log carries on in the same file: the old lines, then the new ones, numbered on; each event carried its line's number.
  const logAfter = readRunLog(r.runDir);
  assert.deepEqual(logAfter.slice(0, logBefore.length), logBefore);
  assert.deepEqual(logAfter.slice(logBefore.length).map((l) => l.message), logs);
  assert.deepEqual(seqs, logs.map((_, i) => logBefore.length + 1 + i));

  const meta = readRunMeta(r.runDir)!;
  assert.equal(meta.resumes?.length, 1);
  assert.equal(meta.resumes![0].fromEpoch, cutInEpoch - 1);
  assert.equal(existsSync(checkpointPath(r.runDir)), false, 'a completed run drops its checkpoint');

  const fullEpochs = epochPoints(a.runDir);
  const resumedEpochs = epochPoints(r.runDir);
  assert.deepEqual(resumedEpochs.map((p) => p.epoch), fullEpochs.map((p) => p.epoch), 'one point per epoch, in order');
  assert.deepEqual(resumedEpochs.map((p) => p.step), fullEpochs.map((p) => p.step), 'the step count carries on');
  for (let i = 0; i < fullEpochs.length; i++) {
    for (const [k, v] of Object.entries(fullEpochs[i].values)) {
      if (k === 'tokensPerSecond' || isSystemKey(k)) continue; // a speed (or the machine's CPU and memory), not a result
      assert.ok(Math.abs(resumedEpochs[i].values[k] - v) <= 1e-6 * Math.max(1, Math.abs(v)), `epoch ${fullEpochs[i].epoch} ${k}: resumed ${resumedEpochs[i].values[k]} vs uninterrupted ${v}`);
    }
  }
  const steps = metricsOf(r.runDir).filter((p) => p.kind === 'step').map((p) => p.step);
  assert.deepEqual(steps, Array.from({ length: steps.length }, (_, i) => i + 1), 'every step once: the cut epoch is trained again, not twice');
  const evalA = JSON.parse(readFileSync(join(a.runDir, 'evaluation.json'), 'utf8'));
  const evalB = JSON.parse(readFileSync(join(r.runDir, 'evaluation.json'), 'utf8'));
  assert.deepEqual(evalB.metrics, evalA.metrics, 'the same test-split evaluation');
  return { a, r };
}

test('tabular (the first-lesson MLP with Adam): interrupted in epoch 4, resumed, ends as the uninterrupted run', async () => {
  const setup = (ws: string) => {
    writeFiles(ws, { 'data.csv': linearCsv(400), 'exp.experiment.json': regressionConfig({ training: { optimizer: { type: 'adam', learningRate: 0.01 }, loss: 'mse', metrics: ['mae'], epochs: 7, batchSize: 16, seed: 5 } }) });
    return join(ws, 'exp.experiment.json');
  };
  await compareResumed(setup, 7, 4);
});

test('tabular with dropout, early-stopping and plateau counters carried over', async () => {
  const setup = (ws: string) => {
    writeFiles(ws, {
      'data.csv': linearCsv(300, 9),
      'exp.experiment.json': regressionConfig({
        model: { layers: [{ type: 'dense', units: 16, activation: 'relu' }, { type: 'dropout', rate: 0.2 }, { type: 'dense', units: 1 }] },
        training: { optimizer: { type: 'rmsprop', learningRate: 0.01 }, loss: 'mse', epochs: 6, batchSize: 32, seed: 2, earlyStopping: { monitor: 'val_loss', patience: 10 }, reduceLrOnPlateau: { monitor: 'val_loss', patience: 1, factor: 0.5 } },
      }),
    });
    return join(ws, 'exp.experiment.json');
  };
  await compareResumed(setup, 6, 3);
});

test('Transformer encoder (intent classifier): interrupted in epoch 2, resumed, ends as the uninterrupted run', async () => {
  const setup = (ws: string) => {
    cpSync(join(examples, 'intent-classifier'), ws, { recursive: true });
    return join(ws, 'intent-classifier.experiment.json');
  };
  await compareResumed(setup, 3, 2);
});

test('recommender (matrix factorization): interrupted in epoch 2, resumed, ends as the uninterrupted run', async () => {
  const setup = (ws: string) => {
    cpSync(join(examples, 'recommender'), ws, { recursive: true });
    return join(ws, 'recommender.experiment.json');
  };
  await compareResumed(setup, 3, 2);
});

test('a stopped run can be continued; a completed one, or a damaged checkpoint, is refused before anything changes', async () => {
  const ws = tempDir('modellab-resume-refuse-');
  writeFiles(ws, { 'data.csv': linearCsv(200), 'exp.experiment.json': regressionConfig({ training: { epochs: 5, batchSize: 16, seed: 1 } }) });
  const base = { configPath: join(ws, 'exp.experiment.json'), runsDir: join(ws, 'runs'), backend: 'wasm' as const };

  const done = await runTraining({ ...base, onEvent: () => {} });
  assert.equal(done.meta.status, 'completed');
  await assert.rejects(resumeTraining({ runDir: done.runDir, backend: 'wasm', onEvent: () => {} }), /cannot be resumed: it is completed; only interrupted or stopped runs/);

  // Stopped by the user (not a disconnect) in epoch 3.
  const abort = new AbortController();
  const stopped = await runTraining({
    ...base,
    signal: abort.signal,
    metricsIntervalMs: 0,
    onEvent: (e) => e.type === 'metrics' && e.points.some((p) => p.epoch === 3) && abort.abort(),
  });
  assert.equal(stopped.meta.status, 'stopped');
  // The stop came during epoch 3: only whole epochs count, and the checkpoint is of the last one.
  assert.equal(stopped.meta.epochsDone, 2);
  assert.deepEqual(epochPoints(stopped.runDir).map((p) => p.epoch), [1, 2]);
  assert.ok(metricsOf(stopped.runDir).some((p) => p.kind === 'step' && p.epoch === 3), 'the cut epoch\'s steps are kept until a resume trains it again');
  assert.equal(readCheckpoint(stopped.runDir).header.epoch, 2);

  // A torn checkpoint: a clear error naming the file, and the run folder is as it was.
  const file = checkpointPath(stopped.runDir);
  const bytes = readFileSync(file);
  const metaBefore = readFileSync(join(stopped.runDir, 'meta.json'), 'utf8');
  const metricsBefore = readFileSync(join(stopped.runDir, 'metrics.jsonl'), 'utf8');
  writeFileSync(file, bytes.subarray(0, bytes.length - 10));
  await assert.rejects(resumeTraining({ runDir: stopped.runDir, backend: 'wasm', onEvent: () => {} }), (e: Error) => e.message.includes(file) && /truncated/.test(e.message));
  assert.equal(readFileSync(join(stopped.runDir, 'meta.json'), 'utf8'), metaBefore);
  assert.equal(readFileSync(join(stopped.runDir, 'metrics.jsonl'), 'utf8'), metricsBefore);

  writeFileSync(file, bytes);
  const r = await resumeTraining({ runDir: stopped.runDir, backend: 'wasm', onEvent: () => {} });
  assert.equal(r.meta.status, 'completed', r.meta.error);
  assert.deepEqual(epochPoints(r.runDir).map((p) => p.epoch), [1, 2, 3, 4, 5]);
});
