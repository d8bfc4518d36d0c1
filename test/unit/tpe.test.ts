// The Bayesian sweep's sampler (a tree-structured Parzen estimator): seeded,
// inside its bounds, and better than random search on known functions at the
// same budget — measured as the mean best value over 20 seeds.

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { seededRng } from '../../src/core/random';
import { bayesStartupTrials, planSweep } from '../../src/core/sweepPlan';
import type { SweepObservation } from '../../src/core/sweepPlan';
import { expandSweep } from '../../src/core/sweep';
import { latinHypercube, randomValue, suggestTpe } from '../../src/core/tpe';
import type { SearchDimension, TpeTrial } from '../../src/core/tpe';
import { SWEEP_METHODS } from '../../src/core/types';
import type { SweepConfig } from '../../src/core/types';
import { SweepQueue } from '../../src/node/sweepQueue';

/** Branin on [−5, 10] × [0, 15]: three minima of 0.397887. */
function branin([a, b]: readonly number[]): number {
  return (b - (5.1 / (4 * Math.PI ** 2)) * a * a + (5 / Math.PI) * a - 6) ** 2 + 10 * (1 - 1 / (8 * Math.PI)) * Math.cos(a) + 10;
}
const BRANIN: SearchDimension[] = [
  { kind: 'float', min: -5, max: 10, log: false },
  { kind: 'float', min: 0, max: 15, log: false },
];

/** Styblinski–Tang in 5-D on [−5, 5]^5: minimum −195.83 at xᵢ = −2.9035. */
function styblinskiTang(x: readonly number[]): number {
  return x.reduce((s, v) => s + (v ** 4 - 16 * v * v + 5 * v) / 2, 0);
}
const STYBLINSKI: SearchDimension[] = Array.from({ length: 5 }, () => ({ kind: 'float' as const, min: -5, max: 5, log: false }));

/** A hyperparameter-like 5-D space: a log-scale rate, whole numbers (one in log scale), a choice and a plain float; minimum 0. */
const MIXED: SearchDimension[] = [
  { kind: 'float', min: 1e-5, max: 1, log: true },
  { kind: 'int', min: 1, max: 8, log: false },
  { kind: 'int', min: 8, max: 512, log: true },
  { kind: 'categorical', choices: 4 },
  { kind: 'float', min: 0, max: 0.5, log: false },
];
function mixed([lr, layers, units, choice, dropout]: readonly number[]): number {
  return (Math.log10(lr) + 2.5) ** 2 + ((layers - 3) / 2) ** 2 + Math.log2(units / 96) ** 2 + [1.5, 0, 2, 1][choice] + 20 * (dropout - 0.2) ** 2;
}

/**
 * The best value found in `budget` trials: TPE as a bayes sweep runs it (a Latin hypercube of
 * bayesStartupTrials(budget) points, then the estimator), or uniform random; seeded by (seed, trial).
 */
function bestOf(f: (x: readonly number[]) => number, dims: readonly SearchDimension[], budget: number, seed: number, method: 'tpe' | 'random'): number {
  const trials: TpeTrial[] = [];
  const startupTrials = bayesStartupTrials(budget);
  const design = method === 'tpe' ? latinHypercube(dims, startupTrials, seededRng(seed * 1000 - 1)) : [];
  for (let i = 0; i < budget; i++) {
    const rng = seededRng(seed * 1000 + i);
    const x = method === 'random' ? dims.map((d) => randomValue(d, rng)) : i < design.length ? design[i] : suggestTpe(dims, trials, rng, { startupTrials });
    trials.push({ x, value: f(x) });
  }
  return Math.min(...trials.map((t) => t.value!));
}

function meanBest(f: (x: readonly number[]) => number, dims: readonly SearchDimension[], budget: number, method: 'tpe' | 'random'): number {
  const seeds = 20;
  let sum = 0;
  for (let s = 1; s <= seeds; s++) sum += bestOf(f, dims, budget, s, method);
  return sum / seeds;
}

// Each with its minimum and the share of random search's gap to it that TPE may leave at most (measured: 0.07, 0.57,
// 0.22; the sampler with one density per parameter, random startup points and a third of the budget as startup left 0.34, 0.80, 0.55).
for (const [name, f, dims, budget, minimum, gapRatio] of [
  ['Branin 2-D', branin, BRANIN, 40, 0.397887, 0.25],
  ['Styblinski–Tang 5-D', styblinskiTang, STYBLINSKI, 60, -195.8308, 0.75],
  ['a mixed 5-D space (log, int, log int, choice, float)', mixed, MIXED, 40, 0, 0.45],
] as const) {
  test(`TPE beats random search on ${name}: mean best of 20 seeds at ${budget} trials each`, (t) => {
    const tpe = meanBest(f, dims, budget, 'tpe');
    const random = meanBest(f, dims, budget, 'random');
    t.diagnostic(`${name}: TPE ${tpe.toFixed(3)}, random ${random.toFixed(3)} (minimum ${minimum}); gap ratio ${((tpe - minimum) / (random - minimum)).toFixed(2)}`);
    assert.ok(tpe - minimum < gapRatio * (random - minimum), `TPE's mean best ${tpe} should close more of the gap to ${minimum} than random search's ${random}`);
  });
}

