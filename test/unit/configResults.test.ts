// What each value of a setting gave, for a sweep whose outcome is known.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { bestRunBySweep, differingPaths, ENGLISH_HINT_WORDS, formatKeyHint, keyHintLabels, keyHintOffset, keyHintParts, rankRuns, runMetrics, shortRunId, summarizeConfigResults } from '../../src/core/configResults';
import type { RunResultInput } from '../../src/core/configResults';
import type { RunListEntry } from '../../src/node/runStoreReader';
import type { RunMeta } from '../../src/core/types';
import { RunResultsCache } from '../../src/host/runs/runResults';

function resolved(lr: number, units: number, epochs = 10): unknown {
  return {
    name: 'house-prices-sweep',
    description: 'anything',
    task: 'regression',
    data: { source: 'data/houses.csv', features: ['a', 'b'], target: 'price', split: { validation: 0.2, test: 0.1, seed: 42, shuffle: true } },
    model: { layers: [{ type: 'dense', units, activation: 'relu' }, { type: 'dense', units: 1 }] },
    training: { optimizer: { type: 'adam', learningRate: lr }, loss: 'mse', metrics: ['mae'], epochs, batchSize: 32, seed: 1 },
    configPath: '/ws/house-prices-sweep.experiment.json',
  };
}

function run(id: string, lr: number, units: number, valLoss: number | undefined, epochs?: number): RunResultInput {
  return { id, config: resolved(lr, units, epochs), metrics: valLoss === undefined ? { loss: 0.5 } : { loss: valLoss * 0.9, val_loss: valLoss } };
}

// A 2 × 2 grid (learning rate × hidden units), then one run after editing the file (lr 0.003, 20 epochs).
const grid = [run('r1-aaaa', 0.001, 8, 0.5), run('r2-bbbb', 0.001, 64, 0.31), run('r3-cccc', 0.01, 8, 0.25), run('r4-dddd', 0.01, 64, 0.21)];
const edited = run('r5-eeee', 0.003, 64, 0.19, 20);

test('each differing setting shows what each value gave; the best run\'s values get the ★', () => {
  const results = summarizeConfigResults([...grid, edited]);
  assert.equal(results.metric, 'val_loss');
  assert.equal(results.goal, 'minimize');
  assert.equal(results.runs, 5);
  assert.deepEqual(results.best, { runId: 'r5-eeee', value: 0.19 });
  // config order; name, description and configPath are not settings
  assert.deepEqual(results.keys.map((k) => k.path), ['model.layers[0].units', 'training.optimizer.learningRate', 'training.epochs']);
  const hints = Object.fromEntries(results.keys.map((k) => [k.path, formatKeyHint(k, results)]));
  assert.deepEqual(hints, {
    'model.layers[0].units': 'val_loss: 8 → 0.25 · 64 → 0.19 ★ (5 runs)',
    'training.optimizer.learningRate': 'val_loss: 0.001 → 0.31 · 0.003 → 0.19 ★ · 0.01 → 0.21 (5 runs)',
    'training.epochs': 'val_loss: 10 → 0.21 · 20 → 0.19 ★ (5 runs)',
  });
  // the editor shows each value as a hint of its own; a click opens that value's best run
  assert.deepEqual(keyHintParts(results.keys[0], results).map((p) => [p.text, p.value?.bestRunId]), [
    ['8 → 0.25', 'r3-cccc'],
    ['64 → 0.19 ★', 'r5-eeee'],
    ['(5 runs)', undefined],
  ]);
  // a value several runs share: its best run, and the mean of all of them
  const lr = results.keys[1].values.find((v) => v.value === 0.001)!;
  assert.deepEqual([lr.runs, lr.best, lr.bestRunId, lr.mean], [2, 0.31, 'r2-bbbb', (0.5 + 0.31) / 2]);
  assert.deepEqual(lr.runIds, ['r1-aaaa', 'r2-bbbb']);
});

test('the sweep\'s own metric and goal rank the values', () => {
  const runs = grid.map((r, i) => ({ ...r, metrics: { ...r.metrics, val_accuracy: [0.7, 0.8, 0.9, 0.85][i] } }));
  const results = summarizeConfigResults(runs, { metric: 'val_accuracy' });
  assert.equal(results.goal, 'maximize');
  assert.deepEqual(results.best, { runId: 'r3-cccc', value: 0.9 });
  assert.equal(formatKeyHint(results.keys[1], results), 'val_accuracy: 0.001 → 0.8 · 0.01 → 0.9 ★ (4 runs)');
  assert.deepEqual(rankRuns(runs, 'val_accuracy', 'maximize').map((r) => r.id), ['r3-cccc', 'r4-dddd', 'r2-bbbb', 'r1-aaaa']);
});

test('runs without the metric count but rank last; without val_loss anywhere, loss is used', () => {
  const results = summarizeConfigResults([...grid.slice(0, 2), run('r9-ffff', 0.1, 8, undefined)]);
  assert.equal(results.metric, 'val_loss');
  assert.equal(formatKeyHint(results.keys[1], results), 'val_loss: 0.001 → 0.31 ★ · 0.1 → — (3 runs)');
  assert.equal(summarizeConfigResults([run('a', 0.1, 8, undefined), run('b', 0.2, 8, undefined)]).metric, 'loss');
});

