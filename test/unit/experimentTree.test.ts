import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import type { RunListEntry } from '../../src/node/runStoreReader';
import type { RunMeta, SweepMembership } from '../../src/core/types';
import {
  buildExperimentTree,
  formatRunTime,
  RUN_CONTEXT_VALUES,
  runsUnder,
  sweepObjective,
  type RunNode,
  type RunRef,
  type SweepNode,
} from '../../src/host/runs/experimentTreeModel';
import { tempDir } from '../helpers/fixtures';
import { asTransformerRun, transformerRunOrWhyNot } from '../../src/node/textModelRuns';
import { TOKENIZER_FILE } from '../../src/core/tokenizer';
import { paramLabel } from '../../src/core/runComparison';

const HOUSES = '/w/examples/house-prices/house-prices.experiment.json';
const SPAM = '/w/spam.experiment.json';

let clock = Date.parse('2025-03-01T10:00:00Z');
function meta(id: string, configPath: string, overrides: Partial<RunMeta> = {}): RunMeta {
  clock += 60_000;
  return {
    format: 1,
    id,
    name: configPath.includes('spam') ? 'spam' : 'house-prices',
    task: 'regression',
    configPath,
    status: 'completed',
    createdAt: new Date(clock).toISOString(),
    versions: { modelLab: '0.1.0', node: '20' },
    seed: 1,
    epochsPlanned: 2,
    epochsDone: 2,
    lastMetrics: { loss: 0.5, val_loss: 0.6 },
    ...overrides,
  };
}

function run(m: RunMeta | undefined, id = m?.id ?? 'x', extra: Partial<RunRef> = {}): RunRef {
  const entry: RunListEntry = { id, dir: `/w/.modellab/runs/${id}`, meta: m, warnings: m ? [] : ['meta.json is missing'] };
  return { entry, training: false, ...extra };
}

const sweep = (id: string, index: number, params: Record<string, unknown>, extra: Record<string, unknown> = {}): SweepMembership =>
  ({ id, index, total: 4, params, ...extra }) as SweepMembership;

test('experiments come from configs (with or without runs), runs newest first under their config', () => {
  const a = meta('20250301-100100-house-prices-aaaa', HOUSES);
  const b = meta('20250301-100200-house-prices-bbbb', HOUSES, { status: 'failed', lastMetrics: undefined, error: 'boom' });
  const c = meta('20250301-100300-house-prices-cccc', HOUSES, { lastMetrics: { loss: 0.25 } });
  const tree = buildExperimentTree(
    [{ path: HOUSES, name: 'house-prices' }, { path: SPAM }],
    [run(a), run(c), run(b)],
  );
  assert.deepEqual(tree.experiments.map((e) => [e.name, e.configExists, e.runCount]), [['house-prices', true, 3], ['spam', true, 0]]);
  const runs = tree.experiments[0].children as RunNode[];
  assert.deepEqual(runs.map((r) => r.id), [c.id, b.id, a.id]);
  assert.deepEqual(runs.map((r) => r.state), ['completed', 'failed', 'completed']);
  assert.deepEqual(runs.map((r) => r.headline), [{ name: 'loss', value: 0.25 }, undefined, { name: 'val_loss', value: 0.6 }]);
  assert.deepEqual(tree.damaged, []);
});

test('a run whose config is gone gets an experiment of its own; unreadable folders are kept apart', () => {
  const gone = meta('20250301-1-gone', '/w/old/gone.experiment.json', { name: 'gone' });
  const tree = buildExperimentTree([{ path: HOUSES }], [run(gone), run(undefined, '20250301-broken')]);
  assert.deepEqual(tree.experiments.map((e) => [e.name, e.configExists, e.configPath]), [
    ['house-prices', true, HOUSES],
    ['gone', false, '/w/old/gone.experiment.json'],
  ]);
  assert.deepEqual(tree.damaged.map((r) => [r.id, r.state, r.contextValue, r.warnings]), [['20250301-broken', 'damaged', 'run.damaged', ['meta.json is missing']]]);
});

test('config paths match however they are spelled; the same folder listed twice shows once', () => {
  const a = meta('r1', '/w/examples/./house-prices/../house-prices/house-prices.experiment.json');
  const tree = buildExperimentTree([{ path: HOUSES }], [run(a), run(a)]);
  assert.equal(tree.experiments.length, 1);
  assert.equal(tree.experiments[0].runCount, 1);
  const mac = buildExperimentTree([{ path: '/W/A.experiment.json' }], [run(meta('r2', '/w/a.experiment.json'))], 'darwin');
  assert.equal(mac.experiments.length, 1);
  assert.equal(mac.experiments[0].runCount, 1);
});

