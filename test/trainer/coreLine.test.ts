// The bench's core line (scripts/bench/coreLine.ts): the CNN step timed in a
// process pinned to each core, and the speed-up those cores allow.

import assert from 'node:assert/strict';
import { availableParallelism } from 'node:os';
import { test } from 'node:test';
import { coreLine, speedUpBound } from '../../scripts/bench/coreLine';

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
