// k-fold cross-validation: the fold splitter (seeded, disjoint, complete,
// stratified, refusing too few rows of a class), the mean and spread of the
// folds' metrics, the loaders' folds of real files, grouping fold runs, and
// the config rules.

import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { foldAssignment, FoldError, foldRows, foldStat, foldStats, groupFolds, isFoldGroup } from '../../src/core/crossValidation';
import { hasValidationData } from '../../src/core/splitPlan';
import type { Table } from '../../src/core/table';
import { validateConfigText } from '../../src/node/configValidation';
import { loadSplits } from '../../src/node/dataFiles';
import { linearCsv, regressionConfig, tempDir, writeFiles } from '../helpers/fixtures';

function counts(values: readonly unknown[]): Map<string, number> {
  const m = new Map<string, number>();
  for (const v of values) m.set(String(v), (m.get(String(v)) ?? 0) + 1);
  return m;
}

test('folds: every row in exactly one fold, sizes within one, the same for the same seed and different for another', () => {
  const a = foldAssignment(103, 5, 7);
  assert.equal(a.length, 103);
  const sizes = [0, 1, 2, 3, 4].map((f) => a.filter((x) => x === f).length);
  assert.deepEqual(sizes.sort(), [20, 20, 21, 21, 21]);
  assert.deepEqual(foldAssignment(103, 5, 7), a);
  assert.notDeepEqual(foldAssignment(103, 5, 8), a);
  // Each fold's validation and training rows partition the rows, and the validations of all folds too.
  const seen = new Set<number>();
  for (let f = 0; f < 5; f++) {
    const { train, validation } = foldRows(a, f);
    assert.equal(train.length + validation.length, 103);
    assert.ok(validation.every((r) => !train.includes(r)));
    for (const r of validation) {
      assert.ok(!seen.has(r), `row ${r} validates twice`);
      seen.add(r);
    }
  }
  assert.equal(seen.size, 103);
});

test('stratified folds hold each class in proportion (within one row per class)', () => {
  // 60 a, 30 b, 12 c, shuffled in the file.
  const labels = [...Array(60).fill('a'), ...Array(30).fill('b'), ...Array(12).fill('c')];
  // Interleaved (37 is prime to 102), so the file order does not hold the classes together.
  const mixed = labels.map((_, i) => labels[(i * 37) % labels.length]);
  const a = foldAssignment(mixed.length, 3, 11, mixed);
  for (let f = 0; f < 3; f++) {
    const c = counts(mixed.filter((_, i) => a[i] === f));
    assert.equal(c.get('a'), 20, `fold ${f}: ${[...c]}`);
    assert.equal(c.get('b'), 10);
    assert.equal(c.get('c'), 4);
  }
  // 5 folds of 60/30/12: a class of 12 gives 2 or 3 per fold, never 0 or 4.
  const five = foldAssignment(mixed.length, 5, 11, mixed);
  for (let f = 0; f < 5; f++) {
    const c = counts(mixed.filter((_, i) => five[i] === f));
    assert.equal(c.get('a'), 12);
    assert.equal(c.get('b'), 6);
    assert.ok(c.get('c') === 2 || c.get('c') === 3, `fold ${f}: c ${c.get('c')}`);
  }
  // Fold sizes stay within one row of each other across classes too.
  const sizes = [0, 1, 2, 3, 4].map((f) => five.filter((x) => x === f).length);
  assert.ok(Math.max(...sizes) - Math.min(...sizes) <= 1, sizes.join(' '));
});

test('a class with fewer rows than folds, too few rows, or a bad k is refused, naming it', () => {
  const labels = [...Array(20).fill('cat'), ...Array(3).fill('dog')];
  assert.throws(() => foldAssignment(labels.length, 5, 1, labels), (e: Error) => e instanceof FoldError && /5 stratified folds need at least 5 rows of each class; too few of "dog" \(3\)/.test(e.message));
  assert.doesNotThrow(() => foldAssignment(labels.length, 3, 1, labels));
  assert.throws(() => foldAssignment(4, 5, 1), /5 folds need at least 5 training rows; there are 4/);
  assert.throws(() => foldAssignment(10, 1, 1), /folds must be a whole number ≥ 2, not 1/);
  assert.throws(() => foldAssignment(10, 2.5, 1), /not 2.5/);
});

