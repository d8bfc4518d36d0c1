// What `modellab train` prints, read as a newcomer reads it: the backend in use, that the
// training loss is on the standardized target while the test metrics are in its units, the
// plateau's learning-rate cut before the early stop of the same epoch, and why earlier
// weights were restored — in the order it all happened.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { test } from 'node:test';
import { lcg, regressionConfig, tempDir, writeFiles } from '../helpers/fixtures';

const root = join(import.meta.dirname, '..', '..');

/** Rows of y = 3·x1 − 2·x2 (+ noise), or its negation: a model that learns one gets worse on the other every epoch. */
function rowsCsv(rows: number, seed: number, sign: number): string {
  const r = lcg(seed);
  const out = ['x1,x2,y'];
  for (let i = 0; i < rows; i++) {
    const x1 = r() * 4 - 2;
    const x2 = r() * 4 - 2;
    out.push([x1, x2, 100 + 20 * sign * (3 * x1 - 2 * x2) + (r() - 0.5)].map((v) => v.toFixed(4)).join(','));
  }
  return out.join('\n') + '\n';
}

test('modellab train says which backend, that the loss is on the standardized target, and its events in order', () => {
  const ws = tempDir('modellab-cli-train-');
  writeFiles(ws, {
    'train.csv': rowsCsv(200, 3, 1),
    'validation.csv': rowsCsv(60, 4, -1),
    'exp.experiment.json': regressionConfig({
      data: { train: 'train.csv', validation: 'validation.csv', features: ['x1', 'x2'], target: 'y', preprocess: [{ standardize: 'features' }, { standardize: ['y'] }] },
      model: { layers: [{ type: 'dense', units: 8, activation: 'relu' }, { type: 'dense', units: 1 }] },
      training: {
        optimizer: { type: 'adam', learningRate: 0.005 },
        loss: 'mse',
        metrics: ['mae'],
        epochs: 12,
        batchSize: 32,
        seed: 5,
        // Validated on −y, the loss rises every epoch: the plateau cuts at epochs 3 and 5, early stopping ends epoch 5.
        earlyStopping: { patience: 4 },
        reduceLrOnPlateau: { patience: 2, factor: 0.5 },
      },
    }),
  });
  const out = spawnSync(process.execPath, ['--import', 'tsx', join(root, 'src/cli/main.ts'), 'train', join(ws, 'exp.experiment.json'), '--backend', 'wasm', '--runs-dir', join(ws, 'runs')], { encoding: 'utf8', cwd: root });
  assert.equal(out.status, 0, out.stderr);
  const lines = out.stderr.split('\n');
  const at = (pattern: RegExp) => {
    const i = lines.findIndex((l) => pattern.test(l));
    assert.ok(i >= 0, `no line matches ${pattern}:\n${out.stderr}`);
    return i;
  };
  assert.match(lines[at(/^backend: /)], /^backend: wasm \(WebAssembly\), \d+ threads?$/);
  const note = at(/^the loss and metrics during training are on "y" standardized, \(y − [\d.]+\) \/ [\d.]+ \(in y's units: mse × [\d.,]+, mae × [\d.,]+\); the test evaluation is in y's own units$/);
  const firstEpoch = at(/^epoch +1\/12 /);
  const cut = at(/^epoch 5: val_loss has not improved for 2 epoch\(s\); learning rate now 0\.00125$/);
  const stop = at(/^early stopping at epoch 5: val_loss has not improved for 4 epoch\(s\)$/);
  const restored = at(/^restored the weights of epoch 1, the lowest val_loss \([\d.]+\), as training\.earlyStopping asks \(restoreBestWeights\)$/);
  assert.ok(note < firstEpoch && firstEpoch < cut && cut < stop && stop < restored, out.stderr);
  // The test metrics come in the target's units (no test file: the validation split), on stdout.
  assert.match(out.stdout, /^completed: linear on wasm after 5 epoch\(s\), the weights of epoch 1 kept$/m);
  assert.match(out.stdout, /^validation \(60 rows\): mse /m);
});
