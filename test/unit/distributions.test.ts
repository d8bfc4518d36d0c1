// The summaries behind the Distributions card: known answers for the
// statistics, the zeros share, the bins and the percentiles read back from
// them, and the vanishing / exploding gradient rule.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { gradientHealth, layerBands, mergeStats, parseDistributionsLine, percentile, recordsDistributionsAt, tensorStats, thinDistributionEpochs } from '../../src/core/distributions';
import type { LayerDistributions, TensorStats } from '../../src/core/distributions';
import { checkConfigText } from '../../src/core/configCheck';
import type { DataProbe } from '../../src/core/configRules';
import { distributionsEvery, resolveConfig } from '../../src/core/resolvedConfig';
import type { ExperimentConfig } from '../../src/core/types';

const close = (a: number, b: number, eps = 1e-9) => assert.ok(Math.abs(a - b) <= eps, `${a} ≉ ${b}`);

test('count, min, max, mean, population std and the share of exact zeros', () => {
  const s = tensorStats([0, 0, 2, 4, 4, 4, 5, 7, 9, 0], 10);
  assert.equal(s.count, 10);
  assert.equal(s.min, 0);
  assert.equal(s.max, 9);
  close(s.mean, 3.5);
  // deviations² from 3.5: 12.25·3 + 2.25 + 0.25·3 + 2.25 + 12.25 + 30.25 = 84.5 → std √8.45
  close(s.std, Math.sqrt(8.45));
  close(s.zeros, 0.3);
  assert.equal(s.nonFinite, 0);
});

test('fixed bins over [min, max]: the maximum falls in the last bin, every value in one bin', () => {
  const s = tensorStats([0, 0.5, 1, 1.5, 2, 2.5, 3, 3.99, 4], 4);
  assert.deepEqual(s.histogram, [2, 2, 2, 3]);
  const one = tensorStats([2, 2, 2], 5);
  assert.deepEqual(one.histogram, [3, 0, 0, 0, 0]);
  assert.equal(one.std, 0);
});

test('NaN and ±Infinity are counted apart; the statistics are over the finite values', () => {
  const s = tensorStats([1, NaN, 3, Infinity, -Infinity], 2);
  assert.equal(s.count, 5);
  assert.equal(s.nonFinite, 3);
  assert.equal(s.min, 1);
  assert.equal(s.max, 3);
  close(s.mean, 2);
  assert.deepEqual(s.histogram, [1, 1]);
  const none = tensorStats([NaN, NaN], 3);
  assert.equal(none.nonFinite, 2);
  assert.deepEqual(none.histogram, [0, 0, 0]);
});

test('percentiles from the histogram: exact at 0 and 100, within a bin elsewhere', () => {
  const values = Array.from({ length: 1000 }, (_, i) => i / 999); // uniform on [0, 1]
  const s = tensorStats(values, 30);
  assert.equal(percentile(s, 0), 0);
  assert.equal(percentile(s, 100), 1);
  for (const p of [10, 25, 50, 75, 90]) close(percentile(s, p), p / 100, 1 / 30);
  // Skewed: 90 zeros and 10 ones — the median is in the first bin, the 95th in the last.
  const skew = tensorStats([...new Array(90).fill(0), ...new Array(10).fill(1)], 10);
  assert.ok(percentile(skew, 50) < 0.1);
  assert.ok(percentile(skew, 95) >= 0.9);
});

function layer(weights: number[], gradients: number[] | undefined): LayerDistributions {
  return { epoch: 1, layer: 'dense_Dense1', tensors: [{ name: 'kernel', shape: [weights.length], weights: tensorStats(weights), ...(gradients ? { gradients: tensorStats(gradients) } : {}) }] };
}

test('gradients vanish below 1e-7 of the weights’ scale, explode above 1e4 of it or when not finite', () => {
  assert.equal(gradientHealth(layer([0.5, -2, 1], [0.01, -0.02, 0])).kind, 'ok');
  const dead = gradientHealth(layer([0.5, -2, 1], [0, 0, 0]));
  assert.equal(dead.kind, 'vanishing');
  assert.equal(gradientHealth(layer([0.5, -20, 1], [1e-7, 0, 0])).kind, 'vanishing', '1e-7 against weights up to 20');
  assert.equal(gradientHealth(layer([0.5, -2, 1], [1e-6, 0, 0])).kind, 'ok');
  assert.equal(gradientHealth(layer([0.5, -2, 1], [3e4, 0, 0])).kind, 'exploding');
  assert.equal(gradientHealth(layer([0.5, -2, 1], [1e3, 0, 0])).kind, 'ok');
  const nan = gradientHealth(layer([0.5, -2, 1], [NaN, 0, 0]));
  assert.equal(nan.kind, 'exploding');
  assert.equal(nan.kind === 'exploding' && nan.nonFinite, 1);
  assert.equal(gradientHealth(layer([0.5, -2, 1], undefined)).kind, 'ok', 'no gradients recorded: nothing to flag');
});