test('mean and spread: population std, min and max; a metric missing from a fold is left out', () => {
  const s = foldStat([2, 4, 4, 4, 5, 5, 7, 9])!;
  assert.equal(s.mean, 5);
  assert.equal(s.std, 2);
  assert.equal(s.min, 2);
  assert.equal(s.max, 9);
  assert.equal(s.n, 8);
  assert.equal(foldStat([]), undefined);
  const stats = foldStats([{ val_loss: 1, val_mae: 0.5 }, { val_loss: 3 }, undefined, { val_loss: 2, val_mae: 0.7 }]);
  assert.deepEqual(Object.keys(stats), ['val_loss']);
  assert.equal(stats.val_loss.mean, 2);
  assert.ok(Math.abs(stats.val_loss.std - Math.sqrt(2 / 3)) < 1e-12);
});

test('fold runs are listed as one group at their first fold, in fold order; other runs stay where they were', () => {
  const runs = [
    { id: 'a' },
    { id: 'f2', fold: { id: 'cv-1', index: 2, k: 3 } },
    { id: 'b' },
    { id: 'f0', fold: { id: 'cv-1', index: 0, k: 3 } },
    { id: 'f1', fold: { id: 'cv-1', index: 1, k: 3 } },
  ];
  const grouped = groupFolds(runs, (r) => r);
  assert.equal(grouped.length, 3);
  assert.equal((grouped[0] as { id: string }).id, 'a');
  assert.ok(isFoldGroup(grouped[1]));
  if (isFoldGroup(grouped[1])) assert.deepEqual(grouped[1].runs.map((r) => r.id), ['f0', 'f1', 'f2']);
  assert.equal((grouped[2] as { id: string }).id, 'b');
});

function ids(t: Table | undefined): number[] {
  return t ? t.rows.map((r) => Number(r.id)) : [];
}

test('the loaders: fold i validates on its share of train + validation files, the test file untouched; stratified by the target', () => {
  const dir = tempDir();
  const rows = (from: number, n: number) => Array.from({ length: n }, (_, i) => `${from + i},${(from + i) * 0.5},${(from + i) % 4 === 0 ? 'rare' : 'common'}`);
  writeFiles(dir, {
    'train.csv': ['id,x,label', ...rows(0, 50)].join('\n') + '\n',
    'val.csv': ['id,x,label', ...rows(100, 10)].join('\n') + '\n',
    'test.csv': ['id,x,label', ...rows(500, 8)].join('\n') + '\n',
  });
  const data = { train: 'train.csv', validation: 'val.csv', test: 'test.csv', features: ['x'], target: 'label', split: { seed: 3 } };
  const configPath = join(dir, 'x.experiment.json');
  const all = new Set<number>();
  for (let i = 0; i < 4; i++) {
    const s = loadSplits(data, configPath, { kind: 'fold', index: i, k: 4, stratify: true });
    assert.deepEqual(ids(s.test), [500, 501, 502, 503, 504, 505, 506, 507]);
    assert.equal(ids(s.train).length + ids(s.validation).length, 60);
    const rare = s.validation!.rows.filter((r) => r.label === 'rare').length;
    assert.equal(rare, 4, `fold ${i}: ${rare} rare rows of 15 (16 of 60 overall)`);
    for (const id of ids(s.validation)) {
      assert.ok(!all.has(id));
      all.add(id);
    }
  }
  assert.equal(all.size, 60);
  // All the training data for a retrain: train then validation file, no validation, the same test.
  const retrain = loadSplits(data, configPath, { kind: 'all' });
  assert.equal(ids(retrain.train).length, 60);
  assert.equal(retrain.validation, undefined);
  assert.equal(ids(retrain.test).length, 8);
  // A class too small for the folds: the error names the file and the class.
  assert.throws(() => loadSplits(data, configPath, { kind: 'fold', index: 0, k: 20, stratify: true }), (e: Error) => /train\.csv/.test(e.message) && /too few of "rare" \(16\)/.test(e.message));
});

test('with "source", the folds split what is left after the same test share as a run without folds', () => {
  const dir = tempDir();
  writeFiles(dir, { 'all.csv': ['id,x,y', ...Array.from({ length: 100 }, (_, i) => `${i},${i},${i * 2}`)].join('\n') + '\n' });
  const data = { source: 'all.csv', features: ['x'], target: 'y', split: { validation: 0.2, test: 0.1, seed: 9 } };
  const configPath = join(dir, 'x.experiment.json');
  const plain = loadSplits(data, configPath);
  const fold = loadSplits(data, configPath, { kind: 'fold', index: 1, k: 3, stratify: false });
  assert.deepEqual(ids(fold.test), ids(plain.test));
  assert.equal(ids(fold.train).length + ids(fold.validation).length, 90);
});