test('TPE is seeded: the same trials and seed give the same point; another seed another', () => {
  const trials: TpeTrial[] = Array.from({ length: 15 }, (_, i) => {
    const x = MIXED.map((d) => randomValue(d, seededRng(i + 1)));
    return { x, value: mixed(x) };
  });
  const a = suggestTpe(MIXED, trials, seededRng(7));
  assert.deepEqual(suggestTpe(MIXED, trials, seededRng(7)), a);
  assert.notDeepEqual(suggestTpe(MIXED, trials, seededRng(8)), a);
  // Different results give a different point from the same seed.
  const flipped = trials.map((t) => ({ ...t, value: -t.value! }));
  assert.notDeepEqual(suggestTpe(MIXED, flipped, seededRng(7)), a);
});

test('every draw stays in bounds: floats in [min, max], log ranges positive, whole numbers, valid choices', () => {
  const trials: TpeTrial[] = [];
  for (let i = 0; i < 60; i++) {
    const x = suggestTpe(MIXED, trials, seededRng(100 + i), { startupTrials: 5 });
    const [lr, layers, units, choice, dropout] = x;
    assert.ok(lr >= 1e-5 && lr <= 1, `lr ${lr}`);
    assert.ok(Number.isInteger(layers) && layers >= 1 && layers <= 8, `layers ${layers}`);
    assert.ok(Number.isInteger(units) && units >= 8 && units <= 512, `units ${units}`);
    assert.ok(Number.isInteger(choice) && choice >= 0 && choice < 4, `choice ${choice}`);
    assert.ok(dropout >= 0 && dropout <= 0.5, `dropout ${dropout}`);
    trials.push({ x, value: i % 7 === 3 ? undefined : mixed(x) }); // some runs fail
  }
  // The search concentrates where the function is low: the median of the 40 points after the first 20 beats
  // the first 20's (once the good group's region is crowded with bad trials, it explores again far off).
  const median = (v: number[]) => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)];
  const values = trials.map((t) => (t.x ? mixed(t.x) : NaN));
  assert.ok(median(values.slice(20)) < median(values.slice(0, 20)) / 2, `${median(values.slice(20))} vs ${median(values.slice(0, 20))}`);
});

const BAYES: SweepConfig = {
  method: 'bayes',
  count: 12,
  seed: 3,
  parameters: {
    'training.optimizer.learningRate': { min: 0.0001, max: 0.1, scale: 'log' },
    'model.layers[0].units': { min: 4, max: 64, integer: true },
    'training.optimizer.type': ['adam', 'sgd', 'rmsprop'],
  },
};

test('the startup points are a Latin hypercube: one point in each of n strata of every range (log ranges in log space), options dealt evenly, seeded', () => {
  const dims: SearchDimension[] = [
    { kind: 'float', min: 1e-4, max: 1e-1, log: true },
    { kind: 'int', min: 0, max: 59, log: false },
    { kind: 'categorical', choices: 3 },
  ];
  const n = 6;
  const points = latinHypercube(dims, n, seededRng(5));
  assert.equal(points.length, n);
  const strata = (values: number[], unit: (v: number) => number) => values.map((v) => Math.floor(unit(v) * n)).sort((a, b) => a - b);
  assert.deepEqual(strata(points.map((p) => p[0]), (v) => Math.log(v / 1e-4) / Math.log(1000)), [0, 1, 2, 3, 4, 5], 'one learning rate per half-decade');
  assert.deepEqual(strata(points.map((p) => p[1]), (v) => (v + 0.5) / 60), [0, 1, 2, 3, 4, 5], 'one whole number per tenth of 0–59');
  assert.ok(points.every((p) => Number.isInteger(p[1])));
  assert.deepEqual(points.map((p) => p[2]).sort(), [0, 0, 1, 1, 2, 2], 'each option twice');
  assert.deepEqual(latinHypercube(dims, n, seededRng(5)), points);
  assert.notDeepEqual(latinHypercube(dims, n, seededRng(6)), points);
  // A bayes sweep's first points are such a design: its 3 startup learning rates lie in the three thirds of the log range.
  const plan = planSweep(BAYES, 'minimize');
  const first = [0, 1, 2].map((i) => plan.point(i, []).params['training.optimizer.learningRate'] as number);
  assert.deepEqual(first.map((lr) => Math.floor((Math.log10(lr) + 4) / 1)).sort(), [0, 1, 2]);
});

/** A pretend validation loss: best near lr 0.01, 32 units, adam. */
function pretendLoss(p: Readonly<Record<string, unknown>>): number {
  const lr = p['training.optimizer.learningRate'] as number;
  const units = p['model.layers[0].units'] as number;
  return (Math.log10(lr) + 2) ** 2 + ((units - 32) / 16) ** 2 + (p['training.optimizer.type'] === 'adam' ? 0 : 0.5);
}

