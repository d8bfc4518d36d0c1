// A train file and a test file, no validation file: the trainer holds out a
// seeded share of the training file for validation (val_loss every epoch,
// early stopping watches it) and reads the test file only for the final
// evaluation.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import type { TrainerEvent } from '../../src/core/protocol/trainer';
import type { RegressionEvaluation } from '../../src/core/types';
import { selectBackend } from '../../src/trainer/backend';
import { runTraining } from '../../src/trainer/engine';
import { linearCsv, metricsOf, tempDir, writeFiles } from '../helpers/fixtures';

/** The same relation as linearCsv, every target shifted by `shift`: a model of the training data misses it by about that much. */
function shifted(csv: string, shift: number): string {
  const [header, ...rows] = csv.trim().split('\n');
  return [header, ...rows.map((r) => r.replace(/,([^,]+)$/, (_, y) => `,${(Number(y) + shift).toFixed(4)}`))].join('\n') + '\n';
}

test('train + test files: validation is carved out of train (val_loss every epoch), the test file only in the final evaluation', async () => {
  const dir = tempDir();
  const config = {
    name: 'carved',
    task: 'regression',
    data: { train: 'train.csv', test: 'test.csv', features: ['x1', 'x2', 'x3'], target: 'y', preprocess: [{ standardize: 'features' }], split: { validation: 0.25, seed: 5 } },
    model: { layers: [{ type: 'dense', units: 8, activation: 'relu' }, { type: 'dense', units: 1 }] },
    training: { optimizer: { type: 'adam', learningRate: 0.02 }, loss: 'mse', epochs: 8, batchSize: 16, seed: 2, earlyStopping: { patience: 20 } },
  };
  // The test targets are off by 50: if any epoch were validated on them, val_loss would be near 2500.
  writeFiles(dir, { 'train.csv': linearCsv(200), 'test.csv': shifted(linearCsv(40, 9), 50), 'x.experiment.json': JSON.stringify(config) });
  await selectBackend('wasm');
  const events: TrainerEvent[] = [];
  const r = await runTraining({ configPath: join(dir, 'x.experiment.json'), runsDir: join(dir, 'runs'), backend: 'wasm', onEvent: (e) => events.push(e) });
  assert.equal(r.meta.status, 'completed', r.meta.error);
  assert.deepEqual(r.meta.dataSizes, { train: 150, validation: 50, test: 40 });

  const epochs = metricsOf(r.runDir).filter((p) => p.kind === 'epoch');
  assert.equal(epochs.length, 8);
  for (const p of epochs) assert.ok(Number.isFinite(p.values.val_loss) && p.values.val_loss < 100, `epoch ${p.epoch}: val_loss ${p.values.val_loss}`);
  assert.ok(epochs[7].values.val_loss < epochs[0].values.val_loss / 2, `val_loss ${epochs[0].values.val_loss} → ${epochs[7].values.val_loss}`);
  // Early stopping (restoreBestWeights by default) kept the best epoch by val_loss, its default monitor with validation data.
  const bestByVal = epochs.reduce((a, b) => (b.values.val_loss < a.values.val_loss ? b : a));
  assert.equal(r.meta.bestEpoch, bestByVal.epoch);

  // The final evaluation is on the test file, and it is the only place the shifted targets show.
  const ev = r.evaluation as RegressionEvaluation;
  assert.equal(ev.split, 'test');
  assert.equal(ev.count, 40);
  assert.ok(ev.metrics.mse > 1000, `test mse ${ev.metrics.mse}`);
  assert.deepEqual(JSON.parse(readFileSync(join(r.runDir, 'evaluation.json'), 'utf8')).split, 'test');
  const stages = events.filter((e): e is Extract<TrainerEvent, { type: 'stage' }> => e.type === 'stage' && e.status !== 'running').map((e) => e.stage);
  assert.ok(stages.indexOf('evaluation') > stages.indexOf('training'), stages.join(' → '));
});