test('config rules: crossValidation is schema-checked, gives validation data, and is refused for a language model', () => {
  const base = JSON.parse(regressionConfig({ training: { epochs: 2, crossValidation: { folds: 5 } } }));
  assert.ok(hasValidationData({ ...base, data: { ...base.data, split: { validation: 0, test: 0.2 } } }));
  const dir = tempDir();
  writeFiles(dir, { 'data.csv': linearCsv(40) });
  assert.deepEqual(validateConfigText(JSON.stringify(base), join(dir, 'ok.experiment.json')).diagnostics.filter((x) => x.severity === 'error'), []);
  writeFiles(dir, { 'c.txt': 'hello world '.repeat(50) });
  const lm = { name: 'lm', task: 'language-model', data: { source: 'c.txt' }, model: { type: 'transformerDecoder' }, training: { epochs: 1, crossValidation: { folds: 3 } } };
  const d = validateConfigText(JSON.stringify(lm), join(dir, 'lm.experiment.json')).diagnostics;
  assert.ok(d.some((x) => x.severity === 'error' && /not available for a language model/.test(x.message)), d.map((x) => x.message).join('\n'));
  const bad = validateConfigText(JSON.stringify({ ...base, training: { crossValidation: { folds: 1 } } }), join(dir, 'r.experiment.json')).diagnostics;
  assert.ok(bad.some((x) => x.severity === 'error' && /folds/.test(x.path + x.message)), bad.map((x) => `${x.path}: ${x.message}`).join('\n'));
});

test('the compare chart draws a cross-validation as one band per metric: the folds\' mean, min and max where every fold has a point', async () => {
  const { foldBands } = await import('../../webview/src/compare/foldBands');
  const s = (runId: string, key: string, y: number[], extra: Partial<{ smoothed: boolean; x: number[] }> = {}) => ({ runId, key, kind: 'epoch' as const, smoothed: extra.smoothed ?? false, x: extra.x ?? y.map((_, i) => i + 1), y, rawCount: y.length });
  const folds = new Map([['f0', { id: 'cv-1', k: 3 }], ['f1', { id: 'cv-1', k: 3 }], ['f2', { id: 'cv-1', k: 3 }]]);
  const series = [s('f0', 'val_loss', [3, 2, 1]), s('f1', 'val_loss', [5, 4, 2]), s('f2', 'val_loss', [4, 3], { x: [1, 2] }), s('other', 'val_loss', [9, 9, 9])];
  const { bands, banded } = foldBands(series, folds);
  assert.equal(bands.length, 1);
  assert.deepEqual(bands[0].x, [1, 2], 'only where every fold has a point');
  assert.deepEqual(bands[0].mean, [4, 3]);
  assert.deepEqual(bands[0].min, [3, 2]);
  assert.deepEqual(bands[0].max, [5, 4]);
  assert.deepEqual([...banded].sort(), ['f0\u0000val_loss', 'f1\u0000val_loss', 'f2\u0000val_loss']);
  // With smoothing the band follows the smoothed curves; a lone fold in the chart makes no band.
  const smooth = foldBands([s('f0', 'loss', [1, 1]), s('f0', 'loss', [2, 2], { smoothed: true }), s('f1', 'loss', [3, 3]), s('f1', 'loss', [4, 4], { smoothed: true })], folds).bands;
  assert.equal(smooth.length, 1);
  assert.deepEqual(smooth[0].mean, [3, 3]);
  assert.equal(foldBands([s('f0', 'loss', [1])], folds).bands.length, 0);
});

test('a cross-validated grid sweep as a plan of fold runs: run i trains fold i mod k of point ⌊i/k⌋, one fold group per point', async () => {
  const { foldSweepPlan } = await import('../../src/core/crossValidation');
  const { planSweep } = await import('../../src/core/sweepPlan');
  const base = planSweep({ parameters: { 'training.optimizer.learningRate': [0.1, 0.01] } }, 'minimize');
  let n = 0;
  const { plan, foldOf } = foldSweepPlan(base, 3, () => `cv-${n++}`);
  assert.equal(plan.total, 6);
  const runs = Array.from({ length: 6 }, (_, i) => plan.point(i, []));
  assert.deepEqual(runs.map((p) => p.index), [0, 0, 0, 1, 1, 1]);
  assert.deepEqual(runs.map((p) => p.params['training.optimizer.learningRate']), [0.1, 0.1, 0.1, 0.01, 0.01, 0.01]);
  assert.deepEqual(runs.map((p) => foldOf(p)), [0, 1, 2, 0, 1, 2].map((index, i) => ({ id: `cv-${i < 3 ? 0 : 1}`, index, k: 3 })));
});