function runPlan(sweep: SweepConfig, value: (p: Readonly<Record<string, unknown>>) => number | undefined): SweepObservation[] {
  const plan = planSweep(sweep, 'minimize');
  const finished: SweepObservation[] = [];
  for (let i = 0; i < plan.total; i++) {
    const point = plan.point(i, finished);
    assert.equal(point.index, i);
    finished.push({ params: point.params, value: value(point.params) });
  }
  return finished;
}

test('a bayes sweep plan: count points, config values in range (4 significant digits, whole units, listed choices), the same again from the same results', () => {
  const a = runPlan(BAYES, pretendLoss);
  assert.equal(a.length, 12);
  for (const { params } of a) {
    const lr = params['training.optimizer.learningRate'] as number;
    assert.ok(lr >= 0.0001 && lr <= 0.1 && Number(lr.toPrecision(4)) === lr, `lr ${lr}`);
    const units = params['model.layers[0].units'] as number;
    assert.ok(Number.isInteger(units) && units >= 4 && units <= 64);
    assert.ok(['adam', 'sgd', 'rmsprop'].includes(params['training.optimizer.type'] as string));
    assert.deepEqual(Object.keys(params), Object.keys(BAYES.parameters));
  }
  assert.deepEqual(runPlan(BAYES, pretendLoss), a, 'same seed and same results: same points');
  // The startup points are random draws and do not depend on results; later ones do.
  const startup = bayesStartupTrials(12);
  assert.equal(startup, 3);
  const other = runPlan(BAYES, (p) => -pretendLoss(p));
  assert.deepEqual(other.slice(0, startup).map((o) => o.params), a.slice(0, startup).map((o) => o.params));
  assert.notDeepEqual(other.slice(startup).map((o) => o.params), a.slice(startup).map((o) => o.params));
  assert.notDeepEqual(runPlan({ ...BAYES, seed: 4 }, pretendLoss).map((o) => o.params), a.map((o) => o.params));
  // "maximize" is searched as the mirror image of "minimize".
  const max = planSweep(BAYES, 'maximize');
  const finishedMax = a.slice(0, 8).map((o) => ({ params: o.params, value: -o.value! }));
  assert.deepEqual(max.point(8, finishedMax), planSweep(BAYES, 'minimize').point(8, a.slice(0, 8)));
});

test('a grid or random plan is the expanded sweep, whatever the results; a bayes sweep cannot be expanded up front', () => {
  const random: SweepConfig = { ...BAYES, method: 'random' };
  const plan = planSweep(random, 'minimize');
  assert.equal(plan.adaptive, false);
  assert.deepEqual(Array.from({ length: plan.total }, (_, i) => plan.point(i, [{ params: {}, value: 1 }])), expandSweep(random));
  assert.throws(() => expandSweep(BAYES), /a bayes sweep draws each point from the runs finished before it/);
});

test('the sweep queue asks a bayes plan for each point with the values of the runs finished by then', async () => {
  const plan = planSweep(BAYES, 'minimize');
  const seen: number[] = [];
  const wrapped = { ...plan, point: (i: number, finished: readonly SweepObservation[]) => (seen.push(finished.length), plan.point(i, finished)) };
  const queue = new SweepQueue<{ params: Record<string, unknown> }, { status: 'completed'; value: number }>(wrapped, 1, {
    start: (point) => ({ params: point.params }),
    done: async (s) => ({ status: 'completed', value: pretendLoss(s.params) }),
    stop: () => {},
    value: (o) => o.value,
  });
  const results = await queue.run();
  assert.deepEqual(seen, Array.from({ length: 12 }, (_, i) => i), 'one at a time: point i sees i finished runs');
  assert.deepEqual(results.map((r) => r.point.params), runPlan(BAYES, pretendLoss).map((o) => o.params));
});

test('the schema offers exactly the sweep methods the code knows', () => {
  const schema = JSON.parse(readFileSync(join(import.meta.dirname, '../../schema/experiment.schema.json'), 'utf8'));
  assert.deepEqual(schema.properties.sweep.properties.method.enum, [...SWEEP_METHODS]);
});

test('with concurrency 2, each bayes point sees the runs finished when its slot frees up, in the order they finished', async () => {
  const plan = planSweep({ ...BAYES, count: 4 }, 'minimize');
  const seen: [number, (number | undefined)[]][] = [];
  const wrapped = { ...plan, point: (i: number, finished: readonly SweepObservation[]) => (seen.push([i, finished.map((f) => f.value)]), plan.point(i, finished)) };
  const live = new Map<number, (value: number) => void>();
  const queue = new SweepQueue<number, { status: 'completed'; value: number }>(wrapped, 2, {
    start: (point) => point.index,
    done: (index) => new Promise((resolve) => live.set(index, (value) => resolve({ status: 'completed', value }))),
    stop: () => {},
    value: (o) => o.value,
  });
  const tick = () => new Promise((r) => setImmediate(r));
  const done = queue.run();
  await tick();
  live.get(1)!(0.5); // the second run ends first
  await tick();
  live.get(0)!(0.9);
  await tick();
  live.get(2)!(0.1);
  live.get(3)!(0.2);
  await done;
  assert.deepEqual(seen, [
    [0, []],
    [1, []],
    [2, [0.5]],
    [3, [0.5, 0.9]],
  ]);
});
