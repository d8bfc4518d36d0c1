import assert from 'node:assert/strict';
import { test } from 'node:test';
import { checkDataFiles, checkExportPath, checkSplitAndMonitors, checkTransformerOnlyKeys, columnChecker, didYouMean, editDistance, isCorpusFile } from '../../src/core/configRules/shared';
import type { DataProbe, RuleReport } from '../../src/core/configRules/shared';
import { DataError } from '../../src/core/table';
import type { ExperimentConfig } from '../../src/core/types';

type Reported = [string, string, string, boolean?];
function collect(): { report: RuleReport; out: Reported[] } {
  const out: Reported[] = [];
  return { out, report: (path, severity, message, keyOnly) => out.push(keyOnly === undefined ? [path.join('.'), severity, message] : [path.join('.'), severity, message, keyOnly]) };
}

function cfg(data: Partial<ExperimentConfig['data']>, rest: Partial<ExperimentConfig> = {}): ExperimentConfig {
  return { name: 't', task: 'regression', data: { ...data } as ExperimentConfig['data'], model: { layers: [{ type: 'dense', units: 1 }] }, training: {}, ...rest } as ExperimentConfig;
}

const files: Record<string, 'file' | 'missing' | 'other'> = { 'a.csv': 'file', 'b.csv': 'file', 'c.txt': 'file', 'dir': 'other', 'bad.csv': 'file' };
const probe: DataProbe = {
  refusal: (p) => (p.startsWith('../') ? `${p} is outside the workspace` : undefined),
  where: (p) => `/w/${p}`,
  kind: (p) => files[p] ?? 'missing',
  columns: (p) => (p === 'bad.csv' ? new DataError(p, 2, 'broken') : p === 'a.csv' ? ['x', 'y'] : ['p', 'q']),
};

test('editDistance and didYouMean', () => {
  assert.equal(editDistance('kitten', 'sitting'), 3);
  assert.equal(editDistance('', 'abc'), 3);
  assert.equal(editDistance('abc', ''), 3);
  assert.equal(editDistance('Epochs', 'epochs'), 0);
  assert.equal(editDistance('ab', 'ba'), 2);
  assert.equal(editDistance('flaw', 'lawn'), 2);
  assert.equal(didYouMean('epoch', ['epochs', 'batchSize']), 'epochs');
  assert.equal(didYouMean('zzzzzz', ['epochs', 'batchSize']), undefined);
  assert.equal(didYouMean('x', []), undefined);
  // up to 2 edits, or a third of the word's length
  assert.equal(didYouMean('abcd', ['abxy']), 'abxy');
  assert.equal(didYouMean('abcd', ['axyz']), undefined);
  assert.equal(didYouMean('abcdefghijkl', ['abcdefghixyz']), 'abcdefghixyz');
  assert.equal(didYouMean('abcdefghijkl', ['abcdefghwxyz']), 'abcdefghwxyz');
  assert.equal(didYouMean('abcdefghijkl', ['abcdefgvwxyz']), undefined);
  // the first of equally close candidates
  assert.equal(didYouMean('cat', ['bat', 'hat']), 'bat');
});

test('columnChecker: unknown columns with a suggestion and the first 12 columns', () => {
  const { report, out } = collect();
  const check = columnChecker(['x1', 'x2', 'y'], report);
  check(['data', 'target'], 'y');
  check(['data', 'target'], 'x3');
  check(['data', 'features', 0], 'zzzz');
  assert.deepEqual(out, [
    ['data.target', 'error', 'unknown column "x3" — did you mean "x1"? (the data has: x1, x2, y)'],
    ['data.features.0', 'error', 'unknown column "zzzz" (the data has: x1, x2, y)'],
  ]);
  const many = Array.from({ length: 13 }, (_, i) => `c${i}`);
  const m = collect();
  columnChecker(many, m.report)(['data', 'target'], 'nothing-like-it');
  assert.equal(m.out[0][2], `unknown column "nothing-like-it" (the data has: ${many.slice(0, 12).join(', ')}, …)`);
  const twelve = collect();
  columnChecker(many.slice(0, 12), twelve.report)(['data', 'target'], 'nothing-like-it');
  assert.ok(!twelve.out[0][2].includes('…'));
  const none = collect();
  columnChecker(undefined, none.report)(['data', 'target'], 'x');
  assert.deepEqual(none.out, []);
});

