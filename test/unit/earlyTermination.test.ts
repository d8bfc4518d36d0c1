// A sweep's early termination (asynchronous successive halving): where the
// rungs stand, who goes on at a rung (top 1/η, ties, fewer results than η,
// the metric's direction), and how a run records its result and reads its
// siblings' from the run folders.
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { describePruning, prunedRung, rungDecision, rungEpochs } from '../../src/core/earlyTermination';
import { earlyTerminationOf } from '../../src/core/sweepValidation';
import type { ExperimentConfig, RunMeta, SweepEarlyTermination } from '../../src/core/types';
import { validateConfigText } from '../../src/node/configValidation';
import { RunWriter } from '../../src/node/runStoreWriter';
import { decideAtRung, siblingRungResults } from '../../src/node/sweepRungs';
import { houseRunMeta, linearCsv, regressionConfig, tempDir, writeFiles } from '../helpers/fixtures';

test('rungs stand at minEpochs·η^k below the last epoch', () => {
  assert.deepEqual(rungEpochs({ minEpochs: 1, reductionFactor: 3 }, 27), [1, 3, 9]);
  assert.deepEqual(rungEpochs({ minEpochs: 1, reductionFactor: 3 }, 28), [1, 3, 9, 27]);
  assert.deepEqual(rungEpochs({ minEpochs: 2, reductionFactor: 2 }, 20), [2, 4, 8, 16]);
  assert.deepEqual(rungEpochs({ minEpochs: 3, reductionFactor: 3 }, 10), [3, 9]);
  // A rung at the last epoch would save nothing; none below it, none at all.
  assert.deepEqual(rungEpochs({ minEpochs: 5, reductionFactor: 3 }, 5), []);
  assert.deepEqual(rungEpochs({ minEpochs: 1, reductionFactor: 3 }, 1), []);
});

test('the first run at a rung goes on; with fewer results than η only the best so far does', () => {
  assert.deepEqual(rungDecision(0.5, [], 'minimize', 3), { continue: true, rank: 1, of: 1, kept: 1 });
  assert.deepEqual(rungDecision(0.7, [0.5], 'minimize', 3), { continue: false, rank: 2, of: 2, kept: 1 });
  assert.deepEqual(rungDecision(0.4, [0.5], 'minimize', 3), { continue: true, rank: 1, of: 2, kept: 1 });
  assert.deepEqual(rungDecision(0.6, [0.5, 0.7], 'minimize', 3), { continue: false, rank: 2, of: 3, kept: 1 });
});

test('the top 1/η (rounded down) of the results at the rung go on', () => {
  const others = [0.1, 0.2, 0.3, 0.4, 0.5]; // with the run's own: 6 results, η = 3 → 2 go on
  assert.deepEqual(rungDecision(0.15, others, 'minimize', 3), { continue: true, rank: 2, of: 6, kept: 2 });
  assert.deepEqual(rungDecision(0.25, others, 'minimize', 3), { continue: false, rank: 3, of: 6, kept: 2 });
  // η = 2 keeps half: 3 of 6.
  assert.deepEqual(rungDecision(0.25, others, 'minimize', 2), { continue: true, rank: 3, of: 6, kept: 3 });
  assert.deepEqual(rungDecision(0.35, others, 'minimize', 2), { continue: false, rank: 4, of: 6, kept: 3 });
  // 8 results, η = 3: floor(8/3) = 2 go on.
  assert.equal(rungDecision(0.25, [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7], 'minimize', 3).kept, 2);
});

test('tied results share the better place, so a tie never prunes one of two equal runs', () => {
  assert.deepEqual(rungDecision(0.5, [0.5], 'minimize', 3), { continue: true, rank: 1, of: 2, kept: 1 });
  assert.deepEqual(rungDecision(0.2, [0.1, 0.2, 0.2, 0.9, 0.9], 'minimize', 3), { continue: true, rank: 2, of: 6, kept: 2 });
  assert.deepEqual(rungDecision(0.9, [0.1, 0.2, 0.2, 0.9, 0.9], 'minimize', 3), { continue: false, rank: 4, of: 6, kept: 2 });
});

