// An ensemble's answer from its members' (the mean value; the mean class
// probabilities and their most probable label) and the checks of ensemble.json.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { checkEnsembleJson, meanPrediction } from '../../src/core/ensemble';

test('regression: the mean of the members\' values', () => {
  assert.deepEqual(meanPrediction([{ value: 1 }, { value: 2 }, { value: 6 }]), { value: 3 });
});

test('classification: the mean probability of each label, the most probable as the label (not a vote)', () => {
  // Two members say "a" narrowly, one says "b" with conviction: the mean favours "b".
  const p = meanPrediction([
    { label: 'a', probabilities: { a: 0.55, b: 0.45 } },
    { label: 'a', probabilities: { a: 0.55, b: 0.45 } },
    { label: 'b', probabilities: { a: 0.05, b: 0.95 } },
  ]);
  assert.equal(p && 'label' in p && p.label, 'b');
  const probs = (p as { probabilities: Record<string, number> }).probabilities;
  assert.ok(Math.abs(probs.a - 0.3833333333) < 1e-9 && Math.abs(probs.b - 0.6166666667) < 1e-9, JSON.stringify(probs));
  assert.throws(() => meanPrediction([{ value: 1 }, { label: 'a', probabilities: { a: 1 } }]), /averages values or class probabilities/);
  assert.throws(() => meanPrediction([]), /needs members/);
});

test('ensemble.json is checked field by field', () => {
  const ok = { format: 'modellab-ensemble', version: 1, name: 'e', task: 'regression', members: ['members/0', 'members/1'], runs: [], createdAt: '' };
  assert.equal(checkEnsembleJson(ok), undefined);
  assert.match(checkEnsembleJson({ ...ok, format: 'x' })!, /"format"/);
  assert.match(checkEnsembleJson({ ...ok, version: 2 })!, /"version" 2/);
  assert.match(checkEnsembleJson({ ...ok, members: ['members/0'] })!, /at least two/);
  assert.match(checkEnsembleJson({ ...ok, members: ['members/0', '../elsewhere'] })!, /inside the ensemble/);
  assert.match(checkEnsembleJson(null)!, /not a JSON object/);
});