test('isCorpusFile: "txt" format, or a .txt extension when no format is given', () => {
  assert.equal(isCorpusFile('a.txt', undefined), true);
  assert.equal(isCorpusFile('dir/A.TXT', undefined), true);
  assert.equal(isCorpusFile('dir.txt/a', undefined), false);
  assert.equal(isCorpusFile('dir.txt\\a', undefined), false);
  assert.equal(isCorpusFile('.txt', undefined), false);
  assert.equal(isCorpusFile('dir/.txt', undefined), false);
  assert.equal(isCorpusFile('dir\\.txt', undefined), false);
  assert.equal(isCorpusFile('a.csv', 'txt'), true);
  assert.equal(isCorpusFile('a.txt', 'csv'), false);
  assert.equal(isCorpusFile('a.csv', undefined), false);
});

test('checkDataFiles: source or train, each file allowed, present, a file, of the right kind; the first columns', () => {
  const r = collect();
  assert.deepEqual(checkDataFiles(cfg({ source: 'a.csv' }), probe, r.report), ['x', 'y']);
  assert.deepEqual(r.out, []);
  const both = collect();
  assert.deepEqual(checkDataFiles(cfg({ source: 'a.csv', train: 'b.csv' }), probe, both.report), ['x', 'y']);
  assert.deepEqual(both.out, [['data.train', 'error', 'give either "source" (one file, split by "split") or "train" (with optional "validation" and "test"), not both']]);
  const bothSplit = collect();
  checkDataFiles(cfg({ source: 'a.csv', train: 'b.csv', split: { validation: 0.1 } }), probe, bothSplit.report);
  assert.deepEqual(bothSplit.out.map((r) => r[0]), ['data.train']);
  const trainOnly = collect();
  checkDataFiles(cfg({ train: 'b.csv' }), probe, trainOnly.report);
  assert.deepEqual(trainOnly.out, []);
  const none = collect();
  assert.equal(checkDataFiles(cfg({}), probe, none.report), undefined);
  assert.deepEqual(none.out, [['data', 'error', 'data needs a "source" file (or a "train" file)']]);
  const split = collect();
  assert.deepEqual(checkDataFiles(cfg({ train: 'b.csv', validation: 'a.csv', split: { validation: 0.1 } }), probe, split.report), ['p', 'q']);
  assert.deepEqual(split.out, [['data.split.validation', 'warning', 'ignored: validation comes from the "validation" file', true]]);
  // Without a validation file the split carves validation out of train: only "test" is ignored.
  const carve = collect();
  checkDataFiles(cfg({ train: 'b.csv', test: 'a.csv', split: { validation: 0.1, seed: 3, test: 0.2 } }), probe, carve.report);
  assert.deepEqual(carve.out, [['data.split.test', 'warning', 'ignored: the test split is the "test" file', true]]);
  const problems = collect();
  assert.deepEqual(checkDataFiles(cfg({ train: '../x.csv', validation: 'gone.csv', test: 'dir' }), probe, problems.report), undefined);
  assert.deepEqual(problems.out, [
    ['data.train', 'error', '../x.csv is outside the workspace'],
    ['data.validation', 'error', 'data file not found: gone.csv (looked for /w/gone.csv)'],
    ['data.test', 'error', 'not a file: dir'],
  ]);
  const unreadable = collect();
  assert.deepEqual(checkDataFiles(cfg({ train: 'bad.csv', validation: 'a.csv' }), probe, unreadable.report), ['x', 'y']);
  assert.deepEqual(unreadable.out, [['data.train', 'error', 'broken']]);
  const text = collect();
  assert.equal(checkDataFiles(cfg({ source: 'c.txt' }), probe, text.report), undefined);
  assert.deepEqual(text.out, [['data.source', 'error', 'c.txt is plain text; a regression model reads a table (csv, json or jsonl). For a text corpus use "task": "language-model"']]);
  const lm = collect();
  assert.equal(checkDataFiles(cfg({ source: 'a.csv' }, { task: 'language-model' }), probe, lm.report), undefined);
  assert.deepEqual(lm.out, [['data.source', 'error', 'a language model learns from plain text: give a .txt file (or set "format": "txt"), not a.csv']]);
  const corpus = collect();
  assert.equal(checkDataFiles(cfg({ source: 'c.txt' }, { task: 'language-model' }), probe, corpus.report), undefined);
  assert.deepEqual(corpus.out, []);
});

test('checkExportPath: a refused export folder is an error there', () => {
  const r = collect();
  checkExportPath(cfg({ source: 'a.csv' }, { deployment: { export: '../out' } } as Partial<ExperimentConfig>), probe, r.report);
  checkExportPath(cfg({ source: 'a.csv' }, { deployment: { export: 'model/' } } as Partial<ExperimentConfig>), probe, r.report);
  checkExportPath(cfg({ source: 'a.csv' }), probe, r.report);
  assert.deepEqual(r.out, [['deployment.export', 'error', '../out is outside the workspace']]);
});

