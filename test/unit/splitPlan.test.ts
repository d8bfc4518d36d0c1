// Validation is never missing and never the test set: a train file without a
// validation file gives a seeded share of itself to validation, and configs
// that could only rank, stop or keep a checkpoint by a training (or test)
// metric are told so at the key.

import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { pipelineMermaid } from '../../src/core/pipeline';
import { hasValidationData, validationSourceOf } from '../../src/core/splitPlan';
import { rowCount } from '../../src/core/table';
import type { Table } from '../../src/core/table';
import type { DataConfig, ExperimentConfig } from '../../src/core/types';
import { validateConfigText } from '../../src/node/configValidation';
import { loadCorpusSplits, loadSplits } from '../../src/node/dataFiles';
import { linearCsv, regressionConfig, tempDir, writeFiles } from '../helpers/fixtures';

/** The `id` column of a table, as numbers. */
function ids(t: Table | undefined): number[] {
  if (!t) return [];
  return t.rows.map((r) => Number(r.id));
}

function idCsv(rows: number): string {
  return ['id,x,y', ...Array.from({ length: rows }, (_, i) => `${i},${i * 0.5},${i % 3}`)].join('\n') + '\n';
}

function dataDir(): string {
  const dir = tempDir();
  writeFiles(dir, { 'train.csv': idCsv(200), 'test.csv': idCsv(30).replace(/^(\d+),/gm, (_, n) => `${1000 + Number(n)},`), 'val.csv': idCsv(10) });
  return dir;
}

test('validationSourceOf: the file, the split of source, a carve-out of train, held-out interactions, or none', () => {
  const of = (data: DataConfig, task: ExperimentConfig['task'] = 'regression') => validationSourceOf({ task, data });
  assert.deepEqual(of({ train: 'a', validation: 'b' }), { kind: 'file' });
  assert.deepEqual(of({ source: 'a' }), { kind: 'split', share: 0.2 });
  assert.deepEqual(of({ train: 'a', test: 'b' }), { kind: 'carved', share: 0.2 });
  assert.deepEqual(of({ train: 'a', split: { validation: 0.15 } }), { kind: 'carved', share: 0.15 });
  assert.deepEqual(of({ train: 'a', split: { validation: 0 } }), { kind: 'none' });
  assert.deepEqual(of({ source: 'a', split: { validation: 0 } }), { kind: 'none' });
  assert.deepEqual(of({ source: 'a', split: { validation: 0 } }, 'recommendation'), { kind: 'heldOut' });
  assert.equal(hasValidationData({ task: 'classification', data: { train: 'a', test: 'b' } }), true);
});

test('a train file without a validation file: a seeded share carved out, disjoint and complete, the test file untouched', () => {
  const dir = dataDir();
  const configPath = join(dir, 'x.experiment.json');
  const s = loadSplits({ train: 'train.csv', test: 'test.csv', split: { validation: 0.25, seed: 9 } }, configPath);
  assert.equal(rowCount(s.train), 150);
  assert.equal(rowCount(s.validation!), 50);
  const train = ids(s.train);
  const val = ids(s.validation);
  assert.equal(new Set([...train, ...val]).size, 200, 'every training row lands in exactly one of train and validation');
  assert.deepEqual([...train, ...val].sort((a, b) => a - b), Array.from({ length: 200 }, (_, i) => i));
  assert.deepEqual(ids(s.test), Array.from({ length: 30 }, (_, i) => 1000 + i), 'the test file is read whole and in order');
  // Seeded: the same seed carves the same rows; another seed other rows; shuffled, not the file's tail.
  assert.deepEqual(ids(loadSplits({ train: 'train.csv', test: 'test.csv', split: { validation: 0.25, seed: 9 } }, configPath).validation), val);
  assert.notDeepEqual(ids(loadSplits({ train: 'train.csv', test: 'test.csv', split: { validation: 0.25, seed: 10 } }, configPath).validation), val);
  assert.notDeepEqual(val, Array.from({ length: 50 }, (_, i) => 150 + i));
  // The default share is 0.2; "shuffle": false takes the file's last rows.
  assert.equal(rowCount(loadSplits({ train: 'train.csv' }, configPath).validation!), 40);
  assert.deepEqual(ids(loadSplits({ train: 'train.csv', split: { validation: 0.1, shuffle: false } }, configPath).validation), Array.from({ length: 20 }, (_, i) => 180 + i));
  // A validation file wins; a share of 0 keeps the whole file for training.
  assert.deepEqual(ids(loadSplits({ train: 'train.csv', validation: 'val.csv', split: { validation: 0.5 } }, configPath).validation), Array.from({ length: 10 }, (_, i) => i));
  // A file too small to give a share (2 rows × 0.2 rounds to 0) keeps its rows, in order.
  writeFiles(dir, { 'two.csv': idCsv(2) });
  const two = loadSplits({ train: 'two.csv' }, configPath);
  assert.deepEqual([ids(two.train), two.validation], [[0, 1], undefined]);
  const none = loadSplits({ train: 'train.csv', split: { validation: 0 } }, configPath);
  assert.equal(none.validation, undefined);
  assert.equal(rowCount(none.train), 200);
});

