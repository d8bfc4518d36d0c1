import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isTrainerEvent } from '../../src/core/protocol/trainer';
import { parseWebviewMessage } from '../../src/core/protocol/dashboard';

test('well-formed webview messages are accepted as typed messages', () => {
  assert.deepEqual(parseWebviewMessage({ type: 'ready' }), { type: 'ready' });
  assert.deepEqual(parseWebviewMessage({ type: 'stop' }), { type: 'stop' });
  assert.deepEqual(parseWebviewMessage({ type: 'openRun', runId: '20260101-000000-x-ab12' }), { type: 'openRun', runId: '20260101-000000-x-ab12' });
});

test('malformed or hostile webview messages are rejected with a reason', () => {
  assert.equal(parseWebviewMessage(null), 'message is not an object');
  assert.equal(parseWebviewMessage([1]), 'message is not an object');
  assert.match(parseWebviewMessage({ type: 'rm -rf' }) as string, /unknown message type/);
  assert.match(parseWebviewMessage({ type: 'stop', extra: 1 }) as string, /unexpected fields.*extra/);
  assert.match(parseWebviewMessage({ type: 'openRun', runId: '../../etc/passwd' }) as string, /runId is not a run id/);
  assert.match(parseWebviewMessage({ type: 'revealRunFolder', runId: 5 }) as string, /runId is not a run id/);
  assert.match(parseWebviewMessage({ type: 'openRun' }) as string, /exactly one field/);
});

test('trainer events are recognised by type', () => {
  assert.ok(isTrainerEvent({ type: 'metrics', points: [] }));
  assert.ok(!isTrainerEvent({ type: 'hello' }));
  assert.ok(!isTrainerEvent('metrics'));
});

test("'revealConfigSection' names one pipeline stage, and nothing else", () => {
  for (const section of ['data', 'preprocess', 'training', 'evaluation', 'deployment', 'application']) {
    assert.deepEqual(parseWebviewMessage({ type: 'revealConfigSection', section }), { type: 'revealConfigSection', section });
  }
  assert.match(parseWebviewMessage({ type: 'revealConfigSection', section: 'model' }) as string, /section must be one of data, preprocess/);
  assert.match(parseWebviewMessage({ type: 'revealConfigSection', section: ['data'] }) as string, /section must be one of/);
  assert.match(parseWebviewMessage({ type: 'revealConfigSection', section: 'toString' }) as string, /section must be one of/);
  assert.match(parseWebviewMessage({ type: 'revealConfigSection' }) as string, /exactly one field, section/);
  assert.match(parseWebviewMessage({ type: 'revealConfigSection', stage: 'data' }) as string, /exactly one field, section/);
  assert.match(parseWebviewMessage({ type: 'revealConfigSection', section: 'data', path: '/etc/passwd' }) as string, /exactly one field, section/);
});
