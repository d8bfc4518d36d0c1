// The followers' debounce and cancellation (attention for the open file,
// saliency for the open image): changes within the pause make one update; a
// newer request cancels the one in flight; dispose stops both.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DebouncedRequests } from '../../src/host/shell/debouncedRequests';

test('changes within the pause make one update, after the last change', (t) => {
  t.mock.timers.enable({ apis: ['setTimeout'] });
  let runs = 0;
  const requests = new DebouncedRequests({ delayMs: 300, run: async () => void runs++, onError: assert.fail });
  requests.schedule();
  t.mock.timers.tick(200);
  requests.schedule();
  t.mock.timers.tick(200);
  assert.equal(runs, 0, 'the pause starts again at each change');
  t.mock.timers.tick(100);
  assert.equal(runs, 1);
  requests.schedule(0);
  t.mock.timers.tick(0);
  assert.equal(runs, 2, 'a delay of 0 runs at once (a page that just loaded)');
  requests.dispose();
});

test('a newer request cancels the one in flight; ending an old one leaves the new one alone', () => {
  const requests = new DebouncedRequests({ delayMs: 300, run: async () => undefined, onError: assert.fail });
  const first = requests.begin();
  const second = requests.begin();
  assert.equal(first.signal.aborted, true);
  assert.equal(second.signal.aborted, false);
  requests.end(first);
  requests.cancel();
  assert.equal(second.signal.aborted, true, 'still the one in flight after the old one ended');
  const third = requests.begin();
  requests.end(third);
  requests.cancel();
  assert.equal(third.signal.aborted, false, 'an ended request is not cancelled afterwards');
});

test('an update that throws is reported; dispose drops the pending update and cancels the request', async (t) => {
  t.mock.timers.enable({ apis: ['setTimeout'] });
  const errors: unknown[] = [];
  let runs = 0;
  const requests = new DebouncedRequests({
    delayMs: 300,
    run: async () => {
      runs++;
      throw new Error('boom');
    },
    onError: (err) => errors.push(err),
  });
  requests.schedule();
  t.mock.timers.tick(300);
  await Promise.resolve();
  await Promise.resolve();
  assert.equal(runs, 1);
  assert.equal((errors[0] as Error).message, 'boom');
  const inFlight = requests.begin();
  requests.schedule();
  requests.dispose();
  t.mock.timers.tick(1000);
  assert.equal(runs, 1, 'no update after dispose');
  assert.equal(inFlight.signal.aborted, true);
});