test('menus follow the run: stoppable while this window trains it, busy while the CLI does, ended otherwise', () => {
  const ours = meta('r-ours', HOUSES, { status: 'running' });
  const cli = meta('r-cli', HOUSES, { status: 'running', pid: 4242 });
  const queued = meta('r-queued', HOUSES, { status: 'queued' });
  const stopped = meta('r-stopped', HOUSES, { status: 'stopped' });
  const interrupted = meta('r-int', HOUSES, { status: 'interrupted' });
  // Interrupted after epoch 1 of 3, with a checkpoint on disk: the one run that offers "Resume".
  const resumable = meta('r-resume', HOUSES, { status: 'interrupted', epochsDone: 1, epochsPlanned: 3 });
  const noCheckpoint = meta('r-nockpt', HOUSES, { status: 'stopped', epochsDone: 1, epochsPlanned: 3 });
  const resumableDir = tempDir();
  writeFileSync(join(resumableDir, 'checkpoint.bin'), 'MLCK');
  const tree = buildExperimentTree([{ path: HOUSES }], [
    run(ours, undefined, { training: true }),
    run(cli),
    run(queued),
    run(stopped),
    run(interrupted),
    { ...run(resumable), entry: { id: 'r-resume', dir: resumableDir, meta: resumable, warnings: [] } },
    run(noCheckpoint),
  ]);
  const byId = new Map(runsUnder(tree.experiments[0]).map((r) => [r.id, r.contextValue]));
  assert.deepEqual(Object.fromEntries(byId), {
    'r-ours': 'run.training',
    'r-cli': 'run.busy',
    'r-queued': 'run.busy',
    'r-stopped': 'run.ended',
    'r-int': 'run.ended',
    'r-resume': 'run.resumable',
    'r-nockpt': 'run.ended',
  });
});

test('sweep runs are grouped under their sweep, by point, and the best completed run by val_loss is marked', () => {
  const plain = meta('20250301-a-plain', HOUSES);
  const s0 = meta('s0', HOUSES, { sweep: sweep('sw1', 0, { 'training.optimizer.learningRate': 0.1 }), lastMetrics: { loss: 0.3, val_loss: 0.5 } });
  const s1 = meta('s1', HOUSES, { sweep: sweep('sw1', 1, { 'training.optimizer.learningRate': 0.01 }), lastMetrics: { loss: 0.2, val_loss: 0.31 } });
  // Its last epoch is worse, but the model it kept (best epoch) is the best of the sweep.
  const s2 = meta('s2', HOUSES, { sweep: sweep('sw1', 2, { 'training.optimizer.learningRate': 0.003 }), lastMetrics: { val_loss: 0.4 }, bestMetrics: { val_loss: 0.21 } });
  // Lowest of all, but it failed: never the best.
  const s3 = meta('s3', HOUSES, { sweep: sweep('sw1', 3, { 'training.optimizer.learningRate': 1 }), status: 'failed', lastMetrics: { val_loss: 0.01 } });
  const later = meta('20250301-z-later', HOUSES);
  const tree = buildExperimentTree([{ path: HOUSES }], [run(later), run(s3), run(s1), run(plain), run(s2), run(s0)]);
  const children = tree.experiments[0].children;
  assert.deepEqual(children.map((c) => (c.kind === 'sweep' ? `sweep:${c.sweepId}` : c.kind === 'run' ? c.id : c.groupId)), ['20250301-z-later', 'sweep:sw1', '20250301-a-plain']);
  const sw = children[1] as SweepNode;
  assert.deepEqual(sw.runs.map((r) => r.id), ['s0', 's1', 's2', 's3'], 'by sweep point');
  assert.deepEqual(sw.objective, { metric: 'val_loss', goal: 'minimize' });
  assert.equal(sw.bestRunId, 's2');
  assert.deepEqual(sw.runs.map((r) => r.best), [false, false, true, false]);
  assert.deepEqual(sw.runs.map((r) => r.headline?.value), [0.5, 0.31, 0.21, 0.01]);
  assert.deepEqual(sw.paramKeys, ['training.optimizer.learningRate']);
  assert.equal(sw.total, 4);
  assert.equal(tree.experiments[0].runCount, 6);
  assert.equal(runsUnder(tree.experiments[0]).length, 6);
});

