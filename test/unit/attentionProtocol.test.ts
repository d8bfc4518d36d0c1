// The dashboard's attention and generation messages from the webview: what is
// accepted, and every way a hostile or buggy page can get one rejected.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { GENERATE_LIMITS, parseWebviewMessage } from '../../src/core/protocol/dashboard';

const good = { type: 'generate', requestId: 3, prompt: '从前有座山', length: 80, temperature: 0.8, topK: 10 };

test('well-formed attention and generation messages are accepted as typed messages', () => {
  assert.deepEqual(parseWebviewMessage({ type: 'pinAttentionModel' }), { type: 'pinAttentionModel' });
  assert.deepEqual(parseWebviewMessage(good), good);
  assert.deepEqual(parseWebviewMessage({ ...good, prompt: '', temperature: 0, topK: 0, length: 1 }), { ...good, prompt: '', temperature: 0, topK: 0, length: 1 });
  assert.deepEqual(parseWebviewMessage({ type: 'cancelGenerate', requestId: 3 }), { type: 'cancelGenerate', requestId: 3 });
});

test('generate requests out of bounds, mistyped, incomplete or padded are rejected with a reason', () => {
  const reject = (msg: unknown, reason: RegExp) => {
    const r = parseWebviewMessage(msg);
    assert.equal(typeof r, 'string', `accepted ${JSON.stringify(msg)}`);
    assert.match(r as string, reason);
  };
  reject({ ...good, requestId: -1 }, /requestId/);
  reject({ ...good, requestId: 1.5 }, /requestId/);
  reject({ ...good, requestId: '1' }, /requestId/);
  reject({ ...good, prompt: 42 }, /prompt/);
  reject({ ...good, prompt: 'x'.repeat(GENERATE_LIMITS.promptChars + 1) }, /prompt/);
  reject({ ...good, length: 0 }, /length/);
  reject({ ...good, length: GENERATE_LIMITS.length.max + 1 }, /length/);
  reject({ ...good, length: 2.5 }, /length/);
  reject({ ...good, temperature: Number.NaN }, /temperature/);
  reject({ ...good, temperature: Infinity }, /temperature/);
  reject({ ...good, temperature: -0.1 }, /temperature/);
  reject({ ...good, temperature: 6 }, /temperature/);
  reject({ ...good, topK: -1 }, /topK/);
  reject({ ...good, topK: 1.5 }, /topK/);
  reject({ ...good, topK: '5' }, /topK/);
  const { topK: _topK, ...missing } = good;
  reject(missing, /lacks topK/);
  reject({ ...good, modelDir: '/etc' }, /unexpected fields.*modelDir/);
  reject({ type: 'pinAttentionModel', runId: 'x' }, /unexpected fields/);
  reject({ type: 'cancelGenerate' }, /lacks requestId/);
  reject({ type: 'cancelGenerate', requestId: 'all' }, /requestId/);
});