test("the metric's direction decides: higher accuracy is better", () => {
  assert.deepEqual(rungDecision(0.9, [0.6, 0.7], 'maximize', 3), { continue: true, rank: 1, of: 3, kept: 1 });
  assert.deepEqual(rungDecision(0.6, [0.9, 0.7], 'maximize', 3), { continue: false, rank: 3, of: 3, kept: 1 });
  // The same numbers as a loss: the other way round.
  assert.equal(rungDecision(0.6, [0.9, 0.7], 'minimize', 3).continue, true);
});

test('a non-finite result counts as worse than any other', () => {
  assert.deepEqual(rungDecision(0.9, [Number.NaN, Number.POSITIVE_INFINITY], 'minimize', 3), { continue: true, rank: 1, of: 3, kept: 1 });
  assert.deepEqual(rungDecision(Number.NaN, [0.9], 'minimize', 3), { continue: false, rank: 2, of: 2, kept: 1 });
});

test("a config's early termination carries the sweep's metric and goal with the defaults filled in", () => {
  const base = JSON.parse(regressionConfig()) as ExperimentConfig;
  assert.equal(earlyTerminationOf(base), undefined);
  const et = earlyTerminationOf({ ...base, sweep: { parameters: { 'training.epochs': [3, 9] }, earlyTermination: { type: 'asha' } } });
  assert.deepEqual(et, { type: 'asha', minEpochs: 1, reductionFactor: 3, metric: 'val_loss', goal: 'minimize' });
  const acc = earlyTerminationOf({ ...base, sweep: { parameters: { 'training.epochs': [3] }, metric: 'val_mae', goal: 'maximize', earlyTermination: { type: 'asha', minEpochs: 2, reductionFactor: 2 } } });
  assert.deepEqual(acc, { type: 'asha', minEpochs: 2, reductionFactor: 2, metric: 'val_mae', goal: 'maximize' });
});

const ET: SweepEarlyTermination = { type: 'asha', minEpochs: 1, reductionFactor: 3, metric: 'val_loss', goal: 'minimize' };

function sweepRun(runsDir: string, sweepId: string, index: number, id = `run-${sweepId}-${index}`): RunWriter {
  const { id: _id, format: _format, ...meta } = houseRunMeta({ sweep: { id: sweepId, index, total: 9, params: { i: index }, earlyTermination: ET } });
  return new RunWriter(runsDir, { ...meta, id });
}

test("a run records its rung result in meta.json, then goes on or not by its siblings' results at that rung", (t) => {
  const runsDir = tempDir('modellab-rungs-', t);
  const a = sweepRun(runsDir, 'sweep-a', 0);
  const b = sweepRun(runsDir, 'sweep-a', 1);
  const c = sweepRun(runsDir, 'sweep-a', 2);
  // Another sweep's runs and a folder that is not a run are not siblings.
  const other = sweepRun(runsDir, 'sweep-b', 0);
  decideAtRung(other, ET, 1, 0.01);
  mkdirSync(join(runsDir, 'not-a-run'));
  mkdirSync(join(runsDir, 'torn'));
  writeFileSync(join(runsDir, 'torn', 'meta.json'), '{"sweep": {"id": "sweep-a", "rungs": [{"epoch": 1, "val');

  assert.deepEqual(decideAtRung(a, ET, 1, 0.5), { continue: true, rank: 1, of: 1, kept: 1 });
  assert.deepEqual(decideAtRung(b, ET, 1, 0.8), { continue: false, rank: 2, of: 2, kept: 1 });
  assert.deepEqual(decideAtRung(c, ET, 1, 0.3), { continue: true, rank: 1, of: 3, kept: 1 });
  // A rung further on counts only the results at that rung.
  assert.deepEqual(decideAtRung(a, ET, 3, 0.4), { continue: true, rank: 1, of: 1, kept: 1 });
  assert.deepEqual(siblingRungResults(runsDir, 'sweep-a', 1, a.dir).sort(), [0.3, 0.8]);

  const onDisk = JSON.parse(readFileSync(join(b.dir, 'meta.json'), 'utf8')) as RunMeta;
  assert.deepEqual(onDisk.sweep?.rungs, [{ epoch: 1, value: 0.8, rank: 2, of: 2, kept: 1 }]);
  assert.deepEqual(prunedRung(onDisk.sweep), { epoch: 1, value: 0.8, rank: 2, of: 2, kept: 1 });
  const aOnDisk = JSON.parse(readFileSync(join(a.dir, 'meta.json'), 'utf8')) as RunMeta;
  assert.equal(aOnDisk.sweep?.rungs?.length, 2);
  assert.equal(prunedRung(aOnDisk.sweep), undefined);
  assert.equal(describePruning(1, 'val_loss', '0.8', { rank: 2, of: 2, kept: 1 }), 'pruned at epoch 1: val_loss 0.8 placed 2 of the 2 runs that reached this rung so far, and only the best 1 go on');
});

