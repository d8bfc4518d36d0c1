import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isTrainerEvent } from '../../src/core/protocol/trainer';
import { isInferenceResponse, parseInferenceRequest } from '../../src/core/protocol/inference';

test('inference requests are checked: type, requestId, modelDir, text or prompt, numbers', () => {
  assert.deepEqual(parseInferenceRequest({ type: 'attention', requestId: 1, modelDir: '/r', text: 'hi', maxTokens: 64 }), { type: 'attention', requestId: 1, modelDir: '/r', text: 'hi', maxTokens: 64 });
  assert.deepEqual(parseInferenceRequest({ type: 'cancelInference', requestId: 7 }), { type: 'cancelInference', requestId: 7 });
  assert.equal(typeof parseInferenceRequest({ type: 'generate', requestId: 2, modelDir: '/r', prompt: 'a', length: 10 }), 'object');
  assert.match(parseInferenceRequest({ type: 'attention', requestId: 'x', modelDir: '/r', text: 'hi' }) as string, /requestId is not a whole number/);
  assert.match(parseInferenceRequest({ type: 'attention', requestId: 1, text: 'hi' }) as string, /modelDir is not a path/);
  assert.match(parseInferenceRequest({ type: 'attention', requestId: 1, modelDir: '/r' }) as string, /text is not a string/);
  assert.match(parseInferenceRequest({ type: 'generate', requestId: 1, modelDir: '/r', prompt: 'a', temperature: 'hot' }) as string, /temperature is not a number/);
  assert.match(parseInferenceRequest({ type: 'train', requestId: 1 }) as string, /unknown message type/);
  assert.equal(parseInferenceRequest(null), 'message is not an object');
});

test('inference replies are told apart from trainer events, so existing consumers are unaffected', () => {
  const reply = { type: 'attentionResult', requestId: 3, modelDir: '/m', result: {}, millis: 5, backend: 'wasm' };
  assert.equal(isInferenceResponse(reply), true);
  assert.equal(isInferenceResponse({ type: 'inferenceError', requestId: 3, message: 'x' }), true);
  assert.equal(isInferenceResponse({ type: 'attentionResult' }), false);
  assert.equal(isInferenceResponse({ type: 'log', level: 'info', message: 'x' }), false);
  assert.equal(isTrainerEvent(reply), false);
});
