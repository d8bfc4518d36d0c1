// The training callbacks: early stopping ends training after exactly its
// patience of epochs without improvement (not one more), reduce-on-plateau
// lowers the learning rate after exactly its patience and by exactly its
// factor, and the whole state survives a checkpoint as one value. First the
// state machine on scripted logs, then a real run through the engine.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import type { CallbackSettings } from '../../src/trainer/callbacks';
import { restoredMessage, TrainingCallbacks } from '../../src/trainer/callbacks';
import { decodeCheckpoint, encodeCheckpoint, CHECKPOINT_FORMAT } from '../../src/node/checkpointFile';
import type { MetricPoint } from '../../src/core/types';
import { formatMetric } from '../../src/core/metrics';
import { runTraining } from '../../src/trainer/engine';
import { formatLogText } from '../../src/core/trainerLogTable';
import type { LogText } from '../../src/core/trainerLogTable';

/** A message by id as the CLI prints it. */
const english = (text: LogText | undefined) => text && formatLogText(text);
import { lcg, regressionConfig, tempDir, writeFiles } from '../helpers/fixtures';

const settings = (extra: Partial<CallbackSettings> = {}): CallbackSettings => ({ checkpoint: { monitor: 'val_loss' }, ...extra });
const earlyStopping = (patience: number, minDelta = 0, monitor = 'val_loss') => ({ monitor, patience, minDelta, restoreBestWeights: true });
const plateau = (patience: number, factor: number, minLr = 0, monitor = 'val_loss') => ({ monitor, patience, factor, minLr });

/** Feeds `values` as val_loss, one per epoch; the epoch (1-based) whose end asked to stop, or undefined. */
function stopEpoch(cb: TrainingCallbacks, values: number[], key = 'val_loss'): number | undefined {
  for (let i = 0; i < values.length; i++) if (cb.epochEnd(i + 1, { [key]: values[i] }).stop) return i + 1;
  return undefined;
}

/** The learning rate in force during each epoch (as the engine logs it, before that epoch's end). */
function rates(cb: TrainingCallbacks, values: number[]): number[] {
  return values.map((v, i) => {
    const during = cb.learningRate;
    cb.epochEnd(i + 1, { val_loss: v });
    return during;
  });
}

test('early stopping stops after exactly `patience` epochs without improvement', () => {
  const rising = [1, 2, 3, 4, 5, 6, 7, 8];
  for (const patience of [1, 2, 3, 5]) {
    // Epoch 1 sets the best; epochs 2…1+patience do not improve on it.
    assert.equal(stopEpoch(new TrainingCallbacks(settings({ earlyStopping: earlyStopping(patience) }), 0.01), rising), 1 + patience, `patience ${patience}`);
  }
  // Patience 0 counts as 1: the first epoch without improvement stops.
  assert.equal(stopEpoch(new TrainingCallbacks(settings({ earlyStopping: earlyStopping(0) }), 0.01), rising), 2);
  // An improvement starts the count again; an equal value is not one.
  assert.equal(stopEpoch(new TrainingCallbacks(settings({ earlyStopping: earlyStopping(2) }), 0.01), [5, 6, 4, 4, 7, 1]), 5);
  // minDelta: 4.95 beats 5 but not by more than 0.1.
  assert.equal(stopEpoch(new TrainingCallbacks(settings({ earlyStopping: earlyStopping(2, 0.1) }), 0.01), [5, 4.95, 4.91, 1]), 3);
  // A maximized monitor: accuracy that rises is improving, one that falls is not.
  const acc = () => new TrainingCallbacks(settings({ earlyStopping: earlyStopping(2, 0, 'val_accuracy') }), 0.01);
  assert.equal(stopEpoch(acc(), [0.5, 0.6, 0.7, 0.8, 0.9], 'val_accuracy'), undefined);
  assert.equal(stopEpoch(acc(), [0.9, 0.8, 0.7], 'val_accuracy'), 3);
  // No monitored value logged (no validation data): never stops.
  assert.equal(stopEpoch(new TrainingCallbacks(settings({ earlyStopping: earlyStopping(1) }), 0.01), rising, 'loss'), undefined);
  // The reason names the epoch, the monitor and the wait.
  const cb = new TrainingCallbacks(settings({ earlyStopping: earlyStopping(2) }), 0.01);
  [1, 2].forEach((v, i) => assert.equal(cb.epochEnd(i + 1, { val_loss: v }).stop, undefined));
  assert.equal(english(cb.epochEnd(3, { val_loss: 3 }).stop), 'early stopping at epoch 3: val_loss has not improved for 2 epoch(s)');
});