function diagnosticsOf(sweep: unknown): string[] {
  const dir = tempDir();
  const text = regressionConfig({ sweep });
  writeFiles(dir, { 'data.csv': linearCsv(50), 'exp.experiment.json': text });
  return validateConfigText(text, join(dir, 'exp.experiment.json')).diagnostics.map((d) => `${d.severity} ${text.slice(d.offset, d.offset + d.length)}: ${d.message}`);
}

test('the config checks say when early termination can never prune, and refuse what the schema does not know', () => {
  assert.deepEqual(diagnosticsOf({ parameters: { 'training.optimizer.learningRate': [0.001, 0.01, 0.1] }, earlyTermination: { type: 'asha', minEpochs: 2 } }), []);
  assert.deepEqual(diagnosticsOf({ parameters: { 'training.optimizer.learningRate': [0.001, 0.01] }, earlyTermination: { type: 'asha', minEpochs: 15 } }), [
    "warning 15: no rung falls before the last of the runs' 15 epochs, so no run is ever pruned; lower \"minEpochs\" (the first rung) below 15",
  ]);
  assert.deepEqual(diagnosticsOf({ parameters: { 'training.optimizer.learningRate': [0.001] }, earlyTermination: { type: 'asha' } }), [
    'warning "earlyTermination": a sweep of one run has no other run to compare with at a rung, so nothing is ever pruned',
  ]);
  const bad = diagnosticsOf({ parameters: { 'training.optimizer.learningRate': [0.001, 0.01] }, earlyTermination: { type: 'hyperband', reductionFactor: 1 } });
  assert.equal(bad.length, 2, bad.join('\n'));
  assert.match(bad.join('\n'), /^error "hyperband": .*asha/m);
  assert.match(bad.join('\n'), /^error 1: .*>= 2/m);
});

test('a grid with early termination runs in a seeded shuffled order: written worst-to-best it would prune nothing, shuffled it prunes', async () => {
  const { expandSweep } = await import('../../src/core/sweep');
  // A 12-point grid whose rung result falls with the learning rate, written from the worst point to the best.
  const parameters = { lr: [1, 2, 3, 4, 5, 6], units: [8, 16] };
  const loss = (p: Record<string, unknown>) => 1 / ((p.lr as number) * 10 + (p.units as number) / 8);
  const pruned = (points: { params: Record<string, unknown> }[]) => {
    const seen: number[] = [];
    let n = 0;
    for (const p of points) {
      if (!rungDecision(loss(p.params), seen, 'minimize', 3).continue) n++;
      seen.push(loss(p.params));
    }
    return n;
  };
  const written = expandSweep({ parameters });
  assert.equal(pruned(written), 0, 'in written order each run beats every run before it');
  const et = { type: 'asha' as const };
  const shuffled = expandSweep({ parameters, earlyTermination: et });
  assert.deepEqual(shuffled.map((p) => p.index), [...Array(12).keys()], 'numbered in the order they run');
  assert.deepEqual(new Set(shuffled.map((p) => JSON.stringify(p.params))), new Set(written.map((p) => JSON.stringify(p.params))), 'every point once');
  assert.deepEqual(expandSweep({ parameters, earlyTermination: et, seed: 1 }), shuffled, 'seed 1 by default, the same order again');
  assert.notDeepEqual(expandSweep({ parameters, earlyTermination: et, seed: 2 }), shuffled);
  assert.ok(pruned(shuffled) >= 6, `shuffled, ${pruned(shuffled)} of 12 are pruned at the rung`);
});