test('a sweep that names its metric and goal is ranked by them', () => {
  const extra = { metric: 'val_mae', goal: 'maximize' };
  const a = meta('a', HOUSES, { sweep: sweep('sw2', 0, { 'model.layers[0].units': 16 }, extra), lastMetrics: { val_mae: 0.71 } });
  const b = meta('b', HOUSES, { sweep: sweep('sw2', 1, { 'model.layers[0].units': 64 }, extra), lastMetrics: { val_mae: 0.88 } });
  const c = meta('c', HOUSES, { sweep: sweep('sw2', 2, { 'model.layers[0].units': 256 }, extra), lastMetrics: { val_mae: 0.83 } });
  const tree = buildExperimentTree([{ path: HOUSES }], [run(a), run(b), run(c)]);
  const sw = tree.experiments[0].children[0] as SweepNode;
  assert.deepEqual(sw.objective, { metric: 'val_mae', goal: 'maximize' });
  assert.equal(sw.bestRunId, 'b');
  assert.deepEqual(sw.runs.map((r) => r.headline), [
    { name: 'val_mae', value: 0.71 },
    { name: 'val_mae', value: 0.88 },
    { name: 'val_mae', value: 0.83 },
  ]);
  // Named metric without a goal: accuracies are maximized.
  assert.deepEqual(sweepObjective([meta('d', HOUSES, { sweep: sweep('x', 0, {}, { metric: 'val_accuracy' }) })]), { metric: 'val_accuracy', goal: 'maximize' });
  // No validation data: loss.
  assert.deepEqual(sweepObjective([meta('e', HOUSES, { sweep: sweep('x', 0, {}), lastMetrics: { loss: 1 } })]), { metric: 'loss', goal: 'minimize' });
});

test('two sweeps of one experiment stay apart; a sweep with no completed run marks none', () => {
  const runs = [
    run(meta('p0', HOUSES, { sweep: sweep('first', 0, { a: 1 }) })),
    run(meta('q0', HOUSES, { sweep: sweep('second', 0, { a: 1 }), status: 'running' })),
    run(meta('p1', HOUSES, { sweep: sweep('first', 1, { a: 2 }) })),
  ];
  const tree = buildExperimentTree([{ path: HOUSES }], runs);
  const sweeps = tree.experiments[0].children as SweepNode[];
  // "first" has the newest run (p1), so it comes first.
  assert.deepEqual(sweeps.map((s) => [s.sweepId, s.runs.map((r) => r.id)]), [['first', ['p0', 'p1']], ['second', ['q0']]]);
  assert.equal(sweeps[0].bestRunId, 'p0', 'equal values: the first point found wins');
  assert.equal(sweeps[1].bestRunId, undefined);
});

test('labels: sweep points by their values, runs by their local creation time', () => {
  assert.equal(paramLabel({ 'training.optimizer.learningRate': 0.01, 'model.layers[0].units': 32, 'training.optimizer.type': 'sgd', flag: [1, 2] }), 'learningRate=0.01 · units=32 · type=sgd · flag=[1,2]');
  const d = new Date(2025, 0, 31, 14, 5, 9);
  assert.equal(formatRunTime(d.toISOString(), 'id', new Date(2025, 5, 1)), '01-31 14:05:09', 'this year: no year');
  assert.equal(formatRunTime(d.toISOString(), 'id', new Date(2026, 0, 1)), '2025-01-31 14:05:09');
  assert.equal(formatRunTime('garbage', 'the-id'), 'the-id');
  assert.equal(formatRunTime(undefined, 'the-id'), 'the-id');
});

