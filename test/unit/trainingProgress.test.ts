// One fold of the trainer's events into "epoch N/M", the numbers every
// progress surface shows (status bar, CodeLens, notification, dashboard).

import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { TrainerEvent } from '../../src/core/protocol/trainer';
import type { MetricPoint } from '../../src/core/types';
import { NO_PROGRESS, progressAfter, progressFraction, progressOfRun, shownEpoch } from '../../src/core/trainingProgress';
import { houseRunMeta } from '../helpers/fixtures';

const step = (epoch: number, n: number, loss: number): MetricPoint => ({ kind: 'step', step: n, epoch, time: n, values: { loss } });
const epochPoint = (epoch: number, loss: number): MetricPoint => ({ kind: 'epoch', step: epoch * 2, epoch, time: 0, values: { loss, val_loss: loss + 1 } });
const fold = (events: TrainerEvent[], from = NO_PROGRESS) => events.reduce(progressAfter, from);

test('epoch N/M is the epoch being trained: its first batch moves it on, its end keeps it', () => {
  const meta = houseRunMeta({ epochsPlanned: 40, epochsDone: 0 });
  const started = fold([{ type: 'runStarted', meta, runDir: '/r' }]);
  assert.equal(shownEpoch(started), undefined, 'before the first batch: "starting…"');
  const first = fold([{ type: 'metrics', points: [step(1, 1, 2), step(1, 2, 1.5)] }], started);
  assert.deepEqual([shownEpoch(first), first.epochsDone, first.loss], [{ epoch: 1, epochs: 40 }, 0, 1.5]);
  const ended = fold([{ type: 'metrics', points: [epochPoint(1, 1.6)] }, { type: 'epoch', epoch: 1, epochs: 40, logs: { loss: 1.6, val_loss: 2.6 }, millis: 5 }], first);
  assert.deepEqual([shownEpoch(ended), ended.epochsDone, ended.loss, ended.lastLogs?.val_loss], [{ epoch: 1, epochs: 40 }, 1, 1.6, 2.6]);
  assert.equal(progressFraction(ended), 1 / 40);
  const second = fold([{ type: 'metrics', points: [step(2, 3, 1.2)] }], ended);
  assert.deepEqual([shownEpoch(second), second.epochsDone], [{ epoch: 2, epochs: 40 }, 1]);
  // Events that say nothing about progress leave it as it is (the same object: nothing to redraw).
  assert.equal(progressAfter(second, { type: 'log', level: 'info', message: 'x' }), second);
  assert.equal(progressAfter(second, { type: 'metrics', points: [] }), second);
  const evaluating = progressAfter(second, { type: 'stage', stage: 'evaluation', status: 'running' });
  assert.equal(evaluating.evaluating, true);
});

test('a resumed run starts after its checkpoint\'s epoch; a page opened mid-run starts where the host is', () => {
  const resumed = fold([{ type: 'runStarted', meta: houseRunMeta({ epochsPlanned: 40, epochsDone: 12 }), runDir: '/r' }]);
  assert.deepEqual(shownEpoch(resumed), { epoch: 12, epochs: 40 });
  // The host folded these events one by one; the page reads the same run from its snapshot.
  const points = [step(1, 1, 2), epochPoint(1, 1.9), step(2, 3, 1.5), epochPoint(2, 1.4), step(3, 5, 1.1)];
  const host = fold([{ type: 'runStarted', meta: houseRunMeta({ epochsPlanned: 40, epochsDone: 0 }), runDir: '/r' }, { type: 'metrics', points }]);
  const page = progressOfRun(houseRunMeta({ epochsPlanned: 40, epochsDone: 2 }), points);
  assert.deepEqual([shownEpoch(page), page.epochsDone, page.loss], [shownEpoch(host), host.epochsDone, host.loss]);
  assert.deepEqual(shownEpoch(page), { epoch: 3, epochs: 40 });
});