test('one run, or identical runs, differ in nothing', () => {
  assert.deepEqual(summarizeConfigResults([grid[0]]).keys, []);
  assert.deepEqual(summarizeConfigResults([grid[0], { ...grid[0], id: 'again' }]).keys, []);
});

test('lists of objects are compared item by item while they line up, else as one setting', () => {
  const a = { model: { layers: [{ units: 8 }, { units: 1 }] }, data: { features: ['x', 'y'] } };
  const b = { model: { layers: [{ units: 16 }, { units: 1 }] }, data: { features: ['x', 'y', 'z'] } };
  const c = { model: { layers: [{ units: 16 }, { units: 4 }, { units: 1 }] }, data: { features: ['x', 'y'] } };
  assert.deepEqual(differingPaths([a, b]), [['model', 'layers', 0, 'units'], ['data', 'features']]);
  assert.deepEqual(differingPaths([a, b, c]), [['model', 'layers'], ['data', 'features']]);
  // key order does not make a difference
  assert.deepEqual(differingPaths([{ o: { type: 'adam', learningRate: 1 } }, { o: { learningRate: 1, type: 'adam' } }]), []);
});

test('many values: the hint keeps the ★ and the best ones, and counts the rest', () => {
  const runs = [0.1, 0.2, 0.3, 0.4, 0.5, 0.6].map((lr, i) => run(`r${i}`, lr, 8, [0.9, 0.2, 0.8, 0.1, 0.7, 0.3][i]));
  const results = summarizeConfigResults(runs);
  assert.equal(formatKeyHint(results.keys[0], results), 'val_loss: 0.2 → 0.2 · 0.4 → 0.1 ★ · 0.6 → 0.3 · +3 (6 runs)');
});

test('the best run of each sweep, from the runs\' metas', () => {
  const meta = (id: string, sweep: string | undefined, valLoss: number, status: RunMeta['status'] = 'completed'): { id: string; meta: RunMeta } => ({
    id,
    meta: {
      format: 1, id, name: 'x', task: 'regression', configPath: '/c', status, createdAt: '', versions: { modelLab: '0', node: '20' }, seed: 1, epochsPlanned: 1, epochsDone: 1,
      lastMetrics: { val_loss: valLoss + 1 }, bestMetrics: { val_loss: valLoss },
      sweep: sweep ? { id: sweep, index: 0, total: 2, params: {} } : undefined,
    },
  });
  const best = bestRunBySweep([meta('a', 's1', 0.3), meta('b', 's1', 0.2), meta('c', 's1', 0.1, 'stopped'), meta('d', 's2', 0.5), meta('e', undefined, 0.01)]);
  assert.deepEqual([...best.entries()], [['s1', { runId: 'b', metric: 'val_loss', value: 0.2 }], ['s2', { runId: 'd', metric: 'val_loss', value: 0.5 }]]);
  assert.deepEqual(runMetrics(meta('a', undefined, 0.3).meta), { val_loss: 0.3 }, 'the kept epoch, not the last');
  assert.equal(shortRunId('20250102-120000-house-prices-d038'), 'd038');
});

test('the host reads each finished run\'s config once, and leaves out unfinished runs', () => {
  const entry = (id: string, status: RunMeta['status']): RunListEntry => ({
    id,
    dir: `/runs/${id}`,
    warnings: [],
    meta: { format: 1, id, name: 'x', task: 'regression', configPath: '/c', status, createdAt: '', versions: { modelLab: '0', node: '20' }, seed: 1, epochsPlanned: 1, epochsDone: 1, lastMetrics: { val_loss: 1 } },
  });
  const reads: string[] = [];
  const cache = new RunResultsCache({ runsForConfig: () => [entry('a', 'completed'), entry('b', 'running'), entry('c', 'failed'), entry('d', 'completed')] }, (dir) => {
    reads.push(dir);
    if (dir.endsWith('/d')) throw new Error('no config.json');
    return { dir };
  });
  assert.deepEqual(cache.forConfig('/runs', '/c').inputs, [{ id: 'a', config: { dir: '/runs/a' }, metrics: { val_loss: 1 } }]);
  cache.forConfig('/runs', '/c');
  assert.deepEqual(reads, ['/runs/a', '/runs/d', '/runs/d'], 'a is cached; d is tried again');
});

