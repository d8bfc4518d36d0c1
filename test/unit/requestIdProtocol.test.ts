// Every channel whose messages carry a requestId takes only a whole number
// from 0 up: a negative, fractional, unsafe or non-numeric id is rejected by
// the dashboard's, the compare panel's and the inference child's validators,
// and an inference reply with one is not taken for a reply.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseCompareMessage } from '../../src/core/protocol/compare';
import { parseWebviewMessage } from '../../src/core/protocol/dashboard';
import { isRequestId } from '../../src/core/protocol/fields';
import { isInferenceResponse, parseInferenceRequest } from '../../src/core/protocol/inference';

const BAD_IDS: unknown[] = [-1, -0.5, 1.5, 0.1, -(2 ** 53), 2 ** 53, NaN, Infinity, -Infinity, '1', null, true, [1], { valueOf: 1 }];
const GOOD_IDS = [0, 1, 42, Number.MAX_SAFE_INTEGER];

/** One valid message of every type that has a requestId, per channel, for a given id. */
const CHANNELS: Record<string, { parse: (raw: unknown) => unknown; messages: (requestId: unknown) => Record<string, unknown>[] }> = {
  dashboard: {
    parse: parseWebviewMessage,
    messages: (requestId) => [
      { type: 'generate', requestId, prompt: 'once', length: 10, temperature: 0.8, topK: 5 },
      { type: 'cancelGenerate', requestId },
      { type: 'describeModel', requestId },
      { type: 'predict', requestId, input: { rooms: 3 } },
    ],
  },
  compare: {
    parse: parseCompareMessage,
    messages: (requestId) => [{ type: 'requestSeries', requestId, metric: 'loss', xAxis: 'epoch', smoothing: 0.5, maxPoints: 1000 }],
  },
  inference: {
    parse: parseInferenceRequest,
    messages: (requestId) => [
      { type: 'attention', requestId, modelDir: '/runs/a', text: 'hi' },
      { type: 'generate', requestId, modelDir: '/runs/a', prompt: 'once' },
      { type: 'predict', requestId, modelDir: '/runs/a', instances: [] },
      { type: 'cancelInference', requestId },
    ],
  },
};

test('isRequestId: whole numbers from 0 to 2^53 − 1 only', () => {
  for (const id of GOOD_IDS) assert.equal(isRequestId(id), true, String(id));
  for (const id of BAD_IDS) assert.equal(isRequestId(id), false, String(id));
});

for (const [name, channel] of Object.entries(CHANNELS)) {
  test(`${name}: every message with a requestId takes a whole number from 0 up, and nothing else`, () => {
    for (const id of GOOD_IDS) {
      for (const msg of channel.messages(id)) {
        const parsed = channel.parse(msg);
        assert.equal(typeof parsed, 'object', `rejected ${JSON.stringify(msg)}: ${String(parsed)}`);
        assert.equal((parsed as { requestId: unknown }).requestId, id);
      }
    }
    for (const id of BAD_IDS) {
      for (const msg of channel.messages(id)) {
        const parsed = channel.parse(msg);
        assert.equal(typeof parsed, 'string', `accepted ${msg.type} with requestId ${String(id)}`);
        assert.match(parsed as string, /requestId/);
      }
    }
  });
}

test('inference replies: a negative or fractional requestId is not a reply', () => {
  const reply = (requestId: unknown) => ({ type: 'inferenceError', requestId, message: 'x' });
  for (const id of GOOD_IDS) assert.equal(isInferenceResponse(reply(id)), true, String(id));
  for (const id of BAD_IDS) assert.equal(isInferenceResponse(reply(id)), false, String(id));
  assert.equal(isInferenceResponse({ type: 'attentionResult', requestId: -1, modelDir: '/m', result: {}, millis: 1, backend: 'cpu' }), false);
  assert.equal(isInferenceResponse({ type: 'predictResult', requestId: 0.5, modelDir: '/m', signature: {}, predictions: [], millis: 1, backend: 'cpu' }), false);
});