test('reduce-on-plateau multiplies the rate by its factor after exactly `patience` epochs without improvement, then counts again', () => {
  const rising = [1, 2, 3, 4, 5, 6, 7];
  // Patience 2: epochs 2 and 3 do not improve → lowered at the end of epoch 3, then of epoch 5, then of 7.
  assert.deepEqual(rates(new TrainingCallbacks(settings({ reduceLrOnPlateau: plateau(2, 0.5) }), 0.08), rising), [0.08, 0.08, 0.08, 0.04, 0.04, 0.02, 0.02]);
  assert.deepEqual(rates(new TrainingCallbacks(settings({ reduceLrOnPlateau: plateau(1, 0.1) }), 1), rising.slice(0, 4)), [1, 1, 0.1, 0.1 * 0.1]);
  assert.deepEqual(rates(new TrainingCallbacks(settings({ reduceLrOnPlateau: plateau(3, 0.25) }), 1), rising), [1, 1, 1, 1, 0.25, 0.25, 0.25]);
  // An improvement resets the wait.
  assert.deepEqual(rates(new TrainingCallbacks(settings({ reduceLrOnPlateau: plateau(2, 0.5) }), 1), [5, 6, 4, 4, 4, 9]), [1, 1, 1, 1, 1, 0.5]);
  // minLr: never below it, and nothing is said once the rate is there.
  const floor = new TrainingCallbacks(settings({ reduceLrOnPlateau: plateau(1, 0.5, 0.3) }), 1);
  assert.equal(floor.epochEnd(1, { val_loss: 1 }).learningRate, undefined);
  const cut = floor.epochEnd(2, { val_loss: 2 }).learningRate;
  assert.deepEqual({ value: cut?.value, message: english(cut?.message) }, { value: 0.5, message: 'epoch 2: val_loss has not improved for 1 epoch(s); learning rate now 0.500' });
  assert.deepEqual(cut?.message, { id: 'callbacks.reduceLr', args: [2, 'val_loss', 1, '0.500'] });
  assert.equal(floor.epochEnd(3, { val_loss: 3 }).learningRate?.value, 0.3);
  assert.equal(floor.epochEnd(4, { val_loss: 4 }).learningRate, undefined);
  assert.equal(floor.learningRate, 0.3);
});

test('the kept epoch: the best by the checkpoint monitor, in its direction, when asked; else the last', () => {
  const cb = new TrainingCallbacks({ checkpoint: { monitor: 'val_accuracy' } }, 0.01);
  assert.deepEqual(cb.kept, { epoch: 'best', monitor: 'val_accuracy', askedBy: 'training.checkpoint' });
  assert.deepEqual([0.5, 0.7, 0.6, 0.7, 0.8].map((v, i) => cb.epochEnd(i + 1, { val_accuracy: v }).keep), [true, true, false, false, true]);
  assert.equal(cb.bestEpoch, 5);
  assert.equal(cb.bestValue, 0.8);
  // A checkpoint whose monitor is never logged keeps nothing along the way (the engine saves the model at the end).
  const none = new TrainingCallbacks(settings(), 0.01);
  assert.equal(none.epochEnd(1, { loss: 1 }).keep, false);
  assert.equal(none.bestEpoch, 0);
  assert.ok(Number.isNaN(none.bestValue));
  // Early stopping restores its own monitor's best (restoreBestWeights, its default), not the last epoch.
  const es = new TrainingCallbacks({ earlyStopping: earlyStopping(9, 0, 'val_mae') }, 0.01);
  assert.deepEqual(es.kept, { epoch: 'best', monitor: 'val_mae', askedBy: 'training.earlyStopping' });
  assert.deepEqual([3, 1, 2].map((v, i) => es.epochEnd(i + 1, { val_loss: 0, val_mae: v }).keep), [true, true, false]);
  assert.equal(es.bestEpoch, 2);
  // Neither asks (or early stopping with restoreBestWeights false): every epoch is kept, so the last one is, as in Keras.
  for (const last of [new TrainingCallbacks({}, 0.01), new TrainingCallbacks({ earlyStopping: { ...earlyStopping(9), restoreBestWeights: false } }, 0.01)]) {
    assert.deepEqual(last.kept, { epoch: 'last' });
    assert.deepEqual([3, 1, 2].map((v, i) => last.epochEnd(i + 1, { val_loss: v }).keep), [true, true, true]);
    assert.equal(last.bestEpoch, 3);
  }
});

