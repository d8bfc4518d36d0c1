// The bench's core line (scripts/bench/coreLine.ts): the CNN step timed in a
// process pinned to each core, alone and all at once, and the speed-up those
// cores allow.

import assert from 'node:assert/strict';
import { availableParallelism } from 'node:os';
import { test } from 'node:test';
import { coreLine, pairBound, pairLine, speedUpBound } from '../../scripts/bench/coreLine';

const near = (actual: number, expected: number, what?: string) => assert.ok(Math.abs(actual - expected) < 1e-12, `${what ?? 'bound'}: ${actual} against ${expected}`);

test('the bound: the fastest cores\' speeds summed over the fastest\'s', () => {
  // 21 and 29 ms a step, as one minute on this machine: 1 + 21/29.
  near(speedUpBound([{ cpu: 0, msPerStep: 21 }, { cpu: 1, msPerStep: 29 }], 2), 1 + 21 / 29);
  near(speedUpBound([{ cpu: 0, msPerStep: 29 }, { cpu: 1, msPerStep: 21 }], 2), 1 + 21 / 29, 'whichever core is the fast one');
  near(speedUpBound([{ cpu: 0, msPerStep: 20 }, { cpu: 1, msPerStep: 20 }, { cpu: 2, msPerStep: 40 }, { cpu: 3, msPerStep: 10 }], 2), 1.5, 'two threads: the two fastest cores');
  near(speedUpBound([{ cpu: 0, msPerStep: 20 }, { cpu: 1, msPerStep: 20 }], 2), 2);
});

test('each core times the CNN step in a process pinned to it', { skip: availableParallelism() < 2 && 'one core' }, () => {
  const figures = coreLine(1, 2);
  assert.ok(typeof figures !== 'string', `measured: ${String(figures)}`);
  assert.deepEqual(figures.map((f) => f.cpu), [0, 1]);
  for (const f of figures) assert.ok(f.msPerStep > 1 && f.msPerStep < 1000, `core ${f.cpu}: ${f.msPerStep} ms a step`);
});

test('the pair bound: the speeds with every core busy summed, over the fastest core\'s speed alone', () => {
  const alone = [{ cpu: 0, msPerStep: 20 }, { cpu: 1, msPerStep: 25 }];
  // Busy together as alone: the same as the cores' bound.
  near(pairBound(alone, alone), speedUpBound(alone, 2));
  // Each slowed by the other (a shared physical core): 20 → 30 and 25 → 40 ms.
  near(pairBound(alone, [{ cpu: 0, msPerStep: 30 }, { cpu: 1, msPerStep: 40 }]), 20 / 30 + 20 / 40);
  // Equal cores that do not slow each other: 2.
  near(pairBound([{ cpu: 0, msPerStep: 20 }, { cpu: 1, msPerStep: 20 }], [{ cpu: 0, msPerStep: 20 }, { cpu: 1, msPerStep: 20 }]), 2);
});

test('every core times the CNN step at once, each in a process pinned to it', { skip: availableParallelism() < 2 && 'one core' }, async () => {
  const figures = await pairLine(2, 2);
  assert.ok(typeof figures !== 'string', `measured: ${String(figures)}`);
  assert.deepEqual(figures.map((f) => f.cpu), [0, 1]);
  for (const f of figures) assert.ok(f.msPerStep > 1 && f.msPerStep < 1000, `core ${f.cpu}: ${f.msPerStep} ms a step`);
  // At once: in each round, each core's timed steps began before the other's ended.
  for (let r = 0; r < 2; r++) {
    const [[from0, to0], [from1, to1]] = [figures[0].spans![r], figures[1].spans![r]];
    assert.ok(from0 < to1 && from1 < to0, `round ${r + 1}: core 0 ${from0}–${to0}, core 1 ${from1}–${to1}`);
  }
  assert.equal(await pairLine(1, 1), 'one core');
});