test('checkTransformerOnlyKeys: Transformer settings on another model, underlined at the key', () => {
  const r = collect();
  checkTransformerOnlyKeys(cfg({}, { model: { layers: [{ type: 'dense', units: 1 }], heads: 2, pooling: 'mean' } } as unknown as Partial<ExperimentConfig>), r.report);
  assert.deepEqual(r.out, [
    ['model.heads', 'error', '"heads" is a Transformer setting: add "type": "transformerEncoder" (or "transformerDecoder"), or remove it', true],
    ['model.pooling', 'error', '"pooling" is a Transformer setting: add "type": "transformerEncoder" (or "transformerDecoder"), or remove it', true],
  ]);
  const t = collect();
  checkTransformerOnlyKeys(cfg({}, { model: { type: 'transformerEncoder', heads: 2 } } as unknown as Partial<ExperimentConfig>), t.report);
  assert.deepEqual(t.out, []);
});

test('checkSplitAndMonitors: too little left to train on; validation monitors without validation data', () => {
  const r = collect();
  checkSplitAndMonitors(cfg({ source: 'a.csv', split: { validation: 0.5, test: 0.4 } }), r.report);
  assert.deepEqual(r.out, [['data.split', 'error', 'validation + test take 90% of the data, leaving too little to train on']]);
  const defaults = collect();
  checkSplitAndMonitors(cfg({ source: 'a.csv', split: { validation: 0.8 } }), defaults.report);
  assert.deepEqual(defaults.out, [['data.split', 'error', 'validation + test take 90% of the data, leaving too little to train on']]);
  const fine = collect();
  checkSplitAndMonitors(cfg({ source: 'a.csv', split: { validation: 0.5, test: 0.39 } }), fine.report);
  checkSplitAndMonitors(cfg({ source: 'a.csv', split: { test: 0.7 } }), fine.report);
  assert.deepEqual(fine.out, []);
  const noVal = collect();
  checkSplitAndMonitors(cfg({ source: 'a.csv', split: { validation: 0 } }, { training: { earlyStopping: {}, reduceLrOnPlateau: { monitor: 'loss' }, checkpoint: { monitor: 'val_mae' } } } as Partial<ExperimentConfig>), noVal.report);
  const hint = '"data.split.validation" carves a share of the training data for validation, e.g. 0.2';
  assert.deepEqual(noVal.out, [
    ['training.earlyStopping', 'warning', `stops when the training "loss" improves no more, since there is no validation data: that rewards overfitting (${hint})`],
    ['training.checkpoint.monitor', 'error', `monitors "val_mae" but there is no validation data (${hint})`],
  ]);
  const trainOnly = collect();
  checkSplitAndMonitors(cfg({ train: 'a.csv', split: { validation: 0 } }, { training: { earlyStopping: { monitor: 'val_loss' }, checkpoint: {} } } as Partial<ExperimentConfig>), trainOnly.report);
  assert.deepEqual(trainOnly.out, [
    ['training.earlyStopping.monitor', 'error', `monitors "val_loss" but there is no validation data (${hint})`],
    ['training.checkpoint', 'warning', `keeps the epoch with the best training "loss", since there is no validation data: that rewards overfitting (${hint})`],
  ]);
  // The test split is for the final evaluation only: no callback watches it.
  const test = collect();
  checkSplitAndMonitors(cfg({ train: 'a.csv', test: 'b.csv' }, { training: { earlyStopping: { monitor: 'test_loss' }, reduceLrOnPlateau: { monitor: 'test_accuracy' }, checkpoint: { monitor: 'val_loss' } } } as Partial<ExperimentConfig>), test.report);
  assert.deepEqual(test.out.map((o) => [o[0], o[1]]), [['training.earlyStopping.monitor', 'error'], ['training.reduceLrOnPlateau.monitor', 'error']]);
  assert.match(test.out[0][2], /"test_loss" is a test metric: the test split is only for the final evaluation/);
  // Carving validation out of the training file: too large a share is refused.
  const carveAll = collect();
  checkSplitAndMonitors(cfg({ train: 'a.csv', split: { validation: 0.95 } }), carveAll.report);
  assert.deepEqual(carveAll.out, [['data.split.validation', 'error', 'validation takes 95% of the training file, leaving too little to train on']]);
  const withVal = collect();
  checkSplitAndMonitors(cfg({ train: 'a.csv', validation: 'b.csv' }, { training: { earlyStopping: {} } } as Partial<ExperimentConfig>), withVal.report);
  checkSplitAndMonitors(cfg({ train: 'a.csv', test: 'b.csv' }, { training: { earlyStopping: {}, checkpoint: { monitor: 'val_loss' } } } as Partial<ExperimentConfig>), withVal.report);
  checkSplitAndMonitors(cfg({ source: 'a.csv' }, { training: { earlyStopping: {} } } as Partial<ExperimentConfig>), withVal.report);
  assert.deepEqual(withVal.out, []);
});