test('the restore message says which epoch, by which monitor in which direction, and which setting asked', () => {
  assert.equal(english(restoredMessage(12, 0.031234, { epoch: 'best', monitor: 'val_loss', askedBy: 'training.checkpoint' })), 'restored the weights of epoch 12, the lowest val_loss (0.03123), as training.checkpoint asks');
  assert.equal(english(restoredMessage(3, 0.875, { epoch: 'best', monitor: 'val_accuracy', askedBy: 'training.earlyStopping' })), 'restored the weights of epoch 3, the highest val_accuracy (0.875), as training.earlyStopping asks (restoreBestWeights)');
});

test('the state goes into a checkpoint as one value and carries on exactly where it was', () => {
  const all = settings({ earlyStopping: earlyStopping(3, 0.01), reduceLrOnPlateau: plateau(2, 0.5) });
  const values = [3, 2, 2.5, 2.6, 1.5, 1.6, 1.7, 1.8, 1.9, 2];
  const run = (cb: TrainingCallbacks, from: number) => values.slice(from).map((v, i) => ({ lr: cb.learningRate, ...cb.epochEnd(from + i + 1, { val_loss: v }) }));
  const whole = run(new TrainingCallbacks(all, 0.1), 0);
  for (let cut = 1; cut < values.length; cut++) {
    const first = new TrainingCallbacks(all, 0.1);
    values.slice(0, cut).forEach((v, i) => first.epochEnd(i + 1, { val_loss: v }));
    // Through the checkpoint file's own encoding, as a resume reads it.
    const bytes = encodeCheckpoint({ format: CHECKPOINT_FORMAT, epoch: cut, step: 1, timeMs: 0, savedAt: '', random: { global: 1 }, callbacks: first.toJSON(), arrays: [] }, []);
    const read = decodeCheckpoint(bytes, 'checkpoint.bin').header.callbacks;
    assert.deepEqual(read, first.toJSON());
    assert.deepEqual(run(TrainingCallbacks.fromJSON(all, read), cut), whole.slice(cut), `cut after epoch ${cut}`);
  }
  // The scripted values do both: the rate is lowered and training stops.
  assert.ok(whole.some((d) => d.learningRate) && whole.some((d) => d.stop));
  // Before any epoch: no best yet, written as null (JSON has no NaN).
  assert.deepEqual(new TrainingCallbacks(all, 0.1).toJSON(), { bestValue: null, bestEpoch: 0, esBest: null, esWait: 0, lrBest: null, lrWait: 0, learningRate: 0.1 });
});