test('the hint stands apart from the value: after its comma, led by the metric, with a margin before each piece and after the last when the line goes on', () => {
  const results = summarizeConfigResults([...grid, edited]);
  const units = results.keys[0]!;
  // "units": 64, on a line of its own: the hint goes after the comma, nothing follows it.
  const own = '{\n  "units": 64,\n  "activation": "relu"\n}';
  const valueEnd = own.indexOf('64') + 2;
  assert.deepEqual(keyHintOffset(own, valueEnd), { offset: valueEnd + 1, lineGoesOn: false });
  const labels = keyHintLabels(units, results, ENGLISH_HINT_WORDS, { lineGoesOn: false });
  assert.deepEqual(labels.map((l) => [l.text, l.paddingLeft, l.paddingRight]), [
    ['val_loss: 8 → 0.25', true, false],
    ['· 64 → 0.19 ★', true, false],
    ['(5 runs)', true, false],
  ]);
  // What the editor shows on that line (each piece drawn after a margin): the value, its comma, then the hint.
  const line = own.slice(own.indexOf('"units"'), valueEnd + 1) + labels.map((l) => ` ${l.text}`).join('');
  assert.equal(line, '"units": 64, val_loss: 8 → 0.25 · 64 → 0.19 ★ (5 runs)');
  assert.doesNotMatch(line, /64 8/);
  // On one line with more settings after it: a margin after the hint too, before the next key.
  const inline = '{ "type": "dense", "units": 64 , "activation": "relu" }';
  const end = inline.indexOf('64') + 2;
  assert.deepEqual(keyHintOffset(inline, end), { offset: inline.indexOf(',', end) + 1, lineGoesOn: true });
  assert.deepEqual(keyHintLabels(units, results, ENGLISH_HINT_WORDS, { lineGoesOn: true }).map((l) => l.paddingRight), [false, false, true]);
  // The last entry of an object has no comma: right after the value.
  const last = '{ "units": 64 }';
  assert.deepEqual(keyHintOffset(last, last.indexOf('64') + 2), { offset: last.indexOf('64') + 2, lineGoesOn: true });
  // A setting not written in the file is shown on its parent, named.
  assert.equal(keyHintLabels(units, results, ENGLISH_HINT_WORDS, { setting: 'units' })[0]!.text, 'val_loss by units: 8 → 0.25');
  // The words come from the caller (the editor's language).
  const zh = keyHintLabels(units, results, { lead: (m) => `${m}：`, runs: (n) => `（${n} 次运行）`, test: (m, v) => `（测试 ${m} ${v}）` });
  assert.deepEqual(zh.map((l) => l.text), ['val_loss： 8 → 0.25', '· 64 → 0.19 ★', '（5 次运行）']);
});

test('once runs are evaluated, the best run\'s test metric shows beside its ★, labelled, and never ranks', () => {
  // r3 has the best test mse but r4 the best val_loss: r4 stays the best; its test metric is shown.
  const evaluated = grid.map((r, i) => ({ ...r, test: { mse: [0.6, 0.4, 0.1, 0.3][i], mae: 0.2, rmse: 0.5, r2: 0.8 } }));
  const results = summarizeConfigResults(evaluated);
  assert.equal(results.best?.runId, 'r4-dddd');
  assert.deepEqual(results.bestTest, { name: 'mse', value: 0.3 });
  const units = results.keys.find((k) => k.path.endsWith('units'))!;
  assert.deepEqual(keyHintLabels(units, results, ENGLISH_HINT_WORDS).map((l) => l.text), ['val_loss: 8 → 0.25', '· 64 → 0.21 ★ (test mse 0.3)', '(4 runs)']);
  // Ranked by val_mae: the test twin is mae.
  assert.deepEqual(summarizeConfigResults(evaluated.map((r) => ({ ...r, metrics: { val_mae: r.metrics!.val_loss } })), { metric: 'val_mae' }).bestTest, { name: 'mae', value: 0.2 });
  // Not evaluated: no test part.
  assert.equal(summarizeConfigResults(grid).bestTest, undefined);
});

test('the k folds of a cross-validation stand as one run in the config\'s results: their means, once every fold completed', () => {
  const entry = (id: string, index: number, valLoss: number, status: RunMeta['status'] = 'completed', group = 'cv-1'): RunListEntry => ({
    id,
    dir: `/runs/${id}`,
    warnings: [],
    meta: { format: 1, id, name: 'x', task: 'regression', configPath: '/c', status, createdAt: '', versions: { modelLab: '0', node: '20' }, seed: 1, epochsPlanned: 1, epochsDone: 1, bestMetrics: { val_loss: valLoss }, fold: { id: group, index, k: 3 } },
  });
  const evaluation = (dir: string) => ({ task: 'regression', split: 'test', count: 4, metrics: { mse: dir.endsWith('f1') ? 0.3 : 0.6, mae: 0, rmse: 0, r2: 0 }, samples: [] }) as never;
  const cache = new RunResultsCache(
    { runsForConfig: () => [entry('f2', 2, 0.3), entry('f0', 0, 0.1), entry('f1', 1, 0.2), entry('g0', 0, 0.05, 'completed', 'cv-2'), entry('g1', 1, 0.05, 'failed', 'cv-2')] },
    (dir) => ({ dir }),
    evaluation,
  );
  const inputs = cache.forConfig('/runs', '/c').inputs;
  assert.equal(inputs.length, 1, 'cv-2 has a failed fold: left out');
  assert.equal(inputs[0].id, 'f0');
  assert.ok(Math.abs(inputs[0].metrics!.val_loss - 0.2) < 1e-12);
  assert.ok(Math.abs(inputs[0].test!.mse - 0.5) < 1e-12);
});