test('only a completed Transformer run is offered for attention (run.ended.attention); an MLP, an unfinished or a model-less Transformer run is not', () => {
  const folder = (id: string, modelType: string, files: string[]): string => {
    const dir = tempDir();
    writeFileSync(join(dir, 'config.json'), JSON.stringify({ name: id, task: 'classification', model: { type: modelType } }));
    if (files.length) mkdirSync(join(dir, 'model'));
    for (const f of files) writeFileSync(join(dir, 'model', f), '{}');
    return dir;
  };
  const classifier = (id: string, overrides: Partial<RunMeta> = {}) => meta(id, SPAM, { task: 'classification', ...overrides });
  const cases: Array<[string, RunMeta, string]> = [
    ['r-encoder', classifier('r-encoder'), folder('r-encoder', 'transformerEncoder', ['model.json', TOKENIZER_FILE])],
    ['r-decoder', classifier('r-decoder', { task: 'language-model' }), folder('r-decoder', 'transformerDecoder', ['model.json', TOKENIZER_FILE])],
    ['r-mlp', classifier('r-mlp'), folder('r-mlp', 'mlp', ['model.json'])],
    ['r-failed', classifier('r-failed', { status: 'failed' }), folder('r-failed', 'transformerEncoder', ['model.json', TOKENIZER_FILE])],
    ['r-nofiles', classifier('r-nofiles'), folder('r-nofiles', 'transformerEncoder', [])],
  ];
  const refs = cases.map(([id, m, dir]) => {
    const entry: RunListEntry = { id, dir, meta: m, warnings: [] };
    // What the sidebar does (experimentsView.ts): the attention flag from the run's own files.
    return { entry, training: false, attention: asTransformerRun(entry) !== undefined };
  });
  const tree = buildExperimentTree([{ path: SPAM }], refs);
  assert.deepEqual(Object.fromEntries(runsUnder(tree.experiments[0]).map((r) => [r.id, r.contextValue])), {
    'r-encoder': 'run.ended.attention',
    'r-decoder': 'run.ended.attention',
    'r-mlp': 'run.ended',
    'r-failed': 'run.ended',
    'r-nofiles': 'run.ended',
  });
  // And why the others cannot be pinned, for the command's refusal.
  const why = Object.fromEntries(refs.map((r) => [r.entry.id, transformerRunOrWhyNot(r.entry)]));
  assert.deepEqual(why['r-mlp'], { reason: 'notTransformer', modelType: 'mlp' });
  assert.deepEqual(why['r-failed'], { reason: 'notCompleted', status: 'failed' });
  assert.deepEqual(why['r-nofiles'], { reason: 'noModelFiles' });
  assert.ok(RUN_CONTEXT_VALUES.includes('run.ended.attention'));
});

test('the folds of a cross-validation are one group with their validation metrics\' mean ± std, placed where their newest fold would be', () => {
  const fold = (index: number, val: number, status: RunMeta['status'] = 'completed') =>
    meta(`20250301-11000${index}-house-prices-f00${index}`, HOUSES, { fold: { id: 'cv-1', index, k: 3 }, status, bestMetrics: { loss: 0.1, val_loss: val, val_mae: val / 2 } });
  const f2 = fold(2, 0.3);
  const f0 = fold(0, 0.1);
  const f1 = fold(1, 0.2);
  const plain = meta('20250301-120000-house-prices-pppp', HOUSES);
  const tree = buildExperimentTree([{ path: HOUSES }], [run(plain), run(f2), run(f0), run(f1)]);
  const children = tree.experiments[0].children;
  assert.deepEqual(children.map((c) => c.kind), ['run', 'folds']);
  const group = children[1];
  assert.ok(group.kind === 'folds');
  assert.equal(group.k, 3);
  assert.deepEqual(group.runs.map((r) => r.meta!.fold!.index), [0, 1, 2]);
  assert.equal(group.headline?.name, 'val_loss');
  assert.ok(Math.abs(group.headline!.stat.mean - 0.2) < 1e-12);
  assert.ok(Math.abs(group.headline!.stat.std - Math.sqrt(0.02 / 3)) < 1e-12);
  assert.deepEqual(Object.keys(group.stats).sort(), ['val_loss', 'val_mae'], 'validation metrics only');
  assert.deepEqual(runsUnder(tree.experiments[0]).length, 4);
  // A fold that failed is left out of the mean.
  const failed = buildExperimentTree([{ path: HOUSES }], [run(fold(0, 0.1)), run(fold(1, 9, 'failed'))]).experiments[0].children[0];
  assert.ok(failed.kind === 'folds' && Math.abs(failed.headline!.stat.mean - 0.1) < 1e-12 && failed.headline!.stat.n === 1);
});

test('a cross-validated sweep stars the point with the best folds\' mean, not the best single fold', () => {
  const run_ = (id: string, index: number, fold: number, val: number) =>
    meta(id, HOUSES, { sweep: sweep('cvs', index, { lr: index }), fold: { id: `cv-${index}`, index: fold, k: 2 }, bestMetrics: { val_loss: val } });
  // Point 0: folds 0.05 and 0.55 (mean 0.3, the best single fold); point 1: 0.2 and 0.2 (mean 0.2).
  const runs = [run_('p0f0', 0, 0, 0.05), run_('p0f1', 0, 1, 0.55), run_('p1f0', 1, 0, 0.2), run_('p1f1', 1, 1, 0.2)];
  const sw = buildExperimentTree([{ path: HOUSES }], runs.map((m) => run(m))).experiments[0].children[0] as SweepNode;
  assert.equal(sw.bestRunId, 'p1f0');
});