test('a checkpoint header as earlier versions wrote it reads back; a damaged counter is refused', () => {
  // The field-by-field record the engine wrote before the callbacks were one object: the same shape.
  const old = { bestValue: 0.5, bestEpoch: 2, esBest: 0.5, esWait: 1, lrBest: 0.5, lrWait: 1, learningRate: 0.005 };
  const header = { format: 1, epoch: 3, step: 30, timeMs: 10, savedAt: '2026-01-01T00:00:00.000Z', random: { global: 7 }, callbacks: old, arrays: [] };
  const read = decodeCheckpoint(encodeCheckpoint(header, []), 'checkpoint.bin').header.callbacks;
  const cb = TrainingCallbacks.fromJSON(settings({ earlyStopping: earlyStopping(2), reduceLrOnPlateau: plateau(2, 0.5) }), read);
  assert.deepEqual(cb.toJSON(), old);
  // One more epoch without improvement: both waits reach 2.
  const d = cb.epochEnd(4, { val_loss: 0.6 });
  assert.equal(english(d.stop), 'early stopping at epoch 4: val_loss has not improved for 2 epoch(s)');
  assert.equal(d.learningRate?.value, 0.0025);
  for (const bad of [{ esWait: 1.5 }, { lrWait: -1 }, { bestEpoch: null }, { learningRate: null }, { esBest: 'x' }]) {
    const damaged = encodeCheckpoint({ ...header, callbacks: { ...old, ...bad } as never }, []);
    assert.throws(() => decodeCheckpoint(damaged, 'checkpoint.bin'), /the callback state is missing or not numeric/, JSON.stringify(bad));
  }
});

/** Rows of y = 3·x1 − 2·x2 (+ noise), or its negation: a model that learns one gets worse on the other every epoch. */
function rowsCsv(rows: number, seed: number, sign: number): string {
  const r = lcg(seed);
  const out = ['x1,x2,y'];
  for (let i = 0; i < rows; i++) {
    const x1 = r() * 4 - 2;
    const x2 = r() * 4 - 2;
    out.push([x1, x2, sign * (3 * x1 - 2 * x2) + (r() - 0.5) * 0.1].map((v) => v.toFixed(4)).join(','));
  }
  return out.join('\n') + '\n';
}

test('in a real run: early stopping and reduce-on-plateau act after exactly their patience, logged in the order they happened', async () => {
  const ws = tempDir('modellab-callbacks-');
  writeFiles(ws, {
    'train.csv': rowsCsv(200, 3, 1),
    'validation.csv': rowsCsv(60, 4, -1),
    'exp.experiment.json': regressionConfig({
      data: { train: 'train.csv', validation: 'validation.csv', features: ['x1', 'x2'], target: 'y', preprocess: [{ standardize: 'features' }] },
      model: { layers: [{ type: 'dense', units: 8, activation: 'relu' }, { type: 'dense', units: 1 }] },
      training: {
        optimizer: { type: 'adam', learningRate: 0.005 },
        loss: 'mse',
        metrics: ['mae'],
        epochs: 12,
        batchSize: 32,
        seed: 5,
        earlyStopping: { monitor: 'val_loss', patience: 4 },
        reduceLrOnPlateau: { monitor: 'val_loss', patience: 2, factor: 0.5 },
      },
    }),
  });
  const logs: string[] = [];
  const r = await runTraining({ configPath: join(ws, 'exp.experiment.json'), runsDir: join(ws, 'runs'), backend: 'wasm', onEvent: (e) => e.type === 'log' && logs.push(e.message) });
  assert.equal(r.meta.status, 'completed', r.meta.error);
  const epochs = readFileSync(join(r.runDir, 'metrics.jsonl'), 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as MetricPoint)
    .filter((p) => p.kind === 'epoch');
  const valLoss = epochs.map((p) => p.values.val_loss);
  const seen = `val_loss by epoch: ${valLoss.join(', ')}\n${logs.join('\n')}`;
  // Epochs 2–5 are four without improvement: training ends after epoch 5, not 6.
  assert.deepEqual(epochs.map((p) => p.epoch), [1, 2, 3, 4, 5], seen);
  assert.equal(r.meta.epochsDone, 5);
  // Halved at the end of epochs 3 and 5 (two epochs without improvement each time): epoch 5's cut, then the stop, in that order.
  assert.deepEqual(epochs.map((p) => p.values.lr), [0.005, 0.005, 0.005, 0.0025, 0.0025], seen);
  const cuts = logs.filter((m) => m.includes('learning rate now'));
  assert.deepEqual(cuts, ['epoch 3: val_loss has not improved for 2 epoch(s); learning rate now 0.00250', 'epoch 5: val_loss has not improved for 2 epoch(s); learning rate now 0.00125'], seen);
  const stop = logs.indexOf('early stopping at epoch 5: val_loss has not improved for 4 epoch(s)');
  assert.ok(stop > logs.indexOf(cuts[1]), seen);
  // Early stopping restored epoch 1's weights (restoreBestWeights by default), and the log says why.
  assert.ok(logs.includes(`restored the weights of epoch 1, the lowest val_loss (${formatMetric(valLoss[0], 'table')}), as training.earlyStopping asks (restoreBestWeights)`), seen);
  // What the expectations rest on: the validation loss only ever rises, so epoch 1 stays the best.
  valLoss.slice(1).forEach((v, i) => assert.ok(v > valLoss[i], seen));
  assert.equal(r.meta.bestEpoch, 1);
});

