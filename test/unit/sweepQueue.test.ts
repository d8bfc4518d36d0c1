// A sweep runs its points at most `concurrency` at a time, and a stop ends it.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { expandSweep } from '../../src/core/sweep';
import { SweepQueue } from '../../src/node/sweepQueue';
import type { PointOutcome } from '../../src/node/sweepQueue';

/** Fake trainings that end when the test says so. */
function fakeTrainings() {
  const live = new Map<number, (o: PointOutcome) => void>();
  const started: number[] = [];
  const stopped: number[] = [];
  let maxRunning = 0;
  const deps = {
    start: (point: { index: number }) => {
      started.push(point.index);
      maxRunning = Math.max(maxRunning, live.size + 1);
      return point.index;
    },
    done: (s: number) => new Promise<PointOutcome>((resolve) => live.set(s, (o) => (live.delete(s), resolve(o)))),
    stop: (s: number) => {
      stopped.push(s);
      live.get(s)?.({ status: 'stopped' });
    },
  };
  /** Ends every training as it starts, until the queue is through. */
  const finishAll = async (status: PointOutcome['status'] = 'completed') => {
    for (let i = 0; i < 100; i++) {
      await new Promise((r) => setImmediate(r));
      for (const end of [...live.values()]) end({ status });
    }
  };
  return { deps, started, stopped, live, finishAll, get maxRunning() { return maxRunning; } };
}

const points = expandSweep({ parameters: { a: [1, 2, 3], b: [1, 2] } });

test('one at a time, in order; every point runs once', async () => {
  const t = fakeTrainings();
  const queue = new SweepQueue(points, 1, t.deps);
  const done = queue.run();
  await t.finishAll();
  const results = await done;
  assert.deepEqual(t.started, [0, 1, 2, 3, 4, 5]);
  assert.equal(t.maxRunning, 1);
  assert.equal(results.length, 6);
  assert.deepEqual([queue.launched, queue.finished, queue.cancelled], [6, 6, false]);
});

test('concurrency 2 keeps two running and never more', async () => {
  const t = fakeTrainings();
  const queue = new SweepQueue(points, 2, t.deps);
  const done = queue.run();
  await new Promise((r) => setImmediate(r));
  assert.deepEqual(t.started, [0, 1]);
  assert.equal(queue.running.length, 2);
  await t.finishAll();
  await done;
  assert.equal(t.maxRunning, 2);
  assert.deepEqual([...t.started].sort(), [0, 1, 2, 3, 4, 5]);
});

test('cancel stops the running points and starts no more', async () => {
  const t = fakeTrainings();
  const queue = new SweepQueue(points, 2, t.deps);
  const done = queue.run();
  await new Promise((r) => setImmediate(r));
  t.live.get(0)!({ status: 'completed' });
  await new Promise((r) => setImmediate(r));
  assert.deepEqual(t.started, [0, 1, 2]);
  queue.cancel();
  const results = await done;
  assert.deepEqual(t.stopped.sort(), [1, 2]);
  assert.deepEqual(t.started, [0, 1, 2], 'nothing started after the cancel');
  assert.deepEqual(results.map((r) => [r.point.index, r.outcome.status]), [[0, 'completed'], [1, 'stopped'], [2, 'stopped']]);
  assert.equal(queue.cancelled, true);
});

test('a point that cannot start ends the sweep with that error', async () => {
  const queue = new SweepQueue(points, 1, {
    start: () => {
      throw new Error('no trainer');
    },
    done: async () => ({ status: 'completed' }),
    stop: () => {},
  });
  await assert.rejects(queue.run(), /no trainer/);
});