test('a cross-validated bayes sweep: each point drawn when its first fold starts, from the points whose folds all finished, valued by their mean', async () => {
  const { foldSweepPlan } = await import('../../src/core/crossValidation');
  const { planSweep } = await import('../../src/core/sweepPlan');
  const sweep = { method: 'bayes' as const, count: 6, seed: 3, parameters: { 'training.optimizer.learningRate': { min: 0.001, max: 0.1, scale: 'log' as const }, 'model.layers[0].units': [8, 32] } };
  const loss = (p: Record<string, unknown>, fold: number) => (Math.log10(p['training.optimizer.learningRate'] as number) + 2) ** 2 + (p['model.layers[0].units'] === 32 ? 0 : 0.3) + 0.01 * fold;
  const { plan, foldOf } = foldSweepPlan(planSweep(sweep, 'minimize'), 2);
  assert.equal(plan.adaptive, true);
  assert.equal(plan.total, 12);
  // One at a time: fold runs finish in order; a point's value for the sampler is its two folds' mean.
  const runs: { params: Record<string, unknown>; value: number | undefined }[] = [];
  const points: { params: Record<string, unknown>; value: number | undefined }[] = [];
  for (let i = 0; i < plan.total; i++) {
    const p = plan.point(i, runs);
    assert.equal(p.index, Math.floor(i / 2));
    assert.deepEqual(foldOf(p), { id: foldOf(plan.point(i - (i % 2), runs))!.id, index: i % 2, k: 2 });
    // Its second fold trains the same values as its first, whatever finished in between.
    if (i % 2 === 1) assert.deepEqual(p.params, runs[i - 1].params);
    const value = i === 5 ? undefined : loss(p.params, i % 2); // a fold of point 2 fails
    runs.push({ params: p.params, value });
    if (i % 2 === 1) points.push({ params: p.params, value: runs[i - 1].value === undefined || value === undefined ? undefined : (runs[i - 1].value! + value) / 2 });
  }
  // The same points as the unfolded plan answering the points' means (a point with a failed fold: no value).
  const direct = planSweep(sweep, 'minimize');
  for (let j = 0; j < 6; j++) assert.deepEqual(direct.point(j, points.slice(0, j)).params, points[j].params, `point ${j}`);
  assert.equal(points[2].value, undefined);
});

test('the folds\' epoch curves as bands: at each epoch two or more folds reached, their mean and std per metric, placed at the shown fold\'s steps', async () => {
  const { foldEpochBands } = await import('../../src/core/crossValidation');
  const epoch = (e: number, step: number, values: Record<string, number>) => ({ kind: 'epoch' as const, step, epoch: e, time: 0, values });
  const stepPoint = { kind: 'step' as const, step: 1, epoch: 1, time: 0, values: { loss: 99 } };
  const shown = [stepPoint, epoch(1, 10, { loss: 1, val_loss: 2, 'system/cpu': 50 }), epoch(2, 20, { loss: 0.5, val_loss: 1 })];
  const other = [epoch(1, 12, { loss: 3, val_loss: 4, 'system/cpu': 10 }), epoch(2, 24, { loss: 1.5, val_loss: 3 }), epoch(3, 36, { loss: 1, val_loss: 2 })];
  // A resumed fold logged epoch 1 twice: its last line counts.
  const third = [epoch(1, 8, { loss: 9, val_loss: 9 }), epoch(1, 8, { loss: 2, val_loss: 3 })];
  const bands = foldEpochBands([shown, other, third], shown);
  assert.deepEqual(bands.map((b) => b.key), ['loss', 'val_loss'], 'no system/ keys, no step values');
  const loss = bands[0];
  // Epoch 3: one fold only, no band there.
  assert.deepEqual(loss.epochs, [1, 2]);
  assert.deepEqual(loss.steps, [10, 20]);
  assert.deepEqual(loss.folds, [3, 2]);
  assert.deepEqual(loss.mean, [2, 1]);
  assert.ok(Math.abs(loss.std[0] - Math.sqrt(2 / 3)) < 1e-12 && Math.abs(loss.std[1] - 0.5) < 1e-12, loss.std.join(' '));
  // The shown fold not at an epoch the others reached: no step for it (the step axis leaves that point out).
  assert.deepEqual(foldEpochBands([other, third, other], third)[0].steps, [8, null, null]);
});