test('the kept epoch in a real run: the last unless the config asks; training.checkpoint restores the best and says why', async () => {
  const ws = tempDir('modellab-kept-');
  const config = (training: object) =>
    regressionConfig({
      data: { train: 'train.csv', validation: 'validation.csv', features: ['x1', 'x2'], target: 'y', preprocess: [{ standardize: 'features' }] },
      model: { layers: [{ type: 'dense', units: 8, activation: 'relu' }, { type: 'dense', units: 1 }] },
      training: { optimizer: { type: 'adam', learningRate: 0.005 }, loss: 'mse', epochs: 4, batchSize: 32, seed: 5, ...training },
    });
  writeFiles(ws, { 'train.csv': rowsCsv(200, 3, 1), 'validation.csv': rowsCsv(60, 4, -1), 'last.experiment.json': config({}), 'best.experiment.json': config({ checkpoint: {} }) });
  const train = async (name: string) => {
    const logs: string[] = [];
    const r = await runTraining({ configPath: join(ws, `${name}.experiment.json`), runsDir: join(ws, 'runs'), backend: 'wasm', onEvent: (e) => e.type === 'log' && logs.push(e.message) });
    assert.equal(r.meta.status, 'completed', r.meta.error);
    const valLoss = readFileSync(join(r.runDir, 'metrics.jsonl'), 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as MetricPoint).filter((p) => p.kind === 'epoch').map((p) => p.values.val_loss);
    // The validation loss rises every epoch (trained on y, validated on −y): the best epoch is the first, the last the worst.
    valLoss.slice(1).forEach((v, i) => assert.ok(v > valLoss[i], `val_loss ${valLoss.join(', ')}`));
    // No test file: the evaluation is on the validation split, with the weights the run kept.
    const mse = (r.evaluation as { metrics: { mse: number } }).metrics.mse;
    return { r, logs, valLoss, mse };
  };
  const last = await train('last');
  assert.equal(last.r.meta.bestEpoch, 4);
  assert.deepEqual(last.r.meta.bestMetrics, last.r.meta.lastMetrics);
  assert.ok(Math.abs(last.mse - last.valLoss[3]) < 1e-3 * last.valLoss[3], `evaluation mse ${last.mse}, val_loss ${last.valLoss.join(', ')}`);
  assert.equal(last.logs.filter((m) => m.startsWith('restored')).length, 0, last.logs.join('\n'));

  const best = await train('best');
  assert.equal(best.r.meta.bestEpoch, 1);
  assert.equal(best.r.meta.bestMetrics!.val_loss, best.valLoss[0]);
  assert.ok(Math.abs(best.mse - best.valLoss[0]) < 1e-3 * best.valLoss[0], `evaluation mse ${best.mse}, val_loss ${best.valLoss.join(', ')}`);
  assert.ok(best.logs.includes(`restored the weights of epoch 1, the lowest val_loss (${formatMetric(best.valLoss[0], 'table')}), as training.checkpoint asks`), best.logs.join('\n'));
});
