import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseLrFinderMessage } from '../../src/core/protocol/lrFinder';
import { describeSuggestion, LR_FIND_DEFAULTS, lrAtStep, lrFindDiverged, lrFindSettingsProblem, roundLearningRate, smoothedLosses, suggestLearningRate } from '../../src/core/lrFinder';

const settings = { startLr: 1e-7, endLr: 10, steps: 100 };
const lrs = Array.from({ length: 100 }, (_, i) => lrAtStep(i, settings));

test('the schedule grows exponentially from start to end, one decade every 100/8 steps', () => {
  assert.equal(lrs[0], 1e-7);
  assert.ok(Math.abs(lrs[99] - 10) < 1e-9);
  for (let i = 1; i < 100; i++) assert.ok(Math.abs(lrs[i] / lrs[i - 1] - Math.pow(1e8, 1 / 99)) < 1e-9);
});

// A synthetic range test: flat at 2 below 1e-5, falls as a logistic centred at
// 10^-3 (steepest there, in log10(lr)), bottoms at 0.2 and blows up past 10^-1.
function syntheticLoss(lr: number): number {
  const x = Math.log10(lr);
  const fall = 0.2 + 1.8 / (1 + Math.exp(3 * (x + 3)));
  return x > -1 ? fall * Math.exp(4 * (x + 1)) : fall;
}

test('on a synthetic curve the suggestion is at its steepest descent, 1e-3, below the minimum', () => {
  const points = lrs.map((lr) => ({ lr, loss: syntheticLoss(lr) }));
  const s = suggestLearningRate(points, 0);
  assert.ok(s);
  assert.ok(Math.abs(Math.log10(s.lr) + 3) < 0.1, `suggested ${s.lr}`);
  assert.ok(s.minLossLr > s.lr && s.minLossLr <= 0.11, `min at ${s.minLossLr}`);
  // the logistic's difference over ±5 steps (±0.404 decades) at its centre: -1.8 · (2σ(3 · 0.404) − 1) / 0.808
  const half = 5 * (8 / 99);
  const expected = (-1.8 * (2 / (1 + Math.exp(-3 * half)) - 1)) / (2 * half);
  assert.ok(Math.abs(s.slopePerDecade - expected) < 0.01, `slope ${s.slopePerDecade}, expected ${expected}`);
  assert.equal(roundLearningRate(s.lr), Number(s.lr.toPrecision(2)));
  assert.match(describeSuggestion(s), /steepest descent of the smoothed loss \(-1\.2\d per decade\) at 0\.00(09|1)\d*, below the lowest loss at 0\.\d+, before the loss blows up/);
});

test('with seeded noise and the default smoothing the suggestion stays within a third of a decade', () => {
  let seed = 12345;
  const noise = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31 - 0.5) * 0.1;
  const points = lrs.map((lr) => ({ lr, loss: syntheticLoss(lr) * (1 + noise()) }));
  const s = suggestLearningRate(points);
  assert.ok(s);
  // the EMA lags: the steepest smoothed point sits a little right of the true one
  assert.ok(Math.log10(s.lr) > -3.2 && Math.log10(s.lr) < -2.3, `suggested ${s.lr}`);
});

test('a loss that never falls gets no suggestion; nor do fewer than 5 points', () => {
  assert.equal(suggestLearningRate(lrs.map((lr, i) => ({ lr, loss: 1 + i * 0.01 }))), undefined);
  assert.equal(suggestLearningRate(lrs.slice(0, 4).map((lr) => ({ lr, loss: 1 / lr }))), undefined);
});

test('the test stops when the smoothed loss passes 4× its best, or the loss is not finite', () => {
  assert.equal(lrFindDiverged([1, 0.5, 1.9], [1, 0.5, 1.9]), false);
  assert.equal(lrFindDiverged([1, 0.5, 2.1], [1, 0.5, 2.1]), true);
  assert.equal(lrFindDiverged([1, 0.5], [1, NaN]), true);
  const losses = lrs.map(syntheticLoss);
  const smooth = smoothedLosses(losses, 0);
  const stop = losses.findIndex((_, i) => lrFindDiverged(smooth.slice(0, i + 1), losses.slice(0, i + 1)));
  assert.ok(lrs[stop] > 0.1 && lrs[stop] < 10, `stopped at ${lrs[stop]}`);
});

test('bad settings are named', () => {
  assert.equal(lrFindSettingsProblem(LR_FIND_DEFAULTS), undefined);
  assert.match(lrFindSettingsProblem({ ...LR_FIND_DEFAULTS, startLr: 0 })!, /start learning rate must be a positive number \(got 0\)/);
  assert.match(lrFindSettingsProblem({ ...LR_FIND_DEFAULTS, endLr: 1e-8 })!, /larger than the start/);
  assert.match(lrFindSettingsProblem({ ...LR_FIND_DEFAULTS, steps: 3 })!, /at least 5 steps \(got 3\)/);
});

test('a noisy first batch is not taken for the steepest descent: the first 10 steps are skipped', () => {
  // without the skip, the drop from step 0 to the smoothed step 2 (≈ -4 per decade) would win over the true -1.35
  const points = lrs.map((lr, i) => ({ lr, loss: i === 1 ? 0.01 : syntheticLoss(lr) }));
  const s = suggestLearningRate(points);
  assert.ok(s && Math.log10(s.lr) > -3.2 && Math.log10(s.lr) < -2.3, `suggested ${s?.lr}`);
});

test('the page’s messages are checked: ready, apply and rerun, nothing else', () => {
  for (const type of ['ready', 'apply', 'rerun']) assert.deepEqual(parseLrFinderMessage({ type }), { type });
  assert.match(parseLrFinderMessage({ type: 'apply', lr: 10 }) as string, /lr/);
  assert.equal(typeof parseLrFinderMessage({ type: 'train' }), 'string');
  assert.equal(parseLrFinderMessage(null), 'message is not an object');
});
