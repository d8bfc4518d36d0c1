// What `modellab train` and `modellab runs` print about a run, as a newcomer reads it:
// which backend trains and how to get the faster one, the kept epoch's metrics (not the
// last epoch's when an earlier one was restored), and what a scaled target does to the loss.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { test } from 'node:test';
import { describeBackend, runMetricsText } from '../../src/cli/trainReport';
import { scaledTargetNote } from '../../src/core/preprocess';
import type { FittedPreprocessor } from '../../src/core/preprocess';
import { NATIVE_NOT_INSTALLED } from '../../src/trainer/backend';
import { houseRunMeta, tempDir, writeFiles } from '../helpers/fixtures';

const root = join(import.meta.dirname, '..', '..');

test('the backend line names the backend in use; native TensorFlow missing is said with how to get it, not as a failure', () => {
  assert.equal(
    describeBackend('wasm', [NATIVE_NOT_INSTALLED]),
    'backend: wasm (WebAssembly)\n  native TensorFlow (@tensorflow/tfjs-node) is not installed; it trains faster: npm install @tensorflow/tfjs-node in Model Lab\'s folder, and "auto" uses it',
  );
  assert.equal(describeBackend('tensorflow', []), 'backend: tensorflow (native TensorFlow)');
  // The engine's threads, when the run has them (not native TensorFlow's own pool).
  assert.equal(describeBackend('wasm', [], 2), 'backend: wasm (WebAssembly), 2 threads');
  assert.equal(describeBackend('wasm', [], 1), 'backend: wasm (WebAssembly), 1 thread');
  // A real failure keeps its reason.
  assert.equal(describeBackend('cpu', ['wasm backend: .wasm files not found']), 'backend: cpu (plain JavaScript)\n  not used: wasm backend: .wasm files not found');
});

test('a run\'s metrics are those of the epoch it kept, labelled; the last epoch\'s before any is kept', () => {
  const restored = { epochsDone: 40, bestEpoch: 12, bestMetrics: { loss: 0.02, val_loss: 0.031, mae: 0.1, val_accuracy: 0.9 }, lastMetrics: { loss: 0.01, val_loss: 0.05 } };
  assert.equal(runMetricsText(restored), 'loss 0.02  val_loss 0.031  val_accuracy 0.9 (epoch 12, kept)');
  assert.equal(runMetricsText({ epochsDone: 3, lastMetrics: { loss: 0.5, val_loss: 0.7 } }), 'loss 0.5  val_loss 0.7 (epoch 3, last)');
  assert.equal(runMetricsText({ epochsDone: 0 }), '');
});

test('modellab runs shows the kept epoch\'s val_loss, in text and JSON, not the last epoch\'s', () => {
  const runsDir = join(tempDir('modellab-runs-kept-'), 'runs');
  const meta = houseRunMeta({
    status: 'completed',
    endedAt: '2025-01-01T12:05:00.000Z',
    epochsPlanned: 40,
    epochsDone: 40,
    bestEpoch: 12,
    bestMetrics: { loss: 0.0212, val_loss: 0.031, mae: 0.11, val_mae: 0.13 },
    lastMetrics: { loss: 0.0101, val_loss: 0.0555, mae: 0.08, val_mae: 0.17 },
  });
  writeFiles(runsDir, { [`${meta.id}/meta.json`]: JSON.stringify(meta) });
  const cli = (...args: string[]) => execFileSync(process.execPath, ['--import', 'tsx', join(root, 'src/cli/main.ts'), 'runs', '--runs-dir', runsDir, ...args], { encoding: 'utf8', cwd: root });
  const text = cli();
  assert.match(text, /loss 0\.0212 {2}val_loss 0\.031 \(epoch 12, kept\)/, text);
  assert.doesNotMatch(text, /0\.0555/, text);
  const [row] = JSON.parse(cli('--json')) as { keptEpoch: number; keptMetrics: Record<string, number>; lastMetrics: Record<string, number> }[];
  assert.equal(row.keptEpoch, 12);
  assert.equal(row.keptMetrics.val_loss, 0.031);
  assert.equal(row.lastMetrics.val_loss, 0.0555);
});

test('a scaled regression target: the note says the training loss is on the scaled target, with the factors to its units', () => {
  const pre = (kind: 'standardize' | 'minMax', task: 'regression' | 'classification' = 'regression'): FittedPreprocessor =>
    ({ version: 1, task, features: ['area'], target: 'price', fill: {}, dropMissing: [], oneHot: [], scale: { price: { kind, shift: 180921, scale: 79443 } }, inputNames: ['area'], labels: [] }) as FittedPreprocessor;
  assert.equal(
    scaledTargetNote(pre('standardize'), 'mse', ['mae']),
    'the loss and metrics during training are on "price" standardized, (price − 180,921) / 79,443 (in price\'s units: mse × 6.311e+9, mae × 79,443); the test evaluation is in price\'s own units',
  );
  assert.equal(
    scaledTargetNote(pre('minMax'), 'huber', []),
    'the loss and metrics during training are on "price" scaled to 0…1, (price − 180,921) / 79,443; the test evaluation is in price\'s own units',
  );
  // An unscaled target, or a classifier: nothing to say.
  assert.equal(scaledTargetNote({ ...pre('standardize'), scale: {} }, 'mse', ['mae']), undefined);
  assert.equal(scaledTargetNote(pre('standardize', 'classification'), 'mse', []), undefined);
});
