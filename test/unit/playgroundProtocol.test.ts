// The predict playground's webview messages are untrusted: only well-formed
// requests reach the host's handler, and a rejected one says why.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseWebviewMessage } from '../../src/core/protocol/dashboard';
import { parseInferenceRequest } from '../../src/core/protocol/inference';

test('well-formed playground messages pass, typed', () => {
  assert.deepEqual(parseWebviewMessage({ type: 'describeModel', requestId: 1 }), { type: 'describeModel', requestId: 1 });
  assert.deepEqual(parseWebviewMessage({ type: 'predict', requestId: 2, input: { rooms: 3, district: 'north', age: null } }), {
    type: 'predict',
    requestId: 2,
    input: { rooms: 3, district: 'north', age: null },
  });
  assert.deepEqual(parseWebviewMessage({ type: 'predict', requestId: 3, input: '你好，我要退款' }), { type: 'predict', requestId: 3, input: '你好，我要退款' });
  assert.deepEqual(parseWebviewMessage({ type: 'predict', requestId: 4, input: '' }), { type: 'predict', requestId: 4, input: '' });
});

test('the application stage asks the host to export or deploy the shown run by id only', () => {
  assert.deepEqual(parseWebviewMessage({ type: 'exportRun', runId: '20250101-120000-house-prices' }), { type: 'exportRun', runId: '20250101-120000-house-prices' });
  assert.deepEqual(parseWebviewMessage({ type: 'deployRun', runId: 'r1' }), { type: 'deployRun', runId: 'r1' });
  assert.match(parseWebviewMessage({ type: 'deployRun', runId: '../../etc' }) as string, /not a run id/);
  assert.deepEqual(parseWebviewMessage({ type: 'resumeRun', runId: 'r1' }), { type: 'resumeRun', runId: 'r1' });
  assert.match(parseWebviewMessage({ type: 'resumeRun', runId: '/tmp/x', extra: 1 }) as string, /exactly one field/);
  assert.match(parseWebviewMessage({ type: 'exportRun', runId: 'r1', out: '/tmp' }) as string, /exactly one field/);
});

test('malformed playground messages are rejected with the reason', () => {
  const rejects: [unknown, RegExp][] = [
    [{ type: 'describeModel' }, /describeModel/],
    [{ type: 'describeModel', requestId: 1, runDir: '/etc' }, /exactly one field/],
    [{ type: 'describeModel', requestId: -1 }, /requestId/],
    [{ type: 'describeModel', requestId: 1.5 }, /requestId/],
    [{ type: 'predict', requestId: '1', input: 'x' }, /requestId/],
    [{ type: 'predict', requestId: 1 }, /input is missing/],
    [{ type: 'predict', requestId: 1, input: 'x', modelDir: '/tmp' }, /unexpected fields.*modelDir/],
    [{ type: 'predict', requestId: 1, input: 42 }, /input must be a text or an object/],
    [{ type: 'predict', requestId: 1, input: ['a'] }, /input must be a text or an object/],
    [{ type: 'predict', requestId: 1, input: { rooms: Infinity } }, /input\.rooms is not a finite number/],
    [{ type: 'predict', requestId: 1, input: { rooms: { $gt: 1 } } }, /input\.rooms must be a number, a string or null/],
    [{ type: 'predict', requestId: 1, input: { rooms: [1] } }, /input\.rooms must be/],
    [{ type: 'predict', requestId: 1, input: 'x'.repeat(100_001) }, /longer than 100000/],
    [{ type: 'predict', requestId: 1, input: { city: 'x'.repeat(1001) } }, /input\.city is longer/],
    [{ type: 'predict', requestId: 1, input: Object.fromEntries(Array.from({ length: 1001 }, (_, i) => [`f${i}`, 1])) }, /more than 1000 fields/],
    [{ type: 'predict', requestId: 1, input: JSON.parse('{"__proto__": 1}') }, /__proto__ is not allowed/],
    [{ type: 'predict', requestId: 1, input: { ['x'.repeat(201)]: 1 } }, /field name/],
  ];
  for (const [raw, reason] of rejects) {
    const parsed = parseWebviewMessage(raw);
    assert.equal(typeof parsed, 'string', `accepted ${JSON.stringify(raw).slice(0, 80)}`);
    assert.match(parsed as string, reason);
  }
});

test('the inference child accepts predict requests and checks their shape', () => {
  assert.deepEqual(parseInferenceRequest({ type: 'predict', requestId: 1, modelDir: '/runs/a', instances: [] }), { type: 'predict', requestId: 1, modelDir: '/runs/a', instances: [] });
  assert.match(parseInferenceRequest({ type: 'predict', requestId: 1, modelDir: '', instances: [] }) as string, /modelDir/);
  assert.match(parseInferenceRequest({ type: 'predict', requestId: 1, modelDir: '/runs/a', instances: {} }) as string, /instances is not an array/);
});