test('merged summaries of a kernel and a bias equal the summary of all their values', () => {
  const a = [1, 2, 3, 0, -4];
  const b = [10, 0, 0.5];
  const merged = mergeStats([tensorStats(a), tensorStats(b)]) as TensorStats;
  const whole = tensorStats([...a, ...b]);
  assert.equal(merged.count, whole.count);
  assert.equal(merged.min, whole.min);
  assert.equal(merged.max, whole.max);
  close(merged.mean, whole.mean);
  close(merged.std, whole.std);
  close(merged.zeros, whole.zeros);
  assert.equal(merged.histogram.reduce((x, y) => x + y, 0), 8);
});

test('cadence: every N epochs and the last; 0 never', () => {
  const at = (every: number) => [1, 2, 3, 4, 5].filter((e) => recordsDistributionsAt(every, e, 5));
  assert.deepEqual(at(1), [1, 2, 3, 4, 5]);
  assert.deepEqual(at(2), [2, 4, 5]);
  assert.deepEqual(at(0), []);
});

test('a line of distributions.jsonl parses; torn and foreign lines do not', () => {
  const line = JSON.stringify(layer([1, 2], [0.1, 0.2]));
  assert.equal(parseDistributionsLine(line)?.layer, 'dense_Dense1');
  assert.equal(parseDistributionsLine(line.slice(0, 40)), undefined);
  assert.equal(parseDistributionsLine('{"epoch":1,"layer":"x","tensors":[{"name":"k"}]}'), undefined);
  assert.equal(parseDistributionsLine(''), undefined);
});

test('a layer’s bands: the percentiles of its kernel and bias together, per recorded epoch; thinning keeps first and last', () => {
  const line = (epoch: number, spread: number): LayerDistributions => ({
    epoch,
    layer: '#1 Dense',
    tensors: [
      { name: 'kernel', shape: [100], weights: tensorStats(Array.from({ length: 100 }, (_, i) => (i / 99) * spread)), gradients: tensorStats([0, 0, 1, 1]) },
      { name: 'bias', shape: [1], weights: tensorStats([0]) },
    ],
  });
  const lines = [line(1, 1), line(2, 2), line(3, 4), { ...line(3, 1), layer: '#2 Dense' }];
  const bands = layerBands(lines, '#1 Dense', 'weights');
  assert.deepEqual(bands.map((b) => b.epoch), [1, 2, 3]);
  assert.deepEqual(bands.map((b) => b.percentiles[4]), [1, 2, 4]);
  assert.deepEqual(bands.map((b) => b.percentiles[0]), [0, 0, 0]);
  close(bands[2].percentiles[2], 2, 4 / 30 + 1e-9);
  assert.equal(bands[0].stats.count, 101);
  const grads = layerBands(lines, '#1 Dense', 'gradients');
  assert.equal(grads[0].stats.count, 4, 'only the tensors with gradients');
  close(grads[0].stats.zeros, 0.5);
  const many = Array.from({ length: 50 }, (_, i) => line(i + 1, 1));
  const thin = thinDistributionEpochs(many, 5);
  assert.deepEqual(thin.map((l) => l.epoch), [1, 13, 26, 38, 50]);
});

test('training.distributions in a config: { every: N ≥ 1 } or false pass the checks, anything else is an error at its place; resolved to the cadence', () => {
  const probe: DataProbe = { refusal: () => undefined, where: (p) => `/w/${p}`, kind: () => 'file', columns: () => ['x1', 'x2', 'y'] };
  const config = (distributions: unknown) => ({
    name: 'x',
    task: 'regression',
    data: { source: 'd.csv', features: ['x1', 'x2'], target: 'y' },
    model: { layers: [{ type: 'dense', units: 1 }] },
    training: { epochs: 4, distributions },
  });
  const errors = (d: unknown) => checkConfigText(JSON.stringify(config(d)), probe).diagnostics.filter((x) => x.severity === 'error');
  assert.deepEqual(errors({ every: 2 }), []);
  assert.deepEqual(errors(false), []);
  assert.deepEqual(errors({}), []);
  assert.deepEqual(errors(true), []);
  const said = (d: unknown) => errors(d).map((x) => `${x.path}: ${x.message}`);
  assert.deepEqual(said({ every: 0 }), ['training.distributions.every: training.distributions.every: must be >= 1']);
  assert.equal(said({ every: 1.5 }).length, 1);
  assert.equal(said({ each: 2 }).length, 1);
  assert.match(said({ each: 2 })[0], /unknown property "each"/);
  assert.equal(said('often').length, 1);
  const every = (d: unknown) => distributionsEvery(resolveConfig((d === undefined ? { ...config(0), training: { epochs: 4 } } : config(d)) as ExperimentConfig).training);
  assert.equal(every(undefined), 1, 'every epoch by default');
  assert.equal(every({ every: 3 }), 3);
  assert.equal(every({}), 1);
  assert.equal(every(false), 0);
  assert.equal(every(true), 1);
});

test('weights that are not finite or beyond 1e6 flag the layer exploding even without gradients (a run stopped by a NaN loss)', () => {
  assert.equal(gradientHealth(layer([NaN, 1, 2], undefined)).kind, 'exploding');
  assert.equal(gradientHealth(layer([0.5, 1, 2], undefined)).kind, 'ok');
  assert.equal(gradientHealth(layer([0.5, 1, 4e6], undefined)).kind, 'exploding', 'weights beyond 1e6');
  assert.equal(gradientHealth(layer([0.5, 1, 4e5], [0.1, 0.1, 0.1])).kind, 'ok');
});