test('a language model\'s train corpus without a validation file gives a seeded share of its paragraphs', () => {
  const dir = tempDir();
  const paragraphs = Array.from({ length: 40 }, (_, i) => `paragraph ${i} says something`);
  writeFiles(dir, { 'train.txt': paragraphs.join('\n\n') + '\n', 'test.txt': 'held out text\n' });
  const s = loadCorpusSplits({ train: 'train.txt', test: 'test.txt', split: { validation: 0.25, seed: 4 } }, join(dir, 'lm.experiment.json'));
  const trainParts = s.train.split('\n\n');
  const valParts = s.validation!.split('\n\n');
  assert.equal(trainParts.length, 30);
  assert.equal(valParts.length, 10);
  assert.deepEqual([...trainParts, ...valParts].map((p) => p.trim()).sort(), [...paragraphs].sort());
  assert.equal(s.test, 'held out text\n');
});

/** The diagnostics of a regression config over train.csv / test.csv, as "severity path: message". */
function diagnose(extra: Record<string, unknown>, data: Record<string, unknown> = { train: 'train.csv', test: 'test.csv', features: ['x1', 'x2', 'x3'], target: 'y' }): string[] {
  const dir = tempDir();
  const text = regressionConfig({ data, ...extra });
  writeFiles(dir, { 'train.csv': linearCsv(60), 'test.csv': linearCsv(20, 3), 'x.experiment.json': text });
  const { diagnostics } = validateConfigText(text, join(dir, 'x.experiment.json'));
  return diagnostics.filter((d) => d.severity !== 'info').map((d) => `${d.severity} ${d.path}: ${d.message}`);
}

test('train + test files: a sweep ranks by val_loss with no warning; with validation turned off it is warned, at the key', () => {
  assert.deepEqual(diagnose({ sweep: { parameters: { 'training.optimizer.learningRate': [0.001, 0.01] } } }), []);
  const off = diagnose(
    { sweep: { parameters: { 'training.optimizer.learningRate': [0.001, 0.01] } }, training: { optimizer: { type: 'adam', learningRate: 0.01 }, epochs: 3, earlyStopping: {}, checkpoint: { monitor: 'loss' } } },
    { train: 'train.csv', test: 'test.csv', features: ['x1', 'x2', 'x3'], target: 'y', split: { validation: 0 } },
  );
  assert.deepEqual(off, [
    'warning training.earlyStopping: stops when the training "loss" improves no more, since there is no validation data: that rewards overfitting ("data.split.validation" carves a share of the training data for validation, e.g. 0.2)',
    'warning training.checkpoint.monitor: keeps the epoch with the best training "loss", since there is no validation data: that rewards overfitting ("data.split.validation" carves a share of the training data for validation, e.g. 0.2)',
    'warning sweep: ranks the runs by the training metric "loss" because there is no validation data: the run that overfits most wins. "data.split.validation" carves a share of the training data for validation, e.g. 0.2',
  ]);
});

test('nothing ranks or stops by the test split: a test metric as sweep metric or monitor is an error', () => {
  const shown = diagnose({ sweep: { parameters: { 'training.optimizer.learningRate': [0.001, 0.01] }, metric: 'test_loss' }, training: { optimizer: { type: 'adam', learningRate: 0.01 }, epochs: 3, earlyStopping: { monitor: 'test_mae' } } });
  assert.deepEqual(shown, [
    'error training.earlyStopping.monitor: "test_mae" is a test metric: the test split is only for the final evaluation, so nothing stops, slows or keeps a checkpoint by it; monitor a validation metric (e.g. "val_loss")',
    'error sweep.metric: "test_loss" is a test metric: the test split is only for the final evaluation, so no sweep ranks by it; rank by a validation metric (e.g. "val_loss")',
  ]);
});

test('a sweep ranked by a training metric although validation exists is told to rank by its validation twin', () => {
  assert.deepEqual(diagnose({ sweep: { parameters: { 'training.optimizer.learningRate': [0.001, 0.01] }, metric: 'mae' } }), [
    'warning sweep.metric: "mae" is measured on the training data, so the run that overfits most wins; rank by "val_mae"',
  ]);
  assert.deepEqual(diagnose({ sweep: { parameters: { 'training.optimizer.learningRate': [0.001, 0.01] }, metric: 'val_mae' } }), []);
});

test('the pipeline diagram shows validation carved out of the training file', () => {
  const config = JSON.parse(regressionConfig({ data: { train: 'train.csv', test: 'test.csv', features: ['x1', 'x2', 'x3'], target: 'y', split: { validation: 0.15, seed: 8 } } })) as ExperimentConfig;
  const text = pipelineMermaid(config);
  assert.match(text, /given splits: train, test/);
  assert.match(text, /validation: 15 % of train/);
  assert.match(text, /seeded shuffle \(seed 8\)/);
});

